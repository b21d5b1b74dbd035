package bunstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
)

// Writes that can break a rule are single statements of the form "check,
// then change only if the checks passed" (a data-modifying CTE), returning
// the checks. So a refused write costs no extra round trip and, unlike a
// failed INSERT, does not abort the caller's transaction: the caller may
// go on after a conflict, as with memstore. The constraints still hold the
// rules under concurrency; a lost race surfaces as a unique violation,
// translated by constraint name.

// Users.

var (
	selectUser    = `SELECT ` + userCols("u", "") + ` FROM users u`
	selectCompany = `SELECT ` + companyCols("c", "") + ` FROM companies c`
)

// The hot reads, prepared (prepared.go).
var (
	getMembershipSQL = `SELECT ` + membershipCols + ` FROM memberships m WHERE m.company_id = $1 AND m.user_id = $2`
	getMemberSQL     = selectMember + ` WHERE m.company_id = $1 AND m.user_id = $2`
	// The pages keep LIMIT a parameter on purpose (see
	// TestHotReadsKeepGenericPlans).
	listMembersSQL = selectMember + `
	WHERE m.company_id = $1 AND m.id > $2 AND ($3::boolean IS NULL OR m.is_active = $3)
	ORDER BY m.id LIMIT $4`
	// The numbered page (seed 000): the same rows as listMembersSQL,
	// skipping OFFSET of them instead of following a cursor.
	listMembersAtSQL = selectMember + `
	WHERE m.company_id = $1 AND ($2::boolean IS NULL OR m.is_active = $2)
	ORDER BY m.id OFFSET $3 LIMIT $4`
	listUserCompaniesSQL = `SELECT ` + membershipCols + `, ` + companyCols("c", "c_") + `
	FROM memberships m JOIN companies c ON c.id = m.company_id
	WHERE m.user_id = $1 AND m.id > $2 AND ($3::boolean IS NULL OR m.is_active = $3)
	ORDER BY m.id LIMIT $4`
)

// nullBool is an optional filter as a parameter.
func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// CreateUser implements access.Store.
func (s *Store) CreateUser(ctx context.Context, u *access.User) error {
	var chk struct {
		IDTaken    bool `bun:"id_taken"`
		EmailTaken bool `bun:"email_taken"`
	}
	err := s.idb(ctx).NewRaw(`WITH chk AS (SELECT
		EXISTS (SELECT 1 FROM users WHERE id = ?0) AS id_taken,
		EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(?1)) AS email_taken
	), ins AS (
		INSERT INTO users (id, email, first_name, last_name, status, lang, theme, currency, birthdate,
			avatar_url, active_company_id, created_at, updated_at)
		SELECT ?0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, '')::date, ?9, ?10, ?11, ?12
		FROM chk WHERE NOT id_taken AND NOT email_taken
	)
	SELECT * FROM chk`,
		u.ID, u.Email, u.FirstName, u.LastName, string(u.Status), u.Profile.Lang, u.Profile.Theme,
		u.Profile.Currency, u.Profile.Birthdate, u.Profile.AvatarURL, nullUUID(u.ActiveCompanyID),
		u.CreatedAt, u.UpdatedAt,
	).Scan(ctx, &chk)
	switch {
	case err != nil:
		return translate(ctx, err, access.CodeUserNotFound)
	case chk.IDTaken:
		return access.Conflict(access.CodeIDTaken, "user %s exists", u.ID)
	case chk.EmailTaken:
		return access.Conflict(access.CodeEmailTaken, "the e-mail is taken")
	}
	return nil
}

func (s *Store) getUser(ctx context.Context, where string, arg any) (access.User, error) {
	var r userRow
	if err := s.idb(ctx).NewRaw(selectUser+` WHERE `+where, arg).Scan(ctx, &r); err != nil {
		return access.User{}, translate(ctx, err, access.CodeUserNotFound)
	}
	return r.user(), nil
}

// GetUser implements access.Store.
func (s *Store) GetUser(ctx context.Context, id uuid.UUID) (access.User, error) {
	return s.getUser(ctx, `u.id = ?`, id)
}

// GetUserByEmail implements access.Store.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (access.User, error) {
	return s.getUser(ctx, `lower(u.email) = lower(?)`, email)
}

