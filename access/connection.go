package access

import (
	"time"

	"github.com/google/uuid"
)

// Connection links a customer company with an agency company. Members of
// the agency with at least ADMIN there act in the customer company with at
// most Permissions. Connections are created by package invite when a
// company-to-company invitation is accepted; authorization reads them here.
type Connection struct {
	ID          uuid.UUID
	CustomerID  uuid.UUID
	AgencyID    uuid.UUID
	Permissions []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}
