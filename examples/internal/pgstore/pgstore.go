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

// Open opens a pool with pgx's database/sql driver, migrates the
// schema and returns the store. The host owns the *bun.DB; gatehouse only
// borrows it. The pool keeps as many idle connections as it may open, so
// a burst of requests reuses sessions instead of opening new ones.
func Open(ctx context.Context, url string) (store.Store, func(), error) {
	sqldb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, nil, err
	}
	sqldb.SetMaxOpenConns(16)
	sqldb.SetMaxIdleConns(16)
	sqldb.SetConnMaxLifetime(30 * time.Minute)
	db := bun.NewDB(sqldb, pgdialect.New())
	if err := bunstore.Migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	return bunstore.New(db), func() { _ = db.Close() }, nil
}
