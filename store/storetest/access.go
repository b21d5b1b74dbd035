package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testAccessStore covers package access's Store, method by method, written
// against the interface only.
func testAccessStore(t *testing.T, newStore Factory) {
	t.Run("users", func(t *testing.T) { testUsers(t, newStore) })
	t.Run("companies", func(t *testing.T) { testCompanies(t, newStore) })
	t.Run("memberships", func(t *testing.T) { testMemberships(t, newStore) })
	t.Run("grants", func(t *testing.T) { testGrants(t, newStore) })
	t.Run("connections", func(t *testing.T) { testConnections(t, newStore) })
	t.Run("audit", func(t *testing.T) { testAudit(t, newStore) })
	t.Run("check_access", func(t *testing.T) { testCheckAccess(t, newStore) })
	t.Run("transactions", func(t *testing.T) { testTransactions(t, newStore) })
	t.Run("pagination", func(t *testing.T) { testPagination(t, newStore) })
	t.Run("copies", func(t *testing.T) { testCopies(t, newStore) })
}

// fixture is a fresh store with builders for its rows.
type fixture struct {
	t   *testing.T
	s   store.Store
	ctx context.Context
	now time.Time
}

func newFixture(t *testing.T, newStore Factory) *fixture {
	t.Helper()
	return &fixture{t: t, s: newStore(t), ctx: context.Background(), now: now()}
}

// now is the current time as PostgreSQL keeps it.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func (f *fixture) user(mods ...func(*access.User)) access.User {
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

func (f *fixture) company(mods ...func(*access.Company)) access.Company {
	f.t.Helper()
	c := access.Company{ID: newID(), Name: "Acme", CreatedAt: f.now, UpdatedAt: f.now}
	for _, m := range mods {
		m(&c)
	}
	require.NoError(f.t, f.s.CreateCompany(f.ctx, &c))
	return c
}

func (f *fixture) member(companyID, userID uuid.UUID, role string, mods ...func(*access.Membership)) access.Membership {
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

func (f *fixture) grant(companyID uuid.UUID, s access.Subject, r access.Resource, level int) access.Grant {
	f.t.Helper()
	g := access.Grant{ID: newID(), CompanyID: companyID, Subject: s, Resource: r, Level: level, CreatedAt: f.now}
	require.NoError(f.t, f.s.CreateGrant(f.ctx, &g))
	return g
}

func (f *fixture) connect(customerID, agencyID uuid.UUID, perms ...string) access.Connection {
	f.t.Helper()
	c := access.Connection{ID: newID(), CustomerID: customerID, AgencyID: agencyID, Permissions: perms, CreatedAt: f.now, UpdatedAt: f.now}
	require.NoError(f.t, f.s.CreateConnection(f.ctx, &c))
	return c
}

func (f *fixture) event(companyID uuid.UUID, id uuid.UUID, action string) access.AuditEvent {
	f.t.Helper()
	e := access.AuditEvent{
		ID: id, CompanyID: companyID, Actor: "system", Action: action, Target: "company:" + companyID.String(),
		Outcome: "success", Details: map[string]string{"k": action}, At: f.now,
	}
	require.NoError(f.t, f.s.AppendAudit(f.ctx, &e))
	return e
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

// The norm helpers make values read back from any store comparable with
// assert.Equal: times in UTC, empty slices and maps as nil.

func normUser(u access.User) access.User {
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u
}

func normCompany(c access.Company) access.Company {
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if len(c.Domains) == 0 {
		c.Domains = nil
	}
	return c
}

func normMembership(m access.Membership) access.Membership {
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	if len(m.Extra) == 0 {
		m.Extra = nil
	}
	return m
}

func normGrant(g access.Grant) access.Grant {
	g.CreatedAt = g.CreatedAt.UTC()
	return g
}

func normConnection(c access.Connection) access.Connection {
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if len(c.Permissions) == 0 {
		c.Permissions = nil
	}
	return c
}

func normEvent(e access.AuditEvent) access.AuditEvent {
	e.At = e.At.UTC()
	if len(e.Details) == 0 {
		e.Details = nil
	}
	return e
}

func assertNotFound(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	assert.ErrorIs(t, err, access.ErrNotFound, msgAndArgs...)
}

func assertConflict(t *testing.T, err error, code access.Code, msgAndArgs ...any) {
	t.Helper()
	if assert.ErrorIs(t, err, access.ErrConflict, msgAndArgs...) && code != "" {
		assert.Equal(t, code, access.CodeOf(err), msgAndArgs...)
	}
}

func all() access.Cursor { return access.Cursor{Limit: access.MaxPageLimit} }

func idsOf[T any](items []T, id func(T) uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func sortedIDs(ids ...uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	if out == nil {
		out = []uuid.UUID{}
	}
	return out
}

// activeIs is a filter value for the member listings.
func activeIs(b bool) *bool { return &b }

func testUsers(t *testing.T, newStore Factory) {
	t.Run("round trip", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company()
		u := f.user(func(u *access.User) {
			u.Profile = access.Profile{Lang: "de", Theme: "dark", Currency: "EUR", Birthdate: "1815-12-10", AvatarURL: "https://example.com/a.png"}
			u.ActiveCompanyID = c.ID
			u.UpdatedAt = f.now.Add(time.Second)
		})
		got, err := f.s.GetUser(f.ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, u, normUser(got))
		got, err = f.s.GetUserByEmail(f.ctx, u.Email)
		require.NoError(t, err)
		assert.Equal(t, u, normUser(got))
	})
	t.Run("not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		f.user()
		_, err := f.s.GetUser(f.ctx, newID())
		assertNotFound(t, err)
		_, err = f.s.GetUserByEmail(f.ctx, "nobody@example.com")
		assertNotFound(t, err)
		err = f.s.UpdateUser(f.ctx, &access.User{ID: newID(), Email: "x@example.com", Status: access.UserActive})
		assertNotFound(t, err)
	})
	t.Run("email taken", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := f.user()
		dup := access.User{ID: newID(), Email: u.Email, Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateUser(f.ctx, &dup), "email_taken")
		_, err := f.s.GetUser(f.ctx, dup.ID)
		assertNotFound(t, err, "the refused user was stored")
	})
	t.Run("update", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company()
		u := f.user()
		later := f.now.Add(time.Minute)
		upd := access.User{
			ID: u.ID, Email: "changed@example.com", FirstName: "Grace", LastName: "Hopper", Status: access.UserDisabled,
			Profile:         access.Profile{Lang: "en", Theme: "light", Currency: "USD", Birthdate: "1906-12-09", AvatarURL: "https://example.com/g.png"},
			ActiveCompanyID: c.ID, CreatedAt: later, UpdatedAt: later,
		}
		require.NoError(t, f.s.UpdateUser(f.ctx, &upd))
		got, err := f.s.GetUser(f.ctx, u.ID)
		require.NoError(t, err)
		want := upd
		want.Email, want.CreatedAt = u.Email, u.CreatedAt // never updated
		assert.Equal(t, want, normUser(got))
		_, err = f.s.GetUserByEmail(f.ctx, "changed@example.com")
		assertNotFound(t, err)
	})
}

