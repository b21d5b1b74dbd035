package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func testCompanies(t *testing.T, newStore Factory) {
	t.Run("round trip", func(t *testing.T) {
		f := newRows(t, newStore)
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
		f := newRows(t, newStore)
		f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "k", []string{"d.example"} })
		_, err := f.s.GetCompany(f.ctx, newID())
		assertNotFound(t, err, access.CodeCompanyNotFound)
		_, err = f.s.GetCompanyByExternalKey(f.ctx, "other")
		assertNotFound(t, err, access.CodeCompanyNotFound)
		_, err = f.s.GetCompanyByExternalKey(f.ctx, "")
		assertNotFound(t, err, access.CodeCompanyNotFound, "companies without a key")
		_, err = f.s.GetCompanyByDomain(f.ctx, "other.example")
		assertNotFound(t, err, access.CodeCompanyNotFound)
		assertNotFound(t, f.s.UpdateCompany(f.ctx, &access.Company{ID: newID(), Name: "x"}), access.CodeCompanyNotFound)
		assertNotFound(t, f.s.DeleteCompany(f.ctx, newID()), access.CodeCompanyNotFound)
	})
	t.Run("external key and domains unique", func(t *testing.T) {
		f := newRows(t, newStore)
		a := f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "key-a", []string{"a.example", "a2.example"} })
		b := f.company(func(c *access.Company) { c.ExternalKey, c.Domains = "key-b", []string{"b.example"} })
		f.company() // no key, no domains: several may exist
		f.company()

		dupKey := access.Company{ID: newID(), Name: "x", ExternalKey: "key-a", CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateCompany(f.ctx, &dupKey), access.CodeExternalKeyTaken)
		dupDomain := access.Company{ID: newID(), Name: "x", Domains: []string{"new.example", "a2.example"}, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateCompany(f.ctx, &dupDomain), access.CodeDomainTaken)
		_, err := f.s.GetCompanyByDomain(f.ctx, "new.example")
		assertNotFound(t, err, access.CodeCompanyNotFound, "a refused company left a domain behind")
		dupID := access.Company{ID: a.ID, Name: "x", ExternalKey: "key-new", CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateCompany(f.ctx, &dupID), access.CodeIDTaken)
		_, err = f.s.GetCompanyByExternalKey(f.ctx, "key-new")
		assertNotFound(t, err, access.CodeCompanyNotFound, "a refused company left its key behind")

		upd := b
		upd.ExternalKey = "key-a"
		assertConflict(t, f.s.UpdateCompany(f.ctx, &upd), access.CodeExternalKeyTaken)
		upd = b
		upd.Domains = []string{"b.example", "a.example"}
		assertConflict(t, f.s.UpdateCompany(f.ctx, &upd), access.CodeDomainTaken)
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
		f := newRows(t, newStore)
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
		assertNotFound(t, err, access.CodeCompanyNotFound)
		_, err = f.s.GetCompanyByDomain(f.ctx, "old.example")
		assertNotFound(t, err, access.CodeCompanyNotFound)
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
		assertNotFound(t, err, access.CodeCompanyNotFound)
	})
	t.Run("delete cascades", func(t *testing.T) {
		f := newRows(t, newStore)
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
		assertNotFound(t, err, access.CodeCompanyNotFound)
		_, err = f.s.GetMembership(f.ctx, c.ID, u.ID)
		assertNotFound(t, err, access.CodeMembershipNotFound)
		_, err = f.s.GetGrant(f.ctx, c.ID, g.ID)
		assertNotFound(t, err, access.CodeGrantNotFound)
		_, err = f.s.GetGrant(f.ctx, c.ID, tg.ID)
		assertNotFound(t, err, access.CodeGrantNotFound)
		_, err = f.s.GetConnection(f.ctx, agency.ID, asCustomer.ID)
		assertNotFound(t, err, access.CodeConnectionNotFound)
		_, err = f.s.GetConnection(f.ctx, customer.ID, asAgency.ID)
		assertNotFound(t, err, access.CodeConnectionNotFound)
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
		f := newRows(t, newStore)
		c := f.company()
		err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
			assert.NoError(t, f.s.LockCompany(ctx, c.ID))
			assertNotFound(t, f.s.LockCompany(ctx, newID()), access.CodeCompanyNotFound)
			return nil
		})
		assert.NoError(t, err)
	})
	t.Run("copies", func(t *testing.T) {
		f := newRows(t, newStore)
		domains := []string{"a.example", "b.example"}
		c := f.company(func(c *access.Company) { c.Domains = domains })
		domains[0] = "mutated.example"
		got, err := f.s.GetCompany(f.ctx, c.ID)
		require.NoError(t, err)
		got.Domains[1] = "mutated.example"
		got, err = f.s.GetCompany(f.ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"a.example", "b.example"}, got.Domains, "a caller's slice is shared with the store")
	})
}
