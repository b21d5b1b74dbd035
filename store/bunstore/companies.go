package bunstore

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
)

// companyRow is a companies row with its domains (rows of company_domains,
// in their stored order).
type companyRow struct {
	ID, ParentID         uuid.UUID
	Name, ExternalKey    string
	Domains              []string `bun:",array"`
	CreatedAt, UpdatedAt time.Time
}

// companyCols selects the companies row aliased a with its domains (one
// array subquery, in their stored order), its columns prefixed by p.
func companyCols(a, p string) string {
	return prefixed(a, p, "id", "name", "parent_id",
		"coalesce(%s.external_key, '') AS %sexternal_key",
		"(SELECT array_agg(d.domain ORDER BY d.position) FROM ?schema.company_domains d WHERE d.company_id = %s.id) AS %sdomains",
		"created_at", "updated_at")
}

func (r companyRow) company() access.Company {
	return access.Company{
		ID: r.ID, Name: r.Name, ParentID: r.ParentID, ExternalKey: r.ExternalKey, Domains: nilIfEmpty(r.Domains),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

var selectCompany = `SELECT ` + companyCols("c", "") + ` FROM ?schema.companies c`

// CreateCompany implements access.Store: the company and its domains in
// one statement. companies_external_key_key and company_domains_domain_key
// hold the rules.
func (s *Store) CreateCompany(ctx context.Context, c *access.Company) error {
	_, err := s.exec(ctx, access.CodeCompanyNotFound, `WITH ins AS (
		INSERT INTO ?schema.companies (id, name, parent_id, external_key, created_at, updated_at)
		VALUES (?0, ?1, ?2, NULLIF(?3, ''), ?4, ?5)
		RETURNING id
	)
	INSERT INTO ?schema.company_domains (domain, company_id, position)
	SELECT d.domain, ins.id, d.position FROM ins, unnest(?6::text[]) WITH ORDINALITY AS d(domain, position)`,
		c.ID, c.Name, nullUUID(c.ParentID), c.ExternalKey, c.CreatedAt, c.UpdatedAt, pgdialect.Array(orEmpty(c.Domains)))
	return err
}

func (s *Store) getCompany(ctx context.Context, where string, arg any) (access.Company, error) {
	var r companyRow
	if err := s.scan(ctx, access.CodeCompanyNotFound, &r, selectCompany+` WHERE `+where, arg); err != nil {
		return access.Company{}, err
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
	return s.getCompany(ctx, `c.id = (SELECT company_id FROM ?schema.company_domains WHERE domain = ?)`, domain)
}

// UpdateCompany implements access.Store in one statement. Domains the
// company keeps stay rows of their own (only their position changes), so
// the statement never deletes and re-inserts one key; a domain of another
// company breaks company_domains_domain_key.
func (s *Store) UpdateCompany(ctx context.Context, c *access.Company) error {
	var n int
	err := s.scan(ctx, access.CodeCompanyNotFound, &n, `WITH upd AS (
		UPDATE ?schema.companies SET name = ?1, parent_id = ?2, external_key = NULLIF(?3, ''), updated_at = ?4
		WHERE id = ?0
		RETURNING id
	), want AS (
		SELECT d.domain, d.position FROM upd, unnest(?5::text[]) WITH ORDINALITY AS d(domain, position)
	), gone AS (
		DELETE FROM ?schema.company_domains WHERE company_id IN (SELECT id FROM upd) AND domain <> ALL(?5::text[])
	), kept AS (
		UPDATE ?schema.company_domains cd SET position = want.position FROM want
		WHERE cd.company_id = ?0 AND cd.domain = want.domain
	), added AS (
		INSERT INTO ?schema.company_domains (domain, company_id, position)
		SELECT want.domain, ?0, want.position FROM want
		WHERE NOT EXISTS (SELECT 1 FROM ?schema.company_domains cd WHERE cd.domain = want.domain AND cd.company_id = ?0)
	)
	SELECT count(*) FROM upd`,
		c.ID, c.Name, nullUUID(c.ParentID), c.ExternalKey, c.UpdatedAt, pgdialect.Array(orEmpty(c.Domains)))
	return one(n, err, access.CodeCompanyNotFound)
}

// DeleteCompany implements access.Store. Memberships, grants, connections,
// domains, invitations, tokens and login links go by ON DELETE CASCADE;
// the log of invitations sent (which has no keys) goes with them; users
// acting in the company lose it as their active one.
func (s *Store) DeleteCompany(ctx context.Context, id uuid.UUID) error {
	var n int
	err := s.scan(ctx, access.CodeCompanyNotFound, &n, `WITH del AS (
		DELETE FROM ?schema.companies WHERE id = ?0 RETURNING id
	), active AS (
		UPDATE ?schema.users SET active_company_id = NULL
		WHERE active_company_id = ?0 AND EXISTS (SELECT 1 FROM del)
	), sends AS (
		DELETE FROM ?schema.invitation_sends WHERE company_id = ?0 AND EXISTS (SELECT 1 FROM del)
	)
	SELECT count(*) FROM del`, id)
	return one(n, err, access.CodeCompanyNotFound)
}

// LockCompany implements access.Store: the company row's FOR UPDATE lock,
// held until the transaction in ctx ends. Every write path that needs the
// "last active OWNER" rule takes it first, so they queue across processes.
func (s *Store) LockCompany(ctx context.Context, id uuid.UUID) error {
	var n int
	err := s.scan(ctx, access.CodeCompanyNotFound, &n,
		`SELECT count(*) FROM (SELECT 1 FROM ?schema.companies WHERE id = ? FOR UPDATE) AS c`, id)
	return one(n, err, access.CodeCompanyNotFound)
}

// nullUUID is an optional ID as an argument: NULL for uuid.Nil.
func nullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}
