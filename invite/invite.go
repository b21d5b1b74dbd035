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
// stops working; Issued carries the new Token and Existing is true), once
// the resend cooldown since its last send has passed, exactly as Resend
// (*ResendTooSoonError otherwise: to change the terms sooner, Revoke it
// and invite again). The principal must also be able to grant the terms
// it rewrites. Errors: ErrInvalid naming the field; *ResendTooSoonError;
// ErrConflict (code "already_member") for a user who is a member already,
// active or not; ErrForbidden.
func (s *Service) Invite(ctx context.Context, p access.Principal, in NewInvitation) (Issued, error) {
	email, err := access.NormalizeEmail(in.Email)
	if err != nil {
		return Issued{}, err
	}
	role, err := s.acc.RoleIn(ctx, p.CompanyID, "role", in.Role)
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
// of the same kind, e-mail and target (Invitation.Target). level and perms
// are what the invitation offers, checked against the principal's rank.
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
		cur, err := s.st.GetPendingInvitation(ctx, p.CompanyID, draft.Kind, draft.Email, draft.Target())
		found := err == nil
		if !found && !errors.Is(err, access.ErrNotFound) {
			return err
		}
		if found && cur.StatusAt(now) == StatusPending {
			// Rewriting a pending invitation is granting its current terms
			// too: only someone who could have issued them may.
			curLevel, err := s.offered(ctx, cur)
			if err != nil {
				return err
			}
			if err := a.CanGrant(curLevel, cur.Permissions); err != nil {
				return err
			}
			if err := s.sendAllowed(cur.LastSentAt, now); err != nil {
				return err
			}
			if err := s.admitSend(ctx, p, cur.ID, now); err != nil {
				return err
			}
			return s.refresh(ctx, p, cur, draft, now, emit, &out)
		}
		id := s.acc.NewID()
		if err := s.admitSend(ctx, p, id, now); err != nil {
			return err
		}
		if found {
			// Expired while pending: close it, so that it never blocks.
			if err := s.close(ctx, p, cur, StatusExpired, now); err != nil {
				return err
			}
		}
		tok, hash := s.newToken(draft.Kind)
		inv := draft
		inv.ID = id
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
		out, err = s.announce(ctx, p, inv, EventCreated, terms(inv), tok, now, emit)
		return err
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
	err := s.st.RotateInvitation(ctx, Rotation{ID: cur.ID, PrevSentAt: cur.LastSentAt, TokenHash: hash,
		ExpiresAt: cur.ExpiresAt, SentAt: now})
	if errors.Is(err, ErrNotPending) {
		return s.lostRotation(ctx, cur, now, err)
	}
	if err != nil {
		return err
	}
	cur.SendCount++
	cur.LastSentAt = now
	is, err := s.announce(ctx, p, cur, EventRefreshed, terms(cur), tok, now, emit)
	is.Existing = true
	*out = is
	return err
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
func (s *Service) offered(ctx context.Context, inv Invitation) (int, error) {
	if inv.Kind == KindConnection {
		return access.LevelAdmin, nil
	}
	return s.acc.RoleLevel(ctx, inv.CompanyID, inv.Role)
}

// pending loads a pending invitation of p's company for a change by the
// company (see own).
func (s *Service) pending(ctx context.Context, p access.Principal, id uuid.UUID, now time.Time) (Invitation, error) {
	inv, err := s.own(ctx, p, id)
	if err != nil {
		return Invitation{}, err
	}
	if st := inv.StatusAt(now); st != StatusPending {
		return Invitation{}, &StateError{Status: st}
	}
	return inv, nil
}

// own loads an invitation of p's company, in any status, for a change by
// the company: USER_ADD, and never one offering more than p's own level.
func (s *Service) own(ctx context.Context, p access.Principal, id uuid.UUID) (Invitation, error) {
	a, err := s.acc.Authorize(ctx, p, access.UserAdd)
	if err != nil {
		return Invitation{}, err
	}
	inv, err := s.st.GetInvitation(ctx, p.CompanyID, id)
	if err != nil {
		return Invitation{}, err
	}
	level, err := s.offered(ctx, inv)
	if err != nil {
		return Invitation{}, err
	}
	if a.CanGrant(level, nil) != nil {
		return Invitation{}, access.Forbidden("cannot change an invitation above your own level")
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

// Resend sends a pending or expired invitation of the principal's company
// again, once the cooldown since its last send has passed: a new token
// (the old link stops working) and a renewed expiry; an expired one is
// pending again (the grants it held when it was closed as expired stay
// gone). Needs USER_ADD and at least the level the invitation offers; it
// counts against the hourly limits. Of two concurrent resends one wins.
// Errors: *ResendTooSoonError with the time from which it is allowed;
// *StateError for an invitation accepted, rejected or revoked;
// ErrInvitationPending when the e-mail has another pending invitation of
// the company by now; *RateLimitedError; ErrNotFound; ErrForbidden.
func (s *Service) Resend(ctx context.Context, p access.Principal, id uuid.UUID) (Issued, error) {
	var out Issued
	err := s.inTx(ctx, func(ctx context.Context, emit func(Event)) error {
		now := s.acc.Now()
		inv, err := s.own(ctx, p, id)
		if err != nil {
			return err
		}
		from, was := inv.Status, inv.StatusAt(now)
		if was != StatusPending && was != StatusExpired {
			return &StateError{Status: was}
		}
		if err := s.sendAllowed(inv.LastSentAt, now); err != nil {
			return err
		}
		if err := s.admitSend(ctx, p, inv.ID, now); err != nil {
			return err
		}
		tok, hash := s.newToken(inv.Kind)
		err = s.st.RotateInvitation(ctx, Rotation{ID: inv.ID, From: from, PrevSentAt: inv.LastSentAt, TokenHash: hash,
			ExpiresAt: now.Add(s.validity), SentAt: now})
		if errors.Is(err, ErrNotPending) {
			return s.lostRotation(ctx, inv, now, err)
		}
		if err != nil {
			return err
		}
		if inv, err = s.st.GetInvitation(ctx, inv.CompanyID, inv.ID); err != nil {
			return err
		}
		details := map[string]string{"send_count": strconv.Itoa(inv.SendCount), "expires_at": inv.ExpiresAt.Format(time.RFC3339)}
		if was == StatusExpired {
			details["reopened"] = "true"
		}
		out, err = s.announce(ctx, p, inv, EventResent, details, tok, now, emit)
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	return out, nil
}

// sendAllowed is the resend cooldown, the one rule of how soon an
// invitation is sent again, by Resend or by inviting its e-mail again: an
// invitation last sent at last goes out again from last + the cooldown on
// (WithResendCooldown), else *ResendTooSoonError saying when.
func (s *Service) sendAllowed(last, now time.Time) error {
	if next := s.nextSend(last); now.Before(next) {
		return &ResendTooSoonError{NextAllowedAt: next}
	}
	return nil
}

// nextSend is when an invitation last sent at last may be sent again.
func (s *Service) nextSend(last time.Time) time.Time { return last.Add(s.cooldown) }

// lostRotation reports why rotating inv's token (err, ErrNotPending) found
// it changed: a concurrent change won, and this says what it left. A
// concurrent send makes this one too soon, as sendAllowed would say now.
func (s *Service) lostRotation(ctx context.Context, inv Invitation, now time.Time, err error) error {
	cur, gerr := s.st.GetInvitation(ctx, inv.CompanyID, inv.ID)
	if gerr != nil {
		return gerr
	}
	switch st := cur.StatusAt(now); {
	case st != StatusPending && st != StatusExpired:
		return &StateError{Status: st}
	case !cur.LastSentAt.Equal(inv.LastSentAt):
		return &ResendTooSoonError{NextAllowedAt: s.nextSend(cur.LastSentAt)}
	}
	return err // closed as expired meanwhile, unsent: try again
}

// announce records a send of inv (its audit event "invitation.<typ>" with
// details), hands its event to emit for the Notifier, and returns what the
// caller is shown: the invitation and its new link, once.
func (s *Service) announce(ctx context.Context, p access.Principal, inv Invitation, typ EventType, details map[string]string,
	tok token.Secret, now time.Time, emit func(Event)) (Issued, error) {
	if err := s.acc.Audit(ctx, p, p.CompanyID, "invitation."+string(typ), inviteTarget(inv.ID), details); err != nil {
		return Issued{}, err
	}
	e, err := s.event(ctx, typ, inv, tok)
	if err != nil {
		return Issued{}, err
	}
	emit(e)
	return Issued{Invitation: inv.public(now), Token: tok, URL: e.URL}, nil
}
