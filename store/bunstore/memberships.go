package bunstore

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
)

// membershipRow is a memberships row. Zero values of nullable columns are
// NULL.
type membershipRow struct {
	bun.BaseModel `bun:"table:memberships"`

	ID                               uuid.UUID `bun:",pk"`
	CompanyID, UserID                uuid.UUID
	Role                             string
	Extra                            []string `bun:",array"`
	Withheld                         []string `bun:",array"`
	IsActive, IsPrimary, AllowSwitch bool
	CreatedBy                        uuid.UUID `bun:",nullzero"`
	CreatedAt, UpdatedAt             time.Time
}

const membershipCols = `m.id, m.company_id, m.user_id, m.role, m.extra, m.withheld, m.is_active, m.is_primary,
	m.allow_switch, m.created_by, m.created_at, m.updated_at`

func newMembershipRow(m *access.Membership) *membershipRow {
	return &membershipRow{
		ID: m.ID, CompanyID: m.CompanyID, UserID: m.UserID, Role: m.Role, Extra: orEmpty(m.Extra), Withheld: orEmpty(m.Withheld),
		IsActive: m.Active, IsPrimary: m.Primary, AllowSwitch: m.AllowSwitch, CreatedBy: m.CreatedBy,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
}

func (r membershipRow) membership() access.Membership {
	return access.Membership{
		ID: r.ID, CompanyID: r.CompanyID, UserID: r.UserID, Role: r.Role, Extra: nilIfEmpty(r.Extra), Withheld: nilIfEmpty(r.Withheld),
		Active: r.IsActive, Primary: r.IsPrimary, AllowSwitch: r.AllowSwitch, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// memberRow is a membership with its user and, when recorded, the summary
// of the user who created it.
type memberRow struct {
	membershipRow
	U  userRow        `bun:"embed:u_"`
	CB userSummaryRow `bun:"embed:cb_"`
}

// userSummaryRow is the creator's summary; a NULL ID when none is known.
type userSummaryRow struct {
	ID                         uuid.UUID
	Email, FirstName, LastName string
}

// selectMember is the statement of one member or a page of them up to its
// WHERE clause.
var selectMember = `SELECT ` + membershipCols + `, ` + userCols("u", "u_") + `,
	` + prefixed("cb", "cb_", "id", "email", "first_name", "last_name") + `
	FROM ?schema.memberships m
	JOIN ?schema.users u ON u.id = m.user_id
	LEFT JOIN ?schema.users cb ON cb.id = m.created_by`

func (r memberRow) member() access.Member {
	m := access.Member{Membership: r.membership(), User: r.U.user()}
	if r.CB.ID != uuid.Nil {
		m.CreatedByUser = &access.UserSummary{ID: r.CB.ID, Email: r.CB.Email, FirstName: r.CB.FirstName, LastName: r.CB.LastName}
	}
	return m
}

// userCompanyRow is a membership with its company.
type userCompanyRow struct {
	membershipRow
	C companyRow `bun:"embed:c_"`
}

func (r userCompanyRow) userCompany() access.UserCompany {
	return access.UserCompany{Membership: r.membership(), Company: r.C.company()}
}

// CreateMembership implements access.Store. The user and the company must
// exist (memberships_user_id_fkey, memberships_company_id_fkey);
// memberships_company_user_key and memberships_one_primary_key hold the
// rules of one membership per user and company and one primary membership
// per user.
func (s *Store) CreateMembership(ctx context.Context, m *access.Membership) error {
	return s.insert(ctx, access.CodeMembershipNotFound, newMembershipRow(m))
}

func (s *Store) getMembership(ctx context.Context, where string, args ...any) (access.Membership, error) {
	var r membershipRow
	if err := s.scan(ctx, access.CodeMembershipNotFound, &r,
		`SELECT `+membershipCols+` FROM ?schema.memberships m WHERE `+where, args...); err != nil {
		return access.Membership{}, err
	}
	return r.membership(), nil
}

// GetMembership implements access.Store.
func (s *Store) GetMembership(ctx context.Context, companyID, userID uuid.UUID) (access.Membership, error) {
	return s.getMembership(ctx, `m.company_id = ? AND m.user_id = ?`, companyID, userID)
}

// GetMembershipByID implements access.Store. A membership of another
// company is not found, as one that does not exist.
func (s *Store) GetMembershipByID(ctx context.Context, companyID, id uuid.UUID) (access.Membership, error) {
	return s.getMembership(ctx, `m.id = ? AND m.company_id = ?`, id, companyID)
}

// UpdateMembership implements access.Store.
func (s *Store) UpdateMembership(ctx context.Context, m *access.Membership) error {
	return s.change(ctx, access.CodeMembershipNotFound, `UPDATE ?schema.memberships SET role = ?, extra = ?, withheld = ?,
		is_active = ?, is_primary = ?, allow_switch = ?, updated_at = ?
	WHERE company_id = ? AND user_id = ?`,
		m.Role, pgdialect.Array(orEmpty(m.Extra)), pgdialect.Array(orEmpty(m.Withheld)), m.Active, m.Primary, m.AllowSwitch, m.UpdatedAt, m.CompanyID, m.UserID)
}

// ClearPrimary implements access.Store.
func (s *Store) ClearPrimary(ctx context.Context, userID uuid.UUID) error {
	_, err := s.exec(ctx, access.CodeMembershipNotFound,
		`UPDATE ?schema.memberships SET is_primary = false WHERE user_id = ? AND is_primary`, userID)
	return err
}

// DeleteMembership implements access.Store: the membership and its user's
// grants in the company, in one statement.
func (s *Store) DeleteMembership(ctx context.Context, companyID, userID uuid.UUID) error {
	var n int
	err := s.scan(ctx, access.CodeMembershipNotFound, &n, `WITH del AS (
		DELETE FROM ?schema.memberships WHERE company_id = ?0 AND user_id = ?1 RETURNING id
	), grants AS (
		DELETE FROM ?schema.grants WHERE company_id = ?0 AND subject_type = ?2 AND subject_id = ?1
			AND EXISTS (SELECT 1 FROM del)
	)
	SELECT count(*) FROM del`, companyID, userID, string(access.SubjectUser))
	return one(n, err, access.CodeMembershipNotFound)
}

// activeOwner is the predicate of memberships_active_owners_idx (of the
// memberships aliased m), written as a literal (not a parameter) so that
// every plan, generic ones too, can use the index.
const activeOwner = `m.is_active AND m.role = '` + access.RoleOwner + `'`

// CountActiveOwners implements access.Store: a range of
// memberships_active_owners_idx, which holds the company's active OWNERs
// and no one else, each joined to its user by primary key to leave out
// the disabled: O(owners), whatever the company's size.
func (s *Store) CountActiveOwners(ctx context.Context, companyID uuid.UUID) (int, error) {
	var n int
	err := s.scan(ctx, access.CodeMembershipNotFound, &n, `SELECT count(*) FROM ?schema.memberships m
		JOIN ?schema.users u ON u.id = m.user_id AND u.status <> '`+string(access.UserDisabled)+`'
		WHERE m.company_id = ? AND `+activeOwner, companyID)
	return n, err
}

func (s *Store) members(ctx context.Context, where string, args ...any) ([]access.Member, error) {
	var rows []memberRow
	if err := s.scan(ctx, access.CodeMembershipNotFound, &rows, selectMember+` WHERE `+where, args...); err != nil {
		return nil, err
	}
	return each(rows, memberRow.member), nil
}

// GetMember implements access.Store.
func (s *Store) GetMember(ctx context.Context, companyID, userID uuid.UUID) (access.Member, error) {
	ms, err := s.members(ctx, `m.company_id = ? AND m.user_id = ?`, companyID, userID)
	switch {
	case err != nil:
		return access.Member{}, err
	case len(ms) == 0:
		return access.Member{}, access.NotFound(access.CodeMembershipNotFound)
	}
	return ms[0], nil
}

// ListMembers implements access.Store: one statement per page, walking the
// (company_id, id) index.
func (s *Store) ListMembers(ctx context.Context, companyID uuid.UUID, active *bool, c access.Cursor) ([]access.Member, error) {
	return s.members(ctx, `m.company_id = ?0 AND m.id > ?1 AND (?2::boolean IS NULL OR m.is_active = ?2)
	ORDER BY m.id LIMIT ?3`, companyID, c.After, nullBool(active), limitOf(c))
}

// ListMembersAt implements access.Store: the rows ListMembers lists,
// skipping offset of them (a numbered page), in one statement. The service
// bounds offset; PostgreSQL walks the (company_id, id) index past the
// skipped rows.
func (s *Store) ListMembersAt(ctx context.Context, companyID uuid.UUID, active *bool, offset, limit int) ([]access.Member, error) {
	return s.members(ctx, `m.company_id = ?0 AND (?1::boolean IS NULL OR m.is_active = ?1)
	ORDER BY m.id OFFSET ?2 LIMIT ?3`, companyID, nullBool(active), max(offset, 0),
		limitOf(access.Cursor{Limit: limit}))
}

// ListUserCompanies implements access.Store: one statement per page, the
// companies' domains aggregated in it.
func (s *Store) ListUserCompanies(ctx context.Context, userID uuid.UUID, active *bool, c access.Cursor) ([]access.UserCompany, error) {
	var rows []userCompanyRow
	if err := s.scan(ctx, access.CodeMembershipNotFound, &rows, `SELECT `+membershipCols+`, `+companyCols("c", "c_")+`
	FROM ?schema.memberships m JOIN ?schema.companies c ON c.id = m.company_id
	WHERE m.user_id = ?0 AND m.id > ?1 AND (?2::boolean IS NULL OR m.is_active = ?2)
	ORDER BY m.id LIMIT ?3`, userID, c.After, nullBool(active), limitOf(c)); err != nil {
		return nil, err
	}
	return each(rows, userCompanyRow.userCompany), nil
}

// GetMembers implements access.Store: one statement, by the
// (company_id, user_id) unique index.
func (s *Store) GetMembers(ctx context.Context, companyID uuid.UUID, userIDs []uuid.UUID) ([]access.Member, error) {
	return s.members(ctx, `m.company_id = ? AND m.user_id = ANY(?::uuid[])`, companyID, pgdialect.Array(userIDs))
}

// UpdateMembershipAudited implements access.Store: the UPDATE and the
// audit event's INSERT, which runs only when the UPDATE found its row, in
// one statement.
func (s *Store) UpdateMembershipAudited(ctx context.Context, m *access.Membership, e *access.AuditEvent) error {
	audit, auditArgs, err := auditCTE(`EXISTS (SELECT 1 FROM up)`, e)
	if err != nil {
		return err
	}
	var n int
	err = s.scan(ctx, access.CodeMembershipNotFound, &n, `WITH up AS (
		UPDATE ?schema.memberships SET role = ?, extra = ?, withheld = ?,
			is_active = ?, is_primary = ?, allow_switch = ?, updated_at = ?
		WHERE company_id = ? AND user_id = ? RETURNING 1
	), `+audit+` SELECT count(*) FROM up`,
		append([]any{m.Role, pgdialect.Array(orEmpty(m.Extra)), pgdialect.Array(orEmpty(m.Withheld)), m.Active, m.Primary,
			m.AllowSwitch, m.UpdatedAt, m.CompanyID, m.UserID}, auditArgs...)...)
	return one(n, err, access.CodeMembershipNotFound)
}
