package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// Company roles (issue 15), in this file:
//   - testCompanyRoleRows: the store contract (round trip, one code per
//     company, tenant isolation, paging, holders, replacement, cascade).
//   - testCompanyRoleService: the rank rules of defining roles, the
//     catalogue by origin, the audit trail.

func (f *rows) companyRole(companyID uuid.UUID, code string, level int, perms ...string) access.CompanyRole {
	f.t.Helper()
	r := access.CompanyRole{ID: newID(), CompanyID: companyID, Code: code, Name: "Role " + code, Level: level,
		Permissions: perms, CreatedAt: f.now, UpdatedAt: f.now}
	require.NoError(f.t, f.s.CreateCompanyRole(f.ctx, &r))
	return r
}

func normRole(r access.CompanyRole) access.CompanyRole {
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if len(r.Permissions) == 0 {
		r.Permissions = nil
	}
	return r
}

func testCompanyRoleRows(t *testing.T, newStore Factory) {
	t.Run("round trip and isolation", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		r := f.companyRole(c.ID, "SUPPORT", 40, access.UserView)
		got, err := f.s.GetCompanyRole(f.ctx, c.ID, "SUPPORT", false)
		require.NoError(t, err)
		assert.Equal(t, normRole(r), normRole(got))
		got, err = f.s.GetCompanyRoleByID(f.ctx, c.ID, r.ID)
		require.NoError(t, err)
		assert.Equal(t, normRole(r), normRole(got))
		_, err = f.s.GetCompanyRole(f.ctx, other.ID, "SUPPORT", false)
		assertNotFound(t, err, access.CodeRoleNotFound, "another company's role by code")
		_, err = f.s.GetCompanyRoleByID(f.ctx, other.ID, r.ID)
		assertNotFound(t, err, access.CodeRoleNotFound, "another company's role by ID")
		assertNotFound(t, f.s.DeleteCompanyRole(f.ctx, other.ID, r.ID), access.CodeRoleNotFound)
		moved := r
		moved.CompanyID = other.ID
		assertNotFound(t, f.s.UpdateCompanyRole(f.ctx, &moved), access.CodeRoleNotFound)

		dup := access.CompanyRole{ID: newID(), CompanyID: c.ID, Code: "SUPPORT", Name: "x", Level: 1, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateCompanyRole(f.ctx, &dup), access.CodeRoleTaken)
		dup.CompanyID = other.ID
		require.NoError(t, f.s.CreateCompanyRole(f.ctx, &dup), "the same code in another company")
		sameID := access.CompanyRole{ID: r.ID, CompanyID: c.ID, Code: "OTHER", Name: "x", Level: 1, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateCompanyRole(f.ctx, &sameID), access.CodeIDTaken)
		orphan := access.CompanyRole{ID: newID(), CompanyID: newID(), Code: "X", Name: "x", Level: 1, CreatedAt: f.now, UpdatedAt: f.now}
		assertNotFound(t, f.s.CreateCompanyRole(f.ctx, &orphan), access.CodeCompanyNotFound)

		r.Name, r.Level, r.Permissions, r.UpdatedAt = "Support agent", 45, []string{access.UserEdit, access.UserView}, f.now.Add(1)
		require.NoError(t, f.s.UpdateCompanyRole(f.ctx, &r))
		r.UpdatedAt = r.UpdatedAt.Truncate(1000) // microseconds, as both stores keep
		got, err = f.s.GetCompanyRole(f.ctx, c.ID, "SUPPORT", false)
		require.NoError(t, err)
		assert.Equal(t, "Support agent", got.Name)
		assert.Equal(t, 45, got.Level)
		assert.Equal(t, []string{access.UserEdit, access.UserView}, got.Permissions)

		err = f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			l, err := f.s.LockCompanyRole(ctx, c.ID, r.ID)
			if err == nil {
				assert.Equal(t, "SUPPORT", l.Code)
			}
			_, err2 := f.s.LockCompanyRole(ctx, other.ID, r.ID)
			assertNotFound(t, err2, access.CodeRoleNotFound, "locking another company's role")
			return err
		})
		require.NoError(t, err)

		require.NoError(t, f.s.DeleteCompanyRole(f.ctx, c.ID, r.ID))
		_, err = f.s.GetCompanyRole(f.ctx, c.ID, "SUPPORT", false)
		assertNotFound(t, err, access.CodeRoleNotFound)
		assertNotFound(t, f.s.DeleteCompanyRole(f.ctx, c.ID, r.ID), access.CodeRoleNotFound)
	})
	t.Run("list pages by ID and a rolled back create leaves nothing", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		var want []access.CompanyRole
		for i := range 5 {
			want = append(want, normRole(f.companyRole(c.ID, fmt.Sprintf("R%d", i), 10+i)))
		}
		f.companyRole(other.ID, "R0", 10)
		first, err := f.s.ListCompanyRoles(f.ctx, c.ID, access.Cursor{Limit: 3})
		require.NoError(t, err)
		require.Len(t, first, 3)
		rest, err := f.s.ListCompanyRoles(f.ctx, c.ID, access.Cursor{After: first[2].ID, Limit: 3})
		require.NoError(t, err)
		got := append(first, rest...)
		for i := range got {
			got[i] = normRole(got[i])
		}
		assert.ElementsMatch(t, want, got)
		assert.True(t, func() bool {
			for i := 1; i < len(got); i++ {
				if got[i-1].ID.String() >= got[i].ID.String() {
					return false
				}
			}
			return true
		}(), "ordered by ID")

		boom := fmt.Errorf("boom")
		err = f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			r := access.CompanyRole{ID: newID(), CompanyID: c.ID, Code: "GONE", Name: "x", Level: 1, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateCompanyRole(ctx, &r))
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = f.s.GetCompanyRole(f.ctx, c.ID, "GONE", false)
		assertNotFound(t, err, access.CodeRoleNotFound, "rolled back")
	})
	t.Run("holders are counted and replaced in their company only", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		f.companyRole(c.ID, "SUPPORT", 40)
		f.companyRole(other.ID, "SUPPORT", 40)
		var held []access.Membership
		for range 3 {
			held = append(held, f.member(c.ID, f.user().ID, "SUPPORT", func(m *access.Membership) { m.Extra = []string{access.UserAdd} }))
		}
		held = append(held, f.member(c.ID, f.user().ID, "SUPPORT", func(m *access.Membership) { m.Active = false }))
		f.member(c.ID, f.user().ID, access.RoleViewer)
		f.member(other.ID, f.user().ID, "SUPPORT")
		n, err := f.s.CountRoleHolders(f.ctx, c.ID, "SUPPORT")
		require.NoError(t, err)
		assert.Equal(t, 4, n, "active and inactive holders, in the company only")

		at := f.now.Add(3600e9)
		n, err = f.s.ReplaceRole(f.ctx, c.ID, "SUPPORT", access.RoleViewer, at)
		require.NoError(t, err)
		assert.Equal(t, 4, n)
		for _, h := range held {
			m, err := f.s.GetMembership(f.ctx, c.ID, h.UserID)
			require.NoError(t, err)
			assert.Equal(t, access.RoleViewer, m.Role)
			assert.Equal(t, h.Extra, m.Extra, "extra permissions stay")
			assert.Equal(t, h.Active, m.Active)
			assert.True(t, at.Equal(m.UpdatedAt))
		}
		n, err = f.s.CountRoleHolders(f.ctx, c.ID, "SUPPORT")
		require.NoError(t, err)
		assert.Zero(t, n)
		n, err = f.s.CountRoleHolders(f.ctx, other.ID, "SUPPORT")
		require.NoError(t, err)
		assert.Equal(t, 1, n, "the other company's holder stays")
	})
	t.Run("replacing onto OWNER counts the new owners", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		f.companyRole(c.ID, "BOSS", 1000)
		f.member(c.ID, f.user().ID, "BOSS")
		f.member(c.ID, f.user().ID, "BOSS")
		n, err := f.s.CountActiveOwners(f.ctx, c.ID)
		require.NoError(t, err)
		require.Zero(t, n)
		_, err = f.s.ReplaceRole(f.ctx, c.ID, "BOSS", access.RoleOwner, f.now)
		require.NoError(t, err)
		n, err = f.s.CountActiveOwners(f.ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
	})
	t.Run("a deleted company takes its roles", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		r := f.companyRole(c.ID, "SUPPORT", 40)
		require.NoError(t, f.s.DeleteCompany(f.ctx, c.ID))
		_, err := f.s.GetCompanyRoleByID(f.ctx, c.ID, r.ID)
		assertNotFound(t, err, access.CodeRoleNotFound)
		rs, err := f.s.ListCompanyRoles(f.ctx, c.ID, all())
		require.NoError(t, err)
		assert.Empty(t, rs)
	})
}

