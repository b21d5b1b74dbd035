package invite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/token"
)

// clock is a settable clock for the services.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// notes records the notifier's events.
type notes struct {
	mu     sync.Mutex
	events []invite.Event
	during func(invite.Event) // called inside Notify, if set
}

func (n *notes) Notify(_ context.Context, ev token.Event) {
	e := ev.(invite.Event)
	if n.during != nil {
		n.during(e)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, e)
}

func (n *notes) types() []invite.EventType {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []invite.EventType
	for _, e := range n.events {
		out = append(out, e.Type)
	}
	return out
}

func (n *notes) last() invite.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.events[len(n.events)-1]
}

// env is a memory store with both services, a company "Acme" owned by
// owner@acme.example, and a clock.
type env struct {
	ctx     context.Context
	st      *memstore.Store
	acc     *access.Service
	tok     *token.Service
	svc     *invite.Service
	clock   *clock
	notes   *notes
	company uuid.UUID
	ownerID uuid.UUID
	owner   access.Principal
}

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, opts ...invite.Option) *env {
	t.Helper()
	return newEnvWith(t, nil, opts...)
}

// newEnvWith is newEnv with options for the token service too.
func newEnvWith(t testing.TB, tokOpts []token.Option, opts ...invite.Option) *env {
	t.Helper()
	e := &env{ctx: context.Background(), st: memstore.New(), clock: &clock{t: t0}, notes: &notes{}}
	e.acc = access.NewService(e.st, access.WithClock(e.clock.now))
	e.tok = token.NewService(e.acc, tokOpts...)
	e.svc = invite.NewService(e.tok, append([]invite.Option{invite.WithNotifier(e.notes),
		invite.WithAcceptURL("https://app.example/invite/accept")}, opts...)...)
	e.company, e.ownerID = e.newCompany(t, "Acme", "owner@acme.example")
	e.owner = access.UserPrincipal(e.ownerID, e.company)
	return e
}

// newCompany creates a company owned by a new user.
func (e *env) newCompany(t testing.TB, name, ownerEmail string) (company, owner uuid.UUID) {
	t.Helper()
	u, err := e.acc.CreateUser(e.ctx, access.SystemPrincipal(), access.NewUser{Email: ownerEmail, FirstName: "Olga", LastName: "Owner"})
	require.NoError(t, err)
	c, err := e.acc.CreateCompany(e.ctx, access.UserPrincipal(u.ID, uuid.Nil), access.NewCompany{Name: name})
	require.NoError(t, err)
	return c.ID, u.ID
}

// member adds a new user with role (and extra permissions) to company.
func (e *env) member(t testing.TB, company uuid.UUID, email, role string, extra ...string) access.Principal {
	t.Helper()
	u, err := e.acc.CreateUser(e.ctx, access.SystemPrincipal(), access.NewUser{Email: email})
	require.NoError(t, err)
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: company}
	_, err = e.acc.AddMember(e.ctx, sys, access.NewMember{Email: email, Role: role, Permissions: extra})
	require.NoError(t, err)
	return access.UserPrincipal(u.ID, company)
}

func (e *env) invite(t testing.TB, email, role string, extra ...string) invite.Issued {
	t.Helper()
	is, err := e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: email, Role: role, Permissions: extra})
	require.NoError(t, err)
	return is
}

// stored reads an invitation as the store holds it.
func (e *env) stored(t testing.TB, id uuid.UUID) invite.Invitation {
	t.Helper()
	inv, err := e.st.GetInvitation(e.ctx, e.company, id)
	require.NoError(t, err)
	return inv
}

func (e *env) audit(t testing.TB, company uuid.UUID) []access.AuditEvent {
	t.Helper()
	evs, err := e.st.ListAudit(e.ctx, company, access.Cursor{Limit: access.MaxPageLimit})
	require.NoError(t, err)
	return evs
}

func actions(evs []access.AuditEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

func assertState(t *testing.T, err error, want invite.Status) {
	t.Helper()
	var se *invite.StateError
	if assert.ErrorAs(t, err, &se) {
		assert.Equal(t, want, se.Status)
	}
	assert.ErrorIs(t, err, access.ErrConflict)
	assert.Equal(t, access.Code("invitation_"+string(want)), access.CodeOf(err))
}

func anon() access.Principal { return access.Principal{} }
