package httpadapter_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// sdk replays a request exactly as Mailtrap's Node SDK (package mailtrap,
// src/lib/api/resources/ApiTokens.ts over its axios client) sends it:
// Authorization: Bearer, the SDK's User-Agent, a JSON body only when the
// call has params (reset without params sends none, and no Content-Type).
func (e *env) sdk(method, path, tok, body string) *resp {
	e.t.Helper()
	hdr := []string{"Accept", "application/json, text/plain, */*", "User-Agent", "mailtrap-nodejs (https://github.com/railsware/mailtrap-nodejs)"}
	if body == "" {
		return e.call(method, path, tok, nil, hdr...)
	}
	return e.call(method, path, tok, body, hdr...)
}

func TestMailtrapSDKApiTokens(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		acct := e.company.ID.String()
		base := "/api/accounts/" + acct + "/api_tokens"
		session := e.session(e.owner)

		// The member gives a token the right to manage tokens, over HTTP.
		r := must(t, 200, e.call("POST", base, session, fmt.Sprintf(
			`{"name":"sdk","resources":[{"resource_type":"account","resource_id":%q,"access_level":100}],"permissions":["TOKENS_MANAGE"]}`, acct)))
		sdkTok := r.str("token")
		require.NotEmpty(t, sdkTok)
		assert.Equal(t, []any{token.ManageTokens}, r.get("permissions"))

		// apiTokens.create(params)
		r = must(t, 200, e.sdk("POST", base, sdkTok, fmt.Sprintf(
			`{"name":"My API Token","resources":[{"resource_type":"account","resource_id":%q,"access_level":10}]}`, acct)), "create")
		created := r.str("id")
		secret := r.str("token")
		assert.Equal(t, "My API Token", r.str("name"))
		assert.Equal(t, secret[len(secret)-4:], r.str("last_4_digits"))
		assert.Equal(t, e.owner.Email, r.str("created_by"))
		assert.Nil(t, r.get("expires_at"), "null: never expires")
		assert.Equal(t, []any{map[string]any{"resource_type": "account", "resource_id": acct, "access_level": float64(10)}}, r.get("resources"))
		must(t, 200, e.call("GET", "/api/v1/accesses", secret, nil), "the new secret works")

		// create with expires_at: a date, null, a past date (422).
		r = must(t, 200, e.sdk("POST", base, sdkTok, fmt.Sprintf(
			`{"name":"Dated","resources":[{"resource_type":"account","resource_id":%q,"access_level":10}],"expires_at":"2027-06-01T00:00:00Z"}`, acct)))
		assert.Equal(t, "2027-06-01T00:00:00Z", r.str("expires_at"))
		r = must(t, 200, e.sdk("POST", base, sdkTok, fmt.Sprintf(
			`{"name":"Forever","resources":[{"resource_type":"account","resource_id":%q,"access_level":10}],"expires_at":null}`, acct)))
		assert.Nil(t, r.get("expires_at"))
		r = must(t, 422, e.sdk("POST", base, sdkTok, fmt.Sprintf(
			`{"name":"Past","resources":[{"resource_type":"account","resource_id":%q,"access_level":10}],"expires_at":"2020-01-01T00:00:00Z"}`, acct)))
		assert.Equal(t, "expires_at", r.str("field"))
		assert.Contains(t, r.str("error"), "expires_at", "the SDK shows data.error")
		must(t, 400, e.sdk("POST", base, sdkTok, `{"name":""}`), "other invalid input stays 400")

		// apiTokens.getList()
		r = must(t, 200, e.sdk("GET", base, sdkTok, ""), "getList")
		list := r.JSON.([]any)
		assert.Len(t, list, 5, "the owner's, the SDK's and the three it made")
		for _, it := range list {
			m := it.(map[string]any)
			assert.NotContains(t, m, "token", "never a secret in a listing")
			for _, k := range []string{"id", "name", "last_4_digits", "created_by", "expires_at", "resources"} {
				assert.Contains(t, m, k)
			}
		}

		// apiTokens.get(id)
		r = must(t, 200, e.sdk("GET", base+"/"+created, sdkTok, ""), "get")
		assert.Equal(t, created, r.str("id"))
		assert.NotContains(t, r.JSON, "token")

		// apiTokens.reset(id): no body; reset(id, {expires_at}).
		r = must(t, 200, e.sdk("POST", base+"/"+created+"/reset", sdkTok, ""), "reset")
		assert.Equal(t, created, r.str("id"), "the same token")
		fresh := r.str("token")
		assert.NotEqual(t, secret, fresh)
		assert.Equal(t, fresh[len(fresh)-4:], r.str("last_4_digits"))
		assert.Equal(t, []any{map[string]any{"resource_type": "account", "resource_id": acct, "access_level": float64(10)}}, r.get("resources"),
			"the same rights")
		must(t, 401, e.call("GET", "/api/v1/accesses", secret, nil), "the old secret stops at once")
		must(t, 200, e.call("GET", "/api/v1/accesses", fresh, nil))
		r = must(t, 200, e.sdk("POST", base+"/"+created+"/reset", sdkTok, `{"expires_at":"2027-06-01T00:00:00Z"}`))
		assert.Equal(t, "2027-06-01T00:00:00Z", r.str("expires_at"))
		fresh = r.str("token")
		r = must(t, 200, e.sdk("POST", base+"/"+created+"/reset", sdkTok, `{"expires_at":null}`))
		assert.Nil(t, r.get("expires_at"))
		fresh = r.str("token")
		must(t, 422, e.sdk("POST", base+"/"+created+"/reset", sdkTok, `{"expires_at":"2020-01-01T00:00:00Z"}`))
		must(t, 200, e.call("GET", "/api/v1/accesses", fresh, nil), "a refused reset changes nothing")

		// apiTokens.delete(id)
		r = must(t, 204, e.sdk("DELETE", base+"/"+created, sdkTok, ""), "delete")
		assert.Empty(t, r.Raw)
		must(t, 401, e.call("GET", "/api/v1/accesses", fresh, nil), "deleted: stops on the next request")
		must(t, 409, e.sdk("POST", base+"/"+created+"/reset", sdkTok, ""), "a deleted token is not reset")

		// Never more than itself; only with the explicit right.
		r = must(t, 403, e.sdk("POST", base, sdkTok, fmt.Sprintf(
			`{"name":"Bigger","resources":[{"resource_type":"account","resource_id":%q,"access_level":1000}]}`, acct)))
		assert.NotEmpty(t, r.str("errors"), "seed 002's 403")
		must(t, 403, e.sdk("POST", base, sdkTok, `{"name":"More","permissions":["USER_ADD"]}`))
		must(t, 403, e.sdk("POST", base, e.ownerT, `{"name":"x"}`), "an OWNER token without TOKENS_MANAGE")
		must(t, 400, e.sdk("POST", base, sdkTok, `{"name":"x","resources":[{"resource_type":"account","resource_id":"3229","access_level":10}]}`),
			"the account item names this account")

		// Its children stop when it stops.
		r = must(t, 200, e.sdk("POST", base, sdkTok, `{"name":"Child"}`))
		child := r.str("token")
		assert.Equal(t, []any{map[string]any{"resource_type": "account", "resource_id": acct, "access_level": float64(100)}}, r.get("resources"),
			"a name only: its parent's rights")
		must(t, 200, e.call("GET", "/api/v1/accesses", child, nil))
		var sdkID string
		for _, it := range list {
			if m := it.(map[string]any); m["name"] == "sdk" {
				sdkID = m["id"].(string)
			}
		}
		must(t, 204, e.call("DELETE", base+"/"+sdkID, session, nil))
		must(t, 401, e.sdk("GET", base, sdkTok, ""))
		must(t, 401, e.call("GET", "/api/v1/accesses", child, nil), "the child stopped with it")

		// Tenants and ids.
		other, _, otherT := e.otherCompany("Other")
		must(t, 404, e.sdk("GET", base+"/"+created, otherT, ""), "another company's token")
		must(t, 404, e.sdk("GET", "/api/accounts/"+other.ID.String()+"/api_tokens/"+created, otherT, ""))
		must(t, 400, e.sdk("GET", base+"/12345", session, ""), "ids are UUIDs")
	})
}

