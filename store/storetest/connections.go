package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func testConnections(t *testing.T, newStore Factory) {
	t.Run("round trip and either side", func(t *testing.T) {
		f := newRows(t, newStore)
		cust, ag, third := f.company(), f.company(), f.company()
		c := f.connect(cust.ID, ag.ID, access.UserView, access.UserEdit)
		for _, side := range []uuid.UUID{cust.ID, ag.ID} {
			got, err := f.s.GetConnection(f.ctx, side, c.ID)
			if assert.NoError(t, err) {
				assert.Equal(t, c, normConnection(got))
			}
			cs, err := f.s.ListConnections(f.ctx, side, all())
			require.NoError(t, err)
			if assert.Len(t, cs, 1) {
				assert.Equal(t, c, normConnection(cs[0]))
			}
		}
		_, err := f.s.GetConnection(f.ctx, third.ID, c.ID)
		assertNotFound(t, err, access.CodeConnectionNotFound, "a third company sees the connection")
		assertNotFound(t, f.s.DeleteConnection(f.ctx, third.ID, c.ID), access.CodeConnectionNotFound)
		cs, err := f.s.ListConnections(f.ctx, third.ID, all())
		require.NoError(t, err)
		assert.Empty(t, cs)
		_, err = f.s.GetConnection(f.ctx, cust.ID, newID())
		assertNotFound(t, err, access.CodeConnectionNotFound)
	})
	t.Run("one per pair", func(t *testing.T) {
		f := newRows(t, newStore)
		a, b, c := f.company(), f.company(), f.company()
		f.connect(a.ID, b.ID)
		for _, dup := range []access.Connection{
			{ID: newID(), CustomerID: a.ID, AgencyID: b.ID, CreatedAt: f.now, UpdatedAt: f.now},
			{ID: newID(), CustomerID: b.ID, AgencyID: a.ID, CreatedAt: f.now, UpdatedAt: f.now},
		} {
			assertConflict(t, f.s.CreateConnection(f.ctx, &dup), access.CodeAlreadyConnected)
		}
		first := f.connect(b.ID, c.ID)
		sameID := access.Connection{ID: first.ID, CustomerID: a.ID, AgencyID: f.company().ID, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateConnection(f.ctx, &sameID), access.CodeIDTaken)
		cs, err := f.s.ListConnections(f.ctx, sameID.AgencyID, all())
		require.NoError(t, err)
		assert.Empty(t, cs, "the refused connection was stored")
		for _, orphan := range []access.Connection{
			{ID: newID(), CustomerID: newID(), AgencyID: a.ID, CreatedAt: f.now, UpdatedAt: f.now},
			{ID: newID(), CustomerID: a.ID, AgencyID: newID(), CreatedAt: f.now, UpdatedAt: f.now},
		} {
			assertNotFound(t, f.s.CreateConnection(f.ctx, &orphan), access.CodeCompanyNotFound)
		}
		f.connect(a.ID, c.ID)
	})
	t.Run("never to itself", func(t *testing.T) {
		f := newRows(t, newStore)
		a := f.company()
		err := f.s.CreateConnection(f.ctx, &access.Connection{ID: newID(), CustomerID: a.ID, AgencyID: a.ID, CreatedAt: f.now, UpdatedAt: f.now})
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, "agency_id", access.FieldOf(err))
		conns, err := f.s.ListConnections(f.ctx, a.ID, access.Cursor{Limit: 10})
		require.NoError(t, err)
		assert.Empty(t, conns)
	})
	t.Run("update permissions", func(t *testing.T) {
		f := newRows(t, newStore)
		a, b := f.company(), f.company()
		c := f.connect(a.ID, b.ID, access.UserView)
		later := f.now.Add(time.Hour)
		upd := c
		upd.Permissions, upd.UpdatedAt = []string{access.UserEdit, access.UserView}, later
		require.NoError(t, f.s.UpdateConnectionPermissions(f.ctx, &upd))
		got, err := f.s.GetConnection(f.ctx, a.ID, c.ID)
		require.NoError(t, err)
		assert.Equal(t, upd, normConnection(got))
		upd.Permissions = nil
		require.NoError(t, f.s.UpdateConnectionPermissions(f.ctx, &upd))
		got, err = f.s.GetConnection(f.ctx, b.ID, c.ID)
		require.NoError(t, err)
		assert.Empty(t, got.Permissions)
		assert.Equal(t, c.CreatedAt, got.CreatedAt.UTC())
		assertNotFound(t, f.s.UpdateConnectionPermissions(f.ctx, &access.Connection{ID: newID(), CustomerID: a.ID, AgencyID: b.ID}), access.CodeConnectionNotFound)
	})
	t.Run("delete", func(t *testing.T) {
		f := newRows(t, newStore)
		a, b := f.company(), f.company()
		c1 := f.connect(a.ID, b.ID)
		require.NoError(t, f.s.DeleteConnection(f.ctx, b.ID, c1.ID), "the agency side may delete")
		_, err := f.s.GetConnection(f.ctx, a.ID, c1.ID)
		assertNotFound(t, err, access.CodeConnectionNotFound)
		assertNotFound(t, f.s.DeleteConnection(f.ctx, a.ID, c1.ID), access.CodeConnectionNotFound)
		c2 := f.connect(b.ID, a.ID) // the pair is free again, either way round
		require.NoError(t, f.s.DeleteConnection(f.ctx, b.ID, c2.ID), "the customer side may delete")
		cs, err := f.s.ListConnections(f.ctx, a.ID, all())
		require.NoError(t, err)
		assert.Empty(t, cs)
	})
	t.Run("pages", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		flip := false
		checkListing(t, 10, func(id uuid.UUID) {
			flip = !flip
			p := f.company()
			conn := access.Connection{ID: id, CustomerID: c.ID, AgencyID: p.ID, CreatedAt: f.now, UpdatedAt: f.now}
			if flip {
				conn.CustomerID, conn.AgencyID = p.ID, c.ID
			}
			require.NoError(t, f.s.CreateConnection(f.ctx, &conn))
			q := f.company()
			f.connect(p.ID, q.ID) // noise
		}, func(cur access.Cursor) ([]uuid.UUID, error) {
			cs, err := f.s.ListConnections(f.ctx, c.ID, cur)
			return idsOf(cs, func(c access.Connection) uuid.UUID { return c.ID }), err
		})
	})
	t.Run("copies", func(t *testing.T) {
		f := newRows(t, newStore)
		a, b := f.company(), f.company()
		perms := []string{access.UserView}
		conn := f.connect(a.ID, b.ID, perms...)
		perms[0] = "MUTATED"
		got, err := f.s.GetConnection(f.ctx, a.ID, conn.ID)
		require.NoError(t, err)
		got.Permissions[0] = "MUTATED"
		cs, err := f.s.ListConnections(f.ctx, a.ID, all())
		require.NoError(t, err)
		require.Len(t, cs, 1)
		cs[0].Permissions[0] = "MUTATED"
		got, err = f.s.GetConnection(f.ctx, b.ID, conn.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{access.UserView}, got.Permissions)
	})
}
