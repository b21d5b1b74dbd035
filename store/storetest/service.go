package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store"
)

// world is a company with an owner, ready for service-level tests.
type world struct {
	st      store.Store
	svc     *access.Service
	owner   access.User
	company access.Company
	asOwner access.Principal
}

func newWorld(t *testing.T, newStore Factory, opts ...access.Option) *world {
	t.Helper()
	st := newStore(t)
	svc := access.NewService(st, opts...)
	w := &world{st: st, svc: svc}
	w.owner = w.user(t, "owner")
	c, err := svc.CreateCompany(context.Background(), access.UserPrincipal(w.owner.ID, uuid.Nil), access.NewCompany{Name: "Acme " + uuid.NewString()[:8]})
	require.NoError(t, err)
	w.company = c
	w.asOwner = access.UserPrincipal(w.owner.ID, c.ID)
	return w
}

func (w *world) user(t *testing.T, name string) access.User {
	t.Helper()
	u, err := w.svc.CreateUser(context.Background(), access.SystemPrincipal(), access.NewUser{
		Email: fmt.Sprintf("%s-%s@example.com", name, uuid.NewString()[:8]), FirstName: name})
	require.NoError(t, err)
	return u
}

// member adds a new user with role (and extra permissions) and returns
// the user and a principal acting as them.
func (w *world) member(t *testing.T, name, role string, perms ...string) (access.User, access.Principal) {
	t.Helper()
	u := w.user(t, name)
	_, err := w.svc.AddMember(context.Background(), w.asOwner, access.NewMember{Email: u.Email, Role: role, Permissions: perms})
	require.NoError(t, err)
	return u, access.UserPrincipal(u.ID, w.company.ID)
}

func ptr[T any](v T) *T { return &v }

