package token_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

const password = "correct horse battery staple"

// resets records the PasswordReset events a Notifier hears.
type resets struct {
	mu     sync.Mutex
	events []token.PasswordReset
}

func (r *resets) Notify(_ context.Context, e token.Event) {
	if ev, ok := e.(token.PasswordReset); ok {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, ev)
	}
}

func (r *resets) all() []token.PasswordReset {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]token.PasswordReset(nil), r.events...)
}

// last is the secret of the last reset link heard.
func (r *resets) last(t *testing.T) string {
	t.Helper()
	all := r.all()
	require.NotEmpty(t, all, "a reset link was sent")
	u, err := url.Parse(all[len(all)-1].ResetURL.Reveal())
	require.NoError(t, err)
	return u.Query().Get("token")
}

// withPassword creates a user with the password and adds them to the
// env's company with role.
func (e *env) withPassword(t *testing.T, name, role string) access.User {
	t.Helper()
	u := e.CreateUser(t, access.NewUser{Email: name + "-" + uuid.NewString()[:8] + "@example.com", FirstName: name, Password: password})
	if role != "" {
		e.AddMember(t, e.company.ID, u, role)
	}
	return u
}

func (e *env) audited(action string) []access.AuditEvent {
	var out []access.AuditEvent
	for _, ev := range *e.events {
		if ev.Action == action {
			out = append(out, ev)
		}
	}
	return out
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	u := e.withPassword(t, "person", access.RoleAdmin)
	other, _ := e.NewCompany(t, access.NewCompany{Name: "Other"}, e.user(t, "other-owner"))
	e.AddMember(t, other.ID, u, access.RoleViewer)
	// The person acts in Other: that is where the login lands.
	_, err := e.acc.SwitchCompany(ctx, access.UserPrincipal(u.ID, e.company.ID), access.SwitchTarget{CompanyID: other.ID})
	require.NoError(t, err)

	login, err := e.tok.Login(ctx, " "+strings.ToUpper(u.Email)+" ", password)
	require.NoError(t, err)
	require.NotNil(t, login.Session)
	assert.Equal(t, u.ID, login.User.ID)
	assert.Equal(t, other.ID, login.Company.ID, "the active company")
	assert.Equal(t, token.OriginSignIn, login.Origin)
	assert.Equal(t, e.clock.Now().Add(token.DefaultSessionTTL), login.Session.Token.ExpiresAt)
	p, err := e.tok.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	want := access.UserPrincipal(u.ID, other.ID)
	want.SessionID, want.SessionHome = login.Session.Token.ID, other.ID
	assert.Equal(t, want, p, "a signed-in session: it follows the user's memberships")
	require.NoError(t, e.acc.Check(ctx, p, access.UserView))
	c, err := e.tok.SwitchCompany(ctx, p, access.SwitchTarget{CompanyID: e.company.ID})
	require.NoError(t, err)
	assert.Equal(t, e.company.ID, c.ID)

	created := e.audited("session.created")
	require.NotEmpty(t, created)
	last := created[len(created)-1]
	assert.Equal(t, map[string]string{"origin": "signin", "via": "password",
		"expires_at": login.Session.Token.ExpiresAt.Format(time.RFC3339)}, last.Details)
	assert.Equal(t, other.ID, last.CompanyID)
	assert.NotEmpty(t, e.audited("user.login"), "access records the sign-in")
}

