package bunstore

import (
	"context"
	"database/sql"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
)

// checkAccessSQL answers CheckAccess in one statement, prepared (see
// prepared.go): the hottest query of the library. Arguments: $1 company,
// $2 user, $3 permission, $4 resource asked, $5 resource type, $6 resource
// id, $7 token (NULL: none), $8 agency roles, $9 agency (NULL: any, and
// the membership counts; set: that agency's connection only, never the
// membership, for a token reaching its customer). Every part is an index
// look-up: the membership by (company_id, user_id), grants by the
// (company_id, subject_type, subject_id, ...) unique index, connections by
// (customer_id), agency memberships by (company_id, user_id), the
// membership's company role (issue 15) by company_roles_company_code_key:
// its current level and whether its permissions hold $3, never a cached
// copy, so a changed role counts from the next check on.
//
// Through a connection it also returns the facts of the agency
// membership the connection rests on: its role and whether its extra and
// its withheld permissions hold $3, so that package access caps reach by
// that membership (connection ∩ agency membership); the store decides
// nothing about them.
//
// The choice of connection is a policy, and it is written here, not in
// package access: a membership beats a connection (the lateral join runs
// only WHERE m.id IS NULL), then the agency whose permissions hold the
// asked permission (ORDER BY has DESC), then one whose agency membership
// does not withhold it (wh ASC), then the lowest connection ID. Every
// fact returned is of that one connection and that one agency
// membership: a user in two agencies never mixes one's connection with
// the other's membership. A host role at agency level whose defaults lack
// $3 is not known here, so such a membership may be the one chosen and
// refused while another agency's would have held $3: fail closed
// (access.AccessFacts documents it). Returning every candidate for access
// to choose from would cost a row per agency and a second shape of result
// on the check's hot path, which must stay within 1.6x of this statement
// run raw (BenchmarkCheckAccess); store/storetest pins the policy on both
// stores so they cannot drift.
const checkAccessSQL = `SELECT
	m.id IS NOT NULL,
	coalesce(m.is_active, false),
	coalesce(m.role, ''),
	coalesce($3 <> '' AND $3 = ANY(m.extra), false),
	coalesce($3 <> '' AND $3 = ANY(m.withheld), false),
	CASE WHEN $4 THEN coalesce((SELECT max(g.level) FROM ?schema.grants g
		WHERE g.company_id = $1 AND g.subject_type = 'User' AND g.subject_id = $2
		AND (g.resource_type = $5 AND g.resource_id = $6 OR g.resource_type = 'account' AND g.resource_id = '')), 0)
	ELSE 0 END,
	CASE WHEN $4 AND $7::uuid IS NOT NULL THEN coalesce((SELECT max(g.level) FROM ?schema.grants g
		WHERE g.company_id = $1 AND g.subject_type = 'ApiToken' AND g.subject_id = $7::uuid
		AND (g.resource_type = $5 AND g.resource_id = $6 OR g.resource_type = 'account' AND g.resource_id = '')), 0)
	ELSE 0 END,
	cn.id IS NOT NULL,
	coalesce(cn.has, false),
	cn.id,
	m.created_at,
	cn.since,
	coalesce(cn.role, ''),
	coalesce(cn.extra, false),
	coalesce(cn.wh, false),
	cr.level IS NOT NULL,
	coalesce(cr.level, 0),
	coalesce($3 <> '' AND $3 = ANY(cr.permissions), false)
FROM (SELECT 1) AS one
LEFT JOIN ?schema.memberships m ON m.company_id = $1 AND m.user_id = $2 AND $9::uuid IS NULL
LEFT JOIN ?schema.company_roles cr ON cr.company_id = $1 AND cr.code = m.role
LEFT JOIN LATERAL (
	SELECT c.id, $3 <> '' AND $3 = ANY(c.permissions) AS has, am.created_at AS since, am.role,
		$3 <> '' AND $3 = ANY(am.extra) AS extra, $3 <> '' AND $3 = ANY(am.withheld) AS wh
	FROM ?schema.connections c
	JOIN ?schema.memberships am ON am.company_id = c.agency_id AND am.user_id = $2
	WHERE m.id IS NULL AND c.customer_id = $1 AND ($9::uuid IS NULL OR c.agency_id = $9::uuid)
		AND am.is_active AND am.role = ANY($8::text[])
	ORDER BY has DESC, wh ASC, c.id
	LIMIT 1
) AS cn ON true`

// CheckAccess implements access.Store in exactly one statement and one
// round trip, with no transaction of its own. Its fifteen facts are scanned
// by position: one row of scalars, the one read where Bun's reflection
// would show against the raw statement.
func (s *Store) CheckAccess(ctx context.Context, q access.AccessQuery) (access.AccessFacts, error) {
	var token, agency any
	if q.TokenID != uuid.Nil {
		token = q.TokenID
	}
	if q.Agency != uuid.Nil {
		agency = q.Agency
	}
	var f access.AccessFacts
	err := s.run(ctx, access.CodeMembershipNotFound, func(db bun.IDB) error {
		rows, err := s.query(ctx, db, s.checkSQL, q.CompanyID, q.UserID, q.Permission, q.Resource.Type != "",
			q.Resource.Type, q.Resource.ID, token, q.AgencyRoles, agency)
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return sql.ErrNoRows // the statement always yields one row
		}
		var conn uuid.NullUUID
		var since, agencySince sql.NullTime
		f = access.AccessFacts{}
		if err := rows.Scan(&f.Member, &f.Active, &f.Role, &f.HasExtra, &f.Withheld, &f.GrantLevel, &f.TokenGrantLevel,
			&f.Connected, &f.ConnectionHas, &conn, &since, &agencySince, &f.AgencyRole, &f.AgencyHasExtra,
			&f.AgencyWithheld, &f.CompanyRole, &f.RoleLevel, &f.RoleHas); err != nil {
			return err
		}
		f.ConnectionID = conn.UUID
		if since.Valid {
			f.MemberSince = since.Time.UTC()
		}
		if agencySince.Valid {
			f.AgencySince = agencySince.Time.UTC()
		}
		return rows.Close()
	})
	if err != nil {
		return access.AccessFacts{}, err
	}
	return f, nil
}
