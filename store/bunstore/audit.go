package bunstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

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
	return s.QueryAudit(ctx, companyID, access.AuditQuery{}, c)
}

// QueryAudit implements access.Store. Every filter has an index that leads
// with (company_id, <filter>) and ends in (at, id), the listing's order,
// so a filtered page reads one index range as an unfiltered one does
// (migration 20261201000012): actor, target, outcome and action_family
// (a generated column, the action's first segment; a deeper action
// prefix is checked on that range). Combined filters read the range of
// one of them. The cursor's (at, id) is looked up by the event's primary
// key in the same statement.
func (s *Store) QueryAudit(ctx context.Context, companyID uuid.UUID, q access.AuditQuery, c access.Cursor) ([]access.AuditEvent, error) {
	where, args := auditWhere(companyID, q, c)
	var rows []auditRow
	if err := s.scan(ctx, "", &rows, `SELECT id, company_id, actor, action, target, outcome, details, at
	FROM ?schema.audit_events WHERE `+where+` ORDER BY at, id LIMIT ?`, append(args, limitOf(c))...); err != nil {
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

// auditWhere is QueryAudit's condition and its arguments.
func auditWhere(companyID uuid.UUID, q access.AuditQuery, c access.Cursor) (string, []any) {
	conds, args := []string{"company_id = ?"}, []any{companyID}
	cond := func(sql string, a ...any) { conds, args = append(conds, sql), append(args, a...) }
	if c.After != uuid.Nil {
		cond("(at, id) > (SELECT a.at, a.id FROM ?schema.audit_events a WHERE a.id = ?)", c.After)
	}
	if q.Actor != "" {
		cond("actor = ?", q.Actor)
	}
	if q.Target != "" {
		cond("target = ?", q.Target)
	}
	if q.Outcome != "" {
		cond("outcome = ?", q.Outcome)
	}
	if q.Action != "" {
		family := access.ActionFamily(q.Action)
		cond("action_family = ?", family)
		if family != q.Action {
			cond("(action = ? OR starts_with(action, ?))", q.Action, q.Action+".")
		}
	}
	if !q.Since.IsZero() {
		cond("at >= ?", q.Since)
	}
	if !q.Until.IsZero() {
		cond("at < ?", q.Until)
	}
	return strings.Join(conds, " AND "), args
}

// ScrubAudit implements access.Store: the events holding a needle are
// read under a row lock (a scan of the trail: strpos has no index, and an
// erasure is rare), rewritten by sc.Apply, the one definition, and
// written back one by one.
func (s *Store) ScrubAudit(ctx context.Context, sc access.AuditScrub) (int, error) {
	needles := sc.Needles()
	if len(needles) == 0 {
		return 0, nil
	}
	var rows []auditRow
	if err := s.scan(ctx, "", &rows, `SELECT e.id, e.company_id, e.actor, e.action, e.target, e.outcome, e.details, e.at
	FROM ?schema.audit_events e
	WHERE EXISTS (SELECT 1 FROM unnest(?::text[]) AS n(v)
		WHERE strpos(e.actor, n.v) > 0 OR strpos(e.target, n.v) > 0
		OR CASE WHEN jsonb_typeof(e.details) = 'object'
			THEN EXISTS (SELECT 1 FROM jsonb_each_text(e.details) AS d WHERE strpos(d.value, n.v) > 0)
			ELSE false END)
	FOR UPDATE`, pgdialect.Array(needles)); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		e, err := r.event()
		if err != nil {
			return n, err
		}
		e, changed := sc.Apply(e)
		if !changed {
			continue
		}
		details, err := json.Marshal(e.Details)
		if err != nil {
			return n, fmt.Errorf("bunstore: audit event %s: details: %w", e.ID, err)
		}
		if _, err := s.exec(ctx, "", `UPDATE ?schema.audit_events SET actor = ?, target = ?, details = ?::jsonb WHERE id = ?`,
			e.Actor, e.Target, string(details), e.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// AppendAudits implements access.Store: one multi-row INSERT.
func (s *Store) AppendAudits(ctx context.Context, events []access.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	ptrs := make([]*access.AuditEvent, len(events))
	for i := range events {
		ptrs[i] = &events[i]
	}
	values, args, err := auditValues(ptrs)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, "", auditInsert+values, args...)
	return err
}

const auditInsert = `INSERT INTO ?schema.audit_events (id, company_id, actor, action, target, outcome, details, at) `

// auditValues is the SELECT of events' rows for auditInsert, and its
// arguments.
func auditValues(events []*access.AuditEvent) (string, []any, error) {
	var b strings.Builder
	b.WriteString(`SELECT * FROM (VALUES `)
	args := make([]any, 0, 8*len(events))
	for i, e := range events {
		details, err := json.Marshal(e.Details)
		if err != nil {
			return "", nil, fmt.Errorf("bunstore: audit event %s: details: %w", e.ID, err)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`(?::uuid, ?::uuid, ?::text, ?::text, ?::text, ?::text, ?::jsonb, ?::timestamptz)`)
		args = append(args, e.ID, e.CompanyID, e.Actor, e.Action, e.Target, e.Outcome, string(details), e.At)
	}
	b.WriteString(`) AS e`)
	return b.String(), args, nil
}

// auditCTE is a WITH query, named audit, that inserts events in the
// statement it belongs to when cond (SQL) holds, and its arguments: a
// change and its record in one round trip. A data-modifying WITH runs
// whatever the main statement reads, so the caller's cond ties the record
// to its change.
func auditCTE(cond string, events ...*access.AuditEvent) (string, []any, error) {
	values, args, err := auditValues(events)
	if err != nil {
		return "", nil, err
	}
	return `audit AS (` + auditInsert + values + ` WHERE ` + cond + `)`, args, nil
}
