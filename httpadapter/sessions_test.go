package httpadapter_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// signInFrom signs u in with a password through a host that records its
// clients (token.WithClientInfo around the handler), from userAgent and
// remoteAddr, and returns the session token.
func (e *env) signInFrom(u access.User, userAgent, remoteAddr string) string {
	e.t.Helper()
	host := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(token.WithClientInfo(r.Context(), token.ClientInfo{UserAgent: r.UserAgent(), IP: r.RemoteAddr}))
		e.h.ServeHTTP(w, r)
	})
	req := httptest.NewRequest("POST", "/api/v1/users/login",
		strings.NewReader(`{"email": "`+u.Email+`", "password": "`+testPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.RemoteAddr = remoteAddr
	rec := httptest.NewRecorder()
	host.ServeHTTP(rec, req)
	require.Equal(e.t, 200, rec.Code, rec.Body.String())
	var out struct {
		SessionToken string `json:"session_token"`
	}
	require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &out))
	return out.SessionToken
}

// sessionIDs are the ids of the listed sessions, and the current one.
func sessionIDs(r *resp) (ids []string, current string) {
	list, _ := r.get("data", "sessions").([]any)
	for i := range list {
		id := r.str("data", "sessions", i, "id")
		ids = append(ids, id)
		if r.get("data", "sessions", i, "current") == true {
			current = id
		}
	}
	return ids, current
}

// TestManagementOwnSessions: a user lists their sessions with the client
// the host recorded, revokes one, and signs out everywhere, keeping the
// asking session or not; no secret in any answer.
func TestManagementOwnSessions(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		u := e.withPassword("pat", access.RoleViewer)
		laptop := e.signInFrom(u, "Mozilla/5.0 Firefox/140.0", "203.0.113.9:51234")
		phone := e.signInFrom(u, "GatehouseApp/1.0", "[2001:db8::7]:443")
		third := e.signInFrom(u, "", "192.0.2.1:80")
		owners := e.session(e.owner)

		r := must(t, 200, e.call("GET", "/access/sessions?limit=2", laptop, nil))
		assert.Equal(t, "success", r.str("status"))
		first, _ := sessionIDs(r)
		require.Len(t, first, 2)
		next := r.str("data", "next_cursor")
		require.NotEmpty(t, next)
		r2 := must(t, 200, e.call("GET", "/access/sessions?limit=2&cursor="+next, laptop, nil))
		rest, _ := sessionIDs(r2)
		require.Len(t, rest, 1)
		assert.Empty(t, r2.str("data", "next_cursor"))

		r = must(t, 200, e.call("GET", "/access/sessions", laptop, nil))
		ids, current := sessionIDs(r)
		require.Len(t, ids, 3)
		assert.Equal(t, append(first, rest...), ids, "by id, the pages in order")
		clients := map[string]any{}
		for i := range ids {
			assert.Equal(t, e.company.ID.String(), r.str("data", "sessions", i, "company_id"))
			assert.Equal(t, "signin", r.str("data", "sessions", i, "origin"))
			assert.NotEmpty(t, r.str("data", "sessions", i, "created_at"))
			assert.NotEmpty(t, r.str("data", "sessions", i, "expires_at"))
			clients[r.str("data", "sessions", i, "client", "ip")] = r.get("data", "sessions", i, "client")
		}
		assert.Equal(t, map[string]any{"user_agent": "Mozilla/5.0 Firefox/140.0", "ip": "203.0.113.9"}, clients["203.0.113.9"])
		assert.Equal(t, map[string]any{"user_agent": "GatehouseApp/1.0", "ip": "2001:db8::7"}, clients["2001:db8::7"])
		assert.Equal(t, map[string]any{"ip": "192.0.2.1"}, clients["192.0.2.1"])
		for _, secret := range []string{laptop, phone, third} {
			assert.NotContains(t, string(r.Raw), secret, "no secret")
		}
		assert.NotContains(t, string(r.Raw), "digest")
		pl, err := e.tok.Verify(t.Context(), laptop)
		require.NoError(t, err)
		assert.Equal(t, pl.SessionID.String(), current, "the asking session is marked")

		// Revoke one: effective at once; another user's is unknown.
		pp, err := e.tok.Verify(t.Context(), phone)
		require.NoError(t, err)
		po, err := e.tok.Verify(t.Context(), owners)
		require.NoError(t, err)
		r = must(t, 404, e.call("POST", "/access/sessions/"+po.SessionID.String()+"/revoke", laptop, nil))
		assert.Equal(t, access.CodeSessionNotFound, r.code("data", "code"))
		must(t, 404, e.call("POST", "/access/sessions/"+uuid.NewString()+"/revoke", laptop, nil))
		must(t, 400, e.call("POST", "/access/sessions/nope/revoke", laptop, nil))
		r = must(t, 200, e.call("POST", "/access/sessions/"+pp.SessionID.String()+"/revoke", laptop, nil))
		assert.Equal(t, pp.SessionID.String(), r.str("data", "id"))
		assert.NotEmpty(t, r.str("data", "revoked_at"))
		assert.Equal(t, false, r.get("data", "current"))
		must(t, 401, e.call("GET", "/access/sessions", phone, nil), "revoked at once")
		must(t, 200, e.call("GET", "/access/sessions", owners, nil), "another user's stays")

		// An API token has no sessions of its own.
		must(t, 403, e.call("GET", "/access/sessions", e.ownerT, nil))
		must(t, 403, e.call("POST", "/access/sessions/revoke-all", e.ownerT, nil))
		must(t, 401, e.call("GET", "/access/sessions", "", nil))

		// Sign out everywhere, keeping the asking session, then not.
		fourth := e.signInFrom(u, "Other/1", "192.0.2.2:80")
		r = must(t, 200, e.call("POST", "/access/sessions/revoke-all", laptop, map[string]any{"keep_current": true}))
		assert.Equal(t, float64(2), r.get("data", "revoked"), "the third and the fourth")
		must(t, 401, e.call("GET", "/access/sessions", third, nil))
		must(t, 401, e.call("GET", "/access/sessions", fourth, nil))
		r = must(t, 200, e.call("GET", "/access/sessions", laptop, nil), "kept")
		ids, _ = sessionIDs(r)
		assert.Equal(t, []string{pl.SessionID.String()}, ids)
		r = must(t, 200, e.call("POST", "/access/sessions/revoke-all", laptop, nil))
		assert.Equal(t, float64(1), r.get("data", "revoked"))
		must(t, 401, e.call("GET", "/access/sessions", laptop, nil), "everywhere, this one too")
		must(t, 200, e.call("GET", "/access/sessions", owners, nil))
	})
}

