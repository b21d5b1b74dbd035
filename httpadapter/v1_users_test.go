package httpadapter_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/httpadapter"
)

// TestV1ShowAndFindUsers: a user is shown to itself and to whoever may
// see it in the company acted in; to anyone else an existing user answers
// exactly as an unknown one, by ID (404) and by e-mail (no match).
func TestV1ShowAndFindUsers(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		colleague, colleagueT := e.member("colleague", access.RoleViewer)
		stranger := e.user("stranger")
		_, otherOwner, otherT := e.otherCompany("Other")

		r := must(t, 200, e.call("GET", "/api/v1/users/"+colleague.ID.String(), e.ownerT, nil))
		assert.Equal(t, colleague.Email, r.str("user", "email"))
		assert.Equal(t, "colleague Test", r.str("user", "full_name"))
		r = must(t, 200, e.call("GET", "/api/v1/users/"+colleague.ID.String(), e.session(colleague), nil), "oneself")
		assert.Equal(t, colleague.ID.String(), r.str("user", "id"))

		unknown := must(t, 404, e.call("GET", "/api/v1/users/"+uuid.NewString(), e.ownerT, nil))
		assert.Equal(t, access.CodeUserNotFound, unknown.code("error", "code"))
		for _, id := range []uuid.UUID{stranger.ID, otherOwner.ID} {
			r := must(t, 404, e.call("GET", "/api/v1/users/"+id.String(), e.ownerT, nil), "unseen as unknown")
			assert.Equal(t, unknown.Raw, r.Raw)
		}
		must(t, 404, e.call("GET", "/api/v1/users/"+e.owner.ID.String(), otherT, nil), "cross-tenant")
		r = must(t, 400, e.call("GET", "/api/v1/users/42", e.ownerT, nil))
		assert.Equal(t, "user_id", r.str("error", "field"))
		must(t, 401, e.call("GET", "/api/v1/users/"+colleague.ID.String(), "", nil))

		find := func(tok, email string) *resp {
			t.Helper()
			return must(t, 200, e.call("GET", "/api/v1/users?email="+url.QueryEscape(email), tok, nil))
		}
		r = find(e.ownerT, colleague.Email)
		assert.Equal(t, colleague.ID.String(), r.str("users", 0, "id"))
		r = find(colleagueT, "  "+e.owner.Email)
		assert.Equal(t, e.owner.ID.String(), r.str("users", 0, "id"), "normalised like every e-mail")
		none := find(e.ownerT, "nobody-"+uuid.NewString()[:8]+"@example.com")
		assert.Empty(t, none.get("users"))
		for _, email := range []string{stranger.Email, otherOwner.Email} {
			assert.Equal(t, none.Raw, find(e.ownerT, email).Raw, "an unseen user answers as an unknown e-mail")
		}
		r = must(t, 422, e.call("GET", "/api/v1/users?email=not-an-email", e.ownerT, nil))
		assert.Equal(t, "email", r.str("error", "field"))
		must(t, 401, e.call("GET", "/api/v1/users?email="+url.QueryEscape(colleague.Email), "", nil))
	})
}

// TestV1ListUsers: the listing is access.ListUsers as the caller: the
// users of the company's members with USER_VIEW, keyset pages; never a
// user of another company.
func TestV1ListUsers(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		colleague, _ := e.member("colleague", access.RoleViewer)
		_, stranger, _ := e.otherCompany("Other")
		r := must(t, 200, e.call("GET", "/api/v1/users?limit=1", e.ownerT, nil))
		require.Len(t, r.get("users"), 1)
		next := r.str("meta", "next_cursor")
		require.NotEmpty(t, next)
		r2 := must(t, 200, e.call("GET", "/api/v1/users?limit=1&cursor="+url.QueryEscape(next), e.ownerT, nil))
		ids := []string{r.str("users", 0, "id"), r2.str("users", 0, "id")}
		assert.ElementsMatch(t, []string{e.owner.ID.String(), colleague.ID.String()}, ids)
		assert.NotContains(t, string(r.Raw)+string(r2.Raw), stranger.ID.String())
		r = must(t, 422, e.call("GET", "/api/v1/users?limit=0", e.ownerT, nil))
		assert.Equal(t, "limit", r.str("error", "field"))
		must(t, 401, e.call("GET", "/api/v1/users", "", nil))
	})
}

