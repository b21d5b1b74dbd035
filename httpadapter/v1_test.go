package httpadapter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func roleID(t *testing.T, e *env, code string) string {
	t.Helper()
	r, ok := e.acc.Catalog().Role(code)
	require.True(t, ok)
	return r.ID.String()
}

func TestV1AccessesAndCompanies(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		r := must(t, 200, e.call("GET", "/api/v1/accesses", e.ownerT, nil))
		assert.Len(t, r.get("accesses"), 4)
		r = must(t, 200, e.call("GET", "/api/v1/accesses/"+roleID(t, e, "ADMIN"), e.ownerT, nil))
		assert.Equal(t, "ADMIN", r.str("access", "code"))
		must(t, 404, e.call("GET", "/api/v1/accesses/0193a3c0-0000-7000-8000-000000000000", e.ownerT, nil))
		must(t, 401, e.call("GET", "/api/v1/accesses", "", nil))

		session := e.session(e.owner)
		r = must(t, 201, e.call("POST", "/api/v1/companies", session, map[string]any{"name": "Globex"}))
		globex := r.str("company", "id")
		assert.Nil(t, r.get("company", "parent_company_id"))
		r = must(t, 201, e.call("POST", "/api/v1/companies", session, map[string]any{"name": "Globex EU", "parent_company_id": globex}))
		assert.Equal(t, globex, r.str("company", "parent_company_id"))
		r = must(t, 422, e.call("POST", "/api/v1/companies", session, map[string]any{"name": " "}))
		assert.Equal(t, "name", r.str("error", "field"))
		must(t, 403, e.call("POST", "/api/v1/companies", e.ownerT, map[string]any{"name": "By token"}), "an API token cannot create companies")

		r = must(t, 200, e.call("GET", "/api/v1/companies", session, nil))
		assert.Len(t, r.get("companies"), 3)
		r = must(t, 200, e.call("GET", "/api/v1/companies/"+e.company.ID.String(), session, nil))
		assert.Equal(t, true, r.get("company", "default"), "the session acts in Acme")
		other, _, _ := e.otherCompany("Other")
		must(t, 404, e.call("GET", "/api/v1/companies/"+other.ID.String(), session, nil))
		must(t, 400, e.call("GET", "/api/v1/companies/42", session, nil), "IDs are UUIDs")
	})
}

