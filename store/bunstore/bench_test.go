package bunstore_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// rawCheckAccess is CheckAccess written by hand for the driver alone: the
// same statement with server-side parameters instead of bun's client-side
// interpolation. The benchmark compares the two per driver, to show what
// bun costs and which driver to recommend.
const rawCheckAccess = `SELECT
	m.id IS NOT NULL,
	coalesce(m.is_active, false),
	coalesce(m.role, ''),
	coalesce($3 <> '' AND $3 = ANY(m.extra), false),
	CASE WHEN $4 THEN coalesce((SELECT max(g.level) FROM grants g
		WHERE g.company_id = $1 AND g.subject_type = 'User' AND g.subject_id = $2
		AND (g.resource_type = $5 AND g.resource_id = $6 OR g.resource_type = 'account' AND g.resource_id = '')), 0)
	ELSE 0 END,
	CASE WHEN $4 AND $7::uuid IS NOT NULL THEN coalesce((SELECT max(g.level) FROM grants g
		WHERE g.company_id = $1 AND g.subject_type = 'ApiToken' AND g.subject_id = $7::uuid
		AND (g.resource_type = $5 AND g.resource_id = $6 OR g.resource_type = 'account' AND g.resource_id = '')), 0)
	ELSE 0 END,
	cn.id IS NOT NULL,
	coalesce(cn.has, false),
	cn.id
FROM (SELECT 1) AS one
LEFT JOIN memberships m ON m.company_id = $1::uuid AND m.user_id = $2::uuid
LEFT JOIN LATERAL (
	SELECT c.id, $3 <> '' AND $3 = ANY(c.permissions) AS has
	FROM connections c
	JOIN memberships am ON am.company_id = c.agency_id AND am.user_id = $2::uuid
	WHERE m.id IS NULL AND c.customer_id = $1::uuid AND am.is_active AND am.role = ANY($8::text[])
	ORDER BY has DESC, c.id
	LIMIT 1
) AS cn ON true`

// BenchmarkCheckAccess measures the permission check's store round trip
// over 1,000 companies of 100 members, per driver: through bunstore and as
// the raw statement on the same pool.
//
//	go test -run '^$' -bench CheckAccess ./store/bunstore/
func BenchmarkCheckAccess(b *testing.B) {
	ctx := context.Background()
	tg := freshDatabase(b)
	setup := open(b, tg, pgDriver)
	require.NoError(b, bunstore.Migrate(ctx, setup))
	shape := seedShape{companies: 1000, perCompany: 100, users: 20000}
	seed(b, setup, shape)

	// A spread of questions: members asking about a project, some with a
	// token, and agency owners acting through a connection. 2,000 distinct
	// ones, more than pgx's statement cache holds (512): bun interpolates
	// arguments, so each question is a statement text of its own, as in
	// real traffic.
	var qs []access.AccessQuery
	for i := range 2000 {
		c := i%shape.companies + 1
		q := access.AccessQuery{
			CompanyID: seedID("c", c), UserID: seedID("u", shape.seedMember(c, i%shape.perCompany+1)),
			Permission: access.UserView, Resource: access.Resource{Type: "project", ID: "p3"},
			AgencyRoles: []string{access.RoleOwner, access.RoleAdmin},
		}
		if c%2 == 0 {
			q.TokenID = seedID("t", c)
		}
		if c%3 == 0 && c+1 <= shape.companies {
			q.UserID, q.Resource = seedID("u", shape.seedMember(c+1, 1)), access.Resource{}
		}
		qs = append(qs, q)
	}

	for _, d := range drivers {
		db := open(b, tg, d)
		s := bunstore.New(db)
		b.Run(string(d)+"/bunstore", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.CheckAccess(ctx, qs[i%len(qs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(string(d)+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				q := qs[i%len(qs)]
				var res access.Resource
				if q.Resource.Type != "" {
					res = q.Resource
				}
				var token any
				if q.TokenID != uuid.Nil {
					token = q.TokenID.String()
				}
				var f access.AccessFacts
				var connID *string
				err := db.DB.QueryRowContext(ctx, rawCheckAccess,
					q.CompanyID.String(), q.UserID.String(), q.Permission, q.Resource.Type != "", res.Type, res.ID, token,
					"{OWNER,ADMIN}",
				).Scan(&f.Member, &f.Active, &f.Role, &f.HasExtra, &f.GrantLevel, &f.TokenGrantLevel,
					&f.Connected, &f.ConnectionHas, &connID)
				if err != nil {
					b.Fatal(err)
				}
				if connID != nil {
					f.ConnectionID = uuid.MustParse(*connID)
				}
				i++
			}
		})
	}
}

// BenchmarkListMembers measures one page of 50 members with their users,
// through bunstore, per driver.
func BenchmarkListMembers(b *testing.B) {
	ctx := context.Background()
	tg := freshDatabase(b)
	setup := open(b, tg, pgDriver)
	require.NoError(b, bunstore.Migrate(ctx, setup))
	shape := seedShape{companies: 100, perCompany: 200, users: 20000}
	seed(b, setup, shape)
	for _, d := range drivers {
		s := bunstore.New(open(b, tg, d))
		b.Run(string(d), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ms, err := s.ListMembers(ctx, seedID("c", i%shape.companies+1), nil, access.Cursor{Limit: 50})
				if err != nil || len(ms) != 50 {
					b.Fatal(len(ms), err)
				}
				i++
			}
		})
	}
}
