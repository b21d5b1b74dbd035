package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func testCheckAccess(t *testing.T, newStore Factory) {
	t.Run("facts", func(t *testing.T) { testCheckFacts(t, newStore) })
	t.Run("connection preference", func(t *testing.T) { testConnectionPreference(t, newStore) })
}

func testCheckFacts(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, other := f.company(), f.company()
	agency, otherAgency := f.company(), f.company()
	u := f.user()
	inactive := f.user()
	stranger := f.user()
	f.member(c.ID, u.ID, access.RoleViewer, func(m *access.Membership) { m.Extra = []string{access.UserAdd, access.UserView} })
	f.member(c.ID, inactive.ID, access.RoleAdmin, func(m *access.Membership) { m.Active = false })
	held := f.user() // an ADMIN from whom USER_DELETE is withheld
	f.member(c.ID, held.ID, access.RoleAdmin, func(m *access.Membership) { m.Withheld = []string{access.UserDelete} })
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
		assert.Equal(t, access.AccessFacts{Member: true, Active: true, Role: access.RoleAdmin, Withheld: true},
			check(t, access.AccessQuery{CompanyID: c.ID, UserID: held.ID, Permission: access.UserDelete}))
		assert.Equal(t, access.AccessFacts{Member: true, Active: true, Role: access.RoleAdmin},
			check(t, access.AccessQuery{CompanyID: c.ID, UserID: held.ID, Permission: access.UserAdd}), "only the withheld one")
		assert.Equal(t, access.AccessFacts{Member: true, Active: true, Role: access.RoleAdmin},
			check(t, access.AccessQuery{CompanyID: c.ID, UserID: held.ID}), "no permission asked: nothing withheld")
		hm, err := f.s.GetMembership(f.ctx, c.ID, held.ID)
		require.NoError(t, err)
		hm.Withheld = []string{access.UserAdd}
		require.NoError(t, f.s.UpdateMembership(f.ctx, &hm))
		assert.False(t, check(t, access.AccessQuery{CompanyID: c.ID, UserID: held.ID, Permission: access.UserDelete}).Withheld,
			"read live: the update gave USER_DELETE back")
		assert.True(t, check(t, access.AccessQuery{CompanyID: c.ID, UserID: held.ID, Permission: access.UserAdd}).Withheld)
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

		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionHas: true, ConnectionID: conn.ID, AgencySince: f.now,
			AgencyRole: access.RoleAdmin}, check(t, q))
		q.Permission = access.UserEdit
		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionID: conn.ID, AgencySince: f.now, AgencyRole: access.RoleAdmin}, check(t, q))
		q.Permission = ""
		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionID: conn.ID, AgencySince: f.now, AgencyRole: access.RoleAdmin}, check(t, q))

		// The agency membership's own facts, for the cap: its extra and
		// withheld permissions asked about the permission.
		capped := f.user()
		f.member(agency.ID, capped.ID, access.RoleAdmin, func(m *access.Membership) {
			m.Extra, m.Withheld = []string{access.UserAdd}, []string{access.UserView}
		})
		cq := access.AccessQuery{CompanyID: c.ID, UserID: capped.ID, Permission: access.UserView, AgencyRoles: roles}
		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionHas: true, ConnectionID: conn.ID, AgencySince: f.now,
			AgencyRole: access.RoleAdmin, AgencyWithheld: true}, check(t, cq), "withheld in the agency")
		cq.Permission = access.UserAdd
		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionID: conn.ID, AgencySince: f.now,
			AgencyRole: access.RoleAdmin, AgencyHasExtra: true}, check(t, cq), "an extra of the agency membership")
		cq.Permission = ""
		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionID: conn.ID, AgencySince: f.now,
			AgencyRole: access.RoleAdmin}, check(t, cq), "nothing asked: no extra, nothing withheld")
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

		// An OWNER of the agency: the role is the agency membership's.
		ow := f.user()
		f.member(agency.ID, ow.ID, access.RoleOwner)
		assert.Equal(t, access.AccessFacts{Connected: true, ConnectionHas: true, ConnectionID: conn.ID, AgencySince: f.now,
			AgencyRole: access.RoleOwner}, check(t, access.AccessQuery{CompanyID: c.ID, UserID: ow.ID, Permission: access.UserView, AgencyRoles: roles}))

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

		require.NoError(t, f.s.DeleteConnection(f.ctx, agency.ID, conn.ID))
		assert.Equal(t, access.AccessFacts{}, check(t, q), "after the connection went")
	})
}

