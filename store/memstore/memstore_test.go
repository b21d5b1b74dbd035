package memstore_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// seed makes a company with an active member holding grants, and an agency
// member acting through a connection, so CheckAccess has every fact to find.
func seed(t *testing.T, s *memstore.Store) (member, agent access.AccessQuery) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	c := access.Company{ID: newID(), Name: "Acme", CreatedAt: now, UpdatedAt: now}
	ag := access.Company{ID: newID(), Name: "Agency", CreatedAt: now, UpdatedAt: now}
	u := access.User{ID: newID(), Email: "u@example.com", Status: access.UserActive, CreatedAt: now, UpdatedAt: now}
	a := access.User{ID: newID(), Email: "a@example.com", Status: access.UserActive, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, s.CreateCompany(ctx, &c))
	require.NoError(t, s.CreateCompany(ctx, &ag))
	require.NoError(t, s.CreateUser(ctx, &u))
	require.NoError(t, s.CreateUser(ctx, &a))
	for _, m := range []access.Membership{
		{ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleAdmin, Active: true, Extra: []string{access.UserAdd, access.UserView}},
		{ID: newID(), CompanyID: ag.ID, UserID: a.ID, Role: access.RoleAdmin, Active: true},
	} {
		require.NoError(t, s.CreateMembership(ctx, &m))
	}
	r := access.Resource{Type: "project", ID: "p"}
	tok := newID()
	for _, g := range []access.Grant{
		{ID: newID(), CompanyID: c.ID, Subject: access.Subject{Type: access.SubjectUser, ID: u.ID}, Resource: r, Level: 50},
		{ID: newID(), CompanyID: c.ID, Subject: access.Subject{Type: access.SubjectToken, ID: tok}, Resource: access.Resource{Type: access.ResourceAccount}, Level: 10},
	} {
		require.NoError(t, s.CreateGrant(ctx, &g))
	}
	require.NoError(t, s.CreateConnection(ctx, &access.Connection{
		ID: newID(), CustomerID: c.ID, AgencyID: ag.ID, Permissions: []string{access.UserView}, CreatedAt: now, UpdatedAt: now,
	}))
	roles := []string{access.RoleOwner, access.RoleAdmin}
	member = access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Permission: access.UserView, Resource: r, TokenID: tok, AgencyRoles: roles}
	agent = access.AccessQuery{CompanyID: c.ID, UserID: a.ID, Permission: access.UserView, AgencyRoles: roles}
	return member, agent
}

func TestCheckAccessDoesNotAllocate(t *testing.T) {
	s := memstore.New()
	member, agent := seed(t, s)
	ctx := context.Background()
	f, err := s.CheckAccess(ctx, member)
	require.NoError(t, err)
	require.Equal(t, access.AccessFacts{
		Member: true, Active: true, Role: access.RoleAdmin, HasExtra: true, GrantLevel: 50, TokenGrantLevel: 10,
	}, f)
	f, err = s.CheckAccess(ctx, agent)
	require.NoError(t, err)
	require.True(t, f.Connected)
	require.True(t, f.ConnectionHas)
	for name, q := range map[string]access.AccessQuery{"member": member, "agent": agent} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := s.CheckAccess(ctx, q); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, name)
	}
}

// TestNumberedPageCostsItsRows: ListMembersAt slices the sorted index, so
// the last page of a large company allocates what the last page of a small
// one does (a copy or a walk of the company would grow with it).
func TestNumberedPageCostsItsRows(t *testing.T) {
	small, large := lastPageBytes(t, 20), lastPageBytes(t, 20000)
	assert.Less(t, large, 2*small, "the last page of 20000 members allocates %d bytes, of 20 members %d", large, small)
}

// lastPageBytes fills a company with n members and measures the bytes one
// numbered page of its last ten allocates.
func lastPageBytes(t *testing.T, n int) uint64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	s := memstore.New()
	c := access.Company{ID: newID(), Name: "Acme", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, s.CreateCompany(ctx, &c))
	for range n {
		u := access.User{ID: newID(), Email: uuid.NewString() + "@example.com", Status: access.UserActive, CreatedAt: now, UpdatedAt: now}
		require.NoError(t, s.CreateUser(ctx, &u))
		m := access.Membership{ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleViewer, Active: true, CreatedAt: now, UpdatedAt: now}
		require.NoError(t, s.CreateMembership(ctx, &m))
	}
	const runs = 100
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		ms, err := s.ListMembersAt(ctx, c.ID, nil, n-10, 10)
		if err != nil || len(ms) != 10 {
			t.Fatalf("ListMembersAt: %d members, %v", len(ms), err)
		}
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

func TestConcurrentUse(t *testing.T) {
	s := memstore.New()
	q, agent := seed(t, s)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				f, err := s.CheckAccess(ctx, q)
				if !assert.NoError(t, err) || !assert.True(t, f.Member) {
					return
				}
				f, err = s.CheckAccess(ctx, agent)
				if !assert.NoError(t, err) || !assert.True(t, f.Connected) {
					return
				}
			}
		})
	}
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				now := time.Now().UTC()
				u := access.User{ID: newID(), Email: uuid.NewString() + "@example.com", Status: access.UserActive, CreatedAt: now, UpdatedAt: now}
				err := s.RunInTx(ctx, func(ctx context.Context) error {
					if err := s.CreateUser(ctx, &u); err != nil {
						return err
					}
					m := access.Membership{ID: newID(), CompanyID: q.CompanyID, UserID: u.ID, Role: access.RoleViewer, Active: true, CreatedAt: now, UpdatedAt: now}
					if err := s.CreateMembership(ctx, &m); err != nil {
						return err
					}
					if (w+i)%2 == 0 {
						return errors.New("roll back")
					}
					return nil
				})
				if (w+i)%2 == 0 {
					assert.Error(t, err)
				} else {
					assert.NoError(t, err)
				}
				_, err = s.ListMembers(ctx, q.CompanyID, nil, access.Cursor{Limit: 10})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	ms, err := s.ListMembers(ctx, q.CompanyID, nil, access.Cursor{Limit: access.MaxPageLimit})
	require.NoError(t, err)
	assert.Len(t, ms, 1+4*50)
}

func TestPanicInTxRollsBack(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	now := time.Now().UTC()
	u := access.User{ID: newID(), Email: "p@example.com", Status: access.UserActive, CreatedAt: now, UpdatedAt: now}
	assert.PanicsWithValue(t, "boom", func() {
		_ = s.RunInTx(ctx, func(ctx context.Context) error {
			require.NoError(t, s.CreateUser(ctx, &u))
			panic("boom")
		})
	})
	_, err := s.GetUser(ctx, u.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)
	// The lock was released and the e-mail index rolled back.
	require.NoError(t, s.CreateUser(ctx, &u))
	_, err = s.GetUserByEmail(ctx, u.Email)
	assert.NoError(t, err)
}

func TestCancelledContext(t *testing.T) {
	s := memstore.New()
	ctx, cancel := context.WithCancel(context.Background())
	now := time.Now().UTC()
	u := access.User{ID: newID(), Email: "c@example.com", Status: access.UserActive, CreatedAt: now, UpdatedAt: now}
	err := s.RunInTx(ctx, func(ctx context.Context) error {
		require.NoError(t, s.CreateUser(ctx, &u))
		cancel()
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.GetUser(context.Background(), u.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "a cancelled transaction committed")
}
