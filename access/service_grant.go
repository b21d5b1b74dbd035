package access

import (
	"context"
	"errors"
	"maps"
	"strconv"

	"github.com/google/uuid"
)

// Grant gives a subject an access level on one resource of the principal's
// company (seed 002). The principal needs at least ADMIN on that resource
// and never grants a level above its own there. A user subject must be a
// member of the company. Errors: ErrInvalid naming the field, ErrNotFound
// for a subject outside the company, ErrConflict (code "grant_exists"),
// ErrForbidden.
func (s *Service) Grant(ctx context.Context, p Principal, in NewGrant) (Grant, error) {
	res, err := in.Resource.normalize()
	if err != nil {
		return Grant{}, err
	}
	if !validLevels[in.Level] {
		return Grant{}, Invalid("access_level", "access level must be one of 1000, 100, 50, 10, 1")
	}
	if in.Subject.Type == SubjectUser && res.Type == ResourceAccount {
		// One model: a member's account level is their role.
		return Grant{}, Invalid("resource_type", "a member's access to the account is their role: change the role instead")
	}
	g := Grant{ID: s.newID(), CompanyID: p.CompanyID, Subject: in.Subject, Resource: res, Level: in.Level, CreatedAt: s.Now()}
	if p.Kind != PrincipalSystem {
		g.CreatedBy = p.UserID
	}
	err = s.InTx(ctx, func(ctx context.Context) error {
		mine, err := s.Level(ctx, p, res)
		if err != nil {
			return err
		}
		if err := administers(mine, res); err != nil {
			return err
		}
		if err := withinOwn(in.Level, mine); err != nil {
			return err
		}
		if err := s.checkSubject(ctx, p.CompanyID, in.Subject); err != nil {
			return err
		}
		if err := s.store.CreateGrant(ctx, &g); err != nil {
			return err
		}
		return s.Audit(ctx, p, p.CompanyID, "grant.created", subjectTarget(in.Subject),
			map[string]string{"resource_type": res.Type, "resource_id": res.ID, "level": strconv.Itoa(in.Level)})
	})
	if err != nil {
		return Grant{}, err
	}
	return g, nil
}

// administers is the threshold of managing grants on a resource: ADMIN or
// above there.
func administers(level int, r Resource) error {
	if level < LevelAdmin {
		return Forbidden("managing access to %s needs ADMIN or above there", r.Type)
	}
	return nil
}

func subjectTarget(sub Subject) string { return string(sub.Type) + ":" + sub.ID.String() }

// SubjectKind is what package invite or token tells access about a kind
// of grant subject it owns (SubjectInvite, SubjectToken). They register
// theirs when they are built over the Service (invite.NewService,
// token.NewService), so a Service always knows the subjects of the
// services built on it.
type SubjectKind struct {
	// Check verifies that the subject exists in the company and may hold
	// grants there.
	Check func(ctx context.Context, companyID, id uuid.UUID) error
	// Withdraw withdraws the subject itself for p (revokes the pending
	// invitation, the API token), in the transaction of ctx: RemoveAccess
	// calls it after revoking the subject's grant. A subject already gone
	// or closed is not an error.
	Withdraw func(ctx context.Context, p Principal, id uuid.UUID) error
	// HandsTo, if set, lets the subject's grants pass to the member with
	// e-mail (NewMember.GrantsFrom): nil only when they are that person's
	// (an invitation accepted for that e-mail), ErrForbidden otherwise. A
	// kind without it hands its grants to no one.
	HandsTo func(ctx context.Context, companyID, id uuid.UUID, email string) error
	// List, if set, lists the company's account accesses of this kind
	// that stand (a pending invitation, a live token), as q asks (seed
	// 002): each with ID and Subject the subject's, its Role or Level and
	// its Specifier (a token's CreatedBy; access adds the author's name).
	// Resources are access's to fill. Without it the kind has no account
	// accesses.
	List func(ctx context.Context, companyID uuid.UUID, q SubjectQuery) ([]AccountAccess, error)
}

