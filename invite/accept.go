package invite

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
	"github.com/google/uuid"
)

// Preview shows what the invitation with this token offers, to whoever
// holds the token, without authentication (seed 001's get by code). A
// malformed, unknown or replaced token is ErrNotFound.
func (s *Service) Preview(ctx context.Context, secret string) (Preview, error) {
	inv, err := s.byToken(ctx, secret)
	if err != nil {
		return Preview{}, err
	}
	company, _, err := s.parties(ctx, inv)
	if err != nil {
		return Preview{}, err
	}
	pv := Preview{ID: inv.ID, Kind: inv.Kind, Status: inv.StatusAt(s.acc.Now()), Email: inv.Email,
		CompanyName: company, ExpiresAt: inv.ExpiresAt, CompanyID: inv.CompanyID}
	if inv.Kind == KindMember {
		pv.Role, pv.Permissions = inv.Role, slices.Clone(inv.Permissions)
	} else {
		pv.Relation, pv.TargetName = inv.Relation, inv.TargetName
	}
	if inv.InvitedBy != uuid.Nil {
		u, err := s.acc.GetUser(ctx, access.SystemPrincipal(), inv.InvitedBy)
		switch {
		case err == nil:
			pv.InviterName = u.FullName()
			if pv.InviterName == "" {
				pv.InviterName = u.Email
			}
		case !errors.Is(err, access.ErrNotFound):
			return Preview{}, err
		}
	}
	return pv, nil
}

// Accept accepts the invitation with this token.
//
// A member invitation may be accepted anonymously (the token is the
// proof) or by a signed-in user, who must be the invited e-mail's user
// (else ErrEmailMismatch). It creates the user if the e-mail is new,
// makes them a member with the invited role and permissions, and hands
// them the grants the invitation held. A company invitation needs the
// invited user signed in and acting for the invited company with at least
// ADMIN there; it connects the two companies.
//
// All of it is one transaction, claimed by a conditional write: of two
// concurrent accepts one succeeds, the other gets a *StateError. At accept
// time the inviter must still be able to grant what the invitation offers
// (else ErrInviterNotAuthorized). Errors: ErrNotFound for a token that
// does not work; *StateError for an invitation that is not pending;
// ErrConflict "already_member" or "already_connected".
func (s *Service) Accept(ctx context.Context, p access.Principal, secret string) (Acceptance, error) {
	if p.Kind == access.PrincipalToken {
		return Acceptance{}, access.Forbidden("an API token cannot accept an invitation")
	}
	if p.SessionConfined {
		// A session someone else asked for (provisioning) is not its
		// user's consent to join anything.
		return Acceptance{}, access.Forbidden("a provisioned session cannot accept invitations for its user")
	}
	var out Acceptance
	err := s.inTx(ctx, func(ctx context.Context, emit func(Event)) error {
		s.acc.Attempt(ctx, p, "invitation.accept")
		inv, err := s.byToken(ctx, secret)
		if err != nil {
			return err
		}
		now := s.acc.Now()
		if st := inv.StatusAt(now); st != StatusPending {
			return &StateError{Status: st}
		}
		if inv.Kind == KindConnection {
			out, err = s.acceptConnection(ctx, p, inv, now)
		} else {
			out, err = s.acceptMember(ctx, p, inv, now)
		}
		if err != nil {
			return err
		}
		// What the claim stored, without reading it back.
		inv.Status, inv.ClosedAt, inv.UpdatedAt = StatusAccepted, now, now
		inv.UserID = out.UserID
		if inv.Kind == KindConnection {
			inv.TargetID, inv.ConnectionID = out.CompanyID, out.ConnectionID
		}
		out.Invitation = inv.public(now)
		e, err := s.event(ctx, EventAccepted, inv, token.Secret{})
		if err != nil {
			return err
		}
		emit(e)
		return nil
	})
	if err != nil {
		return Acceptance{}, err
	}
	return out, nil
}

// checkInvitee refuses a signed-in user who is not the invited e-mail's.
func (s *Service) checkInvitee(ctx context.Context, p access.Principal, inv Invitation) error {
	if p.Kind != access.PrincipalUser {
		return nil
	}
	u, err := s.acc.GetUser(ctx, p, p.UserID)
	if err != nil {
		if errors.Is(err, access.ErrNotFound) {
			return access.Unauthenticated("unknown user")
		}
		return err
	}
	if u.Email != inv.Email {
		return ErrEmailMismatch
	}
	return nil
}

// inviter is the principal an invitation acts as when it takes effect:
// the inviting user, the API token that sent it (while the token stands),
// or the system, in the inviting company. ErrInviterNotAuthorized when the
// token no longer stands.
func (s *Service) inviter(ctx context.Context, inv Invitation) (access.Principal, error) {
	if inv.InvitedBy != uuid.Nil {
		// A disabled (or erased) inviter, and so the tokens they made,
		// vouches for nothing any more.
		u, err := s.acc.GetUser(ctx, access.SystemPrincipal(), inv.InvitedBy)
		if errors.Is(err, access.ErrNotFound) || err == nil && u.Status != access.UserActive {
			return access.Principal{}, ErrInviterNotAuthorized
		}
		if err != nil {
			return access.Principal{}, err
		}
	}
	if inv.InvitedByToken != uuid.Nil {
		p, err := s.tok.Standing(ctx, inv.CompanyID, inv.InvitedByToken)
		if errors.Is(err, access.ErrNotFound) {
			return access.Principal{}, ErrInviterNotAuthorized
		}
		return p, err
	}
	return inviterPrincipal(inv), nil
}