func TestLoginCompanyChoice(t *testing.T) {
	e := newEnv(t)
	u := e.withPassword(t, "person", "")
	// In no company: a session in none, which may create one.
	login, err := e.tok.Login(ctx, u.Email, password)
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, login.Company.ID)
	assert.Equal(t, uuid.Nil, login.Session.Token.CompanyID)
	p, err := e.tok.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	me, err := e.acc.GetUser(ctx, p, u.ID)
	require.NoError(t, err)
	assert.Equal(t, u.Email, me.Email)
	shop, err := e.tok.CreateCompany(ctx, p, access.NewCompany{Name: "Shop"})
	require.NoError(t, err)
	c, err := e.tok.SwitchCompany(ctx, p, access.SwitchTarget{CompanyID: shop.ID})
	require.NoError(t, err)
	assert.Equal(t, shop.ID, c.ID)

	// The active company (Shop, since it was their first) while they are
	// an active member there; else the primary one; else the first.
	e.AddMember(t, e.company.ID, u, access.RoleViewer)
	login, err = e.tok.Login(ctx, u.Email, password)
	require.NoError(t, err)
	assert.Equal(t, shop.ID, login.Company.ID)
	sys := access.SystemPrincipal()
	sys.CompanyID = shop.ID
	second := e.user(t, "second-owner")
	e.AddMember(t, shop.ID, second, access.RoleOwner)
	_, err = e.acc.UpdateMember(ctx, sys, u.ID, access.MemberUpdate{Active: new(false)})
	require.NoError(t, err)
	login, err = e.tok.Login(ctx, u.Email, password)
	require.NoError(t, err)
	assert.Equal(t, e.company.ID, login.Company.ID, "the active company is left when its membership is inactive")
	assert.Equal(t, e.company.ID, login.User.ActiveCompanyID, "and the one chosen becomes active")
}

func TestLoginRefusals(t *testing.T) {
	e := newEnv(t)
	u := e.withPassword(t, "person", access.RoleAdmin)
	before := len(e.audited("session.created"))
	_, wrong := e.tok.Login(ctx, u.Email, "not the password")
	_, unknown := e.tok.Login(ctx, "nobody@example.com", "not the password")
	require.Error(t, wrong)
	assert.ErrorIs(t, wrong, access.ErrInvalidCredentials)
	assert.ErrorIs(t, wrong, access.ErrUnauthenticated)
	assert.Equal(t, wrong.Error(), unknown.Error(), "the same answer for an unknown e-mail")
	assert.Equal(t, access.CodeOf(wrong), access.CodeOf(unknown))
	assert.NotContains(t, wrong.Error(), "not the password")
	assert.Len(t, e.audited("session.created"), before, "no session")

	_, err := e.tok.Login(ctx, "not an address", password)
	assert.ErrorIs(t, err, access.ErrInvalid)
	assert.NotContains(t, err.Error(), password)

	// Throttled after repeated failures, as Authenticate decides (one
	// failure is counted already).
	for range access.DefaultLoginFailures - 1 {
		_, err = e.tok.Login(ctx, u.Email, "wrong")
		require.ErrorIs(t, err, access.ErrInvalidCredentials)
	}
	_, err = e.tok.Login(ctx, u.Email, password)
	var th *access.ThrottledError
	require.ErrorAs(t, err, &th, "even the right password waits")
	e.clock.Advance(th.RetryAfter)
	_, err = e.tok.Login(ctx, u.Email, password)
	assert.NoError(t, err)
}

func TestPasswordReset(t *testing.T) {
	heard := &resets{}
	e := newEnv(t, token.WithNotifier(heard), token.WithResetURL("https://app.example.com/reset?src=mail"))
	u := e.withPassword(t, "person", access.RoleAdmin)
	old := e.signIn(t, u)

	require.NoError(t, e.tok.RequestPasswordReset(ctx, "nobody@example.com"))
	assert.Empty(t, heard.all(), "nobody to tell")
	require.NoError(t, e.tok.RequestPasswordReset(ctx, " "+strings.ToUpper(u.Email)))
	all := heard.all()
	require.Len(t, all, 1, "the notifier hears only the known one")
	ev := all[0]
	assert.Equal(t, u.ID, ev.User.ID)
	assert.Equal(t, e.clock.Now().Add(30*time.Minute), ev.ExpiresAt, "30 minutes")
	assert.Equal(t, "password.reset_requested", ev.EventName())
	link, err := url.Parse(ev.ResetURL.Reveal())
	require.NoError(t, err)
	assert.Equal(t, "app.example.com", link.Host)
	assert.Equal(t, "mail", link.Query().Get("src"))
	secret := heard.last(t)
	require.NoError(t, e.tok.Format().Parse(secret, token.KindPasswordReset))
	assert.Equal(t, token.Redacted, fmt.Sprint(ev.ResetURL))

	// A refused new password changes nothing, and keeps the link.
	err = e.tok.CompletePasswordReset(ctx, secret, "short")
	assert.ErrorIs(t, err, access.ErrInvalid)
	assert.Equal(t, "new_password", access.FieldOf(err))
	_, err = e.tok.Verify(ctx, old.Session.Secret.Reveal())
	require.NoError(t, err, "sessions stand")

	const fresh = "a brand new passphrase"
	require.NoError(t, e.tok.CompletePasswordReset(ctx, secret, fresh))
	_, err = e.tok.Verify(ctx, old.Session.Secret.Reveal())
	assert.ErrorIs(t, err, token.ErrInvalidToken, "every session ends")
	_, err = e.tok.Login(ctx, u.Email, password)
	assert.ErrorIs(t, err, access.ErrInvalidCredentials, "the old password is gone")
	_, err = e.tok.Login(ctx, u.Email, fresh)
	require.NoError(t, err)

	err = e.tok.CompletePasswordReset(ctx, secret, "yet another passphrase")
	assert.ErrorIs(t, err, token.ErrResetLinkUsed, "single use")
	assert.ErrorIs(t, err, token.ErrLinkUsed)
	assert.Equal(t, access.CodeLinkUsed, access.CodeOf(err))
	_, err = e.tok.Login(ctx, u.Email, fresh)
	require.NoError(t, err)

	evs := e.audited("password.reset")
	require.Len(t, evs, 1)
	assert.Equal(t, "user:"+u.ID.String(), evs[0].Actor)
	assert.NotEmpty(t, e.audited("password.reset_requested"))
	assert.NotEmpty(t, e.audited("sessions.revoked"))
}

