package httpadapter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/access"
)

// TestAccountRoutes: a user disables or erases their own account over
// HTTP; the last OWNER cannot erase theirs; an API token does neither.
func TestAccountRoutes(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		bob, bobT := e.member("bob", access.RoleViewer)
		must(t, 404, e.call("POST", "/access/account/disable", bobT, nil), "an API token is not its creator: the account is unknown to it")

		session := e.session(bob)
		r := must(t, 200, e.call("POST", "/access/account/disable", session, nil))
		assert.Equal(t, bob.ID.String(), r.str("data", "user_id"))
		must(t, 401, e.call("GET", "/access", session, nil), "a disabled user's session stops")
		must(t, 401, e.call("GET", "/access", bobT, nil), "and so do their API tokens")

		r = must(t, 409, e.call("POST", "/access/account/erase", e.session(e.owner), nil), "the last OWNER")
		assert.Equal(t, access.CodeLastOwner, r.code("data", "code"))
		assert.Contains(t, r.str("message"), "Acme", "the refusal names the company")

		carol, _ := e.member("carol", access.RoleViewer)
		r = must(t, 200, e.call("POST", "/access/account/erase", e.session(carol), nil))
		assert.Equal(t, carol.ID.String(), r.str("data", "user_id"))
		must(t, 404, e.call("GET", "/api/v1/users/"+carol.ID.String(), e.ownerT, nil), "erased")
	})
}
