package token

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Introspection is what Service.Introspect tells of a bearer credential,
// after RFC 7662 (OAuth 2.0 token introspection): whether it works now
// and whose it is. It never holds the secret. For a credential that does
// not work, every field but Active is zero.
type Introspection struct {
	Active bool
	Kind   Kind // KindAPI or KindSession
	// UserID is a session's user, or the creator of an API token (whose
	// current membership caps it on every check).
	UserID uuid.UUID
	// CompanyID is the company an API token belongs to, or the one a
	// session acts in now (uuid.Nil for a session of a user with no
	// company yet).
	CompanyID uuid.UUID
	TokenID   uuid.UUID
	// Permissions and Level are an API token's own ceiling, as stored; the
	// authorizer narrows them to its creator's current rights on every
	// check. A session has none of its own (nil, 0): it acts with its
	// user's current membership, decided by each check.
	Permissions []string
	Level       int
	ExpiresAt   time.Time // zero: never
}

// Introspect answers whether secret, an API or session token, works now
// and whose it is, with exactly the checks (and the cost) of Verify: one
// indexed lookup, plus the user of a session; it records no use (asking
// about a token is not using it, so it cannot keep one looking fresh). A
// credential that does not verify (malformed, another
// kind, unknown, revoked, expired, its user or company gone) is no error:
// it answers Introspection{Active: false}, whatever the reason, so the
// route can answer as RFC 7662 does. Errors are storage failures only.
func (s *Service) Introspect(ctx context.Context, secret string) (Introspection, error) {
	var t Token
	_, err := s.verify(ctx, secret, &t)
	if errors.Is(err, ErrInvalidToken) {
		return Introspection{}, nil
	}
	if err != nil {
		return Introspection{}, err
	}
	in := Introspection{Active: true, Kind: t.Kind, UserID: t.UserID, CompanyID: t.CompanyID, TokenID: t.ID,
		ExpiresAt: t.ExpiresAt}
	if t.Kind == KindAPI {
		in.Permissions, in.Level = slices.Clone(t.Permissions), t.Level
	}
	return in, nil
}
