package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func testMemberships(t *testing.T, newStore Factory) {
	t.Run("round trip", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company(func(c *access.Company) { c.Domains = []string{"acme.example"} })
		boss := f.user()
		u := f.user()
		m := f.member(c.ID, u.ID, access.RoleAdmin, func(m *access.Membership) {
			m.Extra = []string{access.UserAdd, access.UserView}
			m.Withheld = []string{access.UserDelete, access.UserEdit}
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
		_, err = f.s.GetMember(f.ctx, c.ID, boss.ID)
		assertNotFound(t, err, access.CodeMembershipNotFound)

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
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		u := f.user()
		f.member(c.ID, u.ID, access.RoleViewer)
		dup := access.Membership{ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleOwner, Active: true, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateMembership(f.ctx, &dup), access.CodeAlreadyMember)
		got, err := f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleViewer, got.Role)
		f.member(other.ID, u.ID, access.RoleOwner) // another company is fine
	})
	t.Run("not found", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		u := f.user()
		f.member(c.ID, u.ID, access.RoleViewer)
		_, err := f.s.GetMembership(f.ctx, other.ID, u.ID)
		assertNotFound(t, err, access.CodeMembershipNotFound)
		_, err = f.s.GetMember(f.ctx, other.ID, u.ID)
		assertNotFound(t, err, access.CodeMembershipNotFound)
		assertNotFound(t, f.s.UpdateMembership(f.ctx, &access.Membership{CompanyID: other.ID, UserID: u.ID, Role: access.RoleOwner}), access.CodeMembershipNotFound)
		assertNotFound(t, f.s.DeleteMembership(f.ctx, other.ID, u.ID), access.CodeMembershipNotFound)
		_, err = f.s.GetMembership(f.ctx, c.ID, u.ID)
		assert.NoError(t, err)

		for name, m := range map[string]access.Membership{
			"user":    {ID: newID(), CompanyID: c.ID, UserID: newID(), Role: access.RoleViewer, CreatedAt: f.now, UpdatedAt: f.now},
			"company": {ID: newID(), CompanyID: newID(), UserID: u.ID, Role: access.RoleViewer, CreatedAt: f.now, UpdatedAt: f.now},
		} {
			code := map[string]access.Code{"user": access.CodeUserNotFound, "company": access.CodeCompanyNotFound}[name]
			assertNotFound(t, f.s.CreateMembership(f.ctx, &m), code, "a membership of an unknown "+name)
		}
	})
	t.Run("by ID", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		u := f.user()
		m := f.member(c.ID, u.ID, access.RoleAdmin, func(m *access.Membership) { m.Extra = []string{access.UserAdd, access.UserView} })
		om := f.member(other.ID, u.ID, access.RoleViewer)
		got, err := f.s.GetMembershipByID(f.ctx, c.ID, m.ID)
		require.NoError(t, err)
		assert.Equal(t, m, normMembership(got))
		got, err = f.s.GetMembershipByID(f.ctx, other.ID, om.ID)
		require.NoError(t, err)
		assert.Equal(t, om, normMembership(got))
		_, err = f.s.GetMembershipByID(f.ctx, other.ID, m.ID)
		assertNotFound(t, err, access.CodeMembershipNotFound, "another company's membership")
		_, err = f.s.GetMembershipByID(f.ctx, c.ID, newID())
		assertNotFound(t, err, access.CodeMembershipNotFound)
		_, err = f.s.GetMembershipByID(f.ctx, c.ID, u.ID)
		assertNotFound(t, err, access.CodeMembershipNotFound, "a user's ID is no membership's")

		dup := access.Membership{ID: m.ID, CompanyID: f.company().ID, UserID: u.ID, Role: access.RoleViewer, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateMembership(f.ctx, &dup), access.CodeIDTaken)
		_, err = f.s.GetMembership(f.ctx, dup.CompanyID, u.ID)
		assertNotFound(t, err, access.CodeMembershipNotFound, "the refused membership was stored")

		require.NoError(t, f.s.DeleteMembership(f.ctx, c.ID, u.ID))
		_, err = f.s.GetMembershipByID(f.ctx, c.ID, m.ID)
		assertNotFound(t, err, access.CodeMembershipNotFound, "after its deletion")
	})
	t.Run("update", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		u, boss := f.user(), f.user()
		m := f.member(c.ID, u.ID, access.RoleViewer, func(m *access.Membership) { m.Extra = []string{access.UserView} })
		later := f.now.Add(time.Hour)
		upd := access.Membership{
			ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleAdmin, Extra: []string{access.UserEdit, access.UserView},
			Withheld: []string{access.UserAdd}, Active: false, Primary: true, AllowSwitch: false, CreatedBy: boss.ID, CreatedAt: later, UpdatedAt: later,
		}
		require.NoError(t, f.s.UpdateMembership(f.ctx, &upd))
		want := upd
		want.ID, want.CreatedBy, want.CreatedAt = m.ID, m.CreatedBy, m.CreatedAt // never updated
		got, err := f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, want, normMembership(got))

		upd.Extra, upd.Withheld = nil, nil
		require.NoError(t, f.s.UpdateMembership(f.ctx, &upd))
		got, err = f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Empty(t, got.Extra)
		assert.Empty(t, got.Withheld, "nothing withheld any more")
	})
	t.Run("one primary per user", func(t *testing.T) {
		f := newRows(t, newStore)
		a, b := f.company(), f.company()
		u, v := f.user(), f.user()
		ma := f.member(a.ID, u.ID, access.RoleOwner, func(m *access.Membership) { m.Primary = true })
		mb := f.member(b.ID, u.ID, access.RoleOwner)
		f.member(b.ID, v.ID, access.RoleOwner, func(m *access.Membership) { m.Primary = true })

		mb.Primary = true
		assertConflict(t, f.s.UpdateMembership(f.ctx, &mb), access.CodePrimaryTaken)
		second := access.Membership{ID: newID(), CompanyID: f.company().ID, UserID: u.ID, Role: access.RoleOwner, Active: true, Primary: true, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateMembership(f.ctx, &second), access.CodePrimaryTaken)
		_, err := f.s.GetMembershipByID(f.ctx, second.CompanyID, second.ID)
		assertNotFound(t, err, access.CodeMembershipNotFound, "the refused membership was stored")
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
		f := newRows(t, newStore)
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
		assertNotFound(t, err, access.CodeMembershipNotFound)
		for _, g := range []access.Grant{gone1, gone2} {
			_, err := f.s.GetGrant(f.ctx, c.ID, g.ID)
			assertNotFound(t, err, access.CodeGrantNotFound)
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
	t.Run("get members of several users", func(t *testing.T) {
		f := newRows(t, newStore)
		c, other := f.company(), f.company()
		boss, u, v, stranger := f.user(), f.user(), f.user(), f.user()
		f.member(c.ID, boss.ID, access.RoleOwner)
		mu := f.member(c.ID, u.ID, access.RoleAdmin, func(m *access.Membership) { m.CreatedBy = boss.ID })
		f.member(c.ID, v.ID, access.RoleViewer)
		f.member(other.ID, stranger.ID, access.RoleOwner)
		ms, err := f.s.GetMembers(f.ctx, c.ID, []uuid.UUID{u.ID, stranger.ID, newID(), u.ID})
		require.NoError(t, err)
		require.Len(t, ms, 1, "only u is a member of c (once, though named twice)")
		want, err := f.s.GetMember(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, want, ms[0], "as GetMember returns it")
		assert.Equal(t, mu, normMembership(ms[0].Membership))
		ms, err = f.s.GetMembers(f.ctx, c.ID, []uuid.UUID{v.ID, boss.ID})
		require.NoError(t, err)
		got := map[uuid.UUID]string{}
		for _, m := range ms {
			got[m.UserID] = m.Role
		}
		assert.Equal(t, map[uuid.UUID]string{v.ID: access.RoleViewer, boss.ID: access.RoleOwner}, got)
		ms, err = f.s.GetMembers(f.ctx, other.ID, []uuid.UUID{u.ID})
		require.NoError(t, err)
		assert.Empty(t, ms, "u is no member of the other company")
	})
	t.Run("update audited", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		u := f.user()
		m := f.member(c.ID, u.ID, access.RoleViewer)
		m.Role, m.Extra, m.UpdatedAt = access.RoleAdmin, []string{access.UserAdd, access.UserView}, f.now.Add(time.Minute)
		e := access.AuditEvent{ID: newID(), CompanyID: c.ID, Actor: "system", Action: "membership.updated",
			Target: "user:" + u.ID.String(), Outcome: access.OutcomeSuccess, Details: map[string]string{"role_to": m.Role}, At: f.now}
		require.NoError(t, f.s.UpdateMembershipAudited(f.ctx, &m, &e))
		got, err := f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, m, normMembership(got))
		es, err := f.s.ListAudit(f.ctx, c.ID, all())
		require.NoError(t, err)
		if assert.Len(t, es, 1) {
			assert.Equal(t, normEvent(e), normEvent(es[0]))
		}

		// Neither without the other: an unknown membership records
		// nothing, a taken event ID changes nothing.
		ghost := m
		ghost.UserID = newID()
		e2 := e
		e2.ID = newID()
		assertNotFound(t, f.s.UpdateMembershipAudited(f.ctx, &ghost, &e2), access.CodeMembershipNotFound)
		changed := m
		changed.Role = access.RoleViewer
		assertConflict(t, f.s.UpdateMembershipAudited(f.ctx, &changed, &e), access.CodeIDTaken)
		es, err = f.s.ListAudit(f.ctx, c.ID, all())
		require.NoError(t, err)
		assert.Len(t, es, 1)
		got, err = f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleAdmin, got.Role, "the change of a refused event stayed")
	})
	t.Run("count active owners", func(t *testing.T) {
		f := newRows(t, newStore)
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
		f := newRows(t, newStore)
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
	t.Run("numbered pages", func(t *testing.T) { testListMembersAt(t, newStore) })
	t.Run("large company", func(t *testing.T) { testLargeCompanyListings(t, newStore) })
	t.Run("pages", func(t *testing.T) { testMemberPages(t, newStore) })
	t.Run("copies", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		u := f.user()
		extra, withheld := []string{access.UserView}, []string{access.UserEdit}
		f.member(c.ID, u.ID, access.RoleViewerPlus, func(m *access.Membership) { m.Extra, m.Withheld = extra, withheld })
		extra[0], withheld[0] = "MUTATED", "MUTATED"
		gm, err := f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		gm.Extra[0], gm.Withheld[0] = "MUTATED", "MUTATED"
		mem, err := f.s.ListMembers(f.ctx, c.ID, nil, all())
		require.NoError(t, err)
		require.Len(t, mem, 1)
		mem[0].Extra[0], mem[0].Withheld[0] = "MUTATED", "MUTATED"
		gm, err = f.s.GetMembership(f.ctx, c.ID, u.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{access.UserView}, gm.Extra)
		assert.Equal(t, []string{access.UserEdit}, gm.Withheld)
		facts, err := f.s.CheckAccess(f.ctx, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Permission: access.UserView})
		require.NoError(t, err)
		assert.True(t, facts.HasExtra)
		facts, err = f.s.CheckAccess(f.ctx, access.AccessQuery{CompanyID: c.ID, UserID: u.ID, Permission: access.UserEdit})
		require.NoError(t, err)
		assert.True(t, facts.Withheld, "the store's copy, not the caller's mutated slice")
	})
}