// testServices runs the rules of DESIGN.md section 4 through the services
// on top of the store, so each is proven on every store.
func testServices(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("DenyByDefault", func(t *testing.T) {
		w := newWorld(t, newStore)
		stranger := w.user(t, "stranger")
		asStranger := access.UserPrincipal(stranger.ID, w.company.ID)
		assert.ErrorIs(t, w.svc.Check(ctx, access.Principal{}, access.UserView), access.ErrUnauthenticated)
		assert.ErrorIs(t, w.svc.Check(ctx, asStranger, access.UserView), access.ErrNotFound)
		_, err := w.svc.ListMembers(ctx, asStranger, access.MemberFilter{})
		assert.ErrorIs(t, err, access.ErrNotFound)
		_, viewer := w.member(t, "viewer", access.RoleViewer)
		assert.NoError(t, w.svc.Check(ctx, viewer, access.UserView))
		assert.ErrorIs(t, w.svc.Check(ctx, viewer, access.UserEdit), access.ErrForbidden)
		assert.ErrorIs(t, w.svc.Check(ctx, w.asOwner, "NO_SUCH_PERMISSION"), access.ErrForbidden, "unknown permission fails closed")
		_, err = w.svc.AddMember(ctx, viewer, access.NewMember{Email: stranger.Email, Role: access.RoleViewer})
		assert.ErrorIs(t, err, access.ErrForbidden)
	})

	t.Run("RemovePermissions", func(t *testing.T) { testRemovePermissions(t, newStore) })
	t.Run("AfterCommit", func(t *testing.T) { testAfterCommit(t, newStore) })
	t.Run("ReviewFindings", func(t *testing.T) { testReviewFindings(t, newStore) })
	t.Run("TransferIsAtomic", func(t *testing.T) { testTransferIsAtomic(t, newStore) })

	t.Run("ExtraPermissionsAndImplication", func(t *testing.T) {
		w := newWorld(t, newStore)
		_, viewer := w.member(t, "viewer", access.RoleViewer, access.UserAdd)
		assert.NoError(t, w.svc.Check(ctx, viewer, access.UserAdd))
		assert.ErrorIs(t, w.svc.Check(ctx, viewer, access.UserDelete), access.ErrForbidden)
		m, err := w.svc.GetMember(ctx, viewer, viewer.UserID)
		require.NoError(t, err)
		assert.Equal(t, []string{access.UserAdd, access.UserView}, m.Extra, "USER_ADD implies USER_VIEW")
	})

	t.Run("NoOneGrantsMoreThanTheyHold", func(t *testing.T) {
		w := newWorld(t, newStore)
		_, admin := w.member(t, "admin", access.RoleAdmin)
		_, vp := w.member(t, "vplus", access.RoleViewerPlus, access.UserAdd)
		target := w.user(t, "target")
		_, err := w.svc.AddMember(ctx, admin, access.NewMember{Email: target.Email, Role: access.RoleOwner})
		assert.ErrorIs(t, err, access.ErrForbidden, "ADMIN cannot grant OWNER")
		_, err = w.svc.AddMember(ctx, vp, access.NewMember{Email: target.Email, Role: access.RoleAdmin})
		assert.ErrorIs(t, err, access.ErrForbidden, "VIEWER_PLUS cannot grant ADMIN")
		_, err = w.svc.AddMember(ctx, vp, access.NewMember{Email: target.Email, Role: access.RoleViewer, Permissions: []string{access.UserDelete}})
		assert.ErrorIs(t, err, access.ErrForbidden, "a permission the granter lacks")
		_, err = w.svc.AddMember(ctx, vp, access.NewMember{Email: target.Email, Role: access.RoleViewer, Permissions: []string{access.UserAdd}})
		assert.NoError(t, err, "a permission the granter holds")
		_, err = w.svc.AddMember(ctx, admin, access.NewMember{Email: w.user(t, "a2").Email, Role: access.RoleAdmin})
		assert.NoError(t, err, "ADMIN may grant ADMIN (not above their own level)")
	})

	t.Run("NoOneRaisesTheirOwnRole", func(t *testing.T) {
		w := newWorld(t, newStore)
		admin, asAdmin := w.member(t, "admin", access.RoleAdmin)
		_, err := w.svc.UpdateMember(ctx, asAdmin, admin.ID, access.MemberUpdate{Role: ptr(access.RoleOwner)})
		assert.ErrorIs(t, err, access.ErrForbidden)
		m, err := w.svc.GetMember(ctx, w.asOwner, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleAdmin, m.Role)
		_, err = w.svc.UpdateMember(ctx, asAdmin, admin.ID, access.MemberUpdate{Role: ptr(access.RoleViewer)})
		assert.NoError(t, err, "lowering one's own role is allowed")
	})

	t.Run("OnlyOwnerTouchesEqualOrHigher", func(t *testing.T) {
		w := newWorld(t, newStore)
		_, asAdmin := w.member(t, "admin", access.RoleAdmin)
		other, _ := w.member(t, "admin2", access.RoleAdmin)
		viewer, _ := w.member(t, "viewer", access.RoleViewer)
		_, err := w.svc.UpdateMember(ctx, asAdmin, other.ID, access.MemberUpdate{Active: ptr(false)})
		assert.ErrorIs(t, err, access.ErrForbidden)
		assert.ErrorIs(t, w.svc.RemoveMember(ctx, asAdmin, other.ID), access.ErrForbidden)
		assert.ErrorIs(t, w.svc.RemoveMember(ctx, asAdmin, w.owner.ID), access.ErrForbidden)
		_, err = w.svc.UpdateMember(ctx, asAdmin, viewer.ID, access.MemberUpdate{Role: ptr(access.RoleViewerPlus)})
		assert.NoError(t, err, "ADMIN manages a lower member")
		_, err = w.svc.UpdateMember(ctx, w.asOwner, other.ID, access.MemberUpdate{Active: ptr(false)})
		assert.NoError(t, err, "OWNER manages an ADMIN")
		page, err := w.svc.ListMembers(ctx, asAdmin, access.MemberFilter{})
		require.NoError(t, err)
		editable := map[uuid.UUID]bool{}
		for _, m := range page.Items {
			editable[m.UserID] = m.Editable
		}
		assert.Equal(t, map[uuid.UUID]bool{w.owner.ID: false, asAdmin.UserID: false, other.ID: false, viewer.ID: true}, editable)
	})

	t.Run("LastOwner", func(t *testing.T) {
		w := newWorld(t, newStore)
		_, err := w.svc.UpdateMember(ctx, w.asOwner, w.owner.ID, access.MemberUpdate{Role: ptr(access.RoleAdmin)})
		assert.ErrorIs(t, err, access.ErrLastOwner)
		assert.ErrorIs(t, err, access.ErrConflict)
		_, err = w.svc.UpdateMember(ctx, w.asOwner, w.owner.ID, access.MemberUpdate{Active: ptr(false)})
		assert.ErrorIs(t, err, access.ErrLastOwner)
		assert.ErrorIs(t, w.svc.RemoveMember(ctx, w.asOwner, w.owner.ID), access.ErrLastOwner)
		m, err := w.svc.GetMember(ctx, w.asOwner, w.owner.ID)
		require.NoError(t, err)
		assert.True(t, m.Active)
		assert.Equal(t, access.RoleOwner, m.Role, "a refused change changes nothing")

		second, _ := w.member(t, "second", access.RoleOwner)
		assert.NoError(t, w.svc.RemoveMember(ctx, w.asOwner, w.owner.ID), "with another owner the first may leave")
		asSecond := access.UserPrincipal(second.ID, w.company.ID)
		assert.ErrorIs(t, w.svc.RemoveMember(ctx, asSecond, second.ID), access.ErrLastOwner)
	})

	t.Run("LastOwnerUnderConcurrency", func(t *testing.T) {
		w := newWorld(t, newStore)
		owners := []access.User{w.owner}
		for i := range 4 {
			u, _ := w.member(t, fmt.Sprintf("owner%d", i), access.RoleOwner)
			owners = append(owners, u)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				actor := owners[i%len(owners)]
				target := owners[(i+1)%len(owners)]
				p := access.UserPrincipal(actor.ID, w.company.ID)
				var err error
				switch i % 3 {
				case 0:
					_, err = w.svc.UpdateMember(ctx, p, target.ID, access.MemberUpdate{Role: ptr(access.RoleAdmin)})
				case 1:
					_, err = w.svc.UpdateMember(ctx, p, target.ID, access.MemberUpdate{Active: ptr(false)})
				default:
					err = w.svc.RemoveMember(ctx, p, target.ID)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err == nil || errors.Is(err, access.ErrLastOwner) {
				continue
			}
			// An owner demoted, deactivated or removed by an earlier call
			// lost the right to act; the target may already be gone.
			assert.True(t, errors.Is(err, access.ErrForbidden) || errors.Is(err, access.ErrNotFound), "unexpected error: %v", err)
		}
		n, err := w.st.CountActiveOwners(ctx, w.company.ID)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, 1, "the company keeps an active OWNER")
	})

	t.Run("TransferOwnership", func(t *testing.T) {
		w := newWorld(t, newStore)
		admin, asAdmin := w.member(t, "admin", access.RoleAdmin)
		assert.ErrorIs(t, w.svc.TransferOwnership(ctx, asAdmin, w.owner.ID), access.ErrForbidden)
		require.NoError(t, w.svc.TransferOwnership(ctx, w.asOwner, admin.ID))
		a, err := w.svc.GetMember(ctx, asAdmin, admin.ID)
		require.NoError(t, err)
		o, err := w.svc.GetMember(ctx, asAdmin, w.owner.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleOwner, a.Role)
		assert.Equal(t, access.RoleAdmin, o.Role)
	})

	t.Run("DeactivatedAndRemovedFailEveryCheck", func(t *testing.T) {
		w := newWorld(t, newStore)
		u, p := w.member(t, "admin", access.RoleAdmin)
		require.NoError(t, w.svc.Check(ctx, p, access.UserView))
		_, err := w.svc.UpdateMember(ctx, w.asOwner, u.ID, access.MemberUpdate{Active: ptr(false)})
		require.NoError(t, err)
		assert.ErrorIs(t, w.svc.Check(ctx, p, access.UserView), access.ErrForbidden)
		assert.ErrorIs(t, w.svc.CheckLevel(ctx, p, access.Resource{Type: "project", ID: "p1"}, access.LevelViewer), access.ErrForbidden)
		m, err := w.svc.GetMember(ctx, w.asOwner, u.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleAdmin, m.Role, "a deactivated member keeps the role")
		_, err = w.svc.UpdateMember(ctx, w.asOwner, u.ID, access.MemberUpdate{Active: ptr(true)})
		require.NoError(t, err)
		assert.NoError(t, w.svc.Check(ctx, p, access.UserView))
		require.NoError(t, w.svc.RemoveMember(ctx, w.asOwner, u.ID))
		assert.ErrorIs(t, w.svc.Check(ctx, p, access.UserView), access.ErrNotFound)
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		w := newWorld(t, newStore)
		other := w.user(t, "other-owner")
		oc, err := w.svc.CreateCompany(ctx, access.UserPrincipal(other.ID, uuid.Nil), access.NewCompany{Name: "Other"})
		require.NoError(t, err)
		asOther := access.UserPrincipal(other.ID, oc.ID)
		g, err := w.svc.Grant(ctx, asOther, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: other.ID},
			Resource: access.Resource{Type: "project", ID: "x"}, Level: access.LevelViewer})
		require.NoError(t, err)

		// The other company's member, grant and company look exactly like
		// unknown IDs.
		_, errForeign := w.svc.GetMember(ctx, w.asOwner, other.ID)
		_, errUnknown := w.svc.GetMember(ctx, w.asOwner, uuid.New())
		assert.ErrorIs(t, errForeign, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errForeign.Error())
		_, errForeign = w.svc.Revoke(ctx, w.asOwner, g.ID)
		_, errUnknown = w.svc.Revoke(ctx, w.asOwner, uuid.New())
		assert.ErrorIs(t, errForeign, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errForeign.Error())
		_, errForeign = w.svc.GetCompany(ctx, w.asOwner, oc.ID)
		_, errUnknown = w.svc.GetCompany(ctx, w.asOwner, uuid.New())
		assert.ErrorIs(t, errForeign, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errForeign.Error())
		_, errForeign = w.svc.GetUser(ctx, w.asOwner, other.ID)
		_, errUnknown = w.svc.GetUser(ctx, w.asOwner, uuid.New())
		assert.ErrorIs(t, errForeign, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errForeign.Error())
		assert.ErrorIs(t, w.svc.RemoveMember(ctx, w.asOwner, other.ID), access.ErrNotFound)
		// Acting in a company one does not belong to.
		assert.ErrorIs(t, w.svc.Check(ctx, access.UserPrincipal(w.owner.ID, oc.ID), access.UserView), access.ErrNotFound)
	})

	t.Run("ResourceGrants", func(t *testing.T) {
		w := newWorld(t, newStore)
		u, p := w.member(t, "viewer", access.RoleViewer)
		proj := access.Resource{Type: "project", ID: "42"}
		lvl, err := w.svc.Level(ctx, p, proj)
		require.NoError(t, err)
		assert.Equal(t, access.LevelViewer, lvl)
		g, err := w.svc.Grant(ctx, w.asOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: u.ID}, Resource: proj, Level: access.LevelAdmin})
		require.NoError(t, err)
		assert.NoError(t, w.svc.CheckLevel(ctx, p, proj, access.LevelAdmin))
		assert.ErrorIs(t, w.svc.CheckLevel(ctx, p, access.Resource{Type: "project", ID: "43"}, access.LevelAdmin), access.ErrForbidden)
		_, err = w.svc.Grant(ctx, p, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: u.ID}, Resource: proj, Level: access.LevelOwner})
		assert.ErrorIs(t, err, access.ErrForbidden, "no grant above one's own level on the resource")
		_, err = w.svc.Grant(ctx, w.asOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: u.ID}, Resource: proj, Level: 7})
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, "access_level", access.FieldOf(err))
		page, err := w.svc.ListGrants(ctx, w.asOwner, access.GrantFilter{Resources: []access.Resource{proj}})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.Equal(t, g.ID, page.Items[0].ID)
		page, err = w.svc.ListGrants(ctx, w.asOwner, access.GrantFilter{Resources: []access.Resource{{Type: "inbox", ID: "1"}}})
		require.NoError(t, err)
		assert.Empty(t, page.Items)
		_, err = w.svc.ListGrants(ctx, p, access.GrantFilter{})
		assert.ErrorIs(t, err, access.ErrForbidden, "listing needs ADMIN on the account")
		_, err = w.svc.Revoke(ctx, w.asOwner, g.ID)
		require.NoError(t, err)
		assert.ErrorIs(t, w.svc.CheckLevel(ctx, p, proj, access.LevelAdmin), access.ErrForbidden, "revocation is effective at once")
	})

	t.Run("SwitchCompany", func(t *testing.T) {
		w := newWorld(t, newStore)
		u := w.owner
		mk := func(name string) access.Company {
			c, err := w.svc.CreateCompany(ctx, access.UserPrincipal(u.ID, uuid.Nil), access.NewCompany{Name: name})
			require.NoError(t, err)
			return c
		}
		north, south := mk("Northwind Traders"), mk("Southwind Traders")
		p := access.UserPrincipal(u.ID, w.company.ID)
		c, err := w.svc.SwitchCompany(ctx, p, access.SwitchTarget{Name: "northwind traders"})
		require.NoError(t, err)
		assert.Equal(t, north.ID, c.ID, "exact, case-insensitive")
		c, err = w.svc.SwitchCompany(ctx, p, access.SwitchTarget{Name: "southwnd"})
		require.NoError(t, err)
		assert.Equal(t, south.ID, c.ID, "fuzzy and unambiguous")
		got, err := w.svc.GetUser(ctx, p, u.ID)
		require.NoError(t, err)
		assert.Equal(t, south.ID, got.ActiveCompanyID, "remembered on the user")
		_, err = w.svc.SwitchCompany(ctx, p, access.SwitchTarget{Name: "wind traders"})
		var amb *access.AmbiguousError
		require.ErrorAs(t, err, &amb)
		assert.Equal(t, []string{"Northwind Traders", "Southwind Traders"}, amb.Candidates)
		assert.ErrorIs(t, err, access.ErrInvalid)
		_, err = w.svc.SwitchCompany(ctx, p, access.SwitchTarget{CompanyID: uuid.New()})
		assert.ErrorIs(t, err, access.ErrNotFound)

		// allow_switch is honoured.
		guest := w.user(t, "guest")
		_, err = w.svc.AddMember(ctx, access.UserPrincipal(u.ID, north.ID), access.NewMember{Email: guest.Email, Role: access.RoleViewer, NoSwitch: true})
		require.NoError(t, err)
		_, err = w.svc.SwitchCompany(ctx, access.UserPrincipal(guest.ID, uuid.Nil), access.SwitchTarget{CompanyID: north.ID})
		assert.ErrorIs(t, err, access.ErrForbidden)
	})

	t.Run("PrimaryIsOnePerUser", func(t *testing.T) {
		w := newWorld(t, newStore)
		c2, err := w.svc.CreateCompany(ctx, access.UserPrincipal(w.owner.ID, uuid.Nil), access.NewCompany{Name: "Second"})
		require.NoError(t, err)
		p2 := access.UserPrincipal(w.owner.ID, c2.ID)
		_, err = w.svc.UpdateMember(ctx, p2, w.owner.ID, access.MemberUpdate{Primary: ptr(true)})
		require.NoError(t, err)
		page, err := w.svc.ListMyCompanies(ctx, p2, access.MemberFilter{})
		require.NoError(t, err)
		primaries := 0
		for _, uc := range page.Items {
			if uc.Primary {
				primaries++
				assert.Equal(t, c2.ID, uc.CompanyID)
			}
		}
		assert.Equal(t, 1, primaries)
		_, asAdmin := w.member(t, "admin", access.RoleAdmin)
		_, err = w.svc.UpdateMember(ctx, asAdmin, w.owner.ID, access.MemberUpdate{Primary: ptr(false)})
		assert.ErrorIs(t, err, access.ErrForbidden, "only the member chooses their primary company")
	})

	t.Run("BadInputChangesNothing", func(t *testing.T) {
		w := newWorld(t, newStore)
		before, err := w.svc.ListAudit(ctx, w.asOwner, access.PageRequest{Limit: access.MaxPageLimit})
		require.NoError(t, err)
		for _, tc := range []struct {
			field string
			call  func() error
		}{
			{"email", func() error {
				_, err := w.svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "not-an-email"})
				return err
			}},
			{"birthdate", func() error {
				_, err := w.svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "b@example.com", Profile: access.Profile{Birthdate: "yesterday"}})
				return err
			}},
			{"role", func() error {
				_, err := w.svc.AddMember(ctx, w.asOwner, access.NewMember{Email: w.owner.Email, Role: "EMPEROR"})
				return err
			}},
			{"permissions", func() error {
				_, err := w.svc.AddMember(ctx, w.asOwner, access.NewMember{Email: w.owner.Email, Role: access.RoleViewer, Permissions: []string{"FLY"}})
				return err
			}},
			{"name", func() error {
				_, err := w.svc.CreateCompany(ctx, w.asOwner, access.NewCompany{Name: "  "})
				return err
			}},
			{"resource_id", func() error {
				_, err := w.svc.Grant(ctx, w.asOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: w.owner.ID}, Resource: access.Resource{Type: "project"}, Level: access.LevelViewer})
				return err
			}},
			{"cursor", func() error {
				_, err := w.svc.ListMembers(ctx, w.asOwner, access.MemberFilter{Page: access.PageRequest{After: "!!"}})
				return err
			}},
		} {
			err := tc.call()
			assert.ErrorIs(t, err, access.ErrInvalid, tc.field)
			assert.Equal(t, tc.field, access.FieldOf(err))
			assert.Contains(t, err.Error(), tc.field)
		}
		after, err := w.svc.ListAudit(ctx, w.asOwner, access.PageRequest{Limit: access.MaxPageLimit})
		require.NoError(t, err)
		assert.Len(t, after.Items, len(before.Items), "nothing was recorded, so nothing changed")
	})

	t.Run("AddMemberByID", func(t *testing.T) {
		w := newWorld(t, newStore)
		u := w.user(t, "byid")
		m, err := w.svc.AddMember(ctx, w.asOwner, access.NewMember{UserID: u.ID, Role: access.RoleViewer})
		require.NoError(t, err)
		assert.Equal(t, u.Email, m.User.Email)
		_, err = w.svc.AddMember(ctx, w.asOwner, access.NewMember{UserID: uuid.New(), Role: access.RoleViewer})
		assert.ErrorIs(t, err, access.ErrNotFound)
		_, err = w.svc.AddMember(ctx, w.asOwner, access.NewMember{UserID: u.ID, Email: u.Email, Role: access.RoleViewer})
		assert.Equal(t, "user_id", access.FieldOf(err))
	})

	t.Run("Conflicts", func(t *testing.T) {
		w := newWorld(t, newStore)
		_, err := w.svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: " " + w.owner.Email + " "})
		assert.ErrorIs(t, err, access.ErrConflict, "e-mail is unique case-insensitively")
		u, _ := w.member(t, "m", access.RoleViewer)
		_, err = w.svc.AddMember(ctx, w.asOwner, access.NewMember{Email: u.Email, Role: access.RoleViewer})
		assert.ErrorIs(t, err, access.ErrConflict)
		assert.Equal(t, access.CodeAlreadyMember, access.CodeOf(err))
	})

	t.Run("AuditTrail", func(t *testing.T) {
		var hooked []access.AuditEvent
		var mu sync.Mutex
		w := newWorld(t, newStore, access.WithAuditHook(func(e access.AuditEvent) {
			mu.Lock()
			defer mu.Unlock()
			hooked = append(hooked, e)
		}))
		u, _ := w.member(t, "m", access.RoleViewer)
		_, err := w.svc.UpdateMember(ctx, w.asOwner, u.ID, access.MemberUpdate{Role: ptr(access.RoleViewerPlus)})
		require.NoError(t, err)
		_, err = w.svc.UpdateMember(ctx, w.asOwner, w.owner.ID, access.MemberUpdate{Active: ptr(false)})
		require.ErrorIs(t, err, access.ErrLastOwner)
		require.NoError(t, w.svc.RemoveMember(ctx, w.asOwner, u.ID))
		page, err := w.svc.ListAudit(ctx, w.asOwner, access.PageRequest{})
		require.NoError(t, err)
		var actions []string
		for _, e := range page.Items {
			actions = append(actions, e.Action)
			assert.Equal(t, w.company.ID, e.CompanyID)
			assert.False(t, e.At.IsZero())
		}
		assert.Equal(t, []string{"company.created", "membership.created", "membership.created", "membership.updated", "membership.removed"}, actions,
			"the refused change left no event")
		last := page.Items[len(page.Items)-1]
		assert.Equal(t, w.asOwner.String(), last.Actor)
		assert.Equal(t, "user:"+u.ID.String(), last.Target)
		mu.Lock()
		defer mu.Unlock()
		assert.Len(t, hooked, 2+len(actions), "hooks see committed events only (plus the two users created outside the company)")
	})

	t.Run("Pagination", func(t *testing.T) {
		w := newWorld(t, newStore)
		for i := range 7 {
			w.member(t, fmt.Sprintf("m%d", i), access.RoleViewer)
		}
		seen := map[uuid.UUID]bool{}
		req := access.PageRequest{Limit: 3}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 5)
			page, err := w.svc.ListMembers(ctx, w.asOwner, access.MemberFilter{Page: req})
			require.NoError(t, err)
			for _, m := range page.Items {
				assert.False(t, seen[m.UserID], "no member twice")
				seen[m.UserID] = true
				assert.NotEmpty(t, m.User.Email, "joined with the user")
			}
			if pages == 0 {
				w.member(t, "late", access.RoleViewer) // inserted while paging
			}
			if page.Next == "" {
				break
			}
			req.After = page.Next
		}
		assert.Len(t, seen, 9, "owner, seven members and the one added while paging")
	})
}

