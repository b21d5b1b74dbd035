package invite

import (
	"context"
	"slices"
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
	a, err := s.acc.Authorize(ctx, p, access.UserAdd)
	if err != nil {
		return Acceptance{}, err
	}
	if !isMember(a) || a.Level() < access.LevelAdmin {
		return Acceptance{}, access.Forbidden("accepting a company invitation needs ADMIN or above in the invited company")
	}
	c, err := s.st.GetCompany(ctx, p.CompanyID)
	if err != nil {
		return Acceptance{}, err
	}
	if inv.TargetID == uuid.Nil && !strings.EqualFold(strings.TrimSpace(c.Name), inv.TargetName) {
		return Acceptance{}, ErrCompanyMismatch
	}
	if err := s.recheckInviter(ctx, inv, access.LevelAdmin, inv.Permissions, true); err != nil {
		return Acceptance{}, err
	}
	conn := access.Connection{ID: s.acc.NewID(), CustomerID: inv.CompanyID, AgencyID: p.CompanyID,
		Permissions: []string{}, CreatedAt: now, UpdatedAt: now}
	if inv.Relation == RelationCustomer {
		conn.CustomerID, conn.AgencyID = p.CompanyID, inv.CompanyID
	} else {
		conn.Permissions = slices.Clone(inv.Permissions)
	}
	if err := s.claim(ctx, inv, Transition{ID: inv.ID, From: StatusPending, To: StatusAccepted, At: now,
		UserID: p.UserID, TargetID: p.CompanyID, ConnectionID: conn.ID}, now); err != nil {
		return Acceptance{}, err
	}
	if err := s.st.CreateConnection(ctx, &conn); err != nil {
		return Acceptance{}, err
	}
	details := connDetails(conn)
	for _, id := range []uuid.UUID{conn.CustomerID, conn.AgencyID} {
		if err := s.acc.Audit(ctx, p, id, "connection.created", connTarget(conn.ID), details); err != nil {
			return Acceptance{}, err
		}
	}
	if err := s.acc.Audit(ctx, p, inv.CompanyID, "invitation.accepted", inviteTarget(inv.ID),
		map[string]string{"kind": string(inv.Kind), "email": inv.Email, "company_id": p.CompanyID.String()}); err != nil {
		return Acceptance{}, err
	}
	return Acceptance{UserID: p.UserID, CompanyID: p.CompanyID, ConnectionID: conn.ID}, nil
}

func connTarget(id uuid.UUID) string { return "connection:" + id.String() }

func connDetails(c access.Connection) map[string]string {
	return map[string]string{"customer_id": c.CustomerID.String(), "agency_id": c.AgencyID.String(),
		"permissions": strings.Join(c.Permissions, ",")}
}

// connActor authorizes perm for a member (not an agency acting through a
// connection) of p's company.
func (s *Service) connActor(ctx context.Context, p access.Principal, perm string) (access.Actor, error) {
	a, err := s.acc.Authorize(ctx, p, perm)
	if err != nil {
		return access.Actor{}, err
	}
	if !isMember(a) {
		return access.Actor{}, access.Forbidden("only members of the company manage its connections")
	}
	return a, nil
}

// ListConnections lists the connections of the principal's company, on
// either side; needs USER_VIEW as a member.
func (s *Service) ListConnections(ctx context.Context, p access.Principal, pr access.PageRequest) (access.Page[access.Connection], error) {
	c, err := pr.Cursor()
	if err != nil {
		return access.Page[access.Connection]{}, err
	}
	if _, err := s.connActor(ctx, p, access.UserView); err != nil {
		return access.Page[access.Connection]{}, err
	}
	limit := c.Limit
	c.Limit++
	rows, err := s.st.ListConnections(ctx, p.CompanyID, c)
	if err != nil {
		return access.Page[access.Connection]{}, err
	}
	out := access.Page[access.Connection]{Items: rows}
	if len(rows) > limit {
		out.Items = rows[:limit]
		out.Next = access.EncodeCursor(out.Items[limit-1].ID)
	}
	return out, nil
}

