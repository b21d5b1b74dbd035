package bunstore

import (
	"context"
	"embed"
	"errors"
	"fmt"

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

// Migrate brings the database schema up to date. It is idempotent and safe
// to call from several processes at once: callers queue on a PostgreSQL
// advisory lock, and the first one applies what is missing.
//
// The lock is held by a transaction on one pooled connection while the
// migrations run on others, so db's pool must allow at least two
// connections.
func Migrate(ctx context.Context, db *bun.DB) error {
	if n := db.Stats().MaxOpenConnections; n == 1 {
		return errors.New("bunstore: Migrate needs a pool of at least two connections")
	}
	migrations := migrate.NewMigrations()
	if err := migrations.Discover(migrationFS); err != nil {
		return fmt.Errorf("bunstore: discover migrations: %w", err)
	}
	m := migrate.NewMigrator(db, migrations,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationsLocksTable),
		// A failed migration is rolled back and stays unapplied, so the
		// next call retries it.
		migrate.WithMarkAppliedOnSuccess(true),
	)

	// A transaction-scoped lock is released however this function ends,
	// even if the connection dies: nothing can leak a held lock.
	lock, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("bunstore: migrate: %w", err)
	}
	defer lock.Rollback() //nolint:errcheck // releasing the lock; nothing was written
	if _, err := lock.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLockKey); err != nil {
		return fmt.Errorf("bunstore: migrate: lock: %w", err)
	}
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("bunstore: migrate: init: %w", err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("bunstore: migrate: %w", err)
	}
	return nil
}
