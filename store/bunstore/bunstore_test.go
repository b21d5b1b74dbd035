package bunstore_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
)

// TestConformance runs the one conformance suite against PostgreSQL through
// every driver, each store in an empty schema of one shared database.
func TestConformance(t *testing.T) {
	for _, d := range drivers {
		t.Run(string(d), func(t *testing.T) {
			p := newSchemaPool(t, d)
			storetest.Run(t, func(t *testing.T) store.Store { return p.store(t) })
		})
	}
	// Behind PgBouncer in transaction mode, where a session's prepared
	// statements and settings are not the client's: the driver in exec
	// mode, so the store prepares nothing either (WithoutPreparedStatements
	// is implied), and every statement names its schema.
	t.Run("pgbouncer/"+string(pgxExec), func(t *testing.T) {
		p := newPoolerSchemaPool(t, pgxExec)
		storetest.Run(t, func(t *testing.T) store.Store { return p.store(t) })
	})
}

func user(id uuid.UUID, now time.Time) *access.User {
	return &access.User{
		ID: id, Email: "u-" + id.String() + "@example.com", Status: access.UserActive, CreatedAt: now, UpdatedAt: now,
	}
}

func company(id uuid.UUID, now time.Time) *access.Company {
	return &access.Company{ID: id, Name: "Acme", CreatedAt: now, UpdatedAt: now}
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// countMigrations reads how many migrations bun/migrate recorded.
func countMigrations(t *testing.T, db *bun.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.NewRaw(`SELECT count(*) FROM gatehouse.gatehouse_migrations`).Scan(context.Background(), &n))
	return n
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()

	t.Run("idempotent", func(t *testing.T) {
		_, db := freshStore(t, pgxCache)
		n := countMigrations(t, db)
		require.Positive(t, n)
		require.NoError(t, bunstore.Migrate(ctx, db))
		require.NoError(t, bunstore.Migrate(ctx, db))
		assert.Equal(t, n, countMigrations(t, db), "a second Migrate applied something again")
		var locks int
		require.NoError(t, db.NewRaw(`SELECT count(*) FROM gatehouse.gatehouse_migration_locks`).Scan(ctx, &locks))
		assert.Zero(t, locks)
	})

	t.Run("concurrent", func(t *testing.T) {
		// Several pools (as several processes would) migrate one empty
		// database at once: every call succeeds, the schema is applied once.
		tg := freshDatabase(t)
		const procs = 6
		dbs := make([]*bun.DB, procs)
		for i := range dbs {
			dbs[i] = open(t, tg, drivers[i%len(drivers)])
		}
		var wg sync.WaitGroup
		errs := make([]error, procs)
		start := make(chan struct{})
		for i, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = bunstore.Migrate(ctx, db)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "process %d", i)
		}
		var names int
		require.NoError(t, dbs[0].NewRaw(`SELECT count(DISTINCT name) FROM gatehouse.gatehouse_migrations`).Scan(ctx, &names))
		assert.Equal(t, countMigrations(t, dbs[0]), names, "a migration was recorded twice")
		s := bunstore.New(dbs[1])
		require.NoError(t, s.CreateUser(ctx, user(newID(), time.Now())))
	})

	t.Run("needs two connections", func(t *testing.T) {
		db := open(t, freshDatabase(t), pgxCache)
		db.SetMaxOpenConns(1)
		err := bunstore.Migrate(ctx, db)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "two connections")
	})
}

