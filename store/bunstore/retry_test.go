package bunstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// Serialization failures and deadlocks (retry.go): the tests inject 40001
// with triggers whose budget of failures survives the rollback they cause
// (a sequence is not transactional), then show real ones under
// SERIALIZABLE and a real deadlock.

// fault makes the statements (or commits) touching one table fail with
// serialization_failure, the first n times after arm(n).
type fault struct {
	db   *bun.DB
	name string
}

// injectFault installs the fault on table: at COMMIT (a deferred
// constraint trigger, checked when the transaction commits) or on the
// INSERT itself.
func injectFault(t *testing.T, db *bun.DB, table string, atCommit bool) *fault {
	t.Helper()
	ctx := context.Background()
	f := &fault{db: db, name: "fault_" + table}
	kind, when := "TRIGGER", ""
	if atCommit {
		kind, when = "CONSTRAINT TRIGGER", "DEFERRABLE INITIALLY DEFERRED"
	}
	for _, stmt := range []string{
		`CREATE SEQUENCE ` + f.name + `_runs`,
		`CREATE TABLE ` + f.name + `_budget (n bigint NOT NULL)`,
		`INSERT INTO ` + f.name + `_budget VALUES (0)`,
		`CREATE FUNCTION ` + f.name + `() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF nextval('` + f.name + `_runs') <= (SELECT n FROM ` + f.name + `_budget) THEN
				RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = 'serialization_failure';
			END IF;
			RETURN NULL;
		END $$`,
		`CREATE ` + kind + ` ` + f.name + ` AFTER INSERT ON gatehouse.` + table + ` ` + when + `
		FOR EACH ROW EXECUTE FUNCTION ` + f.name + `()`,
	} {
		_, err := db.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	return f
}

// arm makes the next n inserts (or their commits) fail.
func (f *fault) arm(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	_, err := f.db.ExecContext(ctx, `UPDATE `+f.name+`_budget SET n = ?`, n)
	require.NoError(t, err)
	_, err = f.db.ExecContext(ctx, `ALTER SEQUENCE `+f.name+`_runs RESTART`)
	require.NoError(t, err)
}

// runs is how many times the trigger ran since arm.
func (f *fault) runs(t *testing.T) int {
	t.Helper()
	var n int
	var called bool
	require.NoError(t, f.db.NewRaw(`SELECT last_value, is_called FROM `+f.name+`_runs`).Scan(context.Background(), &n, &called))
	if !called {
		return 0
	}
	return n
}

// assertTxConflict: the conflict with its stable code, nothing of the
// driver's.
func assertTxConflict(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, access.ErrConflict)
	assert.ErrorIs(t, err, access.ErrTxConflict)
	assert.Equal(t, access.CodeTxConflict, access.CodeOf(err))
	_, isPg := errors.AsType[*pgconn.PgError](err)
	assert.False(t, isPg, "the driver's error leaked: %v", err)
	assert.NotContains(t, err.Error(), "40001")
	assert.NotContains(t, err.Error(), "injected")
}

// TestSerializationFailureAtCommit: a COMMIT that fails with 40001 runs the
// whole transaction again; after-commit work and audit hooks run once, for
// the attempt that committed. After the bound, ErrTxConflict.
func TestSerializationFailureAtCommit(t *testing.T) {
	ctx := context.Background()
	s, db := freshStore(t, pgxCache)
	f := injectFault(t, db, "companies", true)
	var audited atomic.Int32
	svc := access.NewService(s, access.WithAuditHook(func(access.AuditEvent) { audited.Add(1) }))
	now := time.Now().UTC().Truncate(time.Microsecond)

	// inTx creates a company through InTx, counting its runs and its
	// after-commit work.
	inTx := func(c *access.Company) (runs, after int, err error) {
		err = svc.InTx(ctx, func(ctx context.Context) error {
			runs++
			svc.AfterCommit(ctx, func() { after++ })
			if err := s.CreateCompany(ctx, c); err != nil {
				return err
			}
			return svc.Audit(ctx, access.SystemPrincipal(), c.ID, "company.test", "company:"+c.ID.String(), nil)
		})
		return runs, after, err
	}
	countCompanies := func(id uuid.UUID) int {
		var n int
		require.NoError(t, db.NewRaw(`SELECT count(*) FROM gatehouse.companies WHERE id = ?`, id).Scan(ctx, &n))
		return n
	}

	t.Run("retried until it commits", func(t *testing.T) {
		f.arm(t, 2)
		audited.Store(0)
		c := company(newID(), now)
		runs, after, err := inTx(c)
		require.NoError(t, err)
		assert.Equal(t, 3, runs, "fn ran once per attempt")
		assert.Equal(t, 3, f.runs(t), "two commits failed, the third passed")
		assert.Equal(t, 1, after, "after-commit work ran once")
		assert.Equal(t, int32(1), audited.Load(), "the audit hook saw the event once")
		assert.Equal(t, 1, countCompanies(c.ID))
	})

	t.Run("a service operation", func(t *testing.T) {
		owner, err := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "owner@example.com"})
		require.NoError(t, err)
		f.arm(t, 1)
		audited.Store(0)
		c, err := svc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Retried"})
		require.NoError(t, err)
		assert.Equal(t, 2, f.runs(t))
		var events int
		require.NoError(t, db.NewRaw(`SELECT count(*) FROM gatehouse.audit_events WHERE company_id = ?`, c.ID).Scan(ctx, &events))
		assert.Positive(t, events)
		assert.Equal(t, int32(events), audited.Load(), "each committed event reached the hook once")
		assert.Equal(t, 1, countCompanies(c.ID))
	})

	t.Run("bounded, then a conflict", func(t *testing.T) {
		f.arm(t, 1000)
		audited.Store(0)
		c := company(newID(), now)
		runs, after, err := inTx(c)
		assertTxConflict(t, err)
		assert.Equal(t, bunstore.MaxTxAttempts, runs)
		assert.Equal(t, bunstore.MaxTxAttempts, f.runs(t))
		assert.Zero(t, after, "no after-commit work without a commit")
		assert.Zero(t, audited.Load())
		assert.Zero(t, countCompanies(c.ID))
	})

	t.Run("a cancelled context stops the retries", func(t *testing.T) {
		f.arm(t, 1000)
		cctx, cancel := context.WithCancel(ctx)
		runs := 0
		err := s.RunInTx(cctx, func(ctx context.Context) error {
			runs++
			if runs == 2 {
				cancel()
			}
			return s.CreateCompany(ctx, company(newID(), now))
		})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 2, runs)
	})
}

