package storetest

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// The lifecycle of a user (run.go), through the services, on every store:
//
//   - testUserDisable: who may disable and enable; while disabled, their
//     sessions, API tokens, login links and password stop on the next
//     call and no company takes them in; enabled, all of it works again.

// testUserDisable: the user themself or the system disables, only the
// system enables; a disabled user acts nowhere and joins nothing.
func testUserDisable(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := signInWorld(t, newStore, &resetNotices{})
	u := w.passwordMember(t, "person", access.RoleAdmin)
	asU := access.UserPrincipal(u.ID, w.Company.ID)
	sys := access.SystemPrincipal()
	sys.CompanyID = w.Company.ID

	login, err := w.Token.Login(ctx, u.Email, signInPassword)
	require.NoError(t, err)
	require.NotNil(t, login.Session)
	session := login.Session.Secret.Reveal()
	api := w.APIToken(t, asU, access.RoleViewer).Secret.Reveal()
	pv, err := w.Token.Provision(ctx, w.AsOwner, token.Provision{Email: u.Email, Role: access.RoleAdmin})
	require.NoError(t, err)
	link, err := tokenOfURL(pv.LoginURL.Reveal())
	require.NoError(t, err)

	_, asAdmin := w.Member(t, "admin", access.RoleAdmin)
	assertNotFound(t, w.Access.DisableUser(ctx, asAdmin, u.ID), access.CodeUserNotFound, "another member may not")
	assertNotFound(t, w.Access.DisableUser(ctx, w.AsOwner, u.ID), access.CodeUserNotFound, "nor the OWNER")
	asAPI, err := w.Token.Verify(ctx, api)
	require.NoError(t, err)
	assertNotFound(t, w.Access.DisableUser(ctx, asAPI, u.ID), access.CodeUserNotFound, "nor their own API token")

	require.NoError(t, w.Access.DisableUser(ctx, asU, u.ID), "the user themself")
	require.NoError(t, w.Access.DisableUser(ctx, asU, u.ID), "twice changes nothing")
	got, err := w.Access.GetUser(ctx, sys, u.ID)
	require.NoError(t, err)
	assert.Equal(t, access.UserDisabled, got.Status)

	_, err = w.Token.Verify(ctx, session)
	assert.ErrorIs(t, err, token.ErrInvalidToken, "their session stops")
	_, err = w.Token.Verify(ctx, api)
	assert.ErrorIs(t, err, token.ErrInvalidToken, "the API token they created stops")
	assert.Equal(t, token.ReasonUserUnknown, token.ReasonOf(err))
	_, err = w.Token.RedeemLoginLinkSession(ctx, link)
	assert.Error(t, err, "their login link stops")
	_, err = w.Token.Login(ctx, u.Email, signInPassword)
	assert.ErrorIs(t, err, access.ErrInvalidCredentials, "their password: the one answer")
	_, err = w.Access.Authenticate(ctx, u.Email, signInPassword)
	assert.ErrorIs(t, err, access.ErrInvalidCredentials)

	other, asOther := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other-owner"))
	inOther := access.SystemPrincipal()
	inOther.CompanyID = other.ID
	_, err = w.Access.AddMember(ctx, inOther, access.NewMember{UserID: u.ID, Role: access.RoleViewer})
	assertConflict(t, err, access.CodeUserDisabled, "AddMember")
	_, err = w.Access.ProvisionMember(ctx, inOther, access.NewMember{Email: u.Email, Role: access.RoleViewer})
	assertConflict(t, err, access.CodeUserDisabled, "ProvisionMember")
	_, err = w.Token.Provision(ctx, inOther, token.Provision{Email: u.Email, Role: access.RoleViewer})
	assertConflict(t, err, access.CodeUserDisabled, "just-in-time provisioning")
	_, err = w.Access.CreateCompany(ctx, access.SystemPrincipal(), access.NewCompany{Name: "Theirs", OwnerID: u.ID})
	assertConflict(t, err, access.CodeUserDisabled, "a company of their own")
	_, err = w.Access.ListMembers(ctx, asOther, access.MemberFilter{})
	require.NoError(t, err)
	_, err = w.Access.GetMember(ctx, asOther, u.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "nothing was added")

	assert.ErrorIs(t, w.Access.EnableUser(ctx, asU, u.ID), access.ErrForbidden, "a user does not enable themself")
	assert.ErrorIs(t, w.Access.EnableUser(ctx, w.AsOwner, u.ID), access.ErrForbidden)
	require.NoError(t, w.Access.EnableUser(ctx, sys, u.ID))

	_, err = w.Token.Verify(ctx, session)
	assert.NoError(t, err, "the session works again")
	_, err = w.Token.Verify(ctx, api)
	assert.NoError(t, err, "the API token works again")
	_, err = w.Token.RedeemLoginLinkSession(ctx, link)
	assert.NoError(t, err, "the refused redemption consumed nothing")
	_, err = w.Token.Login(ctx, u.Email, signInPassword)
	assert.NoError(t, err)
	_, err = w.Access.AddMember(ctx, inOther, access.NewMember{UserID: u.ID, Role: access.RoleViewer})
	assert.NoError(t, err)

	evs, err := w.Store.QueryAudit(ctx, w.Company.ID, access.AuditQuery{Action: "user", Target: "user:" + u.ID.String()}, all())
	require.NoError(t, err)
	var acts []string
	for _, e := range evs {
		if e.Action == "user.disabled" || e.Action == "user.enabled" {
			acts = append(acts, e.Action+" by "+e.Actor)
		}
	}
	assert.Equal(t, []string{"user.disabled by " + asU.String(), "user.enabled by " + sys.String()}, acts,
		"audited once each; a repeated disable writes nothing")
	assertNotFound(t, w.Access.DisableUser(ctx, sys, uuid.New()), access.CodeUserNotFound, "an unknown user")
}
