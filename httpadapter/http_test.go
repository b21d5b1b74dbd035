package httpadapter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/httpadapter"
)

// TestBodyRules: JSON only, a size limit, no unknown fields, no trailing
// data, clear errors for malformed JSON, UUID path IDs, and none of them
// changes anything.
func TestBodyRules(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st, httpadapter.WithMaxBodyBytes(256))
		newbie := e.user("newbie")
		audit := func() int {
			page, err := e.acc.ListAudit(context.Background(), e.ownerP, access.PageRequest{Limit: access.MaxPageLimit})
			require.NoError(t, err)
			return len(page.Items)
		}
		before := audit()
		valid := `{"email":"` + newbie.Email + `"}`
		cases := []struct {
			name, body, ct string
			status         int
			code           access.Code
			field          string
		}{
			{"text/plain", valid, "text/plain", 415, access.CodeUnsupportedMediaType, ""},
			{"form", "email=x", "application/x-www-form-urlencoded", 415, access.CodeUnsupportedMediaType, ""},
			{"too large", `{"email":"` + strings.Repeat("a", 300) + `"}`, "application/json", 413, access.CodeBodyTooLarge, ""},
			{"unknown field", `{"email":"` + newbie.Email + `","admin":true}`, "application/json", 400, access.CodeUnknownField, "admin"},
			{"trailing data", valid + `{}`, "application/json", 400, access.CodeTrailingData, ""},
			{"malformed", `{"email":`, "application/json", 400, access.CodeInvalidJSON, ""},
			{"syntax", `{"email" "x"}`, "application/json", 400, access.CodeInvalidJSON, ""},
			{"wrong type", `{"email":42}`, "application/json", 400, access.CodeInvalid, "email"},
			{"not an object", `["x"]`, "application/json", 400, access.CodeInvalidJSON, ""},
			{"empty", ``, "application/json", 400, access.CodeBodyRequired, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.call("POST", "/access/add", e.ownerT, nil, "Content-Type", tc.ct)
				if tc.body != "" {
					r = e.call("POST", "/access/add", e.ownerT, tc.body, "Content-Type", tc.ct)
				}
				must(t, tc.status, r)
				assert.Equal(t, tc.code, r.code("data", "code"))
				assert.Equal(t, tc.field, r.str("data", "field"))
			})
		}
		// Path IDs are UUIDs, in every family.
		for _, target := range []string{"/portal/instance/access/users/7?merchant_id=acme-key", "/api/v1/companies/7",
			"/api/accounts/7/account_accesses", "/access/invite/7/agency-roles"} {
			must(t, 400, e.call("GET", target, e.ownerT, nil), target)
		}
		// Only the canonical form: uuid.Parse alone takes these too.
		for _, other := range []string{strings.ReplaceAll(e.company.ID.String(), "-", ""), "urn:uuid:" + e.company.ID.String(),
			"{" + e.company.ID.String() + "}"} {
			must(t, 400, e.call("GET", "/api/v1/companies/"+other, e.ownerT, nil), other)
		}
		must(t, 200, e.call("GET", "/api/v1/companies/"+strings.ToUpper(e.company.ID.String()), e.ownerT, nil), "upper case is canonical too")
		assert.Equal(t, before, audit(), "no refused request changed anything")
		must(t, 200, e.call("POST", "/access/add", e.ownerT, valid))
		assert.Greater(t, audit(), before)
	})
}

func TestAuthentication(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		r := must(t, 401, e.call("GET", "/access", "", nil))
		assert.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
		must(t, 401, e.call("GET", "/access", e.malformed("api"), nil))
		must(t, 401, e.call("GET", "/access", "", nil, "Authorization", "Basic dXNlcjpwYXNz"))
		must(t, 200, e.call("GET", "/access", "", nil, "Api-Token", e.ownerT))
		must(t, 200, e.call("GET", "/access", e.ownerT, nil, "Api-Token", e.ownerT), "the same token twice is fine")
		_, _, otherT := e.otherCompany("Other")
		r = must(t, 401, e.call("GET", "/access", e.ownerT, nil, "Api-Token", otherT))
		assert.Equal(t, access.CodeAmbiguousCredentials, r.code("data", "code"))

		// A session token is accepted like an API token.
		must(t, 200, e.call("GET", "/access", e.session(e.owner), nil))

	})
}

