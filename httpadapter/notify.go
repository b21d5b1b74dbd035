package httpadapter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// Notifier hears of access granted through the partner family (POST
// /portal/instance/access/users), once, after the grant committed, on the
// request's goroutine: the host e-mails the user their login link. The
// grant stands whatever the Notifier does. Invitations notify through the
// invite.Service's own Notifier.
type Notifier interface {
	NotifyGrant(ctx context.Context, g Grant)
}

// Grant is what a Notifier hears.
type Grant struct {
	Company access.Company
	Member  access.Member // with its user
	NewUser bool          // the grant created the user
	// GrantedBy is the caller; its UserID is the granting user (an API
	// token's creator).
	GrantedBy access.Principal
	// LoginURL is a one-time login link for the user, to put in the
	// e-mail; it prints redacted. Empty for a user who belongs to other
	// companies: they sign in on their own (token.Provision hands out no
	// link for them).
	LoginURL      Link
	LinkExpiresAt time.Time
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, g Grant)

// NotifyGrant calls f.
func (f NotifierFunc) NotifyGrant(ctx context.Context, g Grant) { f(ctx, g) }

// NopNotifier drops every grant. It is the default.
type NopNotifier struct{}

// NotifyGrant does nothing.
func (NopNotifier) NotifyGrant(context.Context, Grant) {}

// LogNotifier logs every grant with log/slog, for the examples and for
// development. Beware: it logs the login link, with its secret, on purpose;
// do not use it where logs are kept or shared.
type LogNotifier struct {
	Logger *slog.Logger // nil: slog.Default()
}

// NotifyGrant logs g.
func (n LogNotifier) NotifyGrant(ctx context.Context, g Grant) {
	l := n.Logger
	if l == nil {
		l = slog.Default()
	}
	l.LogAttrs(ctx, slog.LevelInfo, "gatehouse access granted",
		slog.String("company", g.Company.Name), slog.String("email", g.Member.User.Email),
		slog.String("role", g.Member.Role), slog.Bool("new_user", g.NewUser),
		slog.String("login_url", g.LoginURL.Reveal()), slog.Time("expires_at", g.LinkExpiresAt))
}

// Link is a URL that carries a secret (a login link). It prints as
// "[REDACTED]" with every fmt verb, in log/slog and as JSON; Reveal returns
// it for the one place that needs it.
type Link struct{ v string }

// Reveal returns the URL.
func (l Link) Reveal() string { return l.v }

// String implements fmt.Stringer without the secret.
func (Link) String() string { return redacted }

// Format implements fmt.Formatter without the secret.
func (Link) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer without the secret.
func (Link) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes the redacted form.
func (Link) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

const redacted = token.Redacted
