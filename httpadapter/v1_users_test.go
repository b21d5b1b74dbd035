package httpadapter_test

import (
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/access"
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

// TestV1ListUsers: the listing is access.ListUsers as the caller.
func TestV1ListUsers(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		// Only the system may list users today (access.ListUsers), and the
		// system never reaches the adapter.
		must(t, 403, e.call("GET", "/api/v1/users", e.ownerT, nil))
		r := must(t, 422, e.call("GET", "/api/v1/users?limit=0", e.ownerT, nil))
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

		// Someone else's profile, even the owner's of the company: 404.
		must(t, 404, e.call("PUT", path, e.ownerT, map[string]any{"first_name": "Hijacked"}))
		must(t, 404, e.call("PUT", path, e.session(e.owner), map[string]any{"first_name": "Hijacked"}))
		r = must(t, 200, e.call("GET", path, session, nil))
		assert.Equal(t, "Col", r.str("user", "first_name"), "nothing refused changed anything")
		assert.Equal(t, "de", r.str("user", "lang"))
	})
}
