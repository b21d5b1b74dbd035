package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
)

// The company operations (run.go): who may change, leave, hand
// over and delete a company, through the services, on every store. The
// HTTP adapter's management routes are these calls and nothing more.

// testUpdateCompanyRank: an OWNER or an ADMIN changes the company; a
// VIEWER_PLUS, even with every permission role, and a VIEWER may not, and
// their attempt changes nothing.
func testUpdateCompanyRank(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	_, asAdmin := w.Member(t, "admin", access.RoleAdmin)
	_, asViewer := w.Member(t, "viewer", access.RoleViewer)
	_, asPlus := w.Member(t, "plus", access.RoleViewerPlus, access.UserView, access.UserEdit, access.UserAdd, access.UserDelete)

	c, err := w.Access.UpdateCompany(ctx, asAdmin, access.CompanyUpdate{Name: new("Acme by admin"),
		ExternalKey: new("acme-admin"), Domains: &[]string{"Admin.Example", "admin.example"}})
	require.NoError(t, err)
	assert.Equal(t, "Acme by admin", c.Name)
	assert.Equal(t, "acme-admin", c.ExternalKey)
	assert.Equal(t, []string{"admin.example"}, c.Domains, "domains are lower-cased and unique")
	c, err = w.Access.UpdateCompany(ctx, w.AsOwner, access.CompanyUpdate{Name: new("Acme")})
	require.NoError(t, err)
	assert.Equal(t, "acme-admin", c.ExternalKey, "fields left nil stay")

	for name, p := range map[string]access.Principal{"viewer": asViewer, "viewer_plus": asPlus} {
		_, err := w.Access.UpdateCompany(ctx, p, access.CompanyUpdate{Name: new("Pwned")})
		assert.ErrorIs(t, err, access.ErrForbidden, name)
	}
	got, err := w.Access.GetCompany(ctx, w.AsOwner, w.Company.ID)
	require.NoError(t, err)
	assert.Equal(t, "Acme", got.Name)

	_, err = w.Access.UpdateCompany(ctx, asAdmin, access.CompanyUpdate{ExternalKey: new(uuid.NewString())})
	assertInvalid(t, err, "external_key")
	_, err = w.Access.UpdateCompany(ctx, asAdmin, access.CompanyUpdate{Name: new("  ")})
	assertInvalid(t, err, "name")
	_, err = w.Access.UpdateCompany(ctx, asAdmin, access.CompanyUpdate{Domains: &[]string{"not a domain"}})
	assertInvalid(t, err, "domains")
}

// testLeaveCompany: a user leaves the company they act in; an API token
// cannot leave (it would remove its creator); the last active OWNER
// cannot, a second one can.
func testLeaveCompany(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	viewer, asViewer := w.Member(t, "viewer", access.RoleViewer)
	u, err := w.Access.GetUser(ctx, access.SystemPrincipal(), viewer.ID)
	require.NoError(t, err)
	u.ActiveCompanyID = w.Company.ID
	u.UpdatedAt = w.Clock.Now()
	require.NoError(t, w.Store.UpdateUser(ctx, &u))

	require.NoError(t, w.Access.LeaveCompany(ctx, asViewer))
	_, err = w.Access.GetMember(ctx, w.AsOwner, viewer.ID)
	assertNotFound(t, err, access.CodeMemberNotFound, "the membership is gone")
	u, err = w.Access.GetUser(ctx, access.SystemPrincipal(), viewer.ID)
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, u.ActiveCompanyID, "the active company pointed at the one left")
	assert.ErrorIs(t, w.Access.LeaveCompany(ctx, asViewer), access.ErrNotFound, "no membership left to leave")

	owning := w.APIToken(t, w.AsOwner, access.RoleOwner)
	asToken, err := w.Token.Verify(ctx, owning.Secret.Reveal())
	require.NoError(t, err)
	assert.ErrorIs(t, w.Access.LeaveCompany(ctx, asToken), access.ErrForbidden, "a token has no membership to leave")
	assert.ErrorIs(t, w.Access.LeaveCompany(ctx, access.Principal{}), access.ErrUnauthenticated)

	assert.ErrorIs(t, w.Access.LeaveCompany(ctx, w.AsOwner), access.ErrLastOwner)
	_, err = w.Access.GetMember(ctx, w.AsOwner, w.Owner.ID)
	require.NoError(t, err, "the last owner stays")

	_, asSecond := w.Member(t, "second", access.RoleOwner)
	require.NoError(t, w.Access.LeaveCompany(ctx, w.AsOwner), "with another OWNER, an OWNER may leave")
	n, err := w.Store.CountActiveOwners(ctx, w.Company.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.ErrorIs(t, w.Access.LeaveCompany(ctx, asSecond), access.ErrLastOwner)
}

