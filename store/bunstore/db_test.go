package bunstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/store/bunstore/pgtest"
)

// The PostgreSQL tests need a server: pgtest reads
// GATEHOUSE_TEST_DATABASE_URL and gives each test a database of its own
// (or skips, or fails in CI). They reach it through pgx's stdlib, the
// documented driver, in each of the protocol modes a host may configure, so
// they open their pools themselves.

// driver is a way to reach PostgreSQL through database/sql: pgx's stdlib
// in one of its query modes.
type driver string

const (
	// pgxSimple is pgx's stdlib with the simple protocol: one round trip
	// per statement, as bun interpolates arguments itself.
	pgxSimple driver = "pgx-simple"
	// pgxCache is pgx's stdlib with its default prepared-statement cache.
	pgxCache driver = "pgx-cache"
	// pgxExec is pgx's stdlib with the extended protocol and unnamed
	// statements only, as a host behind a transaction pooler sets it
	// (default_query_exec_mode=exec): nothing prepared, by the driver or
	// by the store.
	pgxExec driver = "pgx-exec"
)

var drivers = []driver{pgxSimple, pgxCache}

// target says which database a pool connects to.
type target struct {
	url    string
	pooler bool // through GATEHOUSE_TEST_PGBOUNCER_URL's pooler
}

// open returns a bun.DB over a new pool to t, closed at clean-up. Commits
// do not wait for the disk: the tests' databases are thrown away.
func open(tb testing.TB, t target, d driver, hooks ...bun.QueryHook) *bun.DB {
	tb.Helper()
	return openWith(tb, t, d, nil, hooks...)
}

// openWith is open with options of pgx's stdlib.
func openWith(tb testing.TB, t target, d driver, opts []stdlib.OptionOpenDB, hooks ...bun.QueryHook) *bun.DB {
	tb.Helper()
	cfg, err := pgx.ParseConfig(t.url)
	require.NoError(tb, err)
	if !t.pooler { // a pooler refuses it; pgtest.ThroughPooler set it on the database
		cfg.RuntimeParams["synchronous_commit"] = "off"
	}
	switch d {
	case pgxSimple:
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	case pgxCache:
		cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	case pgxExec:
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	default:
		tb.Fatalf("unknown driver %q", d)
	}
	sqldb := stdlib.OpenDB(*cfg, opts...)
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	db := bun.NewDB(sqldb, pgdialect.New())
	tb.Cleanup(func() { _ = db.Close() })
	for _, h := range hooks {
		db = db.WithQueryHook(h)
	}
	return db
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// freshDatabase creates an empty database, dropped at clean-up (after the
// pools opened later are closed: clean-ups run last in, first out).
func freshDatabase(tb testing.TB) target {
	tb.Helper()
	return target{url: pgtest.URL(tb)}
}

// freshStore is a migrated database of its own with a store over it.
func freshStore(tb testing.TB, d driver, hooks ...bun.QueryHook) (*bunstore.Store, *bun.DB) {
	tb.Helper()
	db := open(tb, freshDatabase(tb), d, hooks...)
	require.NoError(tb, bunstore.Migrate(context.Background(), db))
	return bunstore.New(db), db
}

// schemaPool hands out empty, migrated schemas of one shared database, for
// the conformance suite's many stores. A schema given back is emptied with
// one TRUNCATE and handed out again: far cheaper than running the
// migrations (or CREATE DATABASE) for every store.
type schemaPool struct {
	owner  testing.TB
	db     target
	driver driver
	admin  *bun.DB

	mu   sync.Mutex
	free []pooledSchema
}

type pooledSchema struct {
	name string
	db   *bun.DB
}

func newSchemaPool(tb testing.TB, d driver) *schemaPool {
	tb.Helper()
	t := freshDatabase(tb)
	return &schemaPool{owner: tb, db: t, driver: d, admin: open(tb, t, pgxSimple)}
}

// throughPooler is a fresh database reached through the pooler
// GATEHOUSE_TEST_PGBOUNCER_URL names (the test skips without one).
func throughPooler(tb testing.TB) target {
	tb.Helper()
	return target{url: pgtest.ThroughPooler(tb, freshDatabase(tb).url), pooler: true}
}

// newPoolerSchemaPool is a schemaPool whose stores, migrations and
// clean-up all go through the pooler.
func newPoolerSchemaPool(tb testing.TB, d driver) *schemaPool {
	tb.Helper()
	t := throughPooler(tb)
	return &schemaPool{owner: tb, db: t, driver: d, admin: open(tb, t, pgxExec)}
}

// store returns a store over an empty, migrated schema, given back at the
// test's clean-up.
func (p *schemaPool) store(tb testing.TB) *bunstore.Store {
	tb.Helper()
	ps := p.get(tb)
	tb.Cleanup(func() { p.put(tb, ps) })
	return bunstore.New(ps.db, bunstore.WithSchema(ps.name))
}

func (p *schemaPool) get(tb testing.TB) pooledSchema {
	tb.Helper()
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		ps := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return ps
	}
	p.mu.Unlock()
	ctx := context.Background()
	name := randomName("s_")
	db := open(p.owner, p.db, p.driver) // lives as long as the pool
	require.NoError(tb, bunstore.Migrate(ctx, db, bunstore.WithSchema(name)))
	return pooledSchema{name: name, db: db}
}

// put empties every table but the migrations' (whatever later migrations
// added) and files the schema as free.
func (p *schemaPool) put(tb testing.TB, ps pooledSchema) {
	ctx := context.Background()
	var tables []string
	err := p.admin.NewRaw(`SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
		WHERE schemaname = ? AND tablename NOT LIKE 'gatehouse_migration%'`, ps.name).Scan(ctx, &tables)
	if err == nil && len(tables) > 0 {
		_, err = p.admin.ExecContext(ctx, "TRUNCATE "+strings.Join(tables, ", ")+" CASCADE")
	}
	if err != nil {
		tb.Errorf("empty schema %s: %v", ps.name, err)
		return
	}
	p.mu.Lock()
	p.free = append(p.free, ps)
	p.mu.Unlock()
}

func describe(qs []statement) string {
	var b strings.Builder
	for i, q := range qs {
		fmt.Fprintf(&b, "\n%d: %.120s", i, strings.Join(strings.Fields(q.query), " "))
	}
	return b.String()
}
