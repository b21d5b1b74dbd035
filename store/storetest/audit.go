package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func testAudit(t *testing.T, newStore Factory) {
	t.Run("list", func(t *testing.T) { testAuditList(t, newStore) })
	t.Run("query", func(t *testing.T) { testAuditQuery(t, newStore) })
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
	t.Run("several at once", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		require.NoError(t, f.s.AppendAudits(f.ctx, nil), "none: nothing")
		es := []access.AuditEvent{
			{ID: newID(), CompanyID: c.ID, Actor: "system", Action: "a.one", Target: "user:x", Outcome: access.OutcomeSuccess,
				Details: map[string]string{"k": `"quoted"`}, At: f.now},
			{ID: newID(), CompanyID: other.ID, Actor: "system", Action: "b", Outcome: access.OutcomeDenied, At: f.now.Add(time.Second)},
			{ID: newID(), CompanyID: c.ID, Actor: "user:y", Action: "a.two", Outcome: access.OutcomeSuccess,
				Details: map[string]string{}, At: f.now.Add(2 * time.Second)},
		}
		require.NoError(t, f.s.AppendAudits(f.ctx, es))
		got, err := f.s.ListAudit(f.ctx, c.ID, all())
		require.NoError(t, err)
		if assert.Len(t, got, 2) {
			assert.Equal(t, normEvent(es[0]), normEvent(got[0]))
			assert.Equal(t, normEvent(es[2]), normEvent(got[1]))
		}
		got, err = f.s.ListAudit(f.ctx, other.ID, all())
		require.NoError(t, err)
		if assert.Len(t, got, 1) {
			assert.Equal(t, normEvent(es[1]), normEvent(got[0]))
		}

		// All or none: a taken ID refuses the whole batch.
		fresh := access.AuditEvent{ID: newID(), CompanyID: c.ID, Actor: "system", Action: "fresh", At: f.now}
		assertConflict(t, f.s.AppendAudits(f.ctx, []access.AuditEvent{fresh, es[0]}), access.CodeIDTaken)
		got, err = f.s.ListAudit(f.ctx, c.ID, all())
		require.NoError(t, err)
		assert.Len(t, got, 2, "the batch with a taken ID left an event")
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

// testAuditQuery: every filter alone and combined, over a trail whose
// times do not follow its IDs, page by page, against AuditQuery.Matches
// over the trail ordered by (At, ID).
func testAuditQuery(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, other := f.company(), f.company()
	actors := []string{"system", "user:" + newID().String(), "token:" + newID().String()}
	actions := []string{"membership.created", "membership.role_changed", "memberships.x", "invitation.created",
		"invitation.created.extra", "access.denied", "membership"}
	targets := []string{"user:" + newID().String(), "company:" + c.ID.String(), ""}
	var trail []access.AuditEvent
	for i := range 60 {
		e := access.AuditEvent{ID: newID(), CompanyID: c.ID, Actor: actors[i%len(actors)], Action: actions[i%len(actions)],
			Target: targets[i%len(targets)], Outcome: []string{access.OutcomeSuccess, access.OutcomeDenied}[i%5/4],
			// Times run backwards in blocks, so ID order is not time order;
			// several events share a time.
			At: f.now.Add(time.Duration((i/10)*-10+i%10/2) * time.Minute)}
		require.NoError(t, f.s.AppendAudit(f.ctx, &e))
		trail = append(trail, e)
		noise := e
		noise.ID, noise.CompanyID = newID(), other.ID
		require.NoError(t, f.s.AppendAudit(f.ctx, &noise))
	}
	slices.SortFunc(trail, func(a, b access.AuditEvent) int {
		return cmp.Or(a.At.Compare(b.At), compareUUID(a.ID, b.ID))
	})
	minute := func(m int) time.Time { return f.now.Add(time.Duration(m) * time.Minute) }
	queries := []access.AuditQuery{
		{},
		{Actor: actors[1]},
		{Actor: "user:" + newID().String()}, // nobody

		{Action: "membership"},
		{Action: "membership.created"},
		{Action: "invitation.created"},
		{Action: "invitation"},
		{Action: "member"}, // not a whole segment: nothing
		{Target: targets[0]},
		{Target: ""},
		{Outcome: access.OutcomeDenied},
		{Outcome: access.OutcomeSuccess},
		{Since: minute(-20)},
		{Until: minute(-20)},
		{Since: minute(-30), Until: minute(-18)},
		{Actor: actors[0], Outcome: access.OutcomeSuccess},
		{Action: "membership", Target: targets[1], Since: minute(-40)},
		{Actor: actors[2], Action: "invitation", Outcome: access.OutcomeDenied, Until: minute(1)},
		{Actor: actors[1], Target: targets[2], Action: "access", Since: minute(-50), Until: minute(5)},
	}
	for i, q := range queries {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want := []uuid.UUID{}
			for _, e := range trail {
				if q.Matches(e) {
					want = append(want, e.ID)
				}
			}
			got, err := f.s.QueryAudit(f.ctx, c.ID, q, all())
			require.NoError(t, err)
			assert.Equal(t, want, idsOf(got, func(e access.AuditEvent) uuid.UUID { return e.ID }), "one page of %+v", q)
			paged := []uuid.UUID{}
			cur := access.Cursor{Limit: 3}
			for range len(trail) + 1 {
				es, err := f.s.QueryAudit(f.ctx, c.ID, q, cur)
				require.NoError(t, err)
				require.LessOrEqual(t, len(es), 3)
				for _, e := range es {
					assert.True(t, q.Matches(e))
					assert.Equal(t, c.ID, e.CompanyID)
					paged = append(paged, e.ID)
				}
				if len(es) < 3 {
					break
				}
				cur.After = es[len(es)-1].ID
			}
			assert.Equal(t, want, paged, "page by page of %+v", q)
			if i != 2 && i != 7 { // the two that match nothing on purpose
				assert.NotEmpty(t, want, "a query that matches nothing proves little")
			}

		})
	}
	t.Run("ListAudit is the empty query", func(t *testing.T) {
		got, err := f.s.ListAudit(f.ctx, c.ID, all())
		require.NoError(t, err)
		assert.Equal(t, idsOf(trail, func(e access.AuditEvent) uuid.UUID { return e.ID }),
			idsOf(got, func(e access.AuditEvent) uuid.UUID { return e.ID }), "ordered by (At, ID)")
	})
	t.Run("unknown cursor", func(t *testing.T) {
		got, err := f.s.QueryAudit(f.ctx, c.ID, access.AuditQuery{}, access.Cursor{After: newID(), Limit: 10})
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

func compareUUID(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }
