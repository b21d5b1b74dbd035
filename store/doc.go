// Package store names the whole storage contract of gatehouse and says how
// its implementations keep it.
//
// Dependency direction: the domain packages (access, then invite and token)
// each declare in their store.go the small Store interface they consume;
// store.Store is their union. Implementations live in subpackages:
// memstore (in memory, the embedded default) and bunstore (PostgreSQL on
// Bun). storetest is the one conformance suite both pass. Domain packages
// never import this package, so no import cycle is possible.
//
// Transactions: every domain package declares the same method
//
//	RunInTx(ctx context.Context, fn func(ctx context.Context) error) error
//
// The store opens a transaction, puts it in the context it hands to fn, and
// every store method called with that context joins it (bunstore picks its
// bun.IDB from the context; memstore holds its write lock and an undo log).
// So accepting an invitation can create a user and a membership, move
// grants and close the invitation in one transaction although those methods
// belong to different packages' interfaces. fn's error comes back
// unchanged and nothing of fn's work remains. A RunInTx nested in fn is a
// savepoint. Inside a transaction, an insert refused by a unique rule
// (a conflict) leaves the transaction usable on both stores; any other
// failed store call may abort it on PostgreSQL, so a caller that means to
// go on after a failure makes the call in a nested RunInTx.
//
// A context that does not carry the transaction is never part of it. From
// the goroutine running fn such a call is a mistake (it passed the
// caller's context instead of fn's) and every store method, RunInTx
// included, fails it at once with access.ErrOutsideTx instead of waiting
// for the transaction it runs in (store.TxOwners keeps that promise for
// both stores). From another goroutine it is an ordinary call: memstore
// runs it after the transaction ends, bunstore beside it, and a rollback
// does not undo it.
//
// Errors: stores translate their driver's errors at the boundary into the
// kinds of package access (not found, conflict by SQLSTATE, never by message
// text); nothing above a store sees a driver type.
//
// Listings are keyset-paginated by time-ordered IDs (access.Cursor): one
// page is one query whatever the size of the company. The one exception is
// seed 000's numbered page (ListMembersAt), an offset the services bound
// by access.MaxPageOffset.
//
// Stores keep rows and constraints; policies are the services': which of
// two colliding grants stays is decided in package access, and the one
// policy a store applies itself, the connection CheckAccess prefers, is
// pinned by storetest on both stores and stays in the check's single
// statement for its speed.
package store
