package token

import (
	"fmt"
	"log/slog"
	"net/url"
)

// Redacted is what every secret-holding type prints instead of its secret.
const Redacted = "[REDACTED]"

// Secret holds a plaintext secret (a token, or a login URL carrying one).
// It leaves the library only through Reveal: printing it with fmt, in any
// verb, or encoding it as JSON or text shows Redacted, so it cannot reach a
// log line or an error by accident. The zero value holds nothing.
type Secret struct{ v string }

// Reveal returns the plaintext, to hand to its owner exactly once.
func (s Secret) Reveal() string { return s.v }

// WithToken returns base with s in its "token" query parameter, as a
// Secret: the one way a secret travels in a URL (login links, invitation
// accept links). A nil base gives the zero Secret.
func WithToken(base *url.URL, s Secret) Secret {
	if base == nil || s.v == "" {
		return Secret{}
	}
	u := *base
	q := u.Query()
	q.Set("token", s.v)
	u.RawQuery = q.Encode()
	return Secret{v: u.String()}
}

// IsZero reports whether s holds nothing.
func (s Secret) IsZero() bool { return s.v == "" }

// Hint is the short, non-secret form shown in listings: the prefix and the
// last four characters (which belong to the checksum), e.g.
// "gate_api_…x9Zq".
func (s Secret) Hint() string { return hintOf(s.v) }

func hintOf(v string) string {
	if _, _, err := parse(v); err != nil {
		return ""
	}
	return v[:len(v)-bodyLen] + "…" + v[len(v)-4:]
}

// String implements fmt.Stringer with the redacted form.
func (s Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer with the redacted form.
func (s Secret) GoString() string { return `token.Secret("` + Redacted + `")` }

// Format implements fmt.Formatter: every verb prints the redacted form.
func (s Secret) Format(f fmt.State, verb rune) { redact(f, verb, "token.Secret") }

// LogValue implements slog.LogValuer with the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON encodes the redacted form: send a secret with Reveal, on
// purpose.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText encodes the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// redact writes the redacted form of a secret-holding value of type name.
func redact(f fmt.State, verb rune, name string) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "%s{%s}", name, Redacted)
		return
	}
	fmt.Fprint(f, Redacted)
}