// testListMembersAt: a numbered page holds exactly the rows the keyset
// page of the same number holds, for every filter.
func testListMembersAt(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, other := f.company(), f.company()
	for i := range 11 {
		u := f.user()
		f.member(c.ID, u.ID, access.RoleViewer, func(m *access.Membership) {
			m.Active = i%3 != 0
			if i%2 == 0 {
				m.ID = uuid.New() // not in creation order
			}
		})
		f.member(other.ID, u.ID, access.RoleViewer) // noise
	}
	for _, active := range []*bool{nil, activeIs(true), activeIs(false)} {
		every, err := f.s.ListMembers(f.ctx, c.ID, active, all())
		require.NoError(t, err)
		require.NotEmpty(t, every)
		for _, limit := range []int{1, 3, 4, len(every), len(every) + 1} {
			cur := access.Cursor{Limit: limit}
			for offset := 0; offset <= len(every); offset += limit {
				keyset, err := f.s.ListMembers(f.ctx, c.ID, active, cur)
				require.NoError(t, err)
				numbered, err := f.s.ListMembersAt(f.ctx, c.ID, active, offset, limit)
				require.NoError(t, err)
				require.Equal(t, memberIDs(keyset), memberIDs(numbered), "offset %d, limit %d, active %v", offset, limit, active)
				for i := range numbered {
					assert.Equal(t, every[offset+i].User, numbered[i].User)
					assert.Equal(t, normMembership(every[offset+i].Membership), normMembership(numbered[i].Membership))
				}
				if len(keyset) > 0 {
					cur.After = keyset[len(keyset)-1].ID
				}
			}
		}
		got, err := f.s.ListMembersAt(f.ctx, c.ID, active, len(every), 5)
		require.NoError(t, err)
		assert.Empty(t, got, "past the end")
	}
	got, err := f.s.ListMembersAt(f.ctx, newID(), nil, 0, 5)
	require.NoError(t, err)
	assert.Empty(t, got, "an unknown company")
}