func testCompanyRoleService(t *testing.T, newStore Factory) {
	ctx := context.Background()
	t.Run("rank rules of defining roles", func(t *testing.T) {
		w := NewWorld(t, newStore(t), WithAccess(access.WithCatalog(mustCatalog(t, access.WithRoles(access.RoleSpec{Code: "AUDITOR", Level: 20})))))
		_, asAdm := w.Member(t, "admin", access.RoleAdmin)
		_, asVP := w.Member(t, "vp", access.RoleViewerPlus)
		_, asLimited := w.Member(t, "limited", access.RoleAdmin)
		_, err := w.Access.UpdateMember(ctx, w.AsOwner, asLimited.UserID, access.MemberUpdate{RemovePermissions: []string{access.UserDelete}})
		require.NoError(t, err)

		r, err := w.Access.CreateRole(ctx, asAdm, access.NewRole{Code: " support_agent ", Name: "Support agent", Level: 40,
			Permissions: []string{access.UserEdit}})
		require.NoError(t, err)
		assert.Equal(t, "SUPPORT_AGENT", r.Code)
		assert.Equal(t, access.OriginCompany, r.Origin)
		assert.Equal(t, w.Company.ID, r.CompanyID)
		assert.Equal(t, []string{access.UserEdit, access.UserView}, r.Permissions, "closed under implication")

		_, err = w.Access.CreateRole(ctx, asAdm, access.NewRole{Code: "SUPPORT_AGENT", Level: 10})
		assertConflict(t, err, access.CodeRoleTaken)
		for _, code := range []string{"ADMIN", "owner", "AUDITOR"} {
			_, err = w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: code, Level: 10})
			assertInvalid(t, err, "code")
		}
		for _, code := range []string{"", "1X", "A-B", "A\x00"} {
			_, err = w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: code, Level: 10})
			assertInvalid(t, err, "code")
		}
		for _, lvl := range []int{0, 1001, -5} {
			_, err = w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "L", Level: lvl})
			assertInvalid(t, err, "level")
		}
		_, err = w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "L", Level: 10, Permissions: []string{"NOPE_VIEW"}})
		assertInvalid(t, err, "permissions")

		_, err = w.Access.CreateRole(ctx, asAdm, access.NewRole{Code: "HIGH", Level: access.LevelAdmin + 1})
		assert.ErrorIs(t, err, access.ErrForbidden, "above the creator's level")
		_, err = w.Access.CreateRole(ctx, asAdm, access.NewRole{Code: "AT_ADMIN", Level: access.LevelAdmin})
		assert.NoError(t, err, "at the creator's level")
		_, err = w.Access.CreateRole(ctx, asAdm, access.NewRole{Code: "TOP", Level: access.LevelOwner})
		assert.ErrorIs(t, err, access.ErrForbidden, "OWNER's level by an ADMIN")
		_, err = w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "TOP", Level: access.LevelOwner})
		assert.NoError(t, err, "OWNER's level by an OWNER")
		_, err = w.Access.CreateRole(ctx, asLimited, access.NewRole{Code: "DEL", Level: 10, Permissions: []string{access.UserDelete}})
		assert.ErrorIs(t, err, access.ErrForbidden, "a permission the creator does not hold")
		_, err = w.Access.CreateRole(ctx, asVP, access.NewRole{Code: "VPR", Level: 10})
		assert.ErrorIs(t, err, access.ErrForbidden, "below ADMIN")

		// Changing: the rule holds for the role as it is and as it becomes.
		top, err := w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "DIRECTOR", Level: 500})
		require.NoError(t, err)
		_, err = w.Access.UpdateRole(ctx, asAdm, top.ID, access.RoleUpdate{Name: new("Lowered"), Level: new(10)})
		assert.ErrorIs(t, err, access.ErrForbidden, "an ADMIN changes no role above their level")
		_, err = w.Access.DeleteRole(ctx, asAdm, top.ID, "")
		assert.ErrorIs(t, err, access.ErrForbidden, "nor deletes one")
		_, err = w.Access.UpdateRole(ctx, asAdm, r.ID, access.RoleUpdate{Level: new(access.LevelAdmin + 1)})
		assert.ErrorIs(t, err, access.ErrForbidden, "nor raises one above it")
		_, err = w.Access.UpdateRole(ctx, asLimited, r.ID, access.RoleUpdate{Permissions: &[]string{access.UserDelete}})
		assert.ErrorIs(t, err, access.ErrForbidden, "nor gives it a permission they lack")
		up, err := w.Access.UpdateRole(ctx, asAdm, r.ID, access.RoleUpdate{Name: new("Agent"), Level: new(30),
			Permissions: &[]string{access.UserView}})
		require.NoError(t, err)
		assert.Equal(t, "Agent", up.Name)
		assert.Equal(t, 30, up.Level)
		assert.Equal(t, []string{access.UserView}, up.Permissions)
		assert.Equal(t, "SUPPORT_AGENT", up.Code, "the code stays")
		_, err = w.Access.UpdateRole(ctx, asAdm, access.RoleID(access.RoleAdmin), access.RoleUpdate{Name: new("x")})
		assertNotFound(t, err, access.CodeRoleNotFound, "a built-in role is no company's")

		// Another company's role is unknown here.
		other := NewWorld(t, w.Store)
		_, err = other.Access.UpdateRole(ctx, other.AsOwner, r.ID, access.RoleUpdate{Name: new("x")})
		assertNotFound(t, err, access.CodeRoleNotFound)
		_, err = other.Access.DeleteRole(ctx, other.AsOwner, r.ID, "")
		assertNotFound(t, err, access.CodeRoleNotFound)
		_, err = other.Access.GetRole(ctx, other.AsOwner, r.ID)
		assertNotFound(t, err, access.CodeRoleNotFound)
	})
	t.Run("the catalogue by origin, and the audit trail", func(t *testing.T) {
		w := NewWorld(t, newStore(t), WithAccess(access.WithCatalog(mustCatalog(t, access.WithRoles(access.RoleSpec{Code: "AUDITOR", Level: 20})))))
		r, err := w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "BILLING", Name: "Billing manager", Level: 60,
			Permissions: []string{access.UserView}})
		require.NoError(t, err)
		other := NewWorld(t, w.Store)
		_, err = other.Access.CreateRole(ctx, other.AsOwner, access.NewRole{Code: "ELSEWHERE", Level: 60})
		require.NoError(t, err)

		roles, err := w.Access.Roles(ctx, w.AsOwner)
		require.NoError(t, err)
		origins := map[string]access.RoleOrigin{}
		for _, x := range roles {
			origins[x.Code] = x.Origin
		}
		assert.Equal(t, map[string]access.RoleOrigin{
			access.RoleOwner: access.OriginBuiltin, access.RoleAdmin: access.OriginBuiltin, access.RoleViewerPlus: access.OriginBuiltin,
			access.RoleViewer: access.OriginBuiltin, "AUDITOR": access.OriginHost, "BILLING": access.OriginCompany,
		}, origins, "built-in, host and this company's roles only")
		got, err := w.Access.GetRole(ctx, w.AsOwner, r.ID)
		require.NoError(t, err)
		assert.Equal(t, r, got)
		got, err = w.Access.GetRole(ctx, w.AsOwner, access.RoleID(access.RoleAdmin))
		require.NoError(t, err)
		assert.Equal(t, access.OriginBuiltin, got.Origin)
		_, outsider := other.Member(t, "outsider", access.RoleViewer)
		_, err = w.Access.Roles(ctx, access.UserPrincipal(outsider.UserID, w.Company.ID))
		assertNotFound(t, err, access.CodeCompanyNotFound, "no member: the company cannot be probed")

		_, err = w.Access.UpdateRole(ctx, w.AsOwner, r.ID, access.RoleUpdate{Permissions: &[]string{access.UserEdit}})
		require.NoError(t, err)
		_, err = w.Access.DeleteRole(ctx, w.AsOwner, r.ID, "")
		require.NoError(t, err)
		evs, err := w.Access.ListAudit(ctx, w.AsOwner, access.PageRequest{Limit: access.MaxPageLimit})
		require.NoError(t, err)
		var seen []string
		for _, e := range evs.Items {
			if e.Target == "role:"+r.ID.String() {
				seen = append(seen, e.Action)
				assert.Equal(t, "BILLING", e.Details["code"])
				assert.Equal(t, w.AsOwner.String(), e.Actor)
			}
		}
		assert.Equal(t, []string{"role.created", "role.updated", "role.deleted"}, seen)
		_, err = w.Access.GetRole(ctx, w.AsOwner, r.ID)
		assertNotFound(t, err, access.CodeRoleNotFound, "deleted")
	})
}

