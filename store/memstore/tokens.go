package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
	"github.com/google/uuid"
)

var _ token.Store = (*Store)(nil)

// tokenTables holds the state of package token's Store. Token rows are
// values whose Permissions and Companies slices are never changed in place
// (and are clipped, so an append by a reader copies), so GetTokenByHash
// hands them out without copying: the hot path allocates nothing.
type tokenTables struct {
	tokens        table[token.Digest, token.Token] // by digest: one lookup per request
	tokenByID     table[uuid.UUID, token.Digest]
	companyTokens idIndex[uuid.UUID] // API tokens of a company
	userSessions  idIndex[uuid.UUID] // session tokens of a user

	links      table[token.Digest, token.LoginLink]
	linkByID   table[uuid.UUID, token.Digest]
	memberLink idIndex[memberKey] // the login links of a user in a company
	userResets idIndex[uuid.UUID] // the password reset links of a user
}

func (t *tokenTables) init() {
	*t = tokenTables{
		tokens: table[token.Digest, token.Token]{}, tokenByID: table[uuid.UUID, token.Digest]{},
		companyTokens: idIndex[uuid.UUID]{}, userSessions: idIndex[uuid.UUID]{},
		links: table[token.Digest, token.LoginLink]{}, linkByID: table[uuid.UUID, token.Digest]{},
		memberLink: idIndex[memberKey]{}, userResets: idIndex[uuid.UUID]{},
	}
}

// mustExist checks the references of a new row as PostgreSQL's foreign
// keys do: the company (unless uuid.Nil) and the user.
func (a *accessTables) mustExist(companyID, userID uuid.UUID) error {
	if _, ok := a.companies[companyID]; !ok && companyID != uuid.Nil {
		return access.NotFound(access.CodeCompanyNotFound)
	}
	if !a.hasUser(userID) {
		return access.NotFound(access.CodeUserNotFound)
	}
	return nil
}

func cloneToken(t token.Token) token.Token {
	t.Permissions = slices.Clone(t.Permissions)
	t.Companies = slices.Clone(t.Companies)
	t.Ancestors = slices.Clone(t.Ancestors)
	return t
}

// CreateToken implements token.Store.
func (s *Store) CreateToken(ctx context.Context, t *token.Token) error {
	return s.write(ctx, func(tx *tx) error {
		k := &s.tok
		if _, ok := k.tokenByID[t.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "token %s exists", t.ID)
		}
		if _, ok := k.tokens[t.Digest]; ok {
			return access.Conflict(access.CodeTokenTaken, "the token digest is taken")
		}
		if err := s.acc.mustExist(t.CompanyID, t.UserID); err != nil {
			return err
		}
		row := *t
		row.Permissions = slices.Clip(slices.Clone(t.Permissions))
		row.Companies = slices.Clip(slices.Clone(t.Companies))
		row.Ancestors = slices.Clip(slices.Clone(t.Ancestors))
		k.tokens.put(tx, t.Digest, row)
		k.tokenByID.put(tx, t.ID, t.Digest)
		switch t.Kind {
		case token.KindAPI:
			k.companyTokens.add(tx, t.CompanyID, t.ID)
		case token.KindSession:
			k.userSessions.add(tx, t.UserID, t.ID)
		}
		return nil
	})
}

// GetTokenByHash implements token.Store. It allocates nothing.
func (s *Store) GetTokenByHash(ctx context.Context, d token.Digest) (t token.Token, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		t, ok = s.tok.tokens[d]
		if ok && t.Kind == token.KindAPI {
			// Deleting a company removes its tokens in PostgreSQL (a
			// cascading foreign key); here they are left unreachable.
			_, ok = s.acc.companies[t.CompanyID]
		}
		if ok {
			// The user's status, read with the token as bunstore joins it.
			var u ref
			if u, ok = s.acc.userByID.get(t.UserID); ok {
				t.UserStatus = s.acc.userRows.at(u).status
			}
		}
		if !ok {
			t, err = token.Token{}, errTokenNotFound
		}
	}); rerr != nil {
		return token.Token{}, rerr
	}
	return t, err
}

// errTokenNotFound is shared: a lookup of an unknown token allocates
// nothing either.
var errTokenNotFound = access.NotFound(access.CodeTokenNotFound)