func testRemovePermissions(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := newWorld(t, newStore)
	u, _ := w.member(t, "viewer", access.RoleViewer, "USER_EDIT", "USER_ADD")
	m, err := w.svc.UpdateMember(ctx, w.asOwner, u.ID, access.MemberUpdate{RemovePermissions: []string{"USER_EDIT"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"USER_ADD", "USER_VIEW"}, m.Extra, "removing EDIT keeps the VIEW that ADD implies")
	m, err = w.svc.UpdateMember(ctx, w.asOwner, u.ID, access.MemberUpdate{RemovePermissions: []string{"USER_VIEW"}})
	require.NoError(t, err)
	assert.Empty(t, m.Extra, "removing VIEW removes what implies it")
	_, err = w.svc.UpdateMember(ctx, w.asOwner, u.ID, access.MemberUpdate{RemovePermissions: []string{"NOPE"}})
	assert.Equal(t, "remove_permissions", access.FieldOf(err))
}

// testAfterCommit: hooks and AfterCommit functions run only after the
// outermost transaction commits, and not for a nested one that failed.
func testAfterCommit(t *testing.T, newStore Factory) {
	ctx := context.Background()
	var hooked []string
	w := newWorld(t, newStore, access.WithAuditHook(func(e access.AuditEvent) { hooked = append(hooked, e.Action) }))
	hooked = nil
	var ran []string
	boom := errors.New("boom")
	err := w.svc.InTx(ctx, func(ctx context.Context) error {
		require.NoError(t, w.svc.Audit(ctx, w.asOwner, w.company.ID, "outer", "x", nil))
		w.svc.AfterCommit(ctx, func() { ran = append(ran, "outer") })
		inner := w.svc.InTx(ctx, func(ctx context.Context) error {
			require.NoError(t, w.svc.Audit(ctx, w.asOwner, w.company.ID, "inner", "x", nil))
			w.svc.AfterCommit(ctx, func() { ran = append(ran, "inner") })
			return boom
		})
		assert.ErrorIs(t, inner, boom)
		assert.Empty(t, ran, "nothing runs before the commit")
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"outer"}, ran)
	assert.Equal(t, []string{"outer"}, hooked, "the failed savepoint's event is gone")

	ran, hooked = nil, nil
	err = w.svc.InTx(ctx, func(ctx context.Context) error {
		w.svc.AfterCommit(ctx, func() { ran = append(ran, "never") })
		return boom
	})
	assert.ErrorIs(t, err, boom)
	assert.Empty(t, ran)
	page, err := w.svc.ListAudit(ctx, w.asOwner, access.PageRequest{Limit: access.MaxPageLimit})
	require.NoError(t, err)
	var actions []string
	for _, e := range page.Items {
		actions = append(actions, e.Action)
	}
	assert.Contains(t, actions, "outer")
	assert.NotContains(t, actions, "inner", "the savepoint's audit row was rolled back")
}

// testReviewFindings covers holes a security review found, on every store.
func testReviewFindings(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("TokenBelowItsCreatorsRoleIsNoOwner", func(t *testing.T) {
		w := newWorld(t, newStore)
		weak := access.TokenPrincipal(uuid.New(), w.owner.ID, w.company.ID, []string{access.UserView}, access.LevelViewer, time.Now())
		assert.ErrorIs(t, w.svc.DeleteCompany(ctx, weak), access.ErrForbidden)
		bare := access.TokenPrincipal(uuid.New(), w.owner.ID, w.company.ID, nil, access.LevelOwner, time.Now())
		assert.ErrorIs(t, w.svc.DeleteCompany(ctx, bare), access.ErrForbidden, "an OWNER-level token without permissions is no OWNER")
		_, err := w.svc.UpdateCompany(ctx, access.TokenPrincipal(uuid.New(), w.owner.ID, w.company.ID, nil, access.LevelAdmin, time.Now()),
			access.CompanyUpdate{Name: ptr("Renamed")})
		assert.ErrorIs(t, err, access.ErrForbidden, "nor may it change the company")
		admin, _ := w.member(t, "admin", access.RoleAdmin)
		adminToken := access.TokenPrincipal(uuid.New(), w.owner.ID, w.company.ID,
			[]string{access.UserView, access.UserEdit}, access.LevelAdmin, time.Now())
		_, err = w.svc.UpdateMember(ctx, adminToken, admin.ID, access.MemberUpdate{Active: ptr(false)})
		assert.ErrorIs(t, err, access.ErrForbidden, "an OWNER's ADMIN-level token cannot manage ADMINs")
	})

	t.Run("TokenDoesNotOutliveItsCreatorsMembership", func(t *testing.T) {
		w := newWorld(t, newStore)
		u, _ := w.member(t, "admin", access.RoleAdmin)
		issued := w.svc.Now()
		tok := access.TokenPrincipal(uuid.New(), u.ID, w.company.ID, []string{access.UserView}, access.LevelAdmin, issued)
		require.NoError(t, w.svc.Check(ctx, tok, access.UserView))
		require.NoError(t, w.svc.RemoveMember(ctx, w.asOwner, u.ID))
		assert.ErrorIs(t, w.svc.Check(ctx, tok, access.UserView), access.ErrNotFound)
		time.Sleep(2 * time.Millisecond) // the new membership is strictly younger than the token
		_, err := w.svc.AddMember(ctx, w.asOwner, access.NewMember{UserID: u.ID, Role: access.RoleAdmin})
		require.NoError(t, err)
		assert.ErrorIs(t, w.svc.Check(ctx, tok, access.UserView), access.ErrForbidden, "re-adding the creator does not revive the token")
		_, err = w.svc.Authorize(ctx, tok, "")
		assert.ErrorIs(t, err, access.ErrForbidden)
		_, err = w.svc.Level(ctx, tok, access.Resource{Type: access.ResourceAccount})
		assert.ErrorIs(t, err, access.ErrForbidden)
	})

	t.Run("AgencyActsOnMembersNotOnTheCompany", func(t *testing.T) {
		w := newWorld(t, newStore)
		agencyOwner := w.user(t, "agency-owner")
		agency, err := w.svc.CreateCompany(ctx, access.UserPrincipal(agencyOwner.ID, uuid.Nil), access.NewCompany{Name: "Agency"})
		require.NoError(t, err)
		now := w.svc.Now()
		require.NoError(t, w.st.CreateConnection(ctx, &access.Connection{ID: w.svc.NewID(), CustomerID: w.company.ID,
			AgencyID: agency.ID, Permissions: []string{access.UserView}, CreatedAt: now, UpdatedAt: now}))
		inCustomer := access.UserPrincipal(agencyOwner.ID, w.company.ID)
		require.NoError(t, w.svc.Check(ctx, inCustomer, access.UserView), "the connection's permission")
		_, err = w.svc.UpdateCompany(ctx, inCustomer, access.CompanyUpdate{Name: ptr("Pwned")})
		assert.ErrorIs(t, err, access.ErrForbidden)
		c, err := w.svc.GetCompany(ctx, w.asOwner, w.company.ID)
		require.NoError(t, err)
		assert.Equal(t, w.company.Name, c.Name)

		// The agency owner's API token does not act through the connection.
		tok := access.TokenPrincipal(uuid.New(), agencyOwner.ID, w.company.ID, []string{access.UserView}, access.LevelOwner, time.Now())
		assert.ErrorIs(t, w.svc.Check(ctx, tok, access.UserView), access.ErrNotFound)
	})

	t.Run("UserByEmailCannotBeProbed", func(t *testing.T) {
		w := newWorld(t, newStore)
		// The owner of another company holds USER_VIEW only there.
		other := w.user(t, "elsewhere")
		oc, err := w.svc.CreateCompany(ctx, access.UserPrincipal(other.ID, uuid.Nil), access.NewCompany{Name: "Elsewhere"})
		require.NoError(t, err)
		asOther := access.UserPrincipal(other.ID, oc.ID)
		_, errKnown := w.svc.GetUserByEmail(ctx, asOther, w.owner.Email)
		_, errUnknown := w.svc.GetUserByEmail(ctx, asOther, "nobody-"+uuid.NewString()[:8]+"@example.com")
		assert.ErrorIs(t, errKnown, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errKnown.Error(), "a known e-mail of another company looks unknown")
		me, err := w.svc.GetUserByEmail(ctx, asOther, other.Email)
		require.NoError(t, err)
		assert.Equal(t, other.ID, me.ID)
	})
}

// failingStore fails the n-th UpdateMembership, to break a multi-step
// change in its middle.
type failingStore struct {
	store.Store
	failOn int32
	calls  atomic.Int32
}

var errInjected = errors.New("injected failure")

func (f *failingStore) UpdateMembership(ctx context.Context, m *access.Membership) error {
	if f.calls.Add(1) == f.failOn {
		return errInjected
	}
	return f.Store.UpdateMembership(ctx, m)
}

// testTransferIsAtomic: ownership transfer writes two memberships; a
// failure after the first leaves both as they were.
func testTransferIsAtomic(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := newWorld(t, newStore)
	admin, _ := w.member(t, "admin", access.RoleAdmin)
	broken := access.NewService(&failingStore{Store: w.st, failOn: 2})
	err := broken.TransferOwnership(ctx, w.asOwner, admin.ID)
	require.ErrorIs(t, err, errInjected, "the callback's error comes back unchanged")
	for id, role := range map[uuid.UUID]string{w.owner.ID: access.RoleOwner, admin.ID: access.RoleAdmin} {
		m, err := w.st.GetMembership(ctx, w.company.ID, id)
		require.NoError(t, err)
		assert.Equal(t, role, m.Role, "nothing of the half-done transfer remains")
	}
	require.NoError(t, w.svc.TransferOwnership(ctx, w.asOwner, admin.ID), "the store works afterwards")
}
