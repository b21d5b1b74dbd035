package memstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

// The store keeps rows compact (rows.go); these tests prove that what is
// read back is what was written, to the bit, where the conformance suite
// (which normalises times and empty slices) cannot see a difference.

// TestRowsGiveBackWhatWasWritten: times that no Unix-nanosecond stamp
// holds (a monotonic reading, a location, the zero time, out of range) and
// nil against empty permissions come back exactly.
func TestRowsGiveBackWhatWasWritten(t *testing.T) {
	ctx := context.Background()
	zone := time.FixedZone("X", 5*3600)
	s := memstore.New() // one store: its interned shapes are shared by the cases
	for name, ts := range map[string][2]time.Time{
		"UTC":       {time.Date(2026, 12, 1, 20, 0, 0, 123456789, time.UTC), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)},
		"monotonic": {time.Now(), time.Now().UTC()},
		"zoned":     {time.Date(2026, 12, 1, 20, 0, 0, 0, zone), time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC).In(time.Local)},
		"zero":      {{}, time.Time{}.In(zone)},
		"far":       {time.Date(1200, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		for extraName, extra := range map[string][]string{"nil": nil, "empty": {}, "some": {access.UserEdit, access.UserView}} {
			c := access.Company{ID: newID(), Name: "Acme"}
			require.NoError(t, s.CreateCompany(ctx, &c))
			u := access.User{ID: newID(), Email: uuid.NewString() + "@example.com", Status: access.UserActive, CreatedAt: ts[0], UpdatedAt: ts[1],
				Profile: access.Profile{Lang: "fr"}}
			require.NoError(t, s.CreateUser(ctx, &u))
			m := access.Membership{ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleAdmin, Extra: extra, Active: true,
				Primary: true, CreatedBy: newID(), CreatedAt: ts[0], UpdatedAt: ts[1]}
			require.NoError(t, s.CreateMembership(ctx, &m))
			gotU, err := s.GetUser(ctx, u.ID)
			require.NoError(t, err)
			assert.True(t, gotU == u, "%s: user %v, want %v", name, gotU, u)
			got, err := s.GetMembership(ctx, c.ID, u.ID)
			require.NoError(t, err)
			assert.Equal(t, m, got, "%s, %s extra", name, extraName)
			assert.Equal(t, m.Extra == nil, got.Extra == nil, "%s, %s extra", name, extraName)
			assert.True(t, got.CreatedAt == m.CreatedAt && got.UpdatedAt == m.UpdatedAt, "%s: times %v %v", name, got.CreatedAt, got.UpdatedAt)
			f, err := s.CheckAccess(ctx, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Permission: access.UserEdit})
			require.NoError(t, err)
			assert.True(t, f.MemberSince == m.CreatedAt, "%s: member since %v", name, f.MemberSince)
			assert.Equal(t, extraName == "some", f.HasExtra)
			// An update to exact times drops the kept ones, and back.
			for _, at := range []time.Time{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), ts[1]} {
				m.UpdatedAt = at
				require.NoError(t, s.UpdateMembership(ctx, &m))
				got, err = s.GetMembership(ctx, c.ID, u.ID)
				require.NoError(t, err)
				assert.True(t, got.UpdatedAt == at && got.CreatedAt == m.CreatedAt, "%s: after update %v", name, got.UpdatedAt)
			}
			// The caller's slice is not the store's.
			if len(got.Extra) > 0 {
				got.Extra[0] = "MUTATED"
				again, err := s.GetMembership(ctx, c.ID, u.ID)
				require.NoError(t, err)
				assert.Equal(t, extra, again.Extra)
			}
		}
	}
}

