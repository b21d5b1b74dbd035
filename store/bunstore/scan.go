package bunstore

import (
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
)

// The member listing is the widest hot read (a page of 50 is 51 rows of 28
// columns). Scanned through Bun's reflection it cost twice a hand-written
// floor of the same page (0.95 ms against 0.46 ms, with the whole creator
// row then); its rows are scanned by hand instead, straight into the
// access types, through database/sql's typed Scan, which every driver
// supports.

// memberCols is the select list scanMember reads, in its order: the
// membership, its user, and the creator's summary (empty strings and a
// NULL ID when none is recorded).
const memberCols = membershipCols + `,
	u.id, u.email, u.first_name, u.last_name, u.status, u.lang, u.theme, u.currency,
	coalesce(to_char(u.birthdate, 'YYYY-MM-DD'), ''), u.avatar_url, u.active_company_id, u.created_at, u.updated_at,
	cb.id, coalesce(cb.email, ''), coalesce(cb.first_name, ''), coalesce(cb.last_name, '')`

// selectMember is the listing's statement up to its WHERE clause.
const selectMember = `SELECT ` + memberCols + `
	FROM memberships m
	JOIN users u ON u.id = m.user_id
	LEFT JOIN users cb ON cb.id = m.created_by`

// scanMember reads one row of memberCols into dst, writing the creator's
// summary, when there is one, to creator and pointing dst at it.
func scanMember(rows *sql.Rows, dst *access.Member, creator *access.UserSummary) error {
	var (
		extra                          []string
		createdBy, activeCo, creatorID uuid.NullUUID
		status                         string
		m, u, p                        = &dst.Membership, &dst.User, &dst.User.Profile
	)
	err := rows.Scan(
		&m.ID, &m.CompanyID, &m.UserID, &m.Role, pgdialect.Array(&extra), &m.Active, &m.Primary, &m.AllowSwitch,
		&createdBy, &m.CreatedAt, &m.UpdatedAt,
		&u.ID, &u.Email, &u.FirstName, &u.LastName, &status, &p.Lang, &p.Theme, &p.Currency,
		&p.Birthdate, &p.AvatarURL, &activeCo, &u.CreatedAt, &u.UpdatedAt,
		&creatorID, &creator.Email, &creator.FirstName, &creator.LastName)
	if err != nil {
		return err
	}
	m.Extra, m.CreatedBy = nilIfEmpty(extra), createdBy.UUID
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	u.Status, u.ActiveCompanyID = access.UserStatus(status), activeCo.UUID
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	if creatorID.Valid {
		creator.ID = creatorID.UUID
		dst.CreatedByUser = creator
	}
	return nil
}

// scanMembers reads every row into members and closes rows. It reserves
// room for a short page only (limit is the caller's, which may be huge) and
// grows with the rows; each creator's summary gets a slot of its own.
func scanMembers(rows *sql.Rows, limit int) ([]access.Member, error) {
	defer rows.Close()
	out := make([]access.Member, 0, min(limit, 64))
	creators := make([]access.UserSummary, 0, cap(out))
	for rows.Next() {
		if len(out) == limit {
			return nil, fmt.Errorf("bunstore: more than the %d member rows asked for", limit)
		}
		// Growing creators moves it, but a summary already handed out
		// stays where it was written, so its member still points at it.
		out, creators = append(out, access.Member{}), append(creators, access.UserSummary{})
		if err := scanMember(rows, &out[len(out)-1], &creators[len(creators)-1]); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}
