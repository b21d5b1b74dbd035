package invite

import (
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"

	"github.com/gatehouse-go/gatehouse/token"
)

// Secret is a plaintext invitation token, or an accept link carrying one.
// It prints as token.Redacted with every fmt verb, in log/slog and as JSON,
// so it cannot reach a log line or an error by accident; Reveal returns
// the plaintext for the one place that needs it (the response, the
// e-mail).
type Secret string

// Reveal returns the plaintext.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer without the plaintext.
func (Secret) String() string { return token.Redacted }

// GoString implements fmt.GoStringer without the plaintext.
func (Secret) GoString() string { return `invite.Secret("` + token.Redacted + `")` }

// Format implements fmt.Formatter without the plaintext.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, token.Redacted) }

// LogValue implements slog.LogValuer without the plaintext.
func (Secret) LogValue() slog.Value { return slog.StringValue(token.Redacted) }

// MarshalJSON encodes the redacted form: send a secret with Reveal, on
// purpose.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + token.Redacted + `"`), nil }

// tokenKind is the token package's kind of secret for an invitation kind,
// so a member invitation's token never works as a company invitation's
// (nor as any other secret).
func tokenKind(k Kind) token.Kind {
	if k == KindConnection {
		return token.KindConnectionInvitation
	}
	return token.KindInvitation
}

// newToken returns a fresh token (256 bits from crypto/rand, in the token
// package's format: product and kind prefix, CRC-32 checksum) and the
// SHA-256 under which it is stored.
func (s *Service) newToken(k Kind) (Secret, []byte) {
	sec := s.format.Generate(tokenKind(k)).Reveal()
	d := token.Hash(sec)
	return Secret(sec), d[:]
}

// parseToken checks a presented token's form, kind and checksum without
// touching the store and returns its hash and the invitation kind it is
// for; ok is false for anything that is not an invitation token of this
// service's format.
func (s *Service) parseToken(tok string) (hash []byte, k Kind, ok bool) {
	product, tk, err := token.Parse(tok)
	switch {
	case err != nil, product != s.format.Product():
		return nil, "", false
	case tk == token.KindInvitation:
		k = KindMember
	case tk == token.KindConnectionInvitation:
		k = KindConnection
	default:
		return nil, "", false
	}
	d := token.Hash(tok)
	return d[:], k, true
}

// sameHash compares two hashes in constant time.
func sameHash(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
