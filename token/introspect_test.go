package token_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// signIn mints a session of u in the env's company through a login link
// the host issues, with role (access.RoleAdmin if none).
func (e *env) signIn(t *testing.T, u access.User, role ...string) token.Login {
	t.Helper()
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company.ID}
	r := access.RoleAdmin
	if len(role) > 0 {
		r = role[0]
	}
	p, err := e.tok.Provision(ctx, sys, token.Provision{Email: u.Email, Role: r})
	require.NoError(t, err)
	l, err := e.tok.RedeemLoginLinkSession(ctx, linkSecret(t, p))
	require.NoError(t, err)
	return l
}

func TestIntrospect(t *testing.T) {
	e := newEnv(t)
	expiry := e.clock.Now().Add(time.Hour)
	api := e.create(t, e.asOwner, token.NewToken{Permissions: []string{access.UserView}, Level: access.LevelViewer, ExpiresAt: expiry})
	in, err := e.tok.Introspect(ctx, api.Secret.Reveal())
	require.NoError(t, err)
	assert.Equal(t, token.Introspection{Active: true, Kind: token.KindAPI, UserID: e.owner.ID, CompanyID: e.company.ID,
		TokenID: api.Token.ID, Permissions: []string{access.UserView}, Level: access.LevelViewer, ExpiresAt: expiry}, in)

	u, _ := e.member(t, "member", access.RoleAdmin)
	login := e.signIn(t, u)
	in, err = e.tok.Introspect(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	assert.Equal(t, token.Introspection{Active: true, Kind: token.KindSession, UserID: u.ID, CompanyID: e.company.ID,
		TokenID: login.Session.Token.ID, ExpiresAt: login.Session.Token.ExpiresAt}, in, "a session has no ceiling of its own")

	// Whatever does not verify is inactive, and no error.
	revoked := e.create(t, e.asOwner, token.NewToken{Role: access.RoleViewer})
	_, err = e.tok.Revoke(ctx, e.asOwner, revoked.Token.ID)
	require.NoError(t, err)
	short := e.create(t, e.asOwner, token.NewToken{Role: access.RoleViewer, ExpiresAt: e.clock.Now().Add(time.Minute)})
	ended := e.signIn(t, e.user(t, "ended"))
	require.NoError(t, e.tok.Logout(ctx, ended.Session.Secret.Reveal()))
	e.clock.Advance(time.Minute) // now == expires_at
	bad := api.Secret.Reveal()
	for name, s := range map[string]string{
		"revoked": revoked.Secret.Reveal(), "expired": short.Secret.Reveal(), "logged out": ended.Session.Secret.Reveal(),
		"unknown": token.Generate(token.KindAPI).Reveal(), "malformed": mistyped(bad), "empty": "",
		"another kind": token.Generate(token.KindPasswordReset).Reveal(), "another product": mustFormat(t, "acme").Generate(token.KindAPI).Reveal(),
	} {
		in, err := e.tok.Introspect(ctx, s)
		require.NoError(t, err, name)
		assert.Equal(t, token.Introspection{}, in, name)
	}

	// The same cost as Verify: a malformed token touches no store.
	before := e.st.calls.Load()
	_, err = e.tok.Introspect(ctx, bad[:10])
	require.NoError(t, err)
	assert.Equal(t, before, e.st.calls.Load())
	before = e.st.lookups.Load()
	_, err = e.tok.Introspect(ctx, api.Secret.Reveal())
	require.NoError(t, err)
	assert.Equal(t, before+1, e.st.lookups.Load(), "one lookup")

	// Nothing in it is secret, and it prints none.
	out := fmt.Sprintf("%+v", in)
	assert.NotContains(t, out, randomPart(api.Secret.Reveal()))
}

// mistyped is s with its last character changed: its checksum fails.
func mistyped(s string) string {
	last := byte('x')
	if s[len(s)-1] == last {
		last = 'y'
	}
	return s[:len(s)-1] + string(last)
}

func mustFormat(t *testing.T, product string) token.Format {
	t.Helper()
	f, err := token.NewFormat(product)
	require.NoError(t, err)
	return f
}

func TestLogoutPrincipal(t *testing.T) {
	e := newEnv(t)
	u, _ := e.member(t, "member", access.RoleAdmin)
	one, two := e.signIn(t, u), e.signIn(t, u)
	p, err := e.tok.Verify(ctx, one.Session.Secret.Reveal())
	require.NoError(t, err)
	require.NoError(t, e.tok.LogoutPrincipal(ctx, p))
	_, err = e.tok.Verify(ctx, one.Session.Secret.Reveal())
	assert.ErrorIs(t, err, token.ErrInvalidToken, "the asking session ends at once")
	_, err = e.tok.Verify(ctx, two.Session.Secret.Reveal())
	assert.NoError(t, err, "the user's other session stays")
	e.clock.Advance(time.Second)
	err = e.tok.LogoutPrincipal(ctx, p)
	assert.ErrorIs(t, err, token.ErrInvalidToken)
	assert.Equal(t, token.ReasonRevoked, token.ReasonOf(err))

	api := e.create(t, e.asOwner, token.NewToken{Role: access.RoleAdmin})
	tp, err := e.tok.Verify(ctx, api.Secret.Reveal())
	require.NoError(t, err)
	for name, p := range map[string]access.Principal{
		"an API token": tp, "a principal without session": access.UserPrincipal(u.ID, e.company.ID), "none": {},
		"another user's session": {Kind: access.PrincipalUser, UserID: e.owner.ID, CompanyID: e.company.ID, SessionID: two.Session.Token.ID},
	} {
		assert.ErrorIs(t, e.tok.LogoutPrincipal(ctx, p), token.ErrInvalidToken, name)
	}
	_, err = e.tok.Verify(ctx, api.Secret.Reveal())
	assert.NoError(t, err, "an API token is no session to log out")
	_, err = e.tok.Verify(ctx, two.Session.Secret.Reveal())
	assert.NoError(t, err, "nor is someone else's session")
}

func TestEndSessions(t *testing.T) {
	e := newEnv(t)
	u, _ := e.member(t, "member", access.RoleAdmin)
	asking, other, third := e.signIn(t, u), e.signIn(t, u), e.signIn(t, u)
	mine := e.signIn(t, e.owner, access.RoleOwner)
	p, err := e.tok.Verify(ctx, asking.Session.Secret.Reveal())
	require.NoError(t, err)
	n, err := e.tok.EndSessions(ctx, p, u.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	_, err = e.tok.Verify(ctx, asking.Session.Secret.Reveal())
	assert.NoError(t, err, "the asking session stays")
	for _, l := range []token.Login{other, third} {
		_, err = e.tok.Verify(ctx, l.Session.Secret.Reveal())
		assert.ErrorIs(t, err, token.ErrInvalidToken, "the others end at once")
	}
	_, err = e.tok.EndSessions(ctx, p, e.owner.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "only one's own")
	_, err = e.tok.EndSessions(ctx, e.asOwner, u.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "even for the OWNER of a shared company")
	_, err = e.tok.EndSessions(ctx, access.Principal{}, u.ID)
	assert.ErrorIs(t, err, access.ErrUnauthenticated)
	_, err = e.tok.Verify(ctx, mine.Session.Secret.Reveal())
	assert.NoError(t, err)

	n, err = e.tok.EndSessions(ctx, access.SystemPrincipal(), u.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the system ends them all")
	_, err = e.tok.Verify(ctx, asking.Session.Secret.Reveal())
	assert.ErrorIs(t, err, token.ErrInvalidToken)
	var found bool
	for _, ev := range *e.events {
		if ev.Action == "sessions.revoked" && ev.Target == "user:"+u.ID.String() && ev.Actor == "system" {
			found = true
			assert.Equal(t, uuid.Nil, ev.CompanyID, "the account's event, outside any company")
			assert.Equal(t, "1", ev.Details["count"])
		}
	}
	assert.True(t, found, "audited")
}
