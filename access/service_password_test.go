package access_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

// pwFixture is a memory store with a service using cheap parameters and a
// settable clock, and a user with a password.
type pwFixture struct {
	t      *testing.T
	ctx    context.Context
	st     *memstore.Store
	svc    *access.Service
	mu     sync.Mutex
	now    time.Time
	events []access.AuditEvent
	user   access.User
}

const pw = "correct horse battery staple"

func newPWFixture(t *testing.T, opts ...access.Option) *pwFixture {
	f := &pwFixture{t: t, ctx: context.Background(), st: memstore.New(), now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f.svc = f.service(opts...)
	var err error
	f.user, err = f.svc.CreateUser(f.ctx, access.SystemPrincipal(), access.NewUser{Email: "Ada@Example.com", Password: pw})
	require.NoError(t, err)
	return f
}

func (f *pwFixture) service(opts ...access.Option) *access.Service {
	return access.NewService(f.st, append([]access.Option{
		access.WithTestPasswordParams(cheap),
		access.WithClock(func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }),
		access.WithAuditHook(func(e access.AuditEvent) { f.mu.Lock(); defer f.mu.Unlock(); f.events = append(f.events, e) }),
	}, opts...)...)
}

func (f *pwFixture) advance(d time.Duration) { f.mu.Lock(); defer f.mu.Unlock(); f.now = f.now.Add(d) }

func (f *pwFixture) lastEvent() access.AuditEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(f.t, f.events)
	return f.events[len(f.events)-1]
}

func (f *pwFixture) creds() access.Credentials {
	c, err := f.st.GetCredentials(f.ctx, f.user.ID)
	require.NoError(f.t, err)
	return c
}

func TestAuthenticate(t *testing.T) {
	f := newPWFixture(t)
	u, err := f.svc.Authenticate(f.ctx, "  ADA@example.com ", pw)
	require.NoError(t, err)
	assert.Equal(t, f.user.ID, u.ID)
	e := f.lastEvent()
	assert.Equal(t, "user.login", e.Action)
	assert.Equal(t, "success", e.Outcome)
	assert.Equal(t, "user:"+u.ID.String(), e.Target)

	// Wrong password, unknown e-mail, no password, disabled: one answer.
	bare, err := f.svc.CreateUser(f.ctx, access.SystemPrincipal(), access.NewUser{Email: "bare@example.com"})
	require.NoError(t, err)
	disabled, err := f.svc.CreateUser(f.ctx, access.SystemPrincipal(), access.NewUser{Email: "off@example.com", Password: pw})
	require.NoError(t, err)
	disabled.Status = access.UserDisabled
	require.NoError(t, f.st.UpdateUser(f.ctx, &disabled))

	for _, tc := range []struct {
		name, email, password, reason string
		dummy                         int64
	}{
		{"wrong password", "ada@example.com", pw + "!", "wrong_password", 0},
		{"empty password", "ada@example.com", "", "wrong_password", 0},
		{"unknown e-mail", "nobody@example.com", pw, "unknown_email", 1},
		{"no password", bare.Email, pw, "no_password", 1},
		{"disabled user, right password", disabled.Email, pw, "user_disabled", 0},
		{"over-long password", "ada@example.com", strings.Repeat("x", 300), "wrong_password", 1},
	} {
		before := f.svc.DummyVerifications()
		_, err := f.svc.Authenticate(f.ctx, tc.email, tc.password)
		assert.ErrorIs(t, err, access.ErrInvalidCredentials, tc.name)
		assert.ErrorIs(t, err, access.ErrUnauthenticated, tc.name)
		assert.Equal(t, access.CodeInvalidCredentials, access.CodeOf(err), tc.name)
		assert.Equal(t, access.ErrInvalidCredentials.Error(), err.Error(), "%s: the same message", tc.name)
		assert.Equal(t, tc.dummy, f.svc.DummyVerifications()-before, "%s: dummy verifications", tc.name)
		e := f.lastEvent()
		assert.Equal(t, "denied", e.Outcome, tc.name)
		assert.Equal(t, tc.reason, e.Details["reason"], tc.name)
		assert.Equal(t, "anonymous", e.Actor, tc.name)
		if tc.reason == "unknown_email" {
			assert.Equal(t, uuid.Nil, e.CompanyID)
			assert.Equal(t, "nobody@example.com", e.Details["email"])
		} else {
			assert.Empty(t, e.Details["email"], "a known user's event names the user, not the address")
		}
	}
	_, err = f.svc.Authenticate(f.ctx, "not an address", pw)
	assert.ErrorIs(t, err, access.ErrInvalid)
	assert.Equal(t, "email", access.FieldOf(err))

	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.events {
		for k, v := range e.Details {
			assert.NotContains(t, v, pw, "event %s detail %s", e.Action, k)
		}
	}
}

