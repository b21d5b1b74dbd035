package httpadapter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

// mgmtUserRow is the row of GET /access naming email.
func mgmtUserRow(t *testing.T, r *resp, email string) map[string]any {
	t.Helper()
	users, _ := r.get("data", "users").([]any)
	for _, u := range users {
		if m, _ := u.(map[string]any); m["email"] == email {
			return m
		}
	}
	require.Failf(t, "no such member", "%s in %s", email, r.Raw)
	return nil
}

// A member, an invitation and a token holding a company role show the
// role's permissions on the management family's and v1's reads (the
// adapter resolves them through access, not the catalog alone).
func TestCompanyRoleReads(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		ctx := t.Context()
		role, err := e.acc.CreateRole(ctx, e.ownerP, access.NewRole{Code: "AUDITOR", Name: "Auditor", Level: 30,
			Permissions: []string{access.UserEdit}})
		require.NoError(t, err)
		aud, audT := e.member("auditor", "AUDITOR")
		// A second holder: the page resolves the role once for both.
		e.member("auditor2", "AUDITOR")
		_, extraT := e.member("auditor3", "AUDITOR", access.UserAdd)
		_ = extraT

		r := must(t, 200, e.call("GET", "/access", e.ownerT, nil))
		row := mgmtUserRow(t, r, aud.Email)
		assert.Equal(t, "AUDITOR", row["role"])
		assert.ElementsMatch(t, []any{"USER_EDIT", "USER_VIEW"}, row["roles"])
		// The token of the role's holder reads with the role's permissions.
		r = must(t, 200, e.call("GET", "/access", audT, nil))
		assert.ElementsMatch(t, []any{"USER_EDIT", "USER_VIEW"}, mgmtUserRow(t, r, aud.Email)["roles"])

		// Narrowed: the next GET /access shows it.
		perms := []string{access.UserView}
		_, err = e.acc.UpdateRole(ctx, e.ownerP, role.ID, access.RoleUpdate{Permissions: &perms})
		require.NoError(t, err)
		r = must(t, 200, e.call("GET", "/access", e.ownerT, nil))
		assert.ElementsMatch(t, []any{"USER_VIEW"}, mgmtUserRow(t, r, aud.Email)["roles"])

		// /access/edit answers with the company role's permissions.
		r = must(t, 200, e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": aud.ID.String(), "add_roles": []string{"USER_ADD"}}))
		assert.Equal(t, "AUDITOR", r.str("data", "role"))
		assert.ElementsMatch(t, []any{"USER_ADD", "USER_VIEW"}, r.get("data", "roles"))

		// An invitation to the role shows its permissions.
		r = must(t, 200, e.call("POST", "/access/add", e.ownerT, map[string]any{"email": "aud-invitee@example.com", "role": "AUDITOR"}))
		assert.Equal(t, "invited", r.str("data", "outcome"))
		assert.ElementsMatch(t, []any{"USER_VIEW"}, r.get("data", "roles"))

		// v1: the user_access and the company's users name the role.
		r = must(t, 200, e.call("GET", "/api/v1/users/"+aud.ID.String()+"/user_access?company_id="+e.company.ID.String(), e.ownerT, nil))
		assert.Equal(t, "AUDITOR", r.str("user_accesses", 0, "access", "code"))
		assert.Equal(t, role.ID.String(), r.str("user_accesses", 0, "access", "id"))
		assert.Equal(t, "Auditor", r.str("user_accesses", 0, "access", "name"))
		r = must(t, 200, e.call("GET", "/api/v1/companies/"+e.company.ID.String()+"/users", e.ownerT, nil))
		found := 0
		for _, u := range r.get("users").([]any) {
			if a := u.(map[string]any)["access"].(map[string]any); a["code"] == "AUDITOR" {
				assert.Equal(t, role.ID.String(), a["id"])
				found++
			}
		}
		assert.Equal(t, 3, found)
		r = must(t, 200, e.call("GET", "/api/v1/companies/"+e.company.ID.String()+"/invitations", e.ownerT, nil))
		assert.Equal(t, role.ID.String(), r.str("invitations", 0, "access", "id"))

		// v1 gives the role by its ID, in its company only.
		newbie := e.user("newbie")
		r = must(t, 201, e.call("POST", "/api/v1/companies/"+e.company.ID.String()+"/invitations", e.ownerT,
			map[string]any{"email": newbie.Email, "access_id": role.ID.String()}))
		assert.Equal(t, "AUDITOR", r.str("invitation", "access", "code"))
		other, _, otherT := e.otherCompany("Other")
		r = must(t, 422, e.call("POST", "/api/v1/companies/"+other.ID.String()+"/invitations", otherT,
			map[string]any{"email": newbie.Email, "access_id": role.ID.String()}))
		assert.Equal(t, "access_id", r.str("error", "field"))
	})
}