// RegisterSubject lets grants name subjects of type t. It is safe to call
// while the Service is in use.
func (s *Service) RegisterSubject(t SubjectType, k SubjectKind) {
	s.subjectsMu.Lock()
	defer s.subjectsMu.Unlock()
	next := maps.Clone(s.subjects)
	if next == nil {
		next = map[SubjectType]SubjectKind{}
	}
	next[t] = k
	s.subjects = next
}

func (s *Service) subjectKind(t SubjectType) (SubjectKind, bool) {
	s.subjectsMu.RLock()
	defer s.subjectsMu.RUnlock()
	k, ok := s.subjects[t]
	return k, ok
}

func (s *Service) checkSubject(ctx context.Context, companyID uuid.UUID, sub Subject) error {
	if sub.ID == uuid.Nil {
		return Invalid("subject_id", "subject id is required")
	}
	if sub.Type == SubjectUser {
		m, err := s.store.GetMembership(ctx, companyID, sub.ID)
		if err != nil {
			if isNotFound(err) {
				return NotFound(CodeUserNotFound)
			}
			return err
		}
		if !m.Active {
			return Conflict(CodeMemberInactive, "the user's membership is deactivated")
		}
		return nil
	}
	k, ok := s.subjectKind(sub.Type)
	if !ok || k.Check == nil {
		return Invalid("subject_type", "unknown subject type %q", sub.Type)
	}
	return k.Check(ctx, companyID, sub.ID)
}

// ListGrants lists the grants of the principal's company, optionally only
// those on the given resources (seed 002's project_ids, inbox_ids,
// domain_ids). Needs ADMIN or above on the account.
func (s *Service) ListGrants(ctx context.Context, p Principal, f GrantFilter) (Page[Grant], error) {
	c, err := f.Page.Cursor()
	if err != nil {
		return Page[Grant]{}, err
	}
	q := GrantQuery{SubjectType: f.SubjectType, Subject: f.Subject, Subjects: f.Subjects}
	for _, r := range f.Resources {
		r, err := r.normalize()
		if err != nil {
			return Page[Grant]{}, err
		}
		q.Resources = append(q.Resources, r)
	}
	if err := s.CheckLevel(ctx, p, Resource{Type: ResourceAccount}, LevelAdmin); err != nil {
		return Page[Grant]{}, err
	}
	limit := c.Limit
	c.Limit++
	rows, err := s.store.ListGrants(ctx, p.CompanyID, q, c)
	if err != nil {
		return Page[Grant]{}, err
	}
	return pageOf(rows, limit, func(g Grant) uuid.UUID { return g.ID }), nil
}

// RemoveAccess revokes one grant as Revoke does and, for a grant held by a
// pending invitation or an API token, withdraws that subject too (the invitation is revoked, the
// token revoked), in one transaction. Withdrawing needs what withdrawing
// needs on its own (invite.Service.Revoke, token.Service.Revoke: USER_DELETE
// above a token's level, for instance); without it nothing changes.
func (s *Service) RemoveAccess(ctx context.Context, p Principal, grantID uuid.UUID) (Grant, error) {
	var g Grant
	err := s.InTx(ctx, func(ctx context.Context) error {
		var err error
		if g, err = s.Revoke(ctx, p, grantID); err != nil {
			return err
		}
		if k, ok := s.subjectKind(g.Subject.Type); ok && k.Withdraw != nil {
			return k.Withdraw(ctx, p, g.Subject.ID)
		}
		return nil
	})
	return g, err
}

