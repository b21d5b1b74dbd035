package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/token"
)

// T0 is where every World's clock starts: a fixed instant in whole seconds,
// so times read the same on every run and on every store.
var T0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Clock is a settable clock for the services. It moves only when told to,
// so a test orders events by advancing it, never by sleeping. It is safe
// for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time; pass it to access.WithClock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// World is the one test fixture of gatehouse: a store with the access,
// invite and token services over it, sharing one Clock, and a company
// with its OWNER. Service-level tests start from it, here and in the tests
// of the packages built on the store. Two Worlds over one store are two
// companies of that store.
type World struct {
	Store   store.Store
	Clock   *Clock
	Access  *access.Service
	Invite  *invite.Service
	Token   *token.Service
	Owner   access.User      // the OWNER of Company
	Company access.Company   // "Acme" unless WithCompany says otherwise
	AsOwner access.Principal // Owner acting in Company
}

// Option shapes a World.
type Option func(*worldConfig)

type worldConfig struct {
	acc     []access.Option
	inv     []invite.Option
	tok     []token.Option
	owner   access.NewUser
	company access.NewCompany
}

// WithAccess passes options to access.NewService, after the World's
// clock (so an access.WithClock among them replaces it).
func WithAccess(opts ...access.Option) Option {
	return func(c *worldConfig) { c.acc = append(c.acc, opts...) }
}

// WithInvite passes options to invite.NewService.
func WithInvite(opts ...invite.Option) Option {
	return func(c *worldConfig) { c.inv = append(c.inv, opts...) }
}

// WithToken passes options to token.NewService.
func WithToken(opts ...token.Option) Option {
	return func(c *worldConfig) { c.tok = append(c.tok, opts...) }
}

// WithOwner sets the owner's e-mail and names (default: a unique e-mail,
// first name "owner").
func WithOwner(u access.NewUser) Option { return func(c *worldConfig) { c.owner = u } }

// WithCompany sets the company's fields (default: name "Acme"). OwnerID is
// ignored: the World's owner owns it.
func WithCompany(in access.NewCompany) Option { return func(c *worldConfig) { c.company = in } }

// NewWorld builds a World over st, its clock at T0. It fails tb if the
// company cannot be created.
func NewWorld(tb testing.TB, st store.Store, opts ...Option) *World {
	tb.Helper()
	cfg := worldConfig{company: access.NewCompany{Name: "Acme"}}
	for _, o := range opts {
		o(&cfg)
	}
	w := &World{Store: st, Clock: NewClock(T0)}
	w.Access = access.NewService(st, append([]access.Option{access.WithClock(w.Clock.Now)}, cfg.acc...)...)
	w.Token = token.NewService(w.Access, cfg.tok...)
	w.Invite = invite.NewService(w.Token, cfg.inv...)
	if cfg.owner.Email == "" {
		w.Owner = w.User(tb, "owner")
	} else {
		w.Owner = w.CreateUser(tb, cfg.owner)
	}
	w.Company, w.AsOwner = w.NewCompany(tb, cfg.company, w.Owner)
	return w
}

// must fails tb with what was being done if err is not nil.
func must(tb testing.TB, err error, doing string, args ...any) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("storetest: %s: %v", fmt.Sprintf(doing, args...), err)
	}
}

// User creates a user called name with an e-mail no other World call
// gives ("name-1a2b3c4d@example.com").
func (w *World) User(tb testing.TB, name string) access.User {
	tb.Helper()
	return w.CreateUser(tb, access.NewUser{Email: fmt.Sprintf("%s-%s@example.com", name, uuid.NewString()[:8]), FirstName: name})
}

// CreateUser creates the user as given, as the system.
func (w *World) CreateUser(tb testing.TB, in access.NewUser) access.User {
	tb.Helper()
	u, err := w.Access.CreateUser(context.Background(), access.SystemPrincipal(), in)
	must(tb, err, "create user %s", in.Email)
	return u
}

// NewCompany creates a company owned by owner, as the system, and returns
// it with owner acting in it.
func (w *World) NewCompany(tb testing.TB, in access.NewCompany, owner access.User) (access.Company, access.Principal) {
	tb.Helper()
	in.OwnerID = owner.ID
	c, err := w.Access.CreateCompany(context.Background(), access.SystemPrincipal(), in)
	must(tb, err, "create company %q", in.Name)
	return c, access.UserPrincipal(owner.ID, c.ID)
}

// AddMember adds u to the company with role and extra permissions, as the
// system acting in that company, and returns u acting in it.
func (w *World) AddMember(tb testing.TB, companyID uuid.UUID, u access.User, role string, perms ...string) access.Principal {
	tb.Helper()
	sys := access.SystemPrincipal()
	sys.CompanyID = companyID
	_, err := w.Access.AddMember(context.Background(), sys, access.NewMember{UserID: u.ID, Role: role, Permissions: perms})
	must(tb, err, "add %s as %s", u.Email, role)
	return access.UserPrincipal(u.ID, companyID)
}

// Member creates a user called name and adds them to Company with role
// and extra permissions.
func (w *World) Member(tb testing.TB, name, role string, perms ...string) (access.User, access.Principal) {
	tb.Helper()
	u := w.User(tb, name)
	return u, w.AddMember(tb, w.Company.ID, u, role, perms...)
}

// APIToken creates an API token on behalf of p (a user acting in a
// company) with role and extra permissions, as the system; with neither,
// a bare token (token.NewToken.Bare), not one inheriting p's rights.
func (w *World) APIToken(tb testing.TB, p access.Principal, role string, perms ...string) token.Created {
	tb.Helper()
	sys := access.SystemPrincipal()
	sys.CompanyID = p.CompanyID
	c, err := w.Token.Create(context.Background(), sys, token.NewToken{Name: "test", Role: role, Permissions: perms, CreatorID: p.UserID,
		Bare: role == "" && len(perms) == 0})
	must(tb, err, "create a token for %s", p)
	return c
}
