// Package bunstore is the PostgreSQL implementation of store.Store on Bun
// (pgdialect): the store for production, and for hosts that run many
// instances of their application against one database.
//
// The host owns the *bun.DB (pool, driver, settings) and hands it over:
//
//	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
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
// processes. Unique and foreign-key violations are translated to
// access.ErrConflict and access.ErrNotFound by SQLSTATE and constraint
// name, never by message text.
//
// RunInTx maps to a database transaction carried in the context; methods
// called with that context join it, a nested RunInTx is a savepoint, and a
// cancelled context rolls everything back. The hot reads (the permission
// check, a member, a page of members, a token by hash) run as server-side
// prepared statements, planned once per connection; everything else goes
// through Bun. Bun's own pgdriver and pgx's stdlib both work; the README
// has the measurements behind the recommended set-up.
package bunstore
