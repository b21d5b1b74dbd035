package bunstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// checkAccessSQL answers CheckAccess in one statement, prepared (see
// prepared.go): the hottest query of the library.
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
	cn.id,
	m.created_at
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

// CheckAccess implements access.Store in exactly one statement and one
// round trip, with no transaction of its own. Connections are consulted
// only for a user without a membership. Among several agencies connecting
// the user it prefers one whose permissions hold the asked one, then the
// lowest connection ID (as memstore).
func (s *Store) CheckAccess(ctx context.Context, q access.AccessQuery) (access.AccessFacts, error) {
	var token any
	if q.TokenID != uuid.Nil {
		token = q.TokenID
	}
	rows, err := s.query(ctx, checkAccessSQL, q.CompanyID, q.UserID, q.Permission, q.Resource.Type != "",
		q.Resource.Type, q.Resource.ID, token, textArray(q.AgencyRoles))
	if err != nil {
		return access.AccessFacts{}, translate(ctx, err, access.CodeMembershipNotFound)
	}
	defer rows.Close()
	if !rows.Next() {
		err := rows.Err()
		if err == nil {
			err = sql.ErrNoRows // the statement always yields one row
		}
		return access.AccessFacts{}, translate(ctx, err, access.CodeMembershipNotFound)
	}
	var f access.AccessFacts
	var conn uuid.NullUUID
	var since sql.NullTime
	err = rows.Scan(&f.Member, &f.Active, &f.Role, &f.HasExtra, &f.GrantLevel, &f.TokenGrantLevel,
		&f.Connected, &f.ConnectionHas, &conn, &since)
	if err == nil {
		err = rows.Close()
	}
	if err != nil {
		return access.AccessFacts{}, translate(ctx, err, access.CodeMembershipNotFound)
	}
	f.ConnectionID = conn.UUID
	if since.Valid {
		f.MemberSince = since.Time.UTC()
	}
	return f, nil
}

var arrayEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// textArray renders a PostgreSQL text[] literal.
func textArray(xs []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(arrayEscaper.Replace(x))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