// GET /access/roles and v1's accesses list the catalog's roles and the
// company's own, marked by origin; another company's role is not found.
func TestCompanyRolesListed(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		role, err := e.acc.CreateRole(t.Context(), e.ownerP, access.NewRole{Code: "AUDITOR", Level: 30,
			Permissions: []string{access.UserView}})
		require.NoError(t, err)
		r := must(t, 200, e.call("GET", "/access/roles", e.ownerT, nil))
		levels := r.get("data", "levels").([]any)
		require.Len(t, levels, 5)
		assert.Equal(t, "builtin", levels[0].(map[string]any)["origin"])
		last := levels[4].(map[string]any)
		assert.Equal(t, "AUDITOR", last["code"])
		assert.Equal(t, "company", last["origin"])
		assert.Equal(t, role.ID.String(), last["id"])
		assert.Equal(t, true, last["assignable"])

		r = must(t, 200, e.call("GET", "/api/v1/accesses", e.ownerT, nil))
		require.Len(t, r.get("accesses"), 5)
		assert.Equal(t, "company", r.str("accesses", 4, "origin"))
		assert.Equal(t, "builtin", r.str("accesses", 0, "origin"))
		r = must(t, 200, e.call("GET", "/api/v1/accesses/"+role.ID.String(), e.ownerT, nil))
		assert.Equal(t, "AUDITOR", r.str("access", "code"))
		assert.Equal(t, "company", r.str("access", "origin"))

		// Another company sees neither the role nor its ID.
		_, _, otherT := e.otherCompany("Other")
		r = must(t, 200, e.call("GET", "/api/v1/accesses", otherT, nil))
		assert.Len(t, r.get("accesses"), 4)
		r = must(t, 404, e.call("GET", "/api/v1/accesses/"+role.ID.String(), otherT, nil))
		assert.Equal(t, access.CodeAccessNotFound, r.code("error", "code"))
	})
}

