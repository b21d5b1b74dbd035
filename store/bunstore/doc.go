// Package bunstore is the PostgreSQL implementation of store.Store on Bun
// (pgdialect): the store for production, and for hosts that run many
// instances of their application against one database.
//
// The host owns the *bun.DB (pool, driver, settings) and hands it over;
// pgx's stdlib is the driver bunstore is built and tested with:
//
//	sqldb := stdlib.OpenDB(*pgxConfig) // github.com/jackc/pgx/v5/stdlib
//	db := bun.NewDB(sqldb, pgdialect.New())
//	if err := bunstore.Migrate(ctx, db); err != nil { ... }
//	st := bunstore.New(db)
//	svc := access.NewService(st)
//
// Migrate runs the embedded SQL migrations with Bun's migrator (tables
// gatehouse_migrations and gatehouse_migration_locks), under a PostgreSQL
// advisory lock, so any number of processes may call it at start-up.
//
// Every invariant is held by the database, not by process memory: unique
// constraints and partial unique indexes (e-mail case-insensitively, one
// membership per user and company, one primary membership per user, one
// pending invitation per company and e-mail, one connection per pair of
// companies), foreign keys with cascades, and a row lock on the company
// (LockCompany) that serialises the "last active OWNER" rule across
// processes. Each rule is written once, as its constraint; a violation is
// translated by its SQLSTATE and the constraint's name (one table,
// constraintErrors), never by message text.
//
// RunInTx maps to a database transaction carried in the context; methods
// called with that context join it, a nested RunInTx is a savepoint, and a
// cancelled context rolls everything back. A method called, inside fn,
// with a context that does not carry the transaction fails with
// access.ErrOutsideTx. An insert a unique rule refuses leaves the
// transaction usable; any other failed statement aborts the rest of it, so
// a caller that handles such an error and goes on runs the call in a
// nested RunInTx.
//
// Work that failed without leaving anything behind runs again, never
// answered as a failure while it may still pass (retry.go): a transaction
// (or a statement outside one) that collided with concurrent ones, a
// serialization failure or a deadlock (SQLSTATE 40001, 40P01), runs again
// up to five times in all, after pauses of a few milliseconds, then fails
// with access.ErrTxConflict (a conflict, HTTP 409). The outermost RunInTx
// runs fn again, whole, and a nested one never does by itself, so fn must
// leave its effects outside the database to access.Service.InTx's
// AfterCommit, which runs once, after the attempt that committed.
//
// Reads and writes go through Bun (its query builder and its scanning into
// row structs), so a host's Bun query hooks see them. Two reads are the
// exception, server-side prepared statements because benchmarks show they
// pay: the permission check and the token look-up by digest (prepared.go).
package bunstore
