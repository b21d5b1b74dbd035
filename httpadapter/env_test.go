package httpadapter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/httpadapter"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/store/bunstore/pgtest"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
	"github.com/gatehouse-go/gatehouse/token"
)

// backend is a store the end-to-end tests run on.
type backend struct {
	name string
	open func(testing.TB) store.Store
}

var (
	memory = backend{"memory", func(testing.TB) store.Store { return memstore.New() }}
	// postgres is a migrated database of the test's own (pgtest: it skips
	// without GATEHOUSE_TEST_DATABASE_URL).
	postgres = backend{"postgres", func(tb testing.TB) store.Store { return bunstore.New(pgtest.NewDB(tb)) }}
)

// onEachStore runs test once per store, as subtests named after them: the
// adapter's behaviour must not depend on the store under it. The tests
// share nothing (each env has its own store and clock), so they run in
// parallel: a PostgreSQL env spends most of its setup waiting for the
// server.
func onEachStore(t *testing.T, test func(t *testing.T, st backend)) {
	t.Helper()
	t.Parallel()
	for _, st := range []backend{memory, postgres} {
		t.Run(st.name, func(t *testing.T) { test(t, st) })
	}
}

// env is a store, its services and the handler, with a company
// "Acme" (external key "acme-key", domain "acme.example") owned by a user
// with an API token of full rights.
type env struct {
	*storetest.World
	t     testing.TB
	clock *storetest.Clock
	st    store.Store
	acc   *access.Service
	inv   *invite.Service
	tok   *token.Service
	h     *validated // the handler, every response validated against its document (schema_test.go)
	doc   *openAPIDoc

	mu      sync.Mutex
	events  []invite.Event
	grants  []token.Granted
	resets  []token.PasswordReset
	logBuf  *bytes.Buffer
	company access.Company
	owner   access.User
	ownerP  access.Principal
	ownerT  string // API token of the owner, OWNER rights
}

// loginBase is where the tests' host serves the handler: login links are
// loginBase + httpadapter.LoginPath.
const loginBase = "https://gate.example"

func newEnv(t testing.TB, st backend, opts ...httpadapter.Option) *env {
	t.Helper()
	e := &env{t: t, logBuf: &bytes.Buffer{}}
	// One notifier hears both services, as a host's mailer does.
	notifier := token.NotifierFunc(func(_ context.Context, ev token.Event) {
		e.mu.Lock()
		defer e.mu.Unlock()
		switch ev := ev.(type) {
		case invite.Event:
			e.events = append(e.events, ev)
		case token.Granted:
			e.grants = append(e.grants, ev)
		case token.PasswordReset:
			e.resets = append(e.resets, ev)
		default:
			t.Errorf("unexpected event %T", ev)
		}
	})
	e.World = storetest.NewWorld(t, st.open(t),
		storetest.WithOwner(access.NewUser{Email: "owner-" + uuid.NewString()[:8] + "@example.com", FirstName: "owner", LastName: "Test"}),
		storetest.WithCompany(access.NewCompany{Name: "Acme", ExternalKey: "acme-key", Domains: []string{"acme.example"}}),
		storetest.WithToken(token.WithNotifier(notifier), token.WithLoginURL(loginBase+httpadapter.LoginPath)),
		storetest.WithInvite(invite.WithNotifier(notifier)),
		// Cheap hashes: the tests sign in many times, under the race detector.
		storetest.WithAccess(access.WithTestPasswordParams(access.PasswordParams{})))
	e.clock, e.st, e.acc, e.tok, e.inv = e.Clock, e.Store, e.Access, e.Token, e.Invite
	e.company, e.owner, e.ownerP = e.Company, e.Owner, e.AsOwner
	base := []httpadapter.Option{httpadapter.WithLogger(slogTo(e.logBuf))}
	h := httpadapter.New(httpadapter.Services{Access: e.acc, Invite: e.inv, Token: e.tok}, append(base, opts...)...)
	e.doc = loadDoc(t, h)
	e.h = &validated{Handler: h, t: t, doc: e.doc}
	e.ownerT = e.apiToken(e.ownerP, access.RoleOwner)
	return e
}

