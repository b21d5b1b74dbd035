package httpadapter

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"strings"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// Family is one of the four route families (see the package documentation).
type Family uint8

// The route families, named after the seed documents they follow.
const (
	// Partner is seed 000: /portal/instance/access/users, plus the login
	// links its provisioning hands out.
	Partner Family = 1 << iota
	// V1 is seed 001: /api/v1 user accesses, accesses, companies and
	// invitations.
	V1
	// Accounts is seed 002: /api/accounts/{account_id}/account_accesses.
	Accounts
	// Management is seed 003: /access.
	Management

	// AllFamilies mounts every family; it is the default.
	AllFamilies = Partner | V1 | Accounts | Management
)

func (f Family) String() string {
	switch f {
	case Partner:
		return "partner"
	case V1:
		return "v1"
	case Accounts:
		return "accounts"
	case Management:
		return "management"
	}
	return "families"
}

// Services are the domain services the routes call. Access is always
// required; Invite and Token are required by the families that use them
// (New panics, naming the missing one).
type Services struct {
	Access *access.Service
	Invite *invite.Service
	Token  *token.Service
}

// Defaults of the options.
const (
	// DefaultMaxBodyBytes caps request bodies (413 above it).
	DefaultMaxBodyBytes = 64 << 10
	// DefaultPageSize is the page size of listings without a limit.
	DefaultPageSize = access.DefaultPageLimit
)

// Option configures a Handler.
type Option func(*config)

type config struct {
	families Family
	auth     Authenticator
	maxBody  int64
	pageSize int
	logger   *slog.Logger
	signUp   bool

	// invitationLinks: WithInvitationLinksInResponses (management.go).
	invitationLinks bool
}

// WithFamilies mounts only the given families (default AllFamilies).
func WithFamilies(f Family) Option { return func(c *config) { c.families = f } }

// WithAuthenticator replaces the default authenticator (API and session
// tokens, see TokenAuthenticator) with the host's own.
func WithAuthenticator(a Authenticator) Option { return func(c *config) { c.auth = a } }

