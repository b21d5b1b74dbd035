package bunstore_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// A statement as the driver sent it: every round trip the store makes,
// whether Bun interpolated it or it ran as a prepared statement. Bun's query
// hooks do not see the prepared statements (the check, a token by digest),
// so the round-trip promises are counted here, one level lower.
type statement struct {
	query string
	args  []any
}

type recorder struct {
	mu   sync.Mutex
	on   bool
	seen []statement
}

func (r *recorder) add(q string, args []sqldriver.NamedValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on {
		return
	}
	st := statement{query: q}
	for _, a := range args {
		st.args = append(st.args, a.Value)
	}
	r.seen = append(r.seen, st)
}

// count runs f and returns the statements it sent (BEGIN and COMMIT as
// their own entries).
func (r *recorder) count(f func()) []statement {
	r.mu.Lock()
	r.on, r.seen = true, nil
	r.mu.Unlock()
	f()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.seen
}

type recConnector struct {
	inner sqldriver.Connector
	rec   *recorder
}

func (c recConnector) Connect(ctx context.Context) (sqldriver.Conn, error) {
	cn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &recConn{Conn: cn, rec: c.rec}, nil
}

func (c recConnector) Driver() sqldriver.Driver { return c.inner.Driver() }

// recConn wraps a pgx stdlib connection, which implements all of these.
type recConn struct {
	sqldriver.Conn
	rec *recorder
}

func (c *recConn) QueryContext(ctx context.Context, q string, args []sqldriver.NamedValue) (sqldriver.Rows, error) {
	c.rec.add(q, args)
	return c.Conn.(sqldriver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *recConn) ExecContext(ctx context.Context, q string, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	c.rec.add(q, args)
	return c.Conn.(sqldriver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *recConn) PrepareContext(ctx context.Context, q string) (sqldriver.Stmt, error) {
	st, err := c.Conn.(sqldriver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return &recStmt{Stmt: st, query: q, rec: c.rec}, nil
}

func (c *recConn) BeginTx(ctx context.Context, opts sqldriver.TxOptions) (sqldriver.Tx, error) {
	c.rec.add("BEGIN", nil)
	tx, err := c.Conn.(sqldriver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return recTx{Tx: tx, rec: c.rec}, nil
}

func (c *recConn) Ping(ctx context.Context) error { return c.Conn.(sqldriver.Pinger).Ping(ctx) }

func (c *recConn) ResetSession(ctx context.Context) error {
	return c.Conn.(sqldriver.SessionResetter).ResetSession(ctx)
}

// CheckNamedValue lets pgx take the arguments database/sql would refuse
// (a []string for text[]), as it does unwrapped.
func (c *recConn) CheckNamedValue(v *sqldriver.NamedValue) error {
	return c.Conn.(sqldriver.NamedValueChecker).CheckNamedValue(v)
}

type recTx struct {
	sqldriver.Tx
	rec *recorder
}

func (t recTx) Commit() error {
	t.rec.add("COMMIT", nil)
	return t.Tx.Commit()
}

type recStmt struct {
	sqldriver.Stmt
	query string
	rec   *recorder
}

func (s *recStmt) QueryContext(ctx context.Context, args []sqldriver.NamedValue) (sqldriver.Rows, error) {
	s.rec.add(s.query, args)
	return s.Stmt.(sqldriver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *recStmt) ExecContext(ctx context.Context, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	s.rec.add(s.query, args)
	return s.Stmt.(sqldriver.StmtExecContext).ExecContext(ctx, args)
}

// recordedStore is a migrated database of its own, reached with pgx's
// stdlib (its default query mode) through the recorder.
func recordedStore(tb testing.TB) (*bunstore.Store, *bun.DB, *recorder) {
	tb.Helper()
	t := freshDatabase(tb)
	rec := &recorder{}
	cfg, err := pgx.ParseConfig(t.url)
	require.NoError(tb, err)
	sqldb := sql.OpenDB(recConnector{inner: stdlib.GetConnector(*cfg), rec: rec})
	db := bun.NewDB(sqldb, pgdialect.New())
	tb.Cleanup(func() { _ = db.Close() })
	require.NoError(tb, bunstore.Migrate(context.Background(), db))
	return bunstore.New(db), db, rec
}
