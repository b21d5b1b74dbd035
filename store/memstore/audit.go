package memstore

import (
	"context"
	"maps"
	"slices"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// auditTables holds the audit trail, filed by company in the order of the
// listings: by At, then ID.
type auditTables struct {
	audit          table[uuid.UUID, access.AuditEvent]
	companyAuditIx map[uuid.UUID][]auditKey
}

// auditKey is an event's place in its company's trail.
type auditKey struct {
	at int64 // UnixNano of At
	id uuid.UUID
}

func compareAuditKey(a, b auditKey) int {
	if a.at != b.at {
		if a.at < b.at {
			return -1
		}
		return 1
	}
	return compareID(a.id, b.id)
}

func (t *auditTables) init() {
	*t = auditTables{audit: table[uuid.UUID, access.AuditEvent]{}, companyAuditIx: map[uuid.UUID][]auditKey{}}
}

func auditKeyOf(e access.AuditEvent) auditKey { return auditKey{at: e.At.UnixNano(), id: e.ID} }

func (t *auditTables) file(tx *tx, e access.AuditEvent) {
	k := auditKeyOf(e)
	keys := t.companyAuditIx[e.CompanyID]
	i, _ := slices.BinarySearchFunc(keys, k, compareAuditKey)
	t.companyAuditIx[e.CompanyID] = slices.Insert(keys, i, k)
	tx.onUndo(func() {
		keys := t.companyAuditIx[e.CompanyID]
		if i, found := slices.BinarySearchFunc(keys, k, compareAuditKey); found {
			if keys = slices.Delete(keys, i, i+1); len(keys) == 0 {
				delete(t.companyAuditIx, e.CompanyID)
			} else {
				t.companyAuditIx[e.CompanyID] = keys
			}
		}
	})
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
		s.acc.file(t, *e)
		return nil
	})
}

// ListAudit implements access.Store.
func (s *Store) ListAudit(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]access.AuditEvent, error) {
	return s.QueryAudit(ctx, companyID, access.AuditQuery{}, c)
}

// QueryAudit implements access.Store: a binary search to the later of the
// cursor and Since, then the company's trail in order until the page is
// full or Until is reached.
func (s *Store) QueryAudit(ctx context.Context, companyID uuid.UUID, q access.AuditQuery, c access.Cursor) (out []access.AuditEvent, err error) {
	err = s.read(ctx, func() {
		keys := s.acc.companyAuditIx[companyID]
		start := 0
		if c.After != uuid.Nil {
			after, ok := s.acc.audit[c.After]
			if !ok {
				return
			}
			i, found := slices.BinarySearchFunc(keys, auditKeyOf(after), compareAuditKey)
			if found {
				i++
			}
			start = i
		}
		if !q.Since.IsZero() {
			i, _ := slices.BinarySearchFunc(keys, auditKey{at: q.Since.UnixNano()}, compareAuditKey)
			start = max(start, i)
		}
		limit := limitOf(c)
		for _, k := range keys[start:] {
			if len(out) == limit || !q.Until.IsZero() && k.at >= q.Until.UnixNano() {
				break
			}
			if e := s.acc.audit[k.id]; q.Matches(e) {
				out = append(out, cloneEvent(e))
			}
		}
	})
	return out, err
}

// ScrubAudit implements access.Store. It reads every event: an erasure's
// cost.
func (s *Store) ScrubAudit(ctx context.Context, sc access.AuditScrub) (int, error) {
	n := 0
	err := s.write(ctx, func(t *tx) error {
		for id, e := range s.acc.audit {
			if e2, changed := sc.Apply(e); changed {
				s.acc.audit.put(t, id, cloneEvent(e2))
				n++
			}
		}
		return nil
	})
	return n, err
}
