package bunstore

import (
	"context"
	"database/sql"
	"sync"
)

// The hot reads (the permission check, a member, a page of members, a
// token by hash) run as server-side prepared statements with real
// parameters instead of through Bun's argument interpolation. An
// interpolated statement is new text on every call, so PostgreSQL parses
// and plans it again each time, which costs several times the lookup
// itself; a prepared one is planned once per connection. database/sql
// prepares each statement lazily on every pooled connection that runs it.
//
// Their SQL uses $n placeholders and is written once, as constants.
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

// query runs a hot read: on the transaction of ctx if there is one (with
// the statement already prepared on its connection when database/sql has
// it, else as a one-off that never waits for the pool), on the pool
// otherwise.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if tx, ok := s.txFrom(ctx); ok {
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

// queryOne runs a hot read of one row into dest, a struct with bun tags;
// no row is sql.ErrNoRows.
func (s *Store) queryOne(ctx context.Context, dest any, query string, args ...any) error {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := s.db.ScanRow(ctx, rows, dest); err != nil {
		return err
	}
	return rows.Close()
}

// queryAll runs a hot read of many rows into dest, a pointer to a slice
// of structs with bun tags.
func (s *Store) queryAll(ctx context.Context, dest any, query string, args ...any) error {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return err
	}
	return s.db.ScanRows(ctx, rows, dest)
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