func testCompanies(t *testing.T, newStore Factory) {
	t.Run("round trip", func(t *testing.T) {
		f := newFixture(t, newStore)
		parent := f.company()
		c := f.company(func(c *access.Company) {
			c.Name, c.ParentID, c.ExternalKey = "Child", parent.ID, "merchant-42"
			c.Domains = []string{"child.example", "www.child.example"}
		})
		for name, get := range map[string]func() (access.Company, error){
			"id":     func() (access.Company, error) { return f.s.GetCompany(f.ctx, c.ID) },
			"key":    func() (access.Company, error) { return f.s.GetCompanyByExternalKey(f.ctx, "merchant-42") },
			"domain": func() (access.Company, error) { return f.s.GetCompanyByDomain(f.ctx, "www.child.example") },
		} {
			got, err := get()
			if assert.NoError(t, err, name) {
				assert.Equal(t, c, normCompany(got), name)
			}
		}
		got, err := f.s.GetCompany(f.ctx, parent.ID)
		require.NoError(t, err)
		assert.Equal(t, parent, normCompany(got), "a company without parent, key and domains")
	})
	t.Run("not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "k", []string{"d.example"} })
		_, err := f.s.GetCompany(f.ctx, newID())
		assertNotFound(t, err)
		_, err = f.s.GetCompanyByExternalKey(f.ctx, "other")
		assertNotFound(t, err)
		_, err = f.s.GetCompanyByDomain(f.ctx, "other.example")
		assertNotFound(t, err)
		assertNotFound(t, f.s.UpdateCompany(f.ctx, &access.Company{ID: newID(), Name: "x"}))
		assertNotFound(t, f.s.DeleteCompany(f.ctx, newID()))
	})
	t.Run("external key and domains unique", func(t *testing.T) {
		f := newFixture(t, newStore)
		a := f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "key-a", []string{"a.example", "a2.example"} })
		b := f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "key-b", []string{"b.example"} })
		f.company() // no key, no domains: several may exist
		f.company()

		dupKey := access.Company{ID: newID(), Name: "x", ExternalKey: "key-a", CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateCompany(f.ctx, &dupKey), "")
		dupDomain := access.Company{ID: newID(), Name: "x", Domains: []string{"new.example", "a2.example"}, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateCompany(f.ctx, &dupDomain), "")
		_, err := f.s.GetCompanyByDomain(f.ctx, "new.example")
		assertNotFound(t, err, "a refused company left a domain behind")

		upd := b
		upd.ExternalKey = "key-a"
		assertConflict(t, f.s.UpdateCompany(f.ctx, &upd), "")
		upd = b
		upd.Domains = []string{"b.example", "a.example"}
		assertConflict(t, f.s.UpdateCompany(f.ctx, &upd), "")
		got, err := f.s.GetCompany(f.ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, b, normCompany(got), "a refused update changed the company")

		// Keeping its own key and domains is no conflict; released ones are free.
		upd = a
		upd.Domains = []string{"a.example"}
		require.NoError(t, f.s.UpdateCompany(f.ctx, &upd))
		upd = b
		upd.Domains = []string{"b.example", "a2.example"}
		require.NoError(t, f.s.UpdateCompany(f.ctx, &upd))
		got, err = f.s.GetCompanyByDomain(f.ctx, "a2.example")
		require.NoError(t, err)
		assert.Equal(t, b.ID, got.ID)
	})
	t.Run("update", func(t *testing.T) {
		f := newFixture(t, newStore)
		parent := f.company()
		c := f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "old-key", []string{"old.example"} })
		later := f.now.Add(time.Hour)
		upd := access.Company{
			ID: c.ID, Name: "Renamed", ParentID: parent.ID, ExternalKey: "new-key",
			Domains: []string{"new.example", "new2.example"}, CreatedAt: later, UpdatedAt: later,
		}
		require.NoError(t, f.s.UpdateCompany(f.ctx, &upd))
		want := upd
		want.CreatedAt = c.CreatedAt
		got, err := f.s.GetCompany(f.ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, want, normCompany(got))
		_, err = f.s.GetCompanyByExternalKey(f.ctx, "old-key")
		assertNotFound(t, err)
		_, err = f.s.GetCompanyByDomain(f.ctx, "old.example")
		assertNotFound(t, err)
		got, err = f.s.GetCompanyByDomain(f.ctx, "new2.example")
		require.NoError(t, err)
		assert.Equal(t, c.ID, got.ID)

		// Clearing the parent, key and domains.
		upd = access.Company{ID: c.ID, Name: "Bare", UpdatedAt: later}
		require.NoError(t, f.s.UpdateCompany(f.ctx, &upd))
		got, err = f.s.GetCompany(f.ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, uuid.Nil, got.ParentID)
		assert.Empty(t, got.ExternalKey)
		assert.Empty(t, got.Domains)
		_, err = f.s.GetCompanyByExternalKey(f.ctx, "new-key")
		assertNotFound(t, err)
	})
	t.Run("delete cascades", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "gone", []string{"gone.example"} })
		other := f.company()
		agency := f.company()
		customer := f.company()
		u := f.user(func(u *access.User) { u.ActiveCompanyID = c.ID })
		keep := f.user(func(u *access.User) { u.ActiveCompanyID = other.ID })
		f.member(c.ID, u.ID, access.RoleOwner, func(m *access.Membership) { m.Primary = true })
		om := f.member(other.ID, u.ID, access.RoleViewer)
		f.member(other.ID, keep.ID, access.RoleOwner)
		g := f.grant(c.ID, userSubject(u.ID), projA, access.LevelAdmin)
		tg := f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: newID()}, account, access.LevelViewer)
		og := f.grant(other.ID, userSubject(u.ID), projA, access.LevelAdmin)
		asCustomer := f.connect(c.ID, agency.ID, access.UserView)
		asAgency := f.connect(customer.ID, c.ID, access.UserView)
		oc := f.connect(other.ID, agency.ID)
		f.event(c.ID, newID(), "company.created")

		require.NoError(t, f.s.DeleteCompany(f.ctx, c.ID))

		_, err := f.s.GetCompany(f.ctx, c.ID)
		assertNotFound(t, err)
		_, err = f.s.GetMembership(f.ctx, c.ID, u.ID)
		assertNotFound(t, err)
		_, err = f.s.GetGrant(f.ctx, c.ID, g.ID)
		assertNotFound(t, err)
		_, err = f.s.GetGrant(f.ctx, c.ID, tg.ID)
		assertNotFound(t, err)
		_, err = f.s.GetConnection(f.ctx, agency.ID, asCustomer.ID)
		assertNotFound(t, err)
		_, err = f.s.GetConnection(f.ctx, customer.ID, asAgency.ID)
		assertNotFound(t, err)
		conns, err := f.s.ListConnections(f.ctx, agency.ID, all())
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{oc.ID}, idsOf(conns, func(c access.Connection) uuid.UUID { return c.ID }))
		ucs, err := f.s.ListUserCompanies(f.ctx, u.ID, nil, all())
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{om.ID}, idsOf(ucs, func(uc access.UserCompany) uuid.UUID { return uc.ID }))
		fa, err := f.s.CheckAccess(f.ctx, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Resource: projA})
		require.NoError(t, err)
		assert.Equal(t, access.AccessFacts{}, fa)

		got, err := f.s.GetUser(f.ctx, u.ID)
		require.NoError(t, err, "users outlive their companies")
		assert.Equal(t, uuid.Nil, got.ActiveCompanyID, "the active company pointed at the deleted one")
		got, err = f.s.GetUser(f.ctx, keep.ID)
		require.NoError(t, err)
		assert.Equal(t, other.ID, got.ActiveCompanyID)
		_, err = f.s.GetGrant(f.ctx, other.ID, og.ID)
		assert.NoError(t, err, "another company's grant went too")

		// The key and domain are free again; the primary flag went with the membership.
		f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "gone", []string{"gone.example"} })
		om.Primary = true
		assert.NoError(t, f.s.UpdateMembership(f.ctx, &om))
	})
	t.Run("lock", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company()
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			assert.NoError(t, f.s.LockCompany(ctx, c.ID))
			assertNotFound(t, f.s.LockCompany(ctx, newID()))
			return nil
		})
		assert.NoError(t, err)
	})
}

