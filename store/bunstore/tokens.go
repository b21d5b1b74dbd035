package bunstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// tokenRow is a tokens row: an API or a session token. Zero values of
// nullable columns are NULL.
type tokenRow struct {
	bun.BaseModel `bun:"table:tokens"`

	ID, UserID                       uuid.UUID
	CompanyID                        uuid.UUID `bun:",nullzero"`
	Kind, Name, Hint                 string
	Permissions                      []string `bun:",array"`
	Level                            int
	Origin                           string      `bun:",nullzero"`
	HomeID                           uuid.UUID   `bun:",nullzero"`
	Companies                        []uuid.UUID `bun:",array"` // NULL when empty
	Ancestors                        []uuid.UUID `bun:",array"` // NULL when empty
	ClientUserAgent, ClientIP        string      `bun:",nullzero"`
	Digest                           []byte
	ExpiresAt, LastUsedAt, RevokedAt time.Time `bun:",nullzero"`
	CreatedAt                        time.Time
	// UserStatus is read by getTokenByHashSQL only (users.status).
	UserStatus string `bun:",scanonly"`
}

const tokenCols = `t.id, t.kind, t.company_id, t.user_id, t.name, t.permissions, t.level, t.origin, t.home_id,
	t.companies, t.ancestors, t.client_user_agent, t.client_ip, t.digest, t.hint, t.expires_at, t.last_used_at, t.revoked_at, t.created_at`

// getTokenByHashSQL is the look-up of every authenticated request,
// prepared (prepared.go). It reads the status of the token's user in the
// same statement, so a disabled creator stops their API tokens at no
// extra round trip (user_id is a foreign key: the join finds one row).
const getTokenByHashSQL = `SELECT ` + tokenCols + `, u.status AS user_status
	FROM ?schema.tokens t JOIN ?schema.users u ON u.id = t.user_id WHERE t.digest = $1`

