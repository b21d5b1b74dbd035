package bunstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
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

// plans reads the plan counts of the session's prepared statements whose
// text contains like.
func plans(t *testing.T, db *bun.DB, like string) []planCounts {
	t.Helper()
	var out []planCounts
	require.NoError(t, db.NewRaw(`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement LIKE ?`, "%"+like+"%").Scan(context.Background(), &out))
	return out
}

// TestHotReadsKeepGenericPlans: every prepared hot read (the check, a
// membership, a member, the pages, a token by hash) is planned for its
// first five calls and runs its generic plan from then on, whatever
// company, user, cursor or filter it is given: a call costs no planning.
// The data is one large company and a small one, where a page with LIMIT
// as a parameter was planned on every call.
func TestHotReadsKeepGenericPlans(t *testing.T) {
	ctx := context.Background()
	shape := seedShape{companies: 2, perCompany: 3000, users: 6000}
	s, db := oneSession(t, shape)
	active, inactive := true, false
	first, err := s.ListMembers(ctx, seedID("c", 1), nil, access.Cursor{Limit: 1})
	require.NoError(t, err)
	const calls = 12
	for i := range calls {
		c, u := seedID("c", i%shape.companies+1), seedID("u", shape.seedMember(i%shape.companies+1, i+1))
		var after uuid.UUID
		if i%3 == 0 {
			after = first[0].ID
		}
		q := access.AccessQuery{CompanyID: c, UserID: u, Permission: access.UserView,
			Resource: access.Resource{Type: "project", ID: "p3"}, AgencyRoles: []string{access.RoleOwner}}
		if i%2 == 0 {
			q.TokenID, q.Resource = seedID("t", i), access.Resource{}
		}
		_, err := s.CheckAccess(ctx, q)
		require.NoError(t, err)
		_, err = s.GetMembership(ctx, c, u)
		require.NoError(t, err)
		_, err = s.GetMember(ctx, c, u)
		require.NoError(t, err)
		_, err = s.GetTokenByHash(ctx, token.Digest{byte(i)})
		require.ErrorIs(t, err, access.ErrNotFound)
		for _, filter := range []*bool{nil, &active, &inactive} {
			page, err := s.ListMembers(ctx, c, filter, access.Cursor{After: after, Limit: 11})
			require.NoError(t, err)
			require.NotEmpty(t, page)
			_, err = s.ListUserCompanies(ctx, u, filter, access.Cursor{Limit: 11})
			require.NoError(t, err)
		}
	}
	ps := plans(t, db, "")
	require.Len(t, ps, 11, "the check, a membership, a member, a token, six pages and the page of one")
	for _, p := range ps {
		head := strings.Join(strings.Fields(p.Statement), " ")
		if strings.HasSuffix(head, "LIMIT 1") {
			continue // the cursor's look-up above
		}
		assert.Equal(t, 5, p.Custom, head)
		assert.Equal(t, calls-5, p.Generic, "planned anew: %s", head)
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
	assert.Len(t, plans(t, db, "ORDER BY m.id LIMIT"), bunstore.MaxPageStatements+1,
		"the bounded page statements and one with LIMIT as a parameter")
}