func TestResetLinkExpiresAndRotates(t *testing.T) {
	heard := &resets{}
	e := newEnv(t, token.WithNotifier(heard))
	u := e.withPassword(t, "person", access.RoleAdmin)
	require.NoError(t, e.tok.RequestPasswordReset(ctx, u.Email))
	first := heard.last(t)
	e.clock.Advance(30 * time.Minute) // now == expires_at
	err := e.tok.CompletePasswordReset(ctx, first, "a brand new passphrase")
	assert.ErrorIs(t, err, token.ErrResetLinkExpired)
	assert.Equal(t, access.CodeLinkExpired, access.CodeOf(err))

	require.NoError(t, e.tok.RequestPasswordReset(ctx, u.Email))
	second := heard.last(t)
	require.NoError(t, e.tok.RequestPasswordReset(ctx, u.Email))
	third := heard.last(t)
	err = e.tok.CompletePasswordReset(ctx, second, "a brand new passphrase")
	assert.ErrorIs(t, err, token.ErrResetLinkRevoked, "a new request rotates the link")
	e.clock.Advance(30*time.Minute - time.Microsecond)
	require.NoError(t, e.tok.CompletePasswordReset(ctx, third, "a brand new passphrase"), "a microsecond before it expires")

	for name, s := range map[string]string{
		"unknown": token.Generate(token.KindPasswordReset).Reveal(), "empty": "", "malformed": mistyped(third),
		"a login link": token.Generate(token.KindLoginLink).Reveal(), "a session": token.Generate(token.KindSession).Reveal(),
	} {
		err := e.tok.CompletePasswordReset(ctx, s, "a brand new passphrase")
		assert.ErrorIs(t, err, token.ErrInvalidResetLink, name)
		assert.ErrorIs(t, err, access.ErrUnauthenticated, name)
	}
	// A reset link signs no one in, and works as no token.
	require.NoError(t, e.tok.RequestPasswordReset(ctx, u.Email))
	_, err = e.tok.RedeemLoginLink(ctx, heard.last(t))
	assert.ErrorIs(t, err, token.ErrInvalidLink)
	_, err = e.tok.Verify(ctx, heard.last(t))
	assert.ErrorIs(t, err, token.ErrInvalidToken)

	// Bad input is an error; a disabled or password-less account is not.
	err = e.tok.RequestPasswordReset(ctx, "not an address")
	assert.ErrorIs(t, err, access.ErrInvalid)
	n := len(heard.all())
	require.NoError(t, e.tok.RequestPasswordReset(ctx, e.owner.Email))
	assert.Len(t, heard.all(), n+1, "a user without a password may set one")
}

