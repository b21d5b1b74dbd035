package token

import (
	"context"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// Store is what the token Service needs from storage: its own tables, the
// tokens and login links, and the shared transaction (RunInTx, as
// access.Store declares it). Users, memberships and the audit trail are
// read and changed only through access.Service. store/memstore and store/bunstore implement it;
// store/storetest proves them.
//
// API and session tokens share one table (Token.Kind tells them apart);
// login links and password reset links share another (LoginLink.Kind).
// All are found by the SHA-256 Digest of their secret through a unique
// index. Plaintext secrets never reach a store.
type Store interface {
	RunInTx(ctx context.Context, fn func(ctx context.Context) error) error

	// CreateToken inserts t, an API token's Ancestors and a session's
	// Origin, HomeID and Companies included. ErrConflict with access.CodeIDTaken if its ID is taken,
	// access.CodeTokenTaken if its Digest is.
	CreateToken(ctx context.Context, t *Token) error
	// GetTokenByHash returns the API or session token whose Digest is d,
	// revoked and expired ones included. ErrNotFound if there is none, or
	// if it is an API token whose company no longer exists. It is the hot
	// path of every authenticated request: one indexed lookup, which also
	// reads the token's user's Status into Token.UserStatus. The
	// returned Permissions and Companies may be shared with the store and
	// must not be modified.
	GetTokenByHash(ctx context.Context, d Digest) (Token, error)
	// GetToken returns an API token of the company. ErrNotFound if none,
	// also when it belongs to another company.
	GetToken(ctx context.Context, companyID, id uuid.UUID) (Token, error)
	// GetTokens returns the API tokens of the company among ids, in no
	// particular order: ids of no API token of the company are left out.
	// It is how a token's Ancestors are read, in one look-up.
	GetTokens(ctx context.Context, companyID uuid.UUID, ids []uuid.UUID) ([]Token, error)
	// ResetToken replaces the secret of the company's API token id in one
	// conditional write: its Digest becomes next, its Hint hint and its
	// ExpiresAt expiresAt, only while it is unrevoked and its Digest is
	// still old. It returns the token as stored after it. Of concurrent
	// resets from one secret exactly one succeeds. Errors: ErrNotFound
	// (CodeTokenNotFound) if there is no such API token of the company;
	// ErrConflict with access.CodeTokenRevoked if it is revoked,
	// access.CodeTokenReset if its Digest is no longer old,
	// access.CodeTokenTaken if next is another token's.
	ResetToken(ctx context.Context, companyID, id uuid.UUID, old, next Digest, hint string, expiresAt time.Time) (Token, error)
	// ListTokens lists the API tokens of a company, revoked ones included,
	// at most c.Limit after c.After, ordered by ID.
	ListTokens(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]Token, error)
	// RevokeToken sets RevokedAt to at on the token of the company
	// (for a session token, the company it acts in) and returns it. A token
	// revoked before keeps its first RevokedAt. ErrNotFound if none, also
	// when it belongs to another company.
	RevokeToken(ctx context.Context, companyID, id uuid.UUID, at time.Time) (Token, error)
	// TouchToken records a use at at, unless a later use is already
	// recorded. ErrNotFound if none.
	TouchToken(ctx context.Context, id uuid.UUID, at time.Time) error
	// MoveSession sets the company a session token acts in. ErrNotFound if
	// there is no session token id, or companyID is not a company.
	MoveSession(ctx context.Context, id, companyID uuid.UUID) error
	// AddSessionCompany appends companyID to the Companies of session
	// token id (a company created through the session), unless it is
	// there already. ErrNotFound (CodeTokenNotFound) if there is no
	// session token id. The company is not checked: the caller has just
	// created it.
	AddSessionCompany(ctx context.Context, id, companyID uuid.UUID) error

	// RevokeSessions sets RevokedAt to at on every unrevoked session token
	// of the user except the session except (uuid.Nil: none is kept), and
	// reports how many. API tokens the user created are untouched.
	RevokeSessions(ctx context.Context, userID, except uuid.UUID, at time.Time) (int, error)
	// ListSessions lists the user's live session tokens (unrevoked, and
	// unexpired at now: ExpiresAt after it), with their Client, at most
	// c.Limit after c.After, ordered by ID. An unknown user has none.
	ListSessions(ctx context.Context, userID uuid.UUID, now time.Time, c access.Cursor) ([]Token, error)
	// RevokeSession sets RevokedAt to at on the user's session token id
	// and returns it; a session revoked before keeps its first RevokedAt.
	// ErrNotFound (access.CodeSessionNotFound) if id is no session token
	// of the user (an API token, another user's session, none).
	RevokeSession(ctx context.Context, userID, id uuid.UUID, at time.Time) (Token, error)
	// RevokeCompanySessions sets RevokedAt to at on every unrevoked
	// session token of the user acting in the company (Token.CompanyID)
	// except the session except (uuid.Nil: none is kept), and reports how
	// many. Their sessions acting elsewhere are untouched.
	RevokeCompanySessions(ctx context.Context, companyID, userID, except uuid.UUID, at time.Time) (int, error)

	// CreateLoginLink inserts l, a login link (Kind KindLoginLink, of a
	// company) or a password reset link (KindPasswordReset, of no company:
	// CompanyID uuid.Nil). A zero Kind is stored as KindLoginLink and set
	// so in l. ErrConflict with access.CodeIDTaken if its ID is taken,
	// access.CodeTokenTaken if its Digest is; ErrNotFound
	// (access.CodeCompanyNotFound, access.CodeUserNotFound) if its company
	// (required for a login link) or its user does not exist; ErrInvalid
	// (field "kind") for another Kind.
	CreateLoginLink(ctx context.Context, l *LoginLink) error
	// ConsumeLoginLink redeems the link whose Digest is d, of either Kind
	// (the caller checks the Kind it expects): one conditional
	// write that sets UsedAt to now only if the link is unused, not revoked
	// and not expired (now < ExpiresAt), and returns the link as stored
	// after it. Of concurrent calls exactly one succeeds. Errors:
	// ErrNotFound if there is no such link; ErrLinkUsed, ErrLinkRevoked or
	// ErrLinkExpired (conflicts) otherwise, checked in that order. A login
	// link whose company is gone is not found.
	ConsumeLoginLink(ctx context.Context, d Digest, now time.Time) (LoginLink, error)
	// RevokeLoginLinks sets RevokedAt to at on every unused, unrevoked
	// login link (KindLoginLink) of the user in the company, and reports
	// how many.
	RevokeLoginLinks(ctx context.Context, companyID, userID uuid.UUID, at time.Time) (int, error)
	// RevokeResetLinks sets RevokedAt to at on every unused, unrevoked
	// password reset link (KindPasswordReset) of the user, and reports how
	// many.
	RevokeResetLinks(ctx context.Context, userID uuid.UUID, at time.Time) (int, error)

	// DeleteUserTokens deletes every token (API tokens the user created,
	// their sessions) and every link (login, reset) of the user, and
	// returns the deleted API tokens, so that their grants can go too. An
	// unknown user has none.
	DeleteUserTokens(ctx context.Context, userID uuid.UUID) ([]Token, error)
}
