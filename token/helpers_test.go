package token_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
	"github.com/gatehouse-go/gatehouse/token"
)

// env is the shared test world (storetest.World) over a memory store
// wrapped to count the token store's calls, with the audit events the
// hooks saw.
type env struct {
	*storetest.World
	st      *counting
	acc     *access.Service
	tok     *token.Service
	clock   *storetest.Clock
	owner   access.User
	company access.Company
	asOwner access.Principal
	events  *[]access.AuditEvent
}

func newEnv(t testing.TB, opts ...token.Option) *env {
	t.Helper()
	var mu sync.Mutex
	events := &[]access.AuditEvent{}
	st := &counting{Store: memstore.New()}
	// Cheap password hashes: the tests hash many.
	w := storetest.NewWorld(t, st, storetest.WithToken(opts...), storetest.WithAccess(access.WithAuditHook(func(e access.AuditEvent) {
		mu.Lock()
		defer mu.Unlock()
		*events = append(*events, e)
	}), access.WithTestPasswordParams(access.PasswordParams{})))
	return &env{World: w, st: st, acc: w.Access, tok: w.Token, clock: w.Clock, owner: w.Owner, company: w.Company,
		asOwner: w.AsOwner, events: events}
}

func (e *env) user(t testing.TB, name string) access.User { return e.User(t, name) }

func (e *env) member(t *testing.T, name, role string, perms ...string) (access.User, access.Principal) {
	t.Helper()
	u := e.user(t, name)
	return u, e.AddMember(t, e.company.ID, u, role, perms...)
}

func (e *env) create(t *testing.T, p access.Principal, in token.NewToken) token.Created {
	t.Helper()
	if in.Name == "" {
		in.Name = "ci"
	}
	c, err := e.tok.Create(context.Background(), p, in)
	require.NoError(t, err)
	return c
}

// counting wraps a store and counts the token store calls. With a nil
// Store, any other call panics: a test that expects no store access at
// all uses that.
type counting struct {
	store.Store
	lookups, touches, calls atomic.Int64
}

func (c *counting) count() { c.calls.Add(1) }

func (c *counting) RunInTx(ctx context.Context, fn func(ctx context.Context) error) error {
	c.count()
	return c.Store.RunInTx(ctx, fn)
}

func (c *counting) GetUser(ctx context.Context, id uuid.UUID) (access.User, error) {
	c.count()
	return c.Store.GetUser(ctx, id)
}

func (c *counting) CreateToken(ctx context.Context, t *token.Token) error {
	c.count()
	return c.Store.CreateToken(ctx, t)
}

func (c *counting) GetTokenByHash(ctx context.Context, d token.Digest) (token.Token, error) {
	c.count()
	c.lookups.Add(1)
	return c.Store.GetTokenByHash(ctx, d)
}

func (c *counting) GetToken(ctx context.Context, companyID, id uuid.UUID) (token.Token, error) {
	c.count()
	return c.Store.GetToken(ctx, companyID, id)
}

func (c *counting) ListTokens(ctx context.Context, companyID uuid.UUID, cur access.Cursor) ([]token.Token, error) {
	c.count()
	return c.Store.ListTokens(ctx, companyID, cur)
}

func (c *counting) RevokeToken(ctx context.Context, companyID, id uuid.UUID, at time.Time) (token.Token, error) {
	c.count()
	return c.Store.RevokeToken(ctx, companyID, id, at)
}

func (c *counting) TouchToken(ctx context.Context, id uuid.UUID, at time.Time) error {
	c.count()
	c.touches.Add(1)
	return c.Store.TouchToken(ctx, id, at)
}

func (c *counting) CreateLoginLink(ctx context.Context, l *token.LoginLink) error {
	c.count()
	return c.Store.CreateLoginLink(ctx, l)
}

func (c *counting) ConsumeLoginLink(ctx context.Context, d token.Digest, now time.Time) (token.LoginLink, error) {
	c.count()
	return c.Store.ConsumeLoginLink(ctx, d, now)
}

func (c *counting) RevokeLoginLinks(ctx context.Context, companyID, userID uuid.UUID, at time.Time) (int, error) {
	c.count()
	return c.Store.RevokeLoginLinks(ctx, companyID, userID, at)
}
