package bunstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
	"github.com/gatehouse-go/gatehouse/token"
)

// lastQuery is a query hook keeping the last statement Bun ran, as sent
// (Bun interpolates the arguments).
type lastQuery struct {
	mu sync.Mutex
	q  string
}

func (h *lastQuery) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h *lastQuery) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.q = e.Query
}

// planNode is the part of EXPLAIN (FORMAT JSON) the test reads.
type planNode struct {
	Type      string     `json:"Node Type"`
	Index     string     `json:"Index Name"`
	HitBlocks int        `json:"Shared Hit Blocks"`
	ReadBlcks int        `json:"Shared Read Blocks"`
	Plans     []planNode `json:"Plans"`
}

func (n planNode) walk(f func(planNode)) {
	f(n)
	for _, c := range n.Plans {
		c.walk(f)
	}
}

// TestAuditFilterPlans: on a trail of 400,000 events (two companies) every
// filter of QueryAudit, alone, combined, and on a later page, reads one
// index range in the listing's order (no sort) and touches about as many
// buffers as the unfiltered page does, whatever the filter's selectivity.
// The plans are logged: run with -v to read them.
func TestAuditFilterPlans(t *testing.T) {
	plannerTests(t)
	ctx := context.Background()
	hook := &lastQuery{}
	s, db := freshStore(t, pgxSimple, hook)
	a, b := uuid.New(), uuid.New()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []uuid.UUID{a, b} {
		_, err := db.NewRaw(`INSERT INTO gatehouse.audit_events (id, company_id, actor, action, target, outcome, details, at)
		SELECT gen_random_uuid(), ?, 'user:' || (i % 50), (ARRAY['membership.created', 'membership.role_changed',
			'membership.removed', 'invitation.created', 'invitation.accepted', 'invitation.resent', 'grant.created',
			'grant.removed', 'token.created', 'connection.created', 'company.updated', 'access.denied'])[i % 12 + 1],
			'user:' || (i % 1000), CASE WHEN i % 50 = 0 THEN 'denied' ELSE 'success' END, '{}', ?::timestamptz + i * interval '30 seconds'
		FROM generate_series(1, 200000) AS i`, c, base).Exec(ctx)
		require.NoError(t, err)
	}
	_, err := db.NewRaw(`ANALYZE gatehouse.audit_events`).Exec(ctx)
	require.NoError(t, err)

	first, err := s.QueryAudit(ctx, a, access.AuditQuery{}, access.Cursor{Limit: 51})
	require.NoError(t, err)
	later := first[len(first)-1].ID
	day := func(d int) time.Time { return base.AddDate(0, 0, d) }
	cases := []struct {
		name  string
		q     access.AuditQuery
		after uuid.UUID
		index string
	}{
		{"unfiltered", access.AuditQuery{}, uuid.Nil, "audit_events_company_at_idx"},
		{"unfiltered, later page", access.AuditQuery{}, later, "audit_events_company_at_idx"},
		{"time range", access.AuditQuery{Since: day(40), Until: day(41)}, uuid.Nil, "audit_events_company_at_idx"},
		{"actor", access.AuditQuery{Actor: "user:7"}, uuid.Nil, "audit_events_company_actor_idx"},
		{"actor, later page", access.AuditQuery{Actor: "user:7"}, later, "audit_events_company_actor_idx"},
		{"target (1 in 1000)", access.AuditQuery{Target: "user:123"}, uuid.Nil, "audit_events_company_target_idx"},
		{"outcome denied (1 in 50)", access.AuditQuery{Outcome: access.OutcomeDenied}, uuid.Nil, "audit_events_company_outcome_idx"},
		{"action family", access.AuditQuery{Action: "invitation"}, uuid.Nil, "audit_events_company_family_idx"},
		{"action", access.AuditQuery{Action: "invitation.resent"}, uuid.Nil, "audit_events_company_family_idx"},
		{"actor in a time range", access.AuditQuery{Actor: "user:7", Since: day(60)}, uuid.Nil, "audit_events_company_actor_idx"},
		{"target, denied, since", access.AuditQuery{Target: "user:100", Outcome: access.OutcomeDenied, Since: day(10)}, uuid.Nil, "audit_events_company_target_idx"},
	}
	var floor int
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.QueryAudit(ctx, a, tc.q, access.Cursor{After: tc.after, Limit: 51})
			require.NoError(t, err)
			require.NotEmpty(t, got)
			hook.mu.Lock()
			q := hook.q
			hook.mu.Unlock()
			require.Contains(t, q, `FROM "gatehouse".audit_events`)
			var text []string
			require.NoError(t, db.NewRaw(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) `+q).Scan(ctx, &text))
			var js []struct {
				Plan planNode `json:"Plan"`
			}
			var raw string
			require.NoError(t, db.NewRaw(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+q).Scan(ctx, &raw))
			require.NoError(t, json.Unmarshal([]byte(raw), &js))
			t.Logf("%s\n%s", strings.Join(strings.Fields(q), " "), strings.Join(text, "\n"))
			root := js[0].Plan
			var indexes []string
			root.walk(func(n planNode) {
				assert.NotEqual(t, "Sort", n.Type, "a filtered page is read in order, never sorted")
				assert.NotEqual(t, "Seq Scan", n.Type)
				if n.Index != "" && n.Index != "audit_events_pkey" {
					indexes = append(indexes, n.Index)
				}
			})
			assert.Equal(t, []string{tc.index}, indexes)
			blocks := root.HitBlocks + root.ReadBlcks
			if tc.name == "unfiltered" {
				floor = blocks
			}
			// A page of 51 rows scattered over the heap: one block each at
			// most, plus the index's few; the unfiltered page is the same.
			assert.LessOrEqual(t, blocks, max(floor, 10)+60, "buffers of a filtered page")
		})
	}
}

// TestHourlyLimitsAcrossPools: two processes (two pools, two stores, two
// service stacks) over one database send invitations of one company at
// once: exactly the inviter's limit succeeds, then exactly the company's,
// and the refused ones say when to retry.
func TestHourlyLimitsAcrossPools(t *testing.T) {
	ctx := context.Background()
	tg := freshDatabase(t)
	clock := storetest.NewClock(storetest.T0)
	type stack struct {
		acc *access.Service
		inv *invite.Service
	}
	var stacks []stack
	for i := range 2 {
		db := open(t, tg, drivers[i%len(drivers)])
		if i == 0 {
			require.NoError(t, bunstore.Migrate(ctx, db))
		}
		acc := access.NewService(bunstore.New(db), access.WithClock(clock.Now))
		stacks = append(stacks, stack{acc, invite.NewService(token.NewService(acc), invite.WithHourlyLimits(12, 5),
			invite.WithNotifier(token.NopNotifier{}))})
	}
	acc := stacks[0].acc
	sys := access.SystemPrincipal()
	var inviters []access.Principal
	owner, err := acc.CreateUser(ctx, sys, access.NewUser{Email: "owner@acme.example"})
	require.NoError(t, err)
	c, err := acc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	require.NoError(t, err)
	inviters = append(inviters, access.UserPrincipal(owner.ID, c.ID))
	for i := range 3 {
		u, err := acc.CreateUser(ctx, sys, access.NewUser{Email: fmt.Sprintf("admin%d@acme.example", i)})
		require.NoError(t, err)
		_, err = acc.AddMember(ctx, access.Principal{Kind: access.PrincipalSystem, CompanyID: c.ID}, access.NewMember{UserID: u.ID, Role: access.RoleAdmin})
		require.NoError(t, err)
		inviters = append(inviters, access.UserPrincipal(u.ID, c.ID))
	}

	// burst sends n invitations from p at once, alternating the pools, and
	// counts the successes; every refusal is a *RateLimitedError.
	seq := 0
	burst := func(ps []access.Principal, n int) map[uuid.UUID]int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[uuid.UUID]int{}
		for i := range n {
			seq++
			p, email, st := ps[i%len(ps)], fmt.Sprintf("p%d@example.com", seq), stacks[i%2]
			wg.Go(func() {
				_, err := st.inv.Invite(ctx, p, invite.NewInvitation{Email: email, Role: access.RoleViewer})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won[p.UserID]++
					return
				}
				var rl *invite.RateLimitedError
				if assert.ErrorAs(t, err, &rl) {
					assert.Positive(t, rl.RetryAfter)
					assert.LessOrEqual(t, rl.RetryAfter, invite.SendWindow)
				}
			})
		}
		wg.Wait()
		return won
	}
	won := burst(inviters[:1], 16)
	assert.Equal(t, 5, won[inviters[0].UserID], "the inviter's limit, exactly")
	won = burst(inviters[1:], 24)
	total := 0
	for _, n := range won {
		assert.LessOrEqual(t, n, 5)
		total += n
	}
	assert.Equal(t, 12-5, total, "the company's limit, exactly")
	page, err := stacks[1].inv.List(ctx, inviters[0], invite.ListFilter{Status: invite.AnyStatus, Page: access.PageRequest{Limit: 100}})
	require.NoError(t, err)
	assert.Len(t, page.Items, 12, "refused sends left no invitation")

	clock.Advance(invite.SendWindow)
	won = burst(inviters[:1], 8)
	assert.Equal(t, 5, won[inviters[0].UserID], "an hour later the window is free again")
}

// TestDeleteCompanyForgetsItsSends: the send log has no keys to cascade
// from, so deleting a company deletes its sends itself.
func TestDeleteCompanyForgetsItsSends(t *testing.T) {
	ctx := context.Background()
	s, db := freshStore(t, pgxCache)
	now := time.Now().UTC().Truncate(time.Microsecond)
	u, c := user(uuid.New(), now), company(uuid.New(), now)
	require.NoError(t, s.CreateUser(ctx, u))
	require.NoError(t, s.CreateCompany(ctx, c))
	_, err := s.RecordSend(ctx, invite.Send{CompanyID: c.ID, InviterID: u.ID, InvitationID: uuid.New(), SentAt: now},
		invite.SendLimits{Since: now.Add(-time.Hour), Company: 10, Inviter: 10})
	require.NoError(t, err)
	count := func() (n int) {
		require.NoError(t, db.NewRaw(`SELECT count(*) FROM gatehouse.invitation_sends WHERE company_id = ?`, c.ID).Scan(ctx, &n))
		return n
	}
	require.Equal(t, 1, count())
	require.NoError(t, s.DeleteCompany(ctx, c.ID))
	assert.Equal(t, 0, count())
}
