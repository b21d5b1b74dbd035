package bunstore

import (
	"context"
	"database/sql"
	"sync"

	"github.com/uptrace/bun"
)

// Two reads run as server-side prepared statements with real parameters
// instead of through Bun: the permission check (check.go) and the token
// look-up by digest (tokens.go), the two calls made on every request. An
// interpolated statement is new text on every call, so PostgreSQL parses
// and plans it again each time; a prepared one is planned once per
// connection and then keeps its generic plan. BenchmarkCheckAccess and
// BenchmarkVerify measure what that pays. Everything else goes through
// Bun, so hosts' Bun query hooks (tracing, logging) see it; these two are
// not seen by them.
//
// Server-side prepared statements need a session-level connection: behind
// PgBouncer, use session pooling (transaction pooling before PgBouncer
// 1.21's max_prepared_statements does not keep them).

// prepared holds the statements of one Store, keyed by their SQL.
type prepared struct {
	mu sync.Mutex // serialises preparation
	m  sync.Map   // string -> *sql.Stmt
}

// stmt returns the statement for query, preparing it first if needed. It
// may wait for a pooled connection, so it must never be called by a
// goroutine that holds one (inside a transaction): that could exhaust the
// pool.
func (p *prepared) stmt(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	if st, ok := p.m.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.m.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.m.Store(query, st)
	return st, nil
}

// query runs a prepared read on db, the handle run picks: on its
// transaction (with the statement already prepared on its connection when
// database/sql has it, else as a one-off that never waits for the pool),
// prepared on the pool otherwise.
func (s *Store) query(ctx context.Context, db bun.IDB, query string, args ...any) (*sql.Rows, error) {
	if tx, ok := db.(bun.Tx); ok {
		if st, ok := s.prep.m.Load(query); ok {
			return tx.Tx.StmtContext(ctx, st.(*sql.Stmt)).QueryContext(ctx, args...)
		}
		return tx.Tx.QueryContext(ctx, query, args...)
	}
	st, err := s.prep.stmt(ctx, s.db.DB, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// Close releases the store's prepared statements (not the host's *bun.DB).
// Call it when the store is dropped while its *bun.DB lives on;
// database/sql keeps every statement it prepared until then.
func (s *Store) Close() error {
	var first error
	s.prep.m.Range(func(k, v any) bool {
		if err := v.(*sql.Stmt).Close(); err != nil && first == nil {
			first = err
		}
		s.prep.m.Delete(k)
		return true
	})
	return first
}