func testMemberships(t *testing.T, newStore Factory) {
	t.Run("round trip", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company(func(c *access.Company) { c.Domains = []string{"acme.example"} })
		boss := f.user()
		u := f.user()
		m := f.member(c.ID, u.ID, access.RoleAdmin, func(m *access.Membership) {
			m.Extra = []string{access.UserAdd, access.UserView}
			m.Primary, m.AllowSwitch, m.CreatedBy = true, false, boss.ID
			m.UpdatedAt = f.now.Add(time.Second)
		})
		got, err := f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, m, normMembership(got))

		mem, err := f.s.GetMember(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, m, normMembership(mem.Membership))
		assert.Equal(t, u, normUser(mem.User))
		if assert.NotNil(t, mem.CreatedByUser) {
			assert.Equal(t, boss.Summary(), *mem.CreatedByUser)
		}
		mem, err = f.s.GetMember(f.ctx, c.ID, boss.ID)
		assertNotFound(t, err)

		bm := f.member(c.ID, boss.ID, access.RoleOwner)
		mem, err = f.s.GetMember(f.ctx, c.ID, boss.ID)
		require.NoError(t, err)
		assert.Nil(t, mem.CreatedByUser, "no creator recorded")
		assert.Equal(t, bm, normMembership(mem.Membership))

		ucs, err := f.s.ListUserCompanies(f.ctx, u.ID, nil, all())
		require.NoError(t, err)
		if assert.Len(t, ucs, 1) {
			assert.Equal(t, m, normMembership(ucs[0].Membership))
			assert.Equal(t, c, normCompany(ucs[0].Company))
		}
		members, err := f.s.ListMembers(f.ctx, c.ID, nil, all())
		require.NoError(t, err)
		if assert.Len(t, members, 2) {
			byUser := map[uuid.UUID]access.Member{}
			for _, mm := range members {
				byUser[mm.UserID] = mm
			}
			assert.Equal(t, u, normUser(byUser[u.ID].User))
			assert.Equal(t, m, normMembership(byUser[u.ID].Membership))
			if assert.NotNil(t, byUser[u.ID].CreatedByUser) {
				assert.Equal(t, boss.Summary(), *byUser[u.ID].CreatedByUser)
			}
			assert.Equal(t, boss, normUser(byUser[boss.ID].User))
			assert.Nil(t, byUser[boss.ID].CreatedByUser)
		}
	})
	t.Run("one per user and company", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		u := f.user()
		f.member(c.ID, u.ID, access.RoleViewer)
		dup := access.Membership{ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleOwner, Active: true, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateMembership(f.ctx, &dup), "already_member")
		got, err := f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleViewer, got.Role)
		f.member(other.ID, u.ID, access.RoleOwner) // another company is fine
	})
	t.Run("not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		u := f.user()
		f.member(c.ID, u.ID, access.RoleViewer)
		_, err := f.s.GetMembership(f.ctx, other.ID, u.ID)
		assertNotFound(t, err)
		_, err = f.s.GetMember(f.ctx, other.ID, u.ID)
		assertNotFound(t, err)
		assertNotFound(t, f.s.UpdateMembership(f.ctx, &access.Membership{CompanyID: other.ID, UserID: u.ID, Role: access.RoleOwner}))
		assertNotFound(t, f.s.DeleteMembership(f.ctx, other.ID, u.ID))
		_, err = f.s.GetMembership(f.ctx, c.ID, u.ID)
		assert.NoError(t, err)
	})
	t.Run("update", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company()
		u, boss := f.user(), f.user()
		m := f.member(c.ID, u.ID, access.RoleViewer, func(m *access.Membership) { m.Extra = []string{access.UserView} })
		later := f.now.Add(time.Hour)
		upd := access.Membership{
			ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleAdmin, Extra: []string{access.UserEdit, access.UserView},
			Active: false, Primary: true, AllowSwitch: false, CreatedBy: boss.ID, CreatedAt: later, UpdatedAt: later,
		}
		require.NoError(t, f.s.UpdateMembership(f.ctx, &upd))
		want := upd
		want.ID, want.CreatedBy, want.CreatedAt = m.ID, m.CreatedBy, m.CreatedAt // never updated
		got, err := f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, want, normMembership(got))

		upd.Extra = nil
		require.NoError(t, f.s.UpdateMembership(f.ctx, &upd))
		got, err = f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Empty(t, got.Extra)
	})
	t.Run("one primary per user", func(t *testing.T) {
		f := newFixture(t, newStore)
		a, b := f.company(), f.company()
		u, v := f.user(), f.user()
		ma := f.member(a.ID, u.ID, access.RoleOwner, func(m *access.Membership) { m.Primary = true })
		mb := f.member(b.ID, u.ID, access.RoleOwner)
		f.member(b.ID, v.ID, access.RoleOwner, func(m *access.Membership) { m.Primary = true })

		mb.Primary = true
		assertConflict(t, f.s.UpdateMembership(f.ctx, &mb), "")
		got, err := f.s.GetMembership(f.ctx, b.ID, u.ID)
		require.NoError(t, err)
		assert.False(t, got.Primary)

		ma.Role = access.RoleAdmin // updating the primary one itself is fine
		require.NoError(t, f.s.UpdateMembership(f.ctx, &ma))

		require.NoError(t, f.s.ClearPrimary(f.ctx, u.ID))
		got, err = f.s.GetMembership(f.ctx, a.ID, u.ID)
		require.NoError(t, err)
		assert.False(t, got.Primary)
		assert.Equal(t, access.RoleAdmin, got.Role)
		got, err = f.s.GetMembership(f.ctx, b.ID, v.ID)
		require.NoError(t, err)
		assert.True(t, got.Primary, "ClearPrimary touched another user")

		require.NoError(t, f.s.UpdateMembership(f.ctx, &mb))
		got, err = f.s.GetMembership(f.ctx, b.ID, u.ID)
		require.NoError(t, err)
		assert.True(t, got.Primary)
		assert.NoError(t, f.s.ClearPrimary(f.ctx, newID()), "a user without memberships")
	})
	t.Run("delete removes the user's grants in the company", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		u, v := f.user(), f.user()
		f.member(c.ID, u.ID, access.RoleViewer)
		f.member(c.ID, v.ID, access.RoleViewer)
		f.member(other.ID, u.ID, access.RoleViewer)
		gone1 := f.grant(c.ID, userSubject(u.ID), projA, access.LevelAdmin)
		gone2 := f.grant(c.ID, userSubject(u.ID), account, access.LevelViewer)
		keepV := f.grant(c.ID, userSubject(v.ID), projA, access.LevelAdmin)
		keepOther := f.grant(other.ID, userSubject(u.ID), projA, access.LevelAdmin)
		keepToken := f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: u.ID}, projA, access.LevelAdmin)

		require.NoError(t, f.s.DeleteMembership(f.ctx, c.ID, u.ID))
		_, err := f.s.GetMembership(f.ctx, c.ID, u.ID)
		assertNotFound(t, err)
		for _, g := range []access.Grant{gone1, gone2} {
			_, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
			assertNotFound(t, err)
		}
		for _, g := range []access.Grant{keepV, keepOther, keepToken} {
			_, err := f.s.GetGrant(f.ctx, g.CompanyID, g.ID)
			assert.NoError(t, err)
		}
		_, err = f.s.GetMembership(f.ctx, other.ID, u.ID)
		assert.NoError(t, err)
		_, err = f.s.GetUser(f.ctx, u.ID)
		assert.NoError(t, err)
		f.member(c.ID, u.ID, access.RoleAdmin) // may join again
	})
	t.Run("count active owners", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		n, err := f.s.CountActiveOwners(f.ctx, c.ID)
		require.NoError(t, err)
		assert.Zero(t, n)
		o1, o2, o3, a, x := f.user(), f.user(), f.user(), f.user(), f.user()
		m1 := f.member(c.ID, o1.ID, access.RoleOwner)
		f.member(c.ID, o2.ID, access.RoleOwner)
		f.member(c.ID, o3.ID, access.RoleOwner, func(m *access.Membership) { m.Active = false })
		f.member(c.ID, a.ID, access.RoleAdmin)
		f.member(other.ID, x.ID, access.RoleOwner)
		n, err = f.s.CountActiveOwners(f.ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, 2, n)

		m1.Active = false
		require.NoError(t, f.s.UpdateMembership(f.ctx, &m1))
		n, err = f.s.CountActiveOwners(f.ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
	})
	t.Run("active filter", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company()
		u, v := f.user(), f.user()
		mu := f.member(c.ID, u.ID, access.RoleOwner)
		mv := f.member(c.ID, v.ID, access.RoleViewer, func(m *access.Membership) { m.Active = false })
		other := f.company()
		mo := f.member(other.ID, u.ID, access.RoleViewer, func(m *access.Membership) { m.Active = false })
		memberID := func(m access.Member) uuid.UUID { return m.ID }
		ucID := func(m access.UserCompany) uuid.UUID { return m.ID }
		for _, tc := range []struct {
			active   *bool
			members  []uuid.UUID
			userCos  []uuid.UUID
			describe string
		}{
			{nil, sortedIDs(mu.ID, mv.ID), sortedIDs(mu.ID, mo.ID), "both"},
			{activeIs(true), sortedIDs(mu.ID), sortedIDs(mu.ID), "active"},
			{activeIs(false), sortedIDs(mv.ID), sortedIDs(mo.ID), "inactive"},
		} {
			ms, err := f.s.ListMembers(f.ctx, c.ID, tc.active, all())
			require.NoError(t, err)
			assert.Equal(t, tc.members, idsOf(ms, memberID), tc.describe)
			ucs, err := f.s.ListUserCompanies(f.ctx, u.ID, tc.active, all())
			require.NoError(t, err)
			assert.Equal(t, tc.userCos, idsOf(ucs, ucID), tc.describe)
		}
		// Flipping the flag moves the membership between the filtered listings.
		mv.Active = true
		require.NoError(t, f.s.UpdateMembership(f.ctx, &mv))
		ms, err := f.s.ListMembers(f.ctx, c.ID, activeIs(true), all())
		require.NoError(t, err)
		assert.Equal(t, sortedIDs(mu.ID, mv.ID), idsOf(ms, memberID))
		ms, err = f.s.ListMembers(f.ctx, c.ID, activeIs(false), all())
		require.NoError(t, err)
		assert.Empty(t, ms)
	})
}