func TestHostAuthenticator(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		var owner access.Principal
		e := newEnv(t, st, httpadapter.WithAuthenticator(httpadapter.AuthenticatorFunc(func(r *http.Request) (access.Principal, error) {
			switch r.Header.Get("X-Session") {
			case "":
				return access.Principal{}, nil
			case "owner":
				return owner, nil
			case "system":
				return access.SystemPrincipal(), nil
			case "broken":
				return access.Principal{}, errors.New("session store down: password=hunter2")
			case "expired":
				// A host's own error of a kind, without a gatehouse code.
				return access.Principal{}, fmt.Errorf("%w: session expired", access.ErrUnauthenticated)
			}
			return access.Principal{}, access.Unauthenticated("unknown session")
		})))
		owner = e.ownerP
		e.h.hostAuth = true
		must(t, 401, e.call("GET", "/access", "", nil))
		must(t, 200, e.call("GET", "/access", "", nil, "X-Session", "owner"))
		// A host's principal names no token session: the switch is access's.
		r := must(t, 200, e.call("POST", "/access/switch-company", "", map[string]any{"company_name": "Acme"}, "X-Session", "owner"))
		assert.Equal(t, e.company.ID.String(), r.str("data", "company", "id"))
		must(t, 401, e.call("GET", "/access", "", nil, "X-Session", "stale"))
		r = must(t, 401, e.call("GET", "/access", "", nil, "X-Session", "expired"))
		assert.Equal(t, access.CodeUnauthenticated, r.code("data", "code"), "a bare kind shows the kind's code")
		// Neither a system principal nor a failing session store leaks: a 500
		// that says only "internal error", the cause in the host's log.
		for _, s := range []string{"system", "broken"} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/access", nil)
			req.Header.Set("X-Session", s)
			e.h.ServeHTTP(rec, req)
			assert.Equal(t, 500, rec.Code)
			assert.JSONEq(t, fmt.Sprintf(`{"status":"error","message":"internal error","data":{"code":%q,"message":"internal error"}}`,
				access.CodeInternal), rec.Body.String())
		}
		assert.Contains(t, e.logBuf.String(), "session store down")
		assert.Contains(t, e.logBuf.String(), "route=\"GET /access\"")
	})
}

// TestSecretsStayOutOfLogs: no route logs a URL, a token or a secret.
func TestSecretsStayOutOfLogs(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		r := must(t, 200, e.call("POST", "/portal/instance/access/users/provision?merchant_id=acme-key", e.ownerT,
			map[string]any{"email": "logged@example.com", "role": "ADMIN"}))
		link := r.str("result", "login_url")
		must(t, 200, e.call("POST", strings.TrimPrefix(link, loginBase), "", nil))
		must(t, 410, e.call("POST", strings.TrimPrefix(link, loginBase), "", nil))
		log := e.logBuf.String()
		assert.NotContains(t, log, linkToken(t, link))
		assert.NotContains(t, log, e.ownerT)
		assert.NotRegexp(t, e.tok.Format().Pattern(), log, "no secret of the token format")
	})
}

