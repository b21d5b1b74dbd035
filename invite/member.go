package invite

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
	"github.com/google/uuid"
)

// Invite invites a person by e-mail into the principal's company with a
// role and optional extra permissions. The principal needs USER_ADD and
// never offers a role above its own level or a permission it lacks. It
// works the same whether the e-mail belongs to a user or not.
//
// An e-mail with a pending invitation of the company gets that invitation
// back, refreshed (the new terms, a renewed expiry, a new link: the old one
// stops working; Issued carries the new Token and Existing is true). The
// principal must also be able to grant the terms it rewrites. Errors:
// ErrInvalid naming the field;
// ErrConflict (code "already_member") for a user who is a member already,
// active or not; ErrForbidden.
func (s *Service) Invite(ctx context.Context, p access.Principal, in NewInvitation) (Issued, error) {
	email, err := access.NormalizeEmail(in.Email)
	if err != nil {
		return Issued{}, err
	}
	role, err := s.acc.Catalog().ParseRole("role", in.Role)
	if err != nil {
		return Issued{}, err
	}
	extra, err := s.acc.Catalog().ParsePermissions("permissions", in.Permissions)
	if err != nil {
		return Issued{}, err
	}
	draft := Invitation{Kind: KindMember, Email: email, Role: role.Code, Permissions: extra}
	return s.issue(ctx, p, draft, role.Level, append(slices.Clone(role.Permissions), extra...))
}

// issue creates draft in p's company, or refreshes the pending invitation
// of the same kind and e-mail. level and perms are what the invitation
// offers, checked against the principal's rank.
func (s *Service) issue(ctx context.Context, p access.Principal, draft Invitation, level int, perms []string) (Issued, error) {
	for attempt := 0; ; attempt++ {
		out, err := s.issueOnce(ctx, p, draft, level, perms)
		// A concurrent Invite of the same e-mail won the insert: refresh
		// the invitation it created instead.
		if attempt < 2 && errors.Is(err, ErrInvitationPending) {
			continue
		}
		return out, err
	}
}

func (s *Service) issueOnce(ctx context.Context, p access.Principal, draft Invitation, level int, perms []string) (Issued, error) {
	var out Issued
	err := s.inTx(ctx, func(ctx context.Context, emit func(Event)) error {
		a, err := s.acc.Authorize(ctx, p, access.UserAdd)
		if err != nil {
			return err
		}
		if draft.Kind == KindConnection && !a.IsMember() {
			return access.Forbidden("only a member of the company may connect it to another one")
		}
		if err := a.CanGrant(level, perms); err != nil {
			return err
		}
		if draft.Kind == KindMember {
			if err := s.acc.CanJoin(ctx, p, draft.Email); err != nil {
				return err
			}
		}
		now := s.acc.Now()
		cur, err := s.st.GetPendingInvitation(ctx, p.CompanyID, draft.Kind, draft.Email)
		switch {
		case err == nil && cur.StatusAt(now) == StatusPending:
			// Rewriting a pending invitation is granting its current terms
			// too: only someone who could have issued them may.
			curLevel := s.acc.Catalog().Level(cur.Role)
			if cur.Kind == KindConnection {
				curLevel = access.LevelAdmin
			}
			if err := a.CanGrant(curLevel, cur.Permissions); err != nil {
				return err
			}
			return s.refresh(ctx, p, cur, draft, now, emit, &out)
		case err == nil:
			// Expired while pending: close it, so that it never blocks.
			if err := s.close(ctx, p, cur, StatusExpired, now); err != nil {
				return err
			}
		case !errors.Is(err, access.ErrNotFound):
			return err
		}
		tok, hash := s.newToken(draft.Kind)
		inv := draft
		inv.ID = s.acc.NewID()
		inv.CompanyID = p.CompanyID
		inv.InvitedBy, inv.InvitedByToken = invitedBy(p), p.TokenID
		inv.Status = StatusPending
		inv.TokenHash = hash
		inv.ExpiresAt = now.Add(s.validity)
		inv.SendCount = 1
		inv.LastSentAt = now
		inv.CreatedAt, inv.UpdatedAt = now, now
		if inv.Permissions == nil {
			inv.Permissions = []string{}
		}
		if err := s.st.CreateInvitation(ctx, &inv); err != nil {
			return err
		}
		if err := s.acc.Audit(ctx, p, p.CompanyID, "invitation.created", inviteTarget(inv.ID), terms(inv)); err != nil {
			return err
		}
		e, err := s.event(ctx, EventCreated, inv, tok)
		if err != nil {
			return err
		}
		emit(e)
		out = Issued{Invitation: inv.public(now), Token: tok, URL: e.URL}
		return nil
	})
	if err != nil {
		return Issued{}, err
	}
	return out, nil
}

