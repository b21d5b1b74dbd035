package httpadapter_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
)

func TestManagementUsers(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		admin, adminT := e.member("admin", access.RoleAdmin)
		_, viewerT := e.member("viewer", access.RoleViewer)
		newbie := e.user("newbie")

		r := must(t, 200, e.call("GET", "/access", viewerT, nil))
		assert.Equal(t, "success", r.str("status"))
		assert.Len(t, r.get("data", "users"), 3)

		// USER_ADD is needed to add; a viewer holds only USER_VIEW.
		must(t, 403, e.call("POST", "/access/add", viewerT, map[string]any{"email": newbie.Email}))
		// The admin's token sees only Acme's members: newbie, in no company
		// yet, is invited, as an unknown e-mail is (consent_test.go).
		r = must(t, 200, e.call("POST", "/access/add", adminT, map[string]any{"email": newbie.Email}))
		assert.Equal(t, "invited", r.str("data", "outcome"))
		assert.Equal(t, "pending", r.str("data", "invitation", "status"))
		r = must(t, 200, e.call("POST", "/access/add", adminT, map[string]any{"email": "nobody@example.com"}))
		assert.Equal(t, "invited", r.str("data", "outcome"))
		// Once newbie shares a company with the admin, the admin's own
		// session adds them at once.
		newCo, _ := e.NewCompany(t, access.NewCompany{Name: "Newbie Co"}, newbie)
		e.AddMember(t, newCo.ID, admin, access.RoleViewer)
		r = must(t, 200, e.call("POST", "/access/add", e.session(admin), map[string]any{"email": newbie.Email, "roles": []string{"USER_ADD"}}))
		assert.Equal(t, "added", r.str("data", "outcome"))
		assert.Equal(t, newbie.ID.String(), r.str("data", "id"))
		assert.Equal(t, newbie.FirstName, r.str("data", "first_name"))
		assert.Equal(t, "VIEWER", r.str("data", "role"), "VIEWER by default")
		assert.ElementsMatch(t, []any{"USER_ADD", "USER_VIEW"}, r.get("data", "roles"))
		assert.Nil(t, r.get("data", "invitation"))
		must(t, 409, e.call("POST", "/access/add", adminT, map[string]any{"email": newbie.Email}))

		// Privilege ceiling: an ADMIN cannot make anyone OWNER.
		must(t, 403, e.call("POST", "/access/edit", adminT, map[string]any{"user_id": newbie.ID.String(), "role": "OWNER"}))
		r = must(t, 200, e.call("POST", "/access/edit", adminT, map[string]any{"user_id": newbie.ID.String(), "remove_roles": []string{"USER_ADD"}, "add_roles": []string{"USER_EDIT"}}))
		assert.ElementsMatch(t, []any{"USER_EDIT", "USER_VIEW"}, r.get("data", "roles"))
		must(t, 403, e.call("POST", "/access/edit", viewerT, map[string]any{"user_id": newbie.ID.String(), "is_active": false}))
		// Only an OWNER touches an equal or higher member.
		must(t, 403, e.call("POST", "/access/edit", adminT, map[string]any{"user_id": e.owner.ID.String(), "is_active": false}))
		must(t, 403, e.call("POST", "/access/delete", adminT, map[string]any{"user_id": e.owner.ID.String()}))

		// Last owner: the only OWNER can neither leave, be demoted nor be deactivated.
		r = must(t, 409, e.call("POST", "/access/delete", e.ownerT, map[string]any{"user_id": e.owner.ID.String()}))
		assert.Equal(t, access.CodeLastOwner, r.code("data", "code"))
		must(t, 409, e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": e.owner.ID.String(), "role": "ADMIN"}))

		must(t, 403, e.call("POST", "/access/delete", viewerT, map[string]any{"user_id": newbie.ID.String()}))
		r = must(t, 200, e.call("POST", "/access/delete", adminT, map[string]any{"user_id": newbie.ID.String()}))
		assert.Equal(t, newbie.ID.String(), r.str("data", "user_id"))
		must(t, 404, e.call("POST", "/access/delete", adminT, map[string]any{"user_id": newbie.ID.String()}))

		// Field errors name the field.
		r = must(t, 400, e.call("POST", "/access/edit", adminT, map[string]any{"user_id": "nope"}))
		assert.Equal(t, "user_id", r.str("data", "field"))
		r = must(t, 400, e.call("POST", "/access/add", adminT, map[string]any{"email": newbie.Email, "role": "EMPEROR"}))
		assert.Equal(t, "role", r.str("data", "field"))
		for _, f := range []string{"add_roles", "remove_roles"} {
			r = must(t, 400, e.call("POST", "/access/edit", adminT, map[string]any{"user_id": e.owner.ID.String(), f: []string{"NO_SUCH_ROLE"}}))
			assert.Equal(t, f, r.str("data", "field"), "an invalid %s names it", f)
		}
		_ = admin
	})
}

