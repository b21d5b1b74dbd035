// Package pgstore opens the PostgreSQL store for the example programs: the
// one place they show how a host builds its pool and hands it to bunstore.
package pgstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// Pool is what a host decides about its pool, deliberately, rather than
// database/sql's defaults (2 idle connections, no bound on open ones),
// which open and close a PostgreSQL session for most calls under load.
type Pool struct {
	// Conns bounds the open connections and is also how many stay idle:
	// open = idle, so a burst reuses sessions instead of dialling. Every
	// instance's Conns together stay below the server's max_connections
	// (or the pooler's pool), with room for migrations and operators.
	// Zero leaves database/sql's defaults, which churn (bunstore.New
	// warns): only to compare (examples/load -db-conns 0).
	Conns int
	// MaxLifetime retires a connection after this long, so sessions move
	// to a new server after a fail-over or a DNS change and no session
	// grows without end; a few minutes to an hour.
	MaxLifetime time.Duration
	// MaxIdleTime closes a connection unused this long, so a burst's
	// sessions are given back to the server afterwards.
	MaxIdleTime time.Duration
}

// DefaultPool is what the examples use: 16 connections per instance
// (several instances fit under PostgreSQL's default max_connections of
// 100), retired after 30 minutes, closed after 5 idle ones.
var DefaultPool = Pool{Conns: 16, MaxLifetime: 30 * time.Minute, MaxIdleTime: 5 * time.Minute}

// Open opens a pool with pgx's database/sql driver and pool's settings,
// migrates the schema and returns the store. The host owns the *bun.DB;
// gatehouse only borrows it.
func Open(ctx context.Context, url string, pool Pool) (store.Store, func(), error) {
	if pool.Conns < 0 || pool.Conns == 1 {
		return nil, nil, fmt.Errorf("pgstore: a pool of %d connections: Migrate needs at least 2", pool.Conns)
	}
	sqldb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, nil, err
	}
	if pool.Conns > 0 {
		sqldb.SetMaxOpenConns(pool.Conns)
		sqldb.SetMaxIdleConns(pool.Conns)
		sqldb.SetConnMaxLifetime(pool.MaxLifetime)
		sqldb.SetConnMaxIdleTime(pool.MaxIdleTime)
	}
	db := bun.NewDB(sqldb, pgdialect.New())
	if err := bunstore.Migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	st := bunstore.New(db)
	return st, func() { _ = st.Close(); _ = db.Close() }, nil
}
