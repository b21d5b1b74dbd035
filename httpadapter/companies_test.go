package httpadapter_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/access"
)

// memberRoles is the role of each user of the company, as GET /access shows
// them to tok.
func (e *env) memberRoles(tok string) map[string]string {
	e.t.Helper()
	r := must(e.t, 200, e.call("GET", "/access", tok, nil))
	out := map[string]string{}
	for _, u := range r.get("data", "users").([]any) {
		m := u.(map[string]any)
		out[m["id"].(string)] = m["role"].(string)
	}
	return out
}

func TestManagementCompanyEdit(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		_, adminT := e.member("admin", access.RoleAdmin)
		_, viewerT := e.member("viewer", access.RoleViewer)
		_, plusT := e.member("plus", access.RoleViewerPlus, access.UserEdit, access.UserAdd, access.UserDelete)
		e.NewCompany(t, access.NewCompany{Name: "Other", ExternalKey: "other-key", Domains: []string{"other.example"}}, e.user("other"))

		r := must(t, 200, e.call("GET", "/access/company", viewerT, nil))
		assert.Equal(t, e.company.ID.String(), r.str("data", "id"))
		assert.Equal(t, "Acme", r.str("data", "name"))
		assert.Equal(t, "acme-key", r.str("data", "external_key"))
		assert.Equal(t, []any{"acme.example"}, r.get("data", "domains"))

		// OWNER or ADMIN: a VIEWER, and a VIEWER_PLUS with every
		// permission role, may not.
		edit := map[string]any{"name": "Acme Renamed"}
		r = must(t, 403, e.call("POST", "/access/company/edit", viewerT, edit))
		assert.Equal(t, "error", r.str("status"))
		must(t, 403, e.call("POST", "/access/company/edit", plusT, edit))
		r = must(t, 200, e.call("POST", "/access/company/edit", adminT, map[string]any{
			"name": "Acme Renamed", "external_key": "acme-2", "domains": []string{"Acme2.Example", "acme.example"}}))
		assert.Equal(t, "Acme Renamed", r.str("data", "name"))
		assert.Equal(t, "acme-2", r.str("data", "external_key"))
		assert.Equal(t, []any{"acme2.example", "acme.example"}, r.get("data", "domains"))
		r = must(t, 200, e.call("POST", "/access/company/edit", e.ownerT, map[string]any{"domains": []string{}}))
		assert.Equal(t, []any{}, r.get("data", "domains"))
		assert.Equal(t, "acme-2", r.str("data", "external_key"), "absent fields stay")
		r = must(t, 200, e.call("GET", "/access/company", viewerT, nil))
		assert.Equal(t, "Acme Renamed", r.str("data", "name"))

		// Invalid input names the field and changes nothing.
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"external_key": uuid.NewString()}, "external_key"},
			{map[string]any{"external_key": "{" + uuid.NewString() + "}"}, "external_key"},
			{map[string]any{"name": "  "}, "name"},
			{map[string]any{"domains": []string{"not a domain"}}, "domains"},
			{map[string]any{"domains": "acme.example"}, "domains"},
			{map[string]any{"owner": "me"}, "owner"},
		} {
			r := must(t, 400, e.call("POST", "/access/company/edit", adminT, c.body))
			assert.Equal(t, c.field, r.str("data", "field"), "%v", c.body)
		}
		must(t, 400, e.call("POST", "/access/company/edit", adminT, nil), "a body is required")
		// Another company's key or domain is taken.
		r = must(t, 409, e.call("POST", "/access/company/edit", adminT, map[string]any{"name": "Acme", "external_key": "other-key"}))
		assert.Equal(t, access.CodeExternalKeyTaken, r.code("data", "code"))
		r = must(t, 409, e.call("POST", "/access/company/edit", adminT, map[string]any{"name": "Acme", "domains": []string{"Other.Example"}}))
		assert.Equal(t, access.CodeDomainTaken, r.code("data", "code"))
		r = must(t, 200, e.call("GET", "/access/company", viewerT, nil))
		assert.Equal(t, "Acme Renamed", r.str("data", "name"), "a refused edit changes nothing")
	})
}

func TestManagementCompanyLeave(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		viewer, viewerT := e.member("viewer", access.RoleViewer)
		viewerS := e.session(viewer)
		ownerS := e.session(e.owner)

		r := must(t, 200, e.call("POST", "/access/company/leave", viewerS, nil))
		assert.Equal(t, e.company.ID.String(), r.str("data", "company_id"))
		assert.Equal(t, viewer.ID.String(), r.str("data", "user_id"))
		assert.NotContains(t, e.memberRoles(e.ownerT), viewer.ID.String())
		must(t, 404, e.call("GET", "/access", viewerS, nil), "the company is out of the viewer's sight")
		must(t, 404, e.call("GET", "/access", viewerT, nil), "and of the tokens they made there")

		// The last OWNER cannot leave; an API token has nothing to leave.
		r = must(t, 409, e.call("POST", "/access/company/leave", ownerS, nil))
		assert.Equal(t, access.CodeLastOwner, r.code("data", "code"))
		must(t, 403, e.call("POST", "/access/company/leave", e.ownerT, nil))
		must(t, 401, e.call("POST", "/access/company/leave", "", nil))
		assert.Equal(t, "OWNER", e.memberRoles(e.ownerT)[e.owner.ID.String()])

		// With a second OWNER the first may go.
		second, _ := e.member("second", access.RoleOwner)
		must(t, 200, e.call("POST", "/access/company/leave", ownerS, nil))
		r = must(t, 409, e.call("POST", "/access/company/leave", e.session(second), nil))
		assert.Equal(t, access.CodeLastOwner, r.code("data", "code"))
	})
}