func mustCatalog(t *testing.T, opts ...access.CatalogOption) *access.Catalog {
	t.Helper()
	c, err := access.NewCatalog(opts...)
	require.NoError(t, err)
	return c
}

// testCompanyRoleCheck: a member holding a company role is decided by the
// role's stored row on every call (Check, Level, Authorize and so the rank
// rules), in its company only; narrowing the role narrows every holder
// from the next call on; a role that no longer exists fails closed. The
// store's facts name it (CompanyRole, RoleLevel, RoleHas).
func testCompanyRoleCheck(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	r, err := w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "SUPPORT", Name: "Support agent", Level: 40,
		Permissions: []string{access.UserEdit}})
	require.NoError(t, err)
	// The same code in another company, with other rights.
	other := NewWorld(t, w.Store)
	_, err = other.Access.CreateRole(ctx, other.AsOwner, access.NewRole{Code: "SUPPORT", Level: 90,
		Permissions: []string{access.UserAdd, access.UserDelete}})
	require.NoError(t, err)

	hold := func(companyID uuid.UUID, role string, mods ...func(*access.Membership)) access.Principal {
		t.Helper()
		u := w.User(t, "holder")
		m := access.Membership{ID: newID(), CompanyID: companyID, UserID: u.ID, Role: role, Active: true,
			CreatedAt: w.Access.Now(), UpdatedAt: w.Access.Now()}
		for _, mod := range mods {
			mod(&m)
		}
		require.NoError(t, w.Store.CreateMembership(ctx, &m))
		return access.UserPrincipal(u.ID, companyID)
	}
	asAgent := hold(w.Company.ID, "SUPPORT")
	asElsewhere := hold(other.Company.ID, "SUPPORT")
	asExtra := hold(w.Company.ID, "SUPPORT", func(m *access.Membership) { m.Extra = []string{access.UserAdd} })
	asWithheld := hold(w.Company.ID, "SUPPORT", func(m *access.Membership) { m.Withheld = []string{access.UserEdit, access.UserView} })

	level := func(p access.Principal) int {
		t.Helper()
		l, err := w.Access.Level(ctx, p, access.Resource{Type: access.ResourceAccount})
		require.NoError(t, err)
		return l
	}
	t.Run("facts", func(t *testing.T) {
		f, err := w.Store.CheckAccess(ctx, access.AccessQuery{CompanyID: w.Company.ID, UserID: asAgent.UserID, Permission: access.UserEdit})
		require.NoError(t, err)
		assert.True(t, f.CompanyRole)
		assert.Equal(t, 40, f.RoleLevel)
		assert.True(t, f.RoleHas)
		f, err = w.Store.CheckAccess(ctx, access.AccessQuery{CompanyID: w.Company.ID, UserID: asAgent.UserID, Permission: access.UserAdd})
		require.NoError(t, err)
		assert.True(t, f.CompanyRole)
		assert.False(t, f.RoleHas)
		f, err = w.Store.CheckAccess(ctx, access.AccessQuery{CompanyID: w.Company.ID, UserID: w.Owner.ID, Permission: access.UserAdd})
		require.NoError(t, err)
		assert.False(t, f.CompanyRole, "a catalog role")
		assert.Zero(t, f.RoleLevel)
	})
	t.Run("decided by the role", func(t *testing.T) {
		assert.NoError(t, w.Access.Check(ctx, asAgent, access.UserEdit))
		assert.NoError(t, w.Access.Check(ctx, asAgent, access.UserView), "implied")
		assert.ErrorIs(t, w.Access.Check(ctx, asAgent, access.UserAdd), access.ErrForbidden)
		assert.Equal(t, 40, level(asAgent))
		assert.NoError(t, w.Access.CheckLevel(ctx, asAgent, access.Resource{Type: access.ResourceAccount}, 40))
		assert.ErrorIs(t, w.Access.CheckLevel(ctx, asAgent, access.Resource{Type: access.ResourceAccount}, 41), access.ErrForbidden)
		a, err := w.Access.Authorize(ctx, asAgent, "")
		require.NoError(t, err)
		assert.Equal(t, 40, a.Level())
		assert.Equal(t, "SUPPORT", a.Role())
		assert.Equal(t, []string{access.UserEdit, access.UserView}, a.Permissions())

		assert.NoError(t, w.Access.Check(ctx, asExtra, access.UserAdd), "extra permissions on top")
		assert.ErrorIs(t, w.Access.Check(ctx, asWithheld, access.UserView), access.ErrForbidden, "withheld")
		assert.ErrorIs(t, w.Access.Check(ctx, asWithheld, access.UserEdit), access.ErrForbidden, "withheld, with what implies it (as the Service stores it)")

		// The other company's SUPPORT is its own.
		assert.NoError(t, w.Access.Check(ctx, asElsewhere, access.UserDelete))
		assert.ErrorIs(t, w.Access.Check(ctx, asElsewhere, access.UserEdit), access.ErrForbidden)
		assert.Equal(t, 90, level(asElsewhere))
	})
	t.Run("a changed role counts from the next call on", func(t *testing.T) {
		_, err := w.Access.UpdateRole(ctx, w.AsOwner, r.ID, access.RoleUpdate{Level: new(20), Permissions: &[]string{access.UserView}})
		require.NoError(t, err)
		assert.ErrorIs(t, w.Access.Check(ctx, asAgent, access.UserEdit), access.ErrForbidden, "narrowed")
		assert.NoError(t, w.Access.Check(ctx, asAgent, access.UserView))
		assert.Equal(t, 20, level(asAgent))
		a, err := w.Access.Authorize(ctx, asAgent, "")
		require.NoError(t, err)
		assert.Equal(t, 20, a.Level())
		assert.Equal(t, []string{access.UserView}, a.Permissions())
		_, err = w.Access.UpdateRole(ctx, w.AsOwner, r.ID, access.RoleUpdate{Permissions: &[]string{access.UserAdd}})
		require.NoError(t, err)
		assert.NoError(t, w.Access.Check(ctx, asAgent, access.UserAdd), "widened")
		assert.ErrorIs(t, w.Access.Check(ctx, asElsewhere, access.UserEdit), access.ErrForbidden, "the other company's stays")
	})
	t.Run("the rank rules use the role", func(t *testing.T) {
		// A holder of a role at OWNER's level is no OWNER: it defines no
		// role at that level, though its level allows it.
		boss, err := w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "BOSS", Level: access.LevelOwner,
			Permissions: []string{access.UserAdd, access.UserEdit, access.UserDelete}})
		require.NoError(t, err)
		asBoss := hold(w.Company.ID, boss.Code)
		a, err := w.Access.Authorize(ctx, asBoss, "")
		require.NoError(t, err)
		assert.Equal(t, access.LevelOwner, a.Level())
		_, err = w.Access.CreateRole(ctx, asBoss, access.NewRole{Code: "BOSS2", Level: access.LevelOwner})
		assert.ErrorIs(t, err, access.ErrForbidden, "OWNER's level needs an OWNER")
		_, err = w.Access.CreateRole(ctx, asBoss, access.NewRole{Code: "DEPUTY", Level: 999, Permissions: []string{access.UserAdd}})
		assert.NoError(t, err, "below it, within its permissions")
		_, err = w.Access.CreateRole(ctx, asAgent, access.NewRole{Code: "LOW", Level: 10})
		assert.ErrorIs(t, err, access.ErrForbidden, "a level-20 role manages no roles")
	})
	t.Run("a role that no longer exists fails closed", func(t *testing.T) {
		gone, err := w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "GONE", Level: 30, Permissions: []string{access.UserView}})
		require.NoError(t, err)
		asGone := hold(w.Company.ID, gone.Code)
		require.NoError(t, w.Access.Check(ctx, asGone, access.UserView))
		require.NoError(t, w.Store.DeleteCompanyRole(ctx, w.Company.ID, gone.ID)) // behind the Service's back
		assert.ErrorIs(t, w.Access.Check(ctx, asGone, access.UserView), access.ErrForbidden)
		assert.Zero(t, level(asGone))
		a, err := w.Access.Authorize(ctx, asGone, "")
		require.NoError(t, err)
		assert.Zero(t, a.Level())
		assert.Empty(t, a.Permissions())
	})
}

