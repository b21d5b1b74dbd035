package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// Seed 002's account accesses: the store reads behind them, then the
// service's rules (list, remove, permissions/bulk) on every store.

func testAccountAccessReads(t *testing.T, newStore Factory) {
	t.Run("grant holders", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		u1, u2, u3 := f.user(), f.user(), f.user()
		m1 := f.member(c.ID, u1.ID, access.RoleViewer)
		m2 := f.member(c.ID, u2.ID, access.RoleViewer)
		f.member(c.ID, u3.ID, access.RoleViewer)
		f.member(other.ID, u1.ID, access.RoleViewer)
		f.grant(c.ID, userSubject(u1.ID), projA, access.LevelViewer)
		f.grant(c.ID, userSubject(u1.ID), projB, access.LevelViewer) // twice on the filter: listed once
		f.grant(c.ID, userSubject(u2.ID), inboxA, access.LevelViewer)
		f.grant(c.ID, userSubject(u3.ID), account, access.LevelViewer)
		f.grant(other.ID, userSubject(u1.ID), inboxA, access.LevelViewer)
		f.grant(c.ID, userSubject(newID()), projA, access.LevelViewer) // a user who is no member
		inv1, inv2 := newID(), newID()
		f.grant(c.ID, access.Subject{Type: access.SubjectInvite, ID: inv1}, projA, access.LevelViewer)
		f.grant(c.ID, access.Subject{Type: access.SubjectInvite, ID: inv1}, inboxA, access.LevelViewer)
		f.grant(c.ID, access.Subject{Type: access.SubjectInvite, ID: inv2}, inboxA, access.LevelViewer)
		f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: newID()}, projA, access.LevelViewer)

		members := func(res []access.Resource, c2 access.Cursor) []uuid.UUID {
			ms, err := f.s.ListMembersHolding(f.ctx, c.ID, res, c2)
			require.NoError(t, err)
			var ids []uuid.UUID
			for _, m := range ms {
				assert.NotEmpty(t, m.User.Email, "joined with the user")
				ids = append(ids, m.ID)
			}
			return ids
		}
		assert.Equal(t, []uuid.UUID{m1.ID}, members([]access.Resource{projA, projB}, all()))
		assert.Equal(t, sortedIDs(m1.ID, m2.ID), members([]access.Resource{projA, inboxA}, all()))
		first := members([]access.Resource{projA, inboxA}, access.Cursor{Limit: 1})
		require.Len(t, first, 1)
		assert.Equal(t, sortedIDs(m1.ID, m2.ID)[1:], members([]access.Resource{projA, inboxA}, access.Cursor{After: first[0], Limit: 10}), "keyset pages")
		assert.Empty(t, members([]access.Resource{{Type: "project", ID: "none"}}, all()))

		subjects := func(typ access.SubjectType, res []access.Resource, c2 access.Cursor) []uuid.UUID {
			ids, err := f.s.ListGrantSubjects(f.ctx, c.ID, typ, res, c2)
			require.NoError(t, err)
			return ids
		}
		assert.Equal(t, sortedIDs(inv1, inv2), subjects(access.SubjectInvite, []access.Resource{projA, inboxA}, all()), "each once, by ID")
		assert.Equal(t, []uuid.UUID{inv1}, subjects(access.SubjectInvite, []access.Resource{projA}, all()))
		after := sortedIDs(inv1, inv2)
		assert.Equal(t, after[1:], subjects(access.SubjectInvite, []access.Resource{projA, inboxA}, access.Cursor{After: after[0], Limit: 5}))
		assert.Len(t, subjects(access.SubjectInvite, []access.Resource{projA, inboxA}, access.Cursor{Limit: 1}), 1)
		assert.Len(t, subjects(access.SubjectToken, []access.Resource{projA}, all()), 1)
		assert.Empty(t, subjects(access.SubjectToken, []access.Resource{inboxA}, all()))
		otherIDs, err := f.s.ListGrantSubjects(f.ctx, other.ID, access.SubjectInvite, []access.Resource{projA, inboxA}, all())
		require.NoError(t, err)
		assert.Empty(t, otherIDs, "another company's")
	})
	t.Run("grants of several subjects", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		a, b, z := userSubject(newID()), access.Subject{Type: access.SubjectInvite, ID: newID()}, userSubject(newID())
		g1 := f.grant(c.ID, a, projA, access.LevelViewer)
		g2 := f.grant(c.ID, b, projA, access.LevelViewer)
		g3 := f.grant(c.ID, a, inboxA, access.LevelViewer)
		f.grant(c.ID, z, projA, access.LevelViewer)
		f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: a.ID}, projA, access.LevelViewer) // a's ID, another type
		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subjects: []access.Subject{a, b}}, all())
		require.NoError(t, err)
		assert.Equal(t, sortedIDs(g1.ID, g2.ID, g3.ID), grantIDs(gs))
		gs, err = f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subjects: []access.Subject{a, b}, Resources: []access.Resource{projA}}, access.Cursor{Limit: 1})
		require.NoError(t, err)
		assert.Equal(t, sortedIDs(g1.ID, g2.ID)[:1], grantIDs(gs), "with the other conditions, paged")
	})
	t.Run("granted resources", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		s1, s2 := userSubject(newID()), access.Subject{Type: access.SubjectToken, ID: newID()}
		inboxB := access.Resource{Type: "inbox", ID: "B"}
		for _, r := range []access.Resource{projB, inboxA, projA, inboxB} {
			f.grant(c.ID, s1, r, access.LevelViewer)
		}
		f.grant(c.ID, s2, projA, access.LevelViewer)
		f.grant(c.ID, s2, account, access.LevelViewer)
		f.grant(other.ID, s1, access.Resource{Type: "billing", ID: "x"}, access.LevelViewer)
		rs, err := f.s.ListGrantResources(f.ctx, c.ID, access.Resource{}, 10)
		require.NoError(t, err)
		want := []access.Resource{inboxB, inboxA, projA, projB} // byte order: "B" < "a"
		assert.Equal(t, want, rs, "distinct, the account aside, ordered by type then ID")
		rs, err = f.s.ListGrantResources(f.ctx, c.ID, access.Resource{}, 2)
		require.NoError(t, err)
		assert.Equal(t, want[:2], rs)
		rs, err = f.s.ListGrantResources(f.ctx, c.ID, rs[1], 10)
		require.NoError(t, err)
		assert.Equal(t, want[2:], rs, "after a resource")
	})
	t.Run("users by ID", func(t *testing.T) {
		f := newRows(t, newStore)
		u1, u2, u3 := f.user(), f.user(), f.user()
		us, err := f.s.GetUsers(f.ctx, []uuid.UUID{u3.ID, newID(), u1.ID, u3.ID})
		require.NoError(t, err)
		want := []uuid.UUID{u1.ID, u3.ID}
		slices.SortFunc(want, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
		var got []uuid.UUID
		for _, u := range us {
			got = append(got, u.ID)
			assert.NotEmpty(t, u.Email, "the whole user")
		}
		assert.Equal(t, want, got, "the known ones, once each, in ID order")
		assert.NotContains(t, got, u2.ID)
		us, err = f.s.GetUsers(f.ctx, nil)
		require.NoError(t, err)
		assert.Empty(t, us)
	})
}