// TestUserCompaniesPageMixedFlags pages a user's companies, active and
// inactive interleaved, with and without the filter: every page follows
// the IDs' order, as one index would give it.
func TestUserCompaniesPageMixedFlags(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	u := access.User{ID: newID(), Email: "u@example.com", Status: access.UserActive}
	require.NoError(t, s.CreateUser(ctx, &u))
	want := map[string][]uuid.UUID{}
	for i := range 40 {
		c := access.Company{ID: newID(), Name: "c"}
		require.NoError(t, s.CreateCompany(ctx, &c))
		m := access.Membership{ID: uuid.New(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleViewer, Active: i%3 != 0}
		require.NoError(t, s.CreateMembership(ctx, &m))
		want["both"] = append(want["both"], m.ID)
		if m.Active {
			want["active"] = append(want["active"], m.ID)
		} else {
			want["inactive"] = append(want["inactive"], m.ID)
		}
	}
	filters := map[string]*bool{"both": nil, "active": new(true), "inactive": new(false)}
	for name, ids := range want {
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		var got []uuid.UUID
		var after uuid.UUID
		for range 100 {
			page, err := s.ListUserCompanies(ctx, u.ID, filters[name], access.Cursor{After: after, Limit: 7})
			require.NoError(t, err)
			for _, uc := range page {
				got = append(got, uc.ID)
				if f := filters[name]; f != nil {
					assert.Equal(t, *f, uc.Active, name)
				}
			}
			if len(page) < 7 {
				break
			}
			after = page[len(page)-1].ID
		}
		assert.Equal(t, ids, got, name)
	}
}

// TestRollbackRestoresRows: a failed transaction that creates, updates and
// deletes memberships, users and a company leaves every listing, look-up
// and check as it was (the rows, their tables and the users' links).
func TestRollbackRestoresRows(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	var users []access.User
	var companies []access.Company
	var ms []access.Membership
	for i := range 6 {
		u := access.User{ID: uuid.New(), Email: uuid.NewString() + "@example.com", Status: access.UserActive}
		require.NoError(t, s.CreateUser(ctx, &u))
		users = append(users, u)
		if i < 3 {
			c := access.Company{ID: uuid.New(), Name: "c"}
			require.NoError(t, s.CreateCompany(ctx, &c))
			companies = append(companies, c)
		}
	}
	for ci, c := range companies {
		for ui, u := range users {
			m := access.Membership{ID: uuid.New(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleViewer,
				Active: (ci+ui)%3 != 0, Primary: ci == 0 && ui%2 == 0}
			if ui == 0 {
				m.Role = access.RoleOwner
			}
			require.NoError(t, s.CreateMembership(ctx, &m))
			ms = append(ms, m)
		}
	}
	dump := func() []any {
		var out []any
		for _, u := range users {
			got, err := s.GetUser(ctx, u.ID)
			out = append(out, got, err)
			for _, f := range []*bool{nil, new(true), new(false)} {
				ucs, err := s.ListUserCompanies(ctx, u.ID, f, access.Cursor{Limit: 100})
				out = append(out, ucs, err)
			}
		}
		for _, c := range companies {
			for _, f := range []*bool{nil, new(true), new(false)} {
				mems, err := s.ListMembers(ctx, c.ID, f, access.Cursor{Limit: 100})
				out = append(out, mems, err)
			}
			n, err := s.CountActiveOwners(ctx, c.ID)
			out = append(out, n, err)
		}
		for _, m := range ms {
			got, err := s.GetMembershipByID(ctx, m.CompanyID, m.ID)
			f, ferr := s.CheckAccess(ctx, access.AccessQuery{CompanyID: m.CompanyID, UserID: m.UserID})
			out = append(out, got, err, f, ferr)
		}
		list, err := s.ListUsers(ctx, access.Cursor{Limit: 100})
		return append(out, list, err)
	}
	before := dump()
	err := s.RunInTx(ctx, func(ctx context.Context) error {
		n := access.User{ID: uuid.New(), Email: "new@example.com", Status: access.UserActive, ActiveCompanyID: companies[1].ID}
		require.NoError(t, s.CreateUser(ctx, &n))
		for _, c := range companies {
			require.NoError(t, s.CreateMembership(ctx, &access.Membership{ID: uuid.New(), CompanyID: c.ID, UserID: n.ID, Role: access.RoleAdmin, Active: true}))
		}
		for i := range ms {
			m := ms[i]
			m.Active, m.Role, m.Extra = !m.Active, access.RoleAdmin, []string{access.UserView}
			require.NoError(t, s.UpdateMembership(ctx, &m))
		}
		require.NoError(t, s.ClearPrimary(ctx, users[0].ID))
		p := ms[len(users)+1] // users[1] in companies[1]
		p.Primary = true
		require.NoError(t, s.UpdateMembership(ctx, &p))
		require.NoError(t, s.DeleteMembership(ctx, ms[2].CompanyID, ms[2].UserID))
		require.NoError(t, s.DeleteUser(ctx, users[3].ID))
		u := users[4]
		u.FirstName, u.ActiveCompanyID = "Changed", companies[2].ID
		require.NoError(t, s.UpdateUser(ctx, &u))
		require.NoError(t, s.DeleteCompany(ctx, companies[2].ID))
		require.NoError(t, s.CreateUser(ctx, &access.User{ID: uuid.New(), Email: "reuse@example.com", Status: access.UserActive}))
		return errRollBack
	})
	require.ErrorIs(t, err, errRollBack)
	assert.Equal(t, before, dump())
	// The users' primary memberships are back: a second one is refused.
	other := access.Company{ID: uuid.New(), Name: "other"}
	require.NoError(t, s.CreateCompany(ctx, &other))
	for i, u := range users {
		err := s.CreateMembership(ctx, &access.Membership{ID: uuid.New(), CompanyID: other.ID, UserID: u.ID, Role: access.RoleViewer, Primary: true})
		if i%2 == 0 {
			assert.Equal(t, access.CodePrimaryTaken, access.CodeOf(err), "user %d", i)
		} else {
			assert.NoError(t, err, "user %d", i)
		}
	}
}

var errRollBack = errors.New("roll back")
