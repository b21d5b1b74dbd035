package bunstore_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// TestPoolChurnWarning: New warns about a pool that will open and close
// sessions under load, names why, and stays silent for one that keeps its
// connections. No server is needed: New does not connect.
func TestPoolChurnWarning(t *testing.T) {
	cases := []struct {
		name      string
		set       func(*sql.DB)
		warn      bool
		mentioned string
	}{
		{"database/sql's defaults", func(*sql.DB) {}, true, "MaxOpenConns is unbounded and MaxIdleConns is 2"},
		{"idle below open", func(db *sql.DB) { db.SetMaxOpenConns(16); db.SetMaxIdleConns(4) }, true, "MaxIdleConns (4) is below MaxOpenConns (16)"},
		{"idle left at the default", func(db *sql.DB) { db.SetMaxOpenConns(16) }, true, "MaxIdleConns (2) is below MaxOpenConns (16)"},
		{"no idle at all", func(db *sql.DB) { db.SetMaxOpenConns(8); db.SetMaxIdleConns(-1) }, true, "MaxIdleConns (0) is below MaxOpenConns (8)"},
		{"idle high, open unbounded", func(db *sql.DB) { db.SetMaxIdleConns(64) }, true, "MaxOpenConns is unbounded and MaxIdleConns is 64"},
		{"open = idle", func(db *sql.DB) { db.SetMaxOpenConns(16); db.SetMaxIdleConns(16) }, false, ""},
		{"idle above open (capped to open)", func(db *sql.DB) { db.SetMaxIdleConns(32); db.SetMaxOpenConns(8) }, false, ""},
		{"a single connection kept", func(db *sql.DB) { db.SetMaxOpenConns(1); db.SetMaxIdleConns(1) }, false, ""},
	}
	cfg, err := pgx.ParseConfig("postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sqldb := stdlib.OpenDB(*cfg)
			defer sqldb.Close()
			c.set(sqldb)
			var logs bytes.Buffer
			st := bunstore.New(bun.NewDB(sqldb, pgdialect.New()),
				bunstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			defer st.Close()
			if !c.warn {
				assert.Empty(t, logs.String())
				return
			}
			assert.Contains(t, logs.String(), "level=WARN")
			assert.Contains(t, logs.String(), "the pool will churn")
			assert.Contains(t, logs.String(), c.mentioned)
		})
	}
}