// accessWorld is a World with an ADMIN, a VIEWER, a pending invitation and
// an API token.
type accessWorld struct {
	*World
	ctx                 context.Context
	admin, viewer       access.User
	asAdmin, asViewer   access.Principal
	inv                 invite.Invitation
	tok                 token.Created
	adminID, viewerID   uuid.UUID // their membership IDs
	ownerID             uuid.UUID
	accountItem         func(level string) access.PermissionChange
	resource            func(typ, id, level string) access.PermissionChange
	resourceLevelsOfAcc func(id uuid.UUID) map[access.Resource]int
}

func newAccessWorld(t *testing.T, newStore Factory) *accessWorld {
	w := &accessWorld{World: NewWorld(t, newStore(t)), ctx: context.Background()}
	w.admin, w.asAdmin = w.Member(t, "admin", access.RoleAdmin)
	w.viewer, w.asViewer = w.Member(t, "viewer", access.RoleViewer)
	iss, err := w.Invite.Invite(w.ctx, w.AsOwner, invite.NewInvitation{Email: "invitee@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	w.inv = iss.Invitation
	w.tok = w.APIToken(t, w.AsOwner, access.RoleViewer)
	for _, x := range []struct {
		id *uuid.UUID
		u  access.User
	}{{&w.adminID, w.admin}, {&w.viewerID, w.viewer}, {&w.ownerID, w.Owner}} {
		m, err := w.Access.GetMember(w.ctx, w.AsOwner, x.u.ID)
		require.NoError(t, err)
		*x.id = m.ID
	}
	w.accountItem = func(level string) access.PermissionChange {
		return access.PermissionChange{Resource: access.Resource{Type: access.ResourceAccount, ID: w.Company.ID.String()}, Level: level}
	}
	w.resource = func(typ, id, level string) access.PermissionChange {
		return access.PermissionChange{Resource: access.Resource{Type: typ, ID: id}, Level: level}
	}
	w.resourceLevelsOfAcc = func(id uuid.UUID) map[access.Resource]int {
		a, err := w.Access.GetAccountAccess(w.ctx, w.AsOwner, id)
		require.NoError(t, err)
		out := map[access.Resource]int{}
		for _, r := range a.Resources {
			out[r.Resource] = r.Level
		}
		return out
	}
	return w
}

func testAccountAccesses(t *testing.T, newStore Factory) {
	runEach(t, newStore, []category{
		{"ListIsTheAccessList", testAccessList},
		{"RemoveTakesTheWholeAccess", testAccessRemove},
		{"BulkAppliesTheRankRulesToEveryItem", testBulkRank},
		{"BulkIsAllOrNothing", testBulkAllOrNothing},
		{"BulkAccountItemIsTheRole", testBulkAccountItem},
		{"AccountsAndResources", testAccountsAndResources},
		{"AccountsListReachedCustomers", testAccountsReached},
	})
}

func testAccessList(t *testing.T, newStore Factory) {
	w := newAccessWorld(t, newStore)
	_, err := w.Access.Grant(w.ctx, w.AsOwner, access.NewGrant{Subject: userSubject(w.viewer.ID), Resource: projA, Level: access.LevelAdmin})
	require.NoError(t, err)
	_, err = w.Access.Grant(w.ctx, w.AsOwner, access.NewGrant{Subject: userSubject(w.viewer.ID), Resource: account, Level: access.LevelAdmin})
	assert.ErrorIs(t, err, access.ErrInvalid, "a member's account level is their role, never a grant")

	page, err := w.Access.ListAccountAccesses(w.ctx, w.AsOwner, access.AccessFilter{})
	require.NoError(t, err)
	byID := map[uuid.UUID]access.AccountAccess{}
	for _, a := range page.Items {
		byID[a.ID] = a
	}
	assert.ElementsMatch(t, []uuid.UUID{w.ownerID, w.adminID, w.viewerID, w.inv.ID}, slices.Collect(mapKeys(byID)))
	assert.Equal(t, access.LevelOwner, byID[w.ownerID].Level)
	assert.Equal(t, []access.ResourceLevel{{Resource: account, Level: access.LevelOwner}}, byID[w.ownerID].Resources)
	v := byID[w.viewerID]
	assert.Equal(t, access.Subject{Type: access.SubjectUser, ID: w.viewer.ID}, v.Subject)
	require.Len(t, v.Resources, 2)
	assert.Equal(t, access.ResourceLevel{Resource: account, Level: access.LevelViewer}, v.Resources[0])
	assert.Equal(t, projA, v.Resources[1].Resource)
	assert.Equal(t, access.LevelViewer, byID[w.inv.ID].Level, "the offered role's level")

	page, err = w.Access.ListAccountAccesses(w.ctx, w.AsOwner, access.AccessFilter{Types: []access.SubjectType{access.SubjectToken}})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, w.tok.Token.ID, page.Items[0].ID)
	assert.Equal(t, w.Owner.ID, page.Items[0].Specifier.CreatedBy)
	assert.Equal(t, "owner", page.Items[0].Specifier.AuthorName)

	// A revoked token and a closed invitation are no access.
	_, err = w.Token.Revoke(w.ctx, w.AsOwner, w.tok.Token.ID)
	require.NoError(t, err)
	page, err = w.Access.ListAccountAccesses(w.ctx, w.AsOwner, access.AccessFilter{Types: []access.SubjectType{access.SubjectToken, access.SubjectInvite}})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, w.inv.ID, page.Items[0].ID)

	// Pages across the kinds.
	var ids []uuid.UUID
	pr := access.PageRequest{Limit: 1}
	for {
		page, err := w.Access.ListAccountAccesses(w.ctx, w.AsOwner, access.AccessFilter{Page: pr})
		require.NoError(t, err)
		for _, a := range page.Items {
			ids = append(ids, a.ID)
		}
		if page.Next == "" {
			break
		}
		pr.After = page.Next
	}
	assert.Equal(t, sortedIDs(w.ownerID, w.adminID, w.viewerID, w.inv.ID), ids)

	_, err = w.Access.ListAccountAccesses(w.ctx, w.asViewer, access.AccessFilter{})
	assert.ErrorIs(t, err, access.ErrForbidden, "ADMIN or above")
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func testAccessRemove(t *testing.T, newStore Factory) {
	w := newAccessWorld(t, newStore)
	_, err := w.Access.RemoveAccountAccess(w.ctx, w.asAdmin, w.ownerID)
	assert.ErrorIs(t, err, access.ErrForbidden, "only an OWNER removes an OWNER")
	_, err = w.Access.RemoveAccountAccess(w.ctx, w.AsOwner, w.ownerID)
	assert.ErrorIs(t, err, access.ErrLastOwner)
	_, err = w.Access.RemoveAccountAccess(w.ctx, w.asViewer, w.adminID)
	assert.ErrorIs(t, err, access.ErrForbidden)
	_, err = w.Access.Grant(w.ctx, w.AsOwner, access.NewGrant{Subject: userSubject(w.viewer.ID), Resource: projA, Level: access.LevelAdmin})
	require.NoError(t, err)

	got, err := w.Access.RemoveAccountAccess(w.ctx, w.asAdmin, w.viewerID)
	require.NoError(t, err)
	assert.Equal(t, w.viewerID, got.ID)
	_, err = w.Store.GetMembership(w.ctx, w.Company.ID, w.viewer.ID)
	assertNotFound(t, err, access.CodeMembershipNotFound)
	gs, err := w.Store.ListGrants(w.ctx, w.Company.ID, access.GrantQuery{Subject: &access.Subject{Type: access.SubjectUser, ID: w.viewer.ID}}, all())
	require.NoError(t, err)
	assert.Empty(t, gs)
	_, err = w.Access.RemoveAccountAccess(w.ctx, w.asAdmin, w.viewerID)
	assertNotFound(t, err, access.CodeAccessNotFound)

	_, err = w.Access.RemoveAccountAccess(w.ctx, w.AsOwner, w.inv.ID)
	require.NoError(t, err)
	inv, err := w.Invite.Get(w.ctx, w.AsOwner, w.inv.ID)
	require.NoError(t, err)
	assert.Equal(t, invite.StatusRevoked, inv.Status)

	_, err = w.Access.RemoveAccountAccess(w.ctx, w.AsOwner, w.tok.Token.ID)
	require.NoError(t, err)
	_, err = w.Token.Verify(w.ctx, w.tok.Secret.Reveal())
	assert.Error(t, err, "revoked")

	other, _ := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other"))
	sys := access.SystemPrincipal()
	sys.CompanyID = other.ID
	_, err = w.Access.RemoveAccountAccess(w.ctx, sys, w.adminID)
	assertNotFound(t, err, access.CodeAccessNotFound)
}

func testBulkRank(t *testing.T, newStore Factory) {
	w := newAccessWorld(t, newStore)
	_, err := w.Access.UpdateAccessPermissions(w.ctx, w.asAdmin, w.viewerID, []access.PermissionChange{w.resource("project", "a", "owner")})
	assert.ErrorIs(t, err, access.ErrForbidden, "withinOwn: never above one's own level")
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.AsOwner, w.viewerID, []access.PermissionChange{w.resource("project", "a", "owner")})
	require.NoError(t, err, "an OWNER may")
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asAdmin, w.viewerID, []access.PermissionChange{w.resource("project", "a", "10")})
	assert.ErrorIs(t, err, access.ErrForbidden, "outranks: an OWNER-level grant is changed by an OWNER only")
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asAdmin, w.viewerID, []access.PermissionChange{{Resource: projA, Destroy: true}})
	assert.ErrorIs(t, err, access.ErrForbidden, "nor removed")
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asAdmin, w.viewerID, []access.PermissionChange{w.resource("project", "b", "admin")})
	require.NoError(t, err, "an ADMIN grants up to its own level")
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asAdmin, w.ownerID, []access.PermissionChange{w.resource("project", "b", "10")})
	require.NoError(t, err, "a resource grant to the owner, within the ADMIN's level")
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asAdmin, w.ownerID, []access.PermissionChange{w.accountItem("admin")})
	assert.ErrorIs(t, err, access.ErrForbidden, "an ADMIN never changes the OWNER's role")
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asViewer, w.viewerID, []access.PermissionChange{w.resource("project", "c", "10")})
	assert.ErrorIs(t, err, access.ErrForbidden, "a VIEWER manages nothing")
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asAdmin, w.adminID, []access.PermissionChange{w.accountItem("owner")})
	assert.ErrorIs(t, err, access.ErrForbidden, "no one raises their own role")
	assert.Equal(t, map[access.Resource]int{account: access.LevelViewer, projA: access.LevelOwner, projB: access.LevelAdmin}, w.resourceLevelsOfAcc(w.viewerID))
}

