package bunstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/token"
)

// Connection faults, through pgx's stdlib: every session of the pool ended
// by the server (a restart, a fail-over), and a storm of calls whose
// deadlines fire at random points of their work.

// adminOf is a connection of its own to t's database, outside the pool
// under test, from which the tests see and end the pool's sessions.
func adminOf(t *testing.T, tg target) *sql.DB {
	t.Helper()
	admin, err := sql.Open("pgx", tg.url)
	require.NoError(t, err)
	admin.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = admin.Close() })
	return admin
}

// sessions counts the server's sessions of the database other than the
// admin's own, in all and by state ("active", "idle in transaction").
func sessions(t *testing.T, admin *sql.DB) (all int, busy int) {
	t.Helper()
	require.NoError(t, admin.QueryRow(`SELECT count(*), count(*) FILTER (WHERE state <> 'idle')
		FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&all, &busy))
	return all, busy
}

// eventually polls cond until it holds or a minute passes: the server
// ends sessions on its own time, so the tests wait for a state, never for
// a duration.
func eventually(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf(format, args...)
		}
	}
}

// world is a database with a company, its owner and an API token, and the
// store and service over one pool of it.
type world struct {
	db      *bun.DB
	st      *bunstore.Store
	svc     *access.Service
	owner   access.User
	company access.Company
	token   token.Token
}

func newWorld(t *testing.T, tg target, d driver, opts ...stdlib.OptionOpenDB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: openWith(t, tg, d, opts)}
	require.NoError(t, bunstore.Migrate(ctx, w.db))
	w.st = bunstore.New(w.db)
	w.svc = access.NewService(w.st)
	var err error
	w.owner, err = w.svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "owner@example.com"})
	require.NoError(t, err)
	w.company, err = w.svc.CreateCompany(ctx, access.UserPrincipal(w.owner.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Microsecond)
	w.token = token.Token{ID: newID(), Kind: token.KindAPI, CompanyID: w.company.ID, UserID: w.owner.ID,
		Name: "ci", Digest: token.Digest{1, 2, 3}, CreatedAt: now}
	require.NoError(t, w.st.CreateToken(ctx, &w.token))
	return w
}

// call is the i-th of a round of store calls of every shape: reads through
// Bun and prepared, a write on the pool, a service transaction, and a
// transaction that queues for the one company's row lock.
func (w *world) call(ctx context.Context, i int) error {
	switch i % 6 {
	case 0:
		_, err := w.st.GetUser(ctx, w.owner.ID)
		return err
	case 1:
		_, err := w.st.CheckAccess(ctx, access.AccessQuery{CompanyID: w.company.ID, UserID: w.owner.ID,
			Permission: "users.read", AgencyRoles: []string{access.RoleOwner}})
		return err
	case 2:
		_, err := w.st.GetTokenByHash(ctx, w.token.Digest)
		return err
	case 3:
		now := time.Now().UTC()
		return w.st.CreateUser(ctx, &access.User{ID: newID(), Email: fmt.Sprintf("u%d-%s@example.com", i, newID()),
			Status: access.UserActive, CreatedAt: now, UpdatedAt: now})
	case 4:
		_, err := w.svc.CreateCompany(ctx, access.UserPrincipal(w.owner.ID, uuid.Nil), access.NewCompany{Name: fmt.Sprintf("C%d", i)})
		return err
	default:
		return w.st.RunInTx(ctx, func(ctx context.Context) error {
			if err := w.st.LockCompany(ctx, w.company.ID); err != nil {
				return err
			}
			_, err := w.st.CountActiveOwners(ctx, w.company.ID)
			return err
		})
	}
}

// fillPool makes the pool hold n idle connections, each used once.
func fillPool(t *testing.T, db *bun.DB, n int) {
	t.Helper()
	ctx := context.Background()
	conns := make([]bun.Conn, n)
	for i := range conns {
		c, err := db.Conn(ctx)
		require.NoError(t, err)
		require.NoError(t, c.PingContext(ctx))
		conns[i] = c
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
	require.Equal(t, n, db.Stats().Idle)
}

// TestEveryBackendTerminated: the server ends every session of the pool
// (pg_terminate_backend, as a restart or a fail-over does). database/sql
// learns that a pooled connection is dead only by using it: pgx's stdlib
// pings a connection before reusing it only if it sat idle for more than
// a second, so on a busy pool the first use of each fails (57P01) and,
// before bunstore ran such work again, failed the call. Now the very next
// call, and every one after it, succeeds, with pgx's default and with its
// ping turned off (every connection used within the last second).
func TestEveryBackendTerminated(t *testing.T) {
	pings := map[string][]stdlib.OptionOpenDB{
		"default ping": nil,
		"no ping":      {stdlib.OptionShouldPing(func(context.Context, stdlib.ShouldPingParams) bool { return false })},
	}
	for _, d := range drivers {
		for name, opts := range pings {
			t.Run(string(d)+"/"+name, func(t *testing.T) {
				ctx := context.Background()
				tg := freshDatabase(t)
				admin := adminOf(t, tg)
				w := newWorld(t, tg, d, opts...)
				for i := range 40 {
					require.NoError(t, w.call(ctx, i))
				}
				// Eight connections, each reused since it was opened, the
				// prepared statements prepared on some.
				fillPool(t, w.db, 8)
				fillPool(t, w.db, 8)

				var ended int
				require.NoError(t, admin.QueryRow(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
					FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&ended))
				require.Equal(t, 8, ended)
				eventually(t, func() bool { all, _ := sessions(t, admin); return all == 0 }, "the sessions did not end")

				var companies int
				require.NoError(t, admin.QueryRow(`SELECT count(*) FROM gatehouse.companies`).Scan(&companies))
				for i := range 20 {
					assert.NoError(t, w.call(ctx, i), "call %d after the restart", i)
				}
				var after int
				require.NoError(t, admin.QueryRow(`SELECT count(*) FROM gatehouse.companies`).Scan(&after))
				assert.Equal(t, companies+3, after, "each transaction committed once")
				assert.LessOrEqual(t, w.db.Stats().OpenConnections, 8)
			})
		}
	}
}

// TestDeadlineStorm: 200 calls of every shape, 16 at a time, each with a
// deadline drawn between 0 and 5ms, so that it fires while a connection is
// dialled, while a statement runs, between the statements of a
// transaction or at its COMMIT. Every call succeeds or answers
// context.DeadlineExceeded; afterwards the server holds no session the
// pool does not (none busy, none orphaned), none once the pool is closed,
// and it accepts new connections. With a warm pool of 8, as pgtest opens,
// and with database/sql's defaults (no limit, 2 idle), where most calls
// give up while dialling.
func TestDeadlineStorm(t *testing.T) {
	pools := []struct {
		name          string
		maxOpen, idle int
	}{{"pool of 8", 8, 8}, {"no limit", 0, 2}}
	for _, d := range drivers {
		for _, p := range pools {
			t.Run(string(d)+"/"+p.name, func(t *testing.T) {
				ctx := context.Background()
				tg := freshDatabase(t)
				admin := adminOf(t, tg)
				w := newWorld(t, tg, d)
				if p.maxOpen > 0 {
					// Warm: the deadlines fire in statements and
					// transactions, not only while dialling.
					fillPool(t, w.db, p.maxOpen)
				}
				w.db.SetMaxOpenConns(p.maxOpen)
				w.db.SetMaxIdleConns(p.idle)
				before, _ := sessions(t, admin)
				require.LessOrEqual(t, before, w.db.Stats().OpenConnections)

				var ok, expired atomic.Int32
				var mu sync.Mutex
				var other []error
				peak := 0 // the most sessions the server held at once
				stop := make(chan struct{})
				sampled := make(chan struct{})
				go func() {
					defer close(sampled)
					for {
						select {
						case <-stop:
							return
						default:
						}
						var n int
						if admin.QueryRow(`SELECT count(*) FROM pg_stat_activity
							WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n) == nil {
							peak = max(peak, n)
						}
					}
				}()
				work := make(chan int)
				var wg sync.WaitGroup
				for range 16 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := range work {
							cctx, cancel := context.WithTimeout(ctx, rand.N(5*time.Millisecond+1))
							err := w.call(cctx, i)
							cancel()
							switch {
							case err == nil:
								ok.Add(1)
							case errors.Is(err, context.DeadlineExceeded):
								expired.Add(1)
							default:
								mu.Lock()
								other = append(other, err)
								mu.Unlock()
							}
						}
					}()
				}
				for i := range 200 {
					work <- i
				}
				close(work)
				wg.Wait()
				close(stop)
				<-sampled
				for _, err := range other {
					t.Errorf("neither a success nor the deadline: %v", err)
				}

				// Sessions the pool dropped end on the server's time: wait
				// for the state, then compare. The pool counts connections
				// it has not yet found dead as open, so the server may
				// hold fewer, never more.
				var all, busy, pooled int
				eventually(t, func() bool {
					all, busy = sessions(t, admin)
					pooled = w.db.Stats().OpenConnections
					return busy == 0 && all <= pooled
				}, "after the storm: %d sessions on the server (%d busy), the pool has %d open", all, busy, pooled)
				t.Logf("%d succeeded, %d met their deadline; the server held %d sessions at most; after: %d sessions, %d open in the pool",
					ok.Load(), expired.Load(), peak, all, pooled)

				// The pool still works, then lets its sessions go.
				for i := range 20 {
					require.NoError(t, w.call(ctx, i))
				}
				require.NoError(t, w.db.Close())
				eventually(t, func() bool { all, _ = sessions(t, admin); return all == 0 }, "%d sessions outlived the pool", all)

				fresh := open(t, tg, d)
				require.NoError(t, fresh.PingContext(ctx))
			})
		}
	}
}