func TestV1UserAccess(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		ctx := t.Context()
		session := e.session(e.owner)
		sub, err := e.acc.CreateCompany(ctx, e.ownerP, access.NewCompany{Name: "Sub"})
		require.NoError(t, err)
		colleague, _ := e.member("colleague", access.RoleViewer)
		stranger := e.user("stranger")

		// Add a colleague of Acme to Sub.
		path := "/api/v1/users/" + colleague.ID.String() + "/user_access"
		r := must(t, 201, e.call("POST", path, session, map[string]any{"company_id": sub.ID.String(), "access_id": roleID(t, e, "ADMIN")}))
		assert.Equal(t, "ADMIN", r.str("user_access", "access", "code"))
		assert.Equal(t, "Sub", r.str("user_access", "company", "name"))
		assert.Equal(t, colleague.Email, r.str("user_access", "user", "email"))
		subAccess := r.str("user_access", "id")
		must(t, 409, e.call("POST", path, session, map[string]any{"company_id": sub.ID.String(), "access_id": roleID(t, e, "ADMIN")}))
		// A user the caller cannot see is 404; a bad access 422; only the user chooses their primary company.
		r = must(t, 404, e.call("POST", "/api/v1/users/"+stranger.ID.String()+"/user_access", session, map[string]any{"company_id": sub.ID.String(), "access_id": roleID(t, e, "VIEWER")}))
		assert.Equal(t, access.CodeUserNotFound, r.code("error", "code"), "as an unknown user")
		third, _ := e.member("third", access.RoleViewer)
		thirdPath := "/api/v1/users/" + third.ID.String() + "/user_access"
		must(t, 403, e.call("POST", thirdPath, session, map[string]any{"company_id": sub.ID.String(), "access_id": roleID(t, e, "VIEWER"), "primary": true}))
		must(t, 404, e.call("GET", thirdPath+"?company_id="+sub.ID.String(), session, nil), "a refused creation adds nothing")
		r = must(t, 422, e.call("POST", path, session, map[string]any{"company_id": sub.ID.String(), "access_id": "nope"}))
		assert.Equal(t, "access_id", r.str("error", "field"))
		r = must(t, 422, e.call("POST", path, session, map[string]any{"access_id": roleID(t, e, "VIEWER")}))
		assert.Equal(t, "company_id", r.str("error", "field"))

		// Another user's accesses: in the caller's company (or company_id).
		r = must(t, 200, e.call("GET", path, session, nil))
		assert.Equal(t, "Acme", r.str("user_accesses", 0, "company", "name"))
		r = must(t, 200, e.call("GET", path+"?company_id="+sub.ID.String(), session, nil))
		assert.Equal(t, subAccess, r.str("user_accesses", 0, "id"))
		// One's own: all companies.
		colleagueSession := e.session(colleague)
		r = must(t, 200, e.call("GET", path, colleagueSession, nil))
		assert.Len(t, r.get("user_accesses"), 2)

		// Update: the access, and primary only by the user themself.
		r = must(t, 200, e.call("PUT", path, session, map[string]any{"company_id": sub.ID.String(), "access_id": roleID(t, e, "VIEWER")}))
		assert.Equal(t, "VIEWER", r.str("user_access", "access", "code"))
		must(t, 403, e.call("PUT", path, session, map[string]any{"company_id": sub.ID.String(), "primary": true}))
		r = must(t, 200, e.call("PUT", path, colleagueSession, map[string]any{"company_id": sub.ID.String(), "primary": true}))
		assert.Equal(t, true, r.get("user_access", "primary"))
		// A viewer cannot raise themself.
		must(t, 403, e.call("PUT", path, colleagueSession, map[string]any{"company_id": sub.ID.String(), "access_id": roleID(t, e, "ADMIN")}))

		// Company users.
		r = must(t, 200, e.call("GET", "/api/v1/companies/"+sub.ID.String()+"/users", session, nil))
		assert.Len(t, r.get("users"), 2)
		_, _, otherT := e.otherCompany("Other")
		must(t, 404, e.call("GET", "/api/v1/companies/"+sub.ID.String()+"/users", otherT, nil), "cross-tenant")

		// Delete: the id must be that user's access in that company.
		must(t, 404, e.call("DELETE", "/api/v1/users/"+colleague.ID.String()+"/user_access/"+subAccess, session, nil), "not in Acme")
		must(t, 204, e.call("DELETE", "/api/v1/users/"+colleague.ID.String()+"/user_access/"+subAccess+"?company_id="+sub.ID.String(), session, nil))
		// Leaving one's own company.
		r = must(t, 200, e.call("GET", path, colleagueSession, nil))
		mine := r.str("user_accesses", 0, "id")
		must(t, 204, e.call("DELETE", path+"/"+mine, colleagueSession, nil))
		must(t, 404, e.call("DELETE", path+"/"+mine, colleagueSession, nil))
	})
}