// GetConnection returns a connection of the principal's company, on either
// side, with the agency's permissions in the customer company (seed 003's
// agency roles); needs USER_VIEW as a member. Any other ID is ErrNotFound.
func (s *Service) GetConnection(ctx context.Context, p access.Principal, id uuid.UUID) (access.Connection, error) {
	if _, err := s.connActor(ctx, p, access.UserView); err != nil {
		return access.Connection{}, err
	}
	return s.st.GetConnection(ctx, p.CompanyID, id)
}

// AgencyUpdate changes the agency's permissions in the customer company.
type AgencyUpdate struct {
	Add    []string
	Remove []string
}

// UpdateAgencyPermissions edits what the agency of a connection may do in
// the principal's company, which must be the connection's customer (seed
// 003's agency-roles/edit). Needs USER_EDIT as a member, at least ADMIN
// (the agency acts at ADMIN rank), and every added permission. Removing a
// permission removes the ones that imply it. Errors: ErrInvalid naming the
// field; ErrNotFound; ErrForbidden (also from the agency side).
func (s *Service) UpdateAgencyPermissions(ctx context.Context, p access.Principal, id uuid.UUID, up AgencyUpdate) (access.Connection, error) {
	add, err := s.acc.Catalog().ParsePermissions("add_permissions", up.Add)
	if err != nil {
		return access.Connection{}, err
	}
	// Removal is not closed under implication: removing USER_EDIT keeps
	// USER_VIEW (removing USER_VIEW removes what implies it, below).
	var remove []string
	for _, code := range up.Remove {
		if _, err := s.acc.Catalog().ParsePermissions("remove_permissions", []string{code}); err != nil {
			return access.Connection{}, err
		}
		remove = append(remove, strings.ToUpper(strings.TrimSpace(code)))
	}
	var out access.Connection
	err = s.acc.InTx(ctx, func(ctx context.Context) error {
		a, err := s.connActor(ctx, p, access.UserEdit)
		if err != nil {
			return err
		}
		c, err := s.st.GetConnection(ctx, p.CompanyID, id)
		if err != nil {
			return err
		}
		if c.CustomerID != p.CompanyID {
			return access.Forbidden("only the customer company sets the agency's permissions")
		}
		if err := a.CanGrant(access.LevelAdmin, add); err != nil {
			return err
		}
		perms := slices.DeleteFunc(append(slices.Clone(c.Permissions), add...), func(code string) bool {
			return slices.Contains(remove, code) || slices.Contains(remove, impliedView(code))
		})
		slices.Sort(perms)
		perms = slices.Compact(perms)
		if perms == nil {
			perms = []string{}
		}
		c.Permissions, c.UpdatedAt = perms, s.acc.Now()
		if err := s.st.UpdateConnectionPermissions(ctx, &c); err != nil {
			return err
		}
		details := connDetails(c)
		for _, cid := range []uuid.UUID{c.CustomerID, c.AgencyID} {
			if err := s.acc.Audit(ctx, p, cid, "connection.updated", connTarget(c.ID), details); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	return out, err
}

// impliedView is the _VIEW code an _EDIT, _ADD or _DELETE code implies.
func impliedView(code string) string {
	for _, suffix := range []string{"_EDIT", "_ADD", "_DELETE"} {
		if p, ok := strings.CutSuffix(code, suffix); ok {
			return p + "_VIEW"
		}
	}
	return ""
}

// RemoveConnection ends a connection of the principal's company, from
// either side: from the next check on, the agency's members act in the
// customer company no more. Needs USER_DELETE and at least ADMIN as a
// member. Errors: ErrNotFound; ErrForbidden.
func (s *Service) RemoveConnection(ctx context.Context, p access.Principal, id uuid.UUID) error {
	return s.acc.InTx(ctx, func(ctx context.Context) error {
		a, err := s.connActor(ctx, p, access.UserDelete)
		if err != nil {
			return err
		}
		if a.Level() < access.LevelAdmin {
			return access.Forbidden("removing a connection needs ADMIN or above")
		}
		c, err := s.st.GetConnection(ctx, p.CompanyID, id)
		if err != nil {
			return err
		}
		if err := s.st.DeleteConnection(ctx, p.CompanyID, id); err != nil {
			return err
		}
		details := connDetails(c)
		for _, cid := range []uuid.UUID{c.CustomerID, c.AgencyID} {
			if err := s.acc.Audit(ctx, p, cid, "connection.removed", connTarget(c.ID), details); err != nil {
				return err
			}
		}
		return nil
	})
}
