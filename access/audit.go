package access

import (
	"maps"
	"slices"
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

// AuditScrub rewrites audit events to take a person out of them
// (Service.EraseUser, Store.ScrubAudit): in the Actor, the Target and
// every Details value, each occurrence of a Contains string, and a whole
// value equal to an Equals string, becomes Tombstone. Empty strings match
// nothing.
type AuditScrub struct {
	Contains  []string
	Equals    []string
	Tombstone string
}

// Needles are the non-empty strings the scrub looks for: a store may read
// only the events holding one of them, then Apply.
func (sc AuditScrub) Needles() []string {
	var out []string
	for _, n := range append(slices.Clone(sc.Contains), sc.Equals...) {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Apply returns e rewritten and whether anything changed: the one
// definition both stores follow (storetest holds them to it). e's Details
// are not modified; a changed event gets a new map.
func (sc AuditScrub) Apply(e AuditEvent) (AuditEvent, bool) {
	changed := false
	fix := func(v string) string {
		w := v
		for _, n := range sc.Equals {
			if n != "" && w == n {
				w = sc.Tombstone
			}
		}
		for _, n := range sc.Contains {
			if n != "" {
				w = strings.ReplaceAll(w, n, sc.Tombstone)
			}
		}
		if w != v {
			changed = true
		}
		return w
	}
	e.Actor, e.Target = fix(e.Actor), fix(e.Target)
	var details map[string]string
	for k, v := range e.Details {
		if w := fix(v); w != v {
			if details == nil {
				details = maps.Clone(e.Details)
			}
			details[k] = w
		}
	}
	if details != nil {
		e.Details = details
	}
	return e, changed
}
