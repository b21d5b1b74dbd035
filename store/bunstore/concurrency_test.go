package bunstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// twoInstances is one migrated database reached through two separate pools,
// as two instances of a host application would.
func twoInstances(t *testing.T, hooks ...bun.QueryHook) (a, b *access.Service, db *bun.DB) {
	t.Helper()
	target := freshDatabase(t)
	db1 := open(t, target, pgxCache, hooks...)
	db2 := open(t, target, pgxSimple, hooks...)
	require.NoError(t, bunstore.Migrate(context.Background(), db1))
	return access.NewService(bunstore.New(db1)), access.NewService(bunstore.New(db2)), db1
}

// TestLastOwnerAcrossInstances: 50 goroutines over 2 pools each demote,
// deactivate or remove a different OWNER of one company. The row lock on
// the company serialises them: exactly one owner survives, and every call
// that failed failed with the last-owner error.
func TestLastOwnerAcrossInstances(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoInstances(t)
	sys := access.SystemPrincipal()
	first, err := a.CreateUser(ctx, sys, access.NewUser{Email: "first@example.com"})
	require.NoError(t, err)
	co, err := a.CreateCompany(ctx, access.UserPrincipal(first.ID, uuid.Nil), access.NewCompany{Name: "Contested"})
	require.NoError(t, err)
	inCo := access.Principal{Kind: access.PrincipalSystem, CompanyID: co.ID}
	owners := []uuid.UUID{first.ID}
	for i := range 49 {
		u, err := a.CreateUser(ctx, sys, access.NewUser{Email: fmt.Sprintf("owner%d@example.com", i)})
		require.NoError(t, err)
		_, err = a.AddMember(ctx, inCo, access.NewMember{Email: u.Email, Role: access.RoleOwner})
		require.NoError(t, err)
		owners = append(owners, u.ID)
	}

	var wg sync.WaitGroup
	var ok, lastOwner atomic.Int32
	errs := make(chan error, len(owners))
	for i, id := range owners {
		svc := a
		if i%2 == 1 {
			svc = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch i % 3 {
			case 0:
				_, err = svc.UpdateMember(ctx, inCo, id, access.MemberUpdate{Role: new(access.RoleAdmin)})
			case 1:
				_, err = svc.UpdateMember(ctx, inCo, id, access.MemberUpdate{Active: new(false)})
			default:
				err = svc.RemoveMember(ctx, inCo, id)
			}
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, access.ErrLastOwner):
				lastOwner.Add(1)
			default:
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a failed call did not fail with the last-owner error: %v", err)
	}
	assert.Equal(t, int32(49), ok.Load())
	assert.Equal(t, int32(1), lastOwner.Load())
	n, err := a.Store().CountActiveOwners(ctx, co.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "exactly one active OWNER is left")
}

// TestConcurrentAddSameMember: 20 goroutines over 2 pools add the same user
// to one company; exactly one succeeds and the rest get a conflict.
func TestConcurrentAddSameMember(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoInstances(t)
	sys := access.SystemPrincipal()
	owner, err := a.CreateUser(ctx, sys, access.NewUser{Email: "owner@example.com"})
	require.NoError(t, err)
	joiner, err := a.CreateUser(ctx, sys, access.NewUser{Email: "joiner@example.com"})
	require.NoError(t, err)
	co, err := a.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Busy"})
	require.NoError(t, err)
	// The system, in the company: it sees every user, so the add needs no
	// consent (the joiner is in no company the owner could see them in).
	inCo := access.Principal{Kind: access.PrincipalSystem, CompanyID: co.ID}

	var wg sync.WaitGroup
	var ok, conflict atomic.Int32
	for i := range 20 {
		svc := a
		if i%2 == 1 {
			svc = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.AddMember(ctx, inCo, access.NewMember{Email: joiner.Email, Role: access.RoleViewer})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, access.ErrConflict):
				conflict.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), ok.Load())
	assert.Equal(t, int32(19), conflict.Load())
}

// cancelAfter cancels the query's context right after the first statement
// whose text contains marker has run.
type cancelAfter struct {
	marker string
	cancel atomic.Pointer[context.CancelFunc]
	fired  atomic.Bool
}

