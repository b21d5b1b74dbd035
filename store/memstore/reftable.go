package memstore

import (
	"hash/maphash"
	"math/bits"
)

// refTable finds a row's reference by the row's key, in 8 bytes a slot
// where a Go map of the same key would spend its whole key again (a
// map[memberKey]int32 keeps 84 bytes an entry at 1,000,000 entries; this
// table 11-21). The keys live in the rows; keyOf reads them back.
//
// It is open addressing with linear probing and a load of at most 3/4.
// A slot holds the key's 32-bit hash and the reference: the hash both
// places the slot and filters the probes, so a probe reads a row only on
// a full hash match, and growing moves slots without reading a row or
// hashing again. Deletion shifts the following slots back (no
// tombstones). The hash is the runtime's, seeded per table, so keys a
// caller chooses cannot be made to collide.
type refTable[K comparable] struct {
	slots []refSlot // len is 0 or a power of two
	n     int
	seed  maphash.Seed
	keyOf func(ref) K
}

// refSlot is one slot; r is the reference + 1, 0 when the slot is empty.
type refSlot struct {
	hash uint32
	r    uint32
}

const refTableMin = 8

func newRefTable[K comparable](keyOf func(ref) K) refTable[K] {
	return refTable[K]{seed: maphash.MakeSeed(), keyOf: keyOf}
}

func (t *refTable[K]) hash(k K) uint32 { return uint32(maphash.Comparable(t.seed, k)) }

func (t *refTable[K]) len() int { return t.n }

// get returns the reference of the row whose key is k.
func (t *refTable[K]) get(k K) (ref, bool) {
	if t.n == 0 {
		return 0, false
	}
	h := t.hash(k)
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s.r == 0 {
			return 0, false
		}
		if s.hash == h && t.keyOf(ref(s.r-1)) == k {
			return ref(s.r - 1), true
		}
	}
}

// insert files r under k, which the table must not hold yet.
func (t *refTable[K]) insert(k K, r ref) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(refTableMin, 2*len(t.slots)))
	}
	t.place(refSlot{hash: t.hash(k), r: uint32(r) + 1})
	t.n++
}

func (t *refTable[K]) place(s refSlot) {
	mask := uint32(len(t.slots) - 1)
	i := s.hash & mask
	for t.slots[i].r != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

// remove takes r, filed under k, out of the table. It matches the slot
// by r alone along k's probe run, so k must be the key r is filed under.
func (t *refTable[K]) remove(k K, r ref) bool {
	if t.n == 0 {
		return false
	}
	h := t.hash(k)
	mask := uint32(len(t.slots) - 1)
	i := h & mask
	for ; t.slots[i].r != uint32(r)+1; i = (i + 1) & mask {
		if t.slots[i].r == 0 {
			return false
		}
	}
	// Shift back every following slot of the run that may move to the
	// hole: one whose home is not within (hole, j].
	for j := (i + 1) & mask; t.slots[j].r != 0; j = (j + 1) & mask {
		home := t.slots[j].hash & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = refSlot{}
	t.n--
	if len(t.slots) > refTableMin && t.n*8 < len(t.slots) {
		t.resize(len(t.slots) / 2)
	}
	return true
}

func (t *refTable[K]) resize(n int) {
	if bits.OnesCount(uint(n)) != 1 || n > 1<<32 {
		panic("memstore: refTable size")
	}
	old := t.slots
	t.slots = make([]refSlot, n)
	for _, s := range old {
		if s.r != 0 {
			t.place(s)
		}
	}
}

// add files r under k, undoably.
func (t *refTable[K]) add(tx *tx, k K, r ref) {
	t.insert(k, r)
	tx.onUndo(func() { t.remove(k, r) })
}

// del takes r out, undoably.
func (t *refTable[K]) del(tx *tx, k K, r ref) {
	if t.remove(k, r) {
		tx.onUndo(func() { t.insert(k, r) })
	}
}
