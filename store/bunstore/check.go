package bunstore

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// checkAccessSQL answers CheckAccess in one statement. It is the hottest
// query of the library, so unlike the others it does not go through Bun's
// argument interpolation: it is a server-side prepared statement with real
// parameters. An interpolated statement is new text on every call and
// PostgreSQL plans it again each time, which costs several times the
// lookup itself; the prepared one is planned once per connection.
const checkAccessSQL = `SELECT
	m.id IS NOT NULL,
	coalesce(m.is_active, false),
	coalesce(m.role, ''),
	coalesce($3 <> '' AND $3 = ANY(m.extra), false),
	CASE WHEN $4 THEN coalesce((SELECT max(g.level) FROM grants g
		WHERE g.company_id = $1 AND g.subject_type = 'User' AND g.subject_id = $2
		AND (g.resource_type = $5 AND g.resource_id = $6 OR g.resource_type = 'account' AND g.resource_id = '')), 0)
	ELSE 0 END,
	CASE WHEN $4 AND $7::uuid IS NOT NULL THEN coalesce((SELECT max(g.level) FROM grants g
		WHERE g.company_id = $1 AND g.subject_type = 'ApiToken' AND g.subject_id = $7::uuid
		AND (g.resource_type = $5 AND g.resource_id = $6 OR g.resource_type = 'account' AND g.resource_id = '')), 0)
	ELSE 0 END,
	cn.id IS NOT NULL,
	coalesce(cn.has, false),
	cn.id
FROM (SELECT 1) AS one
LEFT JOIN memberships m ON m.company_id = $1 AND m.user_id = $2
LEFT JOIN LATERAL (
	SELECT c.id, $3 <> '' AND $3 = ANY(c.permissions) AS has
	FROM connections c
	JOIN memberships am ON am.company_id = c.agency_id AND am.user_id = $2
	WHERE m.id IS NULL AND c.customer_id = $1 AND am.is_active AND am.role = ANY($8::text[])
	ORDER BY has DESC, c.id
	LIMIT 1
) AS cn ON true`

// checkStmt is the prepared CheckAccess statement of one *sql.DB. database/sql
// prepares it lazily on each pooled connection that runs it.
type checkStmt struct {
	mu   sync.Mutex // serialises the first preparation
	stmt atomic.Pointer[sql.Stmt]
}

// get returns the statement, preparing it first if needed. It may wait for
// a pooled connection, so it must never be called by a goroutine that holds
// one (inside a transaction): that could exhaust the pool.
func (c *checkStmt) get(ctx context.Context, db *sql.DB) (*sql.Stmt, error) {
	if st := c.stmt.Load(); st != nil {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.stmt.Load(); st != nil {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, checkAccessSQL)
	if err != nil {
		return nil, err
	}
	c.stmt.Store(st)
	return st, nil
}

// CheckAccess implements access.Store in exactly one statement and one
// round trip, with no transaction of its own. Connections are consulted
// only for a user without a membership. Among several agencies connecting
// the user it prefers one whose permissions hold the asked one, then the
// lowest connection ID (as memstore).
func (s *Store) CheckAccess(ctx context.Context, q access.AccessQuery) (access.AccessFacts, error) {
	var row interface{ Scan(...any) error }
	args := func() []any {
		var token any
		if q.TokenID != uuid.Nil {
			token = q.TokenID.String()
		}
		return []any{q.CompanyID.String(), q.UserID.String(), q.Permission, q.Resource.Type != "",
			q.Resource.Type, q.Resource.ID, token, textArray(q.AgencyRoles)}
	}
	if tx, ok := s.txFrom(ctx); ok {
		// On the transaction's own connection: the statement prepared
		// there before, else a one-off (never wait for the pool here).
		if st := s.check.stmt.Load(); st != nil {
			row = tx.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args()...)
		} else {
			row = tx.Tx.QueryRowContext(ctx, checkAccessSQL, args()...)
		}
	} else {
		st, err := s.check.get(ctx, s.db.DB)
		if err != nil {
			return access.AccessFacts{}, translate(ctx, err, "membership")
		}
		row = st.QueryRowContext(ctx, args()...)
	}
	var f access.AccessFacts
	var conn uuid.NullUUID
	err := row.Scan(&f.Member, &f.Active, &f.Role, &f.HasExtra, &f.GrantLevel, &f.TokenGrantLevel,
		&f.Connected, &f.ConnectionHas, &conn)
	if err != nil {
		return access.AccessFacts{}, translate(ctx, err, "membership")
	}
	f.ConnectionID = conn.UUID
	return f, nil
}

// textArray renders a PostgreSQL text[] literal.
func textArray(xs []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(x))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