// A company role's life over HTTP: defined, given to a member and an
// invitation, narrowed (the member's permissions follow on the next GET
// /access), refused deletion while held, deleted with a replacement.
func TestCompanyRolesManaged(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		_, adminT := e.member("admin", access.RoleAdmin)
		_, viewerT := e.member("viewer", access.RoleViewer)

		body := map[string]any{"code": "auditor", "name": "Auditor", "level": 30, "roles": []string{"USER_EDIT"}}
		must(t, 403, e.call("POST", "/access/roles", viewerT, body))
		r := must(t, 200, e.call("POST", "/access/roles", adminT, body))
		assert.Equal(t, "AUDITOR", r.str("data", "code"))
		assert.Equal(t, "company", r.str("data", "origin"))
		assert.ElementsMatch(t, []any{"USER_EDIT", "USER_VIEW"}, r.get("data", "roles"))
		rid := r.str("data", "id")
		r = must(t, 409, e.call("POST", "/access/roles", adminT, body))
		assert.Equal(t, access.CodeRoleTaken, r.code("data", "code"))
		r = must(t, 400, e.call("POST", "/access/roles", adminT, map[string]any{"code": "BIG", "level": 5000}))
		assert.Equal(t, "level", r.str("data", "field"))
		r = must(t, 400, e.call("POST", "/access/roles", adminT, map[string]any{"code": "9X", "level": 10}))
		assert.Equal(t, "code", r.str("data", "field"))
		// An ADMIN defines no role at OWNER's level.
		must(t, 403, e.call("POST", "/access/roles", adminT, map[string]any{"code": "BOSS", "level": 1000}))

		// Given to a member and an invitation.
		u := e.user("holder")
		r = must(t, 200, e.call("POST", "/access/add", e.ownerT, map[string]any{"email": "holder-invitee@example.com", "role": "AUDITOR"}))
		assert.Equal(t, "invited", r.str("data", "outcome"))
		assert.ElementsMatch(t, []any{"USER_EDIT", "USER_VIEW"}, r.get("data", "roles"))
		_, err := e.acc.AddMember(t.Context(), e.ownerP, access.NewMember{Email: u.Email, Role: "AUDITOR", Consented: true})
		require.NoError(t, err)
		r = must(t, 200, e.call("GET", "/access", adminT, nil))
		assert.ElementsMatch(t, []any{"USER_EDIT", "USER_VIEW"}, mgmtUserRow(t, r, u.Email)["roles"])

		// Narrowed: the next GET /access follows.
		r = must(t, 200, e.call("POST", "/access/roles/"+rid+"/edit", adminT, map[string]any{"roles": []string{"USER_VIEW"}, "name": "Reader"}))
		assert.Equal(t, "Reader", r.str("data", "name"))
		assert.ElementsMatch(t, []any{"USER_VIEW"}, r.get("data", "roles"))
		r = must(t, 200, e.call("GET", "/access", adminT, nil))
		assert.ElementsMatch(t, []any{"USER_VIEW"}, mgmtUserRow(t, r, u.Email)["roles"])
		r = must(t, 400, e.call("POST", "/access/roles/"+rid+"/edit", adminT, map[string]any{"level": 0}))
		assert.Equal(t, "level", r.str("data", "field"))
		must(t, 403, e.call("POST", "/access/roles/"+rid+"/edit", viewerT, map[string]any{"name": "X"}))
		// A catalog role and another company's are not the company's to change.
		r = must(t, 404, e.call("POST", "/access/roles/"+roleID(t, e, "ADMIN")+"/edit", adminT, map[string]any{"name": "X"}))
		assert.Equal(t, access.CodeRoleNotFound, r.code("data", "code"))
		_, _, otherT := e.otherCompany("Other")
		must(t, 404, e.call("POST", "/access/roles/"+rid+"/edit", otherT, map[string]any{"name": "X"}))
		must(t, 404, e.call("POST", "/access/roles/"+rid+"/delete", otherT, nil))
		r = must(t, 400, e.call("POST", "/access/roles/nope/edit", adminT, map[string]any{"name": "X"}))
		assert.Equal(t, "role_id", r.str("data", "field"))

		// Held: deletion is refused naming how many, a replacement moves them.
		r = must(t, 409, e.call("POST", "/access/roles/"+rid+"/delete", adminT, nil))
		assert.Equal(t, access.CodeRoleInUse, r.code("data", "code"))
		assert.Contains(t, r.str("data", "message"), "1 members")
		r = must(t, 400, e.call("POST", "/access/roles/"+rid+"/delete", adminT, map[string]any{"replacement": "EMPEROR"}))
		assert.Equal(t, "replacement", r.str("data", "field"))
		r = must(t, 200, e.call("POST", "/access/roles/"+rid+"/delete", adminT, map[string]any{"replacement": "VIEWER"}))
		assert.Equal(t, rid, r.str("data", "role_id"))
		assert.EqualValues(t, 1, r.get("data", "moved"))
		r = must(t, 200, e.call("GET", "/access", adminT, nil))
		assert.Equal(t, "VIEWER", mgmtUserRow(t, r, u.Email)["role"])
		r = must(t, 404, e.call("POST", "/access/roles/"+rid+"/delete", adminT, nil))
		assert.Equal(t, access.CodeRoleNotFound, r.code("data", "code"))
		r = must(t, 200, e.call("GET", "/access/roles", adminT, nil))
		assert.Len(t, r.get("data", "levels"), 4)
	})
}
