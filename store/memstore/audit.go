package memstore

import (
	"context"
	"maps"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// auditTables holds the audit trail, filed by company.
type auditTables struct {
	audit          table[uuid.UUID, access.AuditEvent]
	companyAuditIx idIndex[uuid.UUID]
}

func (t *auditTables) init() {
	*t = auditTables{audit: table[uuid.UUID, access.AuditEvent]{}, companyAuditIx: idIndex[uuid.UUID]{}}
}

func cloneEvent(e access.AuditEvent) access.AuditEvent {
	e.Details = maps.Clone(e.Details)
	return e
}

// AppendAudit implements access.Store.
func (s *Store) AppendAudit(ctx context.Context, e *access.AuditEvent) error {
	return s.write(ctx, func(t *tx) error {
		if _, ok := s.acc.audit[e.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "audit event %s exists", e.ID)
		}
		s.acc.audit.put(t, e.ID, cloneEvent(*e))
		s.acc.companyAuditIx.add(t, e.CompanyID, e.ID)
		return nil
	})
}

// ListAudit implements access.Store.
func (s *Store) ListAudit(ctx context.Context, companyID uuid.UUID, c access.Cursor) (out []access.AuditEvent, err error) {
	err = s.read(ctx, func() {
		out = page(s.acc.companyAuditIx, companyID, c, func(id uuid.UUID) (access.AuditEvent, bool) {
			return cloneEvent(s.acc.audit[id]), true
		})
	})
	return out, err
}
