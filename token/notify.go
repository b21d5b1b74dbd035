package token

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
)

// Event is something a person should hear about, handed to the Notifier
// once, after the change committed, on the caller's goroutine: an
// invitation's change (invite.Event), access granted by provisioning
// (Granted) or a password reset link (PasswordReset). A Notifier switches
// on the concrete type. The change stands
// whatever the Notifier does; failures and retries are the Notifier's.
type Event interface {
	// EventName is the event's stable name, such as "invitation.created"
	// or "access.granted".
	EventName() string
	// RevealAttrs describes the event for a development log, with the
	// plaintext of the link it carries, on purpose: only LogNotifier calls
	// it. Every other way of printing an event redacts its secrets.
	RevealAttrs() []slog.Attr
}

// Notifier hears of every Event of the services it is given to
// (token.WithNotifier, invite.WithNotifier): one type for the whole
// library, so a host writes one mailer.
type Notifier interface {
	Notify(ctx context.Context, e Event)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, e Event)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, e Event) { f(ctx, e) }

// NopNotifier drops every event. It is the default.
type NopNotifier struct{}

// Notify does nothing.
func (NopNotifier) Notify(context.Context, Event) {}

// LogNotifier logs every event with log/slog, for the examples and for
// development: a person sees there the link that would be mailed.
//
// Beware: it logs the links (invitation accept links, login links, reset
// links) with their secrets, on purpose; that is its job. Do not use it
// where logs are kept or shared. Nothing else in gatehouse ever logs a secret.
type LogNotifier struct {
	Logger *slog.Logger // nil: slog.Default()
}

// Notify logs e.
func (n LogNotifier) Notify(ctx context.Context, e Event) {
	l := n.Logger
	if l == nil {
		l = slog.Default()
	}
	l.LogAttrs(ctx, slog.LevelInfo, "gatehouse "+e.EventName(), e.RevealAttrs()...)
}

// Granted is the Event of Service.Provision with Provision.Notify: a person
// was given access to a company and should be told, with a one-time login
// link when the company owns their account.
type Granted struct {
	Company access.Company
	Member  access.Member // with its user
	NewUser bool          // the grant created the user
	// GrantedBy is the caller; its UserID is the granting user (an API
	// token's creator).
	GrantedBy access.Principal
	// LoginURL is a one-time login link to put in the e-mail; it prints
	// redacted. It is zero for a user who belongs to other companies: they
	// sign in on their own.
	LoginURL      Secret
	LinkExpiresAt time.Time
}

// EventName implements Event.
func (Granted) EventName() string { return "access.granted" }

// RevealAttrs implements Event, with the login link in plaintext.
func (g Granted) RevealAttrs() []slog.Attr {
	attrs := []slog.Attr{
		slog.String("event", g.EventName()),
		slog.String("company", g.Company.Name), slog.String("email", g.Member.User.Email),
		slog.String("role", g.Member.Role), slog.Bool("new_user", g.NewUser),
	}
	if !g.LoginURL.IsZero() {
		attrs = append(attrs, slog.String("login_url", g.LoginURL.Reveal()), slog.Time("expires_at", g.LinkExpiresAt))
	}
	return attrs
}

// PasswordReset is the Event of Service.RequestPasswordReset: the user
// asked to reset a forgotten password and should receive the link. It is
// the only way the link travels: the caller of the request never sees it.
type PasswordReset struct {
	User access.User
	// ResetURL is the one-time reset link (WithResetURL, with the secret
	// in its "token" parameter) to put in the e-mail; it prints redacted.
	ResetURL  Secret
	ExpiresAt time.Time
}

// EventName implements Event.
func (PasswordReset) EventName() string { return "password.reset_requested" }

// RevealAttrs implements Event, with the reset link in plaintext.
func (r PasswordReset) RevealAttrs() []slog.Attr {
	return []slog.Attr{
		slog.String("event", r.EventName()), slog.String("email", r.User.Email),
		slog.String("reset_url", r.ResetURL.Reveal()), slog.Time("expires_at", r.ExpiresAt),
	}
}