// TestV1UpdateUser: a user changes their own profile; anyone else's ID is
// 404; bad fields are 422 naming them and change nothing.
func TestV1UpdateUser(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		colleague, _ := e.member("colleague", access.RoleViewer)
		session := e.session(colleague)
		path := "/api/v1/users/" + colleague.ID.String()

		r := must(t, 200, e.call("PUT", path, session, map[string]any{"first_name": "Col", "lang": "de", "birthdate": "1990-02-03"}))
		assert.Equal(t, "Col", r.str("user", "first_name"))
		assert.Equal(t, "Test", r.str("user", "last_name"), "absent fields stay")
		assert.Equal(t, "de", r.str("user", "lang"))
		assert.Equal(t, "1990-02-03", r.str("user", "birthdate"))

		r = must(t, 422, e.call("PUT", path, session, map[string]any{"birthdate": "3 Feb 1990"}))
		assert.Equal(t, "birthdate", r.str("error", "field"))
		r = must(t, 422, e.call("PUT", path, session, map[string]any{"currency": "a currency name far longer than allowed"}))
		assert.Equal(t, "currency", r.str("error", "field"))
		r = must(t, 400, e.call("PUT", path, session, map[string]any{"avatar_route": "https://img.example/a.png"}), "avatars are out of scope")
		assert.Equal(t, access.CodeUnknownField, r.code("error", "code"))
		r = must(t, 400, e.call("PUT", path, session, map[string]any{"email": "new@example.com"}))
		assert.Equal(t, "email", r.str("error", "field"))

		// The company's editor (USER_EDIT, outranking the member) changes
		// the names only; the preferences are the person's own; a user of
		// no shared company is unknown.
		r = must(t, 403, e.call("PUT", path, e.ownerT, map[string]any{"lang": "fr"}))
		must(t, 403, e.call("PUT", "/api/v1/users/"+e.owner.ID.String(), session, map[string]any{"first_name": "Hijacked"}), "a VIEWER edits no one")
		_, stranger, _ := e.otherCompany("Other")
		must(t, 404, e.call("PUT", "/api/v1/users/"+stranger.ID.String(), e.ownerT, map[string]any{"first_name": "Hijacked"}))
		r = must(t, 200, e.call("GET", path, session, nil))
		assert.Equal(t, "Col", r.str("user", "first_name"), "nothing refused changed anything")
		assert.Equal(t, "de", r.str("user", "lang"))
		r = must(t, 200, e.call("PUT", path, e.ownerT, map[string]any{"last_name": "Renamed"}))
		assert.Equal(t, "Renamed", r.str("user", "last_name"))
	})
}

const (
	testPassword  = "correct horse battery staple"
	shortPassword = "Zq9!xw" // below the policy's 8 characters
)

// withPassword creates a user with testPassword who is a member of the
// company with role.
func (e *env) withPassword(name, role string) access.User {
	e.t.Helper()
	u := e.CreateUser(e.t, access.NewUser{Email: name + "-" + uuid.NewString()[:8] + "@example.com", FirstName: name,
		LastName: "Test", Password: testPassword})
	_, err := e.acc.AddMember(context.Background(), e.ownerP, access.NewMember{Email: u.Email, Role: role, Consented: true})
	require.NoError(e.t, err)
	return u
}

func (e *env) login(email, password string) *resp {
	e.t.Helper()
	return e.call("POST", "/api/v1/users/login", "", map[string]any{"email": email, "password": password})
}