func TestV1Invitations(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		admin, adminT := e.member("admin", access.RoleAdmin)
		_, viewerT := e.member("viewer", access.RoleViewer)
		base := "/api/v1/companies/" + e.company.ID.String() + "/invitations"

		must(t, 403, e.call("POST", base, viewerT, map[string]any{"email": "i@example.com", "access_id": roleID(t, e, "VIEWER")}))
		must(t, 403, e.call("POST", base, adminT, map[string]any{"email": "i@example.com", "access_id": roleID(t, e, "OWNER")}), "privilege ceiling")
		r := must(t, 422, e.call("POST", base, adminT, map[string]any{"email": "not-an-email", "access_id": roleID(t, e, "VIEWER")}))
		assert.Equal(t, "email", r.str("error", "field"))
		r = must(t, 201, e.call("POST", base, adminT, map[string]any{"email": "Invitee@Example.com", "access_id": roleID(t, e, "VIEWER")}))
		invID := r.str("invitation", "id")
		assert.Equal(t, "invitee@example.com", r.str("invitation", "email"))
		code := e.lastEvent().Token.Reveal()

		r = must(t, 200, e.call("GET", base, viewerT, nil))
		assert.Len(t, r.get("invitations"), 1)
		// By code, without authentication.
		r = must(t, 200, e.call("GET", "/api/v1/invitations/code/"+code, "", nil))
		assert.Equal(t, "Acme", r.str("invitation", "company_name"))
		assert.Equal(t, "VIEWER", r.str("invitation", "access", "code"))
		assert.Equal(t, "admin Test", r.str("invitation", "inviter_name"))
		must(t, 404, e.call("GET", "/api/v1/invitations/code/"+e.malformed("inv"), "", nil))

		// By e-mail: only for that user.
		r = must(t, 200, e.call("GET", "/api/v1/invitations?email="+admin.Email, e.session(admin), nil))
		assert.Empty(t, r.get("invitations"))
		must(t, 403, e.call("GET", "/api/v1/invitations?email=invitee@example.com", e.session(admin), nil))
		must(t, 422, e.call("GET", "/api/v1/invitations", e.session(admin), nil))

		// Delete: cross-tenant 404, then withdrawn.
		other, _, otherT := e.otherCompany("Other")
		must(t, 404, e.call("DELETE", "/api/v1/companies/"+other.ID.String()+"/invitations/"+invID, otherT, nil))
		must(t, 204, e.call("DELETE", base+"/"+invID, adminT, nil))
		must(t, 409, e.call("DELETE", base+"/"+invID, adminT, nil))
		r = must(t, 200, e.call("GET", "/api/v1/invitations/code/"+code, "", nil))
		assert.Equal(t, "revoked", r.str("invitation", "status"))
	})
}

// Seed 001: POST user_access names a user visible to the caller: themself,
// or a member of any company where the caller holds USER_VIEW, not only of
// the company the caller acts in now.
func TestV1UserAccessSeesEveryCallerCompany(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		ctx := t.Context()
		beta, err := e.acc.CreateCompany(ctx, e.ownerP, access.NewCompany{Name: "Beta"})
		require.NoError(t, err)
		betaOwner := access.UserPrincipal(e.owner.ID, beta.ID)
		target := e.user("target")
		_, err = e.acc.AddMember(ctx, betaOwner, access.NewMember{Email: target.Email, Role: access.RoleViewer, Consented: true})
		require.NoError(t, err)

		// The owner acts in Acme; the target is a member of Beta only.
		session := e.session(e.owner)
		path := "/api/v1/users/" + target.ID.String() + "/user_access"
		r := must(t, 201, e.call("POST", path, session, map[string]any{"company_id": e.company.ID.String(), "access_id": roleID(t, e, "VIEWER")}))
		assert.Equal(t, "Acme", r.str("user_access", "company", "name"))

		// An ADMIN of Acme who is in no company with the user sees no one.
		admin, _ := e.member("admin", access.RoleAdmin)
		other := e.user("other")
		_, err = e.acc.AddMember(ctx, betaOwner, access.NewMember{Email: other.Email, Role: access.RoleViewer, Consented: true})
		require.NoError(t, err)
		r = must(t, 404, e.call("POST", "/api/v1/users/"+other.ID.String()+"/user_access", e.session(admin),
			map[string]any{"company_id": e.company.ID.String(), "access_id": roleID(t, e, "VIEWER")}))
		assert.Equal(t, access.CodeUserNotFound, r.code("error", "code"))

		// A member of Beta without USER_VIEW there sees no one through it.
		_, err = e.acc.AddMember(ctx, betaOwner, access.NewMember{Email: admin.Email, Role: access.RoleViewer, Consented: true})
		require.NoError(t, err)
		_, err = e.acc.UpdateMember(ctx, betaOwner, admin.ID, access.MemberUpdate{RemovePermissions: []string{access.UserView}})
		require.NoError(t, err)
		must(t, 404, e.call("POST", "/api/v1/users/"+other.ID.String()+"/user_access", e.session(admin),
			map[string]any{"company_id": e.company.ID.String(), "access_id": roleID(t, e, "VIEWER")}), "USER_VIEW withheld in Beta")
		_, err = e.acc.UpdateMember(ctx, betaOwner, admin.ID, access.MemberUpdate{AddPermissions: []string{access.UserView}})
		require.NoError(t, err)
		must(t, 201, e.call("POST", "/api/v1/users/"+other.ID.String()+"/user_access", e.session(admin),
			map[string]any{"company_id": e.company.ID.String(), "access_id": roleID(t, e, "VIEWER")}), "USER_VIEW in Beta")
	})
}
