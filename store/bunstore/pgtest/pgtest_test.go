package pgtest_test

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/store/bunstore/pgtest"
)

// TestNewDB: a migrated database of its own, gone after the test.
func TestNewDB(t *testing.T) {
	ctx := context.Background()
	var name string
	t.Run("use", func(t *testing.T) {
		db := pgtest.NewDB(t)
		require.NoError(t, db.NewRaw("SELECT current_database()").Scan(ctx, &name))
		assert.True(t, strings.HasPrefix(name, "gh_test_"), name)
		var n int
		require.NoError(t, db.NewRaw("SELECT count(*) FROM gatehouse.gatehouse_migrations").Scan(ctx, &n))
		assert.Positive(t, n, "migrated")
		require.NoError(t, db.NewRaw("SELECT count(*) FROM gatehouse.users").Scan(ctx, &n))
		assert.Zero(t, n)
		assert.NotEqual(t, name, databaseOf(t, pgtest.URL(t)), "each call has a database of its own")
	})
	admin, err := sql.Open("pgx", pgtest.URL(t))
	require.NoError(t, err)
	defer admin.Close()
	var exists bool
	require.NoError(t, admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists))
	assert.False(t, exists, "dropped at clean-up")
}

// TestURLLeavesOpenPoolsToIt: a pool the test forgets does not keep its
// database from being dropped.
func TestURLLeavesOpenPoolsToIt(t *testing.T) {
	t.Run("forget", func(t *testing.T) {
		db, err := sql.Open("pgx", pgtest.URL(t))
		require.NoError(t, err)
		require.NoError(t, db.Ping())
	})
}

func databaseOf(t *testing.T, u string) string {
	t.Helper()
	db, err := sql.Open("pgx", u)
	require.NoError(t, err)
	defer db.Close()
	var name string
	require.NoError(t, db.QueryRow("SELECT current_database()").Scan(&name))
	return name
}

// outcomeTB records how a helper ended instead of ending the test.
type outcomeTB struct {
	testing.TB
	skipped, failed string
}

func (o *outcomeTB) Skipf(format string, args ...any) {
	o.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (o *outcomeTB) Fatalf(format string, args ...any) {
	o.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (o *outcomeTB) run(f func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(o)
	}()
	<-done
}

func TestWithoutServer(t *testing.T) {
	cases := []struct {
		name, url, required string
		skip, fail          string
	}{
		{name: "unset skips", skip: "GATEHOUSE_TEST_DATABASE_URL"},
		{name: "unset but required fails", required: "1", fail: "GATEHOUSE_TEST_DATABASE_REQUIRED=1"},
		{name: "not a URL fails", url: "host=localhost password=secret", fail: "postgres://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GATEHOUSE_TEST_DATABASE_URL", tc.url)
			t.Setenv("GATEHOUSE_TEST_DATABASE_REQUIRED", tc.required)
			for _, f := range []func(testing.TB){func(tb testing.TB) { pgtest.URL(tb) }, func(tb testing.TB) { pgtest.NewDB(tb) }} {
				o := &outcomeTB{TB: t}
				o.run(f)
				if tc.skip != "" {
					assert.Contains(t, o.skipped, tc.skip)
					assert.Empty(t, o.failed)
				} else {
					assert.Contains(t, o.failed, tc.fail)
					assert.Empty(t, o.skipped)
				}
				assert.NotContains(t, o.failed, "secret", "the URL is not echoed")
			}
		})
	}
}
