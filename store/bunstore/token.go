package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

var _ token.Store = (*Store)(nil)

type tokenRow struct {
	ID          uuid.UUID    `bun:"id"`
	Kind        string       `bun:"kind"`
	CompanyID   uuid.UUID    `bun:"company_id"`
	UserID      uuid.UUID    `bun:"user_id"`
	Name        string       `bun:"name"`
	Permissions []string     `bun:"permissions,array"`
	Level       int          `bun:"level"`
	Digest      []byte       `bun:"digest"`
	Hint        string       `bun:"hint"`
	ExpiresAt   bun.NullTime `bun:"expires_at"`
	LastUsedAt  bun.NullTime `bun:"last_used_at"`
	RevokedAt   bun.NullTime `bun:"revoked_at"`
	CreatedAt   time.Time    `bun:"created_at"`
}

const tokenCols = `t.id, t.kind, t.company_id, t.user_id, t.name, t.permissions, t.level, t.digest, t.hint,
	t.expires_at, t.last_used_at, t.revoked_at, t.created_at`

func (r tokenRow) token() token.Token {
	t := token.Token{
		ID: r.ID, CompanyID: r.CompanyID, UserID: r.UserID, Name: r.Name,
		Permissions: nilIfEmpty(r.Permissions), Level: r.Level, Hint: r.Hint,
		ExpiresAt: utcOrZero(r.ExpiresAt), LastUsedAt: utcOrZero(r.LastUsedAt), RevokedAt: utcOrZero(r.RevokedAt),
		CreatedAt: r.CreatedAt.UTC(),
	}
	switch r.Kind {
	case token.KindAPI.String():
		t.Kind = token.KindAPI
	case token.KindSession.String():
		t.Kind = token.KindSession
	}
	copy(t.Digest[:], r.Digest)
	return t
}

type linkRow struct {
	ID        uuid.UUID    `bun:"id"`
	CompanyID uuid.UUID    `bun:"company_id"`
	UserID    uuid.UUID    `bun:"user_id"`
	Digest    []byte       `bun:"digest"`
	CreatedBy uuid.UUID    `bun:"created_by"`
	ExpiresAt time.Time    `bun:"expires_at"`
	UsedAt    bun.NullTime `bun:"used_at"`
	RevokedAt bun.NullTime `bun:"revoked_at"`
	CreatedAt time.Time    `bun:"created_at"`
}

const linkCols = `l.id, l.company_id, l.user_id, l.digest, l.created_by, l.expires_at, l.used_at, l.revoked_at, l.created_at`

func (r linkRow) link() token.LoginLink {
	l := token.LoginLink{
		ID: r.ID, CompanyID: r.CompanyID, UserID: r.UserID, CreatedBy: r.CreatedBy,
		ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcOrZero(r.UsedAt), RevokedAt: utcOrZero(r.RevokedAt),
		CreatedAt: r.CreatedAt.UTC(),
	}
	copy(l.Digest[:], r.Digest)
	return l
}

func utcOrZero(t bun.NullTime) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// translateToken is translate with the token tables' constraints: a race
// that slips past a method's checks still ends as the documented conflict.
func translateToken(ctx context.Context, err error, entity access.Code) error {
	if code, constraint, ok := pgError(err); ok {
		switch {
		case code == "23505" && constraint == "tokens_pkey":
			return access.Conflict(access.CodeIDTaken, "the token exists")
		case code == "23505" && constraint == "tokens_digest_key":
			return access.Conflict(access.CodeTokenTaken, "the token digest is taken")
		case code == "23505" && constraint == "login_links_pkey":
			return access.Conflict(access.CodeIDTaken, "the login link exists")
		case code == "23505" && constraint == "login_links_digest_key":
			return access.Conflict(access.CodeTokenTaken, "the login link digest is taken")
		case code == "23503" && (constraint == "tokens_company_id_fkey" || constraint == "login_links_company_id_fkey"):
			return access.NotFound(access.CodeCompanyNotFound)
		case code == "23503" && (constraint == "tokens_user_id_fkey" || constraint == "login_links_user_id_fkey"):
			return access.NotFound(access.CodeUserNotFound)
		}
	}
	return translate(ctx, err, entity)
}

// insertChecks is what a checked insert found before inserting.
type insertChecks struct {
	IDTaken      bool `bun:"id_taken"`
	Taken        bool `bun:"taken"`
	CompanyFound bool `bun:"company_found"`
	UserFound    bool `bun:"user_found"`
}