func testGrants(t *testing.T, newStore Factory) {
	t.Run("round trip", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company()
		u, boss := f.user(), f.user()
		g := access.Grant{
			ID: newID(), CompanyID: c.ID, Subject: userSubject(u.ID), Resource: projA,
			Level: access.LevelViewerPlus, CreatedBy: boss.ID, CreatedAt: f.now,
		}
		require.NoError(t, f.s.CreateGrant(f.ctx, &g))
		got, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
		require.NoError(t, err)
		assert.Equal(t, g, normGrant(got))
		acc := f.grant(c.ID, access.Subject{Type: access.SubjectInvite, ID: newID()}, account, access.LevelOwner)
		got, err = f.s.GetGrant(f.ctx, c.ID, acc.ID)
		require.NoError(t, err)
		assert.Equal(t, acc, normGrant(got))
	})
	t.Run("one per subject and resource", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		s := userSubject(newID())
		f.grant(c.ID, s, projA, access.LevelViewer)
		dup := access.Grant{ID: newID(), CompanyID: c.ID, Subject: s, Resource: projA, Level: access.LevelAdmin, CreatedAt: f.now}
		assertConflict(t, f.s.CreateGrant(f.ctx, &dup), "grant_exists")
		_, err := f.s.GetGrant(f.ctx, c.ID, dup.ID)
		assertNotFound(t, err)
		// Another resource, subject type or company is another grant.
		f.grant(c.ID, s, projB, access.LevelViewer)
		f.grant(c.ID, s, inboxA, access.LevelViewer)
		f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: s.ID}, projA, access.LevelViewer)
		f.grant(other.ID, s, projA, access.LevelViewer)
	})
	t.Run("isolation and not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		g := f.grant(c.ID, userSubject(newID()), projA, access.LevelViewer)
		_, err := f.s.GetGrant(f.ctx, other.ID, g.ID)
		assertNotFound(t, err)
		assertNotFound(t, f.s.UpdateGrantLevel(f.ctx, other.ID, g.ID, access.LevelOwner))
		assertNotFound(t, f.s.DeleteGrant(f.ctx, other.ID, g.ID))
		_, err = f.s.GetGrant(f.ctx, c.ID, newID())
		assertNotFound(t, err)
		assertNotFound(t, f.s.UpdateGrantLevel(f.ctx, c.ID, newID(), access.LevelOwner))
		assertNotFound(t, f.s.DeleteGrant(f.ctx, c.ID, newID()))
		got, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
		require.NoError(t, err)
		assert.Equal(t, g, normGrant(got), "another company's call changed the grant")
	})
	t.Run("update level and delete", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company()
		g := f.grant(c.ID, userSubject(newID()), projA, access.LevelViewer)
		require.NoError(t, f.s.UpdateGrantLevel(f.ctx, c.ID, g.ID, access.LevelAdmin))
		got, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
		require.NoError(t, err)
		g.Level = access.LevelAdmin
		assert.Equal(t, g, normGrant(got))
		require.NoError(t, f.s.DeleteGrant(f.ctx, c.ID, g.ID))
		_, err = f.s.GetGrant(f.ctx, c.ID, g.ID)
		assertNotFound(t, err)
		assertNotFound(t, f.s.DeleteGrant(f.ctx, c.ID, g.ID))
		f.grant(c.ID, g.Subject, projA, access.LevelViewer) // the resource is free again
	})
	t.Run("delete subject grants", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		inv := access.Subject{Type: access.SubjectInvite, ID: newID()}
		f.grant(c.ID, inv, projA, access.LevelViewer)
		f.grant(c.ID, inv, account, access.LevelViewer)
		keep1 := f.grant(other.ID, inv, projA, access.LevelViewer)
		keep2 := f.grant(c.ID, userSubject(inv.ID), projA, access.LevelViewer)
		n, err := f.s.DeleteSubjectGrants(f.ctx, c.ID, inv)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subject: &inv}, all())
		require.NoError(t, err)
		assert.Empty(t, gs)
		for _, g := range []access.Grant{keep1, keep2} {
			_, err := f.s.GetGrant(f.ctx, g.CompanyID, g.ID)
			assert.NoError(t, err)
		}
		n, err = f.s.DeleteSubjectGrants(f.ctx, c.ID, inv)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
	t.Run("move subject grants", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		inv := access.Subject{Type: access.SubjectInvite, ID: newID()}
		usr := userSubject(newID())
		f.grant(c.ID, inv, projA, access.LevelViewerPlus)      // moves
		f.grant(c.ID, inv, projB, access.LevelViewer)          // lower than the user's: dropped
		f.grant(c.ID, inv, account, access.LevelAdmin)         // higher than the user's: wins
		f.grant(c.ID, usr, projB, access.LevelViewerPlus)      // stays
		f.grant(c.ID, usr, account, access.LevelViewer)        // raised
		f.grant(c.ID, usr, inboxA, access.LevelViewer)         // untouched
		oi := f.grant(other.ID, inv, projA, access.LevelOwner) // another company

		require.NoError(t, f.s.MoveSubjectGrants(f.ctx, c.ID, inv, usr))

		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subject: &usr}, all())
		require.NoError(t, err)
		levels := map[access.Resource]int{}
		for _, g := range gs {
			assert.Equal(t, usr, g.Subject)
			assert.Equal(t, c.ID, g.CompanyID)
			levels[g.Resource] = g.Level
		}
		assert.Equal(t, map[access.Resource]int{
			projA: access.LevelViewerPlus, projB: access.LevelViewerPlus,
			account: access.LevelAdmin, inboxA: access.LevelViewer,
		}, levels)
		gs, err = f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subject: &inv}, all())
		require.NoError(t, err)
		assert.Empty(t, gs)
		_, err = f.s.GetGrant(f.ctx, other.ID, oi.ID)
		assert.NoError(t, err)
		assert.NoError(t, f.s.MoveSubjectGrants(f.ctx, c.ID, inv, usr), "nothing left to move")
	})
	t.Run("list filters", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		u1, u2 := userSubject(newID()), userSubject(newID())
		tok := access.Subject{Type: access.SubjectToken, ID: newID()}
		inv := access.Subject{Type: access.SubjectInvite, ID: newID()}
		g1 := f.grant(c.ID, u1, projA, access.LevelViewer)
		g2 := f.grant(c.ID, u1, account, access.LevelViewer)
		g3 := f.grant(c.ID, u2, projB, access.LevelViewer)
		g4 := f.grant(c.ID, tok, projA, access.LevelViewer)
		g5 := f.grant(c.ID, inv, inboxA, access.LevelViewer)
		f.grant(other.ID, u1, projA, access.LevelViewer)
		for _, tc := range []struct {
			name string
			q    access.GrantQuery
			want []uuid.UUID
		}{
			{"all", access.GrantQuery{}, sortedIDs(g1.ID, g2.ID, g3.ID, g4.ID, g5.ID)},
			{"one resource", access.GrantQuery{Resources: []access.Resource{projA}}, sortedIDs(g1.ID, g4.ID)},
			{"any of", access.GrantQuery{Resources: []access.Resource{projB, account, inboxA}}, sortedIDs(g2.ID, g3.ID, g5.ID)},
			{"account", access.GrantQuery{Resources: []access.Resource{account}}, sortedIDs(g2.ID)},
			{"no match", access.GrantQuery{Resources: []access.Resource{{Type: "project", ID: "zzz"}}}, sortedIDs()},
			{"subject type", access.GrantQuery{SubjectType: access.SubjectUser}, sortedIDs(g1.ID, g2.ID, g3.ID)},
			{"subject", access.GrantQuery{Subject: &u1}, sortedIDs(g1.ID, g2.ID)},
			{"subject and resource", access.GrantQuery{Subject: &u1, Resources: []access.Resource{projA, projB}}, sortedIDs(g1.ID)},
			{"type and resource", access.GrantQuery{SubjectType: access.SubjectToken, Resources: []access.Resource{projA}}, sortedIDs(g4.ID)},
		} {
			gs, err := f.s.ListGrants(f.ctx, c.ID, tc.q, all())
			require.NoError(t, err, tc.name)
			assert.Equal(t, tc.want, idsOf(gs, func(g access.Grant) uuid.UUID { return g.ID }), tc.name)
		}
		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subject: &u2}, all())
		require.NoError(t, err)
		if assert.Len(t, gs, 1) {
			assert.Equal(t, g3, normGrant(gs[0]))
		}
	})
}