// testTransferOwnership: ownership goes only to an active member of the
// company, in one step that leaves the old OWNER an ADMIN; every refusal
// changes nothing.
func testTransferOwnership(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	admin, asAdmin := w.Member(t, "admin", access.RoleAdmin)
	idle, _ := w.Member(t, "idle", access.RoleViewer)
	_, err := w.Access.UpdateMember(ctx, w.AsOwner, idle.ID, access.MemberUpdate{Active: new(false)})
	require.NoError(t, err)
	stranger := w.User(t, "stranger")
	owning := w.APIToken(t, w.AsOwner, access.RoleOwner)
	asToken, err := w.Token.Verify(ctx, owning.Secret.Reveal())
	require.NoError(t, err)

	assertConflict(t, w.Access.TransferOwnership(ctx, w.AsOwner, idle.ID), access.CodeMemberInactive)
	assertNotFound(t, w.Access.TransferOwnership(ctx, w.AsOwner, stranger.ID), access.CodeMemberNotFound)
	assertInvalid(t, w.Access.TransferOwnership(ctx, w.AsOwner, w.Owner.ID), "user_id")
	assert.ErrorIs(t, w.Access.TransferOwnership(ctx, asAdmin, w.Owner.ID), access.ErrForbidden, "an ADMIN owns nothing to give")
	assert.ErrorIs(t, w.Access.TransferOwnership(ctx, asToken, admin.ID), access.ErrForbidden, "a token is no owning user")
	roles := func() map[uuid.UUID]string {
		page, err := w.Access.ListMembers(ctx, w.AsOwner, access.MemberFilter{})
		require.NoError(t, err)
		out := map[uuid.UUID]string{}
		for _, m := range page.Items {
			out[m.UserID] = m.Role
		}
		return out
	}
	before := roles()
	assert.Equal(t, access.RoleOwner, before[w.Owner.ID])

	require.NoError(t, w.Access.TransferOwnership(ctx, w.AsOwner, admin.ID))
	after := roles()
	assert.Equal(t, access.RoleOwner, after[admin.ID])
	assert.Equal(t, access.RoleAdmin, after[w.Owner.ID], "the old OWNER is an ADMIN")
	assert.Equal(t, before[idle.ID], after[idle.ID])
	assert.ErrorIs(t, w.Access.TransferOwnership(ctx, w.AsOwner, admin.ID), access.ErrForbidden, "no longer an OWNER")
	n, err := w.Store.CountActiveOwners(ctx, w.Company.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// testDeleteCompanyOps: only an OWNER deletes the company; afterwards its
// ID is unknown to everyone, its tokens and invitations stop, and its
// members keep their other companies.
func testDeleteCompanyOps(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	member, asAdmin := w.Member(t, "admin", access.RoleAdmin)
	elsewhere, _ := w.NewCompany(t, access.NewCompany{Name: "Elsewhere"}, member)
	owning := w.APIToken(t, w.AsOwner, access.RoleOwner)
	pending, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: "late-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	_, err = w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: member.ID},
		Resource: access.Resource{Type: "project", ID: "p1"}, Level: access.LevelAdmin})
	require.NoError(t, err)

	assert.ErrorIs(t, w.Access.DeleteCompany(ctx, asAdmin), access.ErrForbidden, "an ADMIN may not")
	_, err = w.Access.GetCompany(ctx, w.AsOwner, w.Company.ID)
	require.NoError(t, err, "a refusal deletes nothing")

	require.NoError(t, w.Access.DeleteCompany(ctx, w.AsOwner))

	for name, p := range map[string]access.Principal{"owner": w.AsOwner, "member": access.UserPrincipal(member.ID, elsewhere.ID),
		"system": access.SystemPrincipal()} {
		_, err := w.Access.GetCompany(ctx, p, w.Company.ID)
		assert.ErrorIs(t, err, access.ErrNotFound, name)
	}
	_, err = w.Token.Verify(ctx, owning.Secret.Reveal())
	assert.Error(t, err, "the company's API tokens stop")
	var ae *access.Error
	if assert.True(t, errors.As(err, &ae)) {
		assert.True(t, errors.Is(err, access.ErrUnauthenticated) || errors.Is(err, access.ErrNotFound), "%v", err)
	}
	_, err = w.Invite.Accept(ctx, access.SystemPrincipal(), pending.Token.Reveal())
	assert.ErrorIs(t, err, access.ErrNotFound, "its invitations went with it")
	ucs, err := w.Access.ListMyCompanies(ctx, access.UserPrincipal(member.ID, elsewhere.ID), access.MemberFilter{})
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{elsewhere.ID}, idsOf(ucs.Items, func(uc access.UserCompany) uuid.UUID { return uc.CompanyID }))
	assert.Error(t, w.Access.DeleteCompany(ctx, w.AsOwner), "gone is gone")
}

// assertInvalid checks that err is ErrInvalid naming field.
func assertInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ae *access.Error
	if assert.ErrorIs(t, err, access.ErrInvalid) && assert.True(t, errors.As(err, &ae)) {
		assert.Equal(t, field, ae.Field)
	}
}