// UpdateUser implements access.Store.
func (s *Store) UpdateUser(ctx context.Context, u *access.User) error {
	res, err := s.idb(ctx).NewRaw(`UPDATE users SET first_name = ?, last_name = ?, status = ?, lang = ?,
		theme = ?, currency = ?, birthdate = NULLIF(?, '')::date, avatar_url = ?, active_company_id = ?,
		updated_at = ?
	WHERE id = ?`,
		u.FirstName, u.LastName, string(u.Status), u.Profile.Lang, u.Profile.Theme, u.Profile.Currency,
		u.Profile.Birthdate, u.Profile.AvatarURL, nullUUID(u.ActiveCompanyID), u.UpdatedAt, u.ID,
	).Exec(ctx)
	return affected(ctx, res, err, access.CodeUserNotFound)
}

// ListUsers implements access.Store.
func (s *Store) ListUsers(ctx context.Context, c access.Cursor) ([]access.User, error) {
	var rows []userRow
	if err := s.idb(ctx).NewRaw(selectUser+` WHERE u.id > ? ORDER BY u.id LIMIT ?`, c.After, limitOf(c)).
		Scan(ctx, &rows); err != nil {
		return nil, translate(ctx, err, access.CodeUserNotFound)
	}
	out := make([]access.User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, nil
}

// Companies.

type companyChecks struct {
	Found       bool `bun:"found"`
	KeyTaken    bool `bun:"key_taken"`
	DomainTaken bool `bun:"domain_taken"`
}

func (c companyChecks) err() error {
	switch {
	case c.KeyTaken:
		return access.Conflict(access.CodeExternalKeyTaken, "the external key is taken")
	case c.DomainTaken:
		return access.Conflict(access.CodeDomainTaken, "a domain is taken")
	}
	return nil
}

// companyChecksCTE checks company ?0's external key ?1 and domains ?2
// against the other companies.
const companyChecksCTE = `chk AS (SELECT
	EXISTS (SELECT 1 FROM companies WHERE id = ?0) AS found,
	(?1::text IS NOT NULL AND EXISTS (SELECT 1 FROM companies WHERE external_key = ?1 AND id <> ?0)) AS key_taken,
	EXISTS (SELECT 1 FROM company_domains WHERE domain = ANY(?2::text[]) AND company_id <> ?0) AS domain_taken
)`

// CreateCompany implements access.Store.
func (s *Store) CreateCompany(ctx context.Context, c *access.Company) error {
	var chk companyChecks
	err := s.idb(ctx).NewRaw(`WITH `+companyChecksCTE+`, ins AS (
		INSERT INTO companies (id, name, parent_id, external_key, created_at, updated_at)
		SELECT ?0, ?3, ?4, ?1, ?5, ?6 FROM chk WHERE NOT (found OR key_taken OR domain_taken)
		RETURNING id
	), doms AS (
		INSERT INTO company_domains (domain, company_id, position)
		SELECT d.domain, ins.id, d.position FROM ins, unnest(?2::text[]) WITH ORDINALITY AS d(domain, position)
	)
	SELECT * FROM chk`,
		c.ID, nullString(c.ExternalKey), pgdialect.Array(orEmpty(c.Domains)), c.Name, nullUUID(c.ParentID),
		c.CreatedAt, c.UpdatedAt,
	).Scan(ctx, &chk)
	if err != nil {
		return translate(ctx, err, access.CodeCompanyNotFound)
	}
	if chk.Found {
		return access.Conflict(access.CodeIDTaken, "company %s exists", c.ID)
	}
	return chk.err()
}

func (s *Store) getCompany(ctx context.Context, where string, arg any) (access.Company, error) {
	var r companyRow
	if err := s.idb(ctx).NewRaw(selectCompany+` WHERE `+where, arg).Scan(ctx, &r); err != nil {
		return access.Company{}, translate(ctx, err, access.CodeCompanyNotFound)
	}
	return r.company(), nil
}

// GetCompany implements access.Store.
func (s *Store) GetCompany(ctx context.Context, id uuid.UUID) (access.Company, error) {
	return s.getCompany(ctx, `c.id = ?`, id)
}

// GetCompanyByExternalKey implements access.Store.
func (s *Store) GetCompanyByExternalKey(ctx context.Context, key string) (access.Company, error) {
	return s.getCompany(ctx, `c.external_key = ?`, key)
}

// GetCompanyByDomain implements access.Store.
func (s *Store) GetCompanyByDomain(ctx context.Context, domain string) (access.Company, error) {
	return s.getCompany(ctx, `c.id = (SELECT company_id FROM company_domains WHERE domain = ?)`, domain)
}

// UpdateCompany implements access.Store. Domains the company keeps stay
// rows of their own (only their position changes), so the statement never
// deletes and re-inserts one key.
func (s *Store) UpdateCompany(ctx context.Context, c *access.Company) error {
	var chk companyChecks
	err := s.idb(ctx).NewRaw(`WITH `+companyChecksCTE+`, upd AS (
		UPDATE companies SET name = ?3, parent_id = ?4, external_key = ?1, updated_at = ?5
		WHERE id = ?0 AND (SELECT found AND NOT key_taken AND NOT domain_taken FROM chk)
		RETURNING id
	), want AS (
		SELECT d.domain, d.position FROM upd, unnest(?2::text[]) WITH ORDINALITY AS d(domain, position)
	), gone AS (
		DELETE FROM company_domains WHERE company_id IN (SELECT id FROM upd) AND domain <> ALL(?2::text[])
	), kept AS (
		UPDATE company_domains cd SET position = want.position FROM want
		WHERE cd.company_id = ?0 AND cd.domain = want.domain
	), added AS (
		INSERT INTO company_domains (domain, company_id, position)
		SELECT want.domain, ?0, want.position FROM want
		WHERE NOT EXISTS (SELECT 1 FROM company_domains cd WHERE cd.domain = want.domain)
	)
	SELECT * FROM chk`,
		c.ID, nullString(c.ExternalKey), pgdialect.Array(orEmpty(c.Domains)), c.Name, nullUUID(c.ParentID),
		c.UpdatedAt,
	).Scan(ctx, &chk)
	switch {
	case err != nil:
		return translate(ctx, err, access.CodeCompanyNotFound)
	case !chk.Found:
		return access.NotFound(access.CodeCompanyNotFound)
	}
	return chk.err()
}

// DeleteCompany implements access.Store. Memberships, grants, connections
// and domains go by ON DELETE CASCADE; users acting in the company lose it
// as their active one.
func (s *Store) DeleteCompany(ctx context.Context, id uuid.UUID) error {
	var n int
	err := s.idb(ctx).NewRaw(`WITH del AS (
		DELETE FROM companies WHERE id = ?0 RETURNING id
	), active AS (
		UPDATE users SET active_company_id = NULL
		WHERE active_company_id = ?0 AND EXISTS (SELECT 1 FROM del)
	)
	SELECT count(*) FROM del`, id).Scan(ctx, &n)
	return found(ctx, n, err, access.CodeCompanyNotFound)
}

// LockCompany implements access.Store: the company row's FOR UPDATE lock,
// held until the transaction in ctx ends. Every write path that needs the
// "last active OWNER" rule takes it first, so they queue across processes.
func (s *Store) LockCompany(ctx context.Context, id uuid.UUID) error {
	var n int
	err := s.idb(ctx).NewRaw(`SELECT count(*) FROM (SELECT 1 FROM companies WHERE id = ? FOR UPDATE) AS c`, id).
		Scan(ctx, &n)
	return found(ctx, n, err, access.CodeCompanyNotFound)
}

// Memberships.

// CreateMembership implements access.Store. Like memstore it reports a
// missing user or company as not found, and refuses a second primary
// membership of the user.
func (s *Store) CreateMembership(ctx context.Context, m *access.Membership) error {
	var chk struct {
		UserFound    bool `bun:"user_found"`
		CompanyFound bool `bun:"company_found"`
		Member       bool `bun:"member"`
		IDTaken      bool `bun:"id_taken"`
		PrimaryTaken bool `bun:"primary_taken"`
	}
	err := s.idb(ctx).NewRaw(`WITH chk AS (SELECT
		EXISTS (SELECT 1 FROM users WHERE id = ?2) AS user_found,
		EXISTS (SELECT 1 FROM companies WHERE id = ?1) AS company_found,
		EXISTS (SELECT 1 FROM memberships WHERE company_id = ?1 AND user_id = ?2) AS member,
		EXISTS (SELECT 1 FROM memberships WHERE id = ?0) AS id_taken,
		(?6::boolean AND EXISTS (SELECT 1 FROM memberships WHERE user_id = ?2 AND is_primary)) AS primary_taken
	), ins AS (
		INSERT INTO memberships (id, company_id, user_id, role, extra, is_active, is_primary, allow_switch,
			created_by, created_at, updated_at)
		SELECT ?0, ?1, ?2, ?3, ?4::text[], ?5, ?6, ?7, ?8, ?9, ?10 FROM chk
		WHERE user_found AND company_found AND NOT (member OR id_taken OR primary_taken)
	)
	SELECT * FROM chk`,
		m.ID, m.CompanyID, m.UserID, m.Role, pgdialect.Array(orEmpty(m.Extra)), m.Active, m.Primary,
		m.AllowSwitch, nullUUID(m.CreatedBy), m.CreatedAt, m.UpdatedAt,
	).Scan(ctx, &chk)
	switch {
	case err != nil:
		return translate(ctx, err, access.CodeMembershipNotFound)
	case !chk.UserFound:
		return access.NotFound(access.CodeUserNotFound)
	case !chk.CompanyFound:
		return access.NotFound(access.CodeCompanyNotFound)
	case chk.Member:
		return access.Conflict(access.CodeAlreadyMember, "the user is already a member of the company")
	case chk.IDTaken:
		return access.Conflict(access.CodeIDTaken, "membership %s exists", m.ID)
	case chk.PrimaryTaken:
		return access.Conflict(access.CodePrimaryTaken, "the user already has a primary membership")
	}
	return nil
}

// GetMembership implements access.Store.
func (s *Store) GetMembership(ctx context.Context, companyID, userID uuid.UUID) (access.Membership, error) {
	var r membershipRow
	if err := s.queryOne(ctx, &r, getMembershipSQL, companyID, userID); err != nil {
		return access.Membership{}, translate(ctx, err, access.CodeMembershipNotFound)
	}
	return r.membership(), nil
}

// GetMembershipByID implements access.Store. A membership of another
// company is not found, as one that does not exist.
func (s *Store) GetMembershipByID(ctx context.Context, companyID, id uuid.UUID) (access.Membership, error) {
	var r membershipRow
	if err := s.idb(ctx).NewRaw(`SELECT `+membershipCols+` FROM memberships m WHERE m.id = ? AND m.company_id = ?`,
		id, companyID).Scan(ctx, &r); err != nil {
		return access.Membership{}, translate(ctx, err, access.CodeMembershipNotFound)
	}
	return r.membership(), nil
}

// UpdateMembership implements access.Store.
func (s *Store) UpdateMembership(ctx context.Context, m *access.Membership) error {
	var chk struct {
		Found        bool `bun:"found"`
		PrimaryTaken bool `bun:"primary_taken"`
	}
	err := s.idb(ctx).NewRaw(`WITH chk AS (SELECT
		EXISTS (SELECT 1 FROM memberships WHERE company_id = ?0 AND user_id = ?1) AS found,
		(?5::boolean AND EXISTS (SELECT 1 FROM memberships
			WHERE user_id = ?1 AND is_primary AND company_id <> ?0)) AS primary_taken
	), upd AS (
		UPDATE memberships SET role = ?2, extra = ?3::text[], is_active = ?4, is_primary = ?5,
			allow_switch = ?6, updated_at = ?7
		WHERE company_id = ?0 AND user_id = ?1 AND NOT (SELECT primary_taken FROM chk)
	)
	SELECT * FROM chk`,
		m.CompanyID, m.UserID, m.Role, pgdialect.Array(orEmpty(m.Extra)), m.Active, m.Primary,
		m.AllowSwitch, m.UpdatedAt,
	).Scan(ctx, &chk)
	switch {
	case err != nil:
		return translate(ctx, err, access.CodeMembershipNotFound)
	case !chk.Found:
		return access.NotFound(access.CodeMembershipNotFound)
	case chk.PrimaryTaken:
		return access.Conflict(access.CodePrimaryTaken, "the user already has a primary membership")
	}
	return nil
}

// ClearPrimary implements access.Store.
func (s *Store) ClearPrimary(ctx context.Context, userID uuid.UUID) error {
	_, err := s.idb(ctx).NewRaw(`UPDATE memberships SET is_primary = false WHERE user_id = ? AND is_primary`, userID).
		Exec(ctx)
	return translate(ctx, err, access.CodeMembershipNotFound)
}

// DeleteMembership implements access.Store.
func (s *Store) DeleteMembership(ctx context.Context, companyID, userID uuid.UUID) error {
	var n int
	err := s.idb(ctx).NewRaw(`WITH del AS (
		DELETE FROM memberships WHERE company_id = ?0 AND user_id = ?1 RETURNING id
	), grants AS (
		DELETE FROM grants WHERE company_id = ?0 AND subject_type = ?2 AND subject_id = ?1
			AND EXISTS (SELECT 1 FROM del)
	)
	SELECT count(*) FROM del`, companyID, userID, string(access.SubjectUser)).Scan(ctx, &n)
	return found(ctx, n, err, access.CodeMembershipNotFound)
}

// CountActiveOwners implements access.Store.
func (s *Store) CountActiveOwners(ctx context.Context, companyID uuid.UUID) (int, error) {
	var n int
	err := s.idb(ctx).NewRaw(`SELECT count(*) FROM memberships
		WHERE company_id = ? AND is_active AND role = ?`, companyID, access.RoleOwner).Scan(ctx, &n)
	return n, translate(ctx, err, access.CodeMembershipNotFound)
}

// GetMember implements access.Store.
func (s *Store) GetMember(ctx context.Context, companyID, userID uuid.UUID) (access.Member, error) {
	rows, err := s.query(ctx, getMemberSQL, companyID, userID)
	if err != nil {
		return access.Member{}, translate(ctx, err, access.CodeMembershipNotFound)
	}
	ms, err := scanMembers(rows, 1)
	switch {
	case err != nil:
		return access.Member{}, translate(ctx, err, access.CodeMembershipNotFound)
	case len(ms) == 0:
		return access.Member{}, access.NotFound(access.CodeMembershipNotFound)
	}
	return ms[0], nil
}

// ListMembers implements access.Store: one statement per page, walking the
// (company_id, id) index.
func (s *Store) ListMembers(ctx context.Context, companyID uuid.UUID, active *bool, c access.Cursor) ([]access.Member, error) {
	limit := limitOf(c)
	rows, err := s.query(ctx, listMembersSQL, companyID, c.After, nullBool(active), limit)
	if err != nil {
		return nil, translate(ctx, err, access.CodeMembershipNotFound)
	}
	ms, err := scanMembers(rows, limit)
	if err != nil {
		return nil, translate(ctx, err, access.CodeMembershipNotFound)
	}
	return ms, nil
}

// ListMembersAt implements access.Store: the rows ListMembers lists,
// skipping offset of them (a numbered page), in one statement. The
// service bounds offset; PostgreSQL walks the (company_id, id) index past
// the skipped rows.
func (s *Store) ListMembersAt(ctx context.Context, companyID uuid.UUID, active *bool, offset, limit int) ([]access.Member, error) {
	if limit <= 0 {
		limit = access.DefaultPageLimit
	}
	rows, err := s.query(ctx, listMembersAtSQL, companyID, nullBool(active), max(offset, 0), limit)
	if err != nil {
		return nil, translate(ctx, err, access.CodeMembershipNotFound)
	}
	ms, err := scanMembers(rows, limit)
	if err != nil {
		return nil, translate(ctx, err, access.CodeMembershipNotFound)
	}
	return ms, nil
}

// ListUserCompanies implements access.Store: one statement per page, the
// companies' domains aggregated in it.
func (s *Store) ListUserCompanies(ctx context.Context, userID uuid.UUID, active *bool, c access.Cursor) ([]access.UserCompany, error) {
	var rows []userCompanyRow
	if err := s.queryAll(ctx, &rows, listUserCompaniesSQL, userID, c.After, nullBool(active), limitOf(c)); err != nil {
		return nil, translate(ctx, err, access.CodeMembershipNotFound)
	}
	out := make([]access.UserCompany, len(rows))
	for i, r := range rows {
		out[i] = access.UserCompany{Membership: r.membership(), Company: r.C.company()}
	}
	return out, nil
}

// checkAccessSQL answers CheckAccess in one statement. Arguments: ?0
// company, ?1 user, ?2 permission, ?3 resource asked, ?4 resource type,
// ?5 resource id, ?6 token (NULL: none), ?7 agency roles. Every part is an
// index lookup: the membership by (company_id, user_id), grants by the
// (company_id, subject_type, subject_id, ...) unique index, connections by
// (customer_id), agency memberships by (company_id, user_id).
// Grants.

// CreateGrant implements access.Store.
func (s *Store) CreateGrant(ctx context.Context, g *access.Grant) error {
	var chk struct {
		CompanyFound bool `bun:"company_found"`
		IDTaken      bool `bun:"id_taken"`
		Held         bool `bun:"held"`
	}
	err := s.idb(ctx).NewRaw(`WITH chk AS (SELECT
		EXISTS (SELECT 1 FROM companies WHERE id = ?1) AS company_found,
		EXISTS (SELECT 1 FROM grants WHERE id = ?0) AS id_taken,
		EXISTS (SELECT 1 FROM grants WHERE company_id = ?1 AND subject_type = ?2 AND subject_id = ?3
			AND resource_type = ?4 AND resource_id = ?5) AS held
	), ins AS (
		INSERT INTO grants (id, company_id, subject_type, subject_id, resource_type, resource_id, level,
			created_by, created_at)
		SELECT ?0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM chk WHERE company_found AND NOT (id_taken OR held)
	)
	SELECT * FROM chk`,
		g.ID, g.CompanyID, string(g.Subject.Type), g.Subject.ID, g.Resource.Type, g.Resource.ID, g.Level,
		nullUUID(g.CreatedBy), g.CreatedAt,
	).Scan(ctx, &chk)
	switch {
	case err != nil:
		return translate(ctx, err, access.CodeGrantNotFound)
	case !chk.CompanyFound:
		return access.NotFound(access.CodeCompanyNotFound)
	case chk.IDTaken:
		return access.Conflict(access.CodeIDTaken, "grant %s exists", g.ID)
	case chk.Held:
		return access.Conflict(access.CodeGrantExists, "the subject already holds a grant on this resource")
	}
	return nil
}

// GetGrant implements access.Store.
func (s *Store) GetGrant(ctx context.Context, companyID, id uuid.UUID) (access.Grant, error) {
	var r grantRow
	if err := s.idb(ctx).NewRaw(`SELECT `+grantCols+` FROM grants g WHERE g.id = ? AND g.company_id = ?`, id, companyID).
		Scan(ctx, &r); err != nil {
		return access.Grant{}, translate(ctx, err, access.CodeGrantNotFound)
	}
	return r.grant(), nil
}

// UpdateGrantLevel implements access.Store.
func (s *Store) UpdateGrantLevel(ctx context.Context, companyID, id uuid.UUID, level int) error {
	res, err := s.idb(ctx).NewRaw(`UPDATE grants SET level = ? WHERE id = ? AND company_id = ?`, level, id, companyID).
		Exec(ctx)
	return affected(ctx, res, err, access.CodeGrantNotFound)
}

// SetGrantSubject implements access.Store: the grant changes hands and
// keeps its ID. A subject that already holds a grant on the resource is
// refused by grants_subject_resource_key (access.CodeGrantExists).
func (s *Store) SetGrantSubject(ctx context.Context, companyID, id uuid.UUID, to access.Subject) error {
	res, err := s.idb(ctx).NewRaw(`UPDATE grants SET subject_type = ?, subject_id = ? WHERE id = ? AND company_id = ?`,
		string(to.Type), to.ID, id, companyID).Exec(ctx)
	return affected(ctx, res, err, access.CodeGrantNotFound)
}

// DeleteGrant implements access.Store.
func (s *Store) DeleteGrant(ctx context.Context, companyID, id uuid.UUID) error {
	res, err := s.idb(ctx).NewRaw(`DELETE FROM grants WHERE id = ? AND company_id = ?`, id, companyID).Exec(ctx)
	return affected(ctx, res, err, access.CodeGrantNotFound)
}

// DeleteSubjectGrants implements access.Store.
func (s *Store) DeleteSubjectGrants(ctx context.Context, companyID uuid.UUID, subj access.Subject) (int, error) {
	res, err := s.idb(ctx).NewRaw(`DELETE FROM grants WHERE company_id = ? AND subject_type = ? AND subject_id = ?`,
		companyID, string(subj.Type), subj.ID).Exec(ctx)
	if err != nil {
		return 0, translate(ctx, err, access.CodeGrantNotFound)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// MoveSubjectGrants implements access.Store in one statement. Grants on
// resources to does not hold yet change hands and keep their IDs; the rest
// are dropped after raising to's grant to their level if higher.
func (s *Store) MoveSubjectGrants(ctx context.Context, companyID uuid.UUID, from, to access.Subject) error {
	if from == to {
		return nil
	}
	_, err := s.idb(ctx).NewRaw(`WITH moved AS (
		UPDATE grants g SET subject_type = ?3, subject_id = ?4
		WHERE g.company_id = ?0 AND g.subject_type = ?1 AND g.subject_id = ?2
		AND NOT EXISTS (SELECT 1 FROM grants o WHERE o.company_id = ?0 AND o.subject_type = ?3
			AND o.subject_id = ?4 AND o.resource_type = g.resource_type AND o.resource_id = g.resource_id)
		RETURNING g.id
	), dropped AS (
		DELETE FROM grants g
		WHERE g.company_id = ?0 AND g.subject_type = ?1 AND g.subject_id = ?2
		AND g.id NOT IN (SELECT id FROM moved)
		RETURNING g.resource_type, g.resource_id, g.level
	)
	UPDATE grants o SET level = dropped.level FROM dropped
	WHERE o.company_id = ?0 AND o.subject_type = ?3 AND o.subject_id = ?4
	AND o.resource_type = dropped.resource_type AND o.resource_id = dropped.resource_id
	AND dropped.level > o.level`,
		companyID, string(from.Type), from.ID, string(to.Type), to.ID,
	).Exec(ctx)
	return translate(ctx, err, access.CodeGrantNotFound)
}

// ListGrants implements access.Store. The filters are fixed SQL with NULL
// meaning "any", so the statement text is the same for every call.
func (s *Store) ListGrants(ctx context.Context, companyID uuid.UUID, f access.GrantQuery, c access.Cursor) ([]access.Grant, error) {
	var subjType, subjID any
	if f.SubjectType != "" {
		subjType = string(f.SubjectType)
	}
	if f.Subject != nil {
		subjID = f.Subject.ID
	}
	var where strings.Builder
	args := []any{companyID, c.After, subjType, subjID}
	if f.Subject != nil {
		where.WriteString(` AND g.subject_type = ?` + fmt.Sprint(len(args)))
		args = append(args, string(f.Subject.Type))
	}
	if len(f.Resources) > 0 {
		types := make([]string, len(f.Resources))
		ids := make([]string, len(f.Resources))
		for i, r := range f.Resources {
			types[i], ids[i] = r.Type, r.ID
		}
		fmt.Fprintf(&where, ` AND EXISTS (SELECT 1 FROM unnest(?%d::text[], ?%d::text[]) AS r(type, id)
			WHERE g.resource_type = r.type AND (r.type = 'account' OR g.resource_id = r.id))`, len(args), len(args)+1)
		args = append(args, pgdialect.Array(types), pgdialect.Array(ids))
	}
	fmt.Fprintf(&where, ` ORDER BY g.id LIMIT ?%d`, len(args))
	args = append(args, limitOf(c))

	var rows []grantRow
	if err := s.idb(ctx).NewRaw(`SELECT `+grantCols+` FROM grants g
	WHERE g.company_id = ?0 AND g.id > ?1
	AND (?2::text IS NULL OR g.subject_type = ?2) AND (?3::uuid IS NULL OR g.subject_id = ?3)`+where.String(),
		args...).Scan(ctx, &rows); err != nil {
		return nil, translate(ctx, err, access.CodeGrantNotFound)
	}
	out := make([]access.Grant, len(rows))
	for i, r := range rows {
		out[i] = r.grant()
	}
	return out, nil
}

// Connections.

// GetConnection implements access.Store.
func (s *Store) GetConnection(ctx context.Context, companyID, id uuid.UUID) (access.Connection, error) {
	var r connectionRow
	if err := s.idb(ctx).NewRaw(`SELECT `+connectionCols+` FROM connections cn
		WHERE cn.id = ?0 AND (cn.customer_id = ?1 OR cn.agency_id = ?1)`, id, companyID).Scan(ctx, &r); err != nil {
		return access.Connection{}, translate(ctx, err, access.CodeConnectionNotFound)
	}
	return r.connection(), nil
}

// CreateConnection implements access.Store.
func (s *Store) CreateConnection(ctx context.Context, c *access.Connection) error {
	var chk struct {
		CustomerFound bool `bun:"customer_found"`
		AgencyFound   bool `bun:"agency_found"`
		IDTaken       bool `bun:"id_taken"`
		Connected     bool `bun:"connected"`
	}
	err := s.idb(ctx).NewRaw(`WITH chk AS (SELECT
		EXISTS (SELECT 1 FROM companies WHERE id = ?1) AS customer_found,
		EXISTS (SELECT 1 FROM companies WHERE id = ?2) AS agency_found,
		EXISTS (SELECT 1 FROM connections WHERE id = ?0) AS id_taken,
		EXISTS (SELECT 1 FROM connections
			WHERE least(customer_id, agency_id) = least(?1::uuid, ?2::uuid)
			AND greatest(customer_id, agency_id) = greatest(?1::uuid, ?2::uuid)) AS connected
	), ins AS (
		INSERT INTO connections (id, customer_id, agency_id, permissions, created_at, updated_at)
		SELECT ?0, ?1, ?2, ?3::text[], ?4, ?5 FROM chk
		WHERE customer_found AND agency_found AND NOT (id_taken OR connected)
	)
	SELECT * FROM chk`,
		c.ID, c.CustomerID, c.AgencyID, pgdialect.Array(orEmpty(c.Permissions)), c.CreatedAt, c.UpdatedAt,
	).Scan(ctx, &chk)
	switch {
	case err != nil:
		return translate(ctx, err, access.CodeConnectionNotFound)
	case !chk.CustomerFound || !chk.AgencyFound:
		return access.NotFound(access.CodeCompanyNotFound)
	case chk.IDTaken:
		return access.Conflict(access.CodeIDTaken, "connection %s exists", c.ID)
	case chk.Connected:
		return access.Conflict(access.CodeAlreadyConnected, "the companies are already connected")
	}
	return nil
}

// UpdateConnectionPermissions implements access.Store.
func (s *Store) UpdateConnectionPermissions(ctx context.Context, c *access.Connection) error {
	res, err := s.idb(ctx).NewRaw(`UPDATE connections SET permissions = ?::text[], updated_at = ? WHERE id = ?`,
		pgdialect.Array(orEmpty(c.Permissions)), c.UpdatedAt, c.ID).Exec(ctx)
	return affected(ctx, res, err, access.CodeConnectionNotFound)
}

// DeleteConnection implements access.Store.
func (s *Store) DeleteConnection(ctx context.Context, companyID, id uuid.UUID) error {
	res, err := s.idb(ctx).NewRaw(`DELETE FROM connections WHERE id = ?0 AND (customer_id = ?1 OR agency_id = ?1)`,
		id, companyID).Exec(ctx)
	return affected(ctx, res, err, access.CodeConnectionNotFound)
}

// ListConnections implements access.Store.
func (s *Store) ListConnections(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]access.Connection, error) {
	var rows []connectionRow
	if err := s.idb(ctx).NewRaw(`SELECT `+connectionCols+` FROM connections cn
	WHERE (cn.customer_id = ?0 OR cn.agency_id = ?0) AND cn.id > ?1
	ORDER BY cn.id LIMIT ?2`, companyID, c.After, limitOf(c)).Scan(ctx, &rows); err != nil {
		return nil, translate(ctx, err, access.CodeConnectionNotFound)
	}
	out := make([]access.Connection, len(rows))
	for i, r := range rows {
		out[i] = r.connection()
	}
	return out, nil
}

// Audit.

// AppendAudit implements access.Store.
func (s *Store) AppendAudit(ctx context.Context, e *access.AuditEvent) error {
	details, err := json.Marshal(e.Details)
	if err != nil {
		return fmt.Errorf("bunstore: audit details: %w", err)
	}
	res, err := s.idb(ctx).NewRaw(`INSERT INTO audit_events (id, company_id, actor, action, target, outcome, details, at)
	VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?) ON CONFLICT (id) DO NOTHING`,
		e.ID, e.CompanyID, e.Actor, e.Action, e.Target, e.Outcome, string(details), e.At).Exec(ctx)
	if err != nil {
		return translate(ctx, err, "")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return err
		}
		return access.Conflict(access.CodeIDTaken, "audit event %s exists", e.ID)
	}
	return nil
}

// ListAudit implements access.Store.
func (s *Store) ListAudit(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]access.AuditEvent, error) {
	var rows []auditRow
	if err := s.idb(ctx).NewRaw(`SELECT id, company_id, actor, action, target, outcome, details, at
	FROM audit_events WHERE company_id = ? AND id > ? ORDER BY id LIMIT ?`, companyID, c.After, limitOf(c)).
		Scan(ctx, &rows); err != nil {
		return nil, translate(ctx, err, "")
	}
	out := make([]access.AuditEvent, len(rows))
	for i, r := range rows {
		e, err := r.event()
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// affected turns an UPDATE or DELETE result into not found when no row
// matched.
func affected(ctx context.Context, res interface{ RowsAffected() (int64, error) }, err error, entity access.Code) error {
	if err != nil {
		return translate(ctx, err, entity)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(ctx, err, entity)
	}
	if n == 0 {
		return access.NotFound(entity)
	}
	return nil
}

// found turns a count of affected rows into not found when it is zero.
func found(ctx context.Context, n int, err error, entity access.Code) error {
	if err != nil {
		return translate(ctx, err, entity)
	}
	if n == 0 {
		return access.NotFound(entity)
	}
	return nil
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
