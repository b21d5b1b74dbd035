package httpadapter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

// merchant makes a company "Merchant Shop" (external key "shop-key",
// domain "shop.example") connected to Acme, the partner, with perms, and
// returns it with its owner's session and the connection.
func (e *env) merchant(perms ...string) (access.Company, string, access.Connection) {
	e.t.Helper()
	owner := e.user("merchant-owner")
	c, _ := e.NewCompany(e.t, access.NewCompany{Name: "Merchant Shop", ExternalKey: "shop-key", Domains: []string{"shop.example"}}, owner)
	sys := access.SystemPrincipal()
	conn, err := e.acc.Connect(e.t.Context(), sys, sys, access.NewConnection{CustomerID: c.ID, AgencyID: e.company.ID, Permissions: perms})
	require.NoError(e.t, err)
	return c, e.sessionIn(owner, c.ID), conn
}

var userPerms = []string{access.UserView, access.UserEdit, access.UserAdd, access.UserDelete}

// TestPartnerKeyManagesMerchantUsers: seed 000 as its users know it: the
// partner's own API key manages the users of a connected merchant's
// company by merchant_id (and domain_id), within the connection.
func TestPartnerKeyManagesMerchantUsers(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		shop, shopOwner, conn := e.merchant(userPerms...)
		key := e.apiToken(e.ownerP, access.RoleAdmin) // the partner's key: ADMIN of Acme
		const q = "?merchant_id=shop-key"

		r := must(t, 200, e.call("GET", users+q, key, nil), "the merchant's users")
		require.Len(t, r.get("result"), 1)
		assert.Equal(t, "OWNER", r.str("result", 0, "role"))
		shopOwnerID := r.str("result", 0, "id")
		must(t, 200, e.call("GET", users+"?domain_id=shop.example", key, nil), "by domain_id too")
		must(t, 200, e.call("GET", users+"?merchant_id="+shop.ID.String(), key, nil), "and by ID")

		// A member of the partner's own company is granted at once.
		staff, _ := e.member("staff", access.RoleViewer)
		r = must(t, 200, e.call("POST", users+q, key, map[string]any{"email": staff.Email, "role": "ADMIN"}))
		assert.Equal(t, "granted", r.str("result", "outcome"))
		assert.Equal(t, staff.ID.String(), r.str("result", "id"))
		// A stranger is invited.
		r = must(t, 200, e.call("POST", users+q, key, map[string]any{"email": "stranger-new@example.com", "role": "ADMIN"}))
		assert.Equal(t, "invited", r.str("result", "outcome"))
		// Provisioning returns a login link for the merchant's company.
		r = must(t, 200, e.call("POST", users+"/provision"+q, key, map[string]any{"email": "jit-user@example.com", "role": "ADMIN"}))
		assert.NotEmpty(t, r.str("result", "login_url"))

		must(t, 200, e.call("PUT", users+"/"+staff.ID.String()+q, key, map[string]any{"is_active": false}))
		r = must(t, 200, e.call("GET", users+"/"+staff.ID.String()+q, key, nil))
		assert.Equal(t, false, r.get("result", "is_active"))
		// The rank rules hold: the agency grants ADMIN at most and never
		// touches the merchant's OWNER.
		must(t, 403, e.call("PUT", users+"/"+shopOwnerID+q, key, map[string]any{"is_active": false}))
		must(t, 403, e.call("PUT", users+"/"+staff.ID.String()+q, key, map[string]any{"role": "OWNER"}))
		must(t, 403, e.call("POST", users+q, key, map[string]any{"email": e.owner.Email, "role": "OWNER"}))
		must(t, 200, e.call("DELETE", users+"/"+staff.ID.String()+q, key, nil))
		must(t, 404, e.call("GET", users+"/"+staff.ID.String()+q, key, nil))

		// The merchant's trail names the partner and its key.
		r = must(t, 200, e.call("GET", "/access/audit?action=membership.removed", shopOwner, nil))
		events := r.get("data", "events").([]any)
		require.NotEmpty(t, events)
		last := events[len(events)-1].(map[string]any)
		assert.Equal(t, e.company.ID.String(), last["details"].(map[string]any)["agency_id"])
		assert.Equal(t, conn.ID.String(), last["details"].(map[string]any)["connection_id"])
		assert.Contains(t, last["actor"], "token:")

		// An unconnected merchant answers exactly as an unknown one.
		e.NewCompany(t, access.NewCompany{Name: "Elsewhere", ExternalKey: "elsewhere-key"}, e.user("elsewhere-owner"))
		unconnected := must(t, 404, e.call("GET", users+"?merchant_id=elsewhere-key", key, nil))
		unknown := must(t, 404, e.call("GET", users+"?merchant_id=no-such-key", key, nil))
		assert.JSONEq(t, string(unknown.Raw), string(unconnected.Raw))

		// Narrowed by the merchant: the next call feels it.
		must(t, 200, e.call("POST", "/access/invite/"+conn.ID.String()+"/agency-roles/edit", shopOwner,
			map[string]any{"remove_roles": []string{access.UserView}}))
		must(t, 403, e.call("GET", users+q, key, nil), "USER_VIEW was taken away")
		// Removed by the merchant: the merchant is unknown to the partner.
		must(t, 200, e.call("POST", "/access/connections/"+conn.ID.String()+"/remove", shopOwner, nil))
		gone := must(t, 404, e.call("GET", users+q, key, nil))
		assert.JSONEq(t, string(unknown.Raw), string(gone.Raw))
	})
}