func (c *cancelAfter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (c *cancelAfter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.Contains(e.Query, c.marker) && !c.fired.Swap(true) {
		if f := c.cancel.Load(); f != nil {
			(*f)()
		}
	}
}

// TestCancelMidChange: a context cancelled right after the company row of
// CreateCompany was inserted (before its owner membership, user update and
// audit events) leaves no row at all, and the pool keeps working.
func TestCancelMidChange(t *testing.T) {
	ctx := context.Background()
	hook := &cancelAfter{marker: `INSERT INTO "gatehouse".companies`}
	a, _, db := twoInstances(t, hook)
	owner, err := a.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "owner@example.com"})
	require.NoError(t, err)

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hook.cancel.Store(&cancel)
	_, err = a.CreateCompany(cctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Half"})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	require.True(t, hook.fired.Load(), "the company insert ran before the cancel")

	for _, table := range []string{"companies", "memberships", "audit_events"} {
		n, err := db.NewSelect().TableExpr("gatehouse." + table).Count(ctx)
		require.NoError(t, err)
		want := int64(0)
		if table == "audit_events" {
			want = 1 // the user's creation, committed before
		}
		assert.Equal(t, want, n, "rows left in %s", table)
	}
	u, err := a.GetUser(ctx, access.SystemPrincipal(), owner.ID)
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, u.ActiveCompanyID)

	// The pool still works.
	_, err = a.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Whole"})
	require.NoError(t, err)
}

// killAfter terminates every other backend of the database (the
// transaction's connection among them) right after the first statement
// containing marker ran.
type killAfter struct {
	marker string
	admin  *bun.DB
	fired  atomic.Bool
	err    error
}

func (k *killAfter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (k *killAfter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.Contains(e.Query, k.marker) && !k.fired.Swap(true) {
		_, k.err = k.admin.ExecContext(context.Background(),
			`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	}
}

// TestDroppedConnectionMidChange: the connection dies right after the
// company row of CreateCompany was inserted. The transaction was lost
// before COMMIT, so nothing of it remained and it ran again, whole, on a
// fresh connection: the change is there once.
func TestDroppedConnectionMidChange(t *testing.T) {
	ctx := context.Background()
	target := freshDatabase(t)
	admin := open(t, target, pgxCache)
	require.NoError(t, bunstore.Migrate(ctx, admin))
	hook := &killAfter{marker: `INSERT INTO "gatehouse".companies`, admin: admin}
	db := open(t, target, pgxCache, hook)
	var audited atomic.Int32
	svc := access.NewService(bunstore.New(db), access.WithAuditHook(func(access.AuditEvent) { audited.Add(1) }))
	owner, err := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "owner@example.com"})
	require.NoError(t, err)
	audited.Store(0)

	c, err := svc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Whole"})
	require.NoError(t, err, "the change runs again on a fresh connection")
	require.True(t, hook.fired.Load())
	require.NoError(t, hook.err)

	for _, table := range []string{"companies", "memberships"} {
		n, err := admin.NewSelect().TableExpr("gatehouse." + table).Count(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(1), n, "rows in %s", table)
	}
	m, err := svc.GetMember(ctx, access.UserPrincipal(owner.ID, c.ID), owner.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleOwner, m.Role)
	var events int
	require.NoError(t, admin.NewRaw(`SELECT count(*) FROM gatehouse.audit_events WHERE company_id = ?`, c.ID).Scan(ctx, &events))
	assert.Equal(t, int32(events), audited.Load(), "each committed event reached the hook once")
}

// TestEraseWaitsForNoMembership: while a user is being erased, a company
// created for them in another transaction waits for the erasure and then
// fails, instead of committing a membership the erasure would delete with
// the user (leaving a company with no member).
func TestEraseWaitsForNoMembership(t *testing.T) {
	ctx := context.Background()
	st, db := freshStore(t, pgxCache)
	svc := access.NewService(st)
	u, err := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "erin@example.com"})
	require.NoError(t, err)
	raced := make(chan error, 1)
	svc.OnUserErased(func(ctx context.Context, _ access.Principal, _ access.User) error {
		go func() {
			_, err := svc.CreateCompany(context.Background(), access.SystemPrincipal(), access.NewCompany{Name: "Raced", OwnerID: u.ID})
			raced <- err
		}()
		select {
		case err := <-raced: // it did not wait for the erasure
			raced <- err
		case <-time.After(300 * time.Millisecond): // it waits on the user's lock
		}
		return nil
	})
	require.NoError(t, svc.EraseUser(ctx, access.SystemPrincipal(), u.ID))
	select {
	case err := <-raced:
		assert.ErrorIs(t, err, access.ErrNotFound, "the company for an erased user is refused")
	case <-time.After(10 * time.Second):
		t.Fatal("the concurrent company creation never finished")
	}
	var n int
	require.NoError(t, db.NewRaw(`SELECT count(*) FROM gatehouse.companies WHERE name = 'Raced'`).Scan(ctx, &n))
	assert.Zero(t, n, "no company was left without its owner")
}
