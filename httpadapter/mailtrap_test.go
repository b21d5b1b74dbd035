package httpadapter_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Mailtrap's official Node SDK (npm "mailtrap", src/lib/api/resources:
// Accounts, AccountAccesses, Permissions; MailtrapClient's axios instance)
// sends these requests. They are replayed here byte for byte, as its axios
// client would send them with only the origin (https://mailtrap.io, its
// GENERAL_ENDPOINT) pointed at the adapter, and the answers are checked
// against what the SDK's types read.
//
//   - headers: Authorization: Bearer <token>, User-Agent: mailtrap-nodejs
//     (...), Accept: application/json, text/plain, */* (axios's default);
//     Content-Type: application/json on a PUT.
//   - query arrays as axios serializes them: name[]=a&name[]=b.
//   - permissions/bulk's items as the SDK builds them from {resourceId,
//     resourceType, accessLevel, destroy}: the published 4.10 sends
//     resource_id, resource_type, access_level and _destroy (the value of
//     destroy, "true"); earlier releases (4.3's source) sent resourceType
//     and accessLevel in camelCase and _destroy only when the caller passed
//     both _destroy and destroy. Both shapes are replayed.
type sdkRequest struct {
	method, url, body string
}

func (e *env) sdkReplay(t *testing.T, tok string, rq sdkRequest) *resp {
	t.Helper()
	var req = httptest.NewRequest(rq.method, rq.url, nil)
	if rq.body != "" {
		req = httptest.NewRequest(rq.method, rq.url, strings.NewReader(rq.body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("User-Agent", "mailtrap-nodejs (https://github.com/railsware/mailtrap-nodejs)")
	req.Header.Set("Accept", "application/json, text/plain, */*")
	req.Header.Set("Connection", "keep-alive")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	r := &resp{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
	require.Contains(t, rec.Header().Get("Content-Type"), "application/json", "%s %s", rq.method, rq.url)
	require.NoError(t, json.Unmarshal(r.Raw, &r.JSON))
	return r // e.h validated the answer against the OpenAPI document
}

func TestMailtrapSDKCalls(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		f := newAccountsFixture(t, st)
		origin := "https://mailtrap.io"
		accounts := origin + "/api/accounts"
		accesses := accounts + "/" + f.accountID + "/account_accesses"

		// general.accounts.getAllAccounts(): [{id, name, access_levels}]
		r := must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"GET", accounts, ""}))
		require.Len(t, r.JSON, 1)
		assert.Equal(t, f.accountID, r.str(0, "id"))
		assert.Equal(t, "Acme", r.str(0, "name"))
		assert.Equal(t, []any{1000.0}, r.get(0, "access_levels"))

		// general.accountAccesses.listAccountAccesses(), then with each filter.
		ids := func(r *resp) []string {
			var out []string
			for _, a := range r.JSON.([]any) {
				m := a.(map[string]any)
				require.Contains(t, m, "specifier_type")
				require.Contains(t, m, "specifier")
				require.Contains(t, m, "resources")
				require.Contains(t, m, "permissions")
				out = append(out, m["id"].(string))
			}
			return out
		}
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"GET", accesses, ""}))
		assert.ElementsMatch(t, []string{f.ownerAccess, f.adminAccess, f.viewerAccess, f.inv.ID.String()}, ids(r))
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"GET", accesses + "?project_ids[]=p1", ""}))
		assert.Equal(t, []string{f.viewerAccess}, ids(r), "projectIds")
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"GET", accesses + "?inbox_ids[]=i1", ""}))
		assert.Equal(t, []string{f.inv.ID.String()}, ids(r), "inboxIds")
		must(t, 200, f.call("PUT", f.base+"/"+f.adminAccess+"/permissions/bulk", f.ownerT,
			map[string]any{"permissions": []any{map[string]any{"resource_type": "sending_domain", "resource_id": "d1", "access_level": 10}}}))
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"GET", accesses + "?domain_uuids[]=d1&domain_uuids[]=d9", ""}))
		assert.Equal(t, []string{f.adminAccess}, ids(r), "domainUuids")
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"GET", accesses + "?domain_uuids[]=d1&inbox_ids[]=i1&project_ids[]=p1", ""}))
		assert.ElementsMatch(t, []string{f.adminAccess, f.inv.ID.String(), f.viewerAccess}, ids(r), "all three filters")
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"GET", accesses + "?domain_uuids%5B%5D=d1", ""}))
		assert.Equal(t, []string{f.adminAccess}, ids(r), "brackets percent-encoded")

		// general.permissions.bulkPermissionsUpdate(id, [{resourceId, resourceType, accessLevel}, ...]), 4.10:
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"PUT", accesses + "/" + f.adminAccess + "/permissions/bulk",
			`{"permissions":[{"resource_id":"i3","resource_type":"inbox","access_level":"viewer"},{"resource_id":"p3","resource_type":"project","access_level":100}]}`}))
		assert.Equal(t, "inbox", r.str("resources", 2, "resource_type"))
		assert.Equal(t, 100.0, r.get("resources", 3, "access_level"))
		// ... and {resourceId, resourceType, destroy: "true"}:
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"PUT", accesses + "/" + f.adminAccess + "/permissions/bulk",
			`{"permissions":[{"resource_id":"i3","resource_type":"inbox","_destroy":"true"}]}`}))
		assert.Len(t, r.get("resources"), 3, "inbox i3 removed")
		// 4.3's camelCase:
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"PUT", accesses + "/" + f.viewerAccess + "/permissions/bulk",
			`{"permissions":[{"resource_id":"` + f.accountID + `","resourceType":"account","accessLevel":"admin"},` +
				`{"resource_id":"i2","resourceType":"inbox","accessLevel":"viewer"}]}`}))
		assert.Equal(t, f.viewerAccess, r.str("id"))
		assert.Equal(t, 100.0, r.get("resources", 0, "access_level"), "the account item: the member is an ADMIN now")
		assert.Equal(t, "inbox", r.str("resources", 2, "resource_type"))
		// ... 4.3 with {_destroy: "true", destroy: "true"}: it then sends _destroy.
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"PUT", accesses + "/" + f.viewerAccess + "/permissions/bulk",
			`{"permissions":[{"resource_id":"i2","resourceType":"inbox","_destroy":"true"}]}`}))
		assert.Len(t, r.get("resources"), 2, "inbox i2 removed")
		// ... with accessLevel left out and no _destroy: refused, naming the item.
		r = must(t, 400, f.sdkReplay(t, f.ownerT, sdkRequest{"PUT", accesses + "/" + f.viewerAccess + "/permissions/bulk",
			`{"permissions":[{"resource_id":"3809","resourceType":"inbox"}]}`}))
		assert.Equal(t, "permissions[0].access_level", r.str("field"))

		// general.accountAccesses.removeAccountAccess(id): {id}
		r = must(t, 200, f.sdkReplay(t, f.ownerT, sdkRequest{"DELETE", accesses + "/" + f.viewerAccess, ""}))
		assert.Equal(t, map[string]any{"id": f.viewerAccess}, r.JSON)
		r = must(t, 404, f.sdkReplay(t, f.ownerT, sdkRequest{"DELETE", accesses + "/" + f.viewerAccess, ""}))
		assert.NotEmpty(t, r.str("error"))

		// The SDK's Api-Token alternative (seed 002's HeaderAuth) works alike.
		must(t, 200, f.call("GET", accesses, "", nil, "Api-Token", f.ownerT))
	})
}
