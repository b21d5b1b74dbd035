package access_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeSnippetIsExampleService keeps the README's "library in twenty
// lines" exactly the body of ExampleService, which go test compiles and
// whose output it checks: the snippet a newcomer copies compiles as
// printed and prints what it says.
func TestReadmeSnippetIsExampleService(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(readme), "## The library in twenty lines\n\n```go\n")
	require.True(t, ok, "the README has the section")
	snippet, _, ok := strings.Cut(after, "```\n")
	require.True(t, ok)

	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	_, body, ok := strings.Cut(string(src), "func ExampleService() {\n")
	require.True(t, ok)
	body, _, ok = strings.Cut(body, "\n}\n")
	require.True(t, ok)
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	assert.Equal(t, strings.Join(lines, "\n")+"\n", snippet)
}