// TestSerializationFailureInSavepoint: a statement of a nested RunInTx
// that fails with 40001 voids the whole transaction. The savepoint does
// not retry by itself; the outermost runs everything again, whether fn
// returned the error or carried on after it.
func TestSerializationFailureInSavepoint(t *testing.T) {
	ctx := context.Background()
	s, db := freshStore(t, pgxSimple)
	f := injectFault(t, db, "users", false)
	now := time.Now().UTC().Truncate(time.Microsecond)

	for _, swallow := range []bool{false, true} {
		t.Run(fmt.Sprintf("fn swallows the error: %v", swallow), func(t *testing.T) {
			f.arm(t, 2)
			u := user(newID(), now)
			var outer, inner int
			err := s.RunInTx(ctx, func(ctx context.Context) error {
				outer++
				err := s.RunInTx(ctx, func(ctx context.Context) error {
					inner++
					return s.CreateUser(ctx, u)
				})
				if err != nil {
					assertTxConflict(t, err)
				}
				if swallow {
					return nil
				}
				return err
			})
			require.NoError(t, err)
			assert.Equal(t, 3, outer)
			assert.Equal(t, 3, inner, "the savepoint ran once per attempt of the outermost")
			_, err = s.GetUser(ctx, u.ID)
			assert.NoError(t, err)
		})
	}

	t.Run("a statement outside any transaction is its own", func(t *testing.T) {
		f.arm(t, 2)
		u := user(newID(), now)
		require.NoError(t, s.CreateUser(ctx, u))
		assert.Equal(t, 3, f.runs(t))

		f.arm(t, 1000)
		assertTxConflict(t, s.CreateUser(ctx, user(newID(), now)))
		assert.Equal(t, bunstore.MaxTxAttempts, f.runs(t))
	})
}

// TestSerializableContention: under WithTxOptions(Serializable), four
// transactions each read the users, see none, and insert one (a rule "at
// most one user" that only serializable isolation keeps without a lock).
// PostgreSQL lets one commit and fails the others with 40001; they run
// again, see the user and refuse: one user, no raw error.
func TestSerializableContention(t *testing.T) {
	ctx := context.Background()
	_, db := freshStore(t, pgxCache)
	s := bunstore.New(db, bunstore.WithTxOptions(sql.TxOptions{Isolation: sql.LevelSerializable}))
	now := time.Now().UTC().Truncate(time.Microsecond)
	errFull := errors.New("there is a user already")

	const n = 4
	var read sync.WaitGroup // the first attempts all read before any writes
	read.Add(n)
	var runs atomic.Int32
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			results[i] = s.RunInTx(ctx, func(ctx context.Context) error {
				runs.Add(1)
				users, err := s.ListUsers(ctx, access.Cursor{Limit: 10})
				if first {
					first = false
					read.Done()
					read.Wait()
				}
				if err != nil {
					return err
				}
				if len(users) > 0 {
					return errFull
				}
				return s.CreateUser(ctx, user(newID(), now))
			})
		}()
	}
	wg.Wait()
	committed := 0
	for _, err := range results {
		switch {
		case err == nil:
			committed++
		case errors.Is(err, errFull):
		default:
			assertTxConflict(t, err)
		}
	}
	assert.Equal(t, 1, committed)
	assert.Greater(t, int(runs.Load()), n, "the losers ran again")
	users, err := s.ListUsers(ctx, access.Cursor{Limit: 10})
	require.NoError(t, err)
	assert.Len(t, users, 1)
	t.Logf("%d runs of %d transactions", runs.Load(), n)
}

// TestDeadlockRetried: two transactions lock two companies in opposite
// orders. PostgreSQL breaks the deadlock by failing one with 40P01 (after
// deadlock_timeout); it runs again and both commit.
func TestDeadlockRetried(t *testing.T) {
	ctx := context.Background()
	s, _ := freshStore(t, pgxSimple)
	now := time.Now().UTC().Truncate(time.Microsecond)
	a, b := company(newID(), now), company(newID(), now)
	require.NoError(t, s.CreateCompany(ctx, a))
	require.NoError(t, s.CreateCompany(ctx, b))

	var locked sync.WaitGroup // each holds its first lock before asking for the second
	locked.Add(2)
	var runs atomic.Int32
	lockBoth := func(first, second uuid.UUID) error {
		once := true
		return s.RunInTx(ctx, func(ctx context.Context) error {
			runs.Add(1)
			if err := s.LockCompany(ctx, first); err != nil {
				return err
			}
			if once {
				once = false
				locked.Done()
				locked.Wait()
			}
			return s.LockCompany(ctx, second)
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- lockBoth(a.ID, b.ID) }()
	go func() { errs <- lockBoth(b.ID, a.ID) }()
	assert.NoError(t, <-errs)
	assert.NoError(t, <-errs)
	assert.Equal(t, int32(3), runs.Load(), "the deadlock's victim ran once more")
}
