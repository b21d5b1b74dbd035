package memstore

import (
	"encoding/binary"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
)

// The large tables (memberships, users) keep their rows compact: a dense
// array addressed by int32 references, values that repeat across rows
// (role codes, permission sets) interned, timestamps as Unix nanoseconds.
// Everything else refers to a row by its reference, 4 bytes instead of a
// 16-byte ID or a map entry. Reads rebuild the access types from the row,
// exactly as they were written.

// ref addresses a row of a rows array.
type ref = int32

const (
	rowChunkBits = 10
	rowChunk     = 1 << rowChunkBits
)

// rows is a dense array of rows in chunks of rowChunk (growing never
// copies a row, and wastes at most one chunk); a deleted row's reference
// is reused. Mutations record their inverse in the transaction.
type rows[T any] struct {
	chunks [][]T
	n      ref // references handed out
	free   []ref
}

func (r *rows[T]) at(i ref) *T { return &r.chunks[i>>rowChunkBits][i&(rowChunk-1)] }

// add stores v in a free or new row and returns its reference.
func (r *rows[T]) add(t *tx, v T) ref {
	var i ref
	if k := len(r.free); k > 0 {
		i, r.free = r.free[k-1], r.free[:k-1]
	} else {
		if r.n == math.MaxInt32 {
			panic("memstore: more than 2^31 rows in one table")
		}
		i = r.n
		r.n++
		if int(i>>rowChunkBits) == len(r.chunks) {
			r.chunks = append(r.chunks, make([]T, rowChunk))
		}
	}
	*r.at(i) = v
	t.onUndo(func() {
		var zero T
		*r.at(i) = zero
		r.free = append(r.free, i)
	})
	return i
}

// set replaces the row at i.
func (r *rows[T]) set(t *tx, i ref, v T) {
	p := r.at(i)
	old := *p
	*p = v
	t.onUndo(func() { *r.at(i) = old })
}

// del clears the row at i and frees its reference.
func (r *rows[T]) del(t *tx, i ref) {
	p := r.at(i)
	old := *p
	var zero T
	*p = zero
	r.free = append(r.free, i)
	t.onUndo(func() {
		// Undo runs backwards: whatever took i after this was undone first.
		r.free = r.free[:len(r.free)-1]
		*r.at(i) = old
	})
}

// stamp is a time.Time in Unix nanoseconds, for the times that survive
// the round trip unchanged (UTC, no monotonic reading, 1678-2262, or the
// zero time): what the services write. A row holding another time keeps
// it whole beside the row.
type stamp int64

const zeroStamp stamp = math.MinInt64

// packTime returns t's stamp, or false if the stamp would not give t back
// exactly.
func packTime(t time.Time) (stamp, bool) {
	if t == (time.Time{}) {
		return zeroStamp, true
	}
	s := stamp(t.UnixNano())
	return s, s != zeroStamp && s.time() == t
}

func (s stamp) time() time.Time {
	if s == zeroStamp {
		return time.Time{}
	}
	return time.Unix(0, int64(s)).UTC()
}

// shape is what many memberships share: the role code, the extra
// permissions and the role's withheld ones. A store holds each distinct
// shape once.
type shape struct {
	role     string
	extra    []string // immutable; nil and empty are told apart, as written
	withheld []string // as extra
}

// shapes interns shapes. Shapes are never forgotten: their number is
// bounded by the distinct roles and permission sets ever written.
type shapes struct {
	byKey map[string]uint32
	list  []shape
}

func (s *shapes) init() { *s = shapes{byKey: map[string]uint32{}} }

// id returns the shape's number, adding it if new. Interning is not
// undone by a rollback: an unused shape is harmless.
func (s *shapes) id(role string, extra, withheld []string) uint32 {
	key := shapeKey(role, extra, withheld)
	if id, ok := s.byKey[string(key)]; ok {
		return id
	}
	if len(s.list) == math.MaxUint32 {
		panic("memstore: more than 2^32 distinct membership shapes")
	}
	id := uint32(len(s.list))
	s.list = append(s.list, shape{role: role, extra: slices.Clip(slices.Clone(extra)),
		withheld: slices.Clip(slices.Clone(withheld))})
	s.byKey[string(key)] = id
	return id
}

// shapeKey encodes role, extra and withheld unambiguously (lengths
// first).
func shapeKey(role string, extra, withheld []string) []byte {
	n := 3*binary.MaxVarintLen64 + len(role)
	for _, p := range slices.Concat(extra, withheld) {
		n += binary.MaxVarintLen64 + len(p)
	}
	key := make([]byte, 0, n)
	key = binary.AppendUvarint(key, uint64(len(role)))
	key = append(key, role...)
	for _, list := range [][]string{extra, withheld} {
		switch {
		case list == nil:
			key = append(key, 0)
		default:
			key = binary.AppendUvarint(key, uint64(len(list))+1)
		}
		for _, p := range list {
			key = binary.AppendUvarint(key, uint64(len(p)))
			key = append(key, p...)
		}
	}
	return key
}

// refsSearch finds id among the references refs, sorted by the IDs that
// idOf gives them.
func refsSearch(refs []ref, id uuid.UUID, idOf func(ref) uuid.UUID) (int, bool) {
	return slices.BinarySearchFunc(refs, id, func(r ref, id uuid.UUID) int { return compareID(idOf(r), id) })
}

// refsAfter returns the references of refs whose IDs are greater than after.
func refsAfter(refs []ref, after uuid.UUID, idOf func(ref) uuid.UUID) []ref {
	i, found := refsSearch(refs, after, idOf)
	if found {
		i++
	}
	return refs[i:]
}

// refIndex keeps, per key, references sorted by the IDs of their rows, as
// idIndex keeps IDs, in a refList: a keyset page is a binary search and a
// copy, and a write moves one chunk of the list, not the list.
type refIndex[K comparable] map[K]*refList

func (ix refIndex[K]) add(t *tx, k K, r ref, idOf func(ref) uuid.UUID) {
	if ix.insert(k, r, idOf) {
		t.onUndo(func() { ix.remove(k, r, idOf) })
	}
}

func (ix refIndex[K]) del(t *tx, k K, r ref, idOf func(ref) uuid.UUID) {
	if ix.remove(k, r, idOf) {
		t.onUndo(func() { ix.insert(k, r, idOf) })
	}
}

func (ix refIndex[K]) insert(k K, r ref, idOf func(ref) uuid.UUID) bool {
	l := ix[k]
	if l == nil {
		l = &refList{}
		ix[k] = l
	}
	return l.insert(r, idOf)
}

func (ix refIndex[K]) remove(k K, r ref, idOf func(ref) uuid.UUID) bool {
	l := ix[k]
	if l == nil || !l.remove(r, idOf) {
		return false
	}
	if l.n == 0 {
		delete(ix, k)
	}
	return true
}
