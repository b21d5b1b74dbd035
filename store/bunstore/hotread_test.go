package bunstore_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/token"
)

// oneSession is a migrated, seeded database behind a pool of one
// connection, so pg_prepared_statements shows the store's statements.
func oneSession(t *testing.T, shape seedShape) (*bunstore.Store, *bun.DB) {
	t.Helper()
	// The simple protocol: pgx prepares no statement of its own.
	db := open(t, freshDatabase(t), pgxSimple)
	require.NoError(t, bunstore.Migrate(context.Background(), db))
	seed(t, db, shape)
	db.DB.SetMaxIdleConns(1)
	db.DB.SetMaxOpenConns(1)
	return bunstore.New(db), db
}

type planCounts struct {
	Statement string `bun:"statement"`
	Generic   int    `bun:"generic_plans"`
	Custom    int    `bun:"custom_plans"`
}

// plans reads the plan counts of the session's prepared statements whose
// text contains like.
func plans(t *testing.T, db *bun.DB, like string) []planCounts {
	t.Helper()
	var out []planCounts
	require.NoError(t, db.NewRaw(`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement LIKE ?`, "%"+like+"%").Scan(context.Background(), &out))
	return out
}

// plannerTests skips a test of PostgreSQL's planner choices (plan caching,
// index shapes) unless GATEHOUSE_TEST_PLANNER=1: they test the server's
// heuristics, which change between versions and data, not gatehouse.
func plannerTests(t *testing.T) {
	t.Helper()
	if os.Getenv("GATEHOUSE_TEST_PLANNER") != "1" {
		t.Skip("a test of PostgreSQL's planner: set GATEHOUSE_TEST_PLANNER=1 to run it")
	}
}

// TestHotReadsKeepGenericPlans: the two prepared reads (the check, a token
// by digest), whose plans do not depend on their arguments' values, are
// planned for their first five calls and run their generic plan from then
// on: a call costs no planning. Nothing else is prepared by the store.
func TestHotReadsKeepGenericPlans(t *testing.T) {
	plannerTests(t)
	ctx := context.Background()
	shape := seedShape{companies: 2, perCompany: 3000, users: 6000}
	s, db := oneSession(t, shape)
	const calls = 12
	for i := range calls {
		c, u := seedID("c", i%shape.companies+1), seedID("u", shape.seedMember(i%shape.companies+1, i+1))
		q := access.AccessQuery{CompanyID: c, UserID: u, Permission: access.UserView,
			Resource: access.Resource{Type: "project", ID: "p3"}, AgencyRoles: []string{access.RoleOwner}}
		if i%2 == 0 {
			q.TokenID, q.Resource = seedID("t", i), access.Resource{}
		}
		_, err := s.CheckAccess(ctx, q)
		require.NoError(t, err)
		_, err = s.GetMember(ctx, c, u)
		require.NoError(t, err)
		_, err = s.GetTokenByHash(ctx, token.Digest{byte(i)})
		require.ErrorIs(t, err, access.ErrNotFound)
	}
	ps := plans(t, db, "")
	require.Len(t, ps, 2, "the check and a token by digest")
	for _, p := range ps {
		head := strings.Join(strings.Fields(p.Statement), " ")
		assert.Equal(t, 5, p.Custom, head)
		assert.Equal(t, calls-5, p.Generic, "planned anew: %s", head)
	}
}

// TestPageOfAnyLimit: a caller's "everything" (a huge limit) gets the rows
// there are; the store reserves room for the rows, not for the limit.
func TestPageOfAnyLimit(t *testing.T) {
	ctx := context.Background()
	s, _ := oneSession(t, seedShape{companies: 1, perCompany: 70, users: 70})
	page, err := s.ListMembers(ctx, seedID("c", 1), nil, access.Cursor{Limit: 1 << 40})
	require.NoError(t, err)
	assert.Len(t, page, 70)
	for i := 1; i < len(page); i++ {
		assert.Less(t, page[i-1].ID.String(), page[i].ID.String())
	}
}