func (c insertChecks) err(code access.Code, entity string) error {
	switch {
	case c.IDTaken:
		return access.Conflict(access.CodeIDTaken, "the %s exists", entity)
	case c.Taken:
		return access.Conflict(code, "the %s digest is taken", entity)
	case !c.CompanyFound:
		return access.NotFound(access.CodeCompanyNotFound)
	case !c.UserFound:
		return access.NotFound(access.CodeUserNotFound)
	}
	return nil
}

// CreateToken implements token.Store. It checks before it inserts, so a
// conflict does not abort the caller's transaction.
func (s *Store) CreateToken(ctx context.Context, t *token.Token) error {
	var chk insertChecks
	err := s.idb(ctx).NewRaw(`WITH chk AS (SELECT
		EXISTS (SELECT 1 FROM tokens WHERE id = ?0) AS id_taken,
		EXISTS (SELECT 1 FROM tokens WHERE digest = ?7) AS taken,
		(?2::uuid IS NULL OR EXISTS (SELECT 1 FROM companies WHERE id = ?2)) AS company_found,
		EXISTS (SELECT 1 FROM users WHERE id = ?3) AS user_found
	), ins AS (
		INSERT INTO tokens (id, kind, company_id, user_id, name, permissions, level, digest, hint,
			expires_at, last_used_at, revoked_at, created_at)
		SELECT ?0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 FROM chk
		WHERE company_found AND user_found AND NOT taken AND NOT id_taken
	)
	SELECT * FROM chk`,
		t.ID, t.Kind.String(), nullUUID(t.CompanyID), t.UserID, t.Name, pgdialect.Array(orEmpty(t.Permissions)), t.Level,
		t.Digest[:], t.Hint, nullTime(t.ExpiresAt), nullTime(t.LastUsedAt), nullTime(t.RevokedAt), t.CreatedAt,
	).Scan(ctx, &chk)
	if err != nil {
		return translateToken(ctx, err, access.CodeTokenNotFound)
	}
	return chk.err(access.CodeTokenTaken, "token")
}

// GetTokenByHash implements token.Store: one lookup through the unique
// index on digest. A deleted company's tokens went with it (ON DELETE
// CASCADE).
func (s *Store) GetTokenByHash(ctx context.Context, d token.Digest) (token.Token, error) {
	var r tokenRow
	if err := s.queryOne(ctx, &r, `SELECT `+tokenCols+` FROM tokens t WHERE t.digest = $1`, d[:]); err != nil {
		return token.Token{}, translateToken(ctx, err, access.CodeTokenNotFound)
	}
	return r.token(), nil
}

// GetToken implements token.Store.
func (s *Store) GetToken(ctx context.Context, companyID, id uuid.UUID) (token.Token, error) {
	var r tokenRow
	if err := s.idb(ctx).NewRaw(`SELECT `+tokenCols+` FROM tokens t WHERE t.id = ? AND t.company_id = ? AND t.kind = 'api'`,
		id, companyID).Scan(ctx, &r); err != nil {
		return token.Token{}, translateToken(ctx, err, access.CodeTokenNotFound)
	}
	return r.token(), nil
}

// ListTokens implements token.Store.
func (s *Store) ListTokens(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]token.Token, error) {
	var rows []tokenRow
	if err := s.idb(ctx).NewRaw(`SELECT `+tokenCols+` FROM tokens t
	WHERE t.company_id = ? AND t.kind = 'api' AND t.id > ? ORDER BY t.id LIMIT ?`,
		companyID, c.After, limitOf(c)).Scan(ctx, &rows); err != nil {
		return nil, translateToken(ctx, err, access.CodeTokenNotFound)
	}
	out := make([]token.Token, len(rows))
	for i, r := range rows {
		out[i] = r.token()
	}
	return out, nil
}

// RevokeToken implements token.Store.
func (s *Store) RevokeToken(ctx context.Context, companyID, id uuid.UUID, at time.Time) (token.Token, error) {
	var r tokenRow
	if err := s.idb(ctx).NewRaw(`UPDATE tokens t SET revoked_at = coalesce(t.revoked_at, ?)
	WHERE t.id = ? AND t.company_id IS NOT DISTINCT FROM ?::uuid RETURNING `+tokenCols,
		at, id, nullUUID(companyID)).Scan(ctx, &r); err != nil {
		return token.Token{}, translateToken(ctx, err, access.CodeTokenNotFound)
	}
	return r.token(), nil
}

