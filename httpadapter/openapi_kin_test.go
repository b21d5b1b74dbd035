package httpadapter_test

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/httpadapter"
)

// TestOpenAPIDocumentLoadsInKinOpenAPI: the served document, every family
// mounted, loads and validates in a second, independent implementation,
// the one Go's code generators (oapi-codegen) build on: kin-openapi
// (test-only), which reads OpenAPI 3.1. Any error fails the test.
func TestOpenAPIDocumentLoadsInKinOpenAPI(t *testing.T) {
	e := newEnv(t, memory, httpadapter.WithPublicSignUp(true))
	raw, err := json.Marshal(e.doc.raw)
	require.NoError(t, err)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	require.NoError(t, err, "kin-openapi loads the document")
	require.True(t, doc.IsOpenAPI31OrLater(), "read as OpenAPI 3.1: %s", doc.OpenAPI)
	require.NoError(t, doc.Validate(t.Context()), "kin-openapi validates the document")
	require.NotEmpty(t, doc.Paths.Map())
}
