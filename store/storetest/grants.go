package storetest

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func testGrants(t *testing.T, newStore Factory) {
	t.Run("round trip", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		u, boss := f.user(), f.user()
		g := access.Grant{
			ID: newID(), CompanyID: c.ID, Subject: userSubject(u.ID), Resource: projA,
			Level: access.LevelViewerPlus, CreatedBy: boss.ID, CreatedAt: f.now,
		}
		require.NoError(t, f.s.CreateGrant(f.ctx, &g))
		got, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
		require.NoError(t, err)
		assert.Equal(t, g, normGrant(got))
		acc := f.grant(c.ID, access.Subject{Type: access.SubjectInvite, ID: newID()}, account, access.LevelOwner)
		got, err = f.s.GetGrant(f.ctx, c.ID, acc.ID)
		require.NoError(t, err)
		assert.Equal(t, acc, normGrant(got))
	})
	t.Run("one per subject and resource", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		s := userSubject(newID())
		first := f.grant(c.ID, s, projA, access.LevelViewer)
		dup := access.Grant{ID: newID(), CompanyID: c.ID, Subject: s, Resource: projA, Level: access.LevelAdmin, CreatedAt: f.now}
		assertConflict(t, f.s.CreateGrant(f.ctx, &dup), access.CodeGrantExists)
		_, err := f.s.GetGrant(f.ctx, c.ID, dup.ID)
		assertNotFound(t, err, access.CodeGrantNotFound)
		sameID := access.Grant{ID: first.ID, CompanyID: c.ID, Subject: s, Resource: inboxA, Level: access.LevelAdmin, CreatedAt: f.now}
		assertConflict(t, f.s.CreateGrant(f.ctx, &sameID), access.CodeIDTaken)
		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Resources: []access.Resource{inboxA}}, all())
		require.NoError(t, err)
		assert.Empty(t, gs, "the refused grant was stored")
		orphan := access.Grant{ID: newID(), CompanyID: newID(), Subject: s, Resource: projA, Level: access.LevelAdmin, CreatedAt: f.now}
		assertNotFound(t, f.s.CreateGrant(f.ctx, &orphan), access.CodeCompanyNotFound)
		// Another resource, subject type or company is another grant.
		f.grant(c.ID, s, projB, access.LevelViewer)
		f.grant(c.ID, s, inboxA, access.LevelViewer)
		f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: s.ID}, projA, access.LevelViewer)
		f.grant(other.ID, s, projA, access.LevelViewer)
	})
	t.Run("isolation and not found", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		g := f.grant(c.ID, userSubject(newID()), projA, access.LevelViewer)
		_, err := f.s.GetGrant(f.ctx, other.ID, g.ID)
		assertNotFound(t, err, access.CodeGrantNotFound)
		assertNotFound(t, f.s.UpdateGrantLevel(f.ctx, other.ID, g.ID, access.LevelOwner), access.CodeGrantNotFound)
		assertNotFound(t, f.s.DeleteGrant(f.ctx, other.ID, g.ID), access.CodeGrantNotFound)
		_, err = f.s.GetGrant(f.ctx, c.ID, newID())
		assertNotFound(t, err, access.CodeGrantNotFound)
		assertNotFound(t, f.s.UpdateGrantLevel(f.ctx, c.ID, newID(), access.LevelOwner), access.CodeGrantNotFound)
		assertNotFound(t, f.s.DeleteGrant(f.ctx, c.ID, newID()), access.CodeGrantNotFound)
		got, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
		require.NoError(t, err)
		assert.Equal(t, g, normGrant(got), "another company's call changed the grant")
	})
	t.Run("update level and delete", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		g := f.grant(c.ID, userSubject(newID()), projA, access.LevelViewer)
		require.NoError(t, f.s.UpdateGrantLevel(f.ctx, c.ID, g.ID, access.LevelAdmin))
		got, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
		require.NoError(t, err)
		g.Level = access.LevelAdmin
		assert.Equal(t, g, normGrant(got))
		require.NoError(t, f.s.DeleteGrant(f.ctx, c.ID, g.ID))
		_, err = f.s.GetGrant(f.ctx, c.ID, g.ID)
		assertNotFound(t, err, access.CodeGrantNotFound)
		assertNotFound(t, f.s.DeleteGrant(f.ctx, c.ID, g.ID), access.CodeGrantNotFound)
		f.grant(c.ID, g.Subject, projA, access.LevelViewer) // the resource is free again
	})
	t.Run("delete subject grants", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		inv := access.Subject{Type: access.SubjectInvite, ID: newID()}
		f.grant(c.ID, inv, projA, access.LevelViewer)
		f.grant(c.ID, inv, account, access.LevelViewer)
		keep1 := f.grant(other.ID, inv, projA, access.LevelViewer)
		keep2 := f.grant(c.ID, userSubject(inv.ID), projA, access.LevelViewer)
		n, err := f.s.DeleteSubjectGrants(f.ctx, c.ID, inv)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subject: &inv}, all())
		require.NoError(t, err)
		assert.Empty(t, gs)
		for _, g := range []access.Grant{keep1, keep2} {
			_, err := f.s.GetGrant(f.ctx, g.CompanyID, g.ID)
			assert.NoError(t, err)
		}
		n, err = f.s.DeleteSubjectGrants(f.ctx, c.ID, inv)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
	t.Run("set subject", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		inv := access.Subject{Type: access.SubjectInvite, ID: newID()}
		usr := userSubject(newID())
		moving := f.grant(c.ID, inv, projA, access.LevelViewerPlus)
		held := f.grant(c.ID, inv, projB, access.LevelAdmin)
		f.grant(c.ID, usr, projB, access.LevelViewer)
		foreign := f.grant(other.ID, inv, projA, access.LevelOwner)

		require.NoError(t, f.s.SetGrantSubject(f.ctx, c.ID, moving.ID, usr))
		got, err := f.s.GetGrant(f.ctx, c.ID, moving.ID)
		require.NoError(t, err)
		want := moving
		want.Subject = usr
		assert.Equal(t, want, normGrant(got), "the grant keeps its ID, resource, level and creation")
		facts, err := f.s.CheckAccess(f.ctx, access.AccessQuery{CompanyID: c.ID, UserID: usr.ID, Resource: projA})
		require.NoError(t, err)
		assert.Equal(t, access.LevelViewerPlus, facts.GrantLevel, "the check reads the new holder")
		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subject: &inv}, all())
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{held.ID}, grantIDs(gs), "the old holder's listing lost it")
		gs, err = f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{SubjectType: access.SubjectUser, Resources: []access.Resource{projA}}, all())
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{moving.ID}, grantIDs(gs))

		assertConflict(t, f.s.SetGrantSubject(f.ctx, c.ID, held.ID, usr), access.CodeGrantExists, "the user holds projB already")
		got, err = f.s.GetGrant(f.ctx, c.ID, held.ID)
		require.NoError(t, err)
		assert.Equal(t, held, normGrant(got), "a refused move changed the grant")
		require.NoError(t, f.s.SetGrantSubject(f.ctx, c.ID, moving.ID, usr), "to its own holder: nothing to do")

		assertNotFound(t, f.s.SetGrantSubject(f.ctx, other.ID, held.ID, usr), access.CodeGrantNotFound, "another company's grant")
		assertNotFound(t, f.s.SetGrantSubject(f.ctx, c.ID, newID(), usr), access.CodeGrantNotFound)
		got, err = f.s.GetGrant(f.ctx, other.ID, foreign.ID)
		require.NoError(t, err)
		assert.Equal(t, inv, got.Subject)

		// The old holder's resource is free again; a rollback moves it back.
		f.grant(c.ID, inv, projA, access.LevelViewer)
		err = f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			require.NoError(t, f.s.SetGrantSubject(ctx, c.ID, held.ID, userSubject(newID())))
			return errSentinel
		})
		require.ErrorIs(t, err, errSentinel)
		got, err = f.s.GetGrant(f.ctx, c.ID, held.ID)
		require.NoError(t, err)
		assert.Equal(t, inv, got.Subject, "the rolled back move")
		assertConflict(t, f.s.CreateGrant(f.ctx, &access.Grant{ID: newID(), CompanyID: c.ID, Subject: inv, Resource: projB, Level: 10, CreatedAt: f.now}),
			access.CodeGrantExists, "the rolled back move freed the old holder's resource")
	})
	t.Run("list filters", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		u1, u2 := userSubject(newID()), userSubject(newID())
		tok := access.Subject{Type: access.SubjectToken, ID: newID()}
		inv := access.Subject{Type: access.SubjectInvite, ID: newID()}
		g1 := f.grant(c.ID, u1, projA, access.LevelViewer)
		g2 := f.grant(c.ID, u1, account, access.LevelViewer)
		g3 := f.grant(c.ID, u2, projB, access.LevelViewer)
		g4 := f.grant(c.ID, tok, projA, access.LevelViewer)
		g5 := f.grant(c.ID, inv, inboxA, access.LevelViewer)
		f.grant(other.ID, u1, projA, access.LevelViewer)
		for _, tc := range []struct {
			name string
			q    access.GrantQuery
			want []uuid.UUID
		}{
			{"all", access.GrantQuery{}, sortedIDs(g1.ID, g2.ID, g3.ID, g4.ID, g5.ID)},
			{"one resource", access.GrantQuery{Resources: []access.Resource{projA}}, sortedIDs(g1.ID, g4.ID)},
			{"any of", access.GrantQuery{Resources: []access.Resource{projB, account, inboxA}}, sortedIDs(g2.ID, g3.ID, g5.ID)},
			{"account", access.GrantQuery{Resources: []access.Resource{account}}, sortedIDs(g2.ID)},
			{"no match", access.GrantQuery{Resources: []access.Resource{{Type: "project", ID: "zzz"}}}, sortedIDs()},
			{"subject type", access.GrantQuery{SubjectType: access.SubjectUser}, sortedIDs(g1.ID, g2.ID, g3.ID)},
			{"subject", access.GrantQuery{Subject: &u1}, sortedIDs(g1.ID, g2.ID)},
			{"subject and resource", access.GrantQuery{Subject: &u1, Resources: []access.Resource{projA, projB}}, sortedIDs(g1.ID)},
			{"type and resource", access.GrantQuery{SubjectType: access.SubjectToken, Resources: []access.Resource{projA}}, sortedIDs(g4.ID)},
		} {
			gs, err := f.s.ListGrants(f.ctx, c.ID, tc.q, all())
			require.NoError(t, err, tc.name)
			assert.Equal(t, tc.want, grantIDs(gs), tc.name)
		}
		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subject: &u2}, all())
		require.NoError(t, err)
		if assert.Len(t, gs, 1) {
			assert.Equal(t, g3, normGrant(gs[0]))
		}
	})
	t.Run("pages", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		checkListing(t, 10, func(id uuid.UUID) {
			r := access.Resource{Type: "project", ID: uuid.NewString()}
			g := access.Grant{ID: id, CompanyID: c.ID, Subject: userSubject(newID()), Resource: r, Level: access.LevelViewer, CreatedAt: f.now}
			require.NoError(t, f.s.CreateGrant(f.ctx, &g))
			f.grant(other.ID, g.Subject, r, access.LevelViewer)
		}, func(cur access.Cursor) ([]uuid.UUID, error) {
			gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{}, cur)
			return grantIDs(gs), err
		})
	})
	t.Run("filtered pages", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		s := userSubject(newID())
		checkListing(t, 10, func(id uuid.UUID) {
			r := access.Resource{Type: "project", ID: uuid.NewString()}
			g := access.Grant{ID: id, CompanyID: c.ID, Subject: s, Resource: r, Level: access.LevelViewer, CreatedAt: f.now}
			require.NoError(t, f.s.CreateGrant(f.ctx, &g))
			f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: newID()}, r, access.LevelViewer)
		}, func(cur access.Cursor) ([]uuid.UUID, error) {
			gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subject: &s, SubjectType: access.SubjectUser}, cur)
			return grantIDs(gs), err
		})
	})
}
