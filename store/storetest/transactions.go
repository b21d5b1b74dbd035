package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func testTransactions(t *testing.T, newStore Factory) {
	t.Run("commit", func(t *testing.T) {
		f := newRows(t, newStore)
		var u access.User
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			u = access.User{ID: newID(), Email: "tx@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			if err := f.s.CreateUser(ctx, &u); err != nil {
				return err
			}
			got, err := f.s.GetUser(ctx, u.ID)
			if assert.NoError(t, err, "the transaction reads its own writes") {
				assert.Equal(t, u.Email, got.Email)
			}
			return nil
		})
		require.NoError(t, err)
		_, err = f.s.GetUser(f.ctx, u.ID)
		assert.NoError(t, err)
	})
	t.Run("rollback leaves no trace", func(t *testing.T) {
		f := newRows(t, newStore)
		before := f.user()
		c := f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "kept", []string{"kept.example"} })
		m := f.member(c.ID, before.ID, access.RoleOwner, func(m *access.Membership) { m.Primary = true })
		g := f.grant(c.ID, userSubject(before.ID), projA, access.LevelViewer)
		partner := f.company()
		conn := f.connect(c.ID, partner.ID, access.UserView)

		var newUser access.User
		var newCompany access.Company
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			newUser = access.User{ID: newID(), Email: "gone@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateUser(ctx, &newUser))
			newCompany = access.Company{ID: newID(), Name: "Gone", ExternalKey: "gone", Domains: []string{"gone.example"}, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateCompany(ctx, &newCompany))
			require.NoError(t, f.s.CreateMembership(ctx, &access.Membership{ID: newID(), CompanyID: newCompany.ID, UserID: newUser.ID, Role: access.RoleOwner, Active: true, Primary: true, CreatedAt: f.now, UpdatedAt: f.now}))
			require.NoError(t, f.s.CreateGrant(ctx, &access.Grant{ID: newID(), CompanyID: c.ID, Subject: userSubject(newUser.ID), Resource: projA, Level: 10, CreatedAt: f.now}))
			require.NoError(t, f.s.CreateConnection(ctx, &access.Connection{ID: newID(), CustomerID: newCompany.ID, AgencyID: c.ID, CreatedAt: f.now, UpdatedAt: f.now}))
			require.NoError(t, f.s.AppendAudit(ctx, &access.AuditEvent{ID: newID(), CompanyID: c.ID, Actor: "system", Action: "x", At: f.now}))

			upd := before
			upd.FirstName, upd.ActiveCompanyID = "Changed", newCompany.ID
			require.NoError(t, f.s.UpdateUser(ctx, &upd))
			cu := c
			cu.Name, cu.ExternalKey, cu.Domains = "Changed", "changed", []string{"changed.example"}
			require.NoError(t, f.s.UpdateCompany(ctx, &cu))
			mu := m
			mu.Role, mu.Active = access.RoleViewer, false
			require.NoError(t, f.s.UpdateMembership(ctx, &mu))
			require.NoError(t, f.s.ClearPrimary(ctx, before.ID))
			require.NoError(t, f.s.UpdateGrantLevel(ctx, c.ID, g.ID, access.LevelOwner))
			cc := conn
			cc.Permissions = nil
			require.NoError(t, f.s.UpdateConnectionPermissions(ctx, &cc))
			require.NoError(t, f.s.DeleteCompany(ctx, c.ID))
			return errSentinel
		})
		require.ErrorIs(t, err, errSentinel)
		assert.Equal(t, errSentinel, err, "the callback's error comes back unchanged")

		_, err = f.s.GetUser(f.ctx, newUser.ID)
		assertNotFound(t, err, access.CodeUserNotFound)
		_, err = f.s.GetCompany(f.ctx, newCompany.ID)
		assertNotFound(t, err, access.CodeCompanyNotFound)
		got, err := f.s.GetUser(f.ctx, before.ID)
		require.NoError(t, err)
		assert.Equal(t, before, normUser(got))
		gc, err := f.s.GetCompany(f.ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, c, normCompany(gc))
		gm, err := f.s.GetMembership(f.ctx, c.ID, before.ID)
		require.NoError(t, err)
		assert.Equal(t, m, normMembership(gm))
		gg, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
		require.NoError(t, err)
		assert.Equal(t, g, normGrant(gg))
		gconn, err := f.s.GetConnection(f.ctx, partner.ID, conn.ID)
		require.NoError(t, err)
		assert.Equal(t, conn, normConnection(gconn))
		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{}, all())
		require.NoError(t, err)
		assert.Len(t, gs, 1)
		cs, err := f.s.ListConnections(f.ctx, c.ID, all())
		require.NoError(t, err)
		assert.Len(t, cs, 1)
		ev, err := f.s.ListAudit(f.ctx, c.ID, all())
		require.NoError(t, err)
		assert.Empty(t, ev)
		ms, err := f.s.ListMembers(f.ctx, c.ID, activeIs(true), all())
		require.NoError(t, err)
		assert.Len(t, ms, 1)

		// Indexes were rolled back too: the unique values are free or still taken.
		again := access.User{ID: newID(), Email: "gone@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
		assert.NoError(t, f.s.CreateUser(f.ctx, &again))
		f.company(func(c *access.Company) {
			c.ExternalKey, c.Domains = "gone", []string{"gone.example", "changed.example"}
		})
		_, err = f.s.GetCompanyByDomain(f.ctx, "kept.example")
		assert.NoError(t, err)
		_, err = f.s.GetCompanyByExternalKey(f.ctx, "kept")
		assert.NoError(t, err)
		other := f.company()
		om := f.member(other.ID, before.ID, access.RoleViewer)
		om.Primary = true
		assertConflict(t, f.s.UpdateMembership(f.ctx, &om), access.CodePrimaryTaken, "the primary flag came back")
	})
	t.Run("store error rolls back earlier work", func(t *testing.T) {
		f := newRows(t, newStore)
		taken := f.user()
		var first access.User
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			first = access.User{ID: newID(), Email: "first@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateUser(ctx, &first))
			dup := access.User{ID: newID(), Email: taken.Email, Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			return f.s.CreateUser(ctx, &dup)
		})
		assertConflict(t, err, access.CodeEmailTaken)
		_, err = f.s.GetUser(f.ctx, first.ID)
		assertNotFound(t, err, access.CodeUserNotFound)
	})
	t.Run("nested is a savepoint", func(t *testing.T) {
		f := newRows(t, newStore)
		mk := func(ctx context.Context, email string) access.User {
			t.Helper()
			u := access.User{ID: newID(), Email: email, Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateUser(ctx, &u))
			return u
		}
		var outer, innerOK, innerFailed access.User
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			outer = mk(ctx, "outer@example.com")
			err := f.s.RunInTx(ctx, func(ctx context.Context) error {
				innerFailed = mk(ctx, "inner-failed@example.com")
				return errSentinel
			})
			assert.Equal(t, errSentinel, err, "the nested callback's error comes back unchanged")
			_, err = f.s.GetUser(ctx, innerFailed.ID)
			assertNotFound(t, err, access.CodeUserNotFound, "the failed savepoint's work is visible")
			_, err = f.s.GetUser(ctx, outer.ID)
			assert.NoError(t, err, "the savepoint's failure undid the outer work")
			return f.s.RunInTx(ctx, func(ctx context.Context) error {
				innerOK = mk(ctx, "inner-ok@example.com")
				return nil
			})
		})
		require.NoError(t, err)
		for _, u := range []access.User{outer, innerOK} {
			_, err := f.s.GetUser(f.ctx, u.ID)
			assert.NoError(t, err, u.Email)
		}
		_, err = f.s.GetUser(f.ctx, innerFailed.ID)
		assertNotFound(t, err, access.CodeUserNotFound)

		// A committed savepoint is undone with its failing transaction.
		var nested access.User
		err = f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			require.NoError(t, f.s.RunInTx(ctx, func(ctx context.Context) error {
				nested = mk(ctx, "nested@example.com")
				return nil
			}))
			return errSentinel
		})
		require.ErrorIs(t, err, errSentinel)
		_, err = f.s.GetUser(f.ctx, nested.ID)
		assertNotFound(t, err, access.CodeUserNotFound)
	})
	t.Run("a refused write leaves it usable", func(t *testing.T) { testConflictInTx(t, newStore) })
	t.Run("outside the transaction's context", func(t *testing.T) { testOutsideTx(t, newStore) })
	t.Run("another goroutine", func(t *testing.T) { testTxOtherGoroutine(t, newStore) })
}