func TestManagementTransferOwnership(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		admin, adminT := e.member("admin", access.RoleAdmin)
		idle, _ := e.member("idle", access.RoleViewer)
		must(t, 200, e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": idle.ID.String(), "is_active": false}))
		_, _, _ = e.otherCompany("Other")
		stranger := e.user("stranger")
		ownerS := e.session(e.owner)
		const path = "/access/company/transfer-ownership"

		must(t, 403, e.call("POST", path, e.session(admin), map[string]any{"user_id": e.owner.ID.String()}), "an ADMIN owns nothing")
		must(t, 403, e.call("POST", path, e.ownerT, map[string]any{"user_id": admin.ID.String()}), "an API token is no owning user")
		r := must(t, 409, e.call("POST", path, ownerS, map[string]any{"user_id": idle.ID.String()}))
		assert.Equal(t, access.CodeMemberInactive, r.code("data", "code"))
		r = must(t, 404, e.call("POST", path, ownerS, map[string]any{"user_id": stranger.ID.String()}))
		assert.Equal(t, access.CodeMemberNotFound, r.code("data", "code"))
		for _, body := range []any{map[string]any{"user_id": e.owner.ID.String()}, map[string]any{"user_id": "nope"}, map[string]any{}} {
			r = must(t, 400, e.call("POST", path, ownerS, body))
			assert.Equal(t, "user_id", r.str("data", "field"), "%v", body)
		}
		assert.Equal(t, "OWNER", e.memberRoles(adminT)[e.owner.ID.String()], "refusals change nothing")

		r = must(t, 200, e.call("POST", path, ownerS, map[string]any{"user_id": admin.ID.String()}))
		assert.Equal(t, admin.ID.String(), r.str("data", "user_id"))
		roles := e.memberRoles(adminT)
		assert.Equal(t, "OWNER", roles[admin.ID.String()])
		assert.Equal(t, "ADMIN", roles[e.owner.ID.String()], "the old OWNER is an ADMIN")
		must(t, 403, e.call("POST", path, ownerS, map[string]any{"user_id": admin.ID.String()}), "no longer an OWNER")
		// The new OWNER may leave now only by handing back: the old one is an ADMIN.
		r = must(t, 409, e.call("POST", "/access/company/leave", e.session(admin), nil))
		assert.Equal(t, access.CodeLastOwner, r.code("data", "code"))
	})
}

func TestManagementCompanyDelete(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		admin, adminT := e.member("admin", access.RoleAdmin)
		viewer, viewerT := e.member("viewer", access.RoleViewer)
		viewerS := e.session(viewer)
		second, _ := e.NewCompany(t, access.NewCompany{Name: "Second"}, e.owner)
		elsewhere := e.sessionIn(e.owner, second.ID)
		must(t, 200, e.call("GET", "/api/v1/companies/"+e.company.ID.String(), elsewhere, nil), "the owner sees Acme from Second")
		must(t, 200, e.call("POST", "/access/add", e.ownerT, map[string]any{"email": "late@example.com"}))

		must(t, 403, e.call("POST", "/access/company/delete", viewerT, nil))
		must(t, 403, e.call("POST", "/access/company/delete", adminT, nil))
		must(t, 403, e.call("POST", "/access/company/delete", e.session(admin), nil))
		must(t, 200, e.call("GET", "/access/company", viewerT, nil), "refusals delete nothing")

		r := must(t, 200, e.call("POST", "/access/company/delete", e.session(e.owner), nil))
		assert.Equal(t, e.company.ID.String(), r.str("data", "company_id"))

		// The ID is unknown afterwards, to its former owner too.
		r = must(t, 404, e.call("GET", "/api/v1/companies/"+e.company.ID.String(), elsewhere, nil))
		assert.Equal(t, access.CodeCompanyNotFound, r.code("error", "code"))
		must(t, 200, e.call("GET", "/api/v1/companies/"+second.ID.String(), elsewhere, nil), "the owner's other company stays")
		must(t, 404, e.call("GET", "/portal/instance/access/users?merchant_id="+e.company.ID.String(), elsewhere, nil))
		must(t, 404, e.call("GET", "/portal/instance/access/users?merchant_id=acme-key", elsewhere, nil), "its external key is free")
		// Its API tokens went with it, and the sessions acting in it stop.
		for _, tok := range []string{e.ownerT, adminT, viewerT, viewerS} {
			must(t, 401, e.call("GET", "/access/company", tok, nil))
		}
		r = must(t, 200, e.call("GET", "/access/invite?status=any", elsewhere, nil))
		assert.Empty(t, r.get("data", "sent"), "Second sent nothing; Acme's invitations are gone")
	})
}
