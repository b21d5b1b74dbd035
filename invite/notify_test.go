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
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
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

// A notifier that panics after the change committed does not undo the
// change nor fail the call: the failure is logged and reported to the
// host's hook.
func TestPanickingNotifierLeavesTheChangeStanding(t *testing.T) {
	var buf bytes.Buffer
	var reported []error
	boom := token.NotifierFunc(func(context.Context, token.Event) { panic("smtp down: https://app.example/secret-link") })
	w := storetest.NewWorld(t, memstore.New(),
		storetest.WithAccess(access.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))),
			access.WithFailureHook(func(_ context.Context, err error) { reported = append(reported, err) })),
		storetest.WithInvite(invite.WithNotifier(boom)))
	is, err := w.Invite.Invite(context.Background(), w.AsOwner, invite.NewInvitation{Email: "bob@example.com", Role: access.RoleViewer})
	require.NoError(t, err, "the invitation stands")
	w.Clock.Advance(invite.DefaultResendCooldown)
	_, err = w.Invite.Resend(context.Background(), w.AsOwner, is.Invitation.ID)
	require.NoError(t, err, "a resend that committed answers success")
	inv, err := w.Invite.Get(context.Background(), w.AsOwner, is.Invitation.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, inv.SendCount)
	require.Len(t, reported, 2, "each failure reaches the hook")
	assert.Contains(t, reported[0].Error(), "smtp down")
	assert.Contains(t, buf.String(), "panicked after its change committed")
	assert.NotContains(t, buf.String(), "secret-link", "the log holds no link")
}
