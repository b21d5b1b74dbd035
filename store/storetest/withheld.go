package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// testWithheldPermissions: removing a permission the member's role grants
// (seed 003's remove_roles) takes it away everywhere the rule is asked:
// Check, Authorize (and so the rank rules), the listing, the member's
// tokens; adding it back restores it; a new role is given whole.
func testWithheldPermissions(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	cat := w.Access.Catalog()
	adm, asAdm := w.Member(t, "admin", access.RoleAdmin)
	viewer, _ := w.Member(t, "viewer", access.RoleViewer)
	// A token made while the admin held USER_ADD.
	tok := w.APIToken(t, asAdm, access.RoleAdmin, access.UserAdd, access.UserEdit)
	asTok, err := w.Token.Verify(ctx, tok.Secret.Reveal())
	require.NoError(t, err)
	require.NoError(t, w.Access.Check(ctx, asTok, access.UserAdd))

	m, err := w.Access.UpdateMember(ctx, w.AsOwner, adm.ID, access.MemberUpdate{RemovePermissions: []string{access.UserAdd}})
	require.NoError(t, err)
	assert.Equal(t, []string{access.UserAdd}, m.Withheld)
	assert.Equal(t, []string{access.UserDelete, access.UserEdit, access.UserView}, cat.Effective(m.Role, m.Extra, m.Withheld))
	assert.Equal(t, access.RoleAdmin, m.Role, "the role stays")

	assert.ErrorIs(t, w.Access.Check(ctx, asAdm, access.UserAdd), access.ErrForbidden, "Check: gone")
	assert.NoError(t, w.Access.Check(ctx, asAdm, access.UserEdit), "only USER_ADD")
	assert.ErrorIs(t, w.Access.Check(ctx, asTok, access.UserAdd), access.ErrForbidden, "gone through the admin's token too")
	a, err := w.Access.Authorize(ctx, asAdm, "")
	require.NoError(t, err)
	assert.False(t, a.Has(access.UserAdd), "Authorize: gone")
	assert.Equal(t, []string{access.UserDelete, access.UserEdit, access.UserView}, a.Permissions())
	_, err = w.Access.AddMember(ctx, asAdm, access.NewMember{UserID: w.User(t, "x").ID, Role: access.RoleViewer, Consented: true})
	assert.ErrorIs(t, err, access.ErrForbidden, "adding needs USER_ADD")
	// The rank rules: ADMIN is no longer the admin's to give, VIEWER_PLUS is.
	_, err = w.Access.UpdateMember(ctx, asAdm, viewer.ID, access.MemberUpdate{Role: new(access.RoleAdmin)})
	assert.ErrorIs(t, err, access.ErrForbidden, "a role holding a permission the granter lacks")
	_, err = w.Access.UpdateMember(ctx, asAdm, viewer.ID, access.MemberUpdate{AddPermissions: []string{access.UserAdd}})
	assert.ErrorIs(t, err, access.ErrForbidden, "a permission the granter lacks")
	_, err = w.Access.UpdateMember(ctx, asAdm, viewer.ID, access.MemberUpdate{Role: new(access.RoleViewerPlus)})
	assert.NoError(t, err)

	page, err := w.Access.ListMembers(ctx, w.AsOwner, access.MemberFilter{})
	require.NoError(t, err)
	for _, lm := range page.Items {
		if lm.UserID == adm.ID {
			assert.Equal(t, []string{access.UserAdd}, lm.Withheld, "listed as stored")
		}
	}
	got, err := w.Access.GetMember(ctx, w.AsOwner, adm.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{access.UserAdd}, got.Withheld)

	// Withholding USER_VIEW withholds what implies it; adding USER_EDIT
	// back restores it with the USER_VIEW it implies, nothing more.
	m, err = w.Access.UpdateMember(ctx, w.AsOwner, adm.ID, access.MemberUpdate{RemovePermissions: []string{access.UserView}})
	require.NoError(t, err)
	assert.Equal(t, []string{access.UserAdd, access.UserDelete, access.UserEdit, access.UserView}, m.Withheld)
	assert.Empty(t, cat.Effective(m.Role, m.Extra, m.Withheld))
	assert.ErrorIs(t, w.Access.Check(ctx, asAdm, access.UserView), access.ErrForbidden)
	m, err = w.Access.UpdateMember(ctx, w.AsOwner, adm.ID, access.MemberUpdate{AddPermissions: []string{access.UserEdit}})
	require.NoError(t, err)
	assert.Equal(t, []string{access.UserAdd, access.UserDelete}, m.Withheld)
	assert.NoError(t, w.Access.Check(ctx, asAdm, access.UserEdit))
	assert.NoError(t, w.Access.Check(ctx, asAdm, access.UserView))
	assert.ErrorIs(t, w.Access.Check(ctx, asAdm, access.UserDelete), access.ErrForbidden)

	// add_roles gives it back.
	m, err = w.Access.UpdateMember(ctx, w.AsOwner, adm.ID, access.MemberUpdate{AddPermissions: []string{access.UserAdd, access.UserDelete}})
	require.NoError(t, err)
	assert.Empty(t, m.Withheld)
	assert.NoError(t, w.Access.Check(ctx, asAdm, access.UserAdd), "restored")
	assert.NoError(t, w.Access.Check(ctx, asTok, access.UserAdd), "restored through the token")

	// A new role is given whole: nothing withheld carries over.
	_, err = w.Access.UpdateMember(ctx, w.AsOwner, adm.ID, access.MemberUpdate{RemovePermissions: []string{access.UserDelete}})
	require.NoError(t, err)
	m, err = w.Access.UpdateMember(ctx, w.AsOwner, adm.ID, access.MemberUpdate{Role: new(access.RoleViewerPlus)})
	require.NoError(t, err)
	assert.Empty(t, m.Withheld)
	m, err = w.Access.UpdateMember(ctx, w.AsOwner, adm.ID, access.MemberUpdate{Role: new(access.RoleAdmin), RemovePermissions: []string{access.UserEdit}})
	require.NoError(t, err)
	assert.Equal(t, []string{access.UserEdit}, m.Withheld, "the role first, then the removal, in one change")
	assert.NoError(t, w.Access.Check(ctx, asAdm, access.UserDelete))
	assert.ErrorIs(t, w.Access.Check(ctx, asAdm, access.UserEdit), access.ErrForbidden)

	// A token holding all the admin still holds of ADMIN acts with the
	// role (here: manages connections, which needs a member's role).
	sys := access.SystemPrincipal()
	sys.CompanyID = w.Company.ID
	whole, err := w.Token.Create(ctx, sys, token.NewToken{Name: "whole", Level: access.LevelAdmin, CreatorID: adm.ID,
		Permissions: []string{access.UserAdd, access.UserDelete, access.UserView}})
	require.NoError(t, err)
	asWhole, err := w.Token.Verify(ctx, whole.Secret.Reveal())
	require.NoError(t, err)
	_, err = w.Access.ListConnections(ctx, asWhole, access.PageRequest{})
	assert.NoError(t, err, "the token holds its creator's whole (diminished) role")

	// The change is audited.
	events, err := w.Access.QueryAudit(ctx, w.AsOwner, access.AuditFilter{Action: "membership.updated"})
	require.NoError(t, err)
	var withheld []string
	for _, e := range events.Items {
		if v, ok := e.Details["withheld"]; ok {
			withheld = append(withheld, v)
		}
	}
	assert.Contains(t, withheld, access.UserAdd)
	assert.Contains(t, withheld, "", "emptied: restored, or cleared by the role change")

	// An OWNER holds the role whole: the company's last word stays with
	// someone who can give everything back.
	_, err = w.Access.UpdateMember(ctx, w.AsOwner, w.Owner.ID, access.MemberUpdate{RemovePermissions: []string{access.UserEdit}})
	assert.ErrorIs(t, err, access.ErrInvalid)
	assert.Equal(t, access.FieldRemoveRoles, access.FieldOf(err))
	assert.NoError(t, w.Access.Check(ctx, w.AsOwner, access.UserEdit), "unchanged")
	own, err := w.Access.GetMember(ctx, w.AsOwner, w.Owner.ID)
	require.NoError(t, err)
	assert.Empty(t, own.Withheld)
}
