package memstore

import (
	"context"
	"slices"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// grantKey is unique per grant: one subject, one resource, one company.
type grantKey struct {
	company  uuid.UUID
	subject  access.Subject
	resource access.Resource
}

// subjectKey files grants under their holder in one company.
type subjectKey struct {
	company uuid.UUID
	subject access.Subject
}

// grantTables holds the grants, unique per subject and resource.
type grantTables struct {
	grants        table[uuid.UUID, access.Grant]
	grantByKey    table[grantKey, uuid.UUID]
	companyGrants idIndex[uuid.UUID]
	subjectGrants idIndex[subjectKey]
	// resourceGrants files grants under their resource, for the account
	// accesses' resource filters (accesses.go).
	resourceGrants idIndex[resourceKey]
}

// resourceKey files grants under their resource in one company.
type resourceKey struct {
	company  uuid.UUID
	resource access.Resource
}

func (t *grantTables) init() {
	*t = grantTables{grants: table[uuid.UUID, access.Grant]{}, grantByKey: table[grantKey, uuid.UUID]{},
		companyGrants: idIndex[uuid.UUID]{}, subjectGrants: idIndex[subjectKey]{}, resourceGrants: idIndex[resourceKey]{}}
}

func keyOf(g access.Grant) grantKey { return grantKey{g.CompanyID, g.Subject, g.Resource} }

func (a *accessTables) putGrant(t *tx, g access.Grant) {
	a.grants.put(t, g.ID, g)
	a.grantByKey.put(t, keyOf(g), g.ID)
	a.companyGrants.add(t, g.CompanyID, g.ID)
	a.subjectGrants.add(t, subjectKey{g.CompanyID, g.Subject}, g.ID)
	a.resourceGrants.add(t, resourceKey{g.CompanyID, g.Resource}, g.ID)
}

func (a *accessTables) deleteGrant(t *tx, g access.Grant) {
	a.grants.del(t, g.ID)
	a.grantByKey.del(t, keyOf(g))
	a.companyGrants.del(t, g.CompanyID, g.ID)
	a.subjectGrants.del(t, subjectKey{g.CompanyID, g.Subject}, g.ID)
	a.resourceGrants.del(t, resourceKey{g.CompanyID, g.Resource}, g.ID)
}

// grantOf returns a grant of the company.
func (a *accessTables) grantOf(companyID, id uuid.UUID) (access.Grant, error) {
	g, ok := a.grants[id]
	if !ok || g.CompanyID != companyID {
		return access.Grant{}, access.NotFound(access.CodeGrantNotFound)
	}
	return g, nil
}

func errGrantExists() error {
	return access.Conflict(access.CodeGrantExists, "the subject already holds a grant on this resource")
}

// CreateGrant implements access.Store.
func (s *Store) CreateGrant(ctx context.Context, g *access.Grant) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if _, ok := a.companies[g.CompanyID]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		if _, ok := a.grants[g.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "grant %s exists", g.ID)
		}
		if _, ok := a.grantByKey[keyOf(*g)]; ok {
			return errGrantExists()
		}
		a.putGrant(t, *g)
		return nil
	})
}

// GetGrant implements access.Store.
func (s *Store) GetGrant(ctx context.Context, companyID, id uuid.UUID) (g access.Grant, err error) {
	if rerr := s.read(ctx, func() { g, err = s.acc.grantOf(companyID, id) }); rerr != nil {
		return access.Grant{}, rerr
	}
	return g, err
}

// UpdateGrantLevel implements access.Store.
func (s *Store) UpdateGrantLevel(ctx context.Context, companyID, id uuid.UUID, level int) error {
	return s.write(ctx, func(t *tx) error {
		g, err := s.acc.grantOf(companyID, id)
		if err != nil {
			return err
		}
		g.Level = level
		s.acc.grants.put(t, id, g)
		return nil
	})
}

// DeleteGrant implements access.Store.
func (s *Store) DeleteGrant(ctx context.Context, companyID, id uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		g, err := s.acc.grantOf(companyID, id)
		if err != nil {
			return err
		}
		s.acc.deleteGrant(t, g)
		return nil
	})
}

// DeleteSubjectGrants implements access.Store.
func (s *Store) DeleteSubjectGrants(ctx context.Context, companyID uuid.UUID, subj access.Subject) (n int, err error) {
	err = s.write(ctx, func(t *tx) error {
		ids := slices.Clone(s.acc.subjectGrants[subjectKey{companyID, subj}])
		for _, id := range ids {
			s.acc.deleteGrant(t, s.acc.grants[id])
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// SetGrantSubject implements access.Store. The grant keeps its ID.
func (s *Store) SetGrantSubject(ctx context.Context, companyID, id uuid.UUID, to access.Subject) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		g, err := a.grantOf(companyID, id)
		if err != nil || g.Subject == to {
			return err
		}
		if _, ok := a.grantByKey[grantKey{companyID, to, g.Resource}]; ok {
			return errGrantExists()
		}
		a.deleteGrant(t, g)
		g.Subject = to
		a.putGrant(t, g)
		return nil
	})
}

// ListGrants implements access.Store.
func (s *Store) ListGrants(ctx context.Context, companyID uuid.UUID, f access.GrantQuery, c access.Cursor) (out []access.Grant, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		row := func(id uuid.UUID) (access.Grant, bool) {
			g := a.grants[id]
			if f.SubjectType != "" && g.Subject.Type != f.SubjectType {
				return g, false
			}
			if f.Subjects != nil && !slices.Contains(f.Subjects, g.Subject) {
				return g, false
			}
			if len(f.Resources) > 0 && !slices.ContainsFunc(f.Resources, func(r access.Resource) bool {
				return r.Type == g.Resource.Type && (r.Type == access.ResourceAccount || r.ID == g.Resource.ID)
			}) {
				return g, false
			}
			return g, true
		}
		switch {
		case f.Subject != nil:
			out = page(a.subjectGrants, subjectKey{companyID, *f.Subject}, c, row)
		case f.Subjects != nil:
			out = pageOfIDs(a.grantsOfSubjects(companyID, f.Subjects), c, row)
		default:
			out = page(a.companyGrants, companyID, c, row)
		}
	})
	return out, err
}