func testConnections(t *testing.T, newStore Factory) {
	t.Run("round trip and either side", func(t *testing.T) {
		f := newFixture(t, newStore)
		cust, ag, third := f.company(), f.company(), f.company()
		c := f.connect(cust.ID, ag.ID, access.UserView, access.UserEdit)
		for _, side := range []uuid.UUID{cust.ID, ag.ID} {
			got, err := f.s.GetConnection(f.ctx, side, c.ID)
			if assert.NoError(t, err) {
				assert.Equal(t, c, normConnection(got))
			}
			cs, err := f.s.ListConnections(f.ctx, side, all())
			require.NoError(t, err)
			if assert.Len(t, cs, 1) {
				assert.Equal(t, c, normConnection(cs[0]))
			}
		}
		_, err := f.s.GetConnection(f.ctx, third.ID, c.ID)
		assertNotFound(t, err, "a third company sees the connection")
		assertNotFound(t, f.s.DeleteConnection(f.ctx, third.ID, c.ID))
		cs, err := f.s.ListConnections(f.ctx, third.ID, all())
		require.NoError(t, err)
		assert.Empty(t, cs)
		_, err = f.s.GetConnection(f.ctx, cust.ID, newID())
		assertNotFound(t, err)
	})
	t.Run("one per pair", func(t *testing.T) {
		f := newFixture(t, newStore)
		a, b, c := f.company(), f.company(), f.company()
		f.connect(a.ID, b.ID)
		for _, dup := range []access.Connection{
			{ID: newID(), CustomerID: a.ID, AgencyID: b.ID, CreatedAt: f.now, UpdatedAt: f.now},
			{ID: newID(), CustomerID: b.ID, AgencyID: a.ID, CreatedAt: f.now, UpdatedAt: f.now},
		} {
			assertConflict(t, f.s.CreateConnection(f.ctx, &dup), "already_connected")
		}
		f.connect(c.ID, b.ID)
		f.connect(a.ID, c.ID)
	})
	t.Run("never to itself", func(t *testing.T) {
		f := newFixture(t, newStore)
		a := f.company()
		err := f.s.CreateConnection(f.ctx, &access.Connection{ID: newID(), CustomerID: a.ID, AgencyID: a.ID, CreatedAt: f.now, UpdatedAt: f.now})
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, "agency_id", access.FieldOf(err))
		conns, err := f.s.ListConnections(f.ctx, a.ID, access.Cursor{Limit: 10})
		require.NoError(t, err)
		assert.Empty(t, conns)
	})
	t.Run("update permissions", func(t *testing.T) {
		f := newFixture(t, newStore)
		a, b := f.company(), f.company()
		c := f.connect(a.ID, b.ID, access.UserView)
		later := f.now.Add(time.Hour)
		upd := c
		upd.Permissions, upd.UpdatedAt = []string{access.UserEdit, access.UserView}, later
		require.NoError(t, f.s.UpdateConnectionPermissions(f.ctx, &upd))
		got, err := f.s.GetConnection(f.ctx, a.ID, c.ID)
		require.NoError(t, err)
		assert.Equal(t, upd, normConnection(got))
		upd.Permissions = nil
		require.NoError(t, f.s.UpdateConnectionPermissions(f.ctx, &upd))
		got, err = f.s.GetConnection(f.ctx, b.ID, c.ID)
		require.NoError(t, err)
		assert.Empty(t, got.Permissions)
		assert.Equal(t, c.CreatedAt, got.CreatedAt.UTC())
		assertNotFound(t, f.s.UpdateConnectionPermissions(f.ctx, &access.Connection{ID: newID(), CustomerID: a.ID, AgencyID: b.ID}))
	})
	t.Run("delete", func(t *testing.T) {
		f := newFixture(t, newStore)
		a, b := f.company(), f.company()
		c1 := f.connect(a.ID, b.ID)
		require.NoError(t, f.s.DeleteConnection(f.ctx, b.ID, c1.ID), "the agency side may delete")
		_, err := f.s.GetConnection(f.ctx, a.ID, c1.ID)
		assertNotFound(t, err)
		assertNotFound(t, f.s.DeleteConnection(f.ctx, a.ID, c1.ID))
		c2 := f.connect(b.ID, a.ID) // the pair is free again, either way round
		require.NoError(t, f.s.DeleteConnection(f.ctx, b.ID, c2.ID), "the customer side may delete")
		cs, err := f.s.ListConnections(f.ctx, a.ID, all())
		require.NoError(t, err)
		assert.Empty(t, cs)
	})
}