// asInviter turns a refusal of the inviter's authority (removed,
// deactivated, demoted since) into ErrInviterNotAuthorized: the invitation
// offers what its inviter may no longer grant.
func asInviter(err error) error {
	if errors.Is(err, access.ErrForbidden) || errors.Is(err, access.ErrNotFound) && access.CodeOf(err) == access.CodeCompanyNotFound ||
		errors.Is(err, access.ErrUnauthenticated) {
		return ErrInviterNotAuthorized
	}
	return err
}

func (s *Service) acceptMember(ctx context.Context, p access.Principal, inv Invitation, now time.Time) (Acceptance, error) {
	if err := s.checkInvitee(ctx, p, inv); err != nil {
		return Acceptance{}, err
	}
	if _, err := s.acc.RoleIn(ctx, inv.CompanyID, "role", inv.Role); access.CodeOf(err) == access.CodeInvalid {
		return Acceptance{}, access.Conflict(access.CodeUnknownRole, "the invited role %s no longer exists", inv.Role)
	}
	inviter, err := s.inviter(ctx, inv)
	if err != nil {
		return Acceptance{}, err
	}
	// The user, found or about to be created, is known before the claim,
	// so the claim (the row lock that serialises concurrent accepts) comes
	// first and records the member. The membership is then added under the
	// inviter's authority, checked again now, and the invitation's grants
	// pass to the member.
	u, err := s.acc.GetUserByEmail(ctx, access.SystemPrincipal(), inv.Email)
	isNew := errors.Is(err, access.ErrNotFound)
	if err != nil && !isNew {
		return Acceptance{}, err
	}
	if isNew {
		u.ID = s.acc.NewID()
	}
	if err := s.claim(ctx, inv, Transition{ID: inv.ID, From: StatusPending, To: StatusAccepted, At: now, UserID: u.ID}, now); err != nil {
		return Acceptance{}, err
	}
	// Any failure below fails the whole accept: AddMember joins this
	// transaction without a savepoint, and handsTo knows the invitation
	// just claimed without reading it again.
	claimed := inv
	claimed.Status = StatusAccepted
	ctx = context.WithValue(access.Joined(ctx), claimedKey{}, claimed)
	// Accepting is the invitee's consent: the inviter need not see them.
	// The user found is named by ID; a new one is created with the ID
	// the claim recorded (without a second look: one created meanwhile
	// is ErrConflict).
	nm := access.NewMember{Role: inv.Role, Permissions: inv.Permissions, Consented: true,
		GrantsFrom: access.Subject{Type: access.SubjectInvite, ID: inv.ID}}
	if isNew {
		nm.Email, nm.CreateUser, nm.NewUserID = inv.Email, true, u.ID
	} else {
		nm.UserID = u.ID
	}
	m, err := s.acc.AddMember(ctx, inviter, nm)
	if err != nil {
		return Acceptance{}, asInviter(err)
	}
	if err := s.acc.Audit(ctx, access.UserPrincipal(m.UserID, inv.CompanyID), inv.CompanyID, "invitation.accepted",
		inviteTarget(inv.ID), map[string]string{"kind": string(inv.Kind), "email": inv.Email, "role": m.Role}); err != nil {
		return Acceptance{}, err
	}
	return Acceptance{UserID: m.UserID, NewUser: isNew, CompanyID: inv.CompanyID}, nil
}

// claimedKey carries, in the context of an accept's transaction, the
// invitation it claimed (as it now stands).
type claimedKey struct{}

// Reject declines the invitation with this token, for its invitee: anyone
// holding the token, or a signed-in user who must be the invited e-mail's
// (else ErrEmailMismatch). Grants the invitation held are dropped. Errors:
// ErrNotFound for a token that does not work; *StateError for an
// invitation that is not pending.
func (s *Service) Reject(ctx context.Context, p access.Principal, secret string) (Invitation, error) {
	return s.RejectByID(ctx, p, uuid.Nil, secret)
}

// RejectByID is Reject for a client that also names the invitation (seed
// 003's /access/invite/{invitation_id}/reject): a token that does not
// belong to invitation id is ErrNotFound, as an unknown one. uuid.Nil
// names no invitation.
func (s *Service) RejectByID(ctx context.Context, p access.Principal, id uuid.UUID, secret string) (Invitation, error) {
	if p.Kind == access.PrincipalToken {
		return Invitation{}, access.Forbidden("an API token cannot reject an invitation")
	}
	var out Invitation
	err := s.inTx(ctx, func(ctx context.Context, emit func(Event)) error {
		inv, err := s.byToken(ctx, secret)
		if err != nil {
			return err
		}
		if id != uuid.Nil && inv.ID != id {
			return notFoundInvitation()
		}
		now := s.acc.Now()
		if st := inv.StatusAt(now); st != StatusPending {
			return &StateError{Status: st}
		}
		if err := s.checkInvitee(ctx, p, inv); err != nil {
			return err
		}
		return s.closeAndEmit(ctx, p, inv, StatusRejected, EventRejected, now, emit, &out)
	})
	return out, err
}