// TestV1SignUp: only with WithPublicSignUp, anyone creates an account
// with a password, and can then log in.
func TestV1SignUp(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		closed := newEnv(t, st)
		body := map[string]any{"email": "new@example.com", "password": testPassword}
		r := closed.call("POST", "/api/v1/users", "", body)
		assert.Equal(t, http.StatusMethodNotAllowed, r.Status, "not mounted without the option")
		_, documented := closed.doc.operation("POST", "/api/v1/users")
		assert.False(t, documented)

		e := newEnv(t, st, httpadapter.WithPublicSignUp(true))
		_, documented = e.doc.operation("POST", "/api/v1/users")
		assert.True(t, documented)
		email := "New.User-" + uuid.NewString()[:8] + "@Example.com"
		r = must(t, 201, e.call("POST", "/api/v1/users", e.malformed("api"), map[string]any{"email": email, "password": testPassword,
			"first_name": "New", "last_name": "User", "lang": "fr"}), "credentials are ignored")
		assert.Equal(t, strings.ToLower(email), r.str("user", "email"))
		assert.Equal(t, "New User", r.str("user", "full_name"))
		assert.Equal(t, "fr", r.str("user", "lang"))
		assert.NotContains(t, string(r.Raw), testPassword)
		id := r.str("user", "id")

		r = must(t, 409, e.call("POST", "/api/v1/users", "", map[string]any{"email": email, "password": testPassword}))
		assert.Equal(t, access.CodeEmailTaken, r.code("error", "code"))
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"email": "a-" + uuid.NewString()[:8] + "@example.com"}, "password"},
			{map[string]any{"email": "a-" + uuid.NewString()[:8] + "@example.com", "password": shortPassword}, "password"},
			{map[string]any{"email": "not-an-email", "password": testPassword}, "email"},
			{map[string]any{"email": "a-" + uuid.NewString()[:8] + "@example.com", "password": testPassword, "birthdate": "soon"}, "birthdate"},
		} {
			r := must(t, 422, e.call("POST", "/api/v1/users", "", tc.body))
			assert.Equal(t, tc.field, r.str("error", "field"))
			assert.NotContains(t, string(r.Raw), shortPassword)
		}
		r = must(t, 400, e.call("POST", "/api/v1/users", "", map[string]any{"email": "b@example.com", "password": testPassword, "status": "active"}))
		assert.Equal(t, "status", r.str("error", "field"))

		// The new user logs in, in no company yet, and acts.
		r = must(t, 200, e.login(email, testPassword))
		assert.Nil(t, r.get("company"), "a new user belongs to no company")
		session := r.str("session_token")
		must(t, 200, e.call("GET", "/api/v1/users/"+id, session, nil))
		must(t, 201, e.call("POST", "/api/v1/companies", session, map[string]any{"name": "Startup"}))
	})
}

// TestV1Login: a password login answers a session and the user; a wrong
// password and an unknown e-mail get one and the same answer; repeated
// failures are throttled with Retry-After; logout ends the session.
func TestV1Login(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		u := e.withPassword("pat", access.RoleViewer)

		r := must(t, 200, e.login("  "+strings.ToUpper(u.Email), testPassword))
		assert.Equal(t, "Bearer", r.str("token_type"))
		assert.Equal(t, u.ID.String(), r.str("user", "id"))
		assert.Equal(t, "Acme", r.str("company", "name"))
		assert.Equal(t, true, r.get("company", "default"))
		assert.NotContains(t, string(r.Raw), testPassword)
		session := r.str("session_token")
		must(t, 200, e.call("GET", "/api/v1/companies/"+e.company.ID.String()+"/users", session, nil), "the session acts in Acme")

		wrong := must(t, 401, e.login(u.Email, "not the password"))
		assert.Equal(t, access.CodeInvalidCredentials, wrong.code("error", "code"))
		unknown := must(t, 401, e.login("nobody-"+uuid.NewString()[:8]+"@example.com", "not the password"))
		assert.Equal(t, wrong.Raw, unknown.Raw, "an unknown e-mail answers as a wrong password")
		assert.Equal(t, wrong.Header.Get("WWW-Authenticate"), unknown.Header.Get("WWW-Authenticate"))
		r = must(t, 422, e.login("not-an-email", testPassword))
		assert.Equal(t, "email", r.str("error", "field"))
		assert.NotContains(t, string(r.Raw), testPassword)
		r = must(t, 400, e.call("POST", "/api/v1/users/login", "", map[string]any{"email": u.Email, "password": testPassword, "remember": true}))
		assert.Equal(t, "remember", r.str("error", "field"))

		// Logout ends the calling session only.
		other := must(t, 200, e.login(u.Email, testPassword)).str("session_token")
		must(t, 204, e.call("POST", "/api/v1/users/logout", session, nil))
		must(t, 401, e.call("GET", "/api/v1/users/"+u.ID.String(), session, nil), "ended at once")
		must(t, 401, e.call("POST", "/api/v1/users/logout", session, nil))
		must(t, 200, e.call("GET", "/api/v1/users/"+u.ID.String(), other, nil), "the other session stays")
		r = must(t, 401, e.call("POST", "/api/v1/users/logout", e.ownerT, nil), "an API token is no session")
		assert.Equal(t, access.CodeInvalidToken, r.code("error", "code"))
		must(t, 200, e.call("GET", "/api/v1/accesses", e.ownerT, nil), "and stays valid")
		must(t, 401, e.call("POST", "/api/v1/users/logout", "", nil))
	})
}

