package access

import (
	"context"
	"strings"

	"github.com/google/uuid"
)

// ListAudit lists the audit trail of the principal's company, oldest first;
// needs ADMIN or above. It is QueryAudit without a filter.
func (s *Service) ListAudit(ctx context.Context, p Principal, pr PageRequest) (Page[AuditEvent], error) {
	return s.QueryAudit(ctx, p, AuditFilter{Page: pr})
}

// QueryAudit lists the events of the principal's company that pass f,
// oldest first (by At, then ID), one keyset page at a time; needs ADMIN or
// above in the company. Errors: ErrInvalid naming the field ("actor",
// "action", "target", "outcome", "until", "limit", "cursor"); ErrForbidden.
func (s *Service) QueryAudit(ctx context.Context, p Principal, f AuditFilter) (Page[AuditEvent], error) {
	c, err := f.Page.Cursor()
	if err != nil {
		return Page[AuditEvent]{}, err
	}
	q, err := f.query()
	if err != nil {
		return Page[AuditEvent]{}, err
	}
	if err := s.CheckLevel(ctx, p, Resource{Type: ResourceAccount}, LevelAdmin); err != nil {
		return Page[AuditEvent]{}, err
	}
	if err := s.flushAudit(ctx); err != nil { // the transaction's own events too
		return Page[AuditEvent]{}, err
	}
	limit := c.Limit
	c.Limit++
	rows, err := s.store.QueryAudit(ctx, p.CompanyID, q, c)
	if err != nil {
		return Page[AuditEvent]{}, err
	}
	return pageOf(rows, limit, func(e AuditEvent) uuid.UUID { return e.ID }), nil
}

// maxAuditFilterLen bounds a text filter: longer ones match nothing that
// gatehouse writes and only cost the index.
const maxAuditFilterLen = 200

// query checks the filter and makes the store's query of it.
func (f AuditFilter) query() (AuditQuery, error) {
	q := AuditQuery{Actor: f.Actor, Action: strings.TrimSuffix(f.Action, "."), Target: f.Target,
		Outcome: f.Outcome, Since: f.Since, Until: f.Until}
	for _, t := range []struct{ field, v string }{{"actor", q.Actor}, {"action", q.Action}, {"target", q.Target}} {
		if err := CheckText(t.field, t.v); err != nil {
			return AuditQuery{}, err
		}
		if len(t.v) > maxAuditFilterLen {
			return AuditQuery{}, Invalid(t.field, "%s is longer than %d bytes", t.field, maxAuditFilterLen)
		}
	}
	if q.Outcome != "" && q.Outcome != OutcomeSuccess && q.Outcome != OutcomeDenied {
		return AuditQuery{}, Invalid("outcome", "outcome must be %q or %q", OutcomeSuccess, OutcomeDenied)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return AuditQuery{}, Invalid("until", "until must be after since")
	}
	q.Since, q.Until = q.Since.UTC(), q.Until.UTC()
	return q, nil
}
