package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	gtoken "github.com/gatehouse-go/gatehouse/token"
)

const module = "github.com/gatehouse-go/gatehouse"

// TestDependencyDirection keeps the import graph of DESIGN.md: access <-
// invite, token <- store and its subpackages <- examples; httpadapter on the
// domain packages only; only bunstore (and its test harness) imports Bun;
// only httpadapter imports net/http.
func TestDependencyDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	rules := []struct {
		pkg     string
		allowed []string // gatehouse packages it may import
		banned  []string // import path prefixes it must not reach
	}{
		{"access", nil, []string{"github.com/uptrace/bun", "net/http", "github.com/jackc", "github.com/lib/pq"}},
		{"invite", []string{"access", "token"}, []string{"github.com/uptrace/bun", "net/http", "github.com/jackc", "github.com/lib/pq"}},
		{"token", []string{"access"}, []string{"github.com/uptrace/bun", "net/http", "github.com/jackc", "github.com/lib/pq"}},
		{"store", []string{"access", "invite", "token"}, []string{"github.com/uptrace/bun", "net/http"}},
		{"store/memstore", []string{"access", "invite", "token", "store"}, []string{"github.com/uptrace/bun", "net/http"}},
		{"store/bunstore", []string{"access", "invite", "token", "store"}, []string{"net/http"}},
		{"store/bunstore/pgtest", []string{"access", "invite", "token", "store", "store/bunstore"}, []string{"net/http"}},
		{"httpadapter", []string{"access", "invite", "token"}, []string{"github.com/uptrace/bun", module + "/store"}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", module+"/"+r.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", r.pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == module+"/"+r.pkg {
				continue
			}
			if rest, ok := strings.CutPrefix(dep, module+"/"); ok {
				ok := false
				for _, a := range r.allowed {
					ok = ok || rest == a
				}
				if !ok {
					t.Errorf("%s imports %s, against the dependency direction", r.pkg, dep)
				}
			}
			for _, b := range r.banned {
				if dep == b || strings.HasPrefix(dep, b+"/") {
					t.Errorf("%s imports %s", r.pkg, dep)
				}
			}
		}
	}
}

// TestHarnessesOnlyInTests: the packages made for tests (they import
// testing) are imported by test files only, never by a library or a
// command.
func TestHarnessesOnlyInTests(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	harnesses := []string{module + "/store/storetest", module + "/store/bunstore/pgtest"}
	// -deps: also through a package that imports a harness in turn.
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		for _, dep := range strings.Fields(deps) {
			for _, h := range harnesses {
				if dep == h && pkg != h {
					t.Errorf("%s imports the test harness %s", pkg, h)
				}
			}
		}
	}
}

// TestAdapterOpensNoTransaction: the HTTP adapter decodes, makes one
// service call and encodes; composing operations in a transaction of its
// own would put a rule where no other client of the services finds it.
func TestAdapterOpensNoTransaction(t *testing.T) {
	files, err := filepath.Glob("../httpadapter/*.go")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
					switch sel.Sel.Name {
					case "InTx", "RunInTx", "AfterCommit":
						t.Errorf("%s: httpadapter calls %s", fset.Position(call.Pos()), sel.Sel.Name)
					}
				}
			}
			return true
		})
	}
}

// TestSiblingStoresHoldOnlyTheirTables: invite.Store and token.Store share
// nothing with access.Store but RunInTx, so invitations and tokens reach
// users, memberships, grants, connections and the audit trail only through
// access.Service's checked operations.
func TestSiblingStoresHoldOnlyTheirTables(t *testing.T) {
	accessMethods := map[string]bool{}
	at := reflect.TypeFor[access.Store]()
	for i := range at.NumMethod() {
		accessMethods[at.Method(i).Name] = true
	}
	for _, st := range []reflect.Type{reflect.TypeFor[invite.Store](), reflect.TypeFor[gtoken.Store]()} {
		for i := range st.NumMethod() {
			if m := st.Method(i).Name; accessMethods[m] && m != "RunInTx" {
				t.Errorf("%s declares access.Store's %s", st, m)
			}
		}
	}
}
