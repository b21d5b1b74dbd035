package invite

import (
	"context"
	"github.com/gatehouse-go/gatehouse/token"
	"log/slog"
	"time"
)

// EventType names a change of an invitation.
type EventType string

// Event types.
const (
	EventCreated   EventType = "created"
	EventRefreshed EventType = "refreshed" // re-invited while pending: new terms, renewed expiry, a new link (the old one stops working)
	EventResent    EventType = "resent"
	EventAccepted  EventType = "accepted"
	EventRejected  EventType = "rejected"
	EventRevoked   EventType = "revoked"
)

// Event tells the Notifier of one change. Both parties are in it: the
// inviting side (Invitation.CompanyID, CompanyName, Invitation.InvitedBy,
// InviterEmail) and the invited one (Invitation.Email, and for a company
// invitation Invitation.TargetName / TargetID).
type Event struct {
	Type         EventType
	Invitation   Invitation // as the Service returns it: no token hash
	CompanyName  string     // the inviting company's name
	InviterEmail string     // "" when the system invited
	// Token and URL carry the link to send to the invitee, only for
	// EventCreated, EventRefreshed and EventResent. They print as "[redacted]".
	Token token.Secret
	URL   token.Secret
	At    time.Time
}

// Notifier hears of every status change of an invitation (created,
// refreshed, resent, accepted, rejected, revoked), once, after its
// transaction committed, on the caller's goroutine: the host sends the
// e-mails to both parties, or queues them. The change stands whatever the
// Notifier does; failures (and retries) are the Notifier's to handle.
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
// Beware: for EventCreated, EventRefreshed and EventResent it logs the accept link, with
// the plaintext token, on purpose; that is its job. Do not use it where
// logs are kept or shared. Nothing else in gatehouse ever logs a secret.
type LogNotifier struct {
	Logger *slog.Logger // nil: slog.Default()
}

// Notify logs e.
func (n LogNotifier) Notify(ctx context.Context, e Event) {
	l := n.Logger
	if l == nil {
		l = slog.Default()
	}
	attrs := []slog.Attr{
		slog.String("event", string(e.Type)),
		slog.String("invitation_id", e.Invitation.ID.String()),
		slog.String("kind", string(e.Invitation.Kind)),
		slog.String("company", e.CompanyName),
		slog.String("email", e.Invitation.Email),
		slog.String("status", string(e.Invitation.Status)),
		slog.Time("expires_at", e.Invitation.ExpiresAt),
	}
	switch {
	case !e.URL.IsZero():
		attrs = append(attrs, slog.String("accept_url", e.URL.Reveal()))
	case !e.Token.IsZero():
		attrs = append(attrs, slog.String("token", e.Token.Reveal()))
	}
	l.LogAttrs(ctx, slog.LevelInfo, "gatehouse invitation "+string(e.Type), attrs...)
}