func testAudit(t *testing.T, newStore Factory) {
	f := newFixture(t, newStore)
	c, other := f.company(), f.company()
	ids := make([]uuid.UUID, 5)
	for i := range ids {
		ids[i] = newID()
	}
	want := make([]access.AuditEvent, len(ids))
	for _, i := range []int{3, 0, 4, 1, 2} { // appended out of order
		want[i] = f.event(c.ID, ids[i], "action")
	}
	f.event(other.ID, newID(), "elsewhere")
	f.event(uuid.Nil, newID(), "global") // outside any company

	got, err := f.s.ListAudit(f.ctx, c.ID, all())
	require.NoError(t, err)
	norm := make([]access.AuditEvent, len(got))
	for i, e := range got {
		norm[i] = normEvent(e)
	}
	assert.Equal(t, want, norm, "a company's events, ordered by ID")

	got, err = f.s.ListAudit(f.ctx, c.ID, access.Cursor{After: ids[1], Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, ids[2:4], idsOf(got, func(e access.AuditEvent) uuid.UUID { return e.ID }))

	bare := access.AuditEvent{ID: newID(), CompanyID: other.ID, Actor: "system", Action: "bare", At: f.now}
	require.NoError(t, f.s.AppendAudit(f.ctx, &bare))
	got, err = f.s.ListAudit(f.ctx, other.ID, all())
	require.NoError(t, err)
	var found bool
	for _, e := range got {
		if e.ID == bare.ID {
			found = true
			assert.Equal(t, bare, normEvent(e))
		}
	}
	assert.True(t, found, "event without details")
}

func testCheckAccess(t *testing.T, newStore Factory) {
	f := newFixture(t, newStore)
	c, other := f.company(), f.company()
	agency, agency2, otherAgency := f.company(), f.company(), f.company()
	u := f.user()
	inactive := f.user()
	stranger := f.user()
	f.member(c.ID, u.ID, access.RoleViewer, func(m *access.Membership) { m.Extra = []string{access.UserAdd, access.UserView} })
	f.member(c.ID, inactive.ID, access.RoleAdmin, func(m *access.Membership) { m.Active = false })
	tok := newID()

	f.grant(c.ID, userSubject(u.ID), projA, access.LevelViewerPlus)
	f.grant(c.ID, userSubject(u.ID), inboxA, access.LevelOwner)
	f.grant(other.ID, userSubject(u.ID), projB, access.LevelOwner)
	f.grant(c.ID, access.Subject{Type: access.SubjectInvite, ID: u.ID}, projB, access.LevelOwner)
	f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: tok}, projA, access.LevelViewer)

	check := func(t *testing.T, q access.AccessQuery) access.AccessFacts {
		t.Helper()
		facts, err := f.s.CheckAccess(f.ctx, q)
		require.NoError(t, err)
		if facts.Member {
			m, err := f.s.GetMembership(f.ctx, q.CompanyID, q.UserID)
			require.NoError(t, err)
			assert.True(t, m.CreatedAt.Equal(facts.MemberSince), "MemberSince is the membership's CreatedAt")
		} else {
			assert.True(t, facts.MemberSince.IsZero())
		}
		facts.MemberSince = time.Time{} // compared above
		return facts
	}

	t.Run("membership", func(t *testing.T) {
		assert.Equal(t, access.AccessFacts{Member: true, Active: true, Role: access.RoleViewer, HasExtra: true},
			check(t, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Permission: access.UserAdd}))
		assert.Equal(t, access.AccessFacts{Member: true, Active: true, Role: access.RoleViewer},
			check(t, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Permission: access.UserDelete}))
		assert.Equal(t, access.AccessFacts{Member: true, Active: true, Role: access.RoleViewer},
			check(t, access.AccessQuery{CompanyID: c.ID, UserID: u.ID}))
		assert.Equal(t, access.AccessFacts{Member: true, Active: false, Role: access.RoleAdmin},
			check(t, access.AccessQuery{CompanyID: c.ID, UserID: inactive.ID, Permission: access.UserAdd}))
		assert.Equal(t, access.AccessFacts{}, check(t, access.AccessQuery{CompanyID: c.ID, UserID: stranger.ID, Permission: access.UserAdd}))
		assert.Equal(t, access.AccessFacts{}, check(t, access.AccessQuery{CompanyID: newID(), UserID: newID()}), "nothing exists: no error")
	})
	t.Run("grant level", func(t *testing.T) {
		level := func(r access.Resource) int {
			return check(t, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Resource: r}).GrantLevel
		}
		assert.Equal(t, access.LevelViewerPlus, level(projA))
		assert.Equal(t, access.LevelOwner, level(inboxA))
		assert.Zero(t, level(projB), "another company's grant or another subject type's")
		assert.Zero(t, level(account))
		assert.Zero(t, check(t, access.AccessQuery{CompanyID: c.ID, UserID: u.ID}).GrantLevel, "no resource asked")

		acc := f.grant(c.ID, userSubject(u.ID), account, access.LevelAdmin)
		assert.Equal(t, access.LevelAdmin, level(projA), "the account grant is higher")
		assert.Equal(t, access.LevelAdmin, level(projB), "the account covers every resource")
		assert.Equal(t, access.LevelOwner, level(inboxA), "the resource grant is higher")
		assert.Equal(t, access.LevelAdmin, level(account))
		require.NoError(t, f.s.DeleteGrant(f.ctx, c.ID, acc.ID))
		assert.Zero(t, level(projB))

		facts := check(t, access.AccessQuery{CompanyID: c.ID, UserID: stranger.ID, Resource: projA})
		assert.False(t, facts.Member)
		assert.Zero(t, facts.GrantLevel)
	})
	t.Run("token grant level", func(t *testing.T) {
		q := access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Resource: projA, TokenID: tok}
		facts := check(t, q)
		assert.Equal(t, access.LevelViewer, facts.TokenGrantLevel)
		assert.Equal(t, access.LevelViewerPlus, facts.GrantLevel, "the user's own grants still count")
		q.Resource = inboxA
		assert.Zero(t, check(t, q).TokenGrantLevel, "the user's grant is not the token's")
		q.TokenID = uuid.Nil
		q.Resource = projA
		assert.Zero(t, check(t, q).TokenGrantLevel, "no token asked")

		accGrant := f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: tok}, account, access.LevelAdmin)
		q.TokenID, q.Resource = tok, inboxA
		assert.Equal(t, access.LevelAdmin, check(t, q).TokenGrantLevel)
		q.TokenID = newID()
		assert.Zero(t, check(t, q).TokenGrantLevel, "another token")
		require.NoError(t, f.s.DeleteGrant(f.ctx, c.ID, accGrant.ID))
	})
	t.Run("connections", func(t *testing.T) {
		roles := []string{access.RoleOwner, access.RoleAdmin}
		a := f.user()
		f.member(agency.ID, a.ID, access.RoleAdmin)
		conn := f.connect(c.ID, agency.ID, access.UserView)
		f.connect(otherAgency.ID, c.ID, access.UserView, access.UserEdit) // c is the agency here
		q := access.AccessQuery{CompanyID: c.ID, UserID: a.ID, Permission: access.UserView, AgencyRoles: roles}

		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionHas: true, ConnectionID: conn.ID}, check(t, q))
		q.Permission = access.UserEdit
		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionID: conn.ID}, check(t, q))
		q.Permission = ""
		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionID: conn.ID}, check(t, q))
		q.AgencyRoles = nil
		assert.Equal(t, access.AccessFacts{}, check(t, q), "connections not consulted")
		q.AgencyRoles = []string{access.RoleOwner}
		assert.Equal(t, access.AccessFacts{}, check(t, q), "role not among AgencyRoles")

		// A member of the customer does not act in the agency.
		om := f.user()
		f.member(otherAgency.ID, om.ID, access.RoleOwner)
		assert.False(t, check(t, access.AccessQuery{CompanyID: c.ID, UserID: om.ID, Permission: access.UserView, AgencyRoles: roles}).Connected)

		// An inactive agency member is not connected.
		ia := f.user()
		f.member(agency.ID, ia.ID, access.RoleOwner, func(m *access.Membership) { m.Active = false })
		assert.False(t, check(t, access.AccessQuery{CompanyID: c.ID, UserID: ia.ID, AgencyRoles: roles}).Connected)

		// A membership wins: connections are not consulted for a member,
		// not even a deactivated one.
		f.member(agency.ID, u.ID, access.RoleOwner)
		assert.Equal(t, access.AccessFacts{Member: true, Active: true, Role: access.RoleViewer, HasExtra: true},
			check(t, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Permission: access.UserView, AgencyRoles: roles}))
		f.member(agency.ID, inactive.ID, access.RoleOwner)
		assert.Equal(t, access.AccessFacts{Member: true, Role: access.RoleAdmin},
			check(t, access.AccessQuery{CompanyID: c.ID, UserID: inactive.ID, Permission: access.UserView, AgencyRoles: roles}))

		// Permissions are read live.
		upd := conn
		upd.Permissions = []string{access.UserEdit}
		require.NoError(t, f.s.UpdateConnectionPermissions(f.ctx, &upd))
		q = access.AccessQuery{CompanyID: c.ID, UserID: a.ID, Permission: access.UserEdit, AgencyRoles: roles}
		assert.True(t, check(t, q).ConnectionHas)

		// Of two agencies, the one whose connection holds the permission.
		f.member(agency2.ID, a.ID, access.RoleOwner)
		conn2 := f.connect(c.ID, agency2.ID, access.UserDelete)
		q.Permission = access.UserDelete
		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionHas: true, ConnectionID: conn2.ID}, check(t, q))
		require.NoError(t, f.s.DeleteConnection(f.ctx, c.ID, conn2.ID))

		require.NoError(t, f.s.DeleteConnection(f.ctx, agency.ID, conn.ID))
		assert.Equal(t, access.AccessFacts{}, check(t, q), "after the connection went")
	})
}

var errSentinel = errors.New("storetest: sentinel")

