package httpadapter_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi/datamodel"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"

	"github.com/gatehouse-go/gatehouse/httpadapter"
)

// The adapter's tests validate every response they see with a real
// OpenAPI 3.1 validator (pb33f's libopenapi-validator), against the
// document the handler under test serves. The hook is validated (env.h):
// whatever a test sends through the env, with e.call or e.h.ServeHTTP,
// is checked, so a route added to the adapter is checked as soon as a test
// calls it.

// openAPIDoc is a served document: raw is its JSON (for tests that read
// it), model and v its parsed form and validator.
type openAPIDoc struct {
	raw   map[string]any
	model *v3.Document
	v     validator.Validator
	// routes holds the document's operations as ServeMux patterns, to find
	// the operation a request reaches the way the handler does.
	routes *http.ServeMux
}

func (d *openAPIDoc) operation(method, path string) (map[string]any, bool) {
	paths, _ := d.raw["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	op, ok := item[strings.ToLower(method)].(map[string]any)
	return op, ok
}

// docs holds each distinct document, parsed and validated once: building
// a validator compiles every schema, and the tests build many handlers
// with the same options.
var docs sync.Map // string (the document) -> *docEntry

type docEntry struct {
	once sync.Once
	doc  *openAPIDoc
	err  error
}

// loadDoc fetches h's document, validates it as an OpenAPI 3.1 document
// (libopenapi-validator's document validation) and builds its response
// validator.
func loadDoc(t testing.TB, h http.Handler) *openAPIDoc {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", rec.Code)
	}
	spec := rec.Body.String()
	v, _ := docs.LoadOrStore(spec, &docEntry{})
	de := v.(*docEntry)
	de.once.Do(func() { de.doc, de.err = parseDoc([]byte(spec)) })
	if de.err != nil {
		t.Fatalf("the OpenAPI document: %v", de.err)
	}
	return de.doc
}

func parseDoc(spec []byte) (*openAPIDoc, error) {
	d := &openAPIDoc{routes: http.NewServeMux()}
	if err := json.Unmarshal(spec, &d.raw); err != nil {
		return nil, err
	}
	// A tree (permissions/resources' resources) is a circle through an
	// array, which an empty array ends: a valid shape, not an infinite one.
	doc, err := libopenapi.NewDocumentWithConfiguration(spec, &datamodel.DocumentConfiguration{IgnoreArrayCircularReferences: true})
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("no validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("not a valid OpenAPI document: %s", describeErrors(verrs))
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, err
	}
	d.model, d.v = &m.Model, v
	for path, item := range d.model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().KeysFromOldest() {
			d.routes.HandleFunc(strings.ToUpper(method)+" "+path, func(http.ResponseWriter, *http.Request) {})
		}
	}
	return d, nil
}

func describeErrors(errs []*liberrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  %s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n    at %s (%s): %s", f.FieldPath, f.KeywordLocation, f.Reason)
		}
	}
	return b.String()
}

// validated is the handler under test with every response it serves
// validated against its own document; a response the document does not
// describe fails the test. In benchmarks it only serves: they measure the
// adapter, not the validator.
type validated struct {
	*httpadapter.Handler
	t   testing.TB
	doc *openAPIDoc
	// hostAuth: the handler authenticates with a host's Authenticator,
	// which the document cannot describe; requests are checked but for
	// their credentials.
	hostAuth bool
}

// familyPrefix is where each family's routes live: a request there that
// reaches no route must still be answered in the family's error envelope.
var familyPrefix = map[httpadapter.Family]string{
	httpadapter.Partner: "/portal/instance/access", httpadapter.V1: "/api/v1",
	httpadapter.Accounts: "/api/accounts", httpadapter.Management: "/access",
}

// documentedHeaders are the response headers a client acts on: whenever
// a response carries one, its documented response must name it.
var documentedHeaders = []string{"Link", "WWW-Authenticate", "Retry-After"}

func (v *validated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.t.Helper()
	if _, bench := v.t.(*testing.B); bench {
		v.Handler.ServeHTTP(w, r)
		return
	}
	var sent []byte
	if r.Body != nil {
		sent, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(sent))
	}
	rec := httptest.NewRecorder()
	v.Handler.ServeHTTP(rec, r)
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	if err := v.check(r, rec.Result()); err != nil {
		v.t.Errorf("%s %s answered %d, which the OpenAPI document does not describe: %v\nbody: %s",
			r.Method, r.URL.RequestURI(), rec.Code, err, rec.Body.Bytes())
	}
	if err := v.checkRequest(r, sent, rec.Code); err != nil {
		v.t.Errorf("%s %s was accepted (%d), but the OpenAPI document does not describe the request: %v\nrequest body: %s",
			r.Method, r.URL.RequestURI(), rec.Code, err, sent)
	}
}