// testCompanyRoleScale: the catalog's 64-role bit set is no limit of
// company roles: a company defines a hundred, each decided by its own row.
func testCompanyRoleScale(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	perms := [][]string{{access.UserView}, {access.UserEdit}, {access.UserAdd}}
	var holders []access.Principal
	for i := range 100 {
		r, err := w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: fmt.Sprintf("ROLE_%03d", i), Level: 1 + i, Permissions: perms[i%3]})
		require.NoError(t, err)
		if i%33 == 0 || i == 99 {
			u := w.User(t, "holder")
			m := access.Membership{ID: newID(), CompanyID: w.Company.ID, UserID: u.ID, Role: r.Code, Active: true,
				CreatedAt: w.Access.Now(), UpdatedAt: w.Access.Now()}
			require.NoError(t, w.Store.CreateMembership(ctx, &m))
			holders = append(holders, access.UserPrincipal(u.ID, w.Company.ID))
		}
	}
	roles, err := w.Access.Roles(ctx, w.AsOwner)
	require.NoError(t, err)
	assert.Len(t, roles, 4+100)
	for k, i := range []int{0, 33, 66, 99} {
		p := holders[k]
		assert.NoError(t, w.Access.Check(ctx, p, perms[i%3][0]), "role %d", i)
		if i%3 != 2 {
			assert.ErrorIs(t, w.Access.Check(ctx, p, access.UserAdd), access.ErrForbidden, "role %d", i)
		}
		l, err := w.Access.Level(ctx, p, access.Resource{Type: access.ResourceAccount})
		require.NoError(t, err)
		assert.Equal(t, 1+i, l)
	}
}