func testBulkAllOrNothing(t *testing.T, newStore Factory) {
	w := newAccessWorld(t, newStore)
	_, err := w.Access.UpdateAccessPermissions(w.ctx, w.AsOwner, w.viewerID, []access.PermissionChange{w.resource("inbox", "a", "viewer")})
	require.NoError(t, err)
	before := w.resourceLevelsOfAcc(w.viewerID)
	// Every kind of write first (create, update, remove, role), then a refusal.
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asAdmin, w.viewerID, []access.PermissionChange{
		w.resource("project", "a", "viewer_plus"),
		w.resource("inbox", "a", "admin"),
		w.accountItem("viewer_plus"),
		w.resource("project", "b", "owner"), // above the ADMIN's own level
	})
	require.ErrorIs(t, err, access.ErrForbidden)
	assert.Contains(t, err.Error(), "permissions[3]", "the error names the item")
	assert.Equal(t, before, w.resourceLevelsOfAcc(w.viewerID), "nothing of the earlier items stays")
	m, err := w.Store.GetMembership(w.ctx, w.Company.ID, w.viewer.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleViewer, m.Role, "the role change was rolled back")
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.AsOwner, w.viewerID, []access.PermissionChange{
		{Resource: inboxA, Destroy: true}, w.resource("project", "a", "nonsense")})
	assert.ErrorIs(t, err, access.ErrInvalid)
	assert.Equal(t, "permissions[1].access_level", access.FieldOf(err))
	assert.Equal(t, before, w.resourceLevelsOfAcc(w.viewerID))
}