// checkRequest validates a request the adapter accepted (2xx) against its
// operation: its parameters, security and body. An accepted request the
// document does not describe is a document bug (a client generated from it
// could not send it); a refused one says nothing about the document.
func (v *validated) checkRequest(r *http.Request, sent []byte, status int) error {
	if status < 200 || status > 299 {
		return nil
	}
	_, pattern := v.doc.routes.Handler(r)
	if pattern == "" {
		return nil
	}
	_, path, _ := strings.Cut(pattern, " ")
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(sent))
	item := v.doc.model.Paths.PathItems.GetOrZero(path)
	if !v.hostAuth {
		if ok, errs := v.doc.v.ValidateHttpRequestSyncWithPathItem(req, item, path); !ok {
			return fmt.Errorf("%s", describeErrors(errs))
		}
		return nil
	}
	// A host's authenticator is its own: the document describes the
	// default credentials, so all but the security requirement is checked.
	pv := v.doc.v.GetParameterValidator()
	var errs []*liberrors.ValidationError
	for _, check := range []func(*http.Request, *v3.PathItem, string) (bool, []*liberrors.ValidationError){
		pv.ValidatePathParamsWithPathItem, pv.ValidateQueryParamsWithPathItem, pv.ValidateHeaderParamsWithPathItem,
		pv.ValidateCookieParamsWithPathItem, v.doc.v.GetRequestBodyValidator().ValidateRequestBodyWithPathItem,
	} {
		_, e := check(req, item, path)
		errs = append(errs, e...)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", describeErrors(errs))
	}
	return nil
}

// check validates res, the answer to r: the operation's documented
// response for its status (body, media type, headers), or, for a request
// that reaches no operation, the family's 404 or 405 error.
func (v *validated) check(r *http.Request, res *http.Response) error {
	body, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(strings.NewReader(string(body)))
	if _, pattern := v.doc.routes.Handler(r); pattern != "" {
		method, path, _ := strings.Cut(pattern, " ")
		return v.checkOperation(r, res, body, method, path)
	}
	fam, inFamily := v.familyOf(r.URL.Path)
	if !inFamily {
		return nil // not the adapter's: the host's mux answers there
	}
	switch res.StatusCode {
	case http.StatusNotFound:
	case http.StatusMethodNotAllowed:
		if res.Header.Get("Allow") == "" {
			return fmt.Errorf("a 405 without Allow")
		}
	default:
		return fmt.Errorf("a request that reaches no route must answer 404 or 405")
	}
	// The envelope is the family's: as any of its routes answers 404.
	for _, rt := range v.Routes() {
		if rt.Family != fam {
			continue
		}
		probe := *r
		probe.Method = rt.Method
		as := *res
		as.StatusCode = http.StatusNotFound
		if o := v.doc.model.Paths.PathItems.GetOrZero(rt.Path).GetOperations().GetOrZero(strings.ToLower(rt.Method)); o.Responses.Codes.GetOrZero("404") == nil {
			continue // the login page has no 404
		}
		return v.checkOperation(&probe, &as, body, rt.Method, rt.Path)
	}
	return fmt.Errorf("family %s has no route answering 404", fam)
}

func (v *validated) familyOf(path string) (httpadapter.Family, bool) {
	for _, rt := range v.Routes() {
		p := familyPrefix[rt.Family]
		if path == p || strings.HasPrefix(path, p+"/") {
			return rt.Family, true
		}
	}
	return 0, false
}

func (v *validated) checkOperation(r *http.Request, res *http.Response, body []byte, method, path string) error {
	item := v.doc.model.Paths.PathItems.GetOrZero(path)
	if ok, errs := v.doc.v.GetResponseBodyValidator().ValidateResponseBodyWithPathItem(r, res, item, path); !ok {
		return fmt.Errorf("%s", describeErrors(errs))
	}
	// What the validator leaves to the document's author: a body where
	// the document declares none, and the headers clients act on.
	dr := item.GetOperations().GetOrZero(strings.ToLower(method)).Responses.Codes.GetOrZero(strconv.Itoa(res.StatusCode))
	if dr == nil {
		return fmt.Errorf("status %d is not documented", res.StatusCode)
	}
	if len(body) > 0 && orderedmap.Len(dr.Content) == 0 {
		return fmt.Errorf("a body where the document declares none")
	}
	for _, hd := range documentedHeaders {
		if res.Header.Get(hd) != "" && (dr.Headers == nil || dr.Headers.GetOrZero(hd) == nil) {
			return fmt.Errorf("the %s header is not documented", hd)
		}
	}
	return nil
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