// tokenOf returns the token id of the company.
func (k *tokenTables) tokenOf(a *accessTables, companyID, id uuid.UUID) (token.Token, bool) {
	d, ok := k.tokenByID[id]
	if !ok {
		return token.Token{}, false
	}
	t := k.tokens[d]
	if t.CompanyID != companyID {
		return token.Token{}, false
	}
	if t.Kind == token.KindAPI {
		if _, ok := a.companies[companyID]; !ok {
			return token.Token{}, false
		}
	}
	return t, true
}

// GetToken implements token.Store.
func (s *Store) GetToken(ctx context.Context, companyID, id uuid.UUID) (t token.Token, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		if t, ok = s.tok.tokenOf(&s.acc, companyID, id); !ok || t.Kind != token.KindAPI {
			t, err = token.Token{}, access.NotFound(access.CodeTokenNotFound)
		}
		t = cloneToken(t)
	}); rerr != nil {
		return token.Token{}, rerr
	}
	return t, err
}

// ListTokens implements token.Store.
func (s *Store) ListTokens(ctx context.Context, companyID uuid.UUID, c access.Cursor) (out []token.Token, err error) {
	err = s.read(ctx, func() {
		if _, ok := s.acc.companies[companyID]; !ok {
			out = []token.Token{}
			return
		}
		out = page(s.tok.companyTokens, companyID, c, func(id uuid.UUID) (token.Token, bool) {
			return cloneToken(s.tok.tokens[s.tok.tokenByID[id]]), true
		})
	})
	return out, err
}

// GetTokens implements token.Store.
func (s *Store) GetTokens(ctx context.Context, companyID uuid.UUID, ids []uuid.UUID) (out []token.Token, err error) {
	err = s.read(ctx, func() {
		out = make([]token.Token, 0, len(ids))
		for _, id := range ids {
			if t, ok := s.tok.tokenOf(&s.acc, companyID, id); ok && t.Kind == token.KindAPI {
				out = append(out, cloneToken(t))
			}
		}
	})
	return out, err
}

// ResetToken implements token.Store. The write lock makes the check and
// the write one step, as PostgreSQL's conditional UPDATE does.
func (s *Store) ResetToken(ctx context.Context, companyID, id uuid.UUID, old, next token.Digest, hint string, expiresAt time.Time) (out token.Token, err error) {
	err = s.write(ctx, func(tx *tx) error {
		k := &s.tok
		t, ok := k.tokenOf(&s.acc, companyID, id)
		switch {
		case !ok || t.Kind != token.KindAPI:
			return access.NotFound(access.CodeTokenNotFound)
		case !t.RevokedAt.IsZero():
			return access.Conflict(access.CodeTokenRevoked, "the token is revoked")
		case t.Digest != old:
			return access.Conflict(access.CodeTokenReset, "the token was reset meanwhile")
		}
		if _, taken := k.tokens[next]; taken {
			return access.Conflict(access.CodeTokenTaken, "the token digest is taken")
		}
		k.tokens.del(tx, old)
		t.Digest, t.Hint, t.ExpiresAt = next, hint, expiresAt
		k.tokens.put(tx, next, t)
		k.tokenByID.put(tx, id, next)
		out = cloneToken(t)
		return nil
	})
	return out, err
}

// RevokeToken implements token.Store.
func (s *Store) RevokeToken(ctx context.Context, companyID, id uuid.UUID, at time.Time) (out token.Token, err error) {
	err = s.write(ctx, func(tx *tx) error {
		t, ok := s.tok.tokenOf(&s.acc, companyID, id)
		if !ok {
			return access.NotFound(access.CodeTokenNotFound)
		}
		if t.RevokedAt.IsZero() {
			t.RevokedAt = at
			s.tok.tokens.put(tx, t.Digest, t)
		}
		out = cloneToken(t)
		return nil
	})
	return out, err
}

// TouchToken implements token.Store.
func (s *Store) TouchToken(ctx context.Context, id uuid.UUID, at time.Time) error {
	return s.write(ctx, func(tx *tx) error {
		d, ok := s.tok.tokenByID[id]
		if !ok {
			return access.NotFound(access.CodeTokenNotFound)
		}
		if t := s.tok.tokens[d]; t.LastUsedAt.Before(at) {
			t.LastUsedAt = at
			s.tok.tokens.put(tx, d, t)
		}
		return nil
	})
}