func TestV1LoginThrottled(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		u := e.withPassword("pat", access.RoleViewer)
		for i := range access.DefaultLoginFailures {
			must(t, 401, e.login(u.Email, "guess"), "failure", fmt.Sprint(i+1))
		}
		r := must(t, 429, e.login(u.Email, testPassword), "even the right password waits")
		assert.Equal(t, access.CodeLoginThrottled, r.code("error", "code"))
		assert.Equal(t, "1", r.Header.Get("Retry-After"))
		assert.Equal(t, float64(1), r.get("error", "retry_after"))
		e.clock.Advance(time.Second)
		must(t, 401, e.login(u.Email, "guess"))
		r = must(t, 429, e.login(u.Email, testPassword))
		assert.Equal(t, "2", r.Header.Get("Retry-After"), "the delay grows")
		e.clock.Advance(2 * time.Second)
		must(t, 200, e.login(u.Email, testPassword))
		must(t, 401, e.login(u.Email, "guess"), "a success resets the count")

		// Concurrent guesses are counted exactly: no more than the limit
		// is ever verified before the wait.
		v := e.withPassword("vic", access.RoleViewer)
		var wg sync.WaitGroup
		statuses := make([]int, 20)
		for i := range statuses {
			wg.Go(func() { statuses[i] = e.login(v.Email, "guess").Status })
		}
		wg.Wait()
		counts := map[int]int{}
		for _, s := range statuses {
			counts[s]++
		}
		assert.Equal(t, map[int]int{401: access.DefaultLoginFailures, 429: len(statuses) - access.DefaultLoginFailures}, counts)
	})
}

// TestV1PasswordReset: asking answers the same for every e-mail; the link
// travels only through the notifier, works once, and ends the sessions.
func TestV1PasswordReset(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		u := e.withPassword("pat", access.RoleViewer)
		session := must(t, 200, e.login(u.Email, testPassword)).str("session_token")

		ask := func(email string) *resp {
			t.Helper()
			return must(t, 202, e.call("POST", "/api/v1/users/password/reset", "", map[string]any{"email": email}))
		}
		known := ask(u.Email)
		unknown := ask("nobody-" + uuid.NewString()[:8] + "@example.com")
		assert.Equal(t, known.Raw, unknown.Raw, "the same answer with or without an account")
		r := must(t, 422, e.call("POST", "/api/v1/users/password/reset", "", map[string]any{"email": "nope"}))
		assert.Equal(t, "email", r.str("error", "field"))
		e.mu.Lock()
		require.Len(t, e.resets, 1, "one link, for the known e-mail only")
		first := linkToken(t, e.resets[0].ResetURL.Reveal())
		e.mu.Unlock()
		assert.NotContains(t, string(known.Raw), first)

		// A new request rotates the link.
		ask(u.Email)
		e.mu.Lock()
		require.Len(t, e.resets, 2)
		secret := linkToken(t, e.resets[1].ResetURL.Reveal())
		e.mu.Unlock()
		complete := func(tok, pw string) *resp {
			t.Helper()
			return e.call("PUT", "/api/v1/users/password/reset", "", map[string]any{"token": tok, "new_password": pw})
		}
		must(t, 410, complete(first, "a brand new password"), "replaced by the newer link")
		r = must(t, 422, complete(secret, shortPassword))
		assert.Equal(t, "new_password", r.str("error", "field"))
		r = must(t, 422, complete("", "a brand new password"))
		assert.Equal(t, "token", r.str("error", "field"))
		r = must(t, 401, complete(e.malformed("rst"), "a brand new password"))
		assert.Equal(t, access.CodeInvalidLink, r.code("error", "code"))

		must(t, 204, complete(secret, "a brand new password"), "a refused password left the link usable")
		must(t, 410, complete(secret, "another new password"), "single use")
		must(t, 401, e.call("GET", "/api/v1/users/"+u.ID.String(), session, nil), "every session ended")
		must(t, 401, e.login(u.Email, testPassword))
		must(t, 200, e.login(u.Email, "a brand new password"))
	})
}

