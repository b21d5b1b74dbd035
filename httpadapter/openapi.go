package httpadapter

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The OpenAPI 3.1 document is generated from the mounted routes and from
// the very Go types the handlers decode and encode, so it cannot drift from
// them: a field's JSON name, its type, whether it is always present
// (responses: no omitempty) or must be sent (requests: the required tag),
// and the doc, enum and format tags.

// schema is the subset of JSON Schema the document uses.
type schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 any                `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *schema            `json:"items,omitempty"`
	Minimum              *int               `json:"minimum,omitempty"`
	Maximum              *int               `json:"maximum,omitempty"`
	AdditionalProperties *bool              `json:"additionalProperties,omitempty"`
	AnyOf                []*schema          `json:"anyOf,omitempty"`
}

type schemaGen struct {
	components map[string]*schema
}

var (
	typeUUID = reflect.TypeFor[uuid.UUID]()
	typeTime = reflect.TypeFor[time.Time]()
	ownPkg   = reflect.TypeFor[op]().PkgPath()
	falseVal = false
)

// componentName names the package's own non-generic struct types, which
// become components; others are inlined.
func componentName(t reflect.Type) string {
	if t.Kind() != reflect.Struct || t.PkgPath() != ownPkg || t.Name() == "" || strings.Contains(t.Name(), "[") {
		return ""
	}
	n := t.Name()
	if t.NumField() == 0 {
		return ""
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

// schemaer is a type that describes itself (a field read in more than
// one JSON type).
type schemaer interface{ jsonSchema() *schema }

var typeSchemaer = reflect.TypeFor[schemaer]()

func (g *schemaGen) of(t reflect.Type, request bool) *schema {
	if t.Implements(typeSchemaer) {
		return reflect.Zero(t).Interface().(schemaer).jsonSchema()
	}
	switch {
	case t == typeUUID:
		return &schema{Type: "string", Format: "uuid"}
	case t == typeTime:
		return &schema{Type: "string", Format: "date-time"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem(), request)
	case reflect.String:
		return &schema{Type: "string"}
	case reflect.Bool:
		return &schema{Type: "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return &schema{Type: "integer"}
	case reflect.Float64, reflect.Float32:
		return &schema{Type: "number"}
	case reflect.Slice, reflect.Array:
		return &schema{Type: "array", Items: g.of(t.Elem(), request)}
	case reflect.Struct:
		name := componentName(t)
		if name == "" {
			return g.object(t, request)
		}
		if _, done := g.components[name]; !done {
			g.components[name] = nil // guards recursion
			g.components[name] = g.object(t, request)
		}
		return &schema{Ref: "#/components/schemas/" + name}
	}
	return &schema{}
}

func (g *schemaGen) object(t reflect.Type, request bool) *schema {
	s := &schema{Type: "object", Properties: map[string]*schema{}, AdditionalProperties: &falseVal}
	g.fields(s, t, request)
	return s
}

func (g *schemaGen) fields(s *schema, t reflect.Type, request bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		if f.Anonymous && !hasTag {
			g.fields(s, f.Type, request)
			continue
		}
		if !f.IsExported() && !f.Anonymous || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		fs := g.of(f.Type, request)
		if fs.Ref != "" && (f.Tag.Get("doc") != "") {
			// A $ref with siblings is fine in 3.1; keep the description.
			fs = &schema{Ref: fs.Ref}
		}
		if d := f.Tag.Get("doc"); d != "" {
			fs.Description = d
		}
		// A request's e-mail is normalised (trimmed, case folded) before
		// it is checked, so the document promises no format for it.
		if fm := f.Tag.Get("format"); fm != "" && !(request && fm == "email") {
			fs.Format = fm
		}
		if e := f.Tag.Get("enum"); e != "" {
			for _, v := range strings.Split(e, ",") {
				if n, err := strconv.Atoi(v); err == nil && fs.Type == "integer" {
					fs.Enum = append(fs.Enum, n)
				} else {
					fs.Enum = append(fs.Enum, v)
				}
			}
			if fs.Type == "array" {
				fs.Items.Enum, fs.Enum = fs.Enum, nil
			}
		}
		// A response's pointer is null when unset (unless omitted); a
		// request's pointer or slice takes null for absent, as the
		// decoder reads it (expires_at: null never expires).
		if k := f.Type.Kind(); k == reflect.Pointer && (request || !omit) || request && k == reflect.Slice {
			fs = nullable(fs)
		}
		s.Properties[name] = fs
		_, req := f.Tag.Lookup("required")
		if request && req || !request && !omit {
			s.Required = append(s.Required, name)
		}
	}
}

// nullable allows null besides s.
func nullable(s *schema) *schema {
	if s.Ref != "" {
		return &schema{Description: s.Description, AnyOf: []*schema{{Ref: s.Ref}, {Type: "null"}}}
	}
	c := *s
	switch t := s.Type.(type) {
	case string:
		c.Type = []string{t, "null"}
	case nil:
		c.AnyOf = append(slices.Clone(s.AnyOf), &schema{Type: "null"})
	}
	return &c
}

type (
	document struct {
		OpenAPI    string                          `json:"openapi"`
		Info       map[string]string               `json:"info"`
		Tags       []tag                           `json:"tags"`
		Paths      map[string]map[string]operation `json:"paths"`
		Components components                      `json:"components"`
	}
	tag struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	components struct {
		Schemas         map[string]*schema        `json:"schemas"`
		SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
	}
	operation struct {
		OperationID string                `json:"operationId"`
		Summary     string                `json:"summary"`
		Description string                `json:"description,omitempty"`
		Tags        []string              `json:"tags"`
		Security    []map[string][]string `json:"security"`
		Parameters  []parameter           `json:"parameters,omitempty"`
		RequestBody *body                 `json:"requestBody,omitempty"`
		Responses   map[string]response   `json:"responses"`
	}
	parameter struct {
		Name        string  `json:"name"`
		In          string  `json:"in"`
		Required    bool    `json:"required"`
		Description string  `json:"description,omitempty"`
		Schema      *schema `json:"schema"`
	}
	body struct {
		Required bool                 `json:"required"`
		Content  map[string]mediaType `json:"content"`
	}
	response struct {
		Description string               `json:"description"`
		Content     map[string]mediaType `json:"content,omitempty"`
		Headers     map[string]header    `json:"headers,omitempty"`
	}
	header struct {
		Description string  `json:"description"`
		Schema      *schema `json:"schema"`
	}
	mediaType struct {
		Schema *schema `json:"schema"`
	}
)

// buildOpenAPI renders the document of the mounted routes.
func (h *Handler) buildOpenAPI() []byte {
	g := &schemaGen{components: map[string]*schema{}}
	doc := document{
		OpenAPI: "3.1.0",
		Info: map[string]string{"title": "gatehouse access control", "version": "1.0",
			"description": "The route families of gatehouse's HTTP adapter. IDs are UUID strings."},
		Paths: map[string]map[string]operation{},
	}
	for _, f := range []Family{Partner, V1, Accounts, Management} {
		if h.cfg.families&f != 0 {
			doc.Tags = append(doc.Tags, tag{Name: f.String(), Description: f.describe()})
		}
	}
	doc.Tags = append(doc.Tags, tag{Name: documentTag, Description: "This document."})
	for _, o := range h.routes {
		item := doc.Paths[o.path]
		if item == nil {
			item = map[string]operation{}
			doc.Paths[o.path] = item
		}
		item[strings.ToLower(o.method)] = h.operation(g, o)
	}
	doc.Paths[documentPath] = map[string]operation{"get": {
		OperationID: "getOpenapiJson", Summary: "This OpenAPI 3.1 document, of the mounted routes",
		Tags: []string{documentTag}, Security: []map[string][]string{},
		Responses: map[string]response{"200": {Description: http.StatusText(http.StatusOK),
			Content: map[string]mediaType{"application/json": {Schema: &schema{Type: "object",
				Description: "an OpenAPI 3.1 document"}}}}},
	}}
	doc.Components = components{Schemas: g.components, SecuritySchemes: map[string]map[string]any{
		"bearerAuth": {"type": "http", "scheme": "bearer", "description": "an API or session token"},
		"apiToken":   {"type": "apiKey", "in": "header", "name": "Api-Token", "description": "an API or session token"},
	}}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("httpadapter: the OpenAPI document does not encode: " + err.Error())
	}
	return b
}

func (h *Handler) operation(g *schemaGen, o *op) operation {
	out := operation{
		OperationID: operationID(o), Summary: o.summary, Description: o.description,
		Tags: []string{o.fam.String()}, Responses: map[string]response{},
		Security: []map[string][]string{},
	}
	if o.auth != authNone {
		out.Security = append(out.Security, map[string][]string{"bearerAuth": {}}, map[string][]string{"apiToken": {}})
	}
	if o.auth == authOptional {
		out.Security = append(out.Security, map[string][]string{})
	}
	for _, seg := range strings.Split(o.path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			ps := &schema{Type: "string", Format: "uuid"}
			if name == "code" {
				ps = &schema{Type: "string"}
			}
			out.Parameters = append(out.Parameters, parameter{Name: name, In: "path", Required: true, Schema: ps})
		}
	}
	for _, q := range o.query {
		ps := &schema{Type: "string"}
		switch {
		case q.array:
			ps = &schema{Type: "array", Items: &schema{Type: "string"}}
		case q.integer:
			ps = &schema{Type: "integer", Minimum: &q.min}
			if q.max > 0 {
				ps.Maximum = &q.max
			}
		}
		out.Parameters = append(out.Parameters, parameter{Name: q.name, In: "query", Required: q.required, Description: q.desc, Schema: ps})
	}
	if o.in != nil {
		out.RequestBody = &body{Required: o.bodyRequired, Content: map[string]mediaType{"application/json": {Schema: g.of(o.in, true)}}}
	}
	ok := response{Description: http.StatusText(o.status)}
	switch {
	case o.html:
		ok.Content = htmlPage()
	case o.out != nil:
		ok.Content = map[string]mediaType{"application/json": {Schema: g.of(o.out, false)}}
	}
	if o.link {
		ok.Headers = map[string]header{"Link": {Description: `the next page, when there is one: <URL>; rel="next" (the URL is this request's with the cursor of the next page)`,
			Schema: &schema{Type: "string"}}}
	}
	out.Responses[strconv.Itoa(o.status)] = ok
	for _, st := range errorStatuses(o) {
		r := response{Description: http.StatusText(st)}
		if slices.Contains(o.htmlStatuses, st) {
			r.Content = htmlPage()
		} else {
			t := reflect.TypeOf(errorType(o.fam, st))
			r.Content = map[string]mediaType{"application/json": {Schema: g.of(t, false)}}
		}
		switch st {
		case http.StatusTooManyRequests:
			r.Headers = map[string]header{"Retry-After": {Description: "seconds to wait before trying again",
				Schema: &schema{Type: "integer"}}}
		case http.StatusUnauthorized:
			r.Headers = map[string]header{"WWW-Authenticate": {Description: `the scheme to authenticate with: Bearer realm="gatehouse"`,
				Schema: &schema{Type: "string"}}}
		}
		out.Responses[strconv.Itoa(st)] = r
	}
	return out
}

