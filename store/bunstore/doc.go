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
// Every table, the migration tables included, lives in a PostgreSQL schema
// of the store's own, "gatehouse" (DefaultSchema) unless WithSchema names
// another; give the same option to Migrate and New:
//
//	bunstore.Migrate(ctx, db, bunstore.WithSchema("authz"))
//	st := bunstore.New(db, bunstore.WithSchema("authz"))
//
// So a host's own users or companies table (in public, say) never
// collides with the store's, and stores with schemas of their own share a
// database without seeing each other. Every statement names the schema
// instead of relying on the session's search_path, which a transaction
// pooler does not keep per client. A database migrated before the store
// had a schema of its own (its tables in the search path's schema) is
// moved into it by Migrate, tables with their data, indexes and
// constraints and the record of applied migrations (ALTER TABLE ... SET
// SCHEMA, one transaction).
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
// Work that failed without leaving anything behind, and may pass if it
// runs again, runs again instead of failing (retry.go):
//
//   - a transaction (or a statement outside one) that collided with
//     concurrent ones, a serialization failure or a deadlock (SQLSTATE
//     40001, 40P01, at COMMIT too), up to five times in all after pauses
//     of a few milliseconds, then access.ErrTxConflict (a conflict, HTTP
//     409);
//   - work whose session the server ended or that broke (a restart, a
//     fail-over, pg_terminate_backend, idle_session_timeout), at once, on
//     the next connection of the pool, until a fresh one. database/sql
//     finds a dead pooled connection only by using it (pgx's stdlib pings
//     one before reuse only after a second idle), so without this the
//     first use of each failed. A COMMIT that lost its session is not run
//     again: whether it committed is unknown, and the call fails saying
//     so. A statement outside a transaction that lost its session ran in
//     an implicit transaction the server aborted, unless the session ended
//     in the instant between its commit and its reply; run again, such a
//     write meets its own effect (its ID taken, its row already changed)
//     and answers as a repeat would: none of the store's writes does more
//     the second time.
//
// The outermost RunInTx runs fn again, whole, and a nested one never does
// by itself, so fn must leave its effects outside the database to
// access.Service.InTx's AfterCommit, which runs once, after the attempt
// that committed. To stop a runaway statement, cancel it
// (pg_cancel_backend): a cancelled statement is not run again.
//
// The pool is the host's; what bunstore asks of its settings:
//
//   - SetMaxOpenConns: bounded, so that the pools of every process stay
//     below the server's max_connections with room to spare. Unbounded, a
//     burst opens a session per call until the server refuses everyone
//     (SQLSTATE 53300). pgx closes a connection whose context ends while
//     a statement runs, and the server ends that session a moment later,
//     so it may briefly count a few more sessions than the pool holds.
//   - SetMaxIdleConns as high (database/sql keeps 2 by default, so a busy
//     pool dials for most calls, a fork on the server each, slower than a
//     deadline of a few milliseconds) and SetConnMaxIdleTime, so that the
//     sessions of a burst are given back afterwards.
//   - Migrate needs at least two connections.
//
// New logs a warning (slog.Default(), or WithLogger's) when the pool it is
// handed will churn, MaxIdleConns below MaxOpenConns or MaxOpenConns
// unbounded (database/sql's defaults), and leaves the pool as it is.
//
// No ping on checkout is needed (it would cost a round trip per call).
// TestEveryBackendTerminated and TestDeadlineStorm hold these promises: 20
// calls in a row succeed after every session of the pool was terminated,
// and 200 calls with deadlines of 0 to 5ms leave no session busy or
// orphaned on the server.
//
// Reads and writes go through Bun (its query builder and its scanning into
// row structs), so a host's Bun query hooks see them. Two reads are the
// exception, server-side prepared statements because benchmarks show they
// pay: the permission check and the token look-up by digest (prepared.go).
//
// Behind a pooler in transaction mode (PgBouncer), nothing may live in a
// server session, since a client's next transaction may run on another.
// The store keeps nothing there: every statement names its schema, the
// migration lock is a transaction's (pg_try_advisory_xact_lock, polled),
// and with pgx's stdlib in a mode that prepares nothing (the host sets
// default_query_exec_mode=exec, or simple_protocol) it prepares nothing
// either; WithoutPreparedStatements does that for another driver. The
// conformance suite runs through PgBouncer in CI.
package bunstore
