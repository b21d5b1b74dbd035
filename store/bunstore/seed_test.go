package bunstore_test

import (
	"context"
	"crypto/md5"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// seedIDs are the deterministic IDs the seed gives row i of a kind, so a
// test can address seeded rows without reading them back.
func seedID(kind string, i any) uuid.UUID {
	return uuid.UUID(md5.Sum([]byte(fmt.Sprintf("%s%v", kind, i))))
}

// seedShape sizes a seeded dataset.
type seedShape struct {
	companies  int // companies 1..companies
	perCompany int // members per company
	users      int // users 1..users, shared round-robin between companies
}

// seedMember is user number of the j-th member (1-based) of company c.
func (s seedShape) seedMember(c, j int) int { return ((c-1)*s.perCompany+j-1)%s.users + 1 }

// seed fills a migrated database with generate_series statements (no
// round trip per row): users, companies with a domain each, members (the
// first of each company an OWNER), one user grant per member on a project,
// and connections making companies c+1 to c+5 agencies of company c
// (connection "x<c>.<d>" for agency c+d). Then it runs ANALYZE, so plans are the planner's real choices.
func seed(tb testing.TB, db *bun.DB, s seedShape) {
	tb.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO gatehouse.users (id, email, first_name, last_name, status, lang, theme, currency, avatar_url,
			created_at, updated_at)
		SELECT md5('u' || i)::uuid, 'u' || i || '@example.com', 'First', 'Last', 'active', 'en', '', 'EUR', '',
			now(), now()
		FROM generate_series(1, ?0) AS i`,
		`INSERT INTO gatehouse.companies (id, name, created_at, updated_at)
		SELECT md5('c' || i)::uuid, 'Company ' || i, now(), now() FROM generate_series(1, ?1) AS i`,
		`INSERT INTO gatehouse.memberships (id, company_id, user_id, role, extra, is_active, is_primary, allow_switch,
			created_by, created_at, updated_at)
		SELECT md5('m' || c || '.' || j)::uuid, md5('c' || c)::uuid,
			md5('u' || (((c - 1) * ?2 + j - 1) % ?0 + 1))::uuid,
			CASE WHEN j = 1 THEN 'OWNER' ELSE 'VIEWER' END,
			CASE WHEN j % 3 = 0 THEN '{USER_ADD,USER_VIEW}'::text[] ELSE '{}'::text[] END,
			j % 10 <> 0, false, true,
			md5('u' || (((c - 1) * ?2) % ?0 + 1))::uuid, now(), now()
		FROM generate_series(1, ?1) AS c, generate_series(1, ?2) AS j`,
		`INSERT INTO gatehouse.grants (id, company_id, subject_type, subject_id, resource_type, resource_id, level,
			created_by, created_at)
		SELECT md5('g' || c || '.' || j)::uuid, md5('c' || c)::uuid, 'User',
			md5('u' || (((c - 1) * ?2 + j - 1) % ?0 + 1))::uuid, 'project', 'p' || (j % 7), 50, NULL, now()
		FROM generate_series(1, ?1) AS c, generate_series(1, ?2) AS j`,
		`INSERT INTO gatehouse.company_domains (domain, company_id, position)
		SELECT 'c' || i || '.example', md5('c' || i)::uuid, 1 FROM generate_series(1, ?1) AS i`,
		`INSERT INTO gatehouse.connections (id, customer_id, agency_id, permissions, created_at, updated_at)
		SELECT md5('x' || c || '.' || d)::uuid, md5('c' || c)::uuid, md5('c' || (c + d))::uuid, '{USER_VIEW}',
			now(), now()
		FROM generate_series(1, ?1) AS c, generate_series(1, 5) AS d WHERE c + d <= ?1`,
		`ANALYZE`,
	} {
		_, err := db.NewRaw(q, s.users, s.companies, s.perCompany).Exec(ctx)
		require.NoError(tb, err, q)
	}
}