// TestDrivers proves the error translation and the value mapping (arrays,
// NULLs, jsonb, dates) on every driver a host may choose.
func TestDrivers(t *testing.T) {
	for _, d := range drivers {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			s, db := freshStore(t, d)
			now := time.Now().UTC().Truncate(time.Microsecond)

			_, err := s.GetUser(ctx, newID())
			assert.ErrorIs(t, err, access.ErrNotFound)
			assert.Equal(t, access.CodeUserNotFound, access.CodeOf(err))

			u := user(newID(), now)
			u.Profile.Birthdate = "1990-02-03"
			require.NoError(t, s.CreateUser(ctx, u))
			got, err := s.GetUser(ctx, u.ID)
			require.NoError(t, err)
			assert.Equal(t, *u, got)

			c := company(newID(), now)
			c.Domains = []string{"b.example", "a.example"}
			c.ExternalKey = "m-1"
			require.NoError(t, s.CreateCompany(ctx, c))
			gc, err := s.GetCompanyByDomain(ctx, "a.example")
			require.NoError(t, err)
			assert.Equal(t, *c, gc)

			m := &access.Membership{
				ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleAdmin, Extra: []string{"USER_ADD", "X,Y"},
				Active: true, CreatedAt: now, UpdatedAt: now,
			}
			require.NoError(t, s.CreateMembership(ctx, m))
			f, err := s.CheckAccess(ctx, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Permission: "X,Y"})
			require.NoError(t, err)
			assert.Equal(t, access.AccessFacts{Member: true, MemberSince: now, Active: true, Role: access.RoleAdmin, HasExtra: true}, f)

			e := &access.AuditEvent{ID: newID(), CompanyID: c.ID, Action: "a", Details: map[string]string{"k": `"q"`}, At: now}
			require.NoError(t, s.AppendAudit(ctx, e))
			es, err := s.ListAudit(ctx, c.ID, access.Cursor{})
			require.NoError(t, err)
			require.Len(t, es, 1)
			assert.Equal(t, *e, es[0])

			// Two inserts of one e-mail race: a's transaction has inserted
			// but not committed, b's INSERT waits on a's row in the unique
			// index, and a commits only once the server shows b waiting, so
			// the race is exercised on every run. The constraint refuses
			// b's row when a commits, and translate maps it by name.
			email := "race@example.com"
			locked := make(chan struct{})
			release := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- s.RunInTx(ctx, func(ctx context.Context) error {
					a := user(newID(), now)
					a.Email = email
					if err := s.CreateUser(ctx, a); err != nil {
						return err
					}
					close(locked)
					<-release
					return nil
				})
			}()
			<-locked
			b := user(newID(), now)
			b.Email = email
			raced := make(chan error, 1)
			go func() { raced <- s.CreateUser(ctx, b) }()
			waitForLockWait(t, db, "INSERT INTO")
			close(release)
			err = <-raced
			require.NoError(t, <-done)
			assert.ErrorIs(t, err, access.ErrConflict)
			assert.Equal(t, access.CodeEmailTaken, access.CodeOf(err))
			var gerr *access.Error
			assert.True(t, errors.As(err, &gerr), "not an *access.Error: %T", err)
		})
	}
}