func (e *env) user(name string) access.User {
	e.t.Helper()
	return e.CreateUser(e.t, access.NewUser{
		Email:     fmt.Sprintf("%s-%s@example.com", strings.ToLower(strings.ReplaceAll(name, " ", "-")), uuid.NewString()[:8]),
		FirstName: name, LastName: "Test"})
}

// member adds a new user to the company with role (and extra permissions)
// and returns the user and an API token acting as them with that role.
func (e *env) member(name, role string, perms ...string) (access.User, string) {
	e.t.Helper()
	u := e.user(name)
	// Consented: the owner adds at once only users it can already see, and
	// a new user is seen by no one.
	_, err := e.acc.AddMember(context.Background(), e.ownerP, access.NewMember{Email: u.Email, Role: role, Permissions: perms, Consented: true})
	require.NoError(e.t, err)
	return u, e.apiToken(access.UserPrincipal(u.ID, e.company.ID), role, perms...)
}

func (e *env) apiToken(p access.Principal, role string, perms ...string) string {
	e.t.Helper()
	return e.APIToken(e.t, p, role, perms...).Secret.Reveal()
}

// otherCompany creates a second company with its own owner and token.
func (e *env) otherCompany(name string) (access.Company, access.User, string) {
	e.t.Helper()
	u := e.user(name + "-owner")
	c, p := e.NewCompany(e.t, access.NewCompany{Name: name}, u)
	return c, u, e.apiToken(p, access.RoleOwner)
}

func (e *env) lastEvent() invite.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	require.NotEmpty(e.t, e.events)
	return e.events[len(e.events)-1]
}

// resp is an answered request.
type resp struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   any
}

// get digs into the JSON body by keys and indices, e.g. r.get("data",
// "users", 0, "email").
func (r *resp) get(path ...any) any {
	v := r.JSON
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func (r *resp) str(path ...any) string {
	s, _ := r.get(path...).(string)
	return s
}

// code is the error code at path, e.g. r.code("data", "code").
func (r *resp) code(path ...any) access.Code { return access.Code(r.str(path...)) }

// call sends a request; body may be nil, a string (sent as is) or a value
// (encoded as JSON). Every response is validated against the OpenAPI
// document (e.h does it).
func (e *env) call(method, target, tok string, body any, hdr ...string) *resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	r := &resp{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && len(r.Raw) > 0 {
		require.NoError(e.t, json.Unmarshal(r.Raw, &r.JSON), "%s %s: %s", method, target, r.Raw)
	}
	if rec.Code == http.StatusInternalServerError {
		e.t.Errorf("%s %s: 500: %s\nlog: %s", method, target, r.Raw, e.logBuf.String())
	}
	return r
}

// must asserts the status of a response.
func must(t testing.TB, want int, r *resp, why ...string) *resp {
	t.Helper()
	require.Equal(t, want, r.Status, "%s body: %s", strings.Join(why, " "), r.Raw)
	return r
}

// sessionIn returns a session token of u acting in companyID, minted the
// way a login link mints one.
func (e *env) sessionIn(u access.User, companyID uuid.UUID) string {
	e.t.Helper()
	ctx := context.Background()
	sys := access.SystemPrincipal()
	sys.CompanyID = companyID
	m, err := e.acc.GetMember(ctx, sys, u.ID)
	require.NoError(e.t, err)
	pv, err := e.tok.Provision(ctx, sys, token.Provision{Email: u.Email, Role: m.Role})
	require.NoError(e.t, err)
	l, err := e.tok.RedeemLoginLinkSession(ctx, linkToken(e.t, pv.LoginURL.Reveal()))
	require.NoError(e.t, err)
	return l.Session.Secret.Reveal()
}

func (e *env) session(u access.User) string { return e.sessionIn(u, e.company.ID) }

// malformed is a secret of the token service's prefix and the kind ("api",
// "inv", "lnk", ...) whose body is not well formed.
func (e *env) malformed(kind string) string { return e.tok.Format().Product() + "_" + kind + "_bogus" }

// linkToken is the token query parameter of a login URL.
func linkToken(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	tok := u.Query().Get("token")
	require.NotEmpty(t, tok)
	return tok
}