func testMemberPages(t *testing.T, newStore Factory) {
	const n = 10
	for _, active := range []*bool{nil, activeIs(true), activeIs(false)} {
		name := "nil"
		if active != nil {
			name = map[bool]string{true: "active", false: "inactive"}[*active]
		}
		t.Run("members "+name, func(t *testing.T) {
			f := newRows(t, newStore)
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
				return memberIDs(ms), err
			})
		})
	}
	t.Run("user companies", func(t *testing.T) {
		f := newRows(t, newStore)
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
}

// testLargeCompanyListings: in a company of more than a thousand members
// (more than a memory store keeps in one piece of a list), deactivating,
// reactivating and removing old members and adding new ones anywhere in
// the ID order keeps every listing exact: each filter's keyset walk and
// numbered pages give the members in ID order, each once.
func testLargeCompanyListings(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, other := f.company(), f.company()
	active := map[uuid.UUID]bool{} // the model: membership ID -> Active
	byID := map[uuid.UUID]access.Membership{}
	add := func(ctx context.Context, i int) {
		u := access.User{ID: newID(), Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
		u.Email = "big-" + u.ID.String() + "@example.com"
		require.NoError(t, f.s.CreateUser(ctx, &u))
		m := access.Membership{ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleViewer, Active: i%2 == 0,
			CreatedAt: f.now, UpdatedAt: f.now}
		if i%3 == 1 {
			m.ID = uuid.New() // anywhere in the order, not last
		}
		require.NoError(t, f.s.CreateMembership(ctx, &m))
		active[m.ID], byID[m.ID] = m.Active, m
	}
	require.NoError(t, f.s.RunInTx(f.ctx, func(ctx context.Context) error {
		for i := range 1300 {
			add(ctx, i)
		}
		return nil
	}))
	noise := f.user()
	f.member(other.ID, noise.ID, access.RoleViewer)

	ordered := func() []uuid.UUID {
		ids := make([]uuid.UUID, 0, len(byID))
		for id := range byID {
			ids = append(ids, id)
		}
		return sortedIDs(ids...)
	}
	require.NoError(t, f.s.RunInTx(f.ctx, func(ctx context.Context) error {
		for k, id := range ordered() {
			m := byID[id]
			switch {
			case k < 400 && m.Active: // the oldest IDs first: the front of every list
				m.Active = false
			case k%7 == 3 && !m.Active:
				m.Active = true
			case k%9 == 5:
				require.NoError(t, f.s.DeleteMembership(ctx, c.ID, m.UserID))
				delete(byID, id)
				delete(active, id)
				continue
			default:
				continue
			}
			require.NoError(t, f.s.UpdateMembership(ctx, &m))
			byID[id], active[id] = m, m.Active
		}
		for i := range 100 {
			add(ctx, 3*i+1)
		}
		return nil
	}))

	all := ordered()
	for name, filter := range map[string]*bool{"all": nil, "active": activeIs(true), "inactive": activeIs(false)} {
		want := slices.DeleteFunc(slices.Clone(all), func(id uuid.UUID) bool { return filter != nil && active[id] != *filter })
		require.Greater(t, len(want), 500, "a list of more than one piece")
		var walked []uuid.UUID
		cur := access.Cursor{Limit: 97}
		for {
			page, err := f.s.ListMembers(f.ctx, c.ID, filter, cur)
			require.NoError(t, err)
			walked = append(walked, memberIDs(page)...)
			if len(page) < cur.Limit {
				break
			}
			cur.After = page[len(page)-1].ID
		}
		require.Equal(t, want, walked, "the keyset walk, %s", name)
		for _, at := range []int{0, 1, 97, 255, 256, 511, 512, 513, 700, len(want) - 1, len(want)} {
			page, err := f.s.ListMembersAt(f.ctx, c.ID, filter, at, 60)
			require.NoError(t, err)
			w := want[min(at, len(want)):]
			require.Equal(t, w[:min(len(w), 60)], append([]uuid.UUID{}, memberIDs(page)...), "numbered page at %d, %s", at, name)
		}
	}
}