// CreateLoginLink implements token.Store.
func (s *Store) CreateLoginLink(ctx context.Context, l *token.LoginLink) error {
	return s.write(ctx, func(tx *tx) error {
		k := &s.tok
		if _, ok := k.linkByID[l.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "login link %s exists", l.ID)
		}
		if _, ok := k.links[l.Digest]; ok {
			return access.Conflict(access.CodeTokenTaken, "the login link digest is taken")
		}
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
		if err := s.acc.mustExist(l.CompanyID, l.UserID); err != nil {
			return err
		}
		k.links.put(tx, l.Digest, *l)
		k.linkByID.put(tx, l.ID, l.Digest)
		if l.Kind == token.KindPasswordReset {
			k.userResets.add(tx, l.UserID, l.ID)
		} else {
			k.memberLink.add(tx, memberKey{l.CompanyID, l.UserID}, l.ID)
		}
		return nil
	})
}

// ConsumeLoginLink implements token.Store. The write lock makes the check
// and the write one step, as PostgreSQL's conditional UPDATE does.
func (s *Store) ConsumeLoginLink(ctx context.Context, d token.Digest, now time.Time) (out token.LoginLink, err error) {
	err = s.write(ctx, func(tx *tx) error {
		l, ok := s.tok.links[d]
		if ok && l.Kind == token.KindLoginLink {
			_, ok = s.acc.companies[l.CompanyID]
		}
		switch {
		case !ok:
			return access.NotFound(access.CodeLoginLinkNotFound)
		case !l.UsedAt.IsZero():
			return token.ErrLinkUsed
		case !l.RevokedAt.IsZero():
			return token.ErrLinkRevoked
		case !now.Before(l.ExpiresAt):
			return token.ErrLinkExpired
		}
		l.UsedAt = now
		s.tok.links.put(tx, d, l)
		out = l
		return nil
	})
	return out, err
}

// RevokeLoginLinks implements token.Store.
func (s *Store) RevokeLoginLinks(ctx context.Context, companyID, userID uuid.UUID, at time.Time) (n int, err error) {
	err = s.write(ctx, func(tx *tx) error {
		n = s.tok.revokeLinks(tx, s.tok.memberLink[memberKey{companyID, userID}], at)
		return nil
	})
	return n, err
}

// RevokeResetLinks implements token.Store.
func (s *Store) RevokeResetLinks(ctx context.Context, userID uuid.UUID, at time.Time) (n int, err error) {
	err = s.write(ctx, func(tx *tx) error {
		n = s.tok.revokeLinks(tx, s.tok.userResets[userID], at)
		return nil
	})
	return n, err
}

// revokeLinks revokes the open links among ids and counts them.
func (k *tokenTables) revokeLinks(tx *tx, ids []uuid.UUID, at time.Time) (n int) {
	for _, id := range slices.Clone(ids) {
		d := k.linkByID[id]
		l := k.links[d]
		if l.UsedAt.IsZero() && l.RevokedAt.IsZero() {
			l.RevokedAt = at
			k.links.put(tx, d, l)
			n++
		}
	}
	return n
}

// RevokeSessions implements token.Store. The rows get new values: the
// ones readers hold are never changed.
func (s *Store) RevokeSessions(ctx context.Context, userID, except uuid.UUID, at time.Time) (n int, err error) {
	err = s.write(ctx, func(tx *tx) error {
		k := &s.tok
		for _, id := range slices.Clone(k.userSessions[userID]) {
			d := k.tokenByID[id]
			if t := k.tokens[d]; id != except && t.RevokedAt.IsZero() {
				t.RevokedAt = at
				k.tokens.put(tx, d, t)
				n++
			}
		}
		return nil
	})
	return n, err
}

// deleteCompany drops the company's tokens and login links, as
// PostgreSQL's cascade does. A scan: deleting a company is rare.
func (k *tokenTables) deleteCompany(tx *tx, companyID uuid.UUID) {
	for d, t := range k.tokens {
		if t.CompanyID != companyID {
			continue
		}
		switch t.Kind {
		case token.KindAPI:
			k.companyTokens.del(tx, t.CompanyID, t.ID)
		case token.KindSession:
			k.userSessions.del(tx, t.UserID, t.ID)
		}
		k.tokenByID.del(tx, t.ID)
		k.tokens.del(tx, d)
	}
	for d, l := range k.links {
		if l.CompanyID != companyID || l.Kind != token.KindLoginLink {
			continue
		}
		k.memberLink.del(tx, memberKey{l.CompanyID, l.UserID}, l.ID)
		k.linkByID.del(tx, l.ID)
		k.links.del(tx, d)
	}
}