// TestManagementMemberSessions: an admin with USER_DELETE who outranks the
// member ends their sessions in the company, not elsewhere; a removed or
// deactivated member's sessions act no more in the company.
func TestManagementMemberSessions(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		admin, adminT := e.member("admin", access.RoleAdmin)
		peer, _ := e.member("peer", access.RoleAdmin)
		viewer, viewerT := e.member("viewer", access.RoleViewer)
		beta, _, betaT := e.otherCompany("Beta")
		e.AddMember(t, beta.ID, viewer, access.RoleViewer)
		inAcme, inBeta := e.session(viewer), e.sessionIn(viewer, beta.ID)
		peerS := e.session(peer)
		acmeUsers, betaUsers := "/api/v1/companies/"+e.company.ID.String()+"/users", "/api/v1/companies/"+beta.ID.String()+"/users"
		must(t, 200, e.call("GET", acmeUsers, inAcme, nil))

		revoke := func(userID uuid.UUID) string { return "/access/users/" + userID.String() + "/sessions/revoke" }
		must(t, 403, e.call("POST", revoke(admin.ID), viewerT, nil), "USER_DELETE is needed")
		must(t, 403, e.call("POST", revoke(peer.ID), adminT, nil), "an ADMIN does not outrank an ADMIN")
		must(t, 200, e.call("GET", acmeUsers, peerS, nil), "refused: nothing ended")
		r := must(t, 404, e.call("POST", revoke(admin.ID), betaT, nil), "a user of another company is unknown")
		assert.Equal(t, access.CodeMemberNotFound, r.code("data", "code"))
		must(t, 400, e.call("POST", "/access/users/nope/sessions/revoke", adminT, nil))

		r = must(t, 200, e.call("POST", revoke(viewer.ID), adminT, nil))
		assert.Equal(t, viewer.ID.String(), r.str("data", "user_id"))
		assert.Equal(t, float64(1), r.get("data", "revoked"))
		must(t, 401, e.call("GET", acmeUsers, inAcme, nil), "ended at once")
		must(t, 200, e.call("GET", betaUsers, inBeta, nil), "their session in Beta stays")
		r = must(t, 200, e.call("POST", revoke(peer.ID), e.ownerT, nil), "the OWNER outranks an ADMIN")
		assert.Equal(t, float64(1), r.get("data", "revoked"))

		// Deactivated, then removed: the session stops acting in Acme at
		// once, without any revocation, and acts on in Beta.
		inAcme = e.session(viewer)
		must(t, 200, e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": viewer.ID.String(), "is_active": false}))
		r = e.call("GET", acmeUsers, inAcme, nil)
		assert.Contains(t, []int{403, 404}, r.Status, "deactivated: %s", r.Raw)
		must(t, 200, e.call("POST", "/access/edit", e.ownerT, map[string]any{"user_id": viewer.ID.String(), "is_active": true}))
		must(t, 200, e.call("GET", acmeUsers, inAcme, nil))
		must(t, 200, e.call("POST", "/access/delete", e.ownerT, map[string]any{"user_id": viewer.ID.String()}))
		must(t, 404, e.call("GET", acmeUsers, inAcme, nil), "removed: Acme is unknown to it")
		must(t, 200, e.call("GET", betaUsers, inBeta, nil))
	})
}