// waitForLockWait returns once a session of db's database runs a statement
// containing marker and waits for a lock another transaction holds.
func waitForLockWait(t *testing.T, db *bun.DB, marker string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		err := db.NewRaw(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND position(? in query) > 0`, marker).
			Scan(context.Background(), &n)
		return err == nil && n > 0
	}, 30*time.Second, time.Millisecond, "no statement waited for the other transaction's lock")
}

// TestQueryCounts proves the round-trip promises, counted at the driver:
// CheckAccess is one statement whatever it asks (and no transaction), a
// page of members or of a user's companies one statement whatever its size.
func TestQueryCounts(t *testing.T) {
	ctx := context.Background()
	s, db, rec := recordedStore(t)
	shape := seedShape{companies: 4, perCompany: 150, users: 600}
	seed(t, db, shape)

	c1, u1 := seedID("c", 1), seedID("u", 1)
	q := access.AccessQuery{
		CompanyID: c1, UserID: u1, Permission: access.UserView,
		Resource: access.Resource{Type: "project", ID: "p1"}, TokenID: newID(),
		AgencyRoles: []string{access.RoleOwner, access.RoleAdmin},
	}
	var f access.AccessFacts
	for range 3 { // the first call also prepares the statement
		qs := rec.count(func() {
			var err error
			f, err = s.CheckAccess(ctx, q)
			require.NoError(t, err)
		})
		assert.Len(t, qs, 1, "CheckAccess: %s", describe(qs))
	}
	assert.True(t, f.Member)
	assert.Equal(t, 50, f.GrantLevel)

	// Inside a transaction it joins the transaction with one statement.
	require.NoError(t, s.RunInTx(ctx, func(ctx context.Context) error {
		qs := rec.count(func() {
			_, err := s.CheckAccess(ctx, q)
			require.NoError(t, err)
		})
		assert.LessOrEqual(t, len(qs), 1, "CheckAccess in a transaction: %s", describe(qs))
		return nil
	}))

	// An agency member without a membership in the customer: the
	// connection part of the same statement.
	agencyOwner := seedID("u", shape.seedMember(2, 1))
	qs := rec.count(func() {
		var err error
		f, err = s.CheckAccess(ctx, access.AccessQuery{
			CompanyID: c1, UserID: agencyOwner, Permission: access.UserView, AgencyRoles: []string{access.RoleOwner},
		})
		require.NoError(t, err)
	})
	assert.Len(t, qs, 1, "CheckAccess through a connection: %s", describe(qs))
	assert.False(t, f.AgencySince.IsZero(), "the agency membership's age, for a token's standing")
	f.AgencySince = time.Time{}
	assert.Equal(t, access.AccessFacts{Connected: true, ConnectionHas: true, ConnectionID: seedID("x", "1.1"),
		AgencyRole: access.RoleOwner}, f, "with the agency membership's facts, for the cap")

	for _, limit := range []int{1, 10, 150, 500} {
		var ms []access.Member
		qs := rec.count(func() {
			var err error
			ms, err = s.ListMembers(ctx, c1, nil, access.Cursor{Limit: limit})
			require.NoError(t, err)
		})
		assert.Len(t, qs, 1, "ListMembers limit %d: %s", limit, describe(qs))
		assert.Len(t, ms, min(limit, 150))
		for _, m := range ms {
			require.NotNil(t, m.CreatedByUser, "the creator is joined in the same statement")
			assert.Equal(t, m.UserID, m.User.ID)
		}
	}
	active := true
	qs = rec.count(func() {
		ucs, err := s.ListUserCompanies(ctx, u1, &active, access.Cursor{Limit: 100})
		require.NoError(t, err)
		require.NotEmpty(t, ucs)
	})
	assert.Len(t, qs, 1, "ListUserCompanies: %s", describe(qs))
}

// TestIndexUsage seeds enough rows for the planner to prefer indexes on
// its own (no enable_seqscan games), then checks the plans of the hot
// statements, with the arguments they were sent with: CheckAccess and the
// listings.
func TestIndexUsage(t *testing.T) {
	plannerTests(t)
	if testing.Short() {
		t.Skip("seeds 20,000 memberships")
	}
	ctx := context.Background()
	s, db, rec := recordedStore(t)
	shape := seedShape{companies: 1000, perCompany: 20, users: 20000}
	seed(t, db, shape)

	c, u := seedID("c", 7), seedID("u", shape.seedMember(7, 3))
	plans := map[string]func(){
		"CheckAccess": func() {
			_, err := s.CheckAccess(ctx, access.AccessQuery{
				CompanyID: c, UserID: u, Permission: access.UserView,
				Resource: access.Resource{Type: "project", ID: "p3"}, TokenID: newID(),
				AgencyRoles: []string{access.RoleOwner, access.RoleAdmin},
			})
			require.NoError(t, err)
		},
		"CheckAccess through a connection": func() {
			_, err := s.CheckAccess(ctx, access.AccessQuery{
				CompanyID: c, UserID: seedID("u", shape.seedMember(8, 1)), Permission: access.UserView,
				AgencyRoles: []string{access.RoleOwner},
			})
			require.NoError(t, err)
		},
		"CheckAccess of a token through its agency": func() {
			_, err := s.CheckAccess(ctx, access.AccessQuery{
				CompanyID: c, UserID: seedID("u", shape.seedMember(8, 1)), Permission: access.UserView,
				AgencyRoles: []string{access.RoleOwner}, Agency: seedID("c", 8),
			})
			require.NoError(t, err)
		},
		"ListMembers": func() {
			_, err := s.ListMembers(ctx, c, nil, access.Cursor{Limit: 10})
			require.NoError(t, err)
		},
		"ListUserCompanies": func() {
			_, err := s.ListUserCompanies(ctx, u, nil, access.Cursor{Limit: 20})
			require.NoError(t, err)
		},
		"ListGrants": func() {
			_, err := s.ListGrants(ctx, c, access.GrantQuery{}, access.Cursor{Limit: 10})
			require.NoError(t, err)
		},
	}
	for name, call := range plans {
		qs := rec.count(call)
		require.Len(t, qs, 1, name)
		q := qs[0]
		// The plan for the actual arguments and, for the prepared check,
		// the generic plan PostgreSQL keeps for it from its sixth call on
		// (TestHotReadsKeepGenericPlans). Pages are planned for their
		// arguments on every call, and must walk their index in order, or
		// a large company's page would sort every member past the cursor.
		explains := map[string]func(conn *sql.Conn) (*sql.Rows, error){
			"actual": func(conn *sql.Conn) (*sql.Rows, error) { return conn.QueryContext(ctx, "EXPLAIN "+q.query, q.args...) },
		}
		if strings.Contains(q.query, "$1") {
			explains["generic"] = func(conn *sql.Conn) (*sql.Rows, error) {
				for _, stmt := range []string{"SET plan_cache_mode = force_generic_plan", "PREPARE generic AS " + q.query} {
					if _, err := conn.ExecContext(ctx, stmt); err != nil {
						return nil, err
					}
				}
				marks := strings.TrimSuffix(strings.Repeat("?, ", len(q.args)), ", ")
				args := slices.Clone(q.args)
				for i, a := range args {
					if ss, ok := a.([]string); ok {
						args[i] = pgdialect.Array(ss)
					}
				}
				return conn.QueryContext(ctx, db.NewRaw("EXPLAIN EXECUTE generic ("+marks+")", args...).String())
			}
		}
		for mode, explain := range explains {
			t.Run(name+"/"+mode, func(t *testing.T) {
				conn, err := db.DB.Conn(ctx)
				require.NoError(t, err)
				defer conn.Close()
				if mode == "generic" {
					// Only this test's statement: the store's own stay prepared on the connection.
					defer conn.ExecContext(ctx, "DEALLOCATE generic; RESET plan_cache_mode") //nolint:errcheck
				}
				rows, err := explain(conn)
				require.NoError(t, err)
				var lines []string
				for rows.Next() {
					var line string
					require.NoError(t, rows.Scan(&line))
					lines = append(lines, line)
				}
				require.NoError(t, rows.Err())
				plan := strings.Join(lines, "\n")
				for _, table := range []string{"users", "companies", "memberships", "grants", "connections", "company_domains"} {
					assert.NotContains(t, plan, "Seq Scan on "+table+" ", "%s\n%s", name, plan)
				}
				assert.Contains(t, plan, "Index", plan)
				if strings.HasPrefix(name, "List") {
					assert.NotContains(t, plan, "Sort", "a page walks its index in order\n%s", plan)
				}
				if mode == "generic" {
					assert.Contains(t, plan, "$1", "a generic plan shows its parameters\n%s", plan)
				}
				t.Log("\n" + plan)
			})
		}
	}
}

// TestRunInTx covers what the conformance suite cannot see from outside:
// cancellation while a statement waits, panics, and the pool afterwards.
func TestRunInTx(t *testing.T) {
	ctx := context.Background()
	s, db := freshStore(t, pgxCache)
	now := time.Now().UTC().Truncate(time.Microsecond)
	c := company(newID(), now)
	require.NoError(t, s.CreateCompany(ctx, c))

	t.Run("cancel between statements", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		u := user(newID(), now)
		err := s.RunInTx(cctx, func(ctx context.Context) error {
			require.NoError(t, s.CreateUser(ctx, u))
			cancel()
			return nil
		})
		assert.ErrorIs(t, err, context.Canceled)
		_, err = s.GetUser(ctx, u.ID)
		assert.ErrorIs(t, err, access.ErrNotFound, "the cancelled transaction committed")
	})

	t.Run("cancel while a statement waits", func(t *testing.T) {
		// Another transaction holds the company's lock; ours waits for it
		// until its deadline, then everything it did is gone.
		hold := make(chan struct{})
		held := make(chan struct{})
		go func() {
			_ = s.RunInTx(ctx, func(ctx context.Context) error {
				if err := s.LockCompany(ctx, c.ID); err != nil {
					return err
				}
				close(held)
				<-hold
				return nil
			})
		}()
		<-held
		defer close(hold)
		tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		u := user(newID(), now)
		err := s.RunInTx(tctx, func(ctx context.Context) error {
			if err := s.CreateUser(ctx, u); err != nil {
				return err
			}
			return s.LockCompany(ctx, c.ID)
		})
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		_, err = s.GetUser(ctx, u.ID)
		assert.ErrorIs(t, err, access.ErrNotFound)
	})

	t.Run("panic", func(t *testing.T) {
		u := user(newID(), now)
		assert.PanicsWithValue(t, "boom", func() {
			_ = s.RunInTx(ctx, func(ctx context.Context) error {
				require.NoError(t, s.CreateUser(ctx, u))
				panic("boom")
			})
		})
		_, err := s.GetUser(ctx, u.ID)
		assert.ErrorIs(t, err, access.ErrNotFound)
	})

	t.Run("savepoint after a conflict", func(t *testing.T) {
		// A refused write aborts what is left of its transaction, so a
		// caller that handles the conflict and goes on runs the write in a
		// nested RunInTx: the savepoint takes the failure back, and the
		// rest commits, as with memstore.
		a, b := user(newID(), now), user(newID(), now)
		err := s.RunInTx(ctx, func(ctx context.Context) error {
			require.NoError(t, s.CreateUser(ctx, a))
			dup := user(newID(), now)
			dup.Email = a.Email
			conflict := s.RunInTx(ctx, func(ctx context.Context) error { return s.CreateUser(ctx, dup) })
			require.ErrorIs(t, conflict, access.ErrConflict)
			assert.Equal(t, access.CodeEmailTaken, access.CodeOf(conflict))
			inner := s.RunInTx(ctx, func(ctx context.Context) error {
				require.NoError(t, s.CreateUser(ctx, user(newID(), now)))
				_, err := s.GetUser(ctx, newID())
				return err
			})
			require.ErrorIs(t, inner, access.ErrNotFound)
			return s.CreateUser(ctx, b)
		})
		require.NoError(t, err)
		for _, u := range []*access.User{a, b} {
			_, err := s.GetUser(ctx, u.ID)
			assert.NoError(t, err)
		}
	})

	t.Run("call that forgot the transaction", func(t *testing.T) {
		// Inside fn, a call with the caller's context instead of fn's
		// fails at once, through Bun or prepared, and so does a RunInTx:
		// none of them runs beside the transaction or waits for its locks.
		// Another goroutine with that context is not the transaction's
		// and runs on the pool.
		u := user(newID(), now)
		outer := ctx
		err := s.RunInTx(outer, func(ctx context.Context) error {
			require.NoError(t, s.LockCompany(ctx, c.ID))
			assert.ErrorIs(t, s.CreateUser(outer, u), access.ErrOutsideTx)
			_, err := s.GetCompany(outer, c.ID)
			assert.ErrorIs(t, err, access.ErrOutsideTx)
			_, err = s.CheckAccess(outer, access.AccessQuery{CompanyID: c.ID, UserID: u.ID})
			assert.ErrorIs(t, err, access.ErrOutsideTx)
			assert.ErrorIs(t, s.RunInTx(outer, func(context.Context) error { return nil }), access.ErrOutsideTx)
			done := make(chan error)
			go func() { done <- s.CreateUser(outer, u) }()
			return <-done
		})
		require.NoError(t, err)
		_, err = s.GetUser(ctx, u.ID)
		assert.NoError(t, err, "the other goroutine's write")
	})

	t.Run("pool still works", func(t *testing.T) {
		// Every connection of the pool answers: none was returned to it
		// mid-transaction.
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, s.CreateUser(ctx, user(newID(), now)))
				_, err := s.CheckAccess(ctx, access.AccessQuery{CompanyID: c.ID, UserID: newID()})
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		var open int
		require.NoError(t, db.NewRaw(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(ctx, &open))
		assert.Zero(t, open, "a connection was left inside a transaction")
		assert.Equal(t, 0, db.Stats().InUse)
	})

	t.Run("foreign transaction ignored", func(t *testing.T) {
		// A store over another database does not join this one's
		// transaction from the context.
		other, _ := freshStore(t, pgxCache)
		u := user(newID(), now)
		err := s.RunInTx(ctx, func(ctx context.Context) error {
			require.NoError(t, other.CreateUser(ctx, u))
			return errors.New("roll back")
		})
		require.Error(t, err)
		_, err = other.GetUser(ctx, u.ID)
		assert.NoError(t, err, "the other store's write was part of this transaction")
	})
}
