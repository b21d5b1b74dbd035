package bunstore

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
)

// companyRoleRow is a company_roles row.
type companyRoleRow struct {
	bun.BaseModel `bun:"table:company_roles"`

	ID                   uuid.UUID `bun:",pk"`
	CompanyID            uuid.UUID
	Code, Name           string
	Level                int
	Permissions          []string  `bun:",array"`
	CreatedBy            uuid.UUID `bun:",nullzero"`
	CreatedAt, UpdatedAt time.Time
}

const companyRoleCols = `cr.id, cr.company_id, cr.code, cr.name, cr.level, cr.permissions, cr.created_by,
	cr.created_at, cr.updated_at`

func (r companyRoleRow) role() access.CompanyRole {
	return access.CompanyRole{
		ID: r.ID, CompanyID: r.CompanyID, Code: r.Code, Name: r.Name, Level: r.Level,
		Permissions: nilIfEmpty(r.Permissions), CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// CreateCompanyRole implements access.Store; company_roles_company_code_key
// holds the rule of one code per company.
func (s *Store) CreateCompanyRole(ctx context.Context, r *access.CompanyRole) error {
	return s.insert(ctx, access.CodeRoleNotFound, &companyRoleRow{
		ID: r.ID, CompanyID: r.CompanyID, Code: r.Code, Name: r.Name, Level: r.Level,
		Permissions: orEmpty(r.Permissions), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	})
}

// GetCompanyRole implements access.Store. Inside a transaction, with
// share, the row is read FOR SHARE: a concurrent DeleteRole (LockCompanyRole's FOR UPDATE)
// waits for the transaction giving the role, then counts its new holder;
// or it deleted the role first, and this read finds none.
func (s *Store) GetCompanyRole(ctx context.Context, companyID uuid.UUID, code string, share bool) (access.CompanyRole, error) {
	lock := ""
	if _, inTx := s.txFrom(ctx); inTx && share {
		lock = " FOR SHARE"
	}
	var r companyRoleRow
	if err := s.scan(ctx, access.CodeRoleNotFound, &r, `SELECT `+companyRoleCols+` FROM ?schema.company_roles cr
		WHERE cr.company_id = ? AND cr.code = ?`+lock, companyID, code); err != nil {
		return access.CompanyRole{}, err
	}
	return r.role(), nil
}

// GetCompanyRoleByID implements access.Store.
func (s *Store) GetCompanyRoleByID(ctx context.Context, companyID, id uuid.UUID) (access.CompanyRole, error) {
	var r companyRoleRow
	if err := s.scan(ctx, access.CodeRoleNotFound, &r, `SELECT `+companyRoleCols+` FROM ?schema.company_roles cr
		WHERE cr.id = ? AND cr.company_id = ?`, id, companyID); err != nil {
		return access.CompanyRole{}, err
	}
	return r.role(), nil
}

// LockCompanyRole implements access.Store: the row's FOR UPDATE lock.
func (s *Store) LockCompanyRole(ctx context.Context, companyID, id uuid.UUID) (access.CompanyRole, error) {
	var r companyRoleRow
	if err := s.scan(ctx, access.CodeRoleNotFound, &r, `SELECT `+companyRoleCols+` FROM ?schema.company_roles cr
		WHERE cr.id = ? AND cr.company_id = ? FOR UPDATE`, id, companyID); err != nil {
		return access.CompanyRole{}, err
	}
	return r.role(), nil
}

// UpdateCompanyRole implements access.Store.
func (s *Store) UpdateCompanyRole(ctx context.Context, r *access.CompanyRole) error {
	return s.change(ctx, access.CodeRoleNotFound, `UPDATE ?schema.company_roles
		SET name = ?, level = ?, permissions = ?, updated_at = ? WHERE id = ? AND company_id = ?`,
		r.Name, r.Level, pgdialect.Array(orEmpty(r.Permissions)), r.UpdatedAt, r.ID, r.CompanyID)
}

// DeleteCompanyRole implements access.Store.
func (s *Store) DeleteCompanyRole(ctx context.Context, companyID, id uuid.UUID) error {
	return s.change(ctx, access.CodeRoleNotFound,
		`DELETE FROM ?schema.company_roles WHERE id = ? AND company_id = ?`, id, companyID)
}

// ListCompanyRoles implements access.Store.
func (s *Store) ListCompanyRoles(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]access.CompanyRole, error) {
	var rows []companyRoleRow
	if err := s.scan(ctx, access.CodeRoleNotFound, &rows, `SELECT `+companyRoleCols+` FROM ?schema.company_roles cr
	WHERE cr.company_id = ? AND cr.id > ? ORDER BY cr.id LIMIT ?`, companyID, c.After, limitOf(c)); err != nil {
		return nil, err
	}
	return each(rows, companyRoleRow.role), nil
}

// CountRoleHolders implements access.Store: the company's memberships
// through memberships_company_id_idx (a role's deletion's cost, not a
// check's).
func (s *Store) CountRoleHolders(ctx context.Context, companyID uuid.UUID, code string) (int, error) {
	var n int
	err := s.scan(ctx, access.CodeRoleNotFound, &n,
		`SELECT count(*) FROM ?schema.memberships WHERE company_id = ? AND role = ?`, companyID, code)
	return n, err
}

// ReplaceRole implements access.Store in one statement.
func (s *Store) ReplaceRole(ctx context.Context, companyID uuid.UUID, from, to string, at time.Time) (int, error) {
	return s.exec(ctx, access.CodeRoleNotFound,
		`UPDATE ?schema.memberships SET role = ?, updated_at = ? WHERE company_id = ? AND role = ?`, to, at, companyID, from)
}
