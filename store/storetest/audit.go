package storetest

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func testAudit(t *testing.T, newStore Factory) {
	t.Run("list", func(t *testing.T) { testAuditList(t, newStore) })
	t.Run("pages", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		checkListing(t, 10, func(id uuid.UUID) {
			f.event(c.ID, id, "a")
			f.event(other.ID, newID(), "b")
		}, func(cur access.Cursor) ([]uuid.UUID, error) {
			es, err := f.s.ListAudit(f.ctx, c.ID, cur)
			return idsOf(es, func(e access.AuditEvent) uuid.UUID { return e.ID }), err
		})
	})
	t.Run("id taken and copies", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		details := map[string]string{"k": "v"}
		e := access.AuditEvent{ID: newID(), CompanyID: c.ID, Actor: "system", Action: "a", Details: details, At: f.now}
		require.NoError(t, f.s.AppendAudit(f.ctx, &e))
		details["k"] = "mutated"
		dup := e
		dup.Action = "again"
		assertConflict(t, f.s.AppendAudit(f.ctx, &dup), access.CodeIDTaken)
		ge, err := f.s.ListAudit(f.ctx, c.ID, all())
		require.NoError(t, err)
		require.Len(t, ge, 1)
		ge[0].Details["k"] = "mutated"
		ge, err = f.s.ListAudit(f.ctx, c.ID, all())
		require.NoError(t, err)
		require.Len(t, ge, 1, "the refused event was stored")
		assert.Equal(t, "a", ge[0].Action)
		assert.Equal(t, map[string]string{"k": "v"}, ge[0].Details)
	})
}

func testAuditList(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, other := f.company(), f.company()
	ids := make([]uuid.UUID, 5)
	for i := range ids {
		ids[i] = newID()
	}
	want := make([]access.AuditEvent, len(ids))
	for _, i := range []int{3, 0, 4, 1, 2} { // appended out of order
		want[i] = f.event(c.ID, ids[i], "action")
	}
	f.event(other.ID, newID(), "elsewhere")
	f.event(uuid.Nil, newID(), "global") // outside any company

	got, err := f.s.ListAudit(f.ctx, c.ID, all())
	require.NoError(t, err)
	norm := make([]access.AuditEvent, len(got))
	for i, e := range got {
		norm[i] = normEvent(e)
	}
	assert.Equal(t, want, norm, "a company's events, ordered by ID")

	got, err = f.s.ListAudit(f.ctx, c.ID, access.Cursor{After: ids[1], Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, ids[2:4], idsOf(got, func(e access.AuditEvent) uuid.UUID { return e.ID }))

	bare := access.AuditEvent{ID: newID(), CompanyID: other.ID, Actor: "system", Action: "bare", At: f.now}
	require.NoError(t, f.s.AppendAudit(f.ctx, &bare))
	got, err = f.s.ListAudit(f.ctx, other.ID, all())
	require.NoError(t, err)
	var found bool
	for _, e := range got {
		if e.ID == bare.ID {
			found = true
			assert.Equal(t, bare, normEvent(e))
		}
	}
	assert.True(t, found, "event without details")
}
