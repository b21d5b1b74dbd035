package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

// The credentials categories (run.go): the store's credentials (GetCredentials,
// LockCredentials, PutCredentials), then the password rules of the access
// Service on top of them.
//
//   - round trip, replace, not found by code, unknown user
//   - LockCredentials: codes, and inside a rolled-back transaction
//   - sign-in: create with a password, authenticate, upgrade on login
//   - throttle under concurrent wrong attempts: exactly the limit counted
//   - SetPassword as the user and as the system

// testParams are cheap argon2id parameters: the suite hashes many
// passwords.
var testParams = access.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func testCredentialsRoundTrip(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	u := f.user()
	_, err := f.s.GetCredentials(f.ctx, u.ID)
	assertNotFound(t, err, access.CodeCredentialsNotFound)
	_, err = f.s.GetCredentials(f.ctx, newID())
	assertNotFound(t, err, access.CodeCredentialsNotFound, "an unknown user has none either")

	c := access.Credentials{UserID: u.ID, Hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		UpdatedAt: f.now}
	require.NoError(t, f.s.PutCredentials(f.ctx, &c))
	got, err := f.s.GetCredentials(f.ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, c, got)

	later := f.now.Add(time.Minute + 123*time.Microsecond)
	c2 := access.Credentials{UserID: u.ID, Hash: "", Failures: 3, LastFailureAt: later, UpdatedAt: later}
	require.NoError(t, f.s.PutCredentials(f.ctx, &c2), "put replaces")
	got, err = f.s.GetCredentials(f.ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, c2, got)

	err = f.s.PutCredentials(f.ctx, &access.Credentials{UserID: newID(), Hash: "x", UpdatedAt: f.now})
	assertNotFound(t, err, access.CodeUserNotFound)

	// No read of users carries them: the user is as it was.
	gotUser, err := f.s.GetUser(f.ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, u, normUser(gotUser))
}

func testCredentialsLock(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	u := f.user()
	boom := errors.New("boom")
	err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
		_, err := f.s.LockCredentials(ctx, newID())
		assertNotFound(t, err, access.CodeUserNotFound)
		return nil
	})
	require.NoError(t, err)
	err = f.s.RunInTx(f.ctx, func(ctx context.Context) error {
		_, err := f.s.LockCredentials(ctx, u.ID)
		assertNotFound(t, err, access.CodeCredentialsNotFound)
		c := access.Credentials{UserID: u.ID, Failures: 1, LastFailureAt: f.now, UpdatedAt: f.now}
		require.NoError(t, f.s.PutCredentials(ctx, &c))
		got, err := f.s.LockCredentials(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, c, got, "the transaction sees its own write")
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = f.s.GetCredentials(f.ctx, u.ID)
	assertNotFound(t, err, access.CodeCredentialsNotFound, "the rolled-back put left nothing")
}

func testPasswordSignIn(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t), WithAccess(access.WithTestPasswordParams(testParams)))
	const pw = "a long enough passphrase"
	u := w.CreateUser(t, access.NewUser{Email: "Sign.In@Example.com", Password: pw})
	c, err := w.Store.GetCredentials(ctx, u.ID)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(c.Hash, "$argon2id$v=19$m=64,t=1,p=1$"), "stored as its hash")
	assert.NotContains(t, c.Hash, pw)

	got, err := w.Access.Authenticate(ctx, "sign.in@example.com", pw)
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)
	_, err = w.Access.Authenticate(ctx, "sign.in@example.com", pw+"x")
	assert.ErrorIs(t, err, access.ErrInvalidCredentials)
	_, err = w.Access.Authenticate(ctx, "nobody@example.com", pw)
	assert.ErrorIs(t, err, access.ErrInvalidCredentials)

	_, err = w.Access.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "weak@example.com", Password: "short"})
	assert.ErrorIs(t, err, access.ErrInvalid)
	assert.Equal(t, "password", access.FieldOf(err))
	_, err = w.Store.GetUserByEmail(ctx, "weak@example.com")
	assertNotFound(t, err, access.CodeUserNotFound, "a refused password creates no user")

	// Raised parameters: the next success rehashes.
	stronger := testParams
	stronger.Memory = 128
	raised := access.NewService(w.Store, access.WithClock(w.Clock.Now), access.WithTestPasswordParams(stronger))
	_, err = raised.Authenticate(ctx, u.Email, pw)
	require.NoError(t, err)
	c, err = w.Store.GetCredentials(ctx, u.ID)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(c.Hash, "$argon2id$v=19$m=128,t=1,p=1$"), "upgraded: %s", c.Hash[:30])
	assert.Zero(t, c.Failures, "and the earlier failure is forgotten")
	_, err = w.Access.Authenticate(ctx, u.Email, pw)
	require.NoError(t, err)
}