func TestManagementCrossTenant(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		other, otherOwner, otherT := e.otherCompany("Other")
		_ = other
		// A member of another company looks exactly like an unknown user.
		foreign := e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": otherOwner.ID.String(), "is_active": false})
		unknown := e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": "0193a3c0-0000-7000-8000-000000000000", "is_active": false})
		must(t, 404, foreign)
		must(t, 404, unknown)
		assert.JSONEq(t, string(unknown.Raw), string(foreign.Raw))
		// The other company's token sees only its own members.
		r := must(t, 200, e.call("GET", "/access", otherT, nil))
		assert.Len(t, r.get("data", "users"), 1)
	})
}

func TestManagementRolesAndTokens(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		vp, _ := e.member("vplus", access.RoleViewerPlus, access.UserAdd)
		vpT := e.session(vp)
		r := must(t, 200, e.call("GET", "/access/roles", vpT, nil))
		assignable := map[string]bool{}
		for _, c := range r.get("data", "categories").([]any) {
			for _, role := range c.(map[string]any)["roles"].([]any) {
				m := role.(map[string]any)
				assignable[m["code"].(string)] = m["assignable"].(bool)
			}
		}
		assert.Equal(t, map[string]bool{"USER_VIEW": true, "USER_EDIT": true, "USER_ADD": true, "USER_DELETE": false}, assignable)

		// API tokens: shown once, never above the creator.
		r = must(t, 200, e.call("POST", "/access/add-api-token", vpT, map[string]any{"name": "ci", "roles": []string{"USER_VIEW"}, "level": 10}))
		secret := r.str("data", "token")
		require.NotEmpty(t, secret)
		assert.NotContains(t, r.str("data", "hint"), secret)
		must(t, 200, e.call("GET", "/access", secret, nil))
		must(t, 403, e.call("POST", "/access/add-api-token", vpT, map[string]any{"name": "too much", "role": "ADMIN"}))
		must(t, 403, e.call("POST", "/access/add-api-token", vpT, map[string]any{"name": "too much", "roles": []string{"USER_DELETE"}}))
		r = must(t, 400, e.call("POST", "/access/add-api-token", vpT, map[string]any{"name": "past", "expires_at": e.clock.Now().Add(-time.Hour)}))
		assert.Equal(t, "expires_at", r.str("data", "field"))
		// A token cannot mint tokens.
		must(t, 403, e.call("POST", "/access/add-api-token", secret, map[string]any{"name": "child"}))
	})
}

