package httpadapter_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

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