// refresh gives a pending invitation the draft's terms, a new expiry and a
// new token: the earlier link stops working, so it can never be accepted
// with terms it was not sent with.
func (s *Service) refresh(ctx context.Context, p access.Principal, cur, draft Invitation, now time.Time, emit func(Event), out *Issued) error {
	cur.Role, cur.Permissions = draft.Role, draft.Permissions
	cur.Relation, cur.TargetName, cur.TargetID = draft.Relation, draft.TargetName, draft.TargetID
	if cur.Permissions == nil {
		cur.Permissions = []string{}
	}
	cur.InvitedBy, cur.InvitedByToken = invitedBy(p), p.TokenID
	cur.ExpiresAt = now.Add(s.validity)
	cur.UpdatedAt = now
	if err := s.st.RefreshInvitation(ctx, &cur); err != nil {
		return err
	}
	tok, hash := s.newToken(cur.Kind)
	if err := s.st.RotateInvitation(ctx, Rotation{ID: cur.ID, PrevSentAt: cur.LastSentAt, TokenHash: hash,
		ExpiresAt: cur.ExpiresAt, SentAt: now}); err != nil {
		return err
	}
	cur.SendCount++
	cur.LastSentAt = now
	if err := s.acc.Audit(ctx, p, p.CompanyID, "invitation.refreshed", inviteTarget(cur.ID), terms(cur)); err != nil {
		return err
	}
	e, err := s.event(ctx, EventRefreshed, cur, tok)
	if err != nil {
		return err
	}
	emit(e)
	*out = Issued{Invitation: cur.public(now), Token: tok, URL: e.URL, Existing: true}
	return nil
}

// terms are an invitation's audit details: never the token or its hash.
func terms(inv Invitation) map[string]string {
	d := map[string]string{"kind": string(inv.Kind), "email": inv.Email,
		"permissions": strings.Join(inv.Permissions, ","), "expires_at": inv.ExpiresAt.Format(time.RFC3339)}
	if inv.Kind == KindMember {
		d["role"] = inv.Role
	} else {
		d["relation"], d["company_name"] = string(inv.Relation), inv.TargetName
		if inv.TargetID != uuid.Nil {
			d["company_id"] = inv.TargetID.String()
		}
	}
	return d
}

// close moves a pending invitation into a terminal state other than
// accepted, dropping the grants it held, with an audit event.
func (s *Service) close(ctx context.Context, p access.Principal, inv Invitation, to Status, now time.Time) error {
	if err := s.claim(ctx, inv, Transition{ID: inv.ID, From: StatusPending, To: to, At: now}, now); err != nil {
		return err
	}
	// The invitation's state machine has decided: its grants go, whoever
	// closed it (an anonymous invitee's rejection too).
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: inv.CompanyID}
	if _, err := s.acc.RemoveSubjectGrants(ctx, sys, access.Subject{Type: access.SubjectInvite, ID: inv.ID}); err != nil {
		return err
	}
	return s.acc.Audit(ctx, p, inv.CompanyID, "invitation."+string(to), inviteTarget(inv.ID),
		map[string]string{"kind": string(inv.Kind), "email": inv.Email})
}