// testCompanyRoleAssign: a company role is given where a role is (members
// added and changed, invitations, tokens) in its company only; deleting
// a held role is refused naming how many hold it unless a replacement
// moves them in the same transaction; deleting a role while it is being
// given: exactly one wins.
func testCompanyRoleAssign(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	r, err := w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "SUPPORT", Level: 40, Permissions: []string{access.UserEdit}})
	require.NoError(t, err)
	other := NewWorld(t, w.Store)
	_, err = other.Access.CreateRole(ctx, other.AsOwner, access.NewRole{Code: "THEIRS", Level: 40})
	require.NoError(t, err)

	u := w.User(t, "agent")
	m, err := w.Access.AddMember(ctx, w.AsOwner, access.NewMember{UserID: u.ID, Role: "support", Consented: true})
	require.NoError(t, err)
	assert.Equal(t, "SUPPORT", m.Role)
	asU := access.UserPrincipal(u.ID, w.Company.ID)
	assert.NoError(t, w.Access.Check(ctx, asU, access.UserEdit))
	_, err = w.Access.AddMember(ctx, w.AsOwner, access.NewMember{UserID: w.User(t, "x").ID, Role: "THEIRS", Consented: true})
	assertInvalid(t, err, "role")
	_, err = w.Access.UpdateMember(ctx, w.AsOwner, u.ID, access.MemberUpdate{Role: new("THEIRS")})
	assertInvalid(t, err, "role")

	// An ADMIN without USER_EDIT... gives no role holding it; one with it does.
	_, asVP := w.Member(t, "vp", access.RoleViewerPlus, access.UserAdd)
	_, err = w.Access.AddMember(ctx, asVP, access.NewMember{UserID: w.User(t, "y").ID, Role: "SUPPORT", Consented: true})
	assert.NoError(t, err, "VIEWER_PLUS (50) holds USER_EDIT and gives a level-40 role")
	low, err := w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: "HIGHER", Level: 60})
	require.NoError(t, err)
	_, err = w.Access.AddMember(ctx, asVP, access.NewMember{UserID: w.User(t, "z").ID, Role: low.Code, Consented: true})
	assert.ErrorIs(t, err, access.ErrForbidden, "a level above the granter's")

	// The member's role changes to a company role and back.
	v, _ := w.Member(t, "viewer", access.RoleViewer)
	got, err := w.Access.UpdateMember(ctx, w.AsOwner, v.ID, access.MemberUpdate{Role: new("SUPPORT")})
	_ = got
	require.NoError(t, err)
	assert.Equal(t, "SUPPORT", got.Role)

	// An invitation offers it and its acceptance gives it.
	invitee := w.User(t, "invitee")
	iss, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: invitee.Email, Role: "SUPPORT"})
	require.NoError(t, err)
	assert.Equal(t, "SUPPORT", iss.Invitation.Role)
	_, err = w.Invite.Accept(ctx, access.UserPrincipal(invitee.ID, uuid.Nil), iss.Token.Reveal())
	require.NoError(t, err)
	got, err = w.Access.GetMember(ctx, w.AsOwner, invitee.ID)
	require.NoError(t, err)
	assert.Equal(t, "SUPPORT", got.Role)
	_, err = w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: "nobody@example.com", Role: "THEIRS"})
	assertInvalid(t, err, "role")

	// An API token of the role.
	tok, err := w.Token.Create(ctx, w.AsOwner, token.NewToken{Name: "t", Role: "SUPPORT"})
	require.NoError(t, err)
	assert.Equal(t, 40, tok.Token.Level)

	// Deleting a held role: refused naming how many, unless replaced.
	_, err = w.Access.DeleteRole(ctx, w.AsOwner, r.ID, "")
	assertConflict(t, err, access.CodeRoleInUse)
	assert.Contains(t, err.Error(), "4 members")
	_, err = w.Access.DeleteRole(ctx, w.AsOwner, r.ID, "THEIRS")
	assertInvalid(t, err, "replacement")
	_, err = w.Access.DeleteRole(ctx, w.AsOwner, r.ID, "SUPPORT")
	assertInvalid(t, err, "replacement")
	n, err := w.Access.DeleteRole(ctx, w.AsOwner, r.ID, access.RoleViewer)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	got, err = w.Access.GetMember(ctx, w.AsOwner, u.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleViewer, got.Role)
	assert.ErrorIs(t, w.Access.Check(ctx, asU, access.UserEdit), access.ErrForbidden, "the replacement's rights")
}

