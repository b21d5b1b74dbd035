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
// (Service.EraseUser, Store.ScrubAudit). Only an event about the person is
// touched: one whose Actor, Target or a Details value holds an About
// string (their ID, their e-mail) as a whole word. In such an event, in
// the Actor, the Target and every Details value, each whole-word
// occurrence of a Contains string, and a whole value equal to an Equals
// string, becomes Tombstone. Every other event stays as it is, whatever it
// holds (another person's "system" is not this one's first name, and
// john@example.com does not hold n@example.com). Empty strings match
// nothing.
type AuditScrub struct {
	About     []string
	Contains  []string
	Equals    []string
	Tombstone string
}

// Needles are the strings that make an event one to scrub: a store may
// read only the events holding one of them, then Apply.
func (sc AuditScrub) Needles() []string {
	var out []string
	for _, n := range sc.About {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// about reports whether e is about the person.
func (sc AuditScrub) about(e AuditEvent) bool {
	values := append([]string{e.Actor, e.Target}, slices.Collect(maps.Values(e.Details))...)
	for _, v := range values {
		for _, n := range sc.About {
			if n != "" && wordIndex(v, n, 0) >= 0 {
				return true
			}
		}
	}
	return false
}

// wordIndex is the index of the first occurrence of n in v at or after
// from that is a whole word: not inside a longer e-mail address, name or
// ID (the characters on either side are none of letters, digits and
// ".-_+%@"). -1 if none.
func wordIndex(v, n string, from int) int {
	inWord := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte(".-_+%@", b) >= 0
	}
	for i := from; i <= len(v)-len(n); {
		j := strings.Index(v[i:], n)
		if j < 0 {
			return -1
		}
		at := i + j
		end := at + len(n)
		if (at == 0 || !inWord(v[at-1])) && (end == len(v) || !inWord(v[end])) {
			return at
		}
		i = at + 1
	}
	return -1
}

// replaceWords replaces every whole-word occurrence of n in v with t.
func replaceWords(v, n, t string) string {
	var b strings.Builder
	last := 0
	for at := wordIndex(v, n, 0); at >= 0; at = wordIndex(v, n, last) {
		b.WriteString(v[last:at])
		b.WriteString(t)
		last = at + len(n)
	}
	if last == 0 {
		return v
	}
	b.WriteString(v[last:])
	return b.String()
}

// Apply returns e rewritten and whether anything changed: the one
// definition both stores follow (storetest holds them to it). e's Details
// are not modified; a changed event gets a new map.
func (sc AuditScrub) Apply(e AuditEvent) (AuditEvent, bool) {
	if !sc.about(e) {
		return e, false
	}
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
				w = replaceWords(w, n, sc.Tombstone)
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
