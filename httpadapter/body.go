package httpadapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// decode reads x's body into dst: JSON only (415), at most the configured
// size (413), one object with known fields and nothing after it (400). An
// empty body decodes as {} unless the route requires one. Nothing has
// changed when it fails: it runs before any service call.
func (h *Handler) decode(x *exchange, dst any) error {
	r := x.r
	if r.ContentLength > h.cfg.maxBody {
		return errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(x.w, r.Body, h.cfg.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return badRequest(access.CodeUnreadableBody, "", "the request body could not be read")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		if x.o.bodyRequired {
			return badRequest(access.CodeBodyRequired, "", "a JSON object body is required")
		}
		return nil
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return errMediaType
	}
	if trimmed[0] != '{' {
		return badRequest(access.CodeInvalidJSON, "", "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest(access.CodeTrailingData, "", "the request body has data after the JSON object")
	}
	return nil
}

// isJSON reports whether a Content-Type is application/json, with or
// without parameters.
func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/json")
}

// jsonError turns a decoding error into a 400 naming the field.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var he *httpError
	switch {
	case errors.As(err, &he):
		return err
	case errors.As(err, &syn):
		return badRequest(access.CodeInvalidJSON, "", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(access.CodeInvalidJSON, "", "malformed JSON: the body ends early")
	case errors.As(err, &typ):
		field := typ.Field
		return badRequest(access.CodeInvalid, field, fmt.Sprintf("%s must be %s", field, jsonKind(typ.Type.Kind().String())))
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return badRequest(access.CodeUnknownField, f, fmt.Sprintf("unknown field %q", f))
	}
	return badRequest(access.CodeInvalidJSON, "", "malformed JSON")
}

func fieldCode(f string) string {
	if f == "" {
		return "json"
	}
	return strings.ReplaceAll(f, ".", "_")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	if strings.HasPrefix(k, "int") || strings.HasPrefix(k, "uint") || strings.HasPrefix(k, "float") {
		return "a number"
	}
	return "of another type"
}

// parseID parses a UUID in its canonical 8-4-4-4-12 form only: uuid.Parse
// alone also takes the 32-digit, braced and urn:uuid: forms, which the
// document (format uuid) does not.
func parseID(s string) (uuid.UUID, bool) {
	if len(s) != 36 {
		return uuid.Nil, false
	}
	v, err := uuid.Parse(s)
	return v, err == nil
}

// pathID parses the path wildcard name as a UUID (400 otherwise).
func pathID(x *exchange, name string) (uuid.UUID, error) {
	v, ok := parseID(x.r.PathValue(name))
	if !ok {
		return uuid.Nil, badRequest(access.CodeInvalid, name, name+" must be a UUID")
	}
	return v, nil
}

// bodyID parses a UUID given in a request body field; "" is the zero id.
func bodyID(field, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, nil
	}
	v, ok := parseID(s)
	if !ok {
		return uuid.Nil, access.Invalid(field, "%s must be a UUID", field)
	}
	return v, nil
}

// queryID parses an optional UUID query parameter.
func queryID(x *exchange, name string) (uuid.UUID, error) {
	s := x.r.URL.Query().Get(name)
	if s == "" {
		return uuid.Nil, nil
	}
	return bodyID(name, s)
}

// pageRequest reads the limit and cursor query parameters.
func (h *Handler) pageRequest(x *exchange) (access.PageRequest, error) {
	q := x.r.URL.Query()
	pr := access.PageRequest{Limit: h.cfg.pageSize, After: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > access.MaxPageLimit {
			return pr, access.Invalid("limit", "limit must be a number from 1 to %d", access.MaxPageLimit)
		}
		pr.Limit = n
	}
	return pr, nil
}

// queryInt parses an optional integer query parameter (def when absent);
// its range is the service's to check.
func queryInt(x *exchange, name string, def int) (int, error) {
	s := x.r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, access.Invalid(name, "%s must be a whole number", name)
	}
	return n, nil
}

// inCompany returns x's principal acting in the company ref names; the
// nil UUID (or a caller without a company of its own) names none: 404.
func (h *Handler) inCompany(x *exchange, ref access.CompanyRef) (access.Principal, access.Company, error) {
	if ref == (access.CompanyRef{}) {
		return access.Principal{}, access.Company{}, access.NotFound(access.CodeCompanyNotFound)
	}
	return h.actIn(x, ref)
}

// actIn resolves ref with access.Service.FindCompany, which answers 404
// for a company the principal may not act in (a user acts where they are
// a member or an agency of theirs is connected, an API token in its own
// company and the customers connected to it), and returns x's principal
// acting there (access.Principal.In).
func (h *Handler) actIn(x *exchange, ref access.CompanyRef) (access.Principal, access.Company, error) {
	c, err := h.svc.Access.FindCompany(x.ctx(), x.p, ref)
	if err != nil {
		return access.Principal{}, access.Company{}, err
	}
	return x.p.In(c.ID), c, nil
}