// MoveSession implements token.Store.
func (s *Store) MoveSession(ctx context.Context, id, companyID uuid.UUID) error {
	return s.write(ctx, func(tx *tx) error {
		k := &s.tok
		d, ok := k.tokenByID[id]
		if !ok || k.tokens[d].Kind != token.KindSession {
			return access.NotFound(access.CodeTokenNotFound)
		}
		if _, ok := s.acc.companies[companyID]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		t := k.tokens[d]
		t.CompanyID = companyID
		k.tokens.put(tx, d, t)
		return nil
	})
}

// AddSessionCompany implements token.Store. The row gets a new slice: the
// one readers hold is never changed.
func (s *Store) AddSessionCompany(ctx context.Context, id, companyID uuid.UUID) error {
	return s.write(ctx, func(tx *tx) error {
		k := &s.tok
		d, ok := k.tokenByID[id]
		if !ok || k.tokens[d].Kind != token.KindSession {
			return access.NotFound(access.CodeTokenNotFound)
		}
		t := k.tokens[d]
		if slices.Contains(t.Companies, companyID) {
			return nil
		}
		t.Companies = slices.Clip(append(slices.Clone(t.Companies), companyID))
		k.tokens.put(tx, d, t)
		return nil
	})
}

// ListSessions implements token.Store, through the user's sessions in ID
// order.
func (s *Store) ListSessions(ctx context.Context, userID uuid.UUID, now time.Time, c access.Cursor) (out []token.Token, err error) {
	err = s.read(ctx, func() {
		k := &s.tok
		out = page(k.userSessions, userID, c, func(id uuid.UUID) (token.Token, bool) {
			t := k.tokens[k.tokenByID[id]]
			return cloneToken(t), !t.Revoked() && !t.Expired(now)
		})
	})
	return out, err
}

// RevokeSession implements token.Store.
func (s *Store) RevokeSession(ctx context.Context, userID, id uuid.UUID, at time.Time) (out token.Token, err error) {
	err = s.write(ctx, func(tx *tx) error {
		k := &s.tok
		d, ok := k.tokenByID[id]
		t := k.tokens[d]
		if !ok || t.Kind != token.KindSession || t.UserID != userID {
			return access.NotFound(access.CodeSessionNotFound)
		}
		if t.RevokedAt.IsZero() {
			t.RevokedAt = at
			k.tokens.put(tx, d, t)
		}
		out = cloneToken(t)
		return nil
	})
	return out, err
}

// RevokeCompanySessions implements token.Store. The rows get new values:
// the ones readers hold are never changed.
func (s *Store) RevokeCompanySessions(ctx context.Context, companyID, userID, except uuid.UUID, at time.Time) (n int, err error) {
	err = s.write(ctx, func(tx *tx) error {
		k := &s.tok
		for _, id := range slices.Clone(k.userSessions[userID]) {
			d := k.tokenByID[id]
			if t := k.tokens[d]; id != except && t.CompanyID == companyID && t.RevokedAt.IsZero() {
				t.RevokedAt = at
				k.tokens.put(tx, d, t)
				n++
			}
		}
		return nil
	})
	return n, err
}

// DeleteUserTokens implements token.Store.
func (s *Store) DeleteUserTokens(ctx context.Context, userID uuid.UUID) ([]token.Token, error) {
	var out []token.Token
	err := s.write(ctx, func(tx *tx) error {
		out = s.tok.deleteUser(tx, userID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b token.Token) int { return compareID(a.ID, b.ID) })
	return out, nil
}

// deleteUser removes every token and link of the user (PostgreSQL's
// cascade from users) and returns the API tokens among them.
func (k *tokenTables) deleteUser(tx *tx, userID uuid.UUID) []token.Token {
	var api []token.Token
	for d, t := range k.tokens {
		if t.UserID != userID {
			continue
		}
		switch t.Kind {
		case token.KindAPI:
			k.companyTokens.del(tx, t.CompanyID, t.ID)
			api = append(api, cloneToken(t))
		case token.KindSession:
			k.userSessions.del(tx, t.UserID, t.ID)
		}
		k.tokenByID.del(tx, t.ID)
		k.tokens.del(tx, d)
	}
	for d, l := range k.links {
		if l.UserID != userID {
			continue
		}
		if l.Kind == token.KindPasswordReset {
			k.userResets.del(tx, l.UserID, l.ID)
		} else {
			k.memberLink.del(tx, memberKey{l.CompanyID, l.UserID}, l.ID)
		}
		k.linkByID.del(tx, l.ID)
		k.links.del(tx, d)
	}
	return api
}
