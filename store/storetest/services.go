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

// testAccessFlows runs the rules of DESIGN.md section 4 through the services
// on top of the store, so each is proven on every store.
func testAccessFlows(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("DenyByDefault", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		stranger := w.User(t, "stranger")
		asStranger := access.UserPrincipal(stranger.ID, w.Company.ID)
		assert.ErrorIs(t, w.Access.Check(ctx, access.Principal{}, access.UserView), access.ErrUnauthenticated)
		assert.ErrorIs(t, w.Access.Check(ctx, asStranger, access.UserView), access.ErrNotFound)
		_, err := w.Access.ListMembers(ctx, asStranger, access.MemberFilter{})
		assert.ErrorIs(t, err, access.ErrNotFound)
		_, viewer := w.Member(t, "viewer", access.RoleViewer)
		assert.NoError(t, w.Access.Check(ctx, viewer, access.UserView))
		assert.ErrorIs(t, w.Access.Check(ctx, viewer, access.UserEdit), access.ErrForbidden)
		err = w.Access.Check(ctx, w.AsOwner, "NO_SUCH_PERMISSION")
		assert.ErrorIs(t, err, access.ErrInvalid, "an unknown permission is a mistake, not a refusal")
		assert.Equal(t, "permission", access.FieldOf(err))
		assert.Contains(t, err.Error(), "NO_SUCH_PERMISSION")
		_, err = w.Access.AddMember(ctx, viewer, access.NewMember{Email: stranger.Email, Role: access.RoleViewer})
		assert.ErrorIs(t, err, access.ErrForbidden)
	})

	t.Run("RemovePermissions", func(t *testing.T) { testRemovePermissions(t, newStore) })
	t.Run("RemoveRolePermissions", func(t *testing.T) { testWithheldPermissions(t, newStore) }) // withheld.go
	t.Run("AfterCommit", func(t *testing.T) { testAfterCommit(t, newStore) })
	t.Run("ReviewFindings", func(t *testing.T) { testReviewFindings(t, newStore) })
	t.Run("TransferIsAtomic", func(t *testing.T) { testTransferIsAtomic(t, newStore) })

	t.Run("ExtraPermissionsAndImplication", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		_, viewer := w.Member(t, "viewer", access.RoleViewer, access.UserAdd)
		assert.NoError(t, w.Access.Check(ctx, viewer, access.UserAdd))
		assert.ErrorIs(t, w.Access.Check(ctx, viewer, access.UserDelete), access.ErrForbidden)
		m, err := w.Access.GetMember(ctx, viewer, viewer.UserID)
		require.NoError(t, err)
		assert.Equal(t, []string{access.UserAdd, access.UserView}, m.Extra, "USER_ADD implies USER_VIEW")
	})

	t.Run("NoOneGrantsMoreThanTheyHold", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		_, admin := w.Member(t, "admin", access.RoleAdmin)
		_, vp := w.Member(t, "vplus", access.RoleViewerPlus, access.UserAdd)
		target := w.User(t, "target")
		_, err := w.Access.AddMember(ctx, admin, access.NewMember{Email: target.Email, Role: access.RoleOwner})
		assert.ErrorIs(t, err, access.ErrForbidden, "ADMIN cannot grant OWNER")
		_, err = w.Access.AddMember(ctx, vp, access.NewMember{Email: target.Email, Role: access.RoleAdmin})
		assert.ErrorIs(t, err, access.ErrForbidden, "VIEWER_PLUS cannot grant ADMIN")
		_, err = w.Access.AddMember(ctx, vp, access.NewMember{Email: target.Email, Role: access.RoleViewer, Permissions: []string{access.UserDelete}})
		assert.ErrorIs(t, err, access.ErrForbidden, "a permission the granter lacks")
		// Consented: the users are strangers, who join only by consent (consent.go).
		_, err = w.Access.AddMember(ctx, vp, access.NewMember{Email: target.Email, Role: access.RoleViewer, Permissions: []string{access.UserAdd}, Consented: true})
		assert.NoError(t, err, "a permission the granter holds")
		_, err = w.Access.AddMember(ctx, admin, access.NewMember{Email: w.User(t, "a2").Email, Role: access.RoleAdmin, Consented: true})
		assert.NoError(t, err, "ADMIN may grant ADMIN (not above their own level)")
	})

	t.Run("NoOneRaisesTheirOwnRole", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		admin, asAdmin := w.Member(t, "admin", access.RoleAdmin)
		_, err := w.Access.UpdateMember(ctx, asAdmin, admin.ID, access.MemberUpdate{Role: new(access.RoleOwner)})
		assert.ErrorIs(t, err, access.ErrForbidden)
		m, err := w.Access.GetMember(ctx, w.AsOwner, admin.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleAdmin, m.Role)
		_, err = w.Access.UpdateMember(ctx, asAdmin, admin.ID, access.MemberUpdate{Role: new(access.RoleViewer)})
		assert.NoError(t, err, "lowering one's own role is allowed")
	})

	t.Run("OnlyOwnerTouchesEqualOrHigher", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		_, asAdmin := w.Member(t, "admin", access.RoleAdmin)
		other, _ := w.Member(t, "admin2", access.RoleAdmin)
		viewer, _ := w.Member(t, "viewer", access.RoleViewer)
		_, err := w.Access.UpdateMember(ctx, asAdmin, other.ID, access.MemberUpdate{Active: new(false)})
		assert.ErrorIs(t, err, access.ErrForbidden)
		assert.ErrorIs(t, w.Access.RemoveMember(ctx, asAdmin, other.ID), access.ErrForbidden)
		assert.ErrorIs(t, w.Access.RemoveMember(ctx, asAdmin, w.Owner.ID), access.ErrForbidden)
		_, err = w.Access.UpdateMember(ctx, asAdmin, viewer.ID, access.MemberUpdate{Role: new(access.RoleViewerPlus)})
		assert.NoError(t, err, "ADMIN manages a lower member")
		_, err = w.Access.UpdateMember(ctx, w.AsOwner, other.ID, access.MemberUpdate{Active: new(false)})
		assert.NoError(t, err, "OWNER manages an ADMIN")
		page, err := w.Access.ListMembers(ctx, asAdmin, access.MemberFilter{})
		require.NoError(t, err)
		editable := map[uuid.UUID]bool{}
		for _, m := range page.Items {
			editable[m.UserID] = m.Editable
		}
		assert.Equal(t, map[uuid.UUID]bool{w.Owner.ID: false, asAdmin.UserID: false, other.ID: false, viewer.ID: true}, editable)
	})

	t.Run("LastOwner", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		_, err := w.Access.UpdateMember(ctx, w.AsOwner, w.Owner.ID, access.MemberUpdate{Role: new(access.RoleAdmin)})
		assert.ErrorIs(t, err, access.ErrLastOwner)
		assert.ErrorIs(t, err, access.ErrConflict)
		_, err = w.Access.UpdateMember(ctx, w.AsOwner, w.Owner.ID, access.MemberUpdate{Active: new(false)})
		assert.ErrorIs(t, err, access.ErrLastOwner)
		assert.ErrorIs(t, w.Access.RemoveMember(ctx, w.AsOwner, w.Owner.ID), access.ErrLastOwner)
		m, err := w.Access.GetMember(ctx, w.AsOwner, w.Owner.ID)
		require.NoError(t, err)
		assert.True(t, m.Active)
		assert.Equal(t, access.RoleOwner, m.Role, "a refused change changes nothing")

		second, _ := w.Member(t, "second", access.RoleOwner)
		assert.NoError(t, w.Access.RemoveMember(ctx, w.AsOwner, w.Owner.ID), "with another owner the first may leave")
		asSecond := access.UserPrincipal(second.ID, w.Company.ID)
		assert.ErrorIs(t, w.Access.RemoveMember(ctx, asSecond, second.ID), access.ErrLastOwner)
	})

	t.Run("LastOwnerUnderConcurrency", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		owners := []access.User{w.Owner}
		for i := range 4 {
			u, _ := w.Member(t, fmt.Sprintf("owner%d", i), access.RoleOwner)
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
				p := access.UserPrincipal(actor.ID, w.Company.ID)
				var err error
				switch i % 3 {
				case 0:
					_, err = w.Access.UpdateMember(ctx, p, target.ID, access.MemberUpdate{Role: new(access.RoleAdmin)})
				case 1:
					_, err = w.Access.UpdateMember(ctx, p, target.ID, access.MemberUpdate{Active: new(false)})
				default:
					err = w.Access.RemoveMember(ctx, p, target.ID)
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
		n, err := w.Store.CountActiveOwners(ctx, w.Company.ID)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, 1, "the company keeps an active OWNER")
	})

	t.Run("TransferOwnership", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		admin, asAdmin := w.Member(t, "admin", access.RoleAdmin)
		assert.ErrorIs(t, w.Access.TransferOwnership(ctx, asAdmin, w.Owner.ID), access.ErrForbidden)
		require.NoError(t, w.Access.TransferOwnership(ctx, w.AsOwner, admin.ID))
		a, err := w.Access.GetMember(ctx, asAdmin, admin.ID)
		require.NoError(t, err)
		o, err := w.Access.GetMember(ctx, asAdmin, w.Owner.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleOwner, a.Role)
		assert.Equal(t, access.RoleAdmin, o.Role)
	})

	t.Run("DeactivatedAndRemovedFailEveryCheck", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		u, p := w.Member(t, "admin", access.RoleAdmin)
		require.NoError(t, w.Access.Check(ctx, p, access.UserView))
		_, err := w.Access.UpdateMember(ctx, w.AsOwner, u.ID, access.MemberUpdate{Active: new(false)})
		require.NoError(t, err)
		assert.ErrorIs(t, w.Access.Check(ctx, p, access.UserView), access.ErrForbidden)
		assert.ErrorIs(t, w.Access.CheckLevel(ctx, p, access.Resource{Type: "project", ID: "p1"}, access.LevelViewer), access.ErrForbidden)
		m, err := w.Access.GetMember(ctx, w.AsOwner, u.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleAdmin, m.Role, "a deactivated member keeps the role")
		_, err = w.Access.UpdateMember(ctx, w.AsOwner, u.ID, access.MemberUpdate{Active: new(true)})
		require.NoError(t, err)
		assert.NoError(t, w.Access.Check(ctx, p, access.UserView))
		require.NoError(t, w.Access.RemoveMember(ctx, w.AsOwner, u.ID))
		assert.ErrorIs(t, w.Access.Check(ctx, p, access.UserView), access.ErrNotFound)
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		other := w.User(t, "other-owner")
		oc, err := w.Access.CreateCompany(ctx, access.UserPrincipal(other.ID, uuid.Nil), access.NewCompany{Name: "Other"})
		require.NoError(t, err)
		asOther := access.UserPrincipal(other.ID, oc.ID)
		g, err := w.Access.Grant(ctx, asOther, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: other.ID},
			Resource: access.Resource{Type: "project", ID: "x"}, Level: access.LevelViewer})
		require.NoError(t, err)

		// The other company's member, grant and company look exactly like
		// unknown IDs.
		_, errForeign := w.Access.GetMember(ctx, w.AsOwner, other.ID)
		_, errUnknown := w.Access.GetMember(ctx, w.AsOwner, uuid.New())
		assert.ErrorIs(t, errForeign, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errForeign.Error())
		_, errForeign = w.Access.Revoke(ctx, w.AsOwner, g.ID)
		_, errUnknown = w.Access.Revoke(ctx, w.AsOwner, uuid.New())
		assert.ErrorIs(t, errForeign, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errForeign.Error())
		_, errForeign = w.Access.GetCompany(ctx, w.AsOwner, oc.ID)
		_, errUnknown = w.Access.GetCompany(ctx, w.AsOwner, uuid.New())
		assert.ErrorIs(t, errForeign, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errForeign.Error())
		_, errForeign = w.Access.GetUser(ctx, w.AsOwner, other.ID)
		_, errUnknown = w.Access.GetUser(ctx, w.AsOwner, uuid.New())
		assert.ErrorIs(t, errForeign, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errForeign.Error())
		assert.ErrorIs(t, w.Access.RemoveMember(ctx, w.AsOwner, other.ID), access.ErrNotFound)
		// Acting in a company one does not belong to.
		assert.ErrorIs(t, w.Access.Check(ctx, access.UserPrincipal(w.Owner.ID, oc.ID), access.UserView), access.ErrNotFound)
	})

	t.Run("ResourceGrants", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		u, p := w.Member(t, "viewer", access.RoleViewer)
		proj := access.Resource{Type: "project", ID: "42"}
		lvl, err := w.Access.Level(ctx, p, proj)
		require.NoError(t, err)
		assert.Equal(t, access.LevelViewer, lvl)
		g, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: u.ID}, Resource: proj, Level: access.LevelAdmin})
		require.NoError(t, err)
		assert.NoError(t, w.Access.CheckLevel(ctx, p, proj, access.LevelAdmin))
		assert.ErrorIs(t, w.Access.CheckLevel(ctx, p, access.Resource{Type: "project", ID: "43"}, access.LevelAdmin), access.ErrForbidden)
		_, err = w.Access.Grant(ctx, p, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: u.ID}, Resource: proj, Level: access.LevelOwner})
		assert.ErrorIs(t, err, access.ErrForbidden, "no grant above one's own level on the resource")
		_, err = w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: u.ID}, Resource: proj, Level: 7})
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, "access_level", access.FieldOf(err))
		page, err := w.Access.ListGrants(ctx, w.AsOwner, access.GrantFilter{Resources: []access.Resource{proj}})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.Equal(t, g.ID, page.Items[0].ID)
		page, err = w.Access.ListGrants(ctx, w.AsOwner, access.GrantFilter{Resources: []access.Resource{{Type: "inbox", ID: "1"}}})
		require.NoError(t, err)
		assert.Empty(t, page.Items)
		_, err = w.Access.ListGrants(ctx, p, access.GrantFilter{})
		assert.ErrorIs(t, err, access.ErrForbidden, "listing needs ADMIN on the account")
		_, err = w.Access.Revoke(ctx, w.AsOwner, g.ID)
		require.NoError(t, err)
		assert.ErrorIs(t, w.Access.CheckLevel(ctx, p, proj, access.LevelAdmin), access.ErrForbidden, "revocation is effective at once")
	})

	t.Run("SwitchCompany", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		u := w.Owner
		mk := func(name string) access.Company {
			c, err := w.Access.CreateCompany(ctx, access.UserPrincipal(u.ID, uuid.Nil), access.NewCompany{Name: name})
			require.NoError(t, err)
			return c
		}
		north, south := mk("Northwind Traders"), mk("Southwind Traders")
		p := access.UserPrincipal(u.ID, w.Company.ID)
		c, err := w.Access.SwitchCompany(ctx, p, access.SwitchTarget{Name: "northwind traders"})
		require.NoError(t, err)
		assert.Equal(t, north.ID, c.ID, "exact, case-insensitive")
		c, err = w.Access.SwitchCompany(ctx, p, access.SwitchTarget{Name: "southwnd"})
		require.NoError(t, err)
		assert.Equal(t, south.ID, c.ID, "fuzzy and unambiguous")
		got, err := w.Access.GetUser(ctx, p, u.ID)
		require.NoError(t, err)
		assert.Equal(t, south.ID, got.ActiveCompanyID, "remembered on the user")
		_, err = w.Access.SwitchCompany(ctx, p, access.SwitchTarget{Name: "wind traders"})
		var amb *access.AmbiguousError
		require.ErrorAs(t, err, &amb)
		assert.Equal(t, []string{"Northwind Traders", "Southwind Traders"}, amb.Candidates)
		assert.ErrorIs(t, err, access.ErrInvalid)
		_, err = w.Access.SwitchCompany(ctx, p, access.SwitchTarget{CompanyID: uuid.New()})
		assert.ErrorIs(t, err, access.ErrNotFound)

		// allow_switch is honoured.
		guest := w.User(t, "guest")
		_, err = w.Access.AddMember(ctx, access.UserPrincipal(u.ID, north.ID), access.NewMember{Email: guest.Email, Role: access.RoleViewer, NoSwitch: true, Consented: true})
		require.NoError(t, err)
		_, err = w.Access.SwitchCompany(ctx, access.UserPrincipal(guest.ID, uuid.Nil), access.SwitchTarget{CompanyID: north.ID})
		assert.ErrorIs(t, err, access.ErrForbidden)
	})

	t.Run("PrimaryIsOnePerUser", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		c2, err := w.Access.CreateCompany(ctx, access.UserPrincipal(w.Owner.ID, uuid.Nil), access.NewCompany{Name: "Second"})
		require.NoError(t, err)
		p2 := access.UserPrincipal(w.Owner.ID, c2.ID)
		_, err = w.Access.UpdateMember(ctx, p2, w.Owner.ID, access.MemberUpdate{Primary: new(true)})
		require.NoError(t, err)
		page, err := w.Access.ListMyCompanies(ctx, p2, access.MemberFilter{})
		require.NoError(t, err)
		primaries := 0
		for _, uc := range page.Items {
			if uc.Primary {
				primaries++
				assert.Equal(t, c2.ID, uc.CompanyID)
			}
		}
		assert.Equal(t, 1, primaries)
		_, asAdmin := w.Member(t, "admin", access.RoleAdmin)
		_, err = w.Access.UpdateMember(ctx, asAdmin, w.Owner.ID, access.MemberUpdate{Primary: new(false)})
		assert.ErrorIs(t, err, access.ErrForbidden, "only the member chooses their primary company")
	})

	t.Run("BadInputChangesNothing", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		before, err := w.Access.ListAudit(ctx, w.AsOwner, access.PageRequest{Limit: access.MaxPageLimit})
		require.NoError(t, err)
		for _, tc := range []struct {
			field string
			call  func() error
		}{
			{"email", func() error {
				_, err := w.Access.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "not-an-email"})
				return err
			}},
			{"birthdate", func() error {
				_, err := w.Access.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "b@example.com", Profile: access.Profile{Birthdate: "yesterday"}})
				return err
			}},
			{"role", func() error {
				_, err := w.Access.AddMember(ctx, w.AsOwner, access.NewMember{Email: w.Owner.Email, Role: "EMPEROR"})
				return err
			}},
			{"permissions", func() error {
				_, err := w.Access.AddMember(ctx, w.AsOwner, access.NewMember{Email: w.Owner.Email, Role: access.RoleViewer, Permissions: []string{"FLY"}})
				return err
			}},
			{"name", func() error {
				_, err := w.Access.CreateCompany(ctx, w.AsOwner, access.NewCompany{Name: "  "})
				return err
			}},
			{"resource_id", func() error {
				_, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: w.Owner.ID}, Resource: access.Resource{Type: "project"}, Level: access.LevelViewer})
				return err
			}},
			{"cursor", func() error {
				_, err := w.Access.ListMembers(ctx, w.AsOwner, access.MemberFilter{Page: access.PageRequest{After: "!!"}})
				return err
			}},
		} {
			err := tc.call()
			assert.ErrorIs(t, err, access.ErrInvalid, tc.field)
			assert.Equal(t, tc.field, access.FieldOf(err))
			assert.Contains(t, err.Error(), tc.field)
		}
		after, err := w.Access.ListAudit(ctx, w.AsOwner, access.PageRequest{Limit: access.MaxPageLimit})
		require.NoError(t, err)
		assert.Len(t, after.Items, len(before.Items), "nothing was recorded, so nothing changed")
	})

	t.Run("AddMemberByID", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		u := w.User(t, "byid")
		// Named by ID, a user is found only by someone they share a company with.
		_, errStranger := w.Access.AddMember(ctx, w.AsOwner, access.NewMember{UserID: u.ID, Role: access.RoleViewer})
		_, errUnknown := w.Access.AddMember(ctx, w.AsOwner, access.NewMember{UserID: uuid.New(), Role: access.RoleViewer})
		assert.ErrorIs(t, errUnknown, access.ErrNotFound)
		assert.ErrorIs(t, errStranger, access.ErrNotFound, "a user sharing no company looks unknown")
		second, _ := w.NewCompany(t, access.NewCompany{Name: "Second"}, w.Owner)
		w.AddMember(t, second.ID, u, access.RoleViewer)
		m, err := w.Access.AddMember(ctx, w.AsOwner, access.NewMember{UserID: u.ID, Role: access.RoleViewer})
		require.NoError(t, err)
		assert.Equal(t, u.Email, m.User.Email)
		_, err = w.Access.AddMember(ctx, w.AsOwner, access.NewMember{UserID: u.ID, Email: u.Email, Role: access.RoleViewer})
		assert.Equal(t, "user_id", access.FieldOf(err))
	})

	t.Run("Conflicts", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		_, err := w.Access.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: " " + w.Owner.Email + " "})
		assertConflict(t, err, access.CodeEmailTaken, "e-mail is unique case-insensitively")
		u, _ := w.Member(t, "m", access.RoleViewer)
		_, err = w.Access.AddMember(ctx, w.AsOwner, access.NewMember{Email: u.Email, Role: access.RoleViewer})
		assertConflict(t, err, access.CodeAlreadyMember)
	})

	t.Run("AuditTrail", func(t *testing.T) {
		var hooked []access.AuditEvent
		var mu sync.Mutex
		w := NewWorld(t, newStore(t), WithAccess(access.WithAuditHook(func(e access.AuditEvent) {
			mu.Lock()
			defer mu.Unlock()
			hooked = append(hooked, e)
		})))
		u, _ := w.Member(t, "m", access.RoleViewer)
		_, err := w.Access.UpdateMember(ctx, w.AsOwner, u.ID, access.MemberUpdate{Role: new(access.RoleViewerPlus)})
		require.NoError(t, err)
		_, err = w.Access.UpdateMember(ctx, w.AsOwner, w.Owner.ID, access.MemberUpdate{Active: new(false)})
		require.ErrorIs(t, err, access.ErrLastOwner)
		require.NoError(t, w.Access.RemoveMember(ctx, w.AsOwner, u.ID))
		page, err := w.Access.ListAudit(ctx, w.AsOwner, access.PageRequest{})
		require.NoError(t, err)
		var actions []string
		for _, e := range page.Items {
			actions = append(actions, e.Action)
			assert.Equal(t, w.Company.ID, e.CompanyID)
			assert.False(t, e.At.IsZero())
		}
		assert.Equal(t, []string{"company.created", "membership.created", "membership.created", "membership.updated", "membership.removed"}, actions,
			"the refused change left no event")
		last := page.Items[len(page.Items)-1]
		assert.Equal(t, w.AsOwner.String(), last.Actor)
		assert.Equal(t, "user:"+u.ID.String(), last.Target)
		mu.Lock()
		defer mu.Unlock()
		assert.Len(t, hooked, 2+len(actions), "hooks see committed events only (plus the two users created outside the company)")
	})

	t.Run("Pagination", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		for i := range 7 {
			w.Member(t, fmt.Sprintf("m%d", i), access.RoleViewer)
		}
		seen := map[uuid.UUID]bool{}
		req := access.PageRequest{Limit: 3}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 5)
			page, err := w.Access.ListMembers(ctx, w.AsOwner, access.MemberFilter{Page: req})
			require.NoError(t, err)
			for _, m := range page.Items {
				assert.False(t, seen[m.UserID], "no member twice")
				seen[m.UserID] = true
				assert.NotEmpty(t, m.User.Email, "joined with the user")
			}
			if pages == 0 {
				w.Member(t, "late", access.RoleViewer) // inserted while paging
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
	w := NewWorld(t, newStore(t))
	u, _ := w.Member(t, "viewer", access.RoleViewer, "USER_EDIT", "USER_ADD")
	m, err := w.Access.UpdateMember(ctx, w.AsOwner, u.ID, access.MemberUpdate{RemovePermissions: []string{"USER_EDIT"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"USER_ADD", "USER_VIEW"}, m.Extra, "removing EDIT keeps the VIEW that ADD implies")
	m, err = w.Access.UpdateMember(ctx, w.AsOwner, u.ID, access.MemberUpdate{RemovePermissions: []string{"USER_VIEW"}})
	require.NoError(t, err)
	assert.Empty(t, m.Extra, "removing VIEW removes what implies it")
	_, err = w.Access.UpdateMember(ctx, w.AsOwner, u.ID, access.MemberUpdate{RemovePermissions: []string{"NOPE"}})
	assert.Equal(t, access.FieldRemoveRoles, access.FieldOf(err))
}

// testAfterCommit: hooks and AfterCommit functions run only after the
// outermost transaction commits, and not for a nested one that failed.
func testAfterCommit(t *testing.T, newStore Factory) {
	ctx := context.Background()
	var hooked []string
	w := NewWorld(t, newStore(t), WithAccess(access.WithAuditHook(func(e access.AuditEvent) { hooked = append(hooked, e.Action) })))
	hooked = nil
	var ran []string
	boom := errors.New("boom")
	err := w.Access.InTx(ctx, func(ctx context.Context) error {
		require.NoError(t, w.Access.Audit(ctx, w.AsOwner, w.Company.ID, "outer", "x", nil))
		w.Access.AfterCommit(ctx, func() { ran = append(ran, "outer") })
		inner := w.Access.InTx(ctx, func(ctx context.Context) error {
			require.NoError(t, w.Access.Audit(ctx, w.AsOwner, w.Company.ID, "inner", "x", nil))
			w.Access.AfterCommit(ctx, func() { ran = append(ran, "inner") })
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
	err = w.Access.InTx(ctx, func(ctx context.Context) error {
		w.Access.AfterCommit(ctx, func() { ran = append(ran, "never") })
		return boom
	})
	assert.ErrorIs(t, err, boom)
	assert.Empty(t, ran)
	page, err := w.Access.ListAudit(ctx, w.AsOwner, access.PageRequest{Limit: access.MaxPageLimit})
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
		w := NewWorld(t, newStore(t))
		weak := access.TokenPrincipal(uuid.New(), w.Owner.ID, w.Company.ID, []string{access.UserView}, access.LevelViewer, w.Clock.Now())
		assert.ErrorIs(t, w.Access.DeleteCompany(ctx, weak), access.ErrForbidden)
		bare := access.TokenPrincipal(uuid.New(), w.Owner.ID, w.Company.ID, nil, access.LevelOwner, w.Clock.Now())
		assert.ErrorIs(t, w.Access.DeleteCompany(ctx, bare), access.ErrForbidden, "an OWNER-level token without permissions is no OWNER")
		_, err := w.Access.UpdateCompany(ctx, access.TokenPrincipal(uuid.New(), w.Owner.ID, w.Company.ID, nil, access.LevelAdmin, w.Clock.Now()),
			access.CompanyUpdate{Name: new("Renamed")})
		assert.ErrorIs(t, err, access.ErrForbidden, "nor may it change the company")
		admin, _ := w.Member(t, "admin", access.RoleAdmin)
		adminToken := access.TokenPrincipal(uuid.New(), w.Owner.ID, w.Company.ID,
			[]string{access.UserView, access.UserEdit}, access.LevelAdmin, w.Clock.Now())
		_, err = w.Access.UpdateMember(ctx, adminToken, admin.ID, access.MemberUpdate{Active: new(false)})
		assert.ErrorIs(t, err, access.ErrForbidden, "an OWNER's ADMIN-level token cannot manage ADMINs")
	})

	t.Run("TokenDoesNotOutliveItsCreatorsMembership", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		u, _ := w.Member(t, "admin", access.RoleAdmin)
		issued := w.Access.Now()
		tok := access.TokenPrincipal(uuid.New(), u.ID, w.Company.ID, []string{access.UserView}, access.LevelAdmin, issued)
		require.NoError(t, w.Access.Check(ctx, tok, access.UserView))
		require.NoError(t, w.Access.RemoveMember(ctx, w.AsOwner, u.ID))
		assert.ErrorIs(t, w.Access.Check(ctx, tok, access.UserView), access.ErrNotFound)
		w.Clock.Advance(time.Second) // the new membership is strictly younger than the token
		w.AddMember(t, w.Company.ID, u, access.RoleAdmin)
		assert.ErrorIs(t, w.Access.Check(ctx, tok, access.UserView), access.ErrForbidden, "re-adding the creator does not revive the token")
		_, err := w.Access.Authorize(ctx, tok, "")
		assert.ErrorIs(t, err, access.ErrForbidden)
		_, err = w.Access.Level(ctx, tok, access.Resource{Type: access.ResourceAccount})
		assert.ErrorIs(t, err, access.ErrForbidden)
	})

	t.Run("AgencyActsOnMembersNotOnTheCompany", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		agencyOwner := w.User(t, "agency-owner")
		agency, err := w.Access.CreateCompany(ctx, access.UserPrincipal(agencyOwner.ID, uuid.Nil), access.NewCompany{Name: "Agency"})
		require.NoError(t, err)
		now := w.Access.Now()
		require.NoError(t, w.Store.CreateConnection(ctx, &access.Connection{ID: w.Access.NewID(), CustomerID: w.Company.ID,
			AgencyID: agency.ID, Permissions: []string{access.UserView}, CreatedAt: now, UpdatedAt: now}))
		inCustomer := access.UserPrincipal(agencyOwner.ID, w.Company.ID)
		require.NoError(t, w.Access.Check(ctx, inCustomer, access.UserView), "the connection's permission")
		_, err = w.Access.UpdateCompany(ctx, inCustomer, access.CompanyUpdate{Name: new("Pwned")})
		assert.ErrorIs(t, err, access.ErrForbidden)
		c, err := w.Access.GetCompany(ctx, w.AsOwner, w.Company.ID)
		require.NoError(t, err)
		assert.Equal(t, w.Company.Name, c.Name)

		// A token of the customer made by the agency's owner does not act
		// through its creator's connection: a token reaches only through
		// its own company's connections.
		tok := access.TokenPrincipal(uuid.New(), agencyOwner.ID, w.Company.ID, []string{access.UserView}, access.LevelOwner, w.Clock.Now())
		assert.ErrorIs(t, w.Access.Check(ctx, tok, access.UserView), access.ErrNotFound)
		// The agency's own token does, with no more than the connection
		// holds, and no more than that on the company either.
		w.Clock.Advance(time.Second)
		agencyTok := access.TokenPrincipal(uuid.New(), agencyOwner.ID, agency.ID,
			[]string{access.UserView, access.UserEdit, access.UserDelete}, access.LevelOwner, w.Clock.Now()).In(w.Company.ID)
		require.NoError(t, w.Access.Check(ctx, agencyTok, access.UserView))
		assert.ErrorIs(t, w.Access.Check(ctx, agencyTok, access.UserEdit), access.ErrForbidden)
		_, err = w.Access.UpdateCompany(ctx, agencyTok, access.CompanyUpdate{Name: new("Pwned")})
		assert.ErrorIs(t, err, access.ErrForbidden)
		assert.ErrorIs(t, w.Access.DeleteCompany(ctx, agencyTok), access.ErrForbidden)
		c, err = w.Access.GetCompany(ctx, w.AsOwner, w.Company.ID)
		require.NoError(t, err)
		assert.Equal(t, w.Company.Name, c.Name)
	})

	t.Run("UserByEmailCannotBeProbed", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		// The owner of another company holds USER_VIEW only there.
		other := w.User(t, "elsewhere")
		oc, err := w.Access.CreateCompany(ctx, access.UserPrincipal(other.ID, uuid.Nil), access.NewCompany{Name: "Elsewhere"})
		require.NoError(t, err)
		asOther := access.UserPrincipal(other.ID, oc.ID)
		_, errKnown := w.Access.GetUserByEmail(ctx, asOther, w.Owner.Email)
		_, errUnknown := w.Access.GetUserByEmail(ctx, asOther, "nobody-"+uuid.NewString()[:8]+"@example.com")
		assert.ErrorIs(t, errKnown, access.ErrNotFound)
		assert.Equal(t, errUnknown.Error(), errKnown.Error(), "a known e-mail of another company looks unknown")
		me, err := w.Access.GetUserByEmail(ctx, asOther, other.Email)
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
	w := NewWorld(t, newStore(t))
	admin, _ := w.Member(t, "admin", access.RoleAdmin)
	broken := access.NewService(&failingStore{Store: w.Store, failOn: 2})
	err := broken.TransferOwnership(ctx, w.AsOwner, admin.ID)
	require.ErrorIs(t, err, errInjected, "the callback's error comes back unchanged")
	for id, role := range map[uuid.UUID]string{w.Owner.ID: access.RoleOwner, admin.ID: access.RoleAdmin} {
		m, err := w.Store.GetMembership(ctx, w.Company.ID, id)
		require.NoError(t, err)
		assert.Equal(t, role, m.Role, "nothing of the half-done transfer remains")
	}
	require.NoError(t, w.Access.TransferOwnership(ctx, w.AsOwner, admin.ID), "the store works afterwards")
}