func TestChangePassword(t *testing.T) {
	heard := &resets{}
	e := newEnv(t, token.WithNotifier(heard))
	u := e.withPassword(t, "person", access.RoleAdmin)
	login, err := e.tok.Login(ctx, u.Email, password)
	require.NoError(t, err)
	other := e.signIn(t, u)
	theirs := e.signIn(t, e.owner, access.RoleOwner)
	require.NoError(t, e.tok.RequestPasswordReset(ctx, u.Email))
	pending := heard.last(t)
	p, err := e.tok.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)

	err = e.tok.ChangePassword(ctx, p, "not the password", "a brand new passphrase")
	assert.ErrorIs(t, err, access.ErrWrongPassword)
	_, err = e.tok.Verify(ctx, other.Session.Secret.Reveal())
	require.NoError(t, err, "a refused change ends nothing")

	const fresh = "a brand new passphrase"
	require.NoError(t, e.tok.ChangePassword(ctx, p, password, fresh))
	_, err = e.tok.Verify(ctx, login.Session.Secret.Reveal())
	assert.NoError(t, err, "the asking session stays")
	_, err = e.tok.Verify(ctx, other.Session.Secret.Reveal())
	assert.ErrorIs(t, err, token.ErrInvalidToken, "the others end")
	_, err = e.tok.Verify(ctx, theirs.Session.Secret.Reveal())
	assert.NoError(t, err, "another user's stay")
	err = e.tok.CompletePasswordReset(ctx, pending, "yet another passphrase")
	assert.ErrorIs(t, err, token.ErrResetLinkRevoked, "an open reset link ends with the old password")
	_, err = e.tok.Login(ctx, u.Email, fresh)
	require.NoError(t, err)

	api := e.create(t, e.asOwner, token.NewToken{Role: access.RoleAdmin})
	tp, err := e.tok.Verify(ctx, api.Secret.Reveal())
	require.NoError(t, err)
	assert.ErrorIs(t, e.tok.ChangePassword(ctx, tp, password, fresh), access.ErrForbidden)
	assert.ErrorIs(t, e.tok.ChangePassword(ctx, access.SystemPrincipal(), "", fresh), access.ErrForbidden)
	assert.ErrorIs(t, e.tok.ChangePassword(ctx, access.Principal{}, password, fresh), access.ErrUnauthenticated)

	// The system setting a password directly ends every session.
	require.NoError(t, e.acc.SetPassword(ctx, access.SystemPrincipal(), u.ID, access.PasswordChange{New: "set by the host"}))
	_, err = e.tok.Verify(ctx, login.Session.Secret.Reveal())
	assert.ErrorIs(t, err, token.ErrInvalidToken)
}

func TestNoSecretInPasswordOutput(t *testing.T) {
	heard := &resets{}
	e := newEnv(t, token.WithNotifier(heard))
	u := e.withPassword(t, "person", access.RoleAdmin)
	login, err := e.tok.Login(ctx, u.Email, password)
	require.NoError(t, err)
	require.NoError(t, e.tok.RequestPasswordReset(ctx, u.Email))
	ev := heard.all()[0]
	reset := heard.last(t)
	session := login.Session.Secret.Reveal()
	assertRedacted(t, "PasswordReset", ev, reset)
	assertRedacted(t, "*PasswordReset", &ev, reset)
	assertRedacted(t, "Login", login, session)
	in, err := e.tok.Introspect(ctx, session)
	require.NoError(t, err)
	assertRedacted(t, "Introspection", in, session)

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(h)
		l.Info("event", "event", ev, "login", login, "introspection", in)
		l.Info("pointer", "event", &ev, "login", &login)
	}
	for _, s := range []string{reset, session} {
		assert.NotContains(t, buf.String(), randomPart(s))
	}
	assert.NotContains(t, buf.String(), password)
	b, err := json.Marshal(*e.events)
	require.NoError(t, err)
	for _, s := range []string{reset, session, password} {
		assert.NotContains(t, string(b), s, "the audit trail")
	}
	// Only LogNotifier reveals the link, on purpose.
	var dev bytes.Buffer
	token.LogNotifier{Logger: slog.New(slog.NewTextHandler(&dev, nil))}.Notify(ctx, ev)
	assert.Contains(t, dev.String(), reset)
	assert.True(t, errors.Is(token.ErrResetLinkUsed, token.ErrLinkUsed))
}