func TestManagementSwitchCompany(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		ctx := context.Background()
		for _, n := range []string{"Northwind Traders", "Southwind Traders"} {
			_, err := e.acc.CreateCompany(ctx, access.UserPrincipal(e.owner.ID, e.company.ID), access.NewCompany{Name: n})
			require.NoError(t, err)
		}
		session := e.session(e.owner)
		other := e.session(e.owner)
		before := must(t, 200, e.call("GET", "/access", other, nil))
		r := must(t, 200, e.call("POST", "/access/switch-company", session, map[string]any{"company_name": "southwnd"}))
		assert.Equal(t, "Southwind Traders", r.str("data", "company", "name"))
		// The session follows the switch: /access now lists Southwind.
		r = must(t, 200, e.call("GET", "/access", session, nil))
		assert.Len(t, r.get("data", "users"), 1)
		// The user's other session stays where it was.
		r = must(t, 200, e.call("GET", "/access", other, nil))
		assert.Equal(t, before.get("data", "users"), r.get("data", "users"))
		r = must(t, 400, e.call("POST", "/access/switch-company", session, map[string]any{"company_name": "wind traders"}))
		assert.ElementsMatch(t, []any{"Northwind Traders", "Southwind Traders"}, r.get("data", "candidates"))
		must(t, 404, e.call("POST", "/access/switch-company", session, map[string]any{"company_id": "0193a3c0-0000-7000-8000-000000000000"}))
		must(t, 403, e.call("POST", "/access/switch-company", e.ownerT, map[string]any{"company_name": "Acme"}), "an API token has no active company to switch")
	})
}

func TestManagementConnections(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		agency, agencyOwner, _ := e.otherCompany("Agency Co")
		agencySession := e.sessionIn(agencyOwner, agency.ID)

		// The customer invites its agency.
		r := must(t, 200, e.call("POST", "/access/invite", e.ownerT, map[string]any{"email": agencyOwner.Email,
			"company_name": "Agency Co", "relation": "agency", "roles": []string{"USER_VIEW"}}))
		invID := r.str("data", "id")
		assert.Equal(t, "connection", r.str("data", "kind"))
		assert.NotRegexp(t, e.tok.Format().Pattern(), string(r.Raw), "the token never reaches the response")
		tok := e.lastEvent().Token.Reveal()
		r = must(t, 200, e.call("GET", "/access/invite", e.ownerT, nil))
		assert.Len(t, r.get("data", "sent"), 1)
		r = must(t, 200, e.call("GET", "/access/invite", agencySession, nil))
		assert.Len(t, r.get("data", "received"), 1, "the invitee sees it")

		// A company invitation needs the invited user, signed in.
		must(t, 401, e.call("POST", "/access/invite/accept", "", map[string]any{"token": tok}))
		r = must(t, 200, e.call("POST", "/access/invite/accept", agencySession, map[string]any{"token": tok}))
		assert.Equal(t, "connection", r.str("data", "kind"))
		connID := r.str("data", "connection_id")
		require.NotEmpty(t, connID)
		r = must(t, 409, e.call("POST", "/access/invite/accept", agencySession, map[string]any{"token": tok}), "single use")
		assert.Equal(t, access.CodeInvitationAccepted, r.code("data", "code"))

		// Agency roles: both sides see them, only the customer edits them.
		r = must(t, 200, e.call("GET", "/access/invite/"+connID+"/agency-roles", agencySession, nil))
		assert.Equal(t, []any{"USER_VIEW"}, r.get("data", "roles"))
		must(t, 403, e.call("POST", "/access/invite/"+connID+"/agency-roles/edit", agencySession, map[string]any{"add_roles": []string{"USER_ADD"}}))
		r = must(t, 200, e.call("POST", "/access/invite/"+connID+"/agency-roles/edit", e.ownerT, map[string]any{"add_roles": []string{"USER_ADD"}}))
		assert.ElementsMatch(t, []any{"USER_ADD", "USER_VIEW"}, r.get("data", "roles"))
		r = must(t, 400, e.call("POST", "/access/invite/"+connID+"/agency-roles/edit", e.ownerT, map[string]any{"remove_roles": []string{"NO_SUCH_ROLE"}}))
		assert.Equal(t, "remove_roles", r.str("data", "field"))
		_, _, strangerT := e.otherCompany("Stranger")
		must(t, 404, e.call("GET", "/access/invite/"+connID+"/agency-roles", strangerT, nil), "another tenant's connection is 404")
		must(t, 400, e.call("GET", "/access/invite/not-a-uuid/agency-roles", e.ownerT, nil))
		_ = invID
	})
}

