package memstore

import (
	"context"
	"slices"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// companyTables holds the companies, by ID, external key and domain.
type companyTables struct {
	companies       table[uuid.UUID, access.Company]
	companyByKey    table[string, uuid.UUID]
	companyByDomain table[string, uuid.UUID]
}

func (t *companyTables) init() {
	*t = companyTables{companies: table[uuid.UUID, access.Company]{}, companyByKey: table[string, uuid.UUID]{},
		companyByDomain: table[string, uuid.UUID]{}}
}

func cloneCompany(c access.Company) access.Company {
	c.Domains = slices.Clone(c.Domains)
	return c
}

// checkCompanyKeys reports a conflict if c's external key or a domain
// belongs to another company.
func (a *accessTables) checkCompanyKeys(c *access.Company) error {
	if c.ExternalKey != "" {
		if id, ok := a.companyByKey[c.ExternalKey]; ok && id != c.ID {
			return access.Conflict(access.CodeExternalKeyTaken, "the external key is taken")
		}
	}
	for _, d := range c.Domains {
		if id, ok := a.companyByDomain[d]; ok && id != c.ID {
			return access.Conflict(access.CodeDomainTaken, "the domain %s is taken", d)
		}
	}
	return nil
}

func (a *accessTables) indexCompanyKeys(t *tx, c access.Company) {
	if c.ExternalKey != "" {
		a.companyByKey.put(t, c.ExternalKey, c.ID)
	}
	for _, d := range c.Domains {
		a.companyByDomain.put(t, d, c.ID)
	}
}

func (a *accessTables) unindexCompanyKeys(t *tx, c access.Company) {
	if c.ExternalKey != "" {
		a.companyByKey.del(t, c.ExternalKey)
	}
	for _, d := range c.Domains {
		a.companyByDomain.del(t, d)
	}
}

// CreateCompany implements access.Store.
func (s *Store) CreateCompany(ctx context.Context, c *access.Company) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if _, ok := a.companies[c.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "company %s exists", c.ID)
		}
		if err := a.checkCompanyKeys(c); err != nil {
			return err
		}
		nc := cloneCompany(*c)
		a.companies.put(t, c.ID, nc)
		a.indexCompanyKeys(t, nc)
		return nil
	})
}

func (s *Store) getCompany(ctx context.Context, lookup func() (uuid.UUID, bool)) (c access.Company, err error) {
	if rerr := s.read(ctx, func() {
		id, ok := lookup()
		if ok {
			c, ok = s.acc.companies[id]
		}
		if !ok {
			err = access.NotFound(access.CodeCompanyNotFound)
			return
		}
		c = cloneCompany(c)
	}); rerr != nil {
		return access.Company{}, rerr
	}
	return c, err
}

// GetCompany implements access.Store.
func (s *Store) GetCompany(ctx context.Context, id uuid.UUID) (access.Company, error) {
	return s.getCompany(ctx, func() (uuid.UUID, bool) { return id, true })
}

// GetCompanyByExternalKey implements access.Store.
func (s *Store) GetCompanyByExternalKey(ctx context.Context, key string) (access.Company, error) {
	return s.getCompany(ctx, func() (uuid.UUID, bool) {
		id, ok := s.acc.companyByKey[key]
		return id, ok && key != ""
	})
}

// GetCompanyByDomain implements access.Store.
func (s *Store) GetCompanyByDomain(ctx context.Context, domain string) (access.Company, error) {
	return s.getCompany(ctx, func() (uuid.UUID, bool) {
		id, ok := s.acc.companyByDomain[domain]
		return id, ok
	})
}

// UpdateCompany implements access.Store.
func (s *Store) UpdateCompany(ctx context.Context, c *access.Company) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		old, ok := a.companies[c.ID]
		if !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		if err := a.checkCompanyKeys(c); err != nil {
			return err
		}
		nc := old
		nc.Name, nc.ParentID, nc.ExternalKey, nc.UpdatedAt = c.Name, c.ParentID, c.ExternalKey, c.UpdatedAt
		nc.Domains = slices.Clone(c.Domains)
		a.unindexCompanyKeys(t, old)
		a.indexCompanyKeys(t, nc)
		a.companies.put(t, c.ID, nc)
		return nil
	})
}

// DeleteCompany implements access.Store.
func (s *Store) DeleteCompany(ctx context.Context, id uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		c, ok := a.companies[id]
		if !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		a.deleteMemberships(t, a.companyMembers[id].all())
		for _, gid := range slices.Clone(a.companyGrants[id]) {
			a.deleteGrant(t, a.grants[gid])
		}
		for _, rid := range slices.Clone(a.companyRoles[id]) {
			a.deleteRole(t, a.roles[a.roleByID[rid]])
		}
		for _, cid := range slices.Clone(a.companyConns[id]) {
			a.deleteConnection(t, a.conns[cid])
		}
		for _, ui := range a.usersActiveIn[id].all() {
			u := a.user(ui)
			u.ActiveCompanyID = uuid.Nil
			a.putUser(t, ui, &u)
			a.usersActiveIn.del(t, id, ui, a.userIDOf)
		}
		a.unindexCompanyKeys(t, c)
		a.companies.del(t, id)
		s.inv.deleteCompany(t, id)
		s.tok.deleteCompany(t, id)
		return nil
	})
}

// LockCompany implements access.Store. The transaction already holds the
// store's write lock, so only the existence check is left.
func (s *Store) LockCompany(ctx context.Context, id uuid.UUID) error {
	return s.write(ctx, func(*tx) error {
		if _, ok := s.acc.companies[id]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		return nil
	})
}
