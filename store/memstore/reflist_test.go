package memstore

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// TestRefListIsASortedSlice drives a refList through random inserts and
// removes (appends of time-ordered IDs, random IDs anywhere, runs of
// removals that shrink and join chunks) beside a plain sorted slice, and
// checks after every step that both hold the same references in the same
// order, that every keyset and numbered page matches the slice's, and
// that the chunks keep their bounds and the Fenwick tree their lengths.
func TestRefListIsASortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ids []uuid.UUID // a reference's ID
	idOf := func(r ref) uuid.UUID { return ids[r] }
	newRef := func(ordered bool) ref {
		id := uuid.New()
		if ordered {
			id = uuid.Must(uuid.NewV7())
		}
		ids = append(ids, id)
		return ref(len(ids) - 1)
	}
	var l refList
	var want []ref // sorted by ID
	cmp := func(a, b ref) int { return compareID(idOf(a), idOf(b)) }

	check := func(step int) {
		require.Equal(t, len(want), l.len(), "step %d: length", step)
		require.Equal(t, append([]ref{}, want...), append([]ref{}, l.all()...), "step %d: contents", step)
		total := 0
		for ci, c := range l.chunks {
			require.NotEmpty(t, c, "step %d: an empty chunk", step)
			require.LessOrEqual(t, len(c), refChunkMax, "step %d: chunk %d too long", step, ci)
			if len(l.chunks) > 1 {
				require.GreaterOrEqual(t, len(c), refChunkMin, "step %d: chunk %d too short", step, ci)
			}
			total += len(c)
			ciAt, k := l.locate(total - 1)
			require.Equal(t, [2]int{ci, len(c) - 1}, [2]int{ciAt, k}, "step %d: locate of chunk %d's last", step, ci)
		}
		// A few pages of each kind, at random places and at the edges.
		for range 4 {
			off, limit := rng.IntN(len(want)+2)-1, 1+rng.IntN(700)
			w := want[min(max(off, 0), len(want)):]
			require.Equal(t, append([]ref{}, w[:min(len(w), limit)]...), l.appendAt([]ref{}, off, limit), "step %d: page at %d", step, off)
			after := uuid.New()
			if len(want) > 0 && rng.IntN(2) == 0 {
				after = idOf(want[rng.IntN(len(want))])
			}
			i, found := slices.BinarySearchFunc(want, after, func(r ref, id uuid.UUID) int { return compareID(idOf(r), id) })
			if found {
				i++
			}
			w = want[i:]
			require.Equal(t, append([]ref{}, w[:min(len(w), limit)]...), l.appendAfter([]ref{}, after, limit, idOf), "step %d: page after", step)
		}
		require.Empty(t, l.appendAfter(nil, uuid.Max, 10, idOf))
		require.Equal(t, append([]ref{}, want[:min(len(want), 5)]...), l.appendAfter([]ref{}, uuid.Nil, 5, idOf))
	}

	step := 0
	insert := func(r ref) {
		require.True(t, l.insert(r, idOf))
		require.False(t, l.insert(r, idOf), "a second insert of the same reference")
		i, _ := slices.BinarySearchFunc(want, r, cmp)
		want = slices.Insert(want, i, r)
	}
	remove := func(i int) {
		r := want[i]
		require.True(t, l.remove(r, idOf))
		require.False(t, l.remove(r, idOf), "a second remove")
		want = slices.Delete(want, i, i+1)
	}
	for phase := range 6 {
		// Grow (appends or random places), then shrink (random places or
		// a run at one place, which empties and joins chunks).
		for range 1500 {
			insert(newRef(phase%2 == 0))
			if step++; step%97 == 0 {
				check(step)
			}
		}
		for range 1200 + 100*phase {
			if len(want) == 0 {
				break
			}
			i := rng.IntN(len(want))
			if phase%3 == 2 {
				i = min(len(want)-1, len(want)/3)
			}
			remove(i)
			if step++; step%97 == 0 {
				check(step)
			}
		}
		check(step)
	}
	for len(want) > 0 {
		remove(rng.IntN(len(want)))
	}
	check(step)
	require.Empty(t, l.chunks)
	require.False(t, l.remove(0, idOf), "removing from an empty list")
	var nilList *refList
	require.Zero(t, nilList.len())
	require.Empty(t, nilList.appendAt(nil, 0, 10))
	require.Empty(t, nilList.appendAfter(nil, uuid.Nil, 10, idOf))
	require.Empty(t, nilList.all())
}

// TestRefListJoinSplitsALongResult: a chunk that shrinks below the minimum
// beside a long neighbour joins it and splits again, in order.
func TestRefListJoinSplitsALongResult(t *testing.T) {
	// A reference's ID is its number, so the order is the numbers'.
	idOf := func(r ref) uuid.UUID {
		var id uuid.UUID
		id[0], id[1], id[2], id[3] = byte(r>>24), byte(r>>16), byte(r>>8), byte(r)
		return id
	}
	var l refList
	for i := range 4 * refChunkMax {
		require.True(t, l.insert(ref(10*i), idOf)) // appends: chunks of refChunkMax/2
	}
	require.Greater(t, len(l.chunks), 3)
	for i := range refChunkMax / 2 { // the first chunk grows to nearly the maximum
		require.True(t, l.insert(ref(10*i+1), idOf))
	}
	require.Greater(t, len(l.chunks[0])+refChunkMin-1, refChunkMax, "the join below must split")
	chunks := len(l.chunks)
	second := slices.Clone(l.chunks[1])
	for _, r := range second[:len(second)-refChunkMin+1] { // the second shrinks below the minimum
		require.True(t, l.remove(r, idOf))
	}
	require.Len(t, l.chunks, chunks, "joined and split again")
	require.True(t, slices.IsSortedFunc(l.all(), func(a, b ref) int { return compareID(idOf(a), idOf(b)) }))
	for ci, c := range l.chunks {
		require.GreaterOrEqual(t, len(c), refChunkMin, "chunk %d", ci)
		require.LessOrEqual(t, len(c), refChunkMax, "chunk %d", ci)
	}
	require.Equal(t, l.n, len(l.all()))
	ci, k := l.locate(l.n - 1)
	require.Equal(t, [2]int{len(l.chunks) - 1, len(l.chunks[len(l.chunks)-1]) - 1}, [2]int{ci, k})
}