// RemoveSubjectGrants removes every grant a subject other than a user
// holds in the principal's company once the subject itself is gone (a
// closed invitation, a revoked API token: its registered SubjectKind.Check
// refuses it), reports how many there were and records it. A subject that
// still stands keeps its grants (ErrForbidden): they are revoked one by
// one, by someone who may (Revoke). A user's grants go with their
// membership.
func (s *Service) RemoveSubjectGrants(ctx context.Context, p Principal, sub Subject) (int, error) {
	k, ok := s.subjectKind(sub.Type)
	if sub.Type == SubjectUser || !ok || k.Check == nil {
		return 0, Invalid("subject_type", "only the grants of an invitation or a token go with their subject")
	}
	if _, err := s.Authorize(ctx, p, ""); err != nil {
		return 0, err
	}
	if err := k.Check(ctx, p.CompanyID, sub.ID); err == nil {
		return 0, Forbidden("the %s still stands: its grants are revoked one by one", sub.Type)
	} else if !errors.Is(err, ErrConflict) && !isNotFound(err) && !errors.Is(err, ErrInvalid) {
		return 0, err
	}
	n, err := s.store.DeleteSubjectGrants(ctx, p.CompanyID, sub)
	if err != nil || n == 0 {
		return n, err
	}
	return n, s.Audit(ctx, p, p.CompanyID, "grants.removed", subjectTarget(sub), map[string]string{"count": strconv.Itoa(n)})
}

// moveGrants hands every grant of from in the company to to. Where to
// already holds a grant on the same resource, the higher level stays on
// to's grant and from's goes. The stores only move rows; this is the one
// place of the policy.
func (s *Service) moveGrants(ctx context.Context, companyID uuid.UUID, from, to Subject) error {
	moving, err := s.allGrants(ctx, companyID, from)
	if err != nil || len(moving) == 0 {
		return err
	}
	held, err := s.allGrants(ctx, companyID, to)
	if err != nil {
		return err
	}
	byResource := make(map[Resource]Grant, len(held))
	for _, g := range held {
		byResource[g.Resource] = g
	}
	for _, g := range moving {
		h, ok := byResource[g.Resource]
		if !ok {
			if err := s.store.SetGrantSubject(ctx, companyID, g.ID, to); err != nil {
				return err
			}
			continue
		}
		if g.Level > h.Level {
			if err := s.store.UpdateGrantLevel(ctx, companyID, h.ID, g.Level); err != nil {
				return err
			}
		}
		if err := s.store.DeleteGrant(ctx, companyID, g.ID); err != nil {
			return err
		}
	}
	return nil
}

// allGrants lists every grant of a subject in the company.
func (s *Service) allGrants(ctx context.Context, companyID uuid.UUID, sub Subject) ([]Grant, error) {
	var all []Grant
	c := Cursor{Limit: MaxPageLimit}
	for {
		page, err := s.store.ListGrants(ctx, companyID, GrantQuery{Subject: &sub}, c)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < c.Limit {
			return all, nil
		}
		c.After = page[len(page)-1].ID
	}
}

// Revoke removes a grant of the principal's company. Needs ADMIN or above
// on the resource, and a grant above the principal's own level there can
// only be revoked by an OWNER. A grant of another company is ErrNotFound.
func (s *Service) Revoke(ctx context.Context, p Principal, grantID uuid.UUID) (Grant, error) {
	var g Grant
	err := s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Level(ctx, p, Resource{Type: ResourceAccount}); err != nil {
			return err
		}
		var err error
		if g, err = s.store.GetGrant(ctx, p.CompanyID, grantID); err != nil {
			return err
		}
		mine, err := s.Level(ctx, p, g.Resource)
		if err != nil {
			return err
		}
		if err := administers(mine, g.Resource); err != nil {
			return err
		}
		if !outranks(mine, g.Level, mine >= LevelOwner) {
			return Forbidden("only an OWNER may revoke a grant at or above their own level (%d on %s)", g.Level, g.Resource.Type)
		}
		if err := s.store.DeleteGrant(ctx, p.CompanyID, grantID); err != nil {
			return err
		}
		return s.Audit(ctx, p, p.CompanyID, "grant.revoked", subjectTarget(g.Subject),
			map[string]string{"resource_type": g.Resource.Type, "resource_id": g.Resource.ID, "level": strconv.Itoa(g.Level)})
	})
	return g, err
}
