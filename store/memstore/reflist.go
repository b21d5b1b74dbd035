package memstore

import (
	"math/bits"
	"slices"

	"github.com/google/uuid"
)

// refList is a list of references sorted by the IDs of their rows, as one
// sorted slice would be, kept in chunks of at most refChunkMax so that a
// write anywhere in it moves one chunk, not the list: a company of
// 1,000,000 members deactivates its oldest member by moving at most 2 KB,
// not 4 MB. A Fenwick tree over the chunks' lengths finds the chunk of an
// offset, so a numbered page stays two look-ups and a slice whatever the
// offset.
//
// Every chunk but a lone one holds at least refChunkMin references: a
// chunk that grows past refChunkMax splits in two halves, one that shrinks
// below refChunkMin joins a neighbour (and splits again if that is too
// long). Between two of those changes of shape, each costing O(chunks),
// lie at least refChunkMin/2 writes to the chunk, so a write costs
// O(log n + refChunkMax) amortised, and a keyset page O(log n + page).
type refList struct {
	chunks [][]ref
	sizes  []int32 // Fenwick tree of len(chunks[i]), 1-based in spirit: sizes[i-1]
	n      int
}

const (
	refChunkMax = 512
	refChunkMin = refChunkMax / 4
)

// len is the number of references in the list; a nil list is empty.
func (l *refList) len() int {
	if l == nil {
		return 0
	}
	return l.n
}

// search finds id: the chunk holding it, or where it belongs, and its
// place there. A list with chunks never answers a chunk out of range.
func (l *refList) search(id uuid.UUID, idOf func(ref) uuid.UUID) (ci, k int, found bool) {
	// The first chunk whose last ID is not below id; past the last one, id
	// belongs at the end of the last.
	ci, _ = slices.BinarySearchFunc(l.chunks, id, func(c []ref, id uuid.UUID) int { return compareID(idOf(c[len(c)-1]), id) })
	if ci == len(l.chunks) {
		ci--
		return ci, len(l.chunks[ci]), false
	}
	k, found = refsSearch(l.chunks[ci], id, idOf)
	return ci, k, found
}

// insert adds r in its place, reporting false if the list holds it.
func (l *refList) insert(r ref, idOf func(ref) uuid.UUID) bool {
	if len(l.chunks) == 0 {
		l.chunks, l.n = [][]ref{{r}}, 1
		l.rebuild()
		return true
	}
	ci, k, found := l.search(idOf(r), idOf)
	if found {
		return false
	}
	c := slices.Insert(l.chunks[ci], k, r)
	l.n++
	if len(c) <= refChunkMax {
		l.chunks[ci] = c
		l.grow(ci, 1)
		return true
	}
	h := len(c) / 2
	l.chunks[ci] = c[:h]
	l.chunks = slices.Insert(l.chunks, ci+1, slices.Clone(c[h:]))
	l.rebuild()
	return true
}

// remove takes r out, reporting false if the list does not hold it.
func (l *refList) remove(r ref, idOf func(ref) uuid.UUID) bool {
	if len(l.chunks) == 0 {
		return false
	}
	ci, k, found := l.search(idOf(r), idOf)
	if !found {
		return false
	}
	c := slices.Delete(l.chunks[ci], k, k+1)
	l.chunks[ci] = c
	l.n--
	switch {
	case len(c) == 0: // only a lone chunk gets here
		l.chunks = slices.Delete(l.chunks, ci, ci+1)
	case len(c) < refChunkMin && len(l.chunks) > 1:
		lo := max(ci-1, 0) // joins the previous chunk, or the next one
		// Chunks never share an array: the lower one's spare capacity is
		// its own.
		joined := append(l.chunks[lo], l.chunks[lo+1]...)
		if len(joined) <= refChunkMax {
			l.chunks[lo] = joined
			l.chunks = slices.Delete(l.chunks, lo+1, lo+2)
		} else {
			h := len(joined) / 2
			l.chunks[lo], l.chunks[lo+1] = joined[:h], slices.Clone(joined[h:])
		}
	default:
		l.grow(ci, -1)
		return true
	}
	l.rebuild()
	return true
}

// grow adds d to the length recorded for chunk ci.
func (l *refList) grow(ci int, d int32) {
	for i := ci + 1; i <= len(l.sizes); i += i & -i {
		l.sizes[i-1] += d
	}
}

// rebuild makes the Fenwick tree again after the chunks changed shape, in
// O(chunks).
func (l *refList) rebuild() {
	n := len(l.chunks)
	if cap(l.sizes) < n || cap(l.sizes) > 4*n {
		l.sizes = make([]int32, n, n+n/4)
	}
	l.sizes = l.sizes[:n]
	for i, c := range l.chunks {
		l.sizes[i] = int32(len(c))
	}
	for i := 1; i <= n; i++ {
		if j := i + i&-i; j <= n {
			l.sizes[j-1] += l.sizes[i-1]
		}
	}
}

// locate finds the chunk holding the reference at offset (0 <= offset <
// len) and its place there, in O(log chunks).
func (l *refList) locate(offset int) (ci, k int) {
	n := len(l.sizes)
	pos, rem := 0, int32(offset)
	for step := 1 << (bits.Len(uint(n)) - 1); step > 0; step >>= 1 {
		if next := pos + step; next <= n && l.sizes[next-1] <= rem {
			pos, rem = next, rem-l.sizes[next-1]
		}
	}
	return pos, int(rem)
}

// appendFrom appends to dst at most limit references from chunk ci's
// place k on.
func (l *refList) appendFrom(dst []ref, ci, k, limit int) []ref {
	for ; ci < len(l.chunks) && limit > 0; ci, k = ci+1, 0 {
		c := l.chunks[ci][k:]
		c = c[:min(len(c), limit)]
		dst = append(dst, c...)
		limit -= len(c)
	}
	return dst
}

// appendAfter appends to dst at most limit of the references whose IDs
// are greater than after: a keyset page.
func (l *refList) appendAfter(dst []ref, after uuid.UUID, limit int, idOf func(ref) uuid.UUID) []ref {
	if l.len() == 0 {
		return dst
	}
	ci, k, found := l.search(after, idOf)
	if found {
		k++
	}
	return l.appendFrom(dst, ci, k, limit)
}

// appendAt appends to dst at most limit references from offset on: a
// numbered page.
func (l *refList) appendAt(dst []ref, offset, limit int) []ref {
	if offset = max(offset, 0); offset >= l.len() {
		return dst
	}
	ci, k := l.locate(offset)
	return l.appendFrom(dst, ci, k, limit)
}

// all returns a copy of the whole list, in order.
func (l *refList) all() []ref {
	if l.len() == 0 {
		return nil
	}
	return l.appendFrom(make([]ref, 0, l.n), 0, 0, l.n)
}