// claim applies a conditional transition; losing the race is a StateError
// naming the state the winner left.
func (s *Service) claim(ctx context.Context, inv Invitation, t Transition, now time.Time) error {
	err := s.st.ClaimInvitation(ctx, t)
	if !errors.Is(err, ErrNotPending) {
		return err
	}
	cur, gerr := s.st.GetInvitation(ctx, inv.CompanyID, inv.ID)
	if gerr != nil {
		return gerr
	}
	if st := cur.StatusAt(now); st != StatusPending {
		return &StateError{Status: st}
	}
	return err
}

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
		CompanyName: company, ExpiresAt: inv.ExpiresAt}
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
	var out Acceptance
	err := s.inTx(ctx, func(ctx context.Context, emit func(Event)) error {
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
	if _, ok := s.acc.Catalog().Role(inv.Role); !ok {
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
	m, err := s.acc.AddMember(ctx, inviter, access.NewMember{Email: inv.Email, Role: inv.Role, Permissions: inv.Permissions,
		CreateUser: true, NewUserID: u.ID, GrantsFrom: access.Subject{Type: access.SubjectInvite, ID: inv.ID}})
	if err != nil {
		return Acceptance{}, asInviter(err)
	}
	if err := s.acc.Audit(ctx, access.UserPrincipal(m.UserID, inv.CompanyID), inv.CompanyID, "invitation.accepted",
		inviteTarget(inv.ID), map[string]string{"kind": string(inv.Kind), "email": inv.Email, "role": m.Role}); err != nil {
		return Acceptance{}, err
	}
	return Acceptance{UserID: m.UserID, NewUser: isNew, CompanyID: inv.CompanyID}, nil
}

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

func (s *Service) closeAndEmit(ctx context.Context, p access.Principal, inv Invitation, to Status, typ EventType, now time.Time, emit func(Event), out *Invitation) error {
	if err := s.close(ctx, p, inv, to, now); err != nil {
		return err
	}
	inv, err := s.st.GetInvitation(ctx, inv.CompanyID, inv.ID)
	if err != nil {
		return err
	}
	e, err := s.event(ctx, typ, inv, token.Secret{})
	if err != nil {
		return err
	}
	emit(e)
	*out = inv.public(now)
	return nil
}

// offered is the level an invitation offers, for the rank rules of the
// company's own changes to it.
func (s *Service) offered(inv Invitation) int {
	if inv.Kind == KindConnection {
		return access.LevelAdmin
	}
	return s.acc.Catalog().Level(inv.Role)
}

// pending loads a pending invitation of p's company for a change by the
// company: USER_ADD, and never one offering more than p's own level.
func (s *Service) pending(ctx context.Context, p access.Principal, id uuid.UUID, now time.Time) (Invitation, error) {
	a, err := s.acc.Authorize(ctx, p, access.UserAdd)
	if err != nil {
		return Invitation{}, err
	}
	inv, err := s.st.GetInvitation(ctx, p.CompanyID, id)
	if err != nil {
		return Invitation{}, err
	}
	if a.CanGrant(s.offered(inv), nil) != nil {
		return Invitation{}, access.Forbidden("cannot change an invitation above your own level")
	}
	if st := inv.StatusAt(now); st != StatusPending {
		return Invitation{}, &StateError{Status: st}
	}
	return inv, nil
}

// Revoke withdraws a pending invitation of the principal's company (seed
// 001's delete: the record stays, revoked, for the audit trail). Needs
// USER_ADD and at least the level the invitation offers. Errors:
// ErrNotFound (also for another company's invitation); *StateError;
// ErrForbidden.
func (s *Service) Revoke(ctx context.Context, p access.Principal, id uuid.UUID) (Invitation, error) {
	var out Invitation
	err := s.inTx(ctx, func(ctx context.Context, emit func(Event)) error {
		now := s.acc.Now()
		inv, err := s.pending(ctx, p, id, now)
		if err != nil {
			return err
		}
		return s.closeAndEmit(ctx, p, inv, StatusRevoked, EventRevoked, now, emit, &out)
	})
	return out, err
}

// Resend sends a pending invitation of the principal's company again, once
// the cooldown since its last send has passed: a new token (the old link
// stops working) and a renewed expiry. Needs USER_ADD and at least the
// level the invitation offers. Errors: *ResendTooSoonError with the time
// from which it is allowed; *StateError for an invitation that is not
// pending; ErrNotFound; ErrForbidden.
func (s *Service) Resend(ctx context.Context, p access.Principal, id uuid.UUID) (Issued, error) {
	var out Issued
	err := s.inTx(ctx, func(ctx context.Context, emit func(Event)) error {
		now := s.acc.Now()
		inv, err := s.pending(ctx, p, id, now)
		if err != nil {
			return err
		}
		if next := inv.LastSentAt.Add(s.cooldown); now.Before(next) {
			return &ResendTooSoonError{NextAllowedAt: next}
		}
		tok, hash := s.newToken(inv.Kind)
		err = s.st.RotateInvitation(ctx, Rotation{ID: inv.ID, PrevSentAt: inv.LastSentAt, TokenHash: hash,
			ExpiresAt: now.Add(s.validity), SentAt: now})
		if errors.Is(err, ErrNotPending) {
			// A concurrent change won: report what it left.
			cur, gerr := s.st.GetInvitation(ctx, inv.CompanyID, inv.ID)
			if gerr != nil {
				return gerr
			}
			if st := cur.StatusAt(now); st != StatusPending {
				return &StateError{Status: st}
			}
			return &ResendTooSoonError{NextAllowedAt: cur.LastSentAt.Add(s.cooldown)}
		}
		if err != nil {
			return err
		}
		if inv, err = s.st.GetInvitation(ctx, inv.CompanyID, inv.ID); err != nil {
			return err
		}
		if err := s.acc.Audit(ctx, p, p.CompanyID, "invitation.resent", inviteTarget(inv.ID),
			map[string]string{"send_count": strconv.Itoa(inv.SendCount), "expires_at": inv.ExpiresAt.Format(time.RFC3339)}); err != nil {
			return err
		}
		e, err := s.event(ctx, EventResent, inv, tok)
		if err != nil {
			return err
		}
		emit(e)
		out = Issued{Invitation: inv.public(now), Token: tok, URL: e.URL}
		return nil
	})
	if err != nil {
		return Issued{}, err
	}
	return out, nil
}

// Get returns an invitation of the principal's company; needs USER_VIEW.
// Another company's invitation is ErrNotFound.
func (s *Service) Get(ctx context.Context, p access.Principal, id uuid.UUID) (Invitation, error) {
	if _, err := s.acc.Authorize(ctx, p, access.UserView); err != nil {
		return Invitation{}, err
	}
	inv, err := s.st.GetInvitation(ctx, p.CompanyID, id)
	if err != nil {
		return Invitation{}, err
	}
	return inv.public(s.acc.Now()), nil
}

// ListPending lists the pending (not expired) invitations the principal's
// company sent, one keyset page at a time; needs USER_VIEW.
func (s *Service) ListPending(ctx context.Context, p access.Principal, f ListFilter) (access.Page[Invitation], error) {
	c, err := f.Page.Cursor()
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	if f.Kind != "" && f.Kind != KindMember && f.Kind != KindConnection {
		return access.Page[Invitation]{}, access.Invalid("kind", "kind must be %q or %q", KindMember, KindConnection)
	}
	if _, err := s.acc.Authorize(ctx, p, access.UserView); err != nil {
		return access.Page[Invitation]{}, err
	}
	now := s.acc.Now()
	limit := c.Limit
	c.Limit++
	rows, err := s.st.ListPendingInvitations(ctx, p.CompanyID, f.Kind, now, c)
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	return pageOf(rows, limit, now), nil
}

// ListForEmail lists the pending (not expired) invitations of every company
// to an e-mail (seed 001's pending invitations by e-mail): for the user
// with that e-mail, or the system. Errors: ErrInvalid (field "email");
// ErrForbidden for anyone else.
func (s *Service) ListForEmail(ctx context.Context, p access.Principal, email string, pr access.PageRequest) (access.Page[Invitation], error) {
	norm, err := access.NormalizeEmail(email)
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	c, err := pr.Cursor()
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	switch p.Kind {
	case access.PrincipalSystem:
	case access.PrincipalUser:
		u, err := s.acc.GetUser(ctx, p, p.UserID)
		if err != nil && !errors.Is(err, access.ErrNotFound) {
			return access.Page[Invitation]{}, err
		}
		if err != nil || u.Email != norm {
			return access.Page[Invitation]{}, access.Forbidden("only the invited user may list their invitations")
		}
	case access.PrincipalToken:
		return access.Page[Invitation]{}, access.Forbidden("only the invited user may list their invitations")
	default:
		return access.Page[Invitation]{}, access.Unauthenticated("no principal")
	}
	now := s.acc.Now()
	limit := c.Limit
	c.Limit++
	rows, err := s.st.ListPendingByEmail(ctx, norm, now, c)
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	return pageOf(rows, limit, now), nil
}

// pageOf cuts a store result fetched with limit+1 rows into a page.
func pageOf(rows []Invitation, limit int, now time.Time) access.Page[Invitation] {
	out := access.Page[Invitation]{}
	if len(rows) > limit {
		rows = rows[:limit]
		out.Next = access.EncodeCursor(rows[len(rows)-1].ID)
	}
	out.Items = make([]Invitation, len(rows))
	for i, r := range rows {
		out.Items[i] = r.public(now)
	}
	return out
}

// Inbox is what seed 003's invitation listing shows a principal: the
// pending invitations its company sent (one page of ListPending) and, for
// a user, the pending invitations to their own e-mail from any company
// (the first access.MaxPageLimit of them).
type Inbox struct {
	Sent     access.Page[Invitation]
	Received []Invitation
}

// Inbox lists the principal's sent and received invitations. Sending
// needs USER_VIEW, as ListPending; a principal that is not a user
// receives none.
func (s *Service) Inbox(ctx context.Context, p access.Principal, f ListFilter) (Inbox, error) {
	sent, err := s.ListPending(ctx, p, f)
	if err != nil {
		return Inbox{}, err
	}
	out := Inbox{Sent: sent, Received: []Invitation{}}
	if p.Kind != access.PrincipalUser {
		return out, nil
	}
	u, err := s.acc.GetUser(ctx, p, p.UserID)
	if err != nil {
		return Inbox{}, err
	}
	got, err := s.ListForEmail(ctx, p, u.Email, access.PageRequest{Limit: access.MaxPageLimit})
	if err != nil {
		return Inbox{}, err
	}
	out.Received = got.Items
	return out, nil
}