func testBulkAccountItem(t *testing.T, newStore Factory) {
	w := newAccessWorld(t, newStore)
	a, err := w.Access.UpdateAccessPermissions(w.ctx, w.AsOwner, w.viewerID, []access.PermissionChange{w.accountItem("100")})
	require.NoError(t, err)
	assert.Equal(t, access.LevelAdmin, a.Level)
	assert.True(t, a.Permissions().CanUpdate)
	m, err := w.Store.GetMembership(w.ctx, w.Company.ID, w.viewer.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleAdmin, m.Role)
	// The last active OWNER stays (keepOwner).
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.AsOwner, w.ownerID, []access.PermissionChange{w.accountItem("admin")})
	assert.ErrorIs(t, err, access.ErrLastOwner)
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.AsOwner, w.viewerID, []access.PermissionChange{w.accountItem("owner")})
	require.NoError(t, err)
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.AsOwner, w.ownerID, []access.PermissionChange{w.accountItem("admin")})
	require.NoError(t, err, "with another OWNER, the first may step down")
	// A token's or an invitation's account level is fixed; a member's goes only with the access.
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asViewer, w.tok.Token.ID, []access.PermissionChange{w.accountItem("admin")})
	assert.ErrorIs(t, err, access.ErrInvalid)
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asViewer, w.inv.ID, []access.PermissionChange{w.accountItem("admin")})
	assert.ErrorIs(t, err, access.ErrInvalid)
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asViewer, w.adminID, []access.PermissionChange{{Resource: account, Destroy: true}})
	assert.ErrorIs(t, err, access.ErrInvalid)
	_, err = w.Access.UpdateAccessPermissions(w.ctx, w.asViewer, w.adminID, []access.PermissionChange{
		{Resource: access.Resource{Type: access.ResourceAccount, ID: newID().String()}, Level: "10"}})
	assert.Equal(t, "permissions[0].resource_id", access.FieldOf(err))
	// Resource items on an invitation and a token.
	a, err = w.Access.UpdateAccessPermissions(w.ctx, w.asViewer, w.tok.Token.ID, []access.PermissionChange{w.resource("project", "a", "10")})
	require.NoError(t, err)
	assert.Equal(t, []access.ResourceLevel{{Resource: account, Level: access.LevelViewer}, {Resource: projA, Level: access.LevelViewer, GrantID: a.Resources[1].GrantID}}, a.Resources)
}