// TouchToken implements token.Store, in one statement.
func (s *Store) TouchToken(ctx context.Context, id uuid.UUID, at time.Time) error {
	var exists bool
	err := s.idb(ctx).NewRaw(`WITH u AS (
		UPDATE tokens SET last_used_at = ?1 WHERE id = ?0 AND (last_used_at IS NULL OR last_used_at < ?1)
	)
	SELECT EXISTS (SELECT 1 FROM tokens WHERE id = ?0)`, id, at).Scan(ctx, &exists)
	if err != nil {
		return translateToken(ctx, err, access.CodeTokenNotFound)
	}
	if !exists {
		return access.NotFound(access.CodeTokenNotFound)
	}
	return nil
}

// CreateLoginLink implements token.Store.
func (s *Store) CreateLoginLink(ctx context.Context, l *token.LoginLink) error {
	var chk insertChecks
	err := s.idb(ctx).NewRaw(`WITH chk AS (SELECT
		EXISTS (SELECT 1 FROM login_links WHERE id = ?0) AS id_taken,
		EXISTS (SELECT 1 FROM login_links WHERE digest = ?3) AS taken,
		EXISTS (SELECT 1 FROM companies WHERE id = ?1) AS company_found,
		EXISTS (SELECT 1 FROM users WHERE id = ?2) AS user_found
	), ins AS (
		INSERT INTO login_links (id, company_id, user_id, digest, created_by, expires_at, used_at, revoked_at, created_at)
		SELECT ?0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM chk
		WHERE company_found AND user_found AND NOT taken AND NOT id_taken
	)
	SELECT * FROM chk`,
		l.ID, l.CompanyID, l.UserID, l.Digest[:], nullUUID(l.CreatedBy), l.ExpiresAt,
		nullTime(l.UsedAt), nullTime(l.RevokedAt), l.CreatedAt,
	).Scan(ctx, &chk)
	if err != nil {
		return translateToken(ctx, err, access.CodeLoginLinkNotFound)
	}
	return chk.err(access.CodeTokenTaken, "login link")
}

// ConsumeLoginLink implements token.Store: one conditional UPDATE. Of two
// concurrent ones, the second waits for the first's row lock, re-checks
// used_at IS NULL after the first committed, and matches nothing.
func (s *Store) ConsumeLoginLink(ctx context.Context, d token.Digest, now time.Time) (token.LoginLink, error) {
	db := s.idb(ctx)
	var r linkRow
	err := db.NewRaw(`UPDATE login_links l SET used_at = ?1
	WHERE l.digest = ?0 AND l.used_at IS NULL AND l.revoked_at IS NULL AND l.expires_at > ?1
	RETURNING `+linkCols, d[:], now).Scan(ctx, &r)
	if err == nil {
		return r.link(), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return token.LoginLink{}, translateToken(ctx, err, access.CodeLoginLinkNotFound)
	}
	// Nothing matched: say why.
	if err := db.NewRaw(`SELECT `+linkCols+` FROM login_links l WHERE l.digest = ?`, d[:]).Scan(ctx, &r); err != nil {
		return token.LoginLink{}, translateToken(ctx, err, access.CodeLoginLinkNotFound)
	}
	switch l := r.link(); {
	case !l.UsedAt.IsZero():
		return token.LoginLink{}, token.ErrLinkUsed
	case !l.RevokedAt.IsZero():
		return token.LoginLink{}, token.ErrLinkRevoked
	default:
		return token.LoginLink{}, token.ErrLinkExpired
	}
}

// RevokeLoginLinks implements token.Store.
func (s *Store) RevokeLoginLinks(ctx context.Context, companyID, userID uuid.UUID, at time.Time) (int, error) {
	res, err := s.idb(ctx).NewRaw(`UPDATE login_links SET revoked_at = ?
	WHERE company_id = ? AND user_id = ? AND used_at IS NULL AND revoked_at IS NULL`, at, companyID, userID).Exec(ctx)
	if err != nil {
		return 0, translateToken(ctx, err, access.CodeLoginLinkNotFound)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translateToken(ctx, err, access.CodeLoginLinkNotFound)
	}
	return int(n), nil
}

// MoveSession implements token.Store.
func (s *Store) MoveSession(ctx context.Context, id, companyID uuid.UUID) error {
	res, err := s.idb(ctx).NewRaw(`UPDATE tokens SET company_id = c.id FROM companies c
	WHERE tokens.id = ? AND tokens.kind = 'ses' AND c.id = ?`, id, companyID).Exec(ctx)
	return affected(ctx, res, err, access.CodeTokenNotFound)
}
