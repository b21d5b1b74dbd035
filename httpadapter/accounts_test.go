package httpadapter_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// accountsFixture is Acme with an owner, an ADMIN, a VIEWER holding ADMIN
// on project p1, a pending invitation holding inbox i1 and an API token
// holding sending domain d1.
type accountsFixture struct {
	*env
	base             string // /api/accounts/{acme}/account_accesses
	viewer, admin    access.User
	viewerT, adminT  string
	inv              invite.Invitation // shadows env.inv: use f.env.inv for the service
	deploy           token.Created
	viewerAccess     string // the viewer's membership ID
	ownerAccess      string
	adminAccess      string
	accountID        string
	listed           map[string]map[string]any // by account access ID
	listedByType     map[string]int
	listedSpecifiers map[string]string // access ID -> specifier ID
}

func newAccountsFixture(t *testing.T, st backend) *accountsFixture {
	e := newEnv(t, st)
	ctx := t.Context()
	f := &accountsFixture{env: e, accountID: e.company.ID.String()}
	f.base = "/api/accounts/" + f.accountID + "/account_accesses"
	f.viewer, f.viewerT = e.member("viewer", access.RoleViewer)
	f.admin, f.adminT = e.member("admin", access.RoleAdmin)
	iss, err := e.inv.Invite(ctx, e.ownerP, invite.NewInvitation{Email: "pending@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	f.inv = iss.Invitation
	f.deploy, err = e.tok.Create(ctx, e.ownerP, token.NewToken{Name: "deploy", Role: access.RoleViewer})
	require.NoError(t, err)
	grant := func(sub access.Subject, typ, rid string, level int) {
		_, err := e.acc.Grant(ctx, e.ownerP, access.NewGrant{Subject: sub, Resource: access.Resource{Type: typ, ID: rid}, Level: level})
		require.NoError(t, err)
	}
	grant(access.Subject{Type: access.SubjectUser, ID: f.viewer.ID}, "project", "p1", access.LevelAdmin)
	grant(access.Subject{Type: access.SubjectInvite, ID: f.inv.ID}, "inbox", "i1", access.LevelViewer)
	grant(access.Subject{Type: access.SubjectToken, ID: f.deploy.Token.ID}, "sending_domain", "d1", access.LevelViewerPlus)
	for _, u := range []struct {
		id  *string
		usr access.User
	}{{&f.viewerAccess, f.viewer}, {&f.ownerAccess, e.owner}, {&f.adminAccess, f.admin}} {
		m, err := e.acc.GetMember(ctx, e.ownerP, u.usr.ID)
		require.NoError(t, err)
		*u.id = m.ID.String()
	}
	return f
}

// list GETs the account accesses with query and returns them by ID.
func (f *accountsFixture) list(t *testing.T, query string) map[string]map[string]any {
	t.Helper()
	r := must(t, 200, f.call("GET", f.base+query, f.ownerT, nil))
	out := map[string]map[string]any{}
	for _, a := range r.JSON.([]any) {
		m := a.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAccountAccessesList(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		f := newAccountsFixture(t, st)
		invID, tokID := f.inv.ID.String(), f.deploy.Token.ID.String()

		// The members (the owner too) and the invitation; no token unless asked.
		all := f.list(t, "")
		assert.ElementsMatch(t, []string{f.ownerAccess, f.viewerAccess, f.adminAccess, invID}, keys(all))
		owner := all[f.ownerAccess]
		assert.Equal(t, "User", owner["specifier_type"])
		assert.Equal(t, f.owner.ID.String(), owner["specifier"].(map[string]any)["id"], "the specifier is the user")
		assert.Equal(t, []any{map[string]any{"resource_type": "account", "resource_id": f.accountID, "access_level": 1000.0}}, owner["resources"])
		assert.Equal(t, map[string]any{"can_read": true, "can_update": true, "can_destroy": true, "can_leave": false}, owner["permissions"])
		viewer := all[f.viewerAccess]
		assert.Equal(t, []any{
			map[string]any{"resource_type": "account", "resource_id": f.accountID, "access_level": 10.0},
			map[string]any{"resource_type": "project", "resource_id": "p1", "access_level": 100.0},
		}, viewer["resources"], "the account first, then each grant")
		assert.Equal(t, map[string]any{"can_read": true, "can_update": false, "can_destroy": false, "can_leave": true}, viewer["permissions"],
			"permissions derive from the account level")
		assert.Equal(t, f.viewer.Email, viewer["specifier"].(map[string]any)["email"])
		assert.Equal(t, false, viewer["specifier"].(map[string]any)["two_factor_authentication_enabled"])
		inv := all[invID]
		assert.Equal(t, "Invite", inv["specifier_type"])
		assert.Equal(t, "pending@example.com", inv["specifier"].(map[string]any)["email"])
		assert.Len(t, inv["resources"], 2)

		// The same ID as seed 001's user_access.
		r := must(t, 200, f.call("GET", "/api/v1/users/"+f.viewer.ID.String()+"/user_access", f.ownerT, nil))
		assert.Equal(t, f.viewerAccess, r.str("user_accesses", 0, "id"), "one id for seed 001's user_access and seed 002's account access")

		// API tokens on request: every token of the company (the env's too).
		withTokens := f.list(t, "?specifier_types=User,Invite,ApiToken")
		dep := withTokens[tokID]
		require.NotNil(t, dep)
		spec := dep["specifier"].(map[string]any)
		assert.Equal(t, "deploy", spec["name"])
		assert.Equal(t, "owner Test", spec["author_name"])
		assert.NotEqual(t, f.deploy.Secret.Reveal(), spec["token"], "never the secret")
		assert.NotContains(t, string(must(t, 200, f.call("GET", f.base+"?specifier_types[]=ApiToken", f.ownerT, nil)).Raw), f.deploy.Secret.Reveal())
		assert.Equal(t, 10.0, dep["resources"].([]any)[0].(map[string]any)["access_level"], "a token's account level is its own")
		only := f.list(t, "?specifier_types[]=ApiToken")
		assert.Contains(t, keys(only), tokID)
		for _, a := range only {
			assert.Equal(t, "ApiToken", a["specifier_type"])
		}
		must(t, 400, f.call("GET", f.base+"?specifier_types=Robot", f.ownerT, nil))

		// Resource filters: repeated, [] and comma-separated; domain_uuids as the SDK sends it.
		assert.ElementsMatch(t, []string{f.viewerAccess}, keys(f.list(t, "?project_ids[]=p1")))
		assert.ElementsMatch(t, []string{f.viewerAccess, invID}, keys(f.list(t, "?project_ids=p1&inbox_ids=i1")))
		assert.ElementsMatch(t, []string{invID}, keys(f.list(t, "?inbox_ids=zz,i1")))
		assert.Empty(t, f.list(t, "?domain_ids=d1"), "a token only when asked for")
		assert.ElementsMatch(t, []string{tokID}, keys(f.list(t, "?domain_uuids[]=d1&specifier_types=ApiToken")))
		assert.ElementsMatch(t, []string{tokID}, keys(f.list(t, "?domain_ids=d1&domain_ids=d2&specifier_types=ApiToken")))
		assert.Empty(t, f.list(t, "?project_ids=nope"))

		// Keyset pages through the Link header reach every access once.
		seen := map[string]bool{}
		next := f.base + "?specifier_types=User,Invite,ApiToken&limit=2"
		pages := 0
		for next != "" {
			r := must(t, 200, f.call("GET", next, f.ownerT, nil))
			for _, a := range r.JSON.([]any) {
				id := a.(map[string]any)["id"].(string)
				assert.False(t, seen[id], "listed twice")
				seen[id] = true
			}
			next = ""
			if link := r.Header.Get("Link"); link != "" {
				require.Contains(t, link, `rel="next"`)
				next = strings.TrimPrefix(strings.Split(link, ">")[0], "<")
			}
			pages++
		}
		assert.ElementsMatch(t, keys(withTokens), keys(seen))
		assert.Greater(t, pages, 2)

		// Errors in seed 002's shapes.
		r = must(t, 401, f.call("GET", f.base, "", nil))
		assert.NotEmpty(t, r.str("error"))
		r = must(t, 403, f.call("GET", f.base, f.viewerT, nil))
		assert.NotEmpty(t, r.str("errors"), "403 says errors")
		_, _, otherT := f.otherCompany("Other")
		must(t, 404, f.call("GET", f.base, otherT, nil), "another account is not found")
	})
}

func TestAccountAccessesDelete(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		f := newAccountsFixture(t, st)
		other, _, otherT := f.otherCompany("Other")
		must(t, 404, f.call("DELETE", "/api/accounts/"+other.ID.String()+"/account_accesses/"+f.viewerAccess, otherT, nil), "another account's access")
		must(t, 403, f.call("DELETE", f.base+"/"+f.adminAccess, f.viewerT, nil), "a viewer removes no one")
		must(t, 403, f.call("DELETE", f.base+"/"+f.ownerAccess, f.adminT, nil), "an admin does not remove the owner")
		r := must(t, 409, f.call("DELETE", f.base+"/"+f.ownerAccess, f.ownerT, nil))
		assert.Equal(t, "last_owner", r.str("code"))

		// A User loses all access: membership and grants.
		r = must(t, 200, f.call("DELETE", f.base+"/"+f.viewerAccess, f.ownerT, nil))
		assert.Equal(t, f.viewerAccess, r.str("id"))
		_, err := f.acc.GetMember(t.Context(), f.ownerP, f.viewer.ID)
		assert.ErrorIs(t, err, access.ErrNotFound, "no longer a member")
		assert.NotEqual(t, 200, f.call("GET", "/access", f.viewerT, nil).Status, "their token stops")
		held, err := f.st.ListGrants(t.Context(), f.company.ID, access.GrantQuery{Subject: &access.Subject{Type: access.SubjectUser, ID: f.viewer.ID}}, access.Cursor{Limit: 10})
		require.NoError(t, err)
		assert.Empty(t, held, "their grants went with them")
		must(t, 404, f.call("DELETE", f.base+"/"+f.viewerAccess, f.ownerT, nil), "gone")

		// An Invite is withdrawn.
		must(t, 200, f.call("DELETE", f.base+"/"+f.inv.ID.String(), f.ownerT, nil))
		got, err := f.env.inv.Get(t.Context(), f.ownerP, f.inv.ID)
		require.NoError(t, err)
		assert.Equal(t, invite.StatusRevoked, got.Status)

		// An ApiToken is revoked, from the next request on.
		must(t, 200, f.call("GET", "/access", f.deploy.Secret.Reveal(), nil))
		must(t, 200, f.call("DELETE", f.base+"/"+f.deploy.Token.ID.String(), f.ownerT, nil))
		must(t, 401, f.call("GET", "/access", f.deploy.Secret.Reveal(), nil))
		assert.ElementsMatch(t, []string{f.ownerAccess, f.adminAccess}, keys(f.list(t, "")))
		must(t, 400, f.call("DELETE", f.base+"/1", f.ownerT, nil))
	})
}

