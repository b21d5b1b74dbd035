package bunstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// seenHook records the statements Bun's query hooks see.
type seenHook struct {
	mu   sync.Mutex
	seen []string
}

func (h *seenHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h *seenHook) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, e.Query)
}

func (h *seenHook) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.seen
	h.seen = nil
	return out
}

// TestHostHooksSeeStatements: a host's Bun query hook (tracing, logging)
// sees every statement of the store but the two prepared reads, the check
// and the token look-up by digest.
func TestHostHooksSeeStatements(t *testing.T) {
	ctx := context.Background()
	hook := &seenHook{}
	s, _ := freshStore(t, pgxCache, hook)
	now := time.Now().UTC().Truncate(time.Microsecond)
	u, c := user(newID(), now), company(newID(), now)
	// In order: the membership needs its user and company.
	calls := []struct {
		marker string
		call   func() error
	}{
		{`INSERT INTO "gatehouse"."users"`, func() error { return s.CreateUser(ctx, u) }},
		{`INSERT INTO "gatehouse".companies`, func() error { return s.CreateCompany(ctx, c) }},
		{`INSERT INTO "gatehouse"."memberships"`, func() error {
			return s.CreateMembership(ctx, &access.Membership{ID: newID(), CompanyID: c.ID, UserID: u.ID,
				Role: access.RoleOwner, Active: true, CreatedAt: now, UpdatedAt: now})
		}},
		{"FROM \"gatehouse\".memberships m\n\tJOIN \"gatehouse\".users u", func() error {
			_, err := s.ListMembers(ctx, c.ID, nil, access.Cursor{Limit: 10})
			return err
		}},
		{`FROM "gatehouse".users u WHERE`, func() error { _, err := s.GetUser(ctx, u.ID); return err }},
	}
	for _, step := range calls {
		hook.take()
		require.NoError(t, step.call(), step.marker)
		seen := hook.take()
		require.Len(t, seen, 1, step.marker)
		assert.Contains(t, seen[0], step.marker)
	}
	_, err := s.CheckAccess(ctx, access.AccessQuery{CompanyID: c.ID, UserID: u.ID})
	require.NoError(t, err)
	_, err = s.GetTokenByHash(ctx, token.Digest{1})
	require.ErrorIs(t, err, access.ErrNotFound)
	for _, q := range hook.take() {
		assert.False(t, strings.Contains(q, `FROM "gatehouse".tokens`) || strings.Contains(q, "LATERAL"), "a prepared read was seen: %.80s", q)
	}
}
