package httpadapter_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/httpadapter"
)

// TestOpenAPIDocumentForTools: what generators and validators read beyond
// the schemas. Every response is keyed by a real status, integer query
// parameters are integers, the headers the routes send are documented,
// HTML answers are text/html, the tags used are listed, and the document
// describes itself.
func TestOpenAPIDocumentForTools(t *testing.T) {
	e := newEnv(t, memory, httpadapter.WithPublicSignUp(true))
	paths := e.doc.raw["paths"].(map[string]any)
	status := regexp.MustCompile(`^[1-5][0-9][0-9]$`)
	listed := map[string]bool{}
	for _, tg := range e.doc.raw["tags"].([]any) {
		listed[tg.(map[string]any)["name"].(string)] = true
		assert.NotEmpty(t, tg.(map[string]any)["description"])
	}
	used := map[string]bool{}
	for path, item := range paths {
		for method, o := range item.(map[string]any) {
			o := o.(map[string]any)
			for _, tg := range o["tags"].([]any) {
				used[tg.(string)] = true
			}
			for code, r := range o["responses"].(map[string]any) {
				assert.Regexp(t, status, code, "%s %s", method, path)
				if code == "401" {
					hd, _ := r.(map[string]any)["headers"].(map[string]any)
					assert.Contains(t, hd, "WWW-Authenticate", "%s %s: 401", method, path)
				}
			}
			params, _ := o["parameters"].([]any)
			for _, p := range params {
				p := p.(map[string]any)
				if slices.Contains([]string{"limit", "page", "per_page"}, p["name"].(string)) {
					assert.Equal(t, "integer", p["schema"].(map[string]any)["type"], "%s %s: %s", method, path, p["name"])
				}
			}
		}
	}
	assert.Equal(t, used, listed, "the tags list names exactly the tags the operations use")
	assert.Equal(t, map[string]bool{"partner": true, "v1": true, "accounts": true, "management": true, "openapi": true}, listed)

	response := func(method, path, code string) map[string]any {
		o, ok := e.doc.operation(method, path)
		if !assert.True(t, ok, "%s %s", method, path) {
			return map[string]any{}
		}
		r, _ := o["responses"].(map[string]any)[code].(map[string]any)
		return r
	}
	content := func(r map[string]any) []string {
		var out []string
		for mt := range r["content"].(map[string]any) {
			out = append(out, mt)
		}
		return out
	}
	for _, code := range []string{"200", "400"} {
		assert.Equal(t, []string{"text/html"}, content(response("GET", httpadapter.LoginPath, code)), "the login page's %s", code)
	}
	assert.Equal(t, []string{"application/json"}, content(response("POST", httpadapter.LoginPath, "200")))
	link := response("GET", "/api/accounts/{account_id}/account_accesses", "200")["headers"].(map[string]any)
	assert.Contains(t, link, "Link")
	assert.Contains(t, response("POST", "/access/add", "429")["headers"], "Retry-After")
	assert.Equal(t, []string{"application/json"}, content(response("GET", "/openapi.json", "200")))
}

// TestUnknownRoutesAnswerInTheFamilyEnvelope: under a mounted family's
// prefix, a path no route serves is 404 and a method the path's routes do
// not take is 405 with Allow, both in the family's JSON error envelope
// (e.h validates each against the family's documented 404); elsewhere the
// host's mux answers.
func TestUnknownRoutesAnswerInTheFamilyEnvelope(t *testing.T) {
	e := newEnv(t, memory)
	acc := "/api/accounts/" + e.company.ID.String()
	cases := []struct {
		method, path string
		status       int
		allow        string
		code         []any // where the family's envelope keeps the code
	}{
		{"GET", "/portal/instance/access/nope", 404, "", []any{"error", "code"}},
		{"GET", "/portal/instance/access", 404, "", []any{"error", "code"}},
		{"DELETE", "/portal/instance/access/users", 405, "GET, HEAD, POST", []any{"error", "code"}},
		{"PATCH", httpadapter.LoginPath, 405, "GET, HEAD, POST", []any{"error", "code"}},
		{"GET", "/api/v1/nope/deeper", 404, "", []any{"error", "code"}},
		{"GET", "/api/v1", 404, "", []any{"error", "code"}},
		{"DELETE", "/api/v1/accesses", 405, "GET, HEAD", []any{"error", "code"}},
		{"PATCH", "/api/v1/users/" + e.owner.ID.String(), 405, "GET, HEAD, PUT", []any{"error", "code"}},
		{"GET", acc + "/nope", 404, "", []any{"code"}},
		{"POST", acc + "/account_accesses", 405, "GET, HEAD", []any{"code"}},
		{"GET", "/access/nope", 404, "", []any{"data", "code"}},
		{"DELETE", "/access", 405, "GET, HEAD", []any{"data", "code"}},
		{"GET", "/access/add", 405, "POST", []any{"data", "code"}},
	}
	for _, tc := range cases {
		r := e.call(tc.method, tc.path, e.ownerT, nil)
		require.Equal(t, tc.status, r.Status, "%s %s: %s", tc.method, tc.path, r.Raw)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"), "%s %s", tc.method, tc.path)
		want := access.CodeRouteNotFound
		if tc.status == 405 {
			want = access.CodeMethodNotAllowed
		}
		assert.Equal(t, want, r.code(tc.code...), "%s %s: %s", tc.method, tc.path, r.Raw)
		assert.Equal(t, tc.allow, r.Header.Get("Allow"), "%s %s", tc.method, tc.path)
	}
	// Outside the families, and in a family that is not mounted, the
	// host's mux answers.
	r := e.call("GET", "/elsewhere", "", nil)
	assert.Equal(t, 404, r.Status)
	assert.Contains(t, r.Header.Get("Content-Type"), "text/plain")
	only := newEnv(t, memory, httpadapter.WithFamilies(httpadapter.Accounts))
	r = only.call("GET", "/access/nope", "", nil)
	assert.Equal(t, 404, r.Status)
	assert.Contains(t, r.Header.Get("Content-Type"), "text/plain")
	r = only.call("GET", "/api/accounts/"+e.company.ID.String()+"/nope", "", nil)
	assert.Equal(t, access.CodeRouteNotFound, r.code("code"))
}