// TestV1ChangePassword: the caller's own, with the current one; the other
// sessions end.
func TestV1ChangePassword(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		u := e.withPassword("pat", access.RoleViewer)
		session := must(t, 200, e.login(u.Email, testPassword)).str("session_token")
		other := must(t, 200, e.login(u.Email, testPassword)).str("session_token")
		change := func(tok, current, next string) *resp {
			t.Helper()
			return e.call("PUT", "/api/v1/users/password", tok, map[string]any{"current_password": current, "new_password": next})
		}
		r := must(t, 422, change(session, "wrong", "a brand new password"))
		assert.Equal(t, access.CodeWrongPassword, r.code("error", "code"))
		assert.Equal(t, "current_password", r.str("error", "field"))
		r = must(t, 422, change(session, testPassword, shortPassword))
		assert.Equal(t, "new_password", r.str("error", "field"))
		assert.NotContains(t, string(r.Raw), shortPassword)
		must(t, 403, change(e.ownerT, testPassword, "a brand new password"), "an API token has no password")
		must(t, 401, change("", testPassword, "a brand new password"))

		must(t, 204, change(session, testPassword, "a brand new password"))
		must(t, 200, e.call("GET", "/api/v1/users/"+u.ID.String(), session, nil), "the asking session stays")
		must(t, 401, e.call("GET", "/api/v1/users/"+u.ID.String(), other, nil), "the others end")
		must(t, 200, e.login(u.Email, "a brand new password"))
	})
}

// TestV1Introspection: "Validate JWT" as RFC 7662 introspection.
func TestV1Introspection(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		u := e.withPassword("pat", access.RoleViewer)
		session := must(t, 200, e.login(u.Email, testPassword)).str("session_token")
		introspect := func(tok string) *resp {
			t.Helper()
			return must(t, 200, e.call("POST", "/api/v1/users/validate_token", "", map[string]any{"token": tok}))
		}

		r := introspect(session)
		assert.Equal(t, true, r.get("active"))
		assert.Equal(t, "session", r.str("kind"))
		assert.Equal(t, u.ID.String(), r.str("user_id"))
		assert.Equal(t, e.company.ID.String(), r.str("company_id"))
		assert.NotEmpty(t, r.str("expires_at"))
		assert.NotZero(t, r.get("exp"))
		assert.NotContains(t, string(r.Raw), session, "never the secret")

		r = introspect(e.ownerT)
		assert.Equal(t, "api", r.str("kind"))
		assert.Equal(t, e.owner.ID.String(), r.str("user_id"))
		assert.Contains(t, r.get("permissions"), access.UserView)
		assert.Nil(t, r.get("expires_at"), "this token never expires")

		inactive := introspect(e.malformed("api"))
		assert.Equal(t, map[string]any{"active": false}, inactive.JSON)
		must(t, 204, e.call("POST", "/api/v1/users/logout", session, nil))
		assert.Equal(t, inactive.Raw, introspect(session).Raw, "a revoked session answers as a malformed token")
		r = must(t, 422, e.call("POST", "/api/v1/users/validate_token", "", map[string]any{}))
		assert.Equal(t, "token", r.str("error", "field"))
	})
}