// testConnectionPreference pins the one policy a store decides itself, in
// the check's single statement: a membership beats a connection; of the
// agencies that connect the user, the one whose connection holds the asked
// permission wins, then the one whose agency membership does not withhold
// it, and among equals the connection with the lowest ID. Every fact is of
// the chosen connection and of the user's membership in its agency.
func testConnectionPreference(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c := f.company()
	a := f.user()
	roles := []string{access.RoleOwner, access.RoleAdmin}
	ids := sortedIDs(newID(), newID(), newID(), uuid.New())
	// The lowest ID belongs to an agency whose membership is inactive: a
	// store that forgot the flag would pick it first.
	inactive, low, mid, high := ids[0], ids[1], ids[2], ids[3]
	conns := map[uuid.UUID]access.Connection{}
	members := map[uuid.UUID]access.Membership{}
	// The user is an OWNER of the highest's agency, an ADMIN of the others:
	// AgencyRole tells whose membership the facts are of.
	role := func(id uuid.UUID) string {
		if id == high {
			return access.RoleOwner
		}
		return access.RoleAdmin
	}
	// Created out of ID order, so the order of creation cannot pass for it.
	for _, id := range []uuid.UUID{high, low, inactive, mid} {
		ag := f.company()
		members[id] = f.member(ag.ID, a.ID, role(id), func(m *access.Membership) {
			m.Active = id != inactive
			m.Extra = []string{access.UserEdit} // an extra of every agency membership
		})
		conns[id] = f.connectAs(id, c.ID, ag.ID)
	}
	hold := func(perm string, holders ...uuid.UUID) {
		t.Helper()
		for id, conn := range conns {
			conn.Permissions = nil
			for _, h := range holders {
				if h == id {
					conn.Permissions = []string{perm}
				}
			}
			require.NoError(t, f.s.UpdateConnectionPermissions(f.ctx, &conn))
		}
	}
	withhold := func(perm string, from ...uuid.UUID) {
		t.Helper()
		for id, m := range members {
			m.Withheld = nil
			for _, h := range from {
				if h == id {
					m.Withheld = []string{perm}
				}
			}
			require.NoError(t, f.s.UpdateMembership(f.ctx, &m))
		}
	}
	q := access.AccessQuery{CompanyID: c.ID, UserID: a.ID, Permission: access.UserEdit, AgencyRoles: roles}
	for _, tc := range []struct {
		name     string
		holders  []uuid.UUID
		withheld []uuid.UUID // agency memberships withholding the permission
		perm     string      // asked; "" asks none
		want     uuid.UUID
		has      bool
	}{
		{"none holds it: the lowest ID", nil, nil, access.UserEdit, low, false},
		{"all hold it: the lowest ID", []uuid.UUID{low, mid, high, inactive}, nil, access.UserEdit, low, true},
		{"only the highest holds it", []uuid.UUID{high}, nil, access.UserEdit, high, true},
		{"two hold it: the lower of them", []uuid.UUID{high, mid}, nil, access.UserEdit, mid, true},
		{"no permission asked: the lowest ID", []uuid.UUID{high}, nil, "", low, false},
		{"an inactive agency member's connection never counts", []uuid.UUID{inactive}, nil, access.UserEdit, low, false},
		{"all hold it, the lowest's membership withholds it: the next", []uuid.UUID{low, mid, high}, []uuid.UUID{low},
			access.UserEdit, mid, true},
		{"two withhold it: the one that does not", []uuid.UUID{low, mid, high}, []uuid.UUID{low, mid},
			access.UserEdit, high, true},
		{"every membership withholds it: the lowest holding connection", []uuid.UUID{mid, high}, []uuid.UUID{low, mid, high},
			access.UserEdit, mid, true},
		{"a connection holding it beats a membership not withholding it", []uuid.UUID{high}, []uuid.UUID{high},
			access.UserEdit, high, true},
		{"none holds it, the lowest's membership withholds it: the next", nil, []uuid.UUID{low},
			access.UserEdit, mid, false},
		{"withheld other than asked: the lowest ID", []uuid.UUID{low, mid}, []uuid.UUID{low}, access.UserView, low, false},
	} {
		hold(access.UserEdit, tc.holders...)
		withhold(access.UserEdit, tc.withheld...)
		q.Permission = tc.perm
		facts, err := f.s.CheckAccess(f.ctx, q)
		require.NoError(t, err, tc.name)
		want := access.AccessFacts{Connected: true, ConnectionHas: tc.has, ConnectionID: tc.want, AgencySince: f.now,
			AgencyRole: role(tc.want), AgencyHasExtra: tc.perm == access.UserEdit,
			AgencyWithheld: tc.perm == access.UserEdit && slices.Contains(tc.withheld, tc.want)}
		assert.Equal(t, want, facts, tc.name)
	}
	withhold(access.UserEdit)

	// Agency set (a token reaching its customer): that agency's
	// connection only, whatever the others hold, and an agency that is
	// not connected, or whose member is inactive, gives nothing.
	hold(access.UserEdit, low)
	q.Permission = access.UserEdit
	for _, tc := range []struct {
		name  string
		conn  uuid.UUID
		agent uuid.UUID
		want  access.AccessFacts
	}{
		{"its own connection, though another holds the permission", mid, conns[mid].AgencyID,
			access.AccessFacts{Connected: true, ConnectionID: mid, AgencySince: f.now, AgencyRole: access.RoleAdmin, AgencyHasExtra: true}},
		{"its own connection holding it", low, conns[low].AgencyID,
			access.AccessFacts{Connected: true, ConnectionHas: true, ConnectionID: low, AgencySince: f.now, AgencyRole: access.RoleAdmin,
				AgencyHasExtra: true}},
		{"an agency whose member is inactive", inactive, conns[inactive].AgencyID, access.AccessFacts{}},
		{"an agency not connected", uuid.Nil, f.company().ID, access.AccessFacts{}},
	} {
		q.Agency = tc.agent
		facts, err := f.s.CheckAccess(f.ctx, q)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, facts, tc.name)
	}
	q.Agency = uuid.Nil

	// A role outside AgencyRoles is no candidate either.
	hold(access.UserEdit, mid)
	q.Permission = access.UserEdit
	q.AgencyRoles = []string{access.RoleViewer}
	facts, err := f.s.CheckAccess(f.ctx, q)
	require.NoError(t, err)
	assert.Equal(t, access.AccessFacts{}, facts, "no agency membership in AgencyRoles")

	// A membership in the company beats every connection, even an
	// inactive one.
	q.AgencyRoles = roles
	f.member(c.ID, a.ID, access.RoleViewer, func(m *access.Membership) { m.Active = false })
	facts, err = f.s.CheckAccess(f.ctx, q)
	require.NoError(t, err)
	facts.MemberSince = time.Time{}
	assert.Equal(t, access.AccessFacts{Member: true, Role: access.RoleViewer}, facts)

	// With Agency set the membership is not consulted: only the agency's
	// connection, never a membership the token's creator holds there.
	q.Agency = conns[mid].AgencyID
	facts, err = f.s.CheckAccess(f.ctx, q)
	require.NoError(t, err)
	assert.Equal(t, access.AccessFacts{Connected: true, ConnectionHas: true, ConnectionID: mid, AgencySince: f.now,
		AgencyRole: access.RoleAdmin, AgencyHasExtra: true}, facts, "a membership does not shadow the agency's connection")
}