// TestOpenAPICoversEveryRoute: every route of every family is mounted and
// in the document, and the document names no route that is not mounted.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		want := []string{
			"GET /portal/instance/access/users", "POST /portal/instance/access/users",
			"POST /portal/instance/access/users/provision", "GET /portal/instance/access/users/{userId}",
			"PUT /portal/instance/access/users/{userId}", "DELETE /portal/instance/access/users/{userId}",
			"GET /portal/instance/access/login", "POST /portal/instance/access/login",
			"POST /api/v1/users/{user_id}/user_access", "GET /api/v1/users/{user_id}/user_access",
			"PUT /api/v1/users/{user_id}/user_access", "DELETE /api/v1/users/{user_id}/user_access/{id}",
			"GET /api/v1/accesses", "GET /api/v1/accesses/{id}", "POST /api/v1/companies", "GET /api/v1/companies",
			"GET /api/v1/companies/{company_id}", "GET /api/v1/companies/{company_id}/users",
			"GET /api/v1/companies/{company_id}/invitations", "POST /api/v1/companies/{company_id}/invitations",
			"DELETE /api/v1/companies/{company_id}/invitations/{id}", "GET /api/v1/invitations/code/{code}",
			"GET /api/v1/invitations",
			"GET /api/v1/users", "GET /api/v1/users/{user_id}", "PUT /api/v1/users/{user_id}",
			"POST /api/v1/users/login", "POST /api/v1/users/logout", "POST /api/v1/users/password/reset",
			"PUT /api/v1/users/password/reset", "PUT /api/v1/users/password", "POST /api/v1/users/validate_token",
			"GET /api/accounts", "GET /api/accounts/{account_id}/account_accesses", "DELETE /api/accounts/{account_id}/account_accesses/{account_access_id}",
			"PUT /api/accounts/{account_id}/account_accesses/{account_access_id}/permissions/bulk", "GET /api/accounts/{account_id}/permissions/resources",
			"GET /api/accounts/{account_id}/api_tokens", "POST /api/accounts/{account_id}/api_tokens",
			"GET /api/accounts/{account_id}/api_tokens/{api_token_id}", "DELETE /api/accounts/{account_id}/api_tokens/{api_token_id}",
			"POST /api/accounts/{account_id}/api_tokens/{api_token_id}/reset",
			"GET /access", "POST /access/add", "POST /access/delete", "POST /access/edit", "GET /access/roles",
			"POST /access/roles", "POST /access/roles/{role_id}/edit", "POST /access/roles/{role_id}/delete",
			"POST /access/invite", "GET /access/invite", "POST /access/invite/accept",
			"POST /access/invite/{invitation_id}/reject", "POST /access/invite/{invitation_id}/resend",
			"GET /access/invite/{connection_id}/agency-roles", "POST /access/invite/{connection_id}/agency-roles/edit",
			"POST /access/add-api-token", "POST /access/switch-company",
			"GET /access/audit",
			"GET /access/sessions", "POST /access/sessions/{session_id}/revoke", "POST /access/sessions/revoke-all", "POST /access/users/{user_id}/sessions/revoke",
			"GET /access/connections", "GET /access/connections/{connection_id}", "POST /access/connections/{connection_id}/remove",
			"GET /access/company", "POST /access/company/edit", "POST /access/company/leave", "POST /access/company/transfer-ownership", "POST /access/company/delete",
			"POST /access/account/disable", "POST /access/account/erase",
		}
		var mounted []string
		for _, r := range e.h.Routes() {
			mounted = append(mounted, r.Method+" "+r.Path)
		}
		assert.ElementsMatch(t, want, mounted)
		documented := 0
		for path, item := range e.doc.raw["paths"].(map[string]any) {
			for method := range item.(map[string]any) {
				if path == "/openapi.json" {
					continue // the document describes itself, outside the routes
				}
				documented++
				assert.Contains(t, mounted, strings.ToUpper(method)+" "+path, "documented but not mounted")
			}
		}
		assert.Equal(t, len(mounted), documented)
		_, ok := e.doc.operation("GET", "/openapi.json")
		assert.True(t, ok, "the document describes itself")
		for _, m := range want {
			method, path, _ := strings.Cut(m, " ")
			_, ok := e.doc.operation(method, path)
			assert.True(t, ok, "%s is not documented", m)
			// A request reaches the route (no 404/405 from the mux).
			rec := httptest.NewRecorder()
			target := strings.NewReplacer("{userId}", "x", "{user_id}", "x", "{id}", "x", "{company_id}", "x", "{code}", "x",
				"{account_id}", "x", "{account_access_id}", "x", "{api_token_id}", "x", "{invitation_id}", "x", "{connection_id}", "x").Replace(path)
			e.h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
			assert.NotEqual(t, http.StatusMethodNotAllowed, rec.Code, m)
			assert.Contains(t, rec.Header().Get("Content-Type"), "/", m)
		}
		assert.Equal(t, "3.1.0", e.doc.raw["openapi"])

		// Only the mounted families are documented.
		only := newEnv(t, st, httpadapter.WithFamilies(httpadapter.Accounts))
		var accountRoutes int
		accountPaths := map[string]bool{}
		for _, r := range e.h.Routes() {
			if r.Family == httpadapter.Accounts {
				accountRoutes++
				accountPaths[r.Path] = true
			}
		}
		assert.Len(t, only.h.Routes(), accountRoutes)
		assert.Len(t, only.doc.raw["paths"], len(accountPaths)+1, "its routes and the document")
		must(t, 404, only.call("GET", "/access", only.ownerT, nil))
	})
}

func TestPanicIsAnInternalError(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st, httpadapter.WithAuthenticator(httpadapter.AuthenticatorFunc(func(*http.Request) (access.Principal, error) {
			panic("boom")
		})))
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/accesses", nil))
		assert.Equal(t, 500, rec.Code)
		assert.NotContains(t, rec.Body.String(), "boom")
		assert.NotContains(t, rec.Body.String(), "goroutine")
		assert.Contains(t, e.logBuf.String(), "boom")
	})
}

func TestNilCompanyIsNotFound(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		nilID := "00000000-0000-0000-0000-000000000000"
		must(t, 404, e.call("GET", "/api/accounts/"+nilID+"/account_accesses", e.ownerT, nil))
		must(t, 404, e.call("GET", "/api/v1/companies/"+nilID+"/users", e.ownerT, nil))
		must(t, 404, e.call("GET", "/portal/instance/access/users?merchant_id="+nilID, e.ownerT, nil))
	})
}