func TestAuthenticateThrottle(t *testing.T) {
	f := newPWFixture(t, access.WithLoginThrottle(3, 10*time.Second))
	wrong := func() error { _, err := f.svc.Authenticate(f.ctx, f.user.Email, "wrong password"); return err }
	for range 3 {
		assert.ErrorIs(t, wrong(), access.ErrInvalidCredentials)
	}
	assert.Equal(t, 3, f.creds().Failures)

	var thr *access.ThrottledError
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		err := wrong()
		require.ErrorAs(t, err, &thr)
		assert.Equal(t, wait, thr.RetryAfter)
		assert.ErrorIs(t, err, access.ErrUnauthenticated)
		assert.ErrorIs(t, err, access.ErrLoginThrottled)
		assert.Equal(t, access.CodeLoginThrottled, access.CodeOf(err))
		assert.Equal(t, "throttled", f.lastEvent().Details["reason"])
		before := f.creds().Failures
		_, err = f.svc.Authenticate(f.ctx, f.user.Email, pw)
		require.ErrorAs(t, err, &thr, "even the right password waits")
		assert.Equal(t, before, f.creds().Failures, "a throttled attempt is not counted")
		f.advance(wait - time.Millisecond)
		require.ErrorAs(t, wrong(), &thr)
		assert.Equal(t, time.Millisecond, thr.RetryAfter)
		assert.Equal(t, 1, thr.RetryAfterSeconds())
		f.advance(time.Millisecond)
		assert.ErrorIs(t, wrong(), access.ErrInvalidCredentials, "after the wait one attempt is verified")
	}
	f.advance(10 * time.Second)
	_, err := f.svc.Authenticate(f.ctx, f.user.Email, pw)
	require.NoError(t, err)
	c := f.creds()
	assert.Zero(t, c.Failures, "a success resets the count")
	assert.True(t, c.LastFailureAt.IsZero())
	assert.ErrorIs(t, wrong(), access.ErrInvalidCredentials)
}