func TestAccountAccessesBulk(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		f := newAccountsFixture(t, st)
		bulk := func(tok, id string, items ...map[string]any) *resp {
			return f.call("PUT", f.base+"/"+id+"/permissions/bulk", tok, map[string]any{"permissions": items})
		}
		levels := func(r *resp) map[string]float64 {
			out := map[string]float64{}
			for _, x := range r.get("resources").([]any) {
				m := x.(map[string]any)
				out[m["resource_type"].(string)+":"+m["resource_id"].(string)] = m["access_level"].(float64)
			}
			return out
		}
		acct := "account:" + f.accountID

		// Create, update, by number or name, in both spellings.
		r := must(t, 200, bulk(f.ownerT, f.viewerAccess,
			map[string]any{"resource_type": "project", "resource_id": "p1", "access_level": "viewer"},
			map[string]any{"resourceType": "inbox", "resource_id": 7, "accessLevel": 100},
			map[string]any{"resource_type": "project", "resource_id": "p2", "access_level": "viewer_plus"}))
		assert.Equal(t, f.viewerAccess, r.str("id"))
		assert.Equal(t, map[string]float64{acct: 10, "project:p1": 10, "inbox:7": 100, "project:p2": 50}, levels(r))
		assert.Equal(t, "account", r.str("resources", 0, "resource_type"), "the account first")

		// The account item changes the member's role.
		r = must(t, 200, bulk(f.ownerT, f.viewerAccess, map[string]any{"resource_type": "account", "resource_id": f.accountID, "access_level": "admin"}))
		assert.Equal(t, 100.0, r.get("resources", 0, "access_level"))
		assert.Equal(t, true, r.get("permissions", "can_update"))
		m, err := f.acc.GetMember(t.Context(), f.ownerP, f.viewer.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleAdmin, m.Role, "the membership is the account access")

		// _destroy, as a boolean or a string.
		r = must(t, 200, bulk(f.ownerT, f.viewerAccess,
			map[string]any{"resource_type": "project", "resource_id": "p1", "_destroy": true},
			map[string]any{"resource_type": "inbox", "resource_id": "7", "_destroy": "true"},
			map[string]any{"resource_type": "inbox", "resource_id": "never-held", "_destroy": true}))
		assert.Equal(t, map[string]float64{acct: 100, "project:p2": 50}, levels(r))

		// Invites and tokens hold resource permissions too.
		r = must(t, 200, bulk(f.ownerT, f.deploy.Token.ID.String(), map[string]any{"resource_type": "project", "resource_id": "p2", "access_level": 10}))
		assert.Equal(t, map[string]float64{acct: 10, "sending_domain:d1": 50, "project:p2": 10}, levels(r))
		assert.Equal(t, "ApiToken", r.str("specifier_type"))
		r = must(t, 400, bulk(f.ownerT, f.deploy.Token.ID.String(), map[string]any{"resource_type": "account", "resource_id": f.accountID, "access_level": 100}))
		assert.Equal(t, "permissions[0].access_level", r.str("field"), "a token's account level is fixed")

		// Rank: an ADMIN neither touches the owner nor grants above itself.
		must(t, 403, bulk(f.adminT, f.ownerAccess, map[string]any{"resource_type": "account", "resource_id": f.accountID, "access_level": "viewer"}))
		must(t, 403, bulk(f.adminT, f.viewerAccess, map[string]any{"resource_type": "project", "resource_id": "p3", "access_level": "owner"}))
		must(t, 403, bulk(f.viewerT, f.adminAccess, map[string]any{"resource_type": "project", "resource_id": "p3", "access_level": "viewer"}), "a viewer manages nothing")

		// The last owner stays.
		r = must(t, 409, bulk(f.ownerT, f.ownerAccess, map[string]any{"resource_type": "account", "resource_id": f.accountID, "access_level": "admin"}))
		assert.Equal(t, "last_owner", r.str("code"))

		// All or nothing: a later item's refusal undoes the earlier ones.
		r = must(t, 403, bulk(f.adminT, f.inv.ID.String(),
			map[string]any{"resource_type": "project", "resource_id": "p9", "access_level": "viewer"},
			map[string]any{"resource_type": "inbox", "resource_id": "i1", "access_level": "owner"}))
		assert.Contains(t, r.str("errors"), "permissions[1]")
		assert.Empty(t, f.list(t, "?project_ids=p9"), "the first item was rolled back")
		assert.Equal(t, 10.0, f.list(t, "?inbox_ids=i1")[f.inv.ID.String()]["resources"].([]any)[1].(map[string]any)["access_level"])

		// Bad input names the item and changes nothing.
		r = must(t, 400, bulk(f.ownerT, f.viewerAccess, map[string]any{"resource_type": "project", "resource_id": "p4", "access_level": "superuser"}))
		assert.Equal(t, "permissions[0].access_level", r.str("field"))
		r = must(t, 400, bulk(f.ownerT, f.viewerAccess,
			map[string]any{"resource_type": "project", "resource_id": "p4", "access_level": 10},
			map[string]any{"resource_type": "project", "resource_id": "p5"}))
		assert.Equal(t, "permissions[1].access_level", r.str("field"), "a level is required unless _destroy")
		r = must(t, 400, bulk(f.ownerT, f.viewerAccess, map[string]any{"resource_type": "account", "resource_id": "someone-else", "access_level": 10}))
		assert.Equal(t, "permissions[0].resource_id", r.str("field"))
		must(t, 400, f.call("PUT", f.base+"/"+f.viewerAccess+"/permissions/bulk", f.ownerT, map[string]any{"permissions": []any{}}))
		must(t, 400, f.call("PUT", f.base+"/"+f.viewerAccess+"/permissions/bulk", f.ownerT, map[string]any{"permissions": []any{map[string]any{"level": 1}}}), "unknown field")
		assert.Empty(t, f.list(t, "?project_ids=p4"))
		must(t, 404, bulk(f.ownerT, f.owner.ID.String(), map[string]any{"resource_type": "project", "resource_id": "p4", "access_level": 10}), "a user ID is no access ID")
	})
}