func (r tokenRow) token() token.Token {
	t := token.Token{
		ID: r.ID, CompanyID: r.CompanyID, UserID: r.UserID, Name: r.Name,
		Permissions: nilIfEmpty(r.Permissions), Level: r.Level, Hint: r.Hint,
		Origin: token.OriginOf(r.Origin), HomeID: r.HomeID, Companies: r.Companies, Ancestors: r.Ancestors,
		Client:    token.ClientInfo{UserAgent: r.ClientUserAgent, IP: r.ClientIP},
		ExpiresAt: utcOrZero(r.ExpiresAt), LastUsedAt: utcOrZero(r.LastUsedAt), RevokedAt: utcOrZero(r.RevokedAt),
		CreatedAt: r.CreatedAt.UTC(), UserStatus: access.UserStatus(r.UserStatus),
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

// linkRow is a login_links row: a login link or a password reset link
// (kind). Zero values of nullable columns are NULL.
type linkRow struct {
	bun.BaseModel `bun:"table:login_links"`

	ID, UserID           uuid.UUID
	Kind                 string
	CompanyID, CreatedBy uuid.UUID `bun:",nullzero"`
	Digest               []byte
	ExpiresAt, CreatedAt time.Time
	UsedAt, RevokedAt    time.Time `bun:",nullzero"`
}

const linkCols = `l.id, l.kind, l.company_id, l.user_id, l.digest, l.created_by, l.expires_at, l.used_at, l.revoked_at, l.created_at`

func (r linkRow) link() token.LoginLink {
	l := token.LoginLink{
		ID: r.ID, Kind: token.KindLoginLink, CompanyID: r.CompanyID, UserID: r.UserID, CreatedBy: r.CreatedBy,
		ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcOrZero(r.UsedAt), RevokedAt: utcOrZero(r.RevokedAt),
		CreatedAt: r.CreatedAt.UTC(),
	}
	if r.Kind == token.KindPasswordReset.String() {
		l.Kind = token.KindPasswordReset
	}
	copy(l.Digest[:], r.Digest)
	return l
}

// CreateToken implements token.Store. Its company (if any) and user must
// exist; tokens_digest_key holds the rule of one token per digest.
func (s *Store) CreateToken(ctx context.Context, t *token.Token) error {
	return s.insert(ctx, access.CodeTokenNotFound, &tokenRow{
		ID: t.ID, Kind: t.Kind.String(), CompanyID: t.CompanyID, UserID: t.UserID, Name: t.Name,
		Permissions: orEmpty(t.Permissions), Level: t.Level, Digest: t.Digest[:], Hint: t.Hint,
		Origin: t.Origin.String(), HomeID: t.HomeID, Companies: nilIfNone(t.Companies), Ancestors: nilIfNone(t.Ancestors),
		ClientUserAgent: t.Client.UserAgent, ClientIP: t.Client.IP,
		ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt, CreatedAt: t.CreatedAt,
	})
}

// GetTokenByHash implements token.Store: one look-up through the unique
// index on digest, as a prepared statement whose row Bun scans. A deleted
// company's tokens went with it (ON DELETE CASCADE).
func (s *Store) GetTokenByHash(ctx context.Context, d token.Digest) (token.Token, error) {
	var r tokenRow
	if err := s.queryOne(ctx, access.CodeTokenNotFound, &r, s.tokenSQL, d[:]); err != nil {
		return token.Token{}, err
	}
	return r.token(), nil
}

// queryOne runs a prepared read of one row into dest, a struct with bun
// tags; no row is entity's not found.
func (s *Store) queryOne(ctx context.Context, entity access.Code, dest any, query string, args ...any) error {
	return s.run(ctx, entity, func(db bun.IDB) error {
		rows, err := s.query(ctx, db, query, args...)
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
	})
}

// GetToken implements token.Store.
func (s *Store) GetToken(ctx context.Context, companyID, id uuid.UUID) (token.Token, error) {
	var r tokenRow
	if err := s.scan(ctx, access.CodeTokenNotFound, &r,
		`SELECT `+tokenCols+` FROM ?schema.tokens t WHERE t.id = ? AND t.company_id = ? AND t.kind = 'api'`, id, companyID); err != nil {
		return token.Token{}, err
	}
	return r.token(), nil
}

// ListTokens implements token.Store.
func (s *Store) ListTokens(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]token.Token, error) {
	var rows []tokenRow
	if err := s.scan(ctx, access.CodeTokenNotFound, &rows, `SELECT `+tokenCols+` FROM ?schema.tokens t
	WHERE t.company_id = ? AND t.kind = 'api' AND t.id > ? ORDER BY t.id LIMIT ?`,
		companyID, c.After, limitOf(c)); err != nil {
		return nil, err
	}
	return each(rows, tokenRow.token), nil
}

// GetTokens implements token.Store, in one look-up by primary key.
func (s *Store) GetTokens(ctx context.Context, companyID uuid.UUID, ids []uuid.UUID) ([]token.Token, error) {
	var rows []tokenRow
	if err := s.scan(ctx, access.CodeTokenNotFound, &rows, `SELECT `+tokenCols+` FROM ?schema.tokens t
	WHERE t.id = ANY (?::uuid[]) AND t.company_id = ? AND t.kind = 'api'`, pgdialect.Array(ids), companyID); err != nil {
		return nil, err
	}
	return each(rows, tokenRow.token), nil
}

// ResetToken implements token.Store: one conditional UPDATE; when it
// changes no row, a second read says why. tokens_digest_key holds the
// rule of one token per digest.
func (s *Store) ResetToken(ctx context.Context, companyID, id uuid.UUID, old, next token.Digest, hint string, expiresAt time.Time) (token.Token, error) {
	var rows []tokenRow
	if err := s.scan(ctx, access.CodeTokenNotFound, &rows, `UPDATE ?schema.tokens t SET digest = ?, hint = ?, expires_at = ?
	WHERE t.id = ? AND t.company_id = ? AND t.kind = 'api' AND t.digest = ? AND t.revoked_at IS NULL RETURNING `+tokenCols,
		next[:], hint, nullTime(expiresAt), id, companyID, old[:]); err != nil {
		return token.Token{}, err
	}
	if len(rows) == 1 {
		return rows[0].token(), nil
	}
	t, err := s.GetToken(ctx, companyID, id)
	switch {
	case err != nil:
		return token.Token{}, err
	case t.Revoked():
		return token.Token{}, access.Conflict(access.CodeTokenRevoked, "the token is revoked")
	}
	return token.Token{}, access.Conflict(access.CodeTokenReset, "the token was reset meanwhile")
}

// RevokeToken implements token.Store.
func (s *Store) RevokeToken(ctx context.Context, companyID, id uuid.UUID, at time.Time) (token.Token, error) {
	var r tokenRow
	if err := s.scan(ctx, access.CodeTokenNotFound, &r, `UPDATE ?schema.tokens t SET revoked_at = coalesce(t.revoked_at, ?)
	WHERE t.id = ? AND t.company_id IS NOT DISTINCT FROM ?::uuid RETURNING `+tokenCols,
		at, id, nullUUID(companyID)); err != nil {
		return token.Token{}, err
	}
	return r.token(), nil
}

// TouchToken implements token.Store, in one statement.
func (s *Store) TouchToken(ctx context.Context, id uuid.UUID, at time.Time) error {
	var exists bool
	err := s.scan(ctx, access.CodeTokenNotFound, &exists, `WITH u AS (
		UPDATE ?schema.tokens SET last_used_at = ?1 WHERE id = ?0 AND (last_used_at IS NULL OR last_used_at < ?1)
	)
	SELECT EXISTS (SELECT 1 FROM ?schema.tokens WHERE id = ?0)`, id, at)
	if err == nil && !exists {
		return access.NotFound(access.CodeTokenNotFound)
	}
	return err
}

// MoveSession implements token.Store. A company that does not exist
// breaks tokens_company_id_fkey.
func (s *Store) MoveSession(ctx context.Context, id, companyID uuid.UUID) error {
	return s.change(ctx, access.CodeTokenNotFound, `UPDATE ?schema.tokens SET company_id = ? WHERE id = ? AND kind = 'ses'`,
		companyID, id)
}

// AddSessionCompany implements token.Store, in one statement.
func (s *Store) AddSessionCompany(ctx context.Context, id, companyID uuid.UUID) error {
	return s.change(ctx, access.CodeTokenNotFound, `UPDATE ?schema.tokens
	SET companies = CASE WHEN ?1 = ANY (companies) THEN companies ELSE array_append(companies, ?1::uuid) END
	WHERE id = ?0 AND kind = 'ses'`, id, companyID)
}

// nullTime is t as a query argument, NULL when zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// nilIfNone stores an empty list of companies as NULL, read back as nil.
func nilIfNone(ids []uuid.UUID) []uuid.UUID {
	if len(ids) == 0 {
		return nil
	}
	return ids
}

// CreateLoginLink implements token.Store. Its company (a login link's)
// and user must exist; login_links_digest_key holds the rule of one link
// per digest.
func (s *Store) CreateLoginLink(ctx context.Context, l *token.LoginLink) error {
	if l.Kind == 0 {
		l.Kind = token.KindLoginLink
	}
	switch l.Kind {
	case token.KindLoginLink:
		if l.CompanyID == uuid.Nil {
			return access.NotFound(access.CodeCompanyNotFound)
		}
	case token.KindPasswordReset:
	default:
		return access.Invalid("kind", "a link is a login link or a password reset link")
	}
	return s.insert(ctx, access.CodeLoginLinkNotFound, &linkRow{
		ID: l.ID, Kind: l.Kind.String(), CompanyID: l.CompanyID, UserID: l.UserID, Digest: l.Digest[:], CreatedBy: l.CreatedBy,
		ExpiresAt: l.ExpiresAt, UsedAt: l.UsedAt, RevokedAt: l.RevokedAt, CreatedAt: l.CreatedAt,
	})
}

// ConsumeLoginLink implements token.Store: one conditional UPDATE. Of two
// concurrent ones, the second waits for the first's row lock, re-checks
// used_at IS NULL after the first committed, and matches nothing.
func (s *Store) ConsumeLoginLink(ctx context.Context, d token.Digest, now time.Time) (token.LoginLink, error) {
	var r linkRow
	err := s.scan(ctx, access.CodeLoginLinkNotFound, &r, `UPDATE ?schema.login_links l SET used_at = ?1
	WHERE l.digest = ?0 AND l.used_at IS NULL AND l.revoked_at IS NULL AND l.expires_at > ?1
	RETURNING `+linkCols, d[:], now)
	if err == nil {
		return r.link(), nil
	}
	if !errors.Is(err, access.ErrNotFound) {
		return token.LoginLink{}, err
	}
	// Nothing matched: say why.
	if err := s.scan(ctx, access.CodeLoginLinkNotFound, &r,
		`SELECT `+linkCols+` FROM ?schema.login_links l WHERE l.digest = ?`, d[:]); err != nil {
		return token.LoginLink{}, err
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

// RevokeLoginLinks implements token.Store, through login_links_open_idx.
func (s *Store) RevokeLoginLinks(ctx context.Context, companyID, userID uuid.UUID, at time.Time) (int, error) {
	return s.exec(ctx, access.CodeLoginLinkNotFound, `UPDATE ?schema.login_links SET revoked_at = ?
	WHERE company_id = ? AND user_id = ? AND kind = 'lnk' AND used_at IS NULL AND revoked_at IS NULL`, at, companyID, userID)
}

// RevokeResetLinks implements token.Store, through
// login_links_open_reset_idx.
func (s *Store) RevokeResetLinks(ctx context.Context, userID uuid.UUID, at time.Time) (int, error) {
	return s.exec(ctx, access.CodeLoginLinkNotFound, `UPDATE ?schema.login_links SET revoked_at = ?
	WHERE user_id = ? AND kind = 'rst' AND used_at IS NULL AND revoked_at IS NULL`, at, userID)
}

// RevokeSessions implements token.Store, through tokens_user_id_idx.
func (s *Store) RevokeSessions(ctx context.Context, userID, except uuid.UUID, at time.Time) (int, error) {
	return s.exec(ctx, access.CodeTokenNotFound, `UPDATE ?schema.tokens SET revoked_at = ?
	WHERE user_id = ? AND kind = 'ses' AND revoked_at IS NULL AND id <> ?`, at, userID, except)
}

// ListSessions implements token.Store, through tokens_user_sessions_idx.
func (s *Store) ListSessions(ctx context.Context, userID uuid.UUID, now time.Time, c access.Cursor) ([]token.Token, error) {
	var rows []tokenRow
	if err := s.scan(ctx, access.CodeSessionNotFound, &rows, `SELECT `+tokenCols+` FROM ?schema.tokens t
	WHERE t.user_id = ? AND t.kind = 'ses' AND t.revoked_at IS NULL AND t.id > ?
	AND (t.expires_at IS NULL OR t.expires_at > ?) ORDER BY t.id LIMIT ?`,
		userID, c.After, now, limitOf(c)); err != nil {
		return nil, err
	}
	return each(rows, tokenRow.token), nil
}

// RevokeSession implements token.Store, in one statement.
func (s *Store) RevokeSession(ctx context.Context, userID, id uuid.UUID, at time.Time) (token.Token, error) {
	var r tokenRow
	if err := s.scan(ctx, access.CodeSessionNotFound, &r, `UPDATE ?schema.tokens t SET revoked_at = coalesce(t.revoked_at, ?)
	WHERE t.id = ? AND t.user_id = ? AND t.kind = 'ses' RETURNING `+tokenCols, at, id, userID); err != nil {
		return token.Token{}, err
	}
	return r.token(), nil
}

// RevokeCompanySessions implements token.Store, through
// tokens_user_sessions_idx.
func (s *Store) RevokeCompanySessions(ctx context.Context, companyID, userID, except uuid.UUID, at time.Time) (int, error) {
	return s.exec(ctx, access.CodeSessionNotFound, `UPDATE ?schema.tokens SET revoked_at = ?
	WHERE user_id = ? AND kind = 'ses' AND revoked_at IS NULL AND company_id = ? AND id <> ?`, at, userID, companyID, except)
}

// DeleteUserTokens implements token.Store: one statement.
func (s *Store) DeleteUserTokens(ctx context.Context, userID uuid.UUID) ([]token.Token, error) {
	var rows []tokenRow
	if err := s.scan(ctx, access.CodeTokenNotFound, &rows, `WITH l AS (
		DELETE FROM ?schema.login_links WHERE user_id = ?
	) DELETE FROM ?schema.tokens t WHERE t.user_id = ? RETURNING `+tokenCols, userID, userID); err != nil {
		return nil, err
	}
	out := []token.Token{}
	for _, r := range rows {
		if t := r.token(); t.Kind == token.KindAPI {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b token.Token) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out, nil
}
