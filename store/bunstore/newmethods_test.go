package bunstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

// TestMembershipByIDPagesAndGrantSubject covers the store calls the
// services build numbered pages, removal by membership ID and the hand-over
// of grants on, until storetest pins them on both stores.
func TestMembershipByIDPagesAndGrantSubject(t *testing.T) {
	ctx := context.Background()
	s, db := freshStore(t, pgxCache)
	shape := seedShape{companies: 2, perCompany: 30, users: 60}
	seed(t, db, shape)
	c1, c2 := seedID("c", 1), seedID("c", 2)

	m, err := s.GetMembershipByID(ctx, c1, seedID("m", "1.3"))
	require.NoError(t, err)
	assert.Equal(t, seedID("u", shape.seedMember(1, 3)), m.UserID)
	_, err = s.GetMembershipByID(ctx, c2, seedID("m", "1.3"))
	assert.Equal(t, access.CodeMembershipNotFound, access.CodeOf(err), "another company's membership")

	all, err := s.ListMembers(ctx, c1, nil, access.Cursor{Limit: 100})
	require.NoError(t, err)
	require.Len(t, all, 30)
	page, err := s.ListMembersAt(ctx, c1, nil, 10, 7)
	require.NoError(t, err)
	assert.Equal(t, all[10:17], page)
	active := false
	inactive, err := s.ListMembers(ctx, c1, &active, access.Cursor{Limit: 100})
	require.NoError(t, err)
	page, err = s.ListMembersAt(ctx, c1, &active, 1, 100)
	require.NoError(t, err)
	assert.Equal(t, inactive[1:], page)
	page, err = s.ListMembersAt(ctx, c1, nil, 30, 10)
	require.NoError(t, err)
	assert.Empty(t, page)

	// Grant g1.1 is user 1's on project p1; user 2's g1.8 is on p1 too.
	to := access.Subject{Type: access.SubjectUser, ID: seedID("u", shape.seedMember(1, 3))}
	require.NoError(t, s.SetGrantSubject(ctx, c1, seedID("g", "1.1"), to))
	g, err := s.GetGrant(ctx, c1, seedID("g", "1.1"))
	require.NoError(t, err)
	assert.Equal(t, to, g.Subject)
	err = s.SetGrantSubject(ctx, c1, seedID("g", "1.8"), to)
	assert.ErrorIs(t, err, access.ErrConflict)
	assert.Equal(t, access.CodeGrantExists, access.CodeOf(err))
	err = s.SetGrantSubject(ctx, c2, seedID("g", "1.2"), to)
	assert.Equal(t, access.CodeGrantNotFound, access.CodeOf(err), "another company's grant")
}