// htmlPage is the content of a response that is an HTML page.
func htmlPage() map[string]mediaType {
	return map[string]mediaType{"text/html": {Schema: &schema{Type: "string"}}}
}

// The document's own route, outside every family.
const (
	documentPath = "/openapi.json"
	documentTag  = "openapi"
)

// describe is the family's tag description in the document.
func (f Family) describe() string {
	switch f {
	case Partner:
		return "Seed 000: a partner manages the users of its merchants' companies (by merchant_id or domain_id), and the login links its provisioning hands out."
	case V1:
		return "Seed 001: user accesses, accesses (roles), companies, invitations, users and password sign-in."
	case Accounts:
		return "Seed 002: an account's access list, as Mailtrap's public API serves it."
	case Management:
		return "Seed 003: access management in the caller's company (its users, invitations, connections, tokens, sessions, audit)."
	}
	return ""
}

// errorStatuses are the error statuses a route may answer.
func errorStatuses(o *op) []int {
	invalid := http.StatusBadRequest
	out := []int{invalid}
	if o.fam == V1 {
		out = append(out, http.StatusUnprocessableEntity)
	}
	if o.auth != authNone || o.path == LoginPath && o.method == "POST" {
		out = append(out, http.StatusUnauthorized)
	}
	if o.auth != authNone {
		out = append(out, http.StatusForbidden)
	}
	if !o.html {
		out = append(out, http.StatusNotFound, http.StatusConflict)
	}
	if o.path == LoginPath && o.method == "POST" {
		out = append(out, http.StatusGone)
	}
	if o.in != nil {
		out = append(out, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	for _, st := range o.statuses {
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	return append(out, http.StatusInternalServerError)
}

func operationID(o *op) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(o.method))
	up := true
	for _, r := range o.path {
		switch {
		case r == '/' || r == '-' || r == '_' || r == '{' || r == '}':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (h *Handler) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	hd := w.Header()
	hd["Content-Type"] = jsonContentType
	hd["X-Content-Type-Options"] = nosniff
	_, _ = w.Write(h.spec)
}