func TestManagementInvitationLifecycle(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		agency, agencyOwner, _ := e.otherCompany("Agency Two")
		_ = agency
		r := must(t, 200, e.call("POST", "/access/invite", e.ownerT, map[string]any{"email": agencyOwner.Email,
			"company_name": "Agency Two", "relation": "agency"}))
		invID := r.str("data", "id")
		first := e.lastEvent().Token.Reveal()
		// What a pending invitation does not have yet is absent, not a zero
		// UUID or time.
		assert.NotContains(t, r.get("data"), "connection_id")
		assert.NotContains(t, r.get("data"), "closed_at")

		// Resend: too early, then after the 2-day cooldown, with a new token.
		r = must(t, 409, e.call("POST", "/access/invite/"+invID+"/resend", e.ownerT, nil))
		assert.Equal(t, access.CodeResendTooSoon, r.code("data", "code"))
		assert.NotEmpty(t, r.str("data", "next_allowed_at"))
		e.clock.Advance(49 * time.Hour)
		r = must(t, 200, e.call("POST", "/access/invite/"+invID+"/resend", e.ownerT, nil))
		assert.Equal(t, float64(2), r.get("data", "send_count"))
		second := e.lastEvent().Token.Reveal()
		assert.NotEqual(t, first, second)

		// The invited side rejects with its token (the old one is dead), and
		// only the invitation the path names.
		r = must(t, 404, e.call("POST", "/access/invite/"+invID+"/reject", "", map[string]any{"token": first}))
		assert.Equal(t, access.CodeInvitationNotFound, r.code("data", "code"))
		_, otherOwner, _ := e.otherCompany("Agency Three")
		r = must(t, 200, e.call("POST", "/access/invite", e.ownerT, map[string]any{"email": otherOwner.Email,
			"company_name": "Agency Three", "relation": "agency"}))
		otherID := r.str("data", "id")
		r = must(t, 404, e.call("POST", "/access/invite/"+otherID+"/reject", "", map[string]any{"token": second}), "another invitation's token")
		assert.Equal(t, access.CodeInvitationNotFound, r.code("data", "code"))
		r = must(t, 200, e.call("GET", "/access/invite", e.ownerT, nil))
		assert.Len(t, r.get("data", "sent"), 2, "both still pending")
		r = must(t, 200, e.call("POST", "/access/invite/"+invID+"/reject", "", map[string]any{"token": second}))
		assert.Equal(t, "rejected", r.str("data", "status"))
		assert.NotEmpty(t, r.str("data", "closed_at"))
		must(t, 409, e.call("POST", "/access/invite/"+invID+"/reject", "", map[string]any{"token": second}))

		// The inviting side withdraws a pending one by ID.
		r = must(t, 200, e.call("POST", "/access/invite", e.ownerT, map[string]any{"email": agencyOwner.Email,
			"company_name": "Agency Two", "relation": "agency"}))
		invID = r.str("data", "id")
		// Withdrawing needs a caller: the service answers 401 for none.
		r = must(t, 401, e.call("POST", "/access/invite/"+invID+"/reject", "", nil))
		assert.Equal(t, access.CodeUnauthenticated, r.code("data", "code"))
		assert.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
		_, _, strangerT := e.otherCompany("Stranger")
		must(t, 404, e.call("POST", "/access/invite/"+invID+"/reject", strangerT, nil), "cross-tenant")
		r = must(t, 200, e.call("POST", "/access/invite/"+invID+"/reject", e.ownerT, nil))
		assert.Equal(t, "revoked", r.str("data", "status"))
	})
}

func TestManagementAcceptMemberInvitation(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		// A person's invitation (made through the v1 family) is accepted here
		// without authentication.
		viewer, ok := e.acc.Catalog().Role(access.RoleViewer)
		require.True(t, ok)
		r := must(t, 201, e.call("POST", "/api/v1/companies/"+e.company.ID.String()+"/invitations", e.ownerT,
			map[string]any{"email": "fresh@example.com", "access_id": viewer.ID.String()}))
		assert.Equal(t, "pending", r.str("invitation", "status"))
		ev := e.lastEvent()
		require.Equal(t, invite.EventCreated, ev.Type)
		tok := ev.Token.Reveal()
		must(t, 400, e.call("POST", "/access/invite/accept", "", map[string]any{}))
		must(t, 404, e.call("POST", "/access/invite/accept", "", map[string]any{"token": e.malformed("inv")}))
		r = must(t, 200, e.call("POST", "/access/invite/accept", "", map[string]any{"token": tok}))
		assert.Equal(t, "member", r.str("data", "kind"))
		assert.NotContains(t, r.get("data"), "connection_id", "a member invitation makes no connection")
		assert.Equal(t, true, r.get("data", "new_user"))
		assert.Equal(t, e.company.ID.String(), r.str("data", "company_id"))
		must(t, 409, e.call("POST", "/access/invite/accept", "", map[string]any{"token": tok}), "single use")
		r = must(t, 200, e.call("GET", "/access", e.ownerT, nil))
		assert.Len(t, r.get("data", "users"), 2)
	})
}

