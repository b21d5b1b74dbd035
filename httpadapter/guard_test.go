package httpadapter_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

// TestGuardProtectsHostRoutes: a host's own route behind Guard answers
// 401 without credentials, 403 without the permission, and runs with the
// caller's Principal in the context otherwise; GuardLevel likewise for a
// level on a resource.
func TestGuardProtectsHostRoutes(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		_, viewerT := e.member("viewer", access.RoleViewer)
		var seen access.Principal
		host := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen, _ = access.PrincipalFrom(r.Context())
			w.WriteHeader(http.StatusNoContent)
		})
		mux := http.NewServeMux()
		mux.Handle("GET /reports", e.h.Guard(access.UserDelete)(host))
		mux.Handle("GET /profile", e.h.Guard("")(host))
		byPath := func(r *http.Request) access.Resource { return access.Resource{Type: "project", ID: r.PathValue("id")} }
		mux.Handle("PUT /projects/{id}", e.h.GuardLevel(byPath, access.LevelAdmin)(host))

		call := func(method, target, tok string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, target, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			return rec
		}
		rec := call("GET", "/reports", "")
		require.Equal(t, 401, rec.Code)
		assert.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
		assert.JSONEq(t, `{"error":{"code":"unauthenticated","message":"`+jsonMessage(t, rec)+`"}}`, rec.Body.String())
		assert.Equal(t, 401, call("GET", "/reports", e.malformed("api")).Code)

		rec = call("GET", "/reports", viewerT)
		require.Equal(t, 403, rec.Code)
		assert.Contains(t, rec.Body.String(), `"code":"forbidden"`)
		assert.Equal(t, 403, call("PUT", "/projects/p1", viewerT).Code, "a VIEWER is below ADMIN on the project")

		seen = access.Principal{}
		require.Equal(t, 204, call("GET", "/reports", e.ownerT).Code)
		assert.Equal(t, e.ownerP.UserID, seen.UserID, "the route sees the caller")
		assert.Equal(t, e.company.ID, seen.CompanyID)
		require.Equal(t, 204, call("GET", "/profile", viewerT).Code, "Guard(\"\") only authenticates")
		require.Equal(t, 204, call("PUT", "/projects/p1", e.ownerT).Code)
	})
}

// jsonMessage is the message of an error body, for an exact comparison.
func jsonMessage(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct{ Message string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	return body.Error.Message
}
