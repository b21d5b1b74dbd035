package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// level is a role's level in SQL (access's built-in roles).
const level = `CASE %s WHEN 'OWNER' THEN 1000 WHEN 'ADMIN' THEN 100 WHEN 'VIEWER_PLUS' THEN 50 WHEN 'VIEWER' THEN 10 ELSE 0 END`

// invariants are the rules that must hold after any load, as queries
// that list what breaks them (nothing, if they hold).
var invariants = []struct{ name, query string }{
	{"every company with members has an active OWNER", `SELECT c.id::text FROM gatehouse.companies c
		WHERE EXISTS (SELECT 1 FROM gatehouse.memberships m WHERE m.company_id = c.id)
		AND NOT EXISTS (SELECT 1 FROM gatehouse.memberships m
			JOIN gatehouse.users u ON u.id = m.user_id AND u.status = 'active'
			WHERE m.company_id = c.id AND m.role = 'OWNER' AND m.is_active)`},
	{"no membership twice", `SELECT company_id::text || ' ' || user_id::text FROM gatehouse.memberships
		GROUP BY company_id, user_id HAVING count(*) > 1`},
	{"no user twice", `SELECT lower(email) FROM gatehouse.users GROUP BY lower(email) HAVING count(*) > 1`},
	{"no invitation accepted twice", `SELECT target FROM gatehouse.audit_events WHERE action = 'invitation.accepted'
		GROUP BY target HAVING count(*) > 1`},
	{"every accepted invitation made one membership", `SELECT i.id::text FROM gatehouse.invitations i
		WHERE i.kind = 'member' AND i.status = 'accepted' AND NOT EXISTS (SELECT 1 FROM gatehouse.memberships m
			JOIN gatehouse.users u ON u.id = m.user_id WHERE m.company_id = i.company_id AND lower(u.email) = lower(i.email))`},
	{"no membership above the member who granted it", `SELECT m.id::text FROM gatehouse.memberships m
		JOIN gatehouse.memberships g ON g.company_id = m.company_id AND g.user_id = m.created_by
		WHERE g.user_id <> m.user_id AND ` + fmt.Sprintf(level, "m.role") + ` > ` + fmt.Sprintf(level, "g.role")},
	{"no grant above the member who granted it", `SELECT gr.id::text FROM gatehouse.grants gr
		JOIN gatehouse.memberships g ON g.company_id = gr.company_id AND g.user_id = gr.created_by
		WHERE gr.level > ` + fmt.Sprintf(level, "g.role")},
}

// checkInvariants runs every invariant's query and reports, with counts
// of what the load made.
func checkInvariants(ctx context.Context, db *sql.DB) (report string, broken int, err error) {
	var b strings.Builder
	var memberships, accepted, pending, hotOwners int
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM gatehouse.memberships),
		(SELECT count(*) FROM gatehouse.invitations WHERE status = 'accepted'),
		(SELECT count(*) FROM gatehouse.invitations WHERE status = 'pending'),
		(SELECT count(*) FROM gatehouse.memberships m JOIN gatehouse.companies c ON c.id = m.company_id
			WHERE c.name = 'Shared' AND m.role = 'OWNER' AND m.is_active)`).Scan(&memberships, &accepted, &pending, &hotOwners); err != nil {
		return "", 0, err
	}
	fmt.Fprintf(&b, "After the load: %d memberships, %d invitations accepted, %d pending, %d active OWNERs in the shared company.\n",
		memberships, accepted, pending, hotOwners)
	for _, inv := range invariants {
		rows, err := db.QueryContext(ctx, inv.query)
		if err != nil {
			return "", 0, fmt.Errorf("%s: %w", inv.name, err)
		}
		var bad []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return "", 0, err
			}
			bad = append(bad, s)
		}
		if err := rows.Err(); err != nil {
			return "", 0, err
		}
		rows.Close()
		if len(bad) == 0 {
			fmt.Fprintf(&b, "invariant holds: %s\n", inv.name)
			continue
		}
		broken++
		fmt.Fprintf(&b, "INVARIANT BROKEN: %s: %d rows, e.g. %s\n", inv.name, len(bad), bad[0])
	}
	return b.String(), broken, nil
}
