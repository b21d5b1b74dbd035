package bunstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
	"github.com/gatehouse-go/gatehouse/token"
)

// TestReachUnderConcurrentChange: goroutines over two pools check, and
// authorize, an agency's token and an agency ADMIN through a connection
// while the connection is removed, or narrowed, or the ADMIN's own agency
// membership is narrowed (the cap). No timing: each check notes whether
// the change had committed (the changer's call returned) before it
// started; every check that started after the commit is refused as the
// change says (404 company_not_found when the connection went, 403
// otherwise), never a stale grant; before it either answer may come; and
// nothing fails but with those denials.
func TestReachUnderConcurrentChange(t *testing.T) {
	ctx := context.Background()
	all := []string{access.UserView, access.UserEdit, access.UserAdd, access.UserDelete}
	for _, tc := range []struct {
		name   string
		perm   string // checked throughout
		denial error  // the kind of perm's refusal once the change committed
		change func(w *storetest.World, asCust access.Principal, conn access.Connection, admin access.User) error
	}{
		{"ConnectionRemoved", access.UserView, access.ErrNotFound,
			func(w *storetest.World, asCust access.Principal, conn access.Connection, _ access.User) error {
				return w.Access.RemoveConnection(ctx, asCust, conn.ID)
			}},
		{"ConnectionNarrowed", access.UserAdd, access.ErrForbidden,
			func(w *storetest.World, asCust access.Principal, conn access.Connection, _ access.User) error {
				_, err := w.Access.UpdateAgencyPermissions(ctx, asCust, conn.ID, access.AgencyUpdate{Remove: []string{access.UserAdd}})
				return err
			}},
		{"AgencyMembershipNarrowed", access.UserAdd, access.ErrForbidden,
			func(w *storetest.World, _ access.Principal, _ access.Connection, admin access.User) error {
				_, err := w.Access.UpdateMember(ctx, w.AsOwner, admin.ID, access.MemberUpdate{RemovePermissions: []string{access.UserAdd}})
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := freshDatabase(t)
			db1 := open(t, target, pgxCache)
			db2 := open(t, target, pgxSimple)
			require.NoError(t, bunstore.Migrate(ctx, db1))
			w := storetest.NewWorld(t, bunstore.New(db1), storetest.WithCompany(access.NewCompany{Name: "Agency"}))
			other := access.NewService(bunstore.New(db2), access.WithClock(w.Clock.Now)) // a second instance
			admin, _ := w.Member(t, "agency-admin", access.RoleAdmin)
			customer, asCust := w.NewCompany(t, access.NewCompany{Name: "Customer"}, w.User(t, "customer-owner"))
			sys := access.SystemPrincipal()
			conn, err := w.Access.Connect(ctx, sys, sys, access.NewConnection{CustomerID: customer.ID, AgencyID: w.Company.ID,
				Permissions: all})
			require.NoError(t, err)
			made, err := w.Token.Create(ctx, access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID},
				token.NewToken{Name: "partner key", Level: access.LevelAdmin, Permissions: all, CreatorID: admin.ID})
			require.NoError(t, err)
			tok, err := w.Token.Verify(ctx, made.Secret.Reveal())
			require.NoError(t, err)
			principals := []access.Principal{tok.In(customer.ID), access.UserPrincipal(admin.ID, customer.ID)}

			const workers, after = 8, 25 // each worker runs until it made `after` checks begun after the commit
			var committed atomic.Bool
			var checks atomic.Int64
			var stale, early atomic.Int64
			started := make(chan struct{})
			var startOnce sync.Once
			errs := make(chan error, workers)
			var wg sync.WaitGroup
			for i := range workers {
				svc := w.Access
				if i%2 == 1 {
					svc = other
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer startOnce.Do(func() { close(started) }) // a worker that failed early releases the change
					for n, seen := 0, 0; seen < after; n++ {
						p := principals[n%len(principals)]
						begunAfter := committed.Load() // read before the check starts
						var err error
						if n%3 == 2 {
							_, err = svc.Authorize(ctx, p, tc.perm)
						} else {
							err = svc.Check(ctx, p, tc.perm)
						}
						if checks.Add(1) >= 2*workers {
							startOnce.Do(func() { close(started) })
						}
						switch {
						case err == nil && begunAfter:
							stale.Add(1)
						case err == nil:
							early.Add(1)
						case !errors.Is(err, tc.denial):
							errs <- err
							return
						case tc.denial == access.ErrNotFound && access.CodeOf(err) != access.CodeCompanyNotFound:
							errs <- err
							return
						}
						if begunAfter {
							seen++
						}
					}
				}()
			}
			<-started // checks are under way, through both pools
			require.NoError(t, tc.change(w, asCust, conn, admin))
			committed.Store(true)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("a check failed otherwise than with the change's denial: %v", err)
			}
			assert.Zero(t, stale.Load(), "checks begun after the change committed that were still granted")
			assert.Positive(t, early.Load(), "grants before the change: the checks did run through the connection")
			// What stays: the connection's other permissions, or nothing.
			for _, p := range principals {
				err := w.Access.Check(ctx, p, access.UserEdit)
				if tc.denial == access.ErrNotFound {
					assert.ErrorIs(t, err, access.ErrNotFound, "%s", p)
				} else {
					assert.NoError(t, err, "%s: the rest of the reach stays", p)
				}
			}
		})
	}
}
