package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// openPostgres opens a pool with Bun's own driver, migrates the schema and
// returns the store. The host owns the *bun.DB; gatehouse only borrows it.
func openPostgres(ctx context.Context, url string) (store.Store, func(), error) {
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(url)))
	db := bun.NewDB(sqldb, pgdialect.New())
	if err := bunstore.Migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	return bunstore.New(db), func() { _ = db.Close() }, nil
}