// testCompanyRoleDeleteRace: a role deleted while someone is being given
// it: either the member holds it and the deletion is refused, or the role
// is gone and the member was not added, never a member holding a role
// that no longer exists.
func testCompanyRoleDeleteRace(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	for round := range 8 {
		r, err := w.Access.CreateRole(ctx, w.AsOwner, access.NewRole{Code: fmt.Sprintf("RACE_%d", round), Level: 10})
		require.NoError(t, err)
		u := w.User(t, "racer")
		var addErr, delErr error
		start := make(chan struct{})
		done := make(chan struct{}, 2)
		go func() {
			<-start
			_, addErr = w.Access.AddMember(ctx, w.AsOwner, access.NewMember{UserID: u.ID, Role: r.Code, Consented: true})
			done <- struct{}{}
		}()
		go func() {
			<-start
			_, delErr = w.Access.DeleteRole(ctx, w.AsOwner, r.ID, "")
			done <- struct{}{}
		}()
		close(start)
		<-done
		<-done
		if addErr == nil {
			assertConflict(t, delErr, access.CodeRoleInUse)
			_, err := w.Access.GetRole(ctx, w.AsOwner, r.ID)
			assert.NoError(t, err, "the role stays")
		} else {
			assertInvalid(t, addErr, "role")
			assert.NoError(t, delErr)
			_, err := w.Store.GetMembership(ctx, w.Company.ID, u.ID)
			assertNotFound(t, err, access.CodeMembershipNotFound)
		}
	}
}
