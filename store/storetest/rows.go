package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/token"
)

// rows is a fresh store with builders for its rows, for the tests of the
// store methods themselves (the services' tests start from a World).
type rows struct {
	t   *testing.T
	s   store.Store
	ctx context.Context
	now time.Time
}

func newRows(t *testing.T, newStore Factory) *rows {
	t.Helper()
	return &rows{t: t, s: newStore(t), ctx: context.Background(), now: T0}
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func (f *rows) user(mods ...func(*access.User)) access.User {
	f.t.Helper()
	id := newID()
	u := access.User{
		ID: id, Email: "u-" + id.String() + "@example.com", FirstName: "Ada", LastName: "Lovelace",
		Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now,
	}
	for _, m := range mods {
		m(&u)
	}
	require.NoError(f.t, f.s.CreateUser(f.ctx, &u))
	return u
}

func (f *rows) company(mods ...func(*access.Company)) access.Company {
	f.t.Helper()
	c := access.Company{ID: newID(), Name: "Acme", CreatedAt: f.now, UpdatedAt: f.now}
	for _, m := range mods {
		m(&c)
	}
	require.NoError(f.t, f.s.CreateCompany(f.ctx, &c))
	return c
}

func (f *rows) member(companyID, userID uuid.UUID, role string, mods ...func(*access.Membership)) access.Membership {
	f.t.Helper()
	m := access.Membership{
		ID: newID(), CompanyID: companyID, UserID: userID, Role: role, Active: true, AllowSwitch: true,
		CreatedAt: f.now, UpdatedAt: f.now,
	}
	for _, mod := range mods {
		mod(&m)
	}
	require.NoError(f.t, f.s.CreateMembership(f.ctx, &m))
	return m
}

func (f *rows) grant(companyID uuid.UUID, s access.Subject, r access.Resource, level int) access.Grant {
	f.t.Helper()
	g := access.Grant{ID: newID(), CompanyID: companyID, Subject: s, Resource: r, Level: level, CreatedAt: f.now}
	require.NoError(f.t, f.s.CreateGrant(f.ctx, &g))
	return g
}

func (f *rows) connect(customerID, agencyID uuid.UUID, perms ...string) access.Connection {
	f.t.Helper()
	return f.connectAs(newID(), customerID, agencyID, perms...)
}

func (f *rows) connectAs(id, customerID, agencyID uuid.UUID, perms ...string) access.Connection {
	f.t.Helper()
	c := access.Connection{ID: id, CustomerID: customerID, AgencyID: agencyID, Permissions: perms, CreatedAt: f.now, UpdatedAt: f.now}
	require.NoError(f.t, f.s.CreateConnection(f.ctx, &c))
	return c
}

func (f *rows) event(companyID uuid.UUID, id uuid.UUID, action string) access.AuditEvent {
	f.t.Helper()
	e := access.AuditEvent{
		ID: id, CompanyID: companyID, Actor: "system", Action: action, Target: "company:" + companyID.String(),
		Outcome: "success", Details: map[string]string{"k": action}, At: f.now,
	}
	require.NoError(f.t, f.s.AppendAudit(f.ctx, &e))
	return e
}

// invitation stores a pending member invitation of company to email.
func (f *rows) invitation(companyID uuid.UUID, email string, mods ...func(*invite.Invitation)) invite.Invitation {
	f.t.Helper()
	id := newID()
	inv := invite.Invitation{
		ID: id, CompanyID: companyID, Kind: invite.KindMember, Email: email, Role: access.RoleViewer,
		Permissions: []string{access.UserView}, InvitedBy: newID(), Status: invite.StatusPending,
		TokenHash: token.Hash("token-" + id.String()), ExpiresAt: f.now.Add(time.Hour), SendCount: 1, LastSentAt: f.now,
		CreatedAt: f.now, UpdatedAt: f.now,
	}
	for _, m := range mods {
		m(&inv)
	}
	require.NoError(f.t, f.s.CreateInvitation(f.ctx, &inv))
	return inv
}

// apiToken is an API token of the company made by userID, not stored yet.
func (f *rows) apiToken(companyID, userID uuid.UUID, perms ...string) token.Token {
	s := token.Generate(token.KindAPI)
	return token.Token{ID: newID(), Kind: token.KindAPI, CompanyID: companyID, UserID: userID,
		Name: "ci", Permissions: perms, Level: access.LevelAdmin, Digest: token.Hash(s.Reveal()),
		Hint: s.Hint(), CreatedAt: f.now}
}

// session is a session token of the user, not stored yet.
func (f *rows) session(userID uuid.UUID) token.Token {
	s := token.Generate(token.KindSession)
	return token.Token{ID: newID(), Kind: token.KindSession, UserID: userID, Name: "session",
		Digest: token.Hash(s.Reveal()), Hint: s.Hint(), ExpiresAt: f.now.Add(time.Hour), CreatedAt: f.now}
}

// link is a login link of the user in the company, not stored yet.
func (f *rows) link(companyID, userID uuid.UUID, ttl time.Duration) token.LoginLink {
	return token.LoginLink{ID: newID(), CompanyID: companyID, UserID: userID, CreatedBy: userID,
		Digest: token.Hash(token.Generate(token.KindLoginLink).Reveal()), ExpiresAt: f.now.Add(ttl), CreatedAt: f.now}
}

func userSubject(id uuid.UUID) access.Subject {
	return access.Subject{Type: access.SubjectUser, ID: id}
}

var (
	account = access.Resource{Type: access.ResourceAccount}
	projA   = access.Resource{Type: "project", ID: "a"}
	projB   = access.Resource{Type: "project", ID: "b"}
	inboxA  = access.Resource{Type: "inbox", ID: "a"}
)
