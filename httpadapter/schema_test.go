package httpadapter_test

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// openAPIDoc is the served document, parsed, with a checker for the subset
// of JSON Schema it uses: $ref, type (one or several), enum, required,
// properties with additionalProperties false, items, anyOf, and the uuid
// and date-time formats.
type openAPIDoc struct {
	raw map[string]any
}

func (d *openAPIDoc) operation(method, path string) (map[string]any, bool) {
	paths, _ := d.raw["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	op, ok := item[strings.ToLower(method)].(map[string]any)
	return op, ok
}

// validateResponse checks body against the schema the document gives for
// the route's response with status.
func (d *openAPIDoc) validateResponse(method, path string, status int, body any) error {
	op, ok := d.operation(method, path)
	if !ok {
		return fmt.Errorf("no operation %s %s", method, path)
	}
	responses, _ := op["responses"].(map[string]any)
	r, ok := responses[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return fmt.Errorf("status %d is not documented", status)
	}
	content, _ := r["content"].(map[string]any)
	mt, ok := content["application/json"].(map[string]any)
	if !ok {
		return fmt.Errorf("status %d documents no JSON body", status)
	}
	return d.validate(mt["schema"], body, "body")
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (d *openAPIDoc) validate(s any, v any, at string) error {
	sm, ok := s.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: schema is not an object", at)
	}
	if ref, ok := sm["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/components/schemas/")
		comps, _ := d.raw["components"].(map[string]any)
		schemas, _ := comps["schemas"].(map[string]any)
		target, ok := schemas[name]
		if !found || !ok {
			return fmt.Errorf("%s: unresolved $ref %q", at, ref)
		}
		return d.validate(target, v, at)
	}
	if anyOf, ok := sm["anyOf"].([]any); ok {
		var errs []string
		for _, alt := range anyOf {
			err := d.validate(alt, v, at)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no anyOf alternative: %s", at, strings.Join(errs, "; "))
	}
	if t, ok := sm["type"]; ok {
		var types []string
		switch tt := t.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, x := range tt {
				types = append(types, x.(string))
			}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return hasType(t, v) }) {
			return fmt.Errorf("%s: %v (%T) is not of type %v", at, v, v, types)
		}
	}
	if enum, ok := sm["enum"].([]any); ok && v != nil {
		if !slices.ContainsFunc(enum, func(e any) bool { return e == v }) {
			return fmt.Errorf("%s: %v is not one of %v", at, v, enum)
		}
	}
	if f, ok := sm["format"].(string); ok {
		if s, isStr := v.(string); isStr {
			switch f {
			case "uuid":
				if !uuidRE.MatchString(s) {
					return fmt.Errorf("%s: %q is not a uuid", at, s)
				}
			case "date-time":
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
					return fmt.Errorf("%s: %q is not a date-time", at, s)
				}
			}
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := sm["properties"].(map[string]any)
		if req, ok := sm["required"].([]any); ok {
			for _, r := range req {
				if _, ok := x[r.(string)]; !ok {
					return fmt.Errorf("%s: required property %q is missing", at, r)
				}
			}
		}
		for k, val := range x {
			ps, known := props[k]
			if !known {
				if ap, ok := sm["additionalProperties"].(bool); ok && !ap {
					return fmt.Errorf("%s: property %q is not documented", at, k)
				}
				continue
			}
			if err := d.validate(ps, val, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		if items, ok := sm["items"]; ok {
			for i, it := range x {
				if err := d.validate(items, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func hasType(t string, v any) bool {
	switch t {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
