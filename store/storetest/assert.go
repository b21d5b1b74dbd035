package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
)

// The norm helpers make values read back from any store comparable with
// assert.Equal: times in UTC, empty slices and maps as nil.

func normUser(u access.User) access.User {
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u
}

func normCompany(c access.Company) access.Company {
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if len(c.Domains) == 0 {
		c.Domains = nil
	}
	return c
}

func normMembership(m access.Membership) access.Membership {
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	if len(m.Extra) == 0 {
		m.Extra = nil
	}
	if len(m.Withheld) == 0 {
		m.Withheld = nil
	}
	return m
}

func normGrant(g access.Grant) access.Grant {
	g.CreatedAt = g.CreatedAt.UTC()
	return g
}

func normConnection(c access.Connection) access.Connection {
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if len(c.Permissions) == 0 {
		c.Permissions = nil
	}
	return c
}

func normEvent(e access.AuditEvent) access.AuditEvent {
	e.At = e.At.UTC()
	if len(e.Details) == 0 {
		e.Details = nil
	}
	return e
}

func normInvitation(i invite.Invitation) invite.Invitation {
	for _, t := range []*time.Time{&i.ExpiresAt, &i.LastSentAt, &i.ClosedAt, &i.CreatedAt, &i.UpdatedAt} {
		if t.IsZero() {
			*t = time.Time{}
		} else {
			*t = t.UTC()
		}
	}
	if len(i.Permissions) == 0 {
		i.Permissions = nil
	}
	return i
}

// assertNotFound checks the kind and the code: both stores name the
// missing thing alike.
func assertNotFound(t *testing.T, err error, code access.Code, msgAndArgs ...any) {
	t.Helper()
	if assert.ErrorIs(t, err, access.ErrNotFound, msgAndArgs...) {
		assert.Equal(t, code, access.CodeOf(err), msgAndArgs...)
	}
}

// assertConflict checks the kind and the code: both stores return the same
// code for the same broken rule.
func assertConflict(t *testing.T, err error, code access.Code, msgAndArgs ...any) {
	t.Helper()
	if assert.ErrorIs(t, err, access.ErrConflict, msgAndArgs...) {
		assert.Equal(t, code, access.CodeOf(err), msgAndArgs...)
	}
}

func all() access.Cursor { return access.Cursor{Limit: access.MaxPageLimit} }

func idsOf[T any](items []T, id func(T) uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func memberIDs(ms []access.Member) []uuid.UUID {
	return idsOf(ms, func(m access.Member) uuid.UUID { return m.ID })
}

func grantIDs(gs []access.Grant) []uuid.UUID {
	return idsOf(gs, func(g access.Grant) uuid.UUID { return g.ID })
}

func invIDs(invs []invite.Invitation) []uuid.UUID {
	return idsOf(invs, func(i invite.Invitation) uuid.UUID { return i.ID })
}

func sortedIDs(ids ...uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	if out == nil {
		out = []uuid.UUID{}
	}
	return out
}

// activeIs is a filter value for the member listings.
func activeIs(b bool) *bool { return &b }