var errSentinel = errors.New("storetest: sentinel")

// testConflictInTx: a write a unique rule refuses fails alone; the
// transaction goes on and commits the rest (a service may catch a
// conflict and carry on, as invite does with a pending invitation).
func testConflictInTx(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	u := f.user()
	c, p := f.company(), f.company()
	f.member(c.ID, u.ID, access.RoleOwner)
	g := f.grant(c.ID, userSubject(u.ID), projA, access.LevelViewer)
	f.connect(c.ID, p.ID)
	var after access.User
	err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
		for code, refused := range map[access.Code]func() error{
			access.CodeEmailTaken: func() error {
				dup := access.User{ID: newID(), Email: u.Email, Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
				return f.s.CreateUser(ctx, &dup)
			},
			access.CodeAlreadyMember: func() error {
				dup := access.Membership{ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleViewer, CreatedAt: f.now, UpdatedAt: f.now}
				return f.s.CreateMembership(ctx, &dup)
			},
			access.CodeGrantExists: func() error {
				dup := g
				dup.ID = newID()
				return f.s.CreateGrant(ctx, &dup)
			},
			access.CodeAlreadyConnected: func() error {
				dup := access.Connection{ID: newID(), CustomerID: p.ID, AgencyID: c.ID, CreatedAt: f.now, UpdatedAt: f.now}
				return f.s.CreateConnection(ctx, &dup)
			},
		} {
			if err := refused(); !errors.Is(err, access.ErrConflict) || access.CodeOf(err) != code {
				return fmt.Errorf("want a conflict %s, got %v", code, err)
			}
			if _, err := f.s.GetUser(ctx, u.ID); err != nil {
				return fmt.Errorf("a read after the refused write (%s): %w", code, err)
			}
		}
		after = access.User{ID: newID(), Email: "after@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
		return f.s.CreateUser(ctx, &after)
	})
	require.NoError(t, err)
	_, err = f.s.GetUser(f.ctx, after.ID)
	assert.NoError(t, err, "the work after the refusals was committed")
}

