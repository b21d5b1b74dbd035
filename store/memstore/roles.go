package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// roleKey addresses a company role by its company and code: the key a
// membership's role is looked up by in CheckAccess.
type roleKey struct {
	company uuid.UUID
	code    string
}

// roleTables holds the company roles (access.CompanyRole). Rows are
// values whose Permissions are never changed in place.
type roleTables struct {
	roles        table[roleKey, access.CompanyRole]
	roleByID     table[uuid.UUID, roleKey]
	companyRoles idIndex[uuid.UUID] // by company, the roles' IDs
}

func (t *roleTables) init() {
	*t = roleTables{roles: table[roleKey, access.CompanyRole]{}, roleByID: table[uuid.UUID, roleKey]{},
		companyRoles: idIndex[uuid.UUID]{}}
}

func cloneRole(r access.CompanyRole) access.CompanyRole {
	r.Permissions = slices.Clone(r.Permissions)
	return r
}

// roleOf returns the company's role with id.
func (a *accessTables) roleOf(companyID, id uuid.UUID) (access.CompanyRole, bool) {
	k, ok := a.roleByID[id]
	if !ok || k.company != companyID {
		return access.CompanyRole{}, false
	}
	return a.roles[k], true
}

func (a *accessTables) deleteRole(t *tx, r access.CompanyRole) {
	a.roles.del(t, roleKey{r.CompanyID, r.Code})
	a.roleByID.del(t, r.ID)
	a.companyRoles.del(t, r.CompanyID, r.ID)
}

// CreateCompanyRole implements access.Store.
func (s *Store) CreateCompanyRole(ctx context.Context, r *access.CompanyRole) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if _, ok := a.companies[r.CompanyID]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		if _, ok := a.roleByID[r.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "role %s exists", r.ID)
		}
		k := roleKey{r.CompanyID, r.Code}
		if _, ok := a.roles[k]; ok {
			return access.Conflict(access.CodeRoleTaken, "the company has a role %s", r.Code)
		}
		a.roles.put(t, k, cloneRole(*r))
		a.roleByID.put(t, r.ID, k)
		a.companyRoles.add(t, r.CompanyID, r.ID)
		return nil
	})
}

// GetCompanyRole implements access.Store. A transaction holds the store's
// write lock: nothing else changes the role meanwhile.
func (s *Store) GetCompanyRole(ctx context.Context, companyID uuid.UUID, code string, _ bool) (r access.CompanyRole, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		if r, ok = s.acc.roles[roleKey{companyID, code}]; !ok {
			err = access.NotFound(access.CodeRoleNotFound)
			return
		}
		r = cloneRole(r)
	}); rerr != nil {
		return access.CompanyRole{}, rerr
	}
	return r, err
}

// GetCompanyRoleByID implements access.Store.
func (s *Store) GetCompanyRoleByID(ctx context.Context, companyID, id uuid.UUID) (r access.CompanyRole, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		if r, ok = s.acc.roleOf(companyID, id); !ok {
			err = access.NotFound(access.CodeRoleNotFound)
			return
		}
		r = cloneRole(r)
	}); rerr != nil {
		return access.CompanyRole{}, rerr
	}
	return r, err
}

// LockCompanyRole implements access.Store: a transaction already holds
// the store's write lock, so only the read is left.
func (s *Store) LockCompanyRole(ctx context.Context, companyID, id uuid.UUID) (access.CompanyRole, error) {
	return s.GetCompanyRoleByID(ctx, companyID, id)
}

// UpdateCompanyRole implements access.Store.
func (s *Store) UpdateCompanyRole(ctx context.Context, r *access.CompanyRole) error {
	return s.write(ctx, func(t *tx) error {
		old, ok := s.acc.roleOf(r.CompanyID, r.ID)
		if !ok {
			return access.NotFound(access.CodeRoleNotFound)
		}
		old.Name, old.Level, old.Permissions, old.UpdatedAt = r.Name, r.Level, slices.Clone(r.Permissions), r.UpdatedAt
		s.acc.roles.put(t, roleKey{old.CompanyID, old.Code}, old)
		return nil
	})
}

// DeleteCompanyRole implements access.Store.
func (s *Store) DeleteCompanyRole(ctx context.Context, companyID, id uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		r, ok := s.acc.roleOf(companyID, id)
		if !ok {
			return access.NotFound(access.CodeRoleNotFound)
		}
		s.acc.deleteRole(t, r)
		return nil
	})
}

// ListCompanyRoles implements access.Store.
func (s *Store) ListCompanyRoles(ctx context.Context, companyID uuid.UUID, c access.Cursor) (out []access.CompanyRole, err error) {
	err = s.read(ctx, func() {
		out = page(s.acc.companyRoles, companyID, c, func(id uuid.UUID) (access.CompanyRole, bool) {
			return cloneRole(s.acc.roles[s.acc.roleByID[id]]), true
		})
	})
	return out, err
}

// CountRoleHolders implements access.Store: a walk over the company's
// memberships (a role's deletion's cost, not a check's).
func (s *Store) CountRoleHolders(ctx context.Context, companyID uuid.UUID, code string) (n int, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		for _, i := range a.companyMembers[companyID].all() {
			if a.shapes.list[a.rows.at(i).shape].role == code {
				n++
			}
		}
	})
	return n, err
}

// ReplaceRole implements access.Store.
func (s *Store) ReplaceRole(ctx context.Context, companyID uuid.UUID, from, to string, at time.Time) (n int, err error) {
	err = s.write(ctx, func(t *tx) error {
		a := &s.acc
		for _, i := range a.companyMembers[companyID].all() {
			if a.shapes.list[a.rows.at(i).shape].role != from {
				continue
			}
			old := a.membership(i)
			nm := old
			nm.Role, nm.UpdatedAt = to, at
			a.updateMembership(t, i, &old, &nm)
			n++
		}
		return nil
	})
	return n, err
}
