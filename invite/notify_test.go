package invite_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

func TestLogNotifierLogsTheLinkOnlyWhenSent(t *testing.T) {
	var buf bytes.Buffer
	log := token.LogNotifier{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	e := newEnv(t, invite.WithNotifier(log))
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	assert.Contains(t, buf.String(), is.Token.Reveal(), "the logging notifier shows the link to mail, on purpose")
	assert.Contains(t, buf.String(), `"accept_url":"https://app.example/invite/accept?token=`)

	buf.Reset()
	_, err := e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	require.NoError(t, err)
	assert.Contains(t, buf.String(), `"event":"accepted"`)
	assert.NotContains(t, buf.String(), is.Token.Reveal())

	// Events logged any other way show no secret.
	buf.Reset()
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "event", invite.Event{Token: is.Token, URL: is.URL})
	assert.NotContains(t, buf.String(), is.Token.Reveal())
}

func TestNopNotifierAndFunc(t *testing.T) {
	token.NopNotifier{}.Notify(context.Background(), invite.Event{})
	var got invite.EventType
	e := newEnv(t, invite.WithNotifier(token.NotifierFunc(func(_ context.Context, ev token.Event) { got = ev.(invite.Event).Type })))
	e.invite(t, "bob@example.com", access.RoleViewer)
	assert.Equal(t, invite.EventCreated, got)
	e2 := newEnv(t, invite.WithNotifier(nil))
	e2.invite(t, "bob@example.com", access.RoleViewer)
}
