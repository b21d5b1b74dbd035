package invite

import (
	"log/slog"
	"time"

	"github.com/gatehouse-go/gatehouse/token"
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

// Event tells the Notifier (token.Notifier) of one change of an invitation
// (created, refreshed, resent, accepted, rejected, revoked). Both parties are in it: the
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

// EventName implements token.Event: "invitation." and the event type.
func (e Event) EventName() string { return "invitation." + string(e.Type) }

// RevealAttrs implements token.Event, with the accept link (or token) in
// plaintext for the events that send one.
func (e Event) RevealAttrs() []slog.Attr {
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
	return attrs
}
