// Package memstore is the in-memory implementation of store.Store: the
// embedded default, for a host's unit tests and for trying gatehouse out.
// It passes the same conformance suite (store/storetest) as the PostgreSQL
// store and holds the same invariants, with real transactions: a function
// that fails inside RunInTx leaves no trace.
//
// Start with
//
//	st := memstore.New()
//	svc := access.NewService(st)
//
// State lives in process memory only; several processes cannot share it
// (use store/bunstore for that).
package memstore