func testAccountsAndResources(t *testing.T, newStore Factory) {
	w := newAccessWorld(t, newStore)
	_, err := w.Access.Grant(w.ctx, w.AsOwner, access.NewGrant{Subject: userSubject(w.viewer.ID), Resource: projA, Level: access.LevelAdmin})
	require.NoError(t, err)
	_, err = w.Access.Grant(w.ctx, w.AsOwner, access.NewGrant{Subject: userSubject(w.admin.ID), Resource: inboxA, Level: access.LevelViewer})
	require.NoError(t, err)

	accts, err := w.Access.ListAccounts(w.ctx, w.asViewer, access.PageRequest{})
	require.NoError(t, err)
	require.Len(t, accts.Items, 1)
	assert.Equal(t, w.Company.ID, accts.Items[0].Company.ID)
	assert.Equal(t, access.LevelViewer, accts.Items[0].Level)
	p, err := w.Token.Verify(w.ctx, w.tok.Secret.Reveal())
	require.NoError(t, err)
	accts, err = w.Access.ListAccounts(w.ctx, p, access.PageRequest{})
	require.NoError(t, err)
	require.Len(t, accts.Items, 1)
	assert.Equal(t, access.LevelViewer, accts.Items[0].Level, "a token: its own account at its level")
	_, err = w.Access.ListAccounts(w.ctx, access.SystemPrincipal(), access.PageRequest{})
	assert.ErrorIs(t, err, access.ErrForbidden)

	res, err := w.Access.ListAccountResources(w.ctx, w.asAdmin, access.PageRequest{})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	assert.Equal(t, account, res.Items[0].Resource)
	assert.Equal(t, w.Company.Name, res.Items[0].Name)
	var kids []access.Resource
	for _, k := range res.Items[0].Resources {
		kids = append(kids, k.Resource)
		assert.Equal(t, access.LevelAdmin, k.Level)
	}
	assert.Equal(t, []access.Resource{inboxA, projA}, kids)
	res, err = w.Access.ListAccountResources(w.ctx, w.asViewer, access.PageRequest{})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	assert.Equal(t, projA, res.Items[0].Resource, "a viewer: the resources they administer")
	res, err = w.Access.ListAccountResources(w.ctx, w.asAdmin, access.PageRequest{Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, res.Next)
	res, err = w.Access.ListAccountResources(w.ctx, w.asAdmin, access.PageRequest{Limit: 1, After: res.Next})
	require.NoError(t, err)
	assert.Equal(t, projA, res.Items[0].Resources[0].Resource)
	assert.Empty(t, res.Next)
	_, err = w.Access.ListAccountResources(w.ctx, w.asAdmin, access.PageRequest{After: "%%"})
	assert.ErrorIs(t, err, access.ErrInvalid)
}

// testAccountsReached: GET /api/accounts lists the customers the caller
// reaches through a connection after its own accounts, at the rank the
// agency acts at there (ADMIN; a token at most its own level), in pages
// that cross from one part to the other without losing or repeating one.
func testAccountsReached(t *testing.T, newStore Factory) {
	ctx := context.Background()
	r := newReachWorld(t, newStore, access.UserView)
	sys := access.SystemPrincipal()
	connect := func(customer access.Company) access.Connection {
		c, err := r.Access.Connect(ctx, sys, sys, access.NewConnection{CustomerID: customer.ID, AgencyID: r.Company.ID, Permissions: []string{access.UserView}})
		require.NoError(t, err)
		return c
	}
	second, _ := r.NewCompany(t, access.NewCompany{Name: "Second Shop"}, r.User(t, "second-owner"))
	secondConn := connect(second)
	// A customer where the agency's ADMIN is also a VIEWER in their own
	// right: listed once, as their own, at their own level.
	own, _ := r.NewCompany(t, access.NewCompany{Name: "Own Shop"}, r.User(t, "own-owner"))
	connect(own)
	r.AddMember(t, own.ID, r.admin, access.RoleViewer)
	// Not connected; and connected only to a customer (no transitivity).
	r.NewCompany(t, access.NewCompany{Name: "Stranger"}, r.User(t, "stranger-owner"))
	third, _ := r.NewCompany(t, access.NewCompany{Name: "Third"}, r.User(t, "third-owner"))
	_, err := r.Access.Connect(ctx, sys, sys, access.NewConnection{CustomerID: third.ID, AgencyID: r.customer.ID, Permissions: []string{access.UserView}})
	require.NoError(t, err)

	all := func(p access.Principal, limit int) map[uuid.UUID]int {
		t.Helper()
		out := map[uuid.UUID]int{}
		pr := access.PageRequest{Limit: limit}
		for range 20 {
			page, err := r.Access.ListAccounts(ctx, p, pr)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(page.Items), limit)
			for _, a := range page.Items {
				_, dup := out[a.Company.ID]
				assert.False(t, dup, "listed twice: %s (limit %d)", a.Company.Name, limit)
				out[a.Company.ID] = a.Level
			}
			if page.Next == "" {
				return out
			}
			pr.After = page.Next
		}
		t.Fatal("the pages never end")
		return nil
	}
	asAdmin := access.UserPrincipal(r.admin.ID, r.Company.ID)
	want := map[uuid.UUID]int{r.Company.ID: access.LevelAdmin, own.ID: access.LevelViewer,
		r.customer.ID: access.LevelAdmin, second.ID: access.LevelAdmin}
	for _, limit := range []int{1, 2, 3, 50} {
		assert.Equal(t, want, all(asAdmin, limit), "an agency ADMIN, limit %d", limit)
	}
	page, err := r.Access.ListAccounts(ctx, asAdmin, access.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 4)
	assert.Equal(t, []uuid.UUID{r.Company.ID, own.ID}, []uuid.UUID{page.Items[0].Company.ID, page.Items[1].Company.ID}, "its own first")
	assert.Negative(t, bytes.Compare(page.Items[2].Company.ID[:], page.Items[3].Company.ID[:]), "then the reached, by ID")
	assert.Equal(t, r.customer.Name, func() string {
		for _, a := range page.Items {
			if a.Company.ID == r.customer.ID {
				return a.Company.Name
			}
		}
		return ""
	}())

	// A member below the agency roles reaches nothing.
	_, asViewer := r.Member(t, "agency-viewer", access.RoleViewer)
	assert.Equal(t, map[uuid.UUID]int{r.Company.ID: access.LevelViewer}, all(asViewer, 50))

	// A token: its own company, then every customer connected to it (the
	// creator's membership in one does not matter: a token acts through
	// the connection), at most at its own level.
	key := r.key(t, access.UserView)
	wantKey := map[uuid.UUID]int{r.Company.ID: access.LevelAdmin, own.ID: access.LevelAdmin,
		r.customer.ID: access.LevelAdmin, second.ID: access.LevelAdmin}
	for _, limit := range []int{1, 2, 50} {
		assert.Equal(t, wantKey, all(key, limit), "an agency token, limit %d", limit)
	}
	made, err := r.Token.Create(ctx, access.Principal{Kind: access.PrincipalSystem, CompanyID: r.Company.ID},
		token.NewToken{Name: "viewer key", Level: access.LevelViewer, Permissions: []string{access.UserView}, CreatorID: r.admin.ID})
	require.NoError(t, err)
	low, err := r.Token.Verify(ctx, made.Secret.Reveal())
	require.NoError(t, err)
	for id := range wantKey {
		wantKey[id] = access.LevelViewer
	}
	assert.Equal(t, wantKey, all(low, 50), "a VIEWER token acts at VIEWER everywhere")

	// A removed connection is gone on the next call; a deactivated agency
	// membership reaches nothing.
	require.NoError(t, r.Access.RemoveConnection(ctx, r.AsOwner, secondConn.ID))
	delete(want, second.ID)
	assert.Equal(t, want, all(asAdmin, 50))
	_, err = r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{Active: new(false)})
	require.NoError(t, err)
	assert.Equal(t, map[uuid.UUID]int{own.ID: access.LevelViewer}, all(asAdmin, 50))
}
