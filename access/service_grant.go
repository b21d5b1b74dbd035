package access

import (
	"context"
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
	g := Grant{ID: s.newID(), CompanyID: p.CompanyID, Subject: in.Subject, Resource: res, Level: in.Level, CreatedAt: s.Now()}
	if p.Kind != PrincipalSystem {
		g.CreatedBy = p.UserID
	}
	err = s.InTx(ctx, func(ctx context.Context) error {
		mine, err := s.Level(ctx, p, res)
		if err != nil {
			return err
		}
		if mine < LevelAdmin {
			return Forbidden("granting access needs ADMIN or above on %s", res.Type)
		}
		if in.Level > mine {
			return Forbidden("cannot grant a level above your own (%d > %d)", in.Level, mine)
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

func subjectTarget(sub Subject) string { return string(sub.Type) + ":" + sub.ID.String() }

// SubjectChecker verifies that a non-user grant subject (an invitation, an
// API token) exists in a company; packages invite and token register theirs
// with WithSubjectChecker.
type SubjectChecker func(ctx context.Context, companyID, id uuid.UUID) error

// WithSubjectChecker lets grants name subjects of type t.
func WithSubjectChecker(t SubjectType, check SubjectChecker) Option {
	return func(s *Service) {
		if s.subjects == nil {
			s.subjects = map[SubjectType]SubjectChecker{}
		}
		s.subjects[t] = check
	}
}

// RegisterSubject is WithSubjectChecker for a Service already built; call it
// at start-up, before the Service is used concurrently.
func (s *Service) RegisterSubject(t SubjectType, check SubjectChecker) {
	WithSubjectChecker(t, check)(s)
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
	check, ok := s.subjects[sub.Type]
	if !ok {
		return Invalid("subject_type", "unknown subject type %q", sub.Type)
	}
	return check(ctx, companyID, sub.ID)
}

// ListGrants lists the grants of the principal's company, optionally only
// those on the given resources (seed 002's project_ids, inbox_ids,
// domain_ids). Needs ADMIN or above on the account.
func (s *Service) ListGrants(ctx context.Context, p Principal, f GrantFilter) (Page[Grant], error) {
	c, err := f.Page.Cursor()
	if err != nil {
		return Page[Grant]{}, err
	}
	q := GrantQuery{SubjectType: f.SubjectType}
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
		if mine < LevelAdmin || g.Level > mine || g.Level == mine && mine < LevelOwner {
			return Forbidden("revoking this grant needs a level above %d on %s", g.Level, g.Resource.Type)
		}
		if err := s.store.DeleteGrant(ctx, p.CompanyID, grantID); err != nil {
			return err
		}
		return s.Audit(ctx, p, p.CompanyID, "grant.revoked", subjectTarget(g.Subject),
			map[string]string{"resource_type": g.Resource.Type, "resource_id": g.Resource.ID, "level": strconv.Itoa(g.Level)})
	})
	return g, err
}
