package bunstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// oneSession is a migrated, seeded database behind a pool of one
// connection, so pg_prepared_statements shows the store's statements.
func oneSession(t *testing.T, shape seedShape) (*bunstore.Store, *bun.DB) {
	t.Helper()
	db := open(t, freshDatabase(t), pgDriver)
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

// pagePlans reads the plan counts of the session's page statements.
func pagePlans(t *testing.T, db *bun.DB) []planCounts {
	t.Helper()
	var out []planCounts
	require.NoError(t, db.NewRaw(`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement LIKE '%ORDER BY m.id LIMIT%'`).Scan(context.Background(), &out))
	return out
}

// TestPagesKeepGenericPlans: a page statement is planned for its first five
// calls and runs its generic plan from then on, whatever company, user,
// cursor or filter it is given, so a page costs no planning.
func TestPagesKeepGenericPlans(t *testing.T) {
	ctx := context.Background()
	shape := seedShape{companies: 2, perCompany: 3000, users: 6000}
	s, db := oneSession(t, shape)
	active, inactive := true, false
	const calls = 12
	for i := range calls {
		c, u := seedID("c", i%shape.companies+1), seedID("u", i%shape.users+1)
		for _, filter := range []*bool{nil, &active, &inactive} {
			page, err := s.ListMembers(ctx, c, filter, access.Cursor{Limit: 11})
			require.NoError(t, err)
			require.NotEmpty(t, page)
			next, err := s.ListMembers(ctx, c, filter, access.Cursor{After: page[len(page)-1].ID, Limit: 11})
			require.NoError(t, err)
			if len(next) > 0 {
				assert.Greater(t, next[0].ID.String(), page[len(page)-1].ID.String())
			}
			_, err = s.ListUserCompanies(ctx, u, filter, access.Cursor{Limit: 11})
			require.NoError(t, err)
		}
	}
	plans := pagePlans(t, db)
	require.Len(t, plans, 6, "members and user companies, three filters each")
	for _, p := range plans {
		head := strings.Join(strings.Fields(p.Statement), " ")
		runs := calls // user companies: one page a call
		if strings.Contains(head, "FROM memberships m JOIN users u") {
			runs = 2 * calls // members: two pages a call
		}
		assert.Equal(t, 5, p.Custom, head)
		assert.Equal(t, runs-5, p.Generic, "planned anew: %s", head)
	}
}

// TestPageStatementsBounded: past MaxPageStatements page sizes a store
// prepares no more page statements and pages of every size stay right.
func TestPageStatementsBounded(t *testing.T) {
	ctx := context.Background()
	shape := seedShape{companies: 1, perCompany: 60, users: 60}
	s, db := oneSession(t, shape)
	c := seedID("c", 1)
	for limit := 1; limit <= bunstore.MaxPageStatements+10; limit++ {
		page, err := s.ListMembers(ctx, c, nil, access.Cursor{Limit: limit})
		require.NoError(t, err)
		require.Len(t, page, min(limit, shape.perCompany), "limit %d", limit)
		for i := 1; i < len(page); i++ {
			require.Less(t, page[i-1].ID.String(), page[i].ID.String(), "limit %d", limit)
		}
	}
	plans := pagePlans(t, db)
	assert.Len(t, plans, bunstore.MaxPageStatements+1, "the bounded page statements and one with LIMIT as a parameter")
}
