package bunstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
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
// A server-side prepared statement lives in one PostgreSQL session. Behind
// a pooler in transaction mode (PgBouncer before 1.21, or without
// max_prepared_statements) a client's next transaction may run on another
// session, where the statement does not exist, or where another client
// prepared the same name ("prepared statement ... already exists"). There
// the two reads run as ordinary statements with parameters instead, one
// round trip each, their parameters sent apart from the SQL (no
// interpolation): with WithoutPreparedStatements, or when the driver is
// pgx's stdlib in a mode that prepares nothing of its own (any
// default_query_exec_mode but cache_statement, its default), which is the
// setting such a host needs anyway. BenchmarkPrepared measures the cost.

// Whether the store prepares its reads: decided once, on the first read
// outside a transaction, unless an option decided it.
const (
	prepUndecided int32 = iota
	prepOn
	prepOff
)

// WithoutPreparedStatements makes the store send its two hot reads (the
// permission check and the token look-up) as ordinary statements with
// parameters, never preparing one on the server: for a connection pooler
// in transaction mode, such as PgBouncer (see prepared.go). With pgx's
// stdlib the option is implied by any default_query_exec_mode but the
// default cache_statement; such a host sets default_query_exec_mode=exec
// (or simple_protocol) in its URL so that the driver prepares nothing
// either, and needs no option. Other drivers need it.
func WithoutPreparedStatements() Option {
	return func(s *Store) { s.prep.mode.Store(prepOff) }
}

// prepared holds the statements of one Store, keyed by their SQL.
type prepared struct {
	mu   sync.Mutex // serialises preparation and the decision
	m    sync.Map   // string -> *sql.Stmt
	mode atomic.Int32
}

// use tells whether the reads run prepared on db, deciding on the first
// call: yes unless the driver is pgx's stdlib in a mode that prepares
// nothing. A failure to look (no connection) decides nothing: the read
// runs unprepared and meets the same failure.
func (p *prepared) use(ctx context.Context, db *sql.DB) bool {
	switch p.mode.Load() {
	case prepOn:
		return true
	case prepOff:
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if m := p.mode.Load(); m != prepUndecided {
		return m == prepOn
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	mode := prepOn
	err = conn.Raw(func(dc any) error {
		if c, ok := dc.(interface{ Conn() *pgx.Conn }); ok &&
			c.Conn().Config().DefaultQueryExecMode != pgx.QueryExecModeCacheStatement {
			mode = prepOff
		}
		return nil
	})
	if err != nil {
		return false
	}
	p.mode.Store(mode)
	return mode == prepOn
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
// prepared on the pool otherwise, or unprepared where the store prepares
// nothing (see use).
func (s *Store) query(ctx context.Context, db bun.IDB, query string, args ...any) (*sql.Rows, error) {
	if tx, ok := db.(bun.Tx); ok {
		if st, ok := s.prep.m.Load(query); ok {
			return tx.Tx.StmtContext(ctx, st.(*sql.Stmt)).QueryContext(ctx, args...)
		}
		return tx.Tx.QueryContext(ctx, query, args...)
	}
	if !s.prep.use(ctx, s.db.DB) {
		return s.db.DB.QueryContext(ctx, query, args...)
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