func TestAccountsAndResources(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		f := newAccountsFixture(t, st)
		// A token: its own account.
		r := must(t, 200, f.call("GET", "/api/accounts", f.ownerT, nil))
		assert.Equal(t, []any{map[string]any{"id": f.accountID, "name": "Acme", "access_levels": []any{1000.0}}}, r.JSON)
		r = must(t, 200, f.call("GET", "/api/accounts", f.viewerT, nil))
		assert.Equal(t, []any{10.0}, r.get(0, "access_levels"))
		// A user: every company they are an active member of.
		sub, err := f.acc.CreateCompany(t.Context(), access.UserPrincipal(f.viewer.ID, f.company.ID), access.NewCompany{Name: "Viewer's own"})
		require.NoError(t, err)
		r = must(t, 200, f.call("GET", "/api/accounts", f.session(f.viewer), nil))
		byID := map[string]any{}
		for _, a := range r.JSON.([]any) {
			byID[a.(map[string]any)["id"].(string)] = a.(map[string]any)["access_levels"]
		}
		assert.Equal(t, map[string]any{f.accountID: []any{10.0}, sub.ID.String(): []any{1000.0}}, byID)
		must(t, 401, f.call("GET", "/api/accounts", "", nil))

		// Reach: a customer connected to Acme is an account its OWNER (and
		// the OWNER's token) acts in, at the agency's rank (ADMIN); the
		// VIEWER, in no agency role, does not reach it.
		shop, _, _ := f.merchant(access.UserView)
		levels := func(tok string, query string) map[string]any {
			out := map[string]any{}
			for range 10 {
				r := must(t, 200, f.call("GET", "/api/accounts"+query, tok, nil))
				for _, a := range r.JSON.([]any) {
					out[a.(map[string]any)["id"].(string)] = a.(map[string]any)["access_levels"]
				}
				next := r.Header.Get("Link")
				if next == "" {
					return out
				}
				query = strings.TrimPrefix(strings.TrimSuffix(next, `>; rel="next"`), "</api/accounts")
			}
			t.Fatal("the pages never end")
			return nil
		}
		reached := map[string]any{f.accountID: []any{1000.0}, shop.ID.String(): []any{100.0}}
		assert.Equal(t, reached, levels(f.ownerT, ""), "the owner's token")
		assert.Equal(t, reached, levels(f.ownerT, "?limit=1"), "in pages of one, across the two parts")
		assert.Equal(t, reached, levels(f.session(f.owner), "?limit=1"), "the owner's session")
		assert.Equal(t, map[string]any{f.accountID: []any{10.0}}, levels(f.viewerT, ""), "a VIEWER's token reaches nothing")
		must(t, 400, f.call("GET", "/api/accounts?cursor=nope", f.ownerT, nil))

		// Resources: the owner administers the account and every granted resource.
		res := "/api/accounts/" + f.accountID + "/permissions/resources"
		r = must(t, 200, f.call("GET", res, f.ownerT, nil))
		require.Len(t, r.JSON, 1)
		assert.Equal(t, "account", r.str(0, "type"))
		assert.Equal(t, f.accountID, r.str(0, "id"))
		assert.Equal(t, "Acme", r.str(0, "name"))
		assert.Equal(t, 1000.0, r.get(0, "access_level"))
		var children []string
		for _, c := range r.get(0, "resources").([]any) {
			m := c.(map[string]any)
			children = append(children, m["type"].(string)+":"+m["id"].(string))
			assert.Equal(t, 1000.0, m["access_level"])
		}
		assert.Equal(t, []string{"inbox:i1", "project:p1", "sending_domain:d1"}, children)
		// Paged: the Link header continues the resources.
		r = must(t, 200, f.call("GET", res+"?limit=2", f.ownerT, nil))
		assert.Len(t, r.get(0, "resources"), 2)
		link := r.Header.Get("Link")
		require.Contains(t, link, `rel="next"`)
		u, err := url.Parse(strings.TrimPrefix(strings.Split(link, ">")[0], "<"))
		require.NoError(t, err)
		r = must(t, 200, f.call("GET", u.RequestURI(), f.ownerT, nil))
		assert.Equal(t, "sending_domain", r.str(0, "resources", 0, "type"))
		// A viewer who administers one project: that project alone.
		r = must(t, 200, f.call("GET", res, f.session(f.viewer), nil))
		assert.Equal(t, []any{map[string]any{"id": "p1", "name": "p1", "type": "project", "access_level": 100.0, "resources": []any{}}}, r.JSON)
	})
}
