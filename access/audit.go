package access

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// AuditEvent records one change, written in the same transaction as the
// change. Details never hold secrets.
type AuditEvent struct {
	ID        uuid.UUID
	CompanyID uuid.UUID // uuid.Nil for events outside any company
	Actor     string    // the principal, as Principal.String renders it
	Action    string    // e.g. "membership.role_changed"
	Target    string    // e.g. "user:<uuid>"
	Outcome   string    // "success", or "denied" for recorded refusals
	Details   map[string]string
	At        time.Time
}

// AuditHook receives every event after its transaction committed. It must
// not block for long; it runs on the caller's goroutine.
type AuditHook func(AuditEvent)

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeDenied  = "denied" // a refusal Service recorded
)

// AuditFilter narrows Service.QueryAudit. Every field is optional; set
// fields all hold (they are ANDed).
type AuditFilter struct {
	// Actor is a principal as Principal.String renders it ("user:<uuid>",
	// "token:<uuid>", "system"); exact.
	Actor string
	// Action is an action or a dotted prefix of one, matched by whole
	// segments: "membership" matches "membership" and "membership.*" (not
	// "memberships.x"); "invitation.created" matches that action and
	// "invitation.created.*". A trailing "." is ignored.
	Action string
	// Target is an event's target, e.g. "user:<uuid>"; exact.
	Target string
	// Outcome is OutcomeSuccess or OutcomeDenied; "" for both.
	Outcome string
	// Since (inclusive) and Until (exclusive) bound At; zero: unbounded.
	Since, Until time.Time
	Page         PageRequest
}

// AuditQuery is the store-level audit filter (Store.QueryAudit): an
// AuditFilter checked by the Service, Action without a trailing ".".
type AuditQuery struct {
	Actor, Action, Target, Outcome string
	Since, Until                   time.Time
}

// Matches reports whether e passes q: the definition both stores follow
// (storetest holds them to it).
func (q AuditQuery) Matches(e AuditEvent) bool {
	switch {
	case q.Actor != "" && e.Actor != q.Actor,
		q.Target != "" && e.Target != q.Target,
		q.Outcome != "" && e.Outcome != q.Outcome,
		q.Action != "" && e.Action != q.Action && !strings.HasPrefix(e.Action, q.Action+"."),
		!q.Since.IsZero() && e.At.Before(q.Since),
		!q.Until.IsZero() && !e.At.Before(q.Until):
		return false
	}
	return true
}

// ActionFamily is the first dot-separated segment of an action
// ("membership" of "membership.role_changed"): stores index it, so that a
// filter by a prefix of whole segments reads one index range.
func ActionFamily(action string) string {
	family, _, _ := strings.Cut(action, ".")
	return family
}