// WithMaxBodyBytes caps request bodies (default DefaultMaxBodyBytes).
func WithMaxBodyBytes(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithPageSize sets the page size of listings whose request names no limit
// (default DefaultPageSize, at most access.MaxPageLimit).
func WithPageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// WithLogger sets where the causes of 500 responses go (default
// slog.Default()). Nothing the adapter logs holds a secret or a URL.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithPublicSignUp mounts POST /api/v1/users in the v1 family: anyone,
// without credentials, may create an account with a password (default
// off). It is the host's decision, made for the whole system: with it off
// the route is not mounted and the host creates users from Go
// (access.Service.CreateUser with the system principal), since the system
// never reaches the adapter through an Authenticator.
func WithPublicSignUp(on bool) Option { return func(c *config) { c.signUp = on } }

// Handler serves the mounted route families. It is an http.Handler; build it
// with New.
type Handler struct {
	svc    Services
	cfg    config
	mux    *http.ServeMux
	routes []*op
	spec   []byte // the OpenAPI document, built once
}

// New returns the handler of every mounted route family over svc. It panics
// when a family's service is missing or an option is out of range: a
// programming error of the host, found at start-up.
func New(svc Services, opts ...Option) *Handler {
	c := config{families: AllFamilies, maxBody: DefaultMaxBodyBytes, pageSize: DefaultPageSize}
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	need := func(ok bool, what string) {
		if !ok {
			panic("httpadapter.New: " + what)
		}
	}
	need(svc.Access != nil, "Services.Access is required")
	need(c.families&^AllFamilies == 0 && c.families != 0, "WithFamilies: unknown family")
	need(c.maxBody > 0, "WithMaxBodyBytes: must be positive")
	need(c.pageSize > 0 && c.pageSize <= access.MaxPageLimit, fmt.Sprintf("WithPageSize: must be 1 to %d", access.MaxPageLimit))
	if c.auth == nil {
		need(svc.Token != nil, "Services.Token is required by the default authenticator")
		c.auth = TokenAuthenticator(svc.Token)
	}
	if c.families&Partner != 0 {
		need(svc.Token != nil, "Services.Token is required by the partner family (provisioning, login links)")
	}
	if c.families&(V1|Accounts|Management) != 0 {
		need(svc.Invite != nil, "Services.Invite is required by the v1, accounts and management families")
	}
	if c.families&Management != 0 {
		need(svc.Token != nil, "Services.Token is required by the management family (API tokens)")
	}
	h := &Handler{svc: svc, cfg: c, mux: http.NewServeMux()}
	if c.families&Partner != 0 {
		h.mountPartner()
	}
	if c.families&V1 != 0 {
		h.mountV1()
	}
	if c.families&Accounts != 0 {
		h.mountAccounts()
	}
	if c.families&Management != 0 {
		h.mountManagement()
	}
	h.spec = h.buildOpenAPI()
	h.mux.HandleFunc("GET "+documentPath, h.serveOpenAPI)
	h.mountFallbacks()
	return h
}

// prefix is where the family's routes live.
func (f Family) prefix() string {
	switch f {
	case Partner:
		return "/portal/instance/access"
	case V1:
		return "/api/v1"
	case Accounts:
		return "/api/accounts"
	}
	return "/access"
}

// mountFallbacks answers, under each mounted family's prefix, what no
// route serves in the family's error envelope instead of ServeMux's
// text/plain: a path no route has is 404 (route_not_found), a method the
// path's routes do not take 405 (method_not_allowed) with Allow. They are
// not routes: neither listed by Routes nor in the document.
func (h *Handler) mountFallbacks() {
	for _, f := range []Family{Partner, V1, Accounts, Management} {
		if h.cfg.families&f == 0 {
			continue
		}
		o := &op{path: f.prefix() + "/…", fam: f, auth: authNone}
		serve := func(w http.ResponseWriter, r *http.Request) {
			x := exchange{h: h, w: w, r: r, o: o}
			if allow := h.allowed(r); len(allow) > 0 {
				w.Header().Set("Allow", strings.Join(allow, ", "))
				h.fail(&x, &httpError{http.StatusMethodNotAllowed, &access.Error{Kind: access.ErrInvalid,
					Code: access.CodeMethodNotAllowed, Message: "the method is not allowed here; allowed: " + strings.Join(allow, ", ")}})
				return
			}
			h.fail(&x, &httpError{http.StatusNotFound, &access.Error{Kind: access.ErrNotFound,
				Code: access.CodeRouteNotFound, Message: "no route serves this path"}})
		}
		// The root too, so ServeMux does not redirect it to the subtree.
		h.mux.HandleFunc(f.prefix(), serve)
		h.mux.HandleFunc(f.prefix()+"/", serve)
	}
}

// probeMethods are the methods a 405's Allow may list.
var probeMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

// allowed lists the methods routes take at r's path (none: the path is
// unknown). HEAD comes with GET, as ServeMux serves it.
func (h *Handler) allowed(r *http.Request) []string {
	var out []string
	for _, m := range probeMethods {
		probe := *r
		probe.Method = m
		if _, pattern := h.mux.Handler(&probe); strings.Contains(pattern, " ") {
			out = append(out, m)
		}
	}
	return out
}

// ServeHTTP dispatches to the mounted routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Route describes one mounted route.
type Route struct {
	Method  string
	Path    string
	Family  Family
	Summary string
}

// Routes lists the mounted routes (GET /openapi.json aside) in the order
// they were mounted.
func (h *Handler) Routes() []Route {
	out := make([]Route, len(h.routes))
	for i, o := range h.routes {
		out[i] = Route{Method: o.method, Path: o.path, Family: o.fam, Summary: o.summary}
	}
	return out
}

// authMode says whether a route needs a caller.
type authMode uint8

const (
	authRequired authMode = iota
	authOptional          // credentials are used when sent, and must then be good
	authNone
)

// op is one route: how it is mounted and documented.
type op struct {
	method, path string
	fam          Family
	summary      string
	description  string
	auth         authMode
	status       int // success status (mount: 200 when unset)
	query        []param
	in           reflect.Type // request body type, nil for none
	bodyRequired bool
	out          reflect.Type // success body type, nil for none
	html         bool         // answers text/html (the login page)
	htmlStatuses []int        // error statuses an html route answers as a page, not in the family's JSON envelope
	link         bool         // a listing whose next page may be in a Link header (rel="next")
	statuses     []int        // error statuses beyond those errorStatuses gives every route
}

// param documents a query parameter: a string unless integer, an array of
// strings when array (repeated, name[] or comma-separated).
type param struct {
	name, desc string
	array      bool
	required   bool
	integer    bool // a whole number, at least min and, when max > 0, at most max
	min, max   int
}

// exchange is one request in flight.
type exchange struct {
	h *Handler
	w http.ResponseWriter
	r *http.Request
	o *op
	p access.Principal
}

func (x *exchange) ctx() context.Context { return x.r.Context() }

// noBody is the input type of routes that take no body.
type noBody struct{}

// add mounts a route whose handler decodes In (unless it is noBody), calls
// fn, and encodes its Out with the op's success status. Errors go through
// the family's error writer (errors.go), the one place that maps them.
func add[In, Out any](h *Handler, o op, fn func(x *exchange, in *In) (Out, error)) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	if t := reflect.TypeFor[In](); t != reflect.TypeFor[noBody]() {
		o.in = t
	}
	if t := reflect.TypeFor[Out](); t != reflect.TypeFor[noBody]() {
		o.out = t
	}
	op := &o
	h.mount(op, func(x *exchange) error {
		var in In
		if op.in != nil {
			if err := h.decode(x, &in); err != nil {
				return err
			}
		}
		out, err := fn(x, &in)
		if err != nil {
			return err
		}
		if op.out == nil {
			x.w.WriteHeader(op.status)
			return nil
		}
		writeJSON(x.w, op.status, &out)
		return nil
	})
}

// mount registers o with serve behind authentication and panic recovery.
func (h *Handler) mount(o *op, serve func(x *exchange) error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	h.routes = append(h.routes, o)
	h.mux.HandleFunc(o.method+" "+o.path, func(w http.ResponseWriter, r *http.Request) {
		x := exchange{h: h, w: w, r: r, o: o}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.cfg.logger.ErrorContext(r.Context(), "gatehouse http: panic",
					slog.String("route", o.method+" "+o.path), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				h.fail(&x, errInternal)
			}
		}()
		if o.auth != authNone {
			p, err := h.authenticate(r, o.auth == authOptional)
			if err != nil {
				h.fail(&x, err)
				return
			}
			x.p = p
		}
		if err := serve(&x); err != nil {
			h.fail(&x, err)
		}
	})
}

// LogPath is what a host's request log may record for r: the route pattern
// once the handler has matched it (r.Pattern), else the path without its
// query and with every segment long enough to be a secret redacted. URLs of
// login links and invitation codes carry tokens; never log them whole.
func LogPath(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	segs := strings.Split(r.URL.Path, "/")
	for i, s := range segs {
		if len(s) > 40 {
			segs[i] = token.Redacted
		}
	}
	return r.Method + " " + strings.Join(segs, "/")
}
