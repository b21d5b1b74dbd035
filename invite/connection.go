package invite

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// InviteCompany invites another company to connect with the principal's
// (seed 003's customer/agency invitations; seed 000's partner is such an
// agency): the relation it is to have, its name (or ID) and the e-mail of
// a user there who may accept. The principal needs USER_ADD and at least
// ADMIN as a member of its company (the agency will act at ADMIN rank);
// a customer inviting its agency may offer initial permissions, never more
// than it holds. The same pending rules as Invite hold per e-mail.
// Errors: ErrInvalid naming the field, ErrSelfConnection, ErrForbidden.
func (s *Service) InviteCompany(ctx context.Context, p access.Principal, in NewConnectionInvitation) (Issued, error) {
	email, err := access.NormalizeEmail(in.Email)
	if err != nil {
		return Issued{}, err
	}
	if in.Relation != RelationAgency && in.Relation != RelationCustomer {
		return Issued{}, access.Invalid("relation", "relation must be %q or %q", RelationAgency, RelationCustomer)
	}
	if err := access.CheckText("company_name", in.CompanyName); err != nil {
		return Issued{}, err
	}
	name := strings.TrimSpace(in.CompanyName)
	if name == "" && in.CompanyID == uuid.Nil {
		return Issued{}, access.Invalid("company_name", "the other company's name is required")
	}
	if len(name) > 200 {
		return Issued{}, access.Invalid("company_name", "company name is longer than 200 characters")
	}
	perms, err := s.acc.Catalog().ParsePermissions("permissions", in.Permissions)
	if err != nil {
		return Issued{}, err
	}
	if len(perms) > 0 && in.Relation != RelationAgency {
		return Issued{}, access.Invalid("permissions", "only a customer inviting its agency offers permissions")
	}
	if in.CompanyID != uuid.Nil && in.CompanyID == p.CompanyID {
		return Issued{}, ErrSelfConnection
	}
	draft := Invitation{Kind: KindConnection, Email: email, Relation: in.Relation, TargetName: name,
		TargetID: in.CompanyID, Permissions: perms}
	return s.issue(ctx, p, draft, access.LevelAdmin, perms)
}

// acceptConnection connects the inviting company with the one p acts for.
func (s *Service) acceptConnection(ctx context.Context, p access.Principal, inv Invitation, now time.Time) (Acceptance, error) {
	if p.Kind != access.PrincipalUser {
		return Acceptance{}, access.Unauthenticated("accepting a company invitation needs the invited user, signed in and acting for their company")
	}
	if err := s.checkInvitee(ctx, p, inv); err != nil {
		return Acceptance{}, err
	}
	if p.CompanyID == inv.CompanyID {
		return Acceptance{}, ErrSelfConnection
	}
	if inv.TargetID != uuid.Nil && p.CompanyID != inv.TargetID {
		return Acceptance{}, ErrCompanyMismatch
	}
	c, err := s.acc.GetCompany(ctx, p, p.CompanyID)
	if err != nil {
		return Acceptance{}, err
	}
	if inv.TargetID == uuid.Nil && !strings.EqualFold(strings.TrimSpace(c.Name), inv.TargetName) {
		return Acceptance{}, ErrCompanyMismatch
	}
	inviter, err := s.inviter(ctx, inv)
	if err != nil {
		return Acceptance{}, err
	}
	nc := access.NewConnection{ID: s.acc.NewID(), CustomerID: inv.CompanyID, AgencyID: p.CompanyID, Permissions: inv.Permissions}
	if inv.Relation == RelationCustomer {
		nc.CustomerID, nc.AgencyID, nc.Permissions = p.CompanyID, inv.CompanyID, nil
	}
	if err := s.claim(ctx, inv, Transition{ID: inv.ID, From: StatusPending, To: StatusAccepted, At: now,
		UserID: p.UserID, TargetID: p.CompanyID, ConnectionID: nc.ID}, now); err != nil {
		return Acceptance{}, err
	}
	// Both sides consent: the accepting user for their company, the
	// inviter (checked again now) for theirs.
	conn, err := s.acc.Connect(ctx, p, inviter, nc)
	if errors.Is(err, access.ErrConsentRefused) {
		return Acceptance{}, ErrInviterNotAuthorized
	}
	if err != nil {
		return Acceptance{}, err
	}
	if err := s.acc.Audit(ctx, p, inv.CompanyID, "invitation.accepted", inviteTarget(inv.ID),
		map[string]string{"kind": string(inv.Kind), "email": inv.Email, "company_id": p.CompanyID.String()}); err != nil {
		return Acceptance{}, err
	}
	return Acceptance{UserID: p.UserID, CompanyID: p.CompanyID, ConnectionID: conn.ID}, nil
}
