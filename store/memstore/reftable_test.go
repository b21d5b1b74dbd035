package memstore

import (
	"math/rand/v2"
	"testing"
)

// TestRefTableMatchesAMap runs random inserts and removals against a Go
// map: every key is found exactly while filed, through growth, shrinking
// and the back shifts of deletion (runs are long in a small table).
func TestRefTableMatchesAMap(t *testing.T) {
	const universe = 300
	keys := make([]int, universe) // row r holds key keys[r]
	for i := range keys {
		keys[i] = i * 7919
	}
	tab := newRefTable(func(r ref) int { return keys[r] })
	model := map[int]ref{}
	rnd := rand.New(rand.NewPCG(1, 2))
	for step := range 50_000 {
		r := ref(rnd.IntN(universe))
		k := keys[r]
		if _, ok := model[k]; ok && rnd.IntN(2) == 0 {
			if !tab.remove(k, r) {
				t.Fatalf("step %d: remove(%d) found nothing", step, k)
			}
			delete(model, k)
		} else if !ok {
			tab.insert(k, r)
			model[k] = r
		}
		if tab.len() != len(model) {
			t.Fatalf("step %d: %d rows filed, want %d", step, tab.len(), len(model))
		}
		if step%97 == 0 {
			for r, k := range keys {
				got, ok := tab.get(k)
				want, filed := model[k]
				if ok != filed || (ok && got != want) || (filed && want != ref(r)) {
					t.Fatalf("step %d: get(%d) = %d, %v; want %d, %v", step, k, got, ok, want, filed)
				}
			}
		}
	}
	// remove finds its row by reference along k's probe run (a caller
	// always names the key its row is filed under): a row never filed is
	// found nowhere, whichever run the key's hash starts.
	if tab.remove(-1, ref(universe)) {
		t.Fatal("removed a row never filed")
	}
}
