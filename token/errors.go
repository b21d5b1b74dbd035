package token

import (
	"errors"

	"github.com/gatehouse-go/gatehouse/access"
)

// ErrInvalidToken is what Verify returns for any token that does not
// verify, whatever the reason: a client learns nothing about which check
// failed. ReasonOf tells the host, for its own logs.
var ErrInvalidToken = &access.Error{Kind: access.ErrUnauthenticated, Code: access.CodeInvalidToken, Message: "the token is invalid"}

// ErrInvalidLink is returned for a login link that is malformed, unknown,
// or whose user no longer belongs to its company.
var ErrInvalidLink = &access.Error{Kind: access.ErrUnauthenticated, Code: access.CodeInvalidLink, Message: "the login link is invalid"}

// The login link is gone: already redeemed, expired, or superseded by a
// newer link for the same user and company. All three are conflicts with
// distinct codes; the HTTP adapter answers 410 Gone for them.
var (
	ErrLinkUsed    = &access.Error{Kind: access.ErrConflict, Code: access.CodeLinkUsed, Message: "the login link was already used"}
	ErrLinkExpired = &access.Error{Kind: access.ErrConflict, Code: access.CodeLinkExpired, Message: "the login link has expired"}
	ErrLinkRevoked = &access.Error{Kind: access.ErrConflict, Code: access.CodeLinkRevoked, Message: "the login link was replaced by a newer one"}
)

// Reasons a token is refused, for the host's logs (ReasonOf).
const (
	ReasonMalformed   = "malformed"    // format, kind or checksum
	ReasonUnknown     = "unknown"      // no such token (or its company is gone)
	ReasonExpired     = "expired"      // now >= expires_at
	ReasonRevoked     = "revoked"      // revoked
	ReasonUserUnknown = "user_unknown" // a session's user, or an API token's creator, is gone or disabled
	ReasonAncestor    = "ancestor"     // a token that made this API token (Token.Ancestors) is gone, revoked or expired
)

// rejection is a refused token: ErrInvalidToken to the client, with the
// reason kept for the host.
type rejection struct{ reason string }

func (r *rejection) Error() string { return ErrInvalidToken.Error() }
func (r *rejection) Unwrap() error { return ErrInvalidToken }

// The rejections are preallocated: refusing a token allocates nothing.
var (
	rejectMalformed   error = &rejection{ReasonMalformed}
	rejectUnknown     error = &rejection{ReasonUnknown}
	rejectExpired     error = &rejection{ReasonExpired}
	rejectRevoked     error = &rejection{ReasonRevoked}
	rejectUserUnknown error = &rejection{ReasonUserUnknown}
	rejectAncestor    error = &rejection{ReasonAncestor}
)

// ReasonOf returns why Verify refused a token (one of the Reason
// constants), or "" for any other error. Never send it to the client.
func ReasonOf(err error) string {
	var r *rejection
	if errors.As(err, &r) {
		return r.reason
	}
	return ""
}
