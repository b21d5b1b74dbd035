package bunstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
)

// auditRow is an audit_events row; details are JSON.
type auditRow struct {
	bun.BaseModel `bun:"table:audit_events"`

	ID, CompanyID                  uuid.UUID
	Actor, Action, Target, Outcome string
	Details                        json.RawMessage `bun:",type:jsonb"`
	At                             time.Time
}

func (r auditRow) event() (access.AuditEvent, error) {
	e := access.AuditEvent{
		ID: r.ID, CompanyID: r.CompanyID, Actor: r.Actor, Action: r.Action, Target: r.Target,
		Outcome: r.Outcome, At: r.At.UTC(),
	}
	if err := json.Unmarshal(r.Details, &e.Details); err != nil {
		return access.AuditEvent{}, fmt.Errorf("bunstore: audit event %s: details: %w", r.ID, err)
	}
	return e, nil
}

// AppendAudit implements access.Store.
func (s *Store) AppendAudit(ctx context.Context, e *access.AuditEvent) error {
	details, err := json.Marshal(e.Details)
	if err != nil {
		return fmt.Errorf("bunstore: audit event %s: details: %w", e.ID, err)
	}
	return s.insert(ctx, "", &auditRow{
		ID: e.ID, CompanyID: e.CompanyID, Actor: e.Actor, Action: e.Action, Target: e.Target, Outcome: e.Outcome,
		Details: details, At: e.At,
	})
}

// ListAudit implements access.Store.
func (s *Store) ListAudit(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]access.AuditEvent, error) {
	var rows []auditRow
	if err := s.scan(ctx, "", &rows, `SELECT id, company_id, actor, action, target, outcome, details, at
	FROM audit_events WHERE company_id = ? AND id > ? ORDER BY id LIMIT ?`, companyID, c.After, limitOf(c)); err != nil {
		return nil, err
	}
	out := make([]access.AuditEvent, len(rows))
	for i, r := range rows {
		e, err := r.event()
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}
