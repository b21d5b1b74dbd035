package access

import (
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