// txWait bounds how long the tests below wait for a transaction: a store
// that waits for its own transaction fails them instead of hanging them.
const txWait = 10 * time.Second

// within runs f on a goroutine of its own and waits for it at most txWait.
// f must not touch t: after a time-out it may still be running.
func within(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(txWait):
		t.Fatalf("RunInTx did not return within %v: a store call waits for its own transaction", txWait)
		return nil
	}
}

// testOutsideTx: a store call made from the goroutine running fn with the
// caller's context instead of fn's fails at once with access.ErrOutsideTx
// (a read, a write, a nested RunInTx alike), and the transaction itself
// still commits or rolls back as fn says.
func testOutsideTx(t *testing.T, newStore Factory) {
	for _, end := range []struct {
		name string
		err  error
	}{{"commit", nil}, {"rollback", errSentinel}} {
		t.Run(end.name, func(t *testing.T) {
			f := newRows(t, newStore)
			known := f.user()
			mk := func(email string) access.User {
				return access.User{ID: newID(), Email: email, Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			}
			inner, refused := mk("inner@example.com"), mk("refused@example.com")
			outer := f.ctx
			calls := map[string]error{} // filled by fn, read once RunInTx has returned
			nestedRan := false
			err := within(t, func() error {
				return f.s.RunInTx(outer, func(ctx context.Context) error {
					if err := f.s.CreateUser(ctx, &inner); err != nil {
						return err
					}
					_, calls["read"] = f.s.GetUser(outer, known.ID)
					calls["write"] = f.s.CreateUser(outer, &refused)
					calls["nested RunInTx"] = f.s.RunInTx(outer, func(context.Context) error {
						nestedRan = true
						return nil
					})
					if _, err := f.s.GetUser(ctx, inner.ID); err != nil {
						return err // fn's own context still works
					}
					return end.err
				})
			})
			assert.Equal(t, end.err, err, "the transaction ends as fn says")
			for _, call := range []string{"read", "write", "nested RunInTx"} {
				assert.ErrorIs(t, calls[call], access.ErrOutsideTx, call)
			}
			assert.False(t, nestedRan, "the refused nested transaction ran its function")
			_, err = f.s.GetUser(f.ctx, inner.ID)
			if end.err == nil {
				assert.NoError(t, err, "the transaction's work was committed")
			} else {
				assertNotFound(t, err, access.CodeUserNotFound, "the transaction's work was rolled back")
			}
			_, err = f.s.GetUserByEmail(f.ctx, refused.Email)
			assertNotFound(t, err, access.CodeUserNotFound, "the refused write happened")
			f.user() // the store is free again
		})
	}
}

// testTxOtherGoroutine: a call from another goroutine without the
// transaction's context is no mistake and is not refused: memory runs it
// after the transaction, PostgreSQL beside it. Its work is its own: the
// transaction's rollback does not undo it.
func testTxOtherGoroutine(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	known := f.user()
	mk := func(email string) access.User {
		return access.User{ID: newID(), Email: email, Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
	}
	inner, beside := mk("inner@example.com"), mk("beside@example.com")
	type result struct{ read, write error }
	res := make(chan result, 1)
	err := within(t, func() error {
		return f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			if err := f.s.CreateUser(ctx, &inner); err != nil {
				return err
			}
			started := make(chan struct{})
			go func() {
				close(started)
				_, rerr := f.s.GetUser(f.ctx, known.ID)
				res <- result{rerr, f.s.CreateUser(f.ctx, &beside)}
			}()
			<-started
			// Not an ordering the test needs (it holds either way), only a
			// chance for the calls to be made while the transaction is
			// open: PostgreSQL answers them now, memory after the end.
			select {
			case r := <-res:
				res <- r
			case <-time.After(50 * time.Millisecond):
			}
			return errSentinel
		})
	})
	require.ErrorIs(t, err, errSentinel)
	select {
	case r := <-res:
		assert.NoError(t, r.read, "the other goroutine's read")
		assert.NoError(t, r.write, "the other goroutine's write")
	case <-time.After(txWait):
		t.Fatal("the other goroutine's calls never returned")
	}
	_, err = f.s.GetUser(f.ctx, beside.ID)
	assert.NoError(t, err, "work outside the transaction is not rolled back with it")
	_, err = f.s.GetUser(f.ctx, inner.ID)
	assertNotFound(t, err, access.CodeUserNotFound)
}
