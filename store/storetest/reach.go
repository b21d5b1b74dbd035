package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// reachWorld is an agency (the World's company, its owner and an ADMIN
// who makes the tokens) connected to a customer that has a merchant_id.
type reachWorld struct {
	*World
	admin    access.User
	customer access.Company
	asCust   access.Principal // the customer's owner
	conn     access.Connection
}

func newReachWorld(t *testing.T, newStore Factory, perms ...string) *reachWorld {
	t.Helper()
	return reachWorldOf(t, NewWorld(t, newStore(t), WithCompany(access.NewCompany{Name: "Partner Agency"})), access.RoleAdmin, perms...)
}

// reachWorldOf connects a customer to w's company, whose member admin
// (the tokens' creator) holds adminRole there.
func reachWorldOf(t *testing.T, w *World, adminRole string, perms ...string) *reachWorld {
	t.Helper()
	r := &reachWorld{World: w}
	r.admin, _ = w.Member(t, "agency-admin", adminRole)
	r.customer, r.asCust = w.NewCompany(t, access.NewCompany{Name: "Merchant Shop", ExternalKey: "merchant-" + uuid.NewString()[:8],
		Domains: []string{"shop-" + uuid.NewString()[:8] + ".example"}}, w.User(t, "merchant-owner"))
	sys := access.SystemPrincipal()
	var err error
	r.conn, err = w.Access.Connect(context.Background(), sys, sys, access.NewConnection{CustomerID: r.customer.ID, AgencyID: w.Company.ID,
		Permissions: perms})
	require.NoError(t, err)
	return r
}

// key makes an API token of the agency by its ADMIN, at ADMIN level with
// perms, and returns the principal Verify gives for it (in the agency).
func (r *reachWorld) key(t *testing.T, perms ...string) access.Principal {
	t.Helper()
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: r.Company.ID}
	made, err := r.Token.Create(context.Background(), sys, token.NewToken{Name: "partner key", Level: access.LevelAdmin,
		Permissions: perms, CreatorID: r.admin.ID})
	require.NoError(t, err)
	p, err := r.Token.Verify(context.Background(), made.Secret.Reveal())
	require.NoError(t, err)
	require.Equal(t, r.Company.ID, p.TokenCompanyID, "Verify names the token's own company")
	return p
}