// TestConnectionRoutes: GET /access/connections (both sides), one
// connection, and its removal from either side.
func TestConnectionRoutes(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		_, shopOwner, conn := e.merchant(access.UserView)
		// Acme is also the customer of another agency.
		other, _, otherT := e.otherCompany("Other Agency")
		sys := access.SystemPrincipal()
		conn2, err := e.acc.Connect(t.Context(), sys, sys, access.NewConnection{CustomerID: e.company.ID, AgencyID: other.ID,
			Permissions: []string{access.UserView}})
		require.NoError(t, err)

		r := must(t, 200, e.call("GET", "/access/connections", e.ownerT, nil))
		sides := map[string]string{}
		for _, c := range r.get("data", "connections").([]any) {
			c := c.(map[string]any)
			sides[c["connection_id"].(string)] = c["side"].(string)
		}
		assert.Equal(t, map[string]string{conn.ID.String(): "agency", conn2.ID.String(): "customer"}, sides)
		r = must(t, 200, e.call("GET", "/access/connections", shopOwner, nil))
		require.Len(t, r.get("data", "connections"), 1)
		assert.Equal(t, "customer", r.str("data", "connections", 0, "side"))

		r = must(t, 200, e.call("GET", "/access/connections/"+conn.ID.String(), shopOwner, nil))
		assert.Equal(t, []any{access.UserView}, r.get("data", "roles"))
		foreign := must(t, 404, e.call("GET", "/access/connections/"+conn.ID.String(), otherT, nil), "not a side of it")
		unknown := must(t, 404, e.call("GET", "/access/connections/"+e.acc.NewID().String(), otherT, nil))
		assert.JSONEq(t, string(unknown.Raw), string(foreign.Raw))
		must(t, 400, e.call("GET", "/access/connections/not-a-uuid", shopOwner, nil))
		must(t, 404, e.call("POST", "/access/connections/"+conn.ID.String()+"/remove", otherT, nil))

		// A VIEWER of a side may look but not remove.
		_, viewerT := e.member("viewer", access.RoleViewer)
		must(t, 200, e.call("GET", "/access/connections", viewerT, nil))
		must(t, 403, e.call("POST", "/access/connections/"+conn.ID.String()+"/remove", viewerT, nil))
		// The agency itself ends it.
		r = must(t, 200, e.call("POST", "/access/connections/"+conn.ID.String()+"/remove", e.ownerT, nil))
		assert.Equal(t, conn.ID.String(), r.str("data", "connection_id"))
		must(t, 404, e.call("GET", "/access/connections/"+conn.ID.String(), shopOwner, nil))
		must(t, 404, e.call("POST", "/access/connections/"+conn.ID.String()+"/remove", shopOwner, nil), "once")
	})
}

// TestAgencyUserWorksInTheCustomer: seed 003's agency user switches into a
// connected customer by name and manages its users there, within the
// connection; tokens are the agency's own.
func TestAgencyUserWorksInTheCustomer(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		shop, _, _ := e.merchant(access.UserView, access.UserAdd, access.UserEdit)
		admin, _ := e.member("agency-admin", access.RoleAdmin)
		sess := e.session(admin)

		r := must(t, 200, e.call("POST", "/access/switch-company", sess, map[string]any{"company_name": "merchant sho"}), "fuzzy, into the customer")
		assert.Equal(t, shop.ID.String(), r.str("data", "company", "id"))
		r = must(t, 200, e.call("GET", "/access", sess, nil), "the customer's users")
		require.Len(t, r.get("data", "users"), 1)
		staff, _ := e.member("staff", access.RoleViewer)
		r = must(t, 200, e.call("POST", "/access/add", sess, map[string]any{"email": staff.Email, "role": "VIEWER"}))
		assert.Equal(t, "added", r.str("data", "outcome"))
		must(t, 200, e.call("POST", "/access/edit", sess, map[string]any{"user_id": staff.ID.String(), "role": "VIEWER_PLUS"}))
		must(t, 403, e.call("POST", "/access/delete", sess, map[string]any{"user_id": staff.ID.String()}), "USER_DELETE is not the connection's")
		must(t, 403, e.call("POST", "/access/add-api-token", sess, map[string]any{"name": "x", "roles": []string{access.UserView}}),
			"an agency's tokens are made in the agency")
		must(t, 403, e.call("GET", "/access/connections", sess, nil), "connections are their companies' members' to see")
		r = must(t, 200, e.call("POST", "/access/switch-company", sess, map[string]any{"company_name": "Acme"}), "and back home")
		assert.Equal(t, e.company.ID.String(), r.str("data", "company", "id"))
	})
}