func testTransactions(t *testing.T, newStore Factory) {
	t.Run("commit", func(t *testing.T) {
		f := newFixture(t, newStore)
		var u access.User
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			u = access.User{ID: newID(), Email: "tx@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			if err := f.s.CreateUser(ctx, &u); err != nil {
				return err
			}
			got, err := f.s.GetUser(ctx, u.ID)
			if assert.NoError(t, err, "the transaction reads its own writes") {
				assert.Equal(t, u.Email, got.Email)
			}
			return nil
		})
		require.NoError(t, err)
		_, err = f.s.GetUser(f.ctx, u.ID)
		assert.NoError(t, err)
	})
	t.Run("rollback leaves no trace", func(t *testing.T) {
		f := newFixture(t, newStore)
		before := f.user()
		c := f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "kept", []string{"kept.example"} })
		m := f.member(c.ID, before.ID, access.RoleOwner, func(m *access.Membership) { m.Primary = true })
		g := f.grant(c.ID, userSubject(before.ID), projA, access.LevelViewer)
		partner := f.company()
		conn := f.connect(c.ID, partner.ID, access.UserView)

		var newUser access.User
		var newCompany access.Company
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			newUser = access.User{ID: newID(), Email: "gone@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateUser(ctx, &newUser))
			newCompany = access.Company{ID: newID(), Name: "Gone", ExternalKey: "gone", Domains: []string{"gone.example"}, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateCompany(ctx, &newCompany))
			require.NoError(t, f.s.CreateMembership(ctx, &access.Membership{ID: newID(), CompanyID: newCompany.ID, UserID: newUser.ID, Role: access.RoleOwner, Active: true, Primary: true, CreatedAt: f.now, UpdatedAt: f.now}))
			require.NoError(t, f.s.CreateGrant(ctx, &access.Grant{ID: newID(), CompanyID: c.ID, Subject: userSubject(newUser.ID), Resource: projA, Level: 10, CreatedAt: f.now}))
			require.NoError(t, f.s.CreateConnection(ctx, &access.Connection{ID: newID(), CustomerID: newCompany.ID, AgencyID: c.ID, CreatedAt: f.now, UpdatedAt: f.now}))
			require.NoError(t, f.s.AppendAudit(ctx, &access.AuditEvent{ID: newID(), CompanyID: c.ID, Actor: "system", Action: "x", At: f.now}))

			upd := before
			upd.FirstName, upd.ActiveCompanyID = "Changed", newCompany.ID
			require.NoError(t, f.s.UpdateUser(ctx, &upd))
			cu := c
			cu.Name, cu.ExternalKey, cu.Domains = "Changed", "changed", []string{"changed.example"}
			require.NoError(t, f.s.UpdateCompany(ctx, &cu))
			mu := m
			mu.Role, mu.Active = access.RoleViewer, false
			require.NoError(t, f.s.UpdateMembership(ctx, &mu))
			require.NoError(t, f.s.ClearPrimary(ctx, before.ID))
			require.NoError(t, f.s.UpdateGrantLevel(ctx, c.ID, g.ID, access.LevelOwner))
			cc := conn
			cc.Permissions = nil
			require.NoError(t, f.s.UpdateConnectionPermissions(ctx, &cc))
			require.NoError(t, f.s.DeleteCompany(ctx, c.ID))
			return errSentinel
		})
		require.ErrorIs(t, err, errSentinel)
		assert.Equal(t, errSentinel, err, "the callback's error comes back unchanged")

		_, err = f.s.GetUser(f.ctx, newUser.ID)
		assertNotFound(t, err)
		_, err = f.s.GetCompany(f.ctx, newCompany.ID)
		assertNotFound(t, err)
		got, err := f.s.GetUser(f.ctx, before.ID)
		require.NoError(t, err)
		assert.Equal(t, before, normUser(got))
		gc, err := f.s.GetCompany(f.ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, c, normCompany(gc))
		gm, err := f.s.GetMembership(f.ctx, c.ID, before.ID)
		require.NoError(t, err)
		assert.Equal(t, m, normMembership(gm))
		gg, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
		require.NoError(t, err)
		assert.Equal(t, g, normGrant(gg))
		gconn, err := f.s.GetConnection(f.ctx, partner.ID, conn.ID)
		require.NoError(t, err)
		assert.Equal(t, conn, normConnection(gconn))
		gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{}, all())
		require.NoError(t, err)
		assert.Len(t, gs, 1)
		cs, err := f.s.ListConnections(f.ctx, c.ID, all())
		require.NoError(t, err)
		assert.Len(t, cs, 1)
		ev, err := f.s.ListAudit(f.ctx, c.ID, all())
		require.NoError(t, err)
		assert.Empty(t, ev)
		ms, err := f.s.ListMembers(f.ctx, c.ID, activeIs(true), all())
		require.NoError(t, err)
		assert.Len(t, ms, 1)

		// Indexes were rolled back too: the unique values are free or still taken.
		again := access.User{ID: newID(), Email: "gone@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
		assert.NoError(t, f.s.CreateUser(f.ctx, &again))
		f.company(func(c *access.Company) {
			c.ExternalKey, c.Domains = "gone", []string{"gone.example", "changed.example"}
		})
		_, err = f.s.GetCompanyByDomain(f.ctx, "kept.example")
		assert.NoError(t, err)
		_, err = f.s.GetCompanyByExternalKey(f.ctx, "kept")
		assert.NoError(t, err)
		other := f.company()
		om := f.member(other.ID, before.ID, access.RoleViewer)
		om.Primary = true
		assertConflict(t, f.s.UpdateMembership(f.ctx, &om), "", "the primary flag came back")
	})
	t.Run("outer context is not part of it", func(t *testing.T) {
		f := newFixture(t, newStore)
		before := f.user()
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			u := access.User{ID: newID(), Email: "inner@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateUser(ctx, &u))
			return errSentinel
		})
		require.ErrorIs(t, err, errSentinel)
		after := f.user()
		for _, id := range []uuid.UUID{before.ID, after.ID} {
			_, err := f.s.GetUser(f.ctx, id)
			assert.NoError(t, err)
		}
		_, err = f.s.GetUserByEmail(f.ctx, "inner@example.com")
		assertNotFound(t, err)
	})
	t.Run("store error rolls back earlier work", func(t *testing.T) {
		f := newFixture(t, newStore)
		taken := f.user()
		var first access.User
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			first = access.User{ID: newID(), Email: "first@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateUser(ctx, &first))
			dup := access.User{ID: newID(), Email: taken.Email, Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			return f.s.CreateUser(ctx, &dup)
		})
		assertConflict(t, err, "email_taken")
		_, err = f.s.GetUser(f.ctx, first.ID)
		assertNotFound(t, err)
	})
	t.Run("nested is a savepoint", func(t *testing.T) {
		f := newFixture(t, newStore)
		mk := func(ctx context.Context, email string) access.User {
			t.Helper()
			u := access.User{ID: newID(), Email: email, Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateUser(ctx, &u))
			return u
		}
		var outer, innerOK, innerFailed access.User
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			outer = mk(ctx, "outer@example.com")
			err := f.s.RunInTx(ctx, func(ctx context.Context) error {
				innerFailed = mk(ctx, "inner-failed@example.com")
				return errSentinel
			})
			assert.Equal(t, errSentinel, err, "the nested callback's error comes back unchanged")
			_, err = f.s.GetUser(ctx, innerFailed.ID)
			assertNotFound(t, err, "the failed savepoint's work is visible")
			_, err = f.s.GetUser(ctx, outer.ID)
			assert.NoError(t, err, "the savepoint's failure undid the outer work")
			return f.s.RunInTx(ctx, func(ctx context.Context) error {
				innerOK = mk(ctx, "inner-ok@example.com")
				return nil
			})
		})
		require.NoError(t, err)
		for _, u := range []access.User{outer, innerOK} {
			_, err := f.s.GetUser(f.ctx, u.ID)
			assert.NoError(t, err, u.Email)
		}
		_, err = f.s.GetUser(f.ctx, innerFailed.ID)
		assertNotFound(t, err)

		// A committed savepoint is undone with its failing transaction.
		var nested access.User
		err = f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			require.NoError(t, f.s.RunInTx(ctx, func(ctx context.Context) error {
				nested = mk(ctx, "nested@example.com")
				return nil
			}))
			return errSentinel
		})
		require.ErrorIs(t, err, errSentinel)
		_, err = f.s.GetUser(f.ctx, nested.ID)
		assertNotFound(t, err)
	})
}

// checkListing creates rows (their IDs a mix of time-ordered and random, so
// the order is the IDs' bytes) and walks the listing page by page while more
// rows are created between pages. Every row created before the walk must
// come exactly once, in ID order.
func checkListing(t *testing.T, n int, create func(id uuid.UUID), list func(c access.Cursor) ([]uuid.UUID, error)) {
	t.Helper()
	var created []uuid.UUID
	mk := func(i int) {
		id := newID()
		if i%3 == 1 {
			id = uuid.New()
		}
		create(id)
		created = append(created, id)
	}
	for i := range n {
		mk(i)
	}
	original := sortedIDs(created...)

	const limit = 3
	var seen []uuid.UUID
	c := access.Cursor{Limit: limit}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 2*n+10, "the listing does not end")
		ids, err := list(c)
		require.NoError(t, err)
		require.LessOrEqual(t, len(ids), limit, "a page longer than the limit")
		if pages == 0 && n >= limit {
			assert.Len(t, ids, limit, "a short first page")
		}
		seen = append(seen, ids...)
		if len(ids) < limit {
			break
		}
		c.After = ids[len(ids)-1]
		if pages < 3 {
			mk(pages) // an insert between two page fetches
		}
	}
	assert.Equal(t, sortedIDs(seen...), seen, "pages out of ID order or with duplicates")
	assert.Len(t, slices.Compact(slices.Clone(seen)), len(seen), "a row came twice")
	for _, id := range original {
		assert.Contains(t, seen, id, "a row was skipped")
	}
	for _, id := range seen {
		assert.Contains(t, created, id, "a row that was not created here")
	}
	// A listing from the start holds every row.
	ids, err := list(access.Cursor{Limit: access.MaxPageLimit})
	require.NoError(t, err)
	assert.Equal(t, sortedIDs(created...), ids)
}

