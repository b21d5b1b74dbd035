package token_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// randomPart is the part of a secret that must never show.
func randomPart(s string) string {
	i := strings.LastIndexByte(s, '_')
	return s[i+1 : len(s)-6]
}

func assertRedacted(t *testing.T, name string, v any, secrets ...string) {
	t.Helper()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(verb, v)
		for _, s := range secrets {
			assert.NotContains(t, out, randomPart(s), "%s printed with %s: %s", name, verb, out)
		}
	}
	if st, ok := v.(fmt.Stringer); ok {
		for _, s := range secrets {
			assert.NotContains(t, st.String(), randomPart(s), name)
		}
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	for _, s := range secrets {
		assert.NotContains(t, string(b), randomPart(s), "%s as JSON", name)
	}
}

func TestNoSecretIsEverPrinted(t *testing.T) {
	e := newEnv(t)
	created := e.create(t, e.asOwner, token.NewToken{Role: access.RoleAdmin})
	prov, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	link := linkSecret(t, prov)
	login, err := e.tok.RedeemLoginLinkSession(ctx, link)
	require.NoError(t, err)
	session := login.Session.Secret.Reveal()
	api := created.Secret.Reveal()

	assert.Equal(t, token.Redacted, created.Secret.String())
	assert.Equal(t, token.Redacted, fmt.Sprintf("%v", created.Secret))
	assertRedacted(t, "Secret", created.Secret, api)
	assertRedacted(t, "*Secret", &created.Secret, api)
	assertRedacted(t, "Created", created, api)
	assertRedacted(t, "*Created", &created, api)
	assertRedacted(t, "Provisioned", prov, link)
	assertRedacted(t, "Login", login, session)
	assertRedacted(t, "Session", *login.Session, session)
	assertRedacted(t, "*Session", login.Session, session)
	assertRedacted(t, "wrapped", struct{ C token.Created }{created}, api)
	assert.Contains(t, fmt.Sprintf("%+v", created), "Name:", "the rest still prints")
	assert.Contains(t, fmt.Sprintf("%#v", created.Secret), token.Redacted)
	var logs strings.Builder
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		slog.New(h).Info("issued", "secret", created.Secret, "created", created, "provisioned", prov, "login", login)
	}
	for _, s := range []string{api, link, session} {
		assert.NotContains(t, logs.String(), randomPart(s), "log/slog")
	}

	// Errors of every refusal carry no secret either.
	for _, s := range []string{api, session, link} {
		_, err := e.tok.Verify(ctx, s+"x")
		assert.NotContains(t, err.Error(), randomPart(s))
		_, err = e.tok.RedeemLoginLink(ctx, s)
		assert.NotContains(t, err.Error(), randomPart(s))
	}

	// The audit trail, stored and hooked, holds no secret.
	require.NoError(t, e.tok.Logout(ctx, session))
	_, err = e.tok.Revoke(ctx, e.asOwner, created.Token.ID)
	require.NoError(t, err)
	page, err := e.acc.ListAudit(ctx, e.asOwner, access.PageRequest{Limit: access.MaxPageLimit})
	require.NoError(t, err)
	b, err := json.Marshal(page.Items)
	require.NoError(t, err)
	hooked, err := json.Marshal(*e.events)
	require.NoError(t, err)
	for _, s := range []string{api, session, link} {
		assert.NotContains(t, string(b), randomPart(s))
		assert.NotContains(t, string(hooked), randomPart(s))
		assert.NotContains(t, string(b), s[len(s)-6:], "not even the checksum")
	}
}

// Every change writes an audit event.
func TestEveryChangeIsAudited(t *testing.T) {
	e := newEnv(t)
	created := e.create(t, e.asOwner, token.NewToken{Name: "ci", Role: access.RoleViewer})
	prov, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	_, err = e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleViewerPlus})
	require.NoError(t, err)
	_, err = e.tok.RedeemLoginLink(ctx, linkSecret(t, prov))
	require.ErrorIs(t, err, token.ErrLinkRevoked)
	prov, err = e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleViewerPlus})
	require.NoError(t, err)
	login, err := e.tok.RedeemLoginLinkSession(ctx, linkSecret(t, prov))
	require.NoError(t, err)
	require.NoError(t, e.tok.Logout(ctx, login.Session.Secret.Reveal()))
	_, err = e.tok.Revoke(ctx, e.asOwner, created.Token.ID)
	require.NoError(t, err)

	var actions []string
	for _, ev := range *e.events {
		actions = append(actions, ev.Action)
	}
	assert.Equal(t, []string{
		"user.created", "company.created", "membership.created", // set-up
		"token.created",
		"user.created", "membership.created", "login_link.issued",
		"membership.updated", "login_link.issued",
		"login_link.issued",
		"login_link.redeemed", "session.created",
		"session.revoked",
		"token.revoked",
	}, actions)
	for _, ev := range *e.events {
		if ev.Action == "token.created" {
			assert.Equal(t, "ApiToken:"+created.Token.ID.String(), ev.Target)
			assert.Equal(t, "ci", ev.Details["name"])
			assert.Equal(t, e.asOwner.String(), ev.Actor)
		}
	}
}