func TestAddAPITokenInheritsTheCreatorsRights(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		admin := e.user("admin")
		e.AddMember(t, e.company.ID, admin, access.RoleAdmin, access.UserDelete)
		session := e.session(admin)
		r := must(t, 200, e.call("POST", "/access/add-api-token", session, map[string]any{"name": "mine"}))
		assert.Equal(t, float64(access.LevelAdmin), r.get("data", "level"))
		roles := r.get("data", "roles").([]any)
		assert.Contains(t, roles, access.UserDelete, "its extra permission too")
		assert.Contains(t, roles, access.UserView)
		assert.NotContains(t, roles, token.ManageTokens, "never the right to manage tokens")
		r = must(t, 200, e.call("POST", "/access/add-api-token", session, map[string]any{"name": "bare", "roles": []string{}}))
		assert.Equal(t, float64(0), r.get("data", "level"))
		assert.Empty(t, r.get("data", "roles"), "none, asked for explicitly")
		// null is absent (the document says so: e.h validates the request).
		must(t, 200, e.call("POST", "/access/add-api-token", session, map[string]any{"name": "undated", "expires_at": nil}))
		r = must(t, 200, e.call("POST", "/access/add-api-token", session, map[string]any{"name": "manager", "roles": []string{token.ManageTokens}}))
		assert.Equal(t, []any{token.ManageTokens}, r.get("data", "roles"))
		must(t, http.StatusForbidden, e.call("POST", "/access/add-api-token", session, map[string]any{"name": "x", "role": access.RoleOwner}),
			"capped as before")
	})
}