// testThrottleConcurrent: wrong passwords at once, from as many
// goroutines (and connections), count exactly the limit; every other
// attempt is throttled, and so is the right password afterwards.
func testThrottleConcurrent(t *testing.T, newStore Factory) {
	ctx := context.Background()
	const limit, attempts = 4, 16
	w := NewWorld(t, newStore(t), WithAccess(access.WithTestPasswordParams(testParams), access.WithLoginThrottle(limit, time.Minute)))
	const pw = "the right password"
	u := w.CreateUser(t, access.NewUser{Email: "throttled@example.com", Password: pw})
	errs := make([]error, attempts)
	var wg sync.WaitGroup
	for i := range attempts {
		wg.Go(func() { _, errs[i] = w.Access.Authenticate(ctx, u.Email, "a wrong password") })
	}
	wg.Wait()
	invalid, throttled := 0, 0
	for _, err := range errs {
		var thr *access.ThrottledError
		switch {
		case errors.As(err, &thr):
			throttled++
			assert.Positive(t, thr.RetryAfter)
		case errors.Is(err, access.ErrInvalidCredentials):
			invalid++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	assert.Equal(t, limit, invalid, "failures counted")
	assert.Equal(t, attempts-limit, throttled)
	c, err := w.Store.GetCredentials(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, limit, c.Failures)

	var thr *access.ThrottledError
	_, err = w.Access.Authenticate(ctx, u.Email, pw)
	require.ErrorAs(t, err, &thr, "the right password waits too")
	assert.Equal(t, time.Second, thr.RetryAfter)
	w.Clock.Advance(time.Second)
	_, err = w.Access.Authenticate(ctx, u.Email, pw)
	require.NoError(t, err)
}

func testSetPasswordFlow(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t), WithAccess(access.WithTestPasswordParams(testParams)))
	u, asU := w.Member(t, "setter", access.RoleViewer)
	_, asAdmin := w.Member(t, "admin", access.RoleAdmin)

	require.NoError(t, w.Access.SetPassword(ctx, asU, u.ID, access.PasswordChange{New: "first password"}),
		"a user without a password sets one")
	err := w.Access.SetPassword(ctx, asAdmin, u.ID, access.PasswordChange{New: "admin's choice"})
	assertNotFound(t, err, access.CodeUserNotFound, "an admin of their company is not them")
	err = w.Access.SetPassword(ctx, asU, u.ID, access.PasswordChange{Current: "not it", New: "second password"})
	assert.ErrorIs(t, err, access.ErrWrongPassword)
	require.NoError(t, w.Access.SetPassword(ctx, asU, u.ID, access.PasswordChange{Current: "first password", New: "second password"}))
	require.NoError(t, w.Access.SetPassword(ctx, access.SystemPrincipal(), u.ID, access.PasswordChange{New: "reset password"}))
	_, err = w.Access.Authenticate(ctx, u.Email, "second password")
	assert.ErrorIs(t, err, access.ErrInvalidCredentials)
	_, err = w.Access.Authenticate(ctx, u.Email, "reset password")
	require.NoError(t, err)

	events, err := w.Store.ListAudit(ctx, w.Company.ID, all())
	require.NoError(t, err)
	changed := 0
	for _, e := range events {
		if e.Action == "user.password_changed" {
			changed++
		}
		for _, v := range e.Details {
			for _, secret := range []string{"first password", "second password", "reset password", "not it"} {
				assert.NotContains(t, v, secret)
			}
		}
	}
	assert.Equal(t, 2, changed, "the user's own changes, in the company they act in")
}
