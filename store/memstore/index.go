package memstore

import (
	"bytes"
	"slices"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// idIndex keeps, per key, the IDs of the rows filed under it sorted by
// their bytes, so a keyset page is a binary search and a slice. Mutations
// happen under the write lock and are undoable like table's.
type idIndex[K comparable] map[K][]uuid.UUID

func compareID(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }

func (ix idIndex[K]) add(t *tx, k K, id uuid.UUID) {
	if ix.insert(k, id) {
		t.onUndo(func() { ix.remove(k, id) })
	}
}

func (ix idIndex[K]) del(t *tx, k K, id uuid.UUID) {
	if ix.remove(k, id) {
		t.onUndo(func() { ix.insert(k, id) })
	}
}

func (ix idIndex[K]) insert(k K, id uuid.UUID) bool {
	ids := ix[k]
	i, found := slices.BinarySearchFunc(ids, id, compareID)
	if found {
		return false
	}
	ix[k] = slices.Insert(ids, i, id)
	return true
}

func (ix idIndex[K]) remove(k K, id uuid.UUID) bool {
	ids := ix[k]
	i, found := slices.BinarySearchFunc(ids, id, compareID)
	if !found {
		return false
	}
	if ids = slices.Delete(ids, i, i+1); len(ids) == 0 {
		delete(ix, k)
	} else {
		ix[k] = ids
	}
	return true
}

// after returns the IDs under k greater than after. The result aliases the
// index: clone it before mutating the index while iterating.
func (ix idIndex[K]) after(k K, after uuid.UUID) []uuid.UUID { return idsAfter(ix[k], after) }

// idsAfter returns the IDs of the sorted ids greater than after.
func idsAfter(ids []uuid.UUID, after uuid.UUID) []uuid.UUID {
	i, found := slices.BinarySearchFunc(ids, after, compareID)
	if found {
		i++
	}
	return ids[i:]
}

// pageLimit reads a page's limit; a non-positive one means the default.
func pageLimit(n int) int {
	if n <= 0 {
		return access.DefaultPageLimit
	}
	return n
}

// limitOf reads a cursor's limit.
func limitOf(c access.Cursor) int { return pageLimit(c.Limit) }

// page maps the IDs under k after the cursor to rows, keeping those for
// which row reports true, until the limit.
func page[K comparable, T any](ix idIndex[K], k K, c access.Cursor, row func(uuid.UUID) (T, bool)) []T {
	limit := limitOf(c)
	ids := ix.after(k, c.After)
	out := make([]T, 0, min(limit, len(ids)))
	for _, id := range ids {
		if len(out) == limit {
			break
		}
		if v, ok := row(id); ok {
			out = append(out, v)
		}
	}
	return out
}
