package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

const (
	envURL            = "GATEHOUSE_TEST_DATABASE_URL"
	envRequired       = "GATEHOUSE_TEST_DATABASE_REQUIRED"
	envPoolerURL      = "GATEHOUSE_TEST_PGBOUNCER_URL"
	envPoolerRequired = "GATEHOUSE_TEST_PGBOUNCER_REQUIRED"
)

// maxOpenConns caps each pool NewDB opens: the server is shared by every
// test of every package that runs at once.
const maxOpenConns = 8

// URL returns the URL of a new, empty database of its own (on the server
// GATEHOUSE_TEST_DATABASE_URL names, with that URL's user and parameters),
// for tests that open their pools themselves. The database is dropped WITH
// (FORCE) at tb's clean-up, so pools the test leaves open do not keep it.
// It skips (or fails, see the package comment) without a server.
func URL(tb testing.TB) string {
	tb.Helper()
	base := serverURL(tb)
	name := randomName()
	if err := exec(base, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	// Registered before the caller's pools register their Close, so it
	// runs after them: clean-ups run last in, first out.
	tb.Cleanup(func() {
		if err := exec(base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	u := *base
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// NewDB returns a pool (pgx's stdlib, the pgdialect) over a new database
// of its own with gatehouse's schema migrated (bunstore.Migrate), ready for
// bunstore.New. The pool is closed and the database dropped at tb's
// clean-up. Its connections commit without waiting for the disk
// (synchronous_commit off): the database is thrown away. It skips (or
// fails, see the package comment) without a server.
func NewDB(tb testing.TB) *bun.DB {
	tb.Helper()
	cfg, err := pgx.ParseConfig(URL(tb))
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	cfg.RuntimeParams["synchronous_commit"] = "off"
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(maxOpenConns)
	sqldb.SetMaxIdleConns(maxOpenConns)
	db := bun.NewDB(sqldb, pgdialect.New())
	tb.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := bunstore.Migrate(ctx, db); err != nil {
		tb.Fatalf("pgtest: migrate: %v", err)
	}
	return db
}

// ThroughPooler returns dbURL, the URL of a database URL made, reached
// through the pooler GATEHOUSE_TEST_PGBOUNCER_URL names instead: its
// host, port and user, dbURL's database and parameters. A pooler refuses
// startup parameters it does not know, so the database is set to commit
// without waiting for the disk (ALTER DATABASE ... SET synchronous_commit,
// over dbURL) as NewDB's connections do. It skips (or fails, see the
// package comment) without a pooler.
func ThroughPooler(tb testing.TB, dbURL string) string {
	tb.Helper()
	raw := os.Getenv(envPoolerURL)
	if raw == "" {
		if os.Getenv(envPoolerRequired) == "1" {
			tb.Fatalf("pgtest: %s is not set but %s=1", envPoolerURL, envPoolerRequired)
		}
		tb.Skipf("pgtest: set %s (e.g. postgres://postgres@127.0.0.1:6432/postgres?sslmode=disable, PgBouncer in transaction mode) to run the tests behind a pooler", envPoolerURL)
	}
	pooler, err := url.Parse(raw)
	if err != nil || (pooler.Scheme != "postgres" && pooler.Scheme != "postgresql") || pooler.Host == "" {
		tb.Fatalf("pgtest: %s must be a postgres://user@host:port/database URL", envPoolerURL)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	name := u.Path[1:]
	if err := exec(u, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" SET synchronous_commit = off"); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	u.Host, u.User = pooler.Host, pooler.User
	return u.String()
}

// serverURL is GATEHOUSE_TEST_DATABASE_URL, parsed.
func serverURL(tb testing.TB) *url.URL {
	tb.Helper()
	raw := os.Getenv(envURL)
	if raw == "" {
		if os.Getenv(envRequired) == "1" {
			tb.Fatalf("pgtest: %s is not set but %s=1", envURL, envRequired)
		}
		tb.Skipf("pgtest: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run the PostgreSQL tests", envURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		// No echo of the value: it may hold a password.
		tb.Fatalf("pgtest: %s must be a postgres://user@host:port/database URL", envURL)
	}
	return u
}

// exec runs one statement over a connection of its own to the database u
// names: CREATE and DROP DATABASE cannot run in a database being created
// or dropped, nor inside a transaction.
func exec(u *url.URL, stmt string) error {
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	sqldb := stdlib.OpenDB(*cfg)
	defer sqldb.Close()
	// Not tb.Context(): it is already cancelled when clean-ups run.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := sqldb.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// randomName is a database name that no other test, in this process or
// another, picks.
func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "gh_test_" + hex.EncodeToString(b)
}
