// Package storetest is the one conformance suite of store.Store. Every
// implementation calls Run from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
//	}
//
// It covers every store method (round trips, uniqueness, not found,
// rollback, keyset pagination that is stable under inserts, isolation
// between companies) and then the services' rules on top of the store, so a
// behaviour proven here is proven on every store.
package storetest
