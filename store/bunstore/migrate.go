package bunstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// migrationFS holds the schema. Files are named <14-digit version>_<name>
// and sort by version; *.tx.up.sql files run in a transaction each.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// Table names of bun/migrate's bookkeeping, ours so that a host using
// bun/migrate for its own schema keeps its own tables.
const (
	migrationsTable      = "gatehouse_migrations"
	migrationsLocksTable = "gatehouse_migration_locks"
)

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// Migrate across processes (an arbitrary constant: "gatehous" in ASCII).
const migrationLockKey int64 = 0x6761746568_6f7573

// legacyTables are the tables of databases migrated before the store had
// a schema of its own, the migration tables included: Migrate moves those
// it finds into the store's schema.
var legacyTables = []string{
	"companies", "company_domains", "users", "memberships", "grants", "connections", "audit_events",
	"invitations", "invitation_sends", "tokens", "login_links", "credentials", "company_roles",
	migrationsTable, migrationsLocksTable,
}

// Migrate brings the database schema up to date in the PostgreSQL schema
// the options name (WithSchema; DefaultSchema without it), creating it if
// needed. It is idempotent and safe to call from several processes at
// once: callers take turns on a PostgreSQL advisory lock (trying it every
// 50ms, so that no waiter holds a session), and the first one applies
// what is missing.
//
// A database migrated before the store had a schema of its own holds the
// tables, migration tables included, in the schema its sessions' search
// path created them in (current_schema(), "public" by default). When the
// store's schema has no migration table yet and that schema has one,
// Migrate first moves them, in one transaction, with ALTER TABLE ... SET
// SCHEMA (indexes and constraints go with their tables; data, names and
// the record of applied migrations stay as they were).
//
// The lock is held by a transaction on one pooled connection while the
// migrations run on others, so db's pool must allow at least two
// connections.
func Migrate(ctx context.Context, db *bun.DB, opts ...Option) error {
	if n := db.Stats().MaxOpenConnections; n == 1 {
		return errors.New("bunstore: Migrate needs a pool of at least two connections")
	}
	s := configure(db, opts)
	migrations := migrate.NewMigrations()
	if err := migrations.Discover(migrationFS); err != nil {
		return fmt.Errorf("bunstore: discover migrations: %w", err)
	}
	m := migrate.NewMigrator(s.db, migrations,
		migrate.WithTableName(schemaArg+migrationsTable),
		migrate.WithLocksTableName(schemaArg+migrationsLocksTable),
		// A failed migration is rolled back and stays unapplied, so the
		// next call retries it.
		migrate.WithMarkAppliedOnSuccess(true),
	)

	lock, err := lockMigrations(ctx, db)
	if err != nil {
		return fmt.Errorf("bunstore: migrate: lock: %w", err)
	}
	defer lock.Rollback() //nolint:errcheck // releasing the lock; nothing was written
	if _, err := s.db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS ?", bun.Safe(quoteIdent(s.schema))); err != nil {
		return fmt.Errorf("bunstore: migrate: create schema: %w", err)
	}
	if err := s.moveLegacy(ctx); err != nil {
		return fmt.Errorf("bunstore: migrate: move into schema %q: %w", s.schema, err)
	}
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("bunstore: migrate: init: %w", err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("bunstore: migrate: %w", err)
	}
	return nil
}

// lockPause is how long Migrate waits between two tries of the lock.
const lockPause = 50 * time.Millisecond

// lockMigrations returns a transaction holding the migration lock. A
// transaction-scoped lock is released however Migrate ends, even if the
// connection dies: nothing can leak a held lock. It tries the lock and,
// if another process holds it, ends its transaction and tries again a
// moment later, rather than waiting in pg_advisory_xact_lock: behind a
// pooler in transaction mode a waiting transaction holds one of the few
// server sessions, and instances starting together could take them all,
// leaving none for the holder's migrations.
func lockMigrations(ctx context.Context, db *bun.DB) (bun.Tx, error) {
	for {
		lock, err := db.BeginTx(ctx, nil)
		if err != nil {
			return bun.Tx{}, err
		}
		var got bool
		if err := lock.NewRaw("SELECT pg_try_advisory_xact_lock(?)", migrationLockKey).Scan(ctx, &got); err != nil {
			_ = lock.Rollback()
			return bun.Tx{}, err
		}
		if got {
			return lock, nil
		}
		_ = lock.Rollback()
		t := time.NewTimer(lockPause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return bun.Tx{}, ctx.Err()
		}
	}
}

// moveLegacy moves the tables of a database migrated before the store had
// a schema of its own into the store's schema, if they are there to move.
// current_schema() is where that code's unqualified statements put them.
func (s *Store) moveLegacy(ctx context.Context) error {
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var from []string
		if err := tx.NewRaw(`SELECT current_schema() WHERE current_schema() <> ?
			AND to_regclass(quote_ident(current_schema()) || '.' || ?) IS NOT NULL
			AND to_regclass(? || '.' || ?) IS NULL`,
			s.schema, migrationsTable, quoteIdent(s.schema), migrationsTable).Scan(ctx, &from); err != nil {
			return err
		}
		if len(from) == 0 {
			return nil
		}
		var tables []string
		if err := tx.NewRaw(`SELECT relname FROM pg_class
			WHERE relnamespace = to_regnamespace(quote_ident(?)) AND relkind IN ('r', 'p') AND relname IN (?)
			ORDER BY relname`, from[0], bun.List(legacyTables)).Scan(ctx, &tables); err != nil {
			return err
		}
		for _, t := range tables {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE ?.? SET SCHEMA ?",
				bun.Safe(quoteIdent(from[0])), bun.Safe(quoteIdent(t)), bun.Safe(quoteIdent(s.schema))); err != nil {
				return err
			}
		}
		return nil
	})
}