func TestAcceptIsSingleUseUnderConcurrency(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		_, err := e.inv.Invite(t.Context(), e.ownerP, invite.NewInvitation{Email: "twice@example.com", Role: access.RoleViewer})
		require.NoError(t, err)
		tok := e.lastEvent().Token.Reveal()
		body := `{"token":"` + tok + `"}`
		var wg sync.WaitGroup
		codes := make([]int, 8)
		for i := range codes {
			wg.Go(func() {
				req := httptest.NewRequest("POST", "/access/invite/accept", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, req)
				codes[i] = rec.Code
			})
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			if c == 200 {
				ok++
			} else {
				assert.Equal(t, 409, c)
			}
		}
		assert.Equal(t, 1, ok, "exactly one acceptance")
		r := must(t, 200, e.call("GET", "/access", e.ownerT, nil))
		assert.Len(t, r.get("data", "users"), 2, "one membership")
	})
}

// TestManagementRemoveRolePermission: remove_roles of a permission the
// member's role grants takes it away (seed 003: "add or remove roles"),
// GET /access shows what the member holds, and add_roles gives it back.
func TestManagementRemoveRolePermission(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		admin, adminT := e.member("admin", access.RoleAdmin)
		rolesOf := func(id string) []any {
			t.Helper()
			r := must(t, 200, e.call("GET", "/access", e.ownerT, nil))
			for _, u := range r.get("data", "users").([]any) {
				if m := u.(map[string]any); m["id"] == id {
					return m["roles"].([]any)
				}
			}
			t.Fatalf("%s not listed", id)
			return nil
		}
		r := must(t, 200, e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": admin.ID.String(), "remove_roles": []string{"USER_ADD"}}))
		assert.Equal(t, []any{"USER_DELETE", "USER_EDIT", "USER_VIEW"}, r.get("data", "roles"))
		assert.Equal(t, "ADMIN", r.str("data", "role"), "the role stays")
		assert.Equal(t, []any{"USER_DELETE", "USER_EDIT", "USER_VIEW"}, rolesOf(admin.ID.String()), "GET /access shows what they hold")
		r = must(t, 403, e.call("POST", "/access/add", adminT, map[string]any{"email": "someone@example.com"}), "USER_ADD is gone")
		assert.Contains(t, r.str("data", "message"), "USER_ADD")
		must(t, 200, e.call("GET", "/access", adminT, nil), "USER_VIEW stays")

		r = must(t, 200, e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": admin.ID.String(), "add_roles": []string{"USER_ADD"}}))
		assert.Equal(t, []any{"USER_ADD", "USER_DELETE", "USER_EDIT", "USER_VIEW"}, r.get("data", "roles"))
		assert.Equal(t, []any{"USER_ADD", "USER_DELETE", "USER_EDIT", "USER_VIEW"}, rolesOf(admin.ID.String()))
		must(t, 200, e.call("POST", "/access/add", adminT, map[string]any{"email": "someone@example.com"}), "restored")

		// An OWNER holds the role whole.
		r = must(t, 400, e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": e.owner.ID.String(), "remove_roles": []string{"USER_EDIT"}}))
		assert.Contains(t, r.str("data", "message"), "OWNER")
		assert.Contains(t, rolesOf(e.owner.ID.String()), "USER_EDIT")
	})
}

// TestManagementReinvite: re-inviting a pending e-mail inside the resend
// cooldown answers as resend does (409 resend_too_soon, next_allowed_at)
// and sends nothing; inviting the same person to connect another company
// is a second invitation; a company name no company has is the invitee's
// to create before accepting.
func TestManagementReinvite(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		sent := func() int {
			e.mu.Lock()
			defer e.mu.Unlock()
			return len(e.events)
		}
		before := sent()
		r := must(t, 200, e.call("POST", "/access/add", e.ownerT, map[string]any{"email": "dana@example.com"}))
		invID := r.str("data", "invitation", "id")
		next := e.clock.Now().Add(invite.DefaultResendCooldown)
		for range 4 {
			r = must(t, 409, e.call("POST", "/access/add", e.ownerT, map[string]any{"email": "dana@example.com", "role": "ADMIN"}))
			assert.Equal(t, access.CodeResendTooSoon, r.code("data", "code"))
			at, err := time.Parse(time.RFC3339Nano, r.str("data", "next_allowed_at"))
			require.NoError(t, err)
			assert.True(t, next.Equal(at), "%s", at)
		}
		assert.Equal(t, before+1, sent(), "five calls, one link")
		rs := must(t, 409, e.call("POST", "/access/invite/"+invID+"/resend", e.ownerT, nil))
		assert.JSONEq(t, string(rs.Raw), string(r.Raw), "exactly as resend answers")
		e.clock.Advance(invite.DefaultResendCooldown)
		r = must(t, 200, e.call("POST", "/access/add", e.ownerT, map[string]any{"email": "dana@example.com"}))
		assert.Equal(t, invID, r.str("data", "invitation", "id"), "after the cooldown: the same invitation, sent again")

		// Another company: another invitation; the first keeps its target.
		ed := e.user("ed")
		in := map[string]any{"email": ed.Email, "relation": "agency", "company_name": "Foo Agency"}
		foo := must(t, 200, e.call("POST", "/access/invite", e.ownerT, in))
		in["company_name"] = "Bar Agency"
		bar := must(t, 200, e.call("POST", "/access/invite", e.ownerT, in))
		assert.NotEqual(t, foo.str("data", "id"), bar.str("data", "id"))
		r = must(t, 200, e.call("GET", "/access/invite", e.ownerT, nil))
		names := map[string]string{}
		for _, inv := range r.get("data", "sent").([]any) {
			m := inv.(map[string]any)
			if m["email"] == ed.Email {
				names[m["id"].(string)] = m["company_name"].(string)
			}
		}
		assert.Equal(t, map[string]string{foo.str("data", "id"): "Foo Agency", bar.str("data", "id"): "Bar Agency"}, names)
		in["company_name"] = "foo agency"
		r = must(t, 409, e.call("POST", "/access/invite", e.ownerT, in), "the same company again is too soon")
		assert.Equal(t, access.CodeResendTooSoon, r.code("data", "code"))

		// "Bar Agency" is no company: no 404 (names are not looked up, so
		// an invitation tells nothing of other tenants); ed creates it,
		// switches to it and accepts there.
		tok := e.lastEvent().Token.Reveal() // Bar's, the last one sent
		require.NoError(t, e.acc.SetPassword(t.Context(), access.SystemPrincipal(), ed.ID, access.PasswordChange{New: testPassword}))
		e.NewCompany(t, access.NewCompany{Name: "Ed's Shop"}, ed)
		session := must(t, 200, e.login(ed.Email, testPassword)).str("session_token")
		r = must(t, 403, e.call("POST", "/access/invite/accept", session, map[string]any{"token": tok}), "not for a company of another name")
		assert.Equal(t, access.CodeInvitationCompanyMismatch, r.code("data", "code"))
		must(t, 201, e.call("POST", "/api/v1/companies", session, map[string]any{"name": "Bar Agency"}))
		must(t, 200, e.call("POST", "/access/switch-company", session, map[string]any{"company_name": "Bar Agency"}))
		r = must(t, 200, e.call("POST", "/access/invite/accept", session, map[string]any{"token": tok}))
		assert.Equal(t, "connection", r.str("data", "kind"))
	})
}
