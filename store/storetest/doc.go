// Package storetest is the one conformance suite of store.Store, and the
// one test fixture (World) of the packages built on a store. Every
// implementation calls Run from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
//	}
//
// run.go is the table of contents: one category per aggregate (users.go,
// companies.go, memberships.go, grants.go, connections.go, audit.go,
// check.go, transactions.go, invitations.go, tokens.go), each covering its
// store methods (round trips, uniqueness, not found and conflicts by their
// codes, rollback, keyset pages that are stable under inserts, isolation
// between companies), then the services' rules on top of the store
// (services.go for access; the invite and token flows follow their store
// tests), so a behaviour proven here is proven on every store. Run runs
// the categories in parallel, each with stores of its own; RunSerial one
// after the other.
//
// A service-level test anywhere starts from a World:
//
//	w := storetest.NewWorld(t, memstore.New())
//	u, asU := w.Member(t, "ada", access.RoleAdmin)
//	w.Clock.Advance(time.Hour)
//
// The package imports testing: only tests may import it.
package storetest