// testReach: an agency's users and API tokens act in the customers
// connected to it (DESIGN's reach), bounded on every side.
func testReach(t *testing.T, newStore Factory) {
	ctx := context.Background()
	all := []string{access.UserView, access.UserEdit, access.UserAdd, access.UserDelete}

	t.Run("TokenReachIsTheIntersection", func(t *testing.T) {
		r := newReachWorld(t, newStore, access.UserView, access.UserAdd)
		tok := r.key(t, access.UserView, access.UserEdit)
		in := tok.In(r.customer.ID)
		assert.NoError(t, r.Access.Check(ctx, in, access.UserView), "held by the connection and the token")
		assert.ErrorIs(t, r.Access.Check(ctx, in, access.UserAdd), access.ErrForbidden, "the connection's, not the token's")
		assert.ErrorIs(t, r.Access.Check(ctx, in, access.UserEdit), access.ErrForbidden, "the token's, not the connection's")
		a, err := r.Access.Authorize(ctx, in, access.UserView)
		require.NoError(t, err)
		assert.True(t, a.Agency())
		assert.False(t, a.IsMember(), "an agency never manages the customer company itself")
		assert.Equal(t, []string{access.UserView}, a.Permissions(), "the intersection, nothing else")
		assert.LessOrEqual(t, a.Level(), access.LevelAdmin)
		// And at home the token is what it always was.
		assert.NoError(t, r.Access.Check(ctx, tok, access.UserEdit))

		// Each way round: a wide token through a narrow connection.
		wide := r.key(t, all...).In(r.customer.ID)
		a, err = r.Access.Authorize(ctx, wide, "")
		require.NoError(t, err)
		assert.Equal(t, []string{access.UserAdd, access.UserView}, a.Permissions())
		assert.ErrorIs(t, r.Access.Check(ctx, wide, access.UserDelete), access.ErrForbidden)
	})

	t.Run("AgencyMembershipCapsWhatTheConnectionGrants", func(t *testing.T) {
		// The connection grants everything; the agency ADMIN's own
		// membership has USER_DELETE withheld: not theirs in the customer.
		r := newReachWorld(t, newStore, all...)
		_, err := r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{RemovePermissions: []string{access.UserDelete}})
		require.NoError(t, err)
		user := access.UserPrincipal(r.admin.ID, r.customer.ID)
		assert.NoError(t, r.Access.Check(ctx, user, access.UserAdd), "held by both")
		err = r.Access.Check(ctx, user, access.UserDelete)
		assert.ErrorIs(t, err, access.ErrForbidden, "the connection grants it, the agency membership withholds it")
		assert.ErrorContains(t, err, "agency")
		assert.ErrorContains(t, err, access.UserDelete)
		a, err := r.Access.Authorize(ctx, user, "")
		require.NoError(t, err)
		assert.True(t, a.Agency())
		assert.Equal(t, access.LevelAdmin, a.Level(), "an agency still acts at ADMIN rank")
		assert.Equal(t, []string{access.UserAdd, access.UserEdit, access.UserView}, a.Permissions(), "capped like Check")
		assert.ErrorIs(t, a.CanGrant(access.LevelViewer, []string{access.UserDelete}), access.ErrForbidden)
		// A write path that needs it is refused.
		staff := r.User(t, "staff")
		r.AddMember(t, r.customer.ID, staff, access.RoleViewer)
		assert.ErrorIs(t, r.Access.RemoveMember(ctx, user, staff.ID), access.ErrForbidden)
		_, err = r.Access.GetMember(ctx, r.asCust, staff.ID)
		require.NoError(t, err, "still there")

		// An OWNER of the agency holds its role whole: the connection is
		// the only bound.
		owner := access.UserPrincipal(r.Owner.ID, r.customer.ID)
		assert.NoError(t, r.Access.Check(ctx, owner, access.UserDelete))
		require.NoError(t, r.Access.RemoveMember(ctx, owner, staff.ID))
	})

	t.Run("AgencyRoleWithoutThePermissionIsRefusedUnlessAnExtraGivesIt", func(t *testing.T) {
		// A host role at ADMIN level (an agency role) whose defaults are
		// USER_VIEW only.
		cat, err := access.NewCatalog(access.WithRoles(access.RoleSpec{Code: "PARTNER", Name: "Partner", Level: access.LevelAdmin,
			Permissions: []string{access.UserView}}))
		require.NoError(t, err)
		w := NewWorld(t, newStore(t), WithCompany(access.NewCompany{Name: "Partner Agency"}), WithAccess(access.WithCatalog(cat)))
		r := reachWorldOf(t, w, access.RoleAdmin, all...)
		// The token is made while its creator is an ADMIN, with every
		// permission; then the creator becomes a PARTNER.
		tok := r.key(t, all...)
		_, err = r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{Role: new("PARTNER")})
		require.NoError(t, err)
		user := access.UserPrincipal(r.admin.ID, r.customer.ID)
		for _, p := range []access.Principal{user, tok.In(r.customer.ID)} {
			assert.NoError(t, r.Access.Check(ctx, p, access.UserView), "%s: the role holds it", p)
			assert.ErrorIs(t, r.Access.Check(ctx, p, access.UserAdd), access.ErrForbidden, "%s: the connection grants it, the role does not", p)
			a, err := r.Access.Authorize(ctx, p, "")
			require.NoError(t, err, "%s", p)
			assert.Equal(t, []string{access.UserView}, a.Permissions(), "%s", p)
			_, err = r.Access.AddMember(ctx, p, access.NewMember{UserID: r.User(t, "x").ID, Role: access.RoleViewer})
			assert.ErrorIs(t, err, access.ErrForbidden, "%s", p)
		}
		// An extra permission of the agency membership gives it.
		_, err = r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{AddPermissions: []string{access.UserAdd}})
		require.NoError(t, err)
		assert.NoError(t, r.Access.Check(ctx, user, access.UserAdd), "an extra of the agency membership")
		a, err := r.Access.Authorize(ctx, user, access.UserAdd)
		require.NoError(t, err)
		assert.Equal(t, []string{access.UserAdd, access.UserView}, a.Permissions())
		newcomer := r.User(t, "newcomer")
		r.AddMember(t, r.Company.ID, newcomer, access.RoleViewer) // seen by the agency
		_, err = r.Access.AddMember(ctx, user, access.NewMember{UserID: newcomer.ID, Role: access.RoleViewer})
		require.NoError(t, err)
		// Still never what the connection does not grant.
		_, err = r.Access.UpdateAgencyPermissions(ctx, r.asCust, r.conn.ID, access.AgencyUpdate{Remove: []string{access.UserAdd}})
		require.NoError(t, err)
		assert.ErrorIs(t, r.Access.Check(ctx, user, access.UserAdd), access.ErrForbidden)
	})

	t.Run("NarrowingTheCreatorsAgencyRoleTakesEffectOnTheNextCall", func(t *testing.T) {
		r := newReachWorld(t, newStore, all...)
		tok := r.key(t, all...)
		in := tok.In(r.customer.ID)
		user := access.UserPrincipal(r.admin.ID, r.customer.ID)
		for _, p := range []access.Principal{in, user} {
			require.NoError(t, r.Access.Check(ctx, p, access.UserDelete), "%s", p)
		}
		_, err := r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{RemovePermissions: []string{access.UserDelete}})
		require.NoError(t, err)
		for _, p := range []access.Principal{in, user} {
			assert.ErrorIs(t, r.Access.Check(ctx, p, access.UserDelete), access.ErrForbidden, "%s: narrowed", p)
			assert.NoError(t, r.Access.Check(ctx, p, access.UserEdit), "%s: the rest stays", p)
			a, err := r.Access.Authorize(ctx, p, "")
			require.NoError(t, err)
			assert.False(t, a.Has(access.UserDelete), "%s", p)
		}
		// At home the token is capped by the same membership.
		assert.ErrorIs(t, r.Access.Check(ctx, tok, access.UserDelete), access.ErrForbidden)
		// Given back: held again on the next call.
		_, err = r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{AddPermissions: []string{access.UserDelete}})
		require.NoError(t, err)
		for _, p := range []access.Principal{in, user} {
			assert.NoError(t, r.Access.Check(ctx, p, access.UserDelete), "%s: restored", p)
		}
	})

	t.Run("SeveralAgenciesOneConnectionAnswers", func(t *testing.T) {
		// The user is an ADMIN of two agencies connected to one customer,
		// both connections granting USER_DELETE; one membership withholds
		// it. The store answers for the connection whose membership does
		// not withhold it (AccessFacts), so the user holds it; the other
		// membership never mixes in.
		r := newReachWorld(t, newStore, all...)
		second, _ := r.NewCompany(t, access.NewCompany{Name: "Second Agency"}, r.User(t, "second-owner"))
		r.AddMember(t, second.ID, r.admin, access.RoleAdmin)
		sys := access.SystemPrincipal()
		conn2, err := r.Access.Connect(ctx, sys, sys, access.NewConnection{CustomerID: r.customer.ID, AgencyID: second.ID,
			Permissions: []string{access.UserView, access.UserDelete}})
		require.NoError(t, err)
		user := access.UserPrincipal(r.admin.ID, r.customer.ID)
		withhold := func(company uuid.UUID, perm string, remove bool) {
			t.Helper()
			u := access.MemberUpdate{AddPermissions: []string{perm}}
			if remove {
				u = access.MemberUpdate{RemovePermissions: []string{perm}}
			}
			_, err := r.Access.UpdateMember(ctx, access.Principal{Kind: access.PrincipalSystem, CompanyID: company}, r.admin.ID, u)
			require.NoError(t, err)
		}
		for _, first := range []uuid.UUID{r.Company.ID, second.ID} {
			other := second.ID
			if first == second.ID {
				other = r.Company.ID
			}
			withhold(first, access.UserDelete, true)
			assert.NoError(t, r.Access.Check(ctx, user, access.UserDelete), "withheld in %s only: the other agency answers", first)
			a, err := r.Access.Authorize(ctx, user, access.UserDelete)
			require.NoError(t, err)
			assert.True(t, a.Has(access.UserDelete), "Authorize takes the connection Check did")
			withhold(other, access.UserDelete, true)
			assert.ErrorIs(t, r.Access.Check(ctx, user, access.UserDelete), access.ErrForbidden, "withheld in both")
			withhold(first, access.UserDelete, false)
			withhold(other, access.UserDelete, false)
		}
		// USER_ADD is granted by the first connection only, and withheld
		// by the membership there: the second agency's membership, which
		// holds it, lends nothing through the first connection.
		withhold(r.Company.ID, access.UserAdd, true)
		assert.ErrorIs(t, r.Access.Check(ctx, user, access.UserAdd), access.ErrForbidden, "no mixing of connection and membership")
		a, err := r.Access.Authorize(ctx, user, "")
		require.NoError(t, err)
		assert.False(t, a.Has(access.UserAdd))
		require.NoError(t, r.Access.RemoveConnection(ctx, r.asCust, conn2.ID))
	})

	t.Run("TokenNeverUsesItsCreatorsMembershipInTheCustomer", func(t *testing.T) {
		r := newReachWorld(t, newStore, access.UserView)
		// The creator is also an OWNER of the customer in their own right.
		r.AddMember(t, r.customer.ID, r.admin, access.RoleOwner)
		in := r.key(t, all...).In(r.customer.ID)
		assert.NoError(t, r.Access.Check(ctx, in, access.UserView))
		assert.ErrorIs(t, r.Access.Check(ctx, in, access.UserDelete), access.ErrForbidden, "the connection bounds it, not the creator's OWNER role")
		_, err := r.Access.Level(ctx, in, access.Resource{Type: access.ResourceAccount})
		assertNotFound(t, err, access.CodeCompanyNotFound, "levels are held through a membership, never through reach")
	})

	t.Run("NoTransitivity", func(t *testing.T) {
		r := newReachWorld(t, newStore, all...)
		// The customer is itself the agency of a third company.
		third, _ := r.NewCompany(t, access.NewCompany{Name: "Third"}, r.User(t, "third-owner"))
		sys := access.SystemPrincipal()
		_, err := r.Access.Connect(ctx, sys, sys, access.NewConnection{CustomerID: third.ID, AgencyID: r.customer.ID, Permissions: all})
		require.NoError(t, err)
		tok := r.key(t, all...)
		assert.NoError(t, r.Access.Check(ctx, tok.In(r.customer.ID), access.UserView))
		assertNotFound(t, r.Access.Check(ctx, tok.In(third.ID), access.UserView), access.CodeCompanyNotFound, "never a second level")
		// Not even when its creator is an ADMIN of the middle company:
		// a token reaches through its own company's connections only.
		r.AddMember(t, r.customer.ID, r.admin, access.RoleAdmin)
		assertNotFound(t, r.Access.Check(ctx, tok.In(third.ID), access.UserView), access.CodeCompanyNotFound)
		_, err = r.Access.FindCompany(ctx, tok, access.CompanyRef{ID: third.ID})
		assertNotFound(t, err, access.CodeCompanyNotFound)
		// The creator themself, as a user, reaches the third company
		// through the middle one they belong to: a user's reach.
		assert.NoError(t, r.Access.Check(ctx, access.UserPrincipal(r.admin.ID, third.ID), access.UserView))
		// And an agency user reaches no further than one level.
		agencyOwner := access.UserPrincipal(r.Owner.ID, third.ID)
		assertNotFound(t, r.Access.Check(ctx, agencyOwner, access.UserView), access.CodeCompanyNotFound)
	})

	t.Run("NarrowedOrRemovedConnectionTakesEffectOnTheNextCall", func(t *testing.T) {
		r := newReachWorld(t, newStore, access.UserView, access.UserAdd)
		in := r.key(t, all...).In(r.customer.ID)
		user := access.UserPrincipal(r.admin.ID, r.customer.ID)
		require.NoError(t, r.Access.Check(ctx, in, access.UserAdd))
		require.NoError(t, r.Access.Check(ctx, user, access.UserAdd))
		_, err := r.Access.UpdateAgencyPermissions(ctx, r.asCust, r.conn.ID, access.AgencyUpdate{Remove: []string{access.UserAdd}})
		require.NoError(t, err)
		assert.ErrorIs(t, r.Access.Check(ctx, in, access.UserAdd), access.ErrForbidden, "narrowed: the token")
		assert.ErrorIs(t, r.Access.Check(ctx, user, access.UserAdd), access.ErrForbidden, "narrowed: the user")
		assert.NoError(t, r.Access.Check(ctx, in, access.UserView))
		require.NoError(t, r.Access.RemoveConnection(ctx, r.asCust, r.conn.ID))
		assertNotFound(t, r.Access.Check(ctx, in, access.UserView), access.CodeCompanyNotFound, "removed: the token")
		assertNotFound(t, r.Access.Check(ctx, user, access.UserView), access.CodeCompanyNotFound, "removed: the user")
		_, err = r.Access.FindCompany(ctx, r.key(t, all...), access.CompanyRef{Merchant: r.customer.ExternalKey})
		assertNotFound(t, err, access.CodeCompanyNotFound)
	})

	t.Run("CreatorLeavingTheAgencyStopsTheTokenInTheCustomer", func(t *testing.T) {
		r := newReachWorld(t, newStore, all...)
		tok := r.key(t, access.UserView)
		in := tok.In(r.customer.ID)
		require.NoError(t, r.Access.Check(ctx, in, access.UserView))
		// Demoted below the agency roles: no reach.
		_, err := r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{Role: new(access.RoleViewer)})
		require.NoError(t, err)
		assertNotFound(t, r.Access.Check(ctx, in, access.UserView), access.CodeCompanyNotFound, "a VIEWER of the agency reaches nothing")
		_, err = r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{Role: new(access.RoleAdmin)})
		require.NoError(t, err)
		require.NoError(t, r.Access.Check(ctx, in, access.UserView))
		_, err = r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{Active: new(false)})
		require.NoError(t, err)
		assertNotFound(t, r.Access.Check(ctx, in, access.UserView), access.CodeCompanyNotFound, "deactivated")
		_, err = r.Access.UpdateMember(ctx, r.AsOwner, r.admin.ID, access.MemberUpdate{Active: new(true)})
		require.NoError(t, err)
		require.NoError(t, r.Access.RemoveMember(ctx, r.AsOwner, r.admin.ID))
		assertNotFound(t, r.Access.Check(ctx, in, access.UserView), access.CodeCompanyNotFound, "removed from the agency")
		r.Clock.Advance(time.Second)
		r.AddMember(t, r.Company.ID, r.admin, access.RoleAdmin)
		assert.ErrorIs(t, r.Access.Check(ctx, in, access.UserView), access.ErrForbidden, "re-adding the creator does not revive the token")
		_, err = r.Access.Authorize(ctx, in, "")
		assert.ErrorIs(t, err, access.ErrForbidden)
		_, err = r.Access.FindCompany(ctx, tok, access.CompanyRef{Merchant: r.customer.ExternalKey})
		assertNotFound(t, err, access.CodeCompanyNotFound)
	})

	t.Run("UnconnectedMerchantIsNotFoundAsAnUnknownOne", func(t *testing.T) {
		r := newReachWorld(t, newStore, all...)
		tok := r.key(t, all...)
		c, err := r.Access.FindCompany(ctx, tok, access.CompanyRef{Merchant: r.customer.ExternalKey})
		require.NoError(t, err, "a connected merchant by merchant_id")
		assert.Equal(t, r.customer.ID, c.ID)
		c, err = r.Access.FindCompany(ctx, tok, access.CompanyRef{Domain: r.customer.Domains[0]})
		require.NoError(t, err, "and by domain_id")
		assert.Equal(t, r.customer.ID, c.ID)
		c, err = r.Access.FindCompany(ctx, tok, access.CompanyRef{Merchant: r.Company.ID.String()})
		require.NoError(t, err, "its own company")
		assert.Equal(t, r.Company.ID, c.ID)

		stranger, _ := r.NewCompany(t, access.NewCompany{Name: "Stranger", ExternalKey: "stranger-" + uuid.NewString()[:8],
			Domains: []string{"stranger-" + uuid.NewString()[:8] + ".example"}}, r.User(t, "stranger-owner"))
		for _, p := range []access.Principal{tok, access.UserPrincipal(r.admin.ID, r.Company.ID)} {
			for _, pair := range [][2]access.CompanyRef{
				{{Merchant: stranger.ExternalKey}, {Merchant: "nobody-" + uuid.NewString()[:8]}},
				{{Merchant: stranger.ID.String()}, {Merchant: uuid.NewString()}},
				{{Domain: stranger.Domains[0]}, {Domain: "nobody-" + uuid.NewString()[:8] + ".example"}},
			} {
				_, errUnconnected := r.Access.FindCompany(ctx, p, pair[0])
				_, errUnknown := r.Access.FindCompany(ctx, p, pair[1])
				assertNotFound(t, errUnconnected, access.CodeCompanyNotFound, "%s: %+v", p, pair[0])
				assertNotFound(t, errUnknown, access.CodeCompanyNotFound, "%s: %+v", p, pair[1])
				if errUnconnected != nil && errUnknown != nil {
					assert.Equal(t, errUnknown.Error(), errUnconnected.Error(), "identical answers")
				}
			}
		}
		// Acting in an unconnected company anyway is refused as unknown.
		assertNotFound(t, r.Access.Check(ctx, tok.In(stranger.ID), access.UserView), access.CodeCompanyNotFound)
		_, err = r.Access.ListMembers(ctx, tok.In(stranger.ID), access.MemberFilter{})
		assertNotFound(t, err, access.CodeCompanyNotFound)
	})

	t.Run("TokenManagesTheMerchantsUsersAndTheTrailNamesTheAgency", func(t *testing.T) {
		r := newReachWorld(t, newStore, all...)
		tok := r.key(t, all...)
		in := tok.In(r.customer.ID)
		page, err := r.Access.ListMembers(ctx, in, access.MemberFilter{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1, "the merchant's owner")
		staff := r.User(t, "staff")
		// The token may see the user it adds only as a member of the
		// agency: add them there first, then into the merchant.
		r.AddMember(t, r.Company.ID, staff, access.RoleViewer)
		m, err := r.Access.AddMember(ctx, in, access.NewMember{UserID: staff.ID, Role: access.RoleViewer})
		require.NoError(t, err)
		assert.Equal(t, r.customer.ID, m.CompanyID)
		_, err = r.Access.AddMember(ctx, in, access.NewMember{UserID: r.User(t, "x").ID, Role: access.RoleOwner})
		assert.ErrorIs(t, err, access.ErrForbidden, "never above the agency's ADMIN rank")
		_, err = r.Access.UpdateMember(ctx, in, staff.ID, access.MemberUpdate{Active: new(false)})
		require.NoError(t, err)
		_, err = r.Access.UpdateMember(ctx, in, r.asCust.UserID, access.MemberUpdate{Active: new(false)})
		assert.ErrorIs(t, err, access.ErrForbidden, "the merchant's OWNER is out of its rank")
		require.NoError(t, r.Access.RemoveMember(ctx, in, staff.ID))

		events, err := r.Access.ListAudit(ctx, r.asCust, access.PageRequest{Limit: access.MaxPageLimit})
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, e := range events.Items {
			if e.Actor != tok.String() {
				continue
			}
			seen[e.Action+" "+e.Outcome] = true
			assert.Equal(t, r.Company.ID.String(), e.Details["agency_id"], "%s names the agency", e.Action)
			if e.Outcome == access.OutcomeSuccess {
				assert.Equal(t, r.conn.ID.String(), e.Details["connection_id"], "%s names the connection", e.Action)
			}
		}
		assert.Equal(t, map[string]bool{"membership.created success": true, "membership.updated success": true,
			"membership.removed success": true, "access.denied denied": true}, seen, "added, deactivated, refused, removed")

		// A user of the agency acting in the customer is named the same way.
		user := access.UserPrincipal(r.admin.ID, r.customer.ID)
		_, err = r.Access.AddMember(ctx, user, access.NewMember{UserID: staff.ID, Role: access.RoleViewer})
		require.NoError(t, err)
		events, err = r.Access.ListAudit(ctx, r.asCust, access.PageRequest{Limit: access.MaxPageLimit})
		require.NoError(t, err)
		last := events.Items[len(events.Items)-1]
		assert.Equal(t, user.String(), last.Actor)
		assert.Equal(t, r.Company.ID.String(), last.Details["agency_id"])
		assert.Equal(t, r.conn.ID.String(), last.Details["connection_id"])
		// Its own company's events name no agency.
		home, err := r.Access.ListAudit(ctx, r.AsOwner, access.PageRequest{Limit: access.MaxPageLimit})
		require.NoError(t, err)
		for _, e := range home.Items {
			if e.Action == "membership.created" {
				assert.NotContains(t, e.Details, "agency_id")
			}
		}
	})

	t.Run("InvitationFromTheAgencysTokenIsAcceptedThroughTheConnection", func(t *testing.T) {
		r := newReachWorld(t, newStore, all...)
		in := r.key(t, all...).In(r.customer.ID)
		email := "newhire-" + uuid.NewString()[:8] + "@example.com"
		added, err := r.Invite.Grant(ctx, in, invite.NewGrant{Email: email, Role: access.RoleAdmin})
		require.NoError(t, err)
		require.True(t, added.Invited, "a stranger is invited")
		assert.Equal(t, r.customer.ID, added.Issued.Invitation.CompanyID)
		acc, err := r.Invite.Accept(ctx, access.Principal{}, added.Issued.Token.Reveal())
		require.NoError(t, err, "the token stands, through the connection")
		assert.Equal(t, r.customer.ID, acc.CompanyID)

		// Once the connection is gone, its invitations vouch for nothing.
		again, err := r.Invite.Grant(ctx, in, invite.NewGrant{Email: "later-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleAdmin})
		require.NoError(t, err)
		require.NoError(t, r.Access.RemoveConnection(ctx, r.asCust, r.conn.ID))
		_, err = r.Invite.Accept(ctx, access.Principal{}, again.Issued.Token.Reveal())
		assert.ErrorIs(t, err, invite.ErrInviterNotAuthorized)
	})

	t.Run("MembershipsTheAgencyCreatedStayWhenTheConnectionGoes", func(t *testing.T) {
		r := newReachWorld(t, newStore, all...)
		user := access.UserPrincipal(r.admin.ID, r.customer.ID)
		staff := r.User(t, "staff")
		r.AddMember(t, r.Company.ID, staff, access.RoleViewer)
		_, err := r.Access.AddMember(ctx, user, access.NewMember{UserID: staff.ID, Role: access.RoleAdmin})
		require.NoError(t, err)
		require.NoError(t, r.Access.RemoveConnection(ctx, access.UserPrincipal(r.Owner.ID, r.Company.ID), r.conn.ID), "from the agency's side")
		m, err := r.Access.GetMember(ctx, r.asCust, staff.ID)
		require.NoError(t, err, "an ordinary membership, it stays")
		assert.Equal(t, r.admin.ID, m.CreatedBy)
		assert.NoError(t, r.Access.Check(ctx, access.UserPrincipal(staff.ID, r.customer.ID), access.UserView))
		assertNotFound(t, r.Access.Check(ctx, user, access.UserView), access.CodeCompanyNotFound, "while the agency reaches no more")
	})

	t.Run("AgencyMakesItsTokensAtHome", func(t *testing.T) {
		r := newReachWorld(t, newStore, all...)
		user := access.UserPrincipal(r.admin.ID, r.customer.ID)
		_, err := r.Token.Create(ctx, user, token.NewToken{Name: "in the customer", Permissions: []string{access.UserView}})
		assert.ErrorIs(t, err, access.ErrForbidden, "a token of the customer would rest on no membership")
		// Yet it sees and revokes the customer's tokens within the connection.
		made := r.APIToken(t, r.asCust, "", access.UserView)
		page, err := r.Token.List(ctx, user, access.PageRequest{Limit: 10})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.Equal(t, made.Token.ID, page.Items[0].ID)
	})

	t.Run("AgencyUserSwitchesIntoAConnectedCustomerByName", func(t *testing.T) {
		r := newReachWorld(t, newStore, access.UserView)
		r.NewCompany(t, access.NewCompany{Name: "Merchant Elsewhere"}, r.User(t, "unconnected"))
		home := access.UserPrincipal(r.admin.ID, r.Company.ID)
		c, err := r.Access.SwitchCompany(ctx, home, access.SwitchTarget{Name: "merchant shop"})
		require.NoError(t, err, "exact, case-insensitive")
		assert.Equal(t, r.customer.ID, c.ID)
		c, err = r.Access.SwitchCompany(ctx, home, access.SwitchTarget{Name: "merchnt sho"})
		require.NoError(t, err, "fuzzy")
		assert.Equal(t, r.customer.ID, c.ID)
		_, err = r.Access.SwitchCompany(ctx, home, access.SwitchTarget{Name: "Merchant Elsewhere"})
		var amb *access.AmbiguousError
		require.ErrorAs(t, err, &amb, "an unconnected company is no candidate")
		assert.NotContains(t, amb.Candidates, "Merchant Elsewhere")
		assert.Contains(t, amb.Candidates, "Merchant Shop")
		// A VIEWER of the agency reaches no customer, by name either.
		viewer, _ := r.Member(t, "viewer", access.RoleViewer)
		_, err = r.Access.SwitchCompany(ctx, access.UserPrincipal(viewer.ID, r.Company.ID), access.SwitchTarget{Name: "Merchant Shop"})
		assert.ErrorAs(t, err, &amb)
	})

	t.Run("ParentCompanyHasNoReachIntoItsChildren", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		child, _ := w.NewCompany(t, access.NewCompany{Name: "Child", ParentID: w.Company.ID, ExternalKey: "child-" + uuid.NewString()[:8]},
			w.User(t, "child-owner"))
		require.Equal(t, w.Company.ID, child.ParentID)
		made := w.APIToken(t, w.AsOwner, access.RoleOwner)
		tok, err := w.Token.Verify(ctx, made.Secret.Reveal())
		require.NoError(t, err)
		for _, p := range []access.Principal{w.AsOwner, tok} {
			_, err := w.Access.FindCompany(ctx, p, access.CompanyRef{Merchant: child.ExternalKey})
			assertNotFound(t, err, access.CodeCompanyNotFound, "%s", p)
			assertNotFound(t, w.Access.Check(ctx, p.In(child.ID), access.UserView), access.CodeCompanyNotFound, "%s", p)
		}
		_, err = w.Access.SwitchCompany(ctx, w.AsOwner, access.SwitchTarget{CompanyID: child.ID})
		assertNotFound(t, err, access.CodeCompanyNotFound)
	})
}
