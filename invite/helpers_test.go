package invite_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
	"github.com/gatehouse-go/gatehouse/token"
)

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

// env is the shared test world (storetest.World) on a memory store, with
// its company "Acme" owned by owner@acme.example, and the notices the
// invitation service sent.
type env struct {
	*storetest.World
	ctx     context.Context
	st      store.Store
	acc     *access.Service
	tok     *token.Service
	svc     *invite.Service
	clock   *storetest.Clock
	notes   *notes
	company uuid.UUID
	ownerID uuid.UUID
	owner   access.Principal
}

var t0 = storetest.T0

func newEnv(t testing.TB, opts ...invite.Option) *env {
	t.Helper()
	return newEnvWith(t, nil, opts...)
}

// newEnvWith is newEnv with options for the token service too.
func newEnvWith(t testing.TB, tokOpts []token.Option, opts ...invite.Option) *env {
	t.Helper()
	n := &notes{}
	w := storetest.NewWorld(t, memstore.New(),
		storetest.WithOwner(access.NewUser{Email: "owner@acme.example", FirstName: "Olga", LastName: "Owner"}),
		storetest.WithToken(tokOpts...),
		storetest.WithInvite(append([]invite.Option{invite.WithNotifier(n),
			invite.WithAcceptURL("https://app.example/invite/accept")}, opts...)...))
	return &env{World: w, ctx: context.Background(), st: w.Store, acc: w.Access, tok: w.Token, svc: w.Invite,
		clock: w.Clock, notes: n, company: w.Company.ID, ownerID: w.Owner.ID, owner: w.AsOwner}
}

// newCompany creates a company owned by a new user.
func (e *env) newCompany(t testing.TB, name, ownerEmail string) (company, owner uuid.UUID) {
	t.Helper()
	u := e.CreateUser(t, access.NewUser{Email: ownerEmail, FirstName: "Olga", LastName: "Owner"})
	c, _ := e.NewCompany(t, access.NewCompany{Name: name}, u)
	return c.ID, u.ID
}

// member adds a new user with role (and extra permissions) to company.
func (e *env) member(t testing.TB, company uuid.UUID, email, role string, extra ...string) access.Principal {
	t.Helper()
	return e.AddMember(t, company, e.CreateUser(t, access.NewUser{Email: email}), role, extra...)
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
