package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/store/bunstore/pgtest"
)

// TestLoad runs the program very briefly, so it cannot rot: two cells of
// each mix, every invariant checked, the load database dropped; directly,
// and behind PgBouncer in transaction mode as a host configures it there
// (pgx's exec mode in the URL: nothing prepared).
func TestLoad(t *testing.T) {
	t.Run("direct", func(t *testing.T) {
		testLoad(t, pgtest.URL(t)) // the program creates its own database next to it
	})
	t.Run("pgbouncer", func(t *testing.T) {
		u, err := url.Parse(pgtest.ThroughPooler(t, pgtest.URL(t)))
		require.NoError(t, err)
		q := u.Query()
		q.Set("default_query_exec_mode", "exec")
		u.RawQuery = q.Encode()
		testLoad(t, u.String())
	})
}

func testLoad(t *testing.T, server string) {
	var out bytes.Buffer
	c := config{databaseURL: server, instances: []int{1, 2}, duration: 500 * time.Millisecond,
		clients: 4, dbConns: 4, companies: 2, members: 10}
	err := run(context.Background(), c, &out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err, out.String())
	for _, row := range []string{"| read-heavy | 1 |", "| read-heavy | 2 |", "| write-heavy | 1 |", "| write-heavy | 2 |"} {
		assert.Contains(t, out.String(), row)
	}
	assert.Equal(t, len(invariants), strings.Count(out.String(), "invariant holds:"), out.String())
	assert.NotContains(t, out.String(), "BROKEN")
}

// TestInvariantsCatchBreaks: each check finds the break it is for.
func TestInvariantsCatchBreaks(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, err := startInstances(ctx, pgtest.URL(t), 1, 4, logger)
	require.NoError(t, err)
	defer f.stop()
	w, err := seedWorld(ctx, f.instances[0], config{companies: 1, members: 3})
	require.NoError(t, err)
	report, broken, err := checkInvariants(ctx, f.admin)
	require.NoError(t, err)
	require.Zero(t, broken, report)

	breaks := []struct{ invariant, stmt string }{
		{"every company with members has an active OWNER",
			`UPDATE gatehouse.memberships SET role = 'ADMIN' WHERE company_id = '` + w.hot.id.String() + `'`},
		{"no membership above the member who granted it", // a VIEWER made OWNER, the OWNER who added them ADMIN
			`UPDATE gatehouse.memberships m SET role = CASE u.email WHEN 'm2@c0.load.example' THEN 'OWNER' ELSE 'ADMIN' END
			FROM gatehouse.users u WHERE u.id = m.user_id AND u.email IN ('m2@c0.load.example', 'owner@c0.load.example')`},
		{"no invitation accepted twice",
			`INSERT INTO gatehouse.audit_events (id, company_id, actor, action, target, outcome, details, at)
			SELECT gen_random_uuid(), company_id, actor, 'invitation.accepted', 'invitation:x', outcome, details, at
			FROM gatehouse.audit_events CROSS JOIN generate_series(1, 2) LIMIT 2`},
	}
	for _, b := range breaks {
		_, err := f.admin.ExecContext(ctx, b.stmt)
		require.NoError(t, err, b.invariant)
	}
	report, broken, err = checkInvariants(ctx, f.admin)
	require.NoError(t, err)
	assert.Equal(t, len(breaks), broken, report)
	for _, b := range breaks {
		assert.Contains(t, report, "INVARIANT BROKEN: "+b.invariant)
	}
}
