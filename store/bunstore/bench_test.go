package bunstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// BenchmarkCheckAccess measures the permission check's store round trip
// over 1,000 companies of 100 members, per driver: through bunstore (which
// runs it as a prepared statement under pgx-cache, and unprepared under
// pgx-simple, which prepares nothing: see prepared.go) and as the same
// statement prepared by hand on the raw driver, the floor.
//
//	GATEHOUSE_TEST_DATABASE_URL=... go test -run '^$' -bench CheckAccess ./store/bunstore/
func BenchmarkCheckAccess(b *testing.B) {
	ctx := context.Background()
	tg := freshDatabase(b)
	setup := open(b, tg, pgxCache)
	require.NoError(b, bunstore.Migrate(ctx, setup))
	shape := seedShape{companies: 1000, perCompany: 100, users: 20000}
	seed(b, setup, shape)

	// A spread of questions: members asking about a project, some with a
	// token, and agency owners acting through a connection.
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
			stmt, err := db.DB.PrepareContext(ctx, bunstore.CheckAccessSQL)
			require.NoError(b, err)
			defer stmt.Close()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				q := qs[i%len(qs)]
				var token any
				if q.TokenID != uuid.Nil {
					token = q.TokenID.String()
				}
				var f access.AccessFacts
				var connID *string
				var since, agencySince *time.Time
				err := stmt.QueryRowContext(ctx,
					q.CompanyID.String(), q.UserID.String(), q.Permission, q.Resource.Type != "", q.Resource.Type, q.Resource.ID, token,
					"{OWNER,ADMIN}", nil,
				).Scan(&f.Member, &f.Active, &f.Role, &f.HasExtra, &f.Withheld, &f.GrantLevel, &f.TokenGrantLevel,
					&f.Connected, &f.ConnectionHas, &connID, &since, &agencySince, &f.AgencyRole, &f.AgencyHasExtra, &f.AgencyWithheld,
					&f.CompanyRole, &f.RoleLevel, &f.RoleHas)
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

// rawPageSQL is a page of members with their users (not the creators),
// by hand.
const rawPageSQL = `SELECT m.id, m.company_id, m.user_id, m.role, m.extra, m.withheld, m.is_active, m.is_primary, m.allow_switch,
	m.created_by, m.created_at, m.updated_at, u.id, u.email, u.first_name, u.last_name, u.status, u.lang, u.theme,
	u.currency, u.avatar_url, u.active_company_id, u.created_at, u.updated_at
FROM gatehouse.memberships m JOIN gatehouse.users u ON u.id = m.user_id
WHERE m.company_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`

// rawPage runs the floor page statement and reads its 51 rows as raw bytes.
func rawPage(ctx context.Context, stmt *sql.Stmt, company uuid.UUID) error {
	rows, err := stmt.QueryContext(ctx, company, uuid.Nil, 51)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		n++
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if n != 51 {
		return fmt.Errorf("floor page: %d rows, want 51", n)
	}
	return nil
}

// BenchmarkMembers measures, in one company of 100,000 members, the
// permission check, one member with its user, and one page of 50 members
// joined with their users at page 1 and at page 1,000 (keyset: the deep
// page costs what the first does), per driver.
//
//	GATEHOUSE_TEST_DATABASE_URL=... go test -run '^$' -bench Members ./store/bunstore/
func BenchmarkMembers(b *testing.B) {
	ctx := context.Background()
	tg := freshDatabase(b)
	setup := open(b, tg, pgxCache)
	require.NoError(b, bunstore.Migrate(ctx, setup))
	shape := seedShape{companies: 1, perCompany: 100_000, users: 100_000}
	seed(b, setup, shape)
	company := seedID("c", 1)
	var deep uuid.UUID // the cursor after 999 pages of 50
	require.NoError(b, setup.NewRaw(`SELECT id FROM gatehouse.memberships WHERE company_id = ? ORDER BY id OFFSET ? LIMIT 1`,
		company, 999*50-1).Scan(ctx, &deep))
	// What the server alone spends on each statement (EXPLAIN ANALYZE of
	// the prepared statement, without per-node timing): the floor under
	// any driver and any client.
	conn, err := setup.DB.Conn(ctx)
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close() })
	for _, q := range []struct{ name, sql, types, args string }{
		{"check", bunstore.CheckAccessSQL, "uuid, uuid, text, boolean, text, text, uuid, text[], uuid",
			"$1, $2, 'USER_VIEW', false, '', '', NULL, '{OWNER,ADMIN}', NULL"},
		{"page", bunstore.ListMembersSQL, "uuid, uuid, boolean, int", "$1, '00000000-0000-0000-0000-000000000000', NULL, 51"},
	} {
		_, err := conn.ExecContext(ctx, "PREPARE server_"+q.name+" ("+q.types+") AS "+q.sql)
		require.NoError(b, err)
		b.Run("server/"+q.name, func(b *testing.B) {
			var total float64
			i := 0
			for b.Loop() {
				args := strings.NewReplacer("$1", "'"+company.String()+"'", "$2", "'"+seedID("u", i%shape.users+1).String()+"'").Replace(q.args)
				var plan string
				require.NoError(b, conn.QueryRowContext(ctx,
					"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) EXECUTE server_"+q.name+" ("+args+")").Scan(&plan))
				var out []struct {
					Execution float64 `json:"Execution Time"` // ms
				}
				require.NoError(b, json.Unmarshal([]byte(plan), &out))
				total += out[0].Execution
				i++
			}
			b.ReportMetric(total*1000/float64(i), "server-µs")
		})
	}
	for _, d := range drivers {
		pool := open(b, tg, d)
		s := bunstore.New(pool)
		b.Run(string(d)+"/check", func(b *testing.B) {
			i := 0
			for b.Loop() {
				q := access.AccessQuery{CompanyID: company, UserID: seedID("u", i%shape.users+1), Permission: access.UserView}
				if _, err := s.CheckAccess(ctx, q); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(string(d)+"/get-member", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := s.GetMember(ctx, company, seedID("u", i%shape.users+1)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		stmt, err := pool.DB.PrepareContext(ctx, rawPageSQL)
		require.NoError(b, err)
		b.Cleanup(func() { _ = stmt.Close() })
		b.Run(string(d)+"/raw-page", func(b *testing.B) {
			// The floor of a page: the members joined with their users (not
			// the creators), prepared by hand, scanned as raw bytes.
			for b.Loop() {
				if err := rawPage(ctx, stmt, company); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, pg := range []struct {
			name  string
			after uuid.UUID
		}{{"page-1", uuid.Nil}, {"page-1000", deep}} {
			b.Run(string(d)+"/"+pg.name, func(b *testing.B) {
				for b.Loop() {
					ms, err := s.ListMembers(ctx, company, nil, access.Cursor{After: pg.after, Limit: 50})
					if err != nil || len(ms) != 50 {
						b.Fatal(len(ms), err)
					}
				}
			})
		}
	}
}
