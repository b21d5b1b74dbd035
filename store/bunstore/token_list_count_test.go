package bunstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// TestTokenListQueryCounts: a page of API tokens with their grants and
// creators (seed 002's api_tokens listing, token.DescribeList) costs the
// same statements for 5 tokens as for 50, each made by another member and
// holding a grant of its own: no statement per token.
func TestTokenListQueryCounts(t *testing.T) {
	ctx := context.Background()
	s, _, rec := recordedStore(t)
	acc := access.NewService(s)
	tokens := token.NewService(acc)
	sys := access.SystemPrincipal()
	owner, err := acc.CreateUser(ctx, sys, access.NewUser{Email: "owner@acme.example"})
	require.NoError(t, err)
	c, err := acc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	require.NoError(t, err)
	in := access.Principal{Kind: access.PrincipalSystem, CompanyID: c.ID}
	const n = 50
	for i := range n {
		u, err := acc.CreateUser(ctx, sys, access.NewUser{Email: fmt.Sprintf("maker%d@acme.example", i), FirstName: fmt.Sprintf("Maker %d", i)})
		require.NoError(t, err)
		_, err = acc.AddMember(ctx, in, access.NewMember{UserID: u.ID, Role: access.RoleAdmin})
		require.NoError(t, err)
		_, err = tokens.Create(ctx, in, token.NewToken{Name: fmt.Sprintf("t%d", i), Level: access.LevelViewer, CreatorID: u.ID,
			Grants: []token.ResourceGrant{{Resource: access.Resource{Type: "project", ID: fmt.Sprintf("p%d", i)}, Level: access.LevelViewer}}})
		require.NoError(t, err)
	}
	p := access.UserPrincipal(owner.ID, c.ID)
	counts := map[int]int{}
	for _, limit := range []int{5, n} {
		var page access.Page[token.Described]
		qs := rec.count(func() {
			page, err = tokens.DescribeList(ctx, p, access.PageRequest{Limit: limit})
			require.NoError(t, err)
		})
		require.Len(t, page.Items, limit)
		for _, d := range page.Items {
			require.Len(t, d.Grants, 1, "each token's own grant")
			assert.Equal(t, "project", d.Grants[0].Resource.Type)
			assert.Equal(t, d.Token.UserID, d.Creator.ID, "each token's own creator")
			assert.Contains(t, d.Creator.FirstName, "Maker")
		}
		counts[limit] = len(qs)
		assert.LessOrEqual(t, len(qs), 6, "a page of %d: %s", limit, describe(qs))
	}
	assert.Equal(t, counts[5], counts[n], "the same statements for a page of 5 and of %d", n)
	t.Logf("statements per page, by its size: %v", counts)
}