// TestAuthenticateThrottleConcurrent: wrong attempts at once count exactly
// the limit, then are throttled (the clock does not move).
func TestAuthenticateThrottleConcurrent(t *testing.T) {
	f := newPWFixture(t)
	const attempts = 24
	var wg sync.WaitGroup
	errs := make([]error, attempts)
	for i := range attempts {
		wg.Go(func() { _, errs[i] = f.svc.Authenticate(f.ctx, f.user.Email, "wrong password") })
	}
	wg.Wait()
	invalid, throttled := 0, 0
	for _, err := range errs {
		var thr *access.ThrottledError
		switch {
		case errors.As(err, &thr):
			throttled++
		case errors.Is(err, access.ErrInvalidCredentials):
			invalid++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	assert.Equal(t, access.DefaultLoginFailures, invalid)
	assert.Equal(t, attempts-access.DefaultLoginFailures, throttled)
	assert.Equal(t, access.DefaultLoginFailures, f.creds().Failures)
}

func TestAuthenticateUpgradesHash(t *testing.T) {
	f := newPWFixture(t)
	old := f.creds().Hash
	assert.Contains(t, old, "$m=64,t=1,p=1$")
	stronger := cheap
	stronger.Memory, stronger.Time = 128, 2
	raised := f.service(access.WithTestPasswordParams(stronger))

	_, err := raised.Authenticate(f.ctx, f.user.Email, "wrong password")
	assert.ErrorIs(t, err, access.ErrInvalidCredentials)
	assert.Equal(t, old, f.creds().Hash, "a failure upgrades nothing")

	_, err = raised.Authenticate(f.ctx, f.user.Email, pw)
	require.NoError(t, err)
	upgraded := f.creds().Hash
	assert.Contains(t, upgraded, "$m=128,t=2,p=1$")
	_, err = raised.Authenticate(f.ctx, f.user.Email, pw)
	require.NoError(t, err)
	assert.Equal(t, upgraded, f.creds().Hash, "an up-to-date hash stays")
	_, err = f.svc.Authenticate(f.ctx, f.user.Email, pw)
	require.NoError(t, err, "weaker parameters still verify a stronger hash")
	assert.Equal(t, upgraded, f.creds().Hash, "and never lower it")
}

func TestWithPasswordParamsKeepsTheMinimum(t *testing.T) {
	st := memstore.New()
	svc := access.NewService(st, access.WithPasswordParams(access.PasswordParams{Memory: 1024, Time: 1, Threads: 1}))
	u, err := svc.CreateUser(context.Background(), access.SystemPrincipal(), access.NewUser{Email: "m@example.com", Password: pw})
	require.NoError(t, err)
	c, err := st.GetCredentials(context.Background(), u.ID)
	require.NoError(t, err)
	assert.Contains(t, c.Hash, "$m=19456,t=2,p=1$")
	def := access.NewService(st)
	_, err = def.Authenticate(context.Background(), "m@example.com", pw)
	require.NoError(t, err)
}

func TestLoginHook(t *testing.T) {
	var seen []string
	f := newPWFixture(t, access.WithLoginHook(func(ctx context.Context, email string) error {
		seen = append(seen, email)
		if email == "blocked@example.com" || len(seen) > 3 {
			return &access.ThrottledError{RetryAfter: time.Minute}
		}
		return nil
	}))
	_, err := f.svc.Authenticate(f.ctx, f.user.Email, pw)
	require.NoError(t, err)
	before := f.svc.DummyVerifications()
	_, err = f.svc.Authenticate(f.ctx, "Blocked@Example.com", pw)
	var thr *access.ThrottledError
	require.ErrorAs(t, err, &thr)
	assert.Equal(t, time.Minute, thr.RetryAfter)
	assert.Equal(t, before, f.svc.DummyVerifications(), "refused before verifying")
	assert.Equal(t, "login_hook", f.lastEvent().Details["reason"])
	assert.Equal(t, []string{"ada@example.com", "blocked@example.com"}, seen, "the hook sees the normalised e-mail")
	_, err = f.svc.Authenticate(f.ctx, f.user.Email, "wrong")
	assert.ErrorIs(t, err, access.ErrInvalidCredentials)
	_, err = f.svc.Authenticate(f.ctx, f.user.Email, pw)
	require.ErrorAs(t, err, &thr, "the hook's own limit")
	assert.Equal(t, 1, f.creds().Failures, "the hook's refusal is not the account's failure")
}

func TestAuthenticateRefusesToRunInATransaction(t *testing.T) {
	f := newPWFixture(t)
	err := f.svc.InTx(f.ctx, func(ctx context.Context) error {
		_, err := f.svc.Authenticate(ctx, f.user.Email, pw)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "outside any transaction")
}

func TestSetPassword(t *testing.T) {
	f := newPWFixture(t)
	self := access.UserPrincipal(f.user.ID, uuid.Nil)
	const next = "a new passphrase"

	t.Run("self, with the current password", func(t *testing.T) {
		err := f.svc.SetPassword(f.ctx, self, f.user.ID, access.PasswordChange{New: next})
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, "current_password", access.FieldOf(err))

		err = f.svc.SetPassword(f.ctx, self, f.user.ID, access.PasswordChange{Current: "wrong one", New: next})
		assert.ErrorIs(t, err, access.ErrWrongPassword)
		assert.Equal(t, "current_password", access.FieldOf(err))
		assert.Equal(t, 1, f.creds().Failures, "a wrong current password counts as a failed sign-in")
		assert.Equal(t, "user.password_change", f.lastEvent().Action)
		assert.Equal(t, "denied", f.lastEvent().Outcome)

		err = f.svc.SetPassword(f.ctx, self, f.user.ID, access.PasswordChange{Current: pw, New: "short"})
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, "new_password", access.FieldOf(err))

		require.NoError(t, f.svc.SetPassword(f.ctx, self, f.user.ID, access.PasswordChange{Current: pw, New: next}))
		assert.Zero(t, f.creds().Failures)
		e := f.lastEvent()
		assert.Equal(t, "user.password_changed", e.Action)
		assert.Equal(t, "self", e.Details["by"])
		_, err = f.svc.Authenticate(f.ctx, f.user.Email, pw)
		assert.ErrorIs(t, err, access.ErrInvalidCredentials, "the old password is gone")
		_, err = f.svc.Authenticate(f.ctx, f.user.Email, next)
		require.NoError(t, err)
	})

	t.Run("anyone else is told the user does not exist", func(t *testing.T) {
		other, err := f.svc.CreateUser(f.ctx, access.SystemPrincipal(), access.NewUser{Email: "other@example.com"})
		require.NoError(t, err)
		asOther := access.UserPrincipal(other.ID, uuid.Nil)
		tok := access.TokenPrincipal(uuid.New(), f.user.ID, uuid.New(), nil, access.LevelOwner, f.now)
		for name, p := range map[string]access.Principal{"another user": asOther, "the user's own API token": tok} {
			err := f.svc.SetPassword(f.ctx, p, f.user.ID, access.PasswordChange{New: "hijacked!!"})
			assert.ErrorIs(t, err, access.ErrNotFound, name)
			assert.Equal(t, access.CodeUserNotFound, access.CodeOf(err), name)
		}
		err = f.svc.SetPassword(f.ctx, asOther, uuid.New(), access.PasswordChange{New: "hijacked!!"})
		assert.Equal(t, access.CodeUserNotFound, access.CodeOf(err), "as for an unknown user")
		assert.ErrorIs(t, f.svc.SetPassword(f.ctx, access.Principal{}, f.user.ID, access.PasswordChange{New: "hijacked!!"}),
			access.ErrUnauthenticated)

		// A user without a password sets one without a current one.
		require.NoError(t, f.svc.SetPassword(f.ctx, asOther, other.ID, access.PasswordChange{New: "first password"}))
		_, err = f.svc.Authenticate(f.ctx, other.Email, "first password")
		require.NoError(t, err)
	})

	t.Run("the system, for a completed reset, inside the caller's transaction", func(t *testing.T) {
		for range access.DefaultLoginFailures {
			_, _ = f.svc.Authenticate(f.ctx, f.user.Email, "wrong")
		}
		var thr *access.ThrottledError
		_, err := f.svc.Authenticate(f.ctx, f.user.Email, next)
		require.ErrorAs(t, err, &thr)

		var hooked []uuid.UUID
		f.svc.OnPasswordSet(func(ctx context.Context, p access.Principal, userID uuid.UUID) error {
			hooked = append(hooked, userID)
			if p.Kind == access.PrincipalSystem && p.CompanyID != uuid.Nil {
				return errors.New("the sessions could not be ended")
			}
			return nil
		})
		failing := access.SystemPrincipal()
		failing.CompanyID = uuid.New()
		err = f.svc.SetPassword(f.ctx, failing, f.user.ID, access.PasswordChange{New: "reset password"})
		require.Error(t, err)
		_, err = f.svc.Authenticate(f.ctx, f.user.Email, next)
		require.ErrorAs(t, err, &thr, "the hook's failure rolled the reset back")

		err = f.svc.InTx(f.ctx, func(ctx context.Context) error {
			return f.svc.SetPassword(ctx, access.SystemPrincipal(), f.user.ID, access.PasswordChange{New: "reset password"})
		})
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{f.user.ID, f.user.ID}, hooked)
		assert.Equal(t, "system", f.lastEvent().Details["by"])
		_, err = f.svc.Authenticate(f.ctx, f.user.Email, "reset password")
		require.NoError(t, err, "a reset clears the throttle")
		err = f.svc.SetPassword(f.ctx, access.SystemPrincipal(), uuid.New(), access.PasswordChange{New: "reset password"})
		assert.Equal(t, access.CodeUserNotFound, access.CodeOf(err))
	})

	t.Run("self refuses to run inside a transaction", func(t *testing.T) {
		err := f.svc.InTx(f.ctx, func(ctx context.Context) error {
			return f.svc.SetPassword(ctx, self, f.user.ID, access.PasswordChange{Current: "reset password", New: "another one"})
		})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "outside any transaction")
	})
}

func TestCreateUserPasswordIsAtomic(t *testing.T) {
	f := newPWFixture(t)
	_, err := f.svc.CreateUser(f.ctx, access.SystemPrincipal(), access.NewUser{Email: "ada@example.com", Password: "another password"})
	assert.ErrorIs(t, err, access.ErrConflict)
	_, err = f.svc.Authenticate(f.ctx, "ada@example.com", pw)
	require.NoError(t, err, "the refused user's password did not replace the first's")
}

// BenchmarkHashPassword is one argon2id hash at OWASP's minimum, the
// default.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := access.HashPassword(pw, access.MinPasswordParams); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate is a successful sign-in over the memory store at
// the default parameters: one verification, one transaction, one audit
// event.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	svc := access.NewService(memstore.New())
	u, err := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "bench@example.com", Password: pw})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := svc.Authenticate(ctx, u.Email, pw); err != nil {
			b.Fatal(err)
		}
	}
}
