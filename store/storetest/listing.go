package storetest

import (
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

// checkListing creates rows (their IDs a mix of time-ordered and random, so
// the order is the IDs' bytes) and walks the listing page by page while more
// rows are created between pages. Every row created before the walk must
// come exactly once, in ID order.
func checkListing(t *testing.T, n int, create func(id uuid.UUID), list func(c access.Cursor) ([]uuid.UUID, error)) {
	t.Helper()
	var created []uuid.UUID
	mk := func(i int) {
		id := newID()
		if i%3 == 1 {
			id = uuid.New()
		}
		create(id)
		created = append(created, id)
	}
	for i := range n {
		mk(i)
	}
	original := sortedIDs(created...)

	const limit = 3
	var seen []uuid.UUID
	c := access.Cursor{Limit: limit}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 2*n+10, "the listing does not end")
		ids, err := list(c)
		require.NoError(t, err)
		require.LessOrEqual(t, len(ids), limit, "a page longer than the limit")
		if pages == 0 && n >= limit {
			assert.Len(t, ids, limit, "a short first page")
		}
		seen = append(seen, ids...)
		if len(ids) < limit {
			break
		}
		c.After = ids[len(ids)-1]
		if pages < 3 {
			mk(pages) // an insert between two page fetches
		}
	}
	assert.Equal(t, sortedIDs(seen...), seen, "pages out of ID order or with duplicates")
	assert.Len(t, slices.Compact(slices.Clone(seen)), len(seen), "a row came twice")
	for _, id := range original {
		assert.Contains(t, seen, id, "a row was skipped")
	}
	for _, id := range seen {
		assert.Contains(t, created, id, "a row that was not created here")
	}
	// A listing from the start holds every row.
	ids, err := list(access.Cursor{Limit: access.MaxPageLimit})
	require.NoError(t, err)
	assert.Equal(t, sortedIDs(created...), ids)
}