func testPagination(t *testing.T, newStore Factory) {
	const n = 10
	t.Run("users", func(t *testing.T) {
		f := newFixture(t, newStore)
		checkListing(t, n, func(id uuid.UUID) {
			u := access.User{ID: id, Email: "p-" + id.String() + "@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateUser(f.ctx, &u))
		}, func(c access.Cursor) ([]uuid.UUID, error) {
			us, err := f.s.ListUsers(f.ctx, c)
			return idsOf(us, func(u access.User) uuid.UUID { return u.ID }), err
		})
	})
	for _, active := range []*bool{nil, activeIs(true), activeIs(false)} {
		name := "nil"
		if active != nil {
			name = map[bool]string{true: "active", false: "inactive"}[*active]
		}
		t.Run("members "+name, func(t *testing.T) {
			f := newFixture(t, newStore)
			c, other := f.company(), f.company()
			flip := false
			create := func(id uuid.UUID) {
				flip = !flip
				u := f.user()
				f.member(other.ID, u.ID, access.RoleViewer) // noise
				m := f.member(c.ID, u.ID, access.RoleViewer, func(m *access.Membership) {
					m.ID = id
					m.Active = flip
					if active != nil {
						m.Active = *active
					}
				})
				if active != nil { // and a row the filter hides
					h := f.user()
					f.member(c.ID, h.ID, access.RoleViewer, func(hm *access.Membership) { hm.Active = !m.Active })
				}
			}
			checkListing(t, n, create, func(cur access.Cursor) ([]uuid.UUID, error) {
				ms, err := f.s.ListMembers(f.ctx, c.ID, active, cur)
				return idsOf(ms, func(m access.Member) uuid.UUID { return m.ID }), err
			})
		})
	}
	t.Run("user companies", func(t *testing.T) {
		f := newFixture(t, newStore)
		u, other := f.user(), f.user()
		checkListing(t, n, func(id uuid.UUID) {
			c := f.company()
			f.member(c.ID, other.ID, access.RoleOwner)
			f.member(c.ID, u.ID, access.RoleViewer, func(m *access.Membership) { m.ID = id })
		}, func(cur access.Cursor) ([]uuid.UUID, error) {
			ucs, err := f.s.ListUserCompanies(f.ctx, u.ID, nil, cur)
			return idsOf(ucs, func(m access.UserCompany) uuid.UUID { return m.ID }), err
		})
	})
	t.Run("grants", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		checkListing(t, n, func(id uuid.UUID) {
			r := access.Resource{Type: "project", ID: uuid.NewString()}
			g := access.Grant{ID: id, CompanyID: c.ID, Subject: userSubject(newID()), Resource: r, Level: access.LevelViewer, CreatedAt: f.now}
			require.NoError(t, f.s.CreateGrant(f.ctx, &g))
			f.grant(other.ID, g.Subject, r, access.LevelViewer)
		}, func(cur access.Cursor) ([]uuid.UUID, error) {
			gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{}, cur)
			return idsOf(gs, func(g access.Grant) uuid.UUID { return g.ID }), err
		})
	})
	t.Run("filtered grants", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company()
		s := userSubject(newID())
		checkListing(t, n, func(id uuid.UUID) {
			r := access.Resource{Type: "project", ID: uuid.NewString()}
			g := access.Grant{ID: id, CompanyID: c.ID, Subject: s, Resource: r, Level: access.LevelViewer, CreatedAt: f.now}
			require.NoError(t, f.s.CreateGrant(f.ctx, &g))
			f.grant(c.ID, access.Subject{Type: access.SubjectToken, ID: newID()}, r, access.LevelViewer)
		}, func(cur access.Cursor) ([]uuid.UUID, error) {
			gs, err := f.s.ListGrants(f.ctx, c.ID, access.GrantQuery{Subject: &s, SubjectType: access.SubjectUser}, cur)
			return idsOf(gs, func(g access.Grant) uuid.UUID { return g.ID }), err
		})
	})
	t.Run("connections", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := f.company()
		flip := false
		checkListing(t, n, func(id uuid.UUID) {
			flip = !flip
			p := f.company()
			conn := access.Connection{ID: id, CustomerID: c.ID, AgencyID: p.ID, CreatedAt: f.now, UpdatedAt: f.now}
			if flip {
				conn.CustomerID, conn.AgencyID = p.ID, c.ID
			}
			require.NoError(t, f.s.CreateConnection(f.ctx, &conn))
			q := f.company()
			f.connect(p.ID, q.ID) // noise
		}, func(cur access.Cursor) ([]uuid.UUID, error) {
			cs, err := f.s.ListConnections(f.ctx, c.ID, cur)
			return idsOf(cs, func(c access.Connection) uuid.UUID { return c.ID }), err
		})
	})
	t.Run("audit", func(t *testing.T) {
		f := newFixture(t, newStore)
		c, other := f.company(), f.company()
		checkListing(t, n, func(id uuid.UUID) {
			f.event(c.ID, id, "a")
			f.event(other.ID, newID(), "b")
		}, func(cur access.Cursor) ([]uuid.UUID, error) {
			es, err := f.s.ListAudit(f.ctx, c.ID, cur)
			return idsOf(es, func(e access.AuditEvent) uuid.UUID { return e.ID }), err
		})
	})
}

// testCopies proves that values handed in and out do not share state with
// the store.
func testCopies(t *testing.T, newStore Factory) {
	f := newFixture(t, newStore)
	domains := []string{"a.example", "b.example"}
	c := f.company(func(c *access.Company) { c.Domains = domains })
	domains[0] = "mutated.example"
	u := f.user()
	extra := []string{access.UserView}
	f.member(c.ID, u.ID, access.RoleViewer, func(m *access.Membership) { m.Extra = extra })
	extra[0] = "MUTATED"
	p := f.company()
	perms := []string{access.UserView}
	conn := f.connect(c.ID, p.ID, perms...)
	details := map[string]string{"k": "v"}
	e := access.AuditEvent{ID: newID(), CompanyID: c.ID, Actor: "system", Action: "a", Details: details, At: f.now}
	require.NoError(t, f.s.AppendAudit(f.ctx, &e))
	details["k"] = "mutated"

	gc, err := f.s.GetCompany(f.ctx, c.ID)
	require.NoError(t, err)
	gc.Domains[1] = "mutated.example"
	gm, err := f.s.GetMembership(f.ctx, c.ID, u.ID)
	require.NoError(t, err)
	gm.Extra[0] = "MUTATED"
	gconn, err := f.s.GetConnection(f.ctx, c.ID, conn.ID)
	require.NoError(t, err)
	gconn.Permissions[0] = "MUTATED"
	ge, err := f.s.ListAudit(f.ctx, c.ID, all())
	require.NoError(t, err)
	require.Len(t, ge, 1)
	ge[0].Details["k"] = "mutated"
	mem, err := f.s.ListMembers(f.ctx, c.ID, nil, all())
	require.NoError(t, err)
	require.Len(t, mem, 1)
	mem[0].Extra[0] = "MUTATED"

	gc, err = f.s.GetCompany(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.example", "b.example"}, gc.Domains)
	gm, err = f.s.GetMembership(f.ctx, c.ID, u.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{access.UserView}, gm.Extra)
	gconn, err = f.s.GetConnection(f.ctx, c.ID, conn.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{access.UserView}, gconn.Permissions)
	ge, err = f.s.ListAudit(f.ctx, c.ID, all())
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, ge[0].Details)
	facts, err := f.s.CheckAccess(f.ctx, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Permission: access.UserView})
	require.NoError(t, err)
	assert.True(t, facts.HasExtra)
}
