package storetest

import (
	"context"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// The operations category (run.go): the service operations that compose
// several steps in one place, so no caller (the HTTP adapter included)
// composes them itself, each proven on every store.

// testGrantsPass: an accepted invitation's grants become the member's;
// where the member already holds a grant on the same resource (a row the
// store kept), the higher level stays and one grant remains.
func testGrantsPass(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	is, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: "bob@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	inv := access.Subject{Type: access.SubjectInvite, ID: is.Invitation.ID}
	grant := func(sub access.Subject, res string, level int) {
		t.Helper()
		_, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: sub, Resource: access.Resource{Type: "project", ID: res}, Level: level})
		require.NoError(t, err)
	}
	grant(inv, "low", access.LevelViewerPlus)
	grant(inv, "high", access.LevelViewerPlus)
	grant(inv, "new", access.LevelViewer)

	// Bob's user exists and (from a past the store kept) holds grants on
	// two of the resources: one below the invitation's level, one above.
	bob := w.CreateUser(t, access.NewUser{Email: "bob@example.com"})
	userSub := access.Subject{Type: access.SubjectUser, ID: bob.ID}
	for res, level := range map[string]int{"low": access.LevelViewer, "high": access.LevelAdmin} {
		g := access.Grant{ID: uuid.New(), CompanyID: w.Company.ID, Subject: userSub,
			Resource: access.Resource{Type: "project", ID: res}, Level: level, CreatedAt: w.Clock.Now()}
		require.NoError(t, w.Store.CreateGrant(ctx, &g))
	}

	// Nobody moves grants that are not the new member's: a token's, or a
	// pending invitation's.
	carol := w.CreateUser(t, access.NewUser{Email: "carol@example.com"})
	tok := w.APIToken(t, w.AsOwner, access.RoleOwner)
	_, err = w.Access.AddMember(ctx, w.AsOwner, access.NewMember{UserID: carol.ID, Role: access.RoleViewer, Consented: true,
		GrantsFrom: access.Subject{Type: access.SubjectToken, ID: tok.Token.ID}})
	assert.ErrorIs(t, err, access.ErrInvalid, "a token hands its grants to no one")
	_, err = w.Access.AddMember(ctx, w.AsOwner, access.NewMember{Email: carol.Email, Role: access.RoleViewer, Consented: true, GrantsFrom: inv})
	assert.ErrorIs(t, err, access.ErrForbidden, "a pending invitation's grants are not carol's")

	_, err = w.Invite.Accept(ctx, access.Principal{}, is.Token.Reveal())
	require.NoError(t, err)
	held, err := w.Store.ListGrants(ctx, w.Company.ID, access.GrantQuery{Subject: &userSub}, all())
	require.NoError(t, err)
	levels := map[string]int{}
	for _, g := range held {
		_, dup := levels[g.Resource.ID]
		assert.False(t, dup, "one grant per resource: %s", g.Resource.ID)
		levels[g.Resource.ID] = g.Level
	}
	assert.Equal(t, map[string]int{"low": access.LevelViewerPlus, "high": access.LevelAdmin, "new": access.LevelViewer}, levels)
	left, err := w.Store.ListGrants(ctx, w.Company.ID, access.GrantQuery{Subject: &inv}, all())
	require.NoError(t, err)
	assert.Empty(t, left, "the invitation holds nothing any more")
}

func testProvisionMember(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	_, admin := w.Member(t, "admin", access.RoleAdmin)

	pm, err := w.Access.ProvisionMember(ctx, admin, access.NewMember{Email: "New@Example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	assert.True(t, pm.UserCreated)
	assert.False(t, pm.Elsewhere)
	assert.Equal(t, "new@example.com", pm.Member.User.Email)
	assert.Equal(t, access.RoleViewer, pm.Member.Role)
	assert.Equal(t, w.Company.ID, pm.Member.User.ActiveCompanyID, "a new user starts in the company")

	// Again, deactivated meanwhile: the same membership, changed and active.
	_, err = w.Access.UpdateMember(ctx, w.AsOwner, pm.Member.UserID, access.MemberUpdate{Active: new(false)})
	require.NoError(t, err)
	again, err := w.Access.ProvisionMember(ctx, admin, access.NewMember{Email: "new@example.com", Role: access.RoleAdmin, NoSwitch: true})
	require.NoError(t, err)
	assert.False(t, again.UserCreated)
	assert.Equal(t, pm.Member.ID, again.Member.ID)
	assert.True(t, again.Member.Active)
	assert.False(t, again.Member.AllowSwitch)
	assert.Equal(t, access.RoleAdmin, again.Member.Role)

	// The rank rules of UpdateMember hold: an ADMIN does not touch the
	// OWNER, and the company keeps its OWNER.
	_, err = w.Access.ProvisionMember(ctx, admin, access.NewMember{Email: w.Owner.Email, Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrForbidden)
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID}
	_, err = w.Access.ProvisionMember(ctx, sys, access.NewMember{Email: w.Owner.Email, Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrLastOwner)

	// A member of another company is Elsewhere.
	other, _ := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other-owner"))
	w.AddMember(t, other.ID, again.Member.User, access.RoleViewer)
	pm, err = w.Access.ProvisionMember(ctx, w.AsOwner, access.NewMember{Email: "new@example.com", Role: access.RoleAdmin})
	require.NoError(t, err)
	assert.True(t, pm.Elsewhere)
}

func testRemoveMembership(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	bob, asBob := w.Member(t, "bob", access.RoleViewer)
	carol, _ := w.Member(t, "carol", access.RoleViewer)
	bobM, err := w.Store.GetMembership(ctx, w.Company.ID, bob.ID)
	require.NoError(t, err)
	other, _ := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other-owner"))
	w.AddMember(t, other.ID, bob, access.RoleViewer)
	bobOther, err := w.Store.GetMembership(ctx, other.ID, bob.ID)
	require.NoError(t, err)

	err = w.Access.RemoveMembership(ctx, w.AsOwner, carol.ID, bobM.ID)
	assertNotFound(t, err, access.CodeUserAccessNotFound, "another user's membership")
	err = w.Access.RemoveMembership(ctx, w.AsOwner, bob.ID, bobOther.ID)
	assertNotFound(t, err, access.CodeUserAccessNotFound, "another company's membership")
	assert.ErrorIs(t, w.Access.RemoveMembership(ctx, asBob, carol.ID, bobM.ID), access.ErrNotFound)

	// Bob leaves the other company while acting in this one.
	require.NoError(t, w.Access.RemoveMembership(ctx, asBob, bob.ID, bobOther.ID))
	_, err = w.Store.GetMembership(ctx, other.ID, bob.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)
	require.NoError(t, w.Access.RemoveMembership(ctx, w.AsOwner, bob.ID, bobM.ID))
	_, err = w.Store.GetMembership(ctx, w.Company.ID, bob.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)
	ownerM, err := w.Store.GetMembership(ctx, w.Company.ID, w.Owner.ID)
	require.NoError(t, err)
	assert.ErrorIs(t, w.Access.RemoveMembership(ctx, w.AsOwner, w.Owner.ID, ownerM.ID), access.ErrLastOwner)
}

func testAddMemberByID(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	stranger := w.User(t, "stranger")
	_, err := w.Access.AddMember(ctx, w.AsOwner, access.NewMember{UserID: stranger.ID, Role: access.RoleViewer})
	assertNotFound(t, err, access.CodeUserNotFound, "a user the owner shares no company with is unknown to them")

	second, asOwner2 := w.NewCompany(t, access.NewCompany{Name: "Second"}, w.Owner)
	bob, _ := w.Member(t, "bob", access.RoleViewer)
	_, err = w.Access.AddMember(ctx, asOwner2, access.NewMember{UserID: bob.ID, Role: access.RoleViewer, Primary: true})
	assert.ErrorIs(t, err, access.ErrForbidden, "only the member or the system chooses their primary company")
	m, err := w.Access.AddMember(ctx, asOwner2, access.NewMember{UserID: bob.ID, Role: access.RoleViewer})
	require.NoError(t, err, "bob shares Acme with the owner")
	assert.Equal(t, second.ID, m.CompanyID)
	assert.False(t, m.Primary, "bob's first membership stays primary")

	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: second.ID}
	carol := w.User(t, "carol")
	w.AddMember(t, w.Company.ID, carol, access.RoleViewer)
	m, err = w.Access.AddMember(ctx, sys, access.NewMember{UserID: carol.ID, Role: access.RoleViewer, Primary: true})
	require.NoError(t, err)
	assert.True(t, m.Primary)
	first, err := w.Store.GetMembership(ctx, w.Company.ID, carol.ID)
	require.NoError(t, err)
	assert.False(t, first.Primary, "one primary membership per user")
}

func testListMembersNumbered(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	for i := range 6 {
		w.Member(t, "m"+string(rune('a'+i)), access.RoleViewer)
	}
	keyset, err := w.Access.ListMembers(ctx, w.AsOwner, access.MemberFilter{Page: access.PageRequest{Limit: access.MaxPageLimit}})
	require.NoError(t, err)
	require.Len(t, keyset.Items, 7)
	var numbered []access.Member
	for page := 1; ; page++ {
		pg, err := w.Access.ListMembersNumbered(ctx, w.AsOwner, access.MemberFilter{}, page, 3)
		require.NoError(t, err)
		assert.Equal(t, page, pg.Page)
		numbered = append(numbered, pg.Items...)
		if !pg.HasNext {
			assert.Equal(t, 3, page)
			break
		}
	}
	assert.Equal(t, memberIDs(keyset.Items), memberIDs(numbered), "the numbered pages are the listing, in order")
	pg, err := w.Access.ListMembersNumbered(ctx, w.AsOwner, access.MemberFilter{}, 9, 3)
	require.NoError(t, err)
	assert.Empty(t, pg.Items, "past the end")
	assert.False(t, pg.HasNext)

	for _, tc := range []struct {
		page, per int
		field     string
	}{{0, 3, "page"}, {1, 0, "per_page"}, {1, access.MaxPageLimit + 1, "per_page"}, {access.MaxPageOffset/10 + 2, 10, "page"}, {math.MaxInt/2 + 2, 3, "page"}} {
		_, err := w.Access.ListMembersNumbered(ctx, w.AsOwner, access.MemberFilter{}, tc.page, tc.per)
		assert.ErrorIs(t, err, access.ErrInvalid, "page %d of %d", tc.page, tc.per)
		assert.Equal(t, tc.field, access.FieldOf(err))
	}
	_, err = w.Access.ListMembersNumbered(ctx, w.AsOwner, access.MemberFilter{}, access.MaxPageOffset/10+1, 10)
	assert.NoError(t, err, "the last page the bound allows")
	stranger := access.UserPrincipal(w.User(t, "stranger").ID, w.Company.ID)
	_, err = w.Access.ListMembersNumbered(ctx, stranger, access.MemberFilter{}, 1, 3)
	assert.ErrorIs(t, err, access.ErrNotFound)
}

func testRemoveAccess(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	res := access.Resource{Type: "project", ID: "p"}
	is, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: "bob@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	gi, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectInvite, ID: is.Invitation.ID}, Resource: res, Level: access.LevelViewer})
	require.NoError(t, err)
	tok := w.APIToken(t, w.AsOwner, access.RoleViewer)
	gt, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectToken, ID: tok.Token.ID}, Resource: res, Level: access.LevelViewer})
	require.NoError(t, err)

	_, err = w.Access.RemoveAccess(ctx, w.AsOwner, gi.ID)
	require.NoError(t, err)
	inv, err := w.Invite.Get(ctx, w.AsOwner, is.Invitation.ID)
	require.NoError(t, err)
	assert.Equal(t, invite.StatusRevoked, inv.Status, "the invitation went with its access")
	_, err = w.Access.RemoveAccess(ctx, w.AsOwner, gt.ID)
	require.NoError(t, err)
	_, err = w.Token.Verify(ctx, tok.Secret.Reveal())
	assert.ErrorIs(t, err, token.ErrInvalidToken, "the token went with its access")

	// A grant of an invitation no longer pending goes alone.
	is2, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: "carol@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	g2, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectInvite, ID: is2.Invitation.ID}, Resource: res, Level: access.LevelViewer})
	require.NoError(t, err)
	w.Clock.Advance(invite.DefaultValidity)
	_, err = w.Access.RemoveAccess(ctx, w.AsOwner, g2.ID)
	require.NoError(t, err)
	_, err = w.Store.GetGrant(ctx, w.Company.ID, g2.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)
	_, err = w.Access.RemoveAccess(ctx, w.AsOwner, g2.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)
}

func testConnect(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	agency, asAgency := w.NewCompany(t, access.NewCompany{Name: "Agency"}, w.User(t, "agency-owner"))
	_, admin := w.Member(t, "admin", access.RoleAdmin)
	in := access.NewConnection{CustomerID: w.Company.ID, AgencyID: agency.ID, Permissions: []string{access.UserView}}

	_, err := w.Access.Connect(ctx, w.AsOwner, admin, in)
	assert.ErrorIs(t, err, access.ErrForbidden, "two principals of one side are not both sides")
	_, viewer := w.Member(t, "viewer", access.RoleViewer)
	_, err = w.Access.Connect(ctx, asAgency, viewer, in)
	assert.ErrorIs(t, err, access.ErrConsentRefused, "a VIEWER does not consent for the customer")
	_, err = w.Access.Connect(ctx, asAgency, w.AsOwner, access.NewConnection{CustomerID: w.Company.ID, AgencyID: w.Company.ID})
	assert.ErrorIs(t, err, access.ErrInvalid)

	c, err := w.Access.Connect(ctx, asAgency, w.AsOwner, in)
	require.NoError(t, err)
	assert.Equal(t, []string{access.UserView}, c.Permissions)
	got, err := w.Access.GetConnection(ctx, asAgency, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c.ID, got.ID)
	_, err = w.Access.Connect(ctx, asAgency, w.AsOwner, in)
	assertConflict(t, err, access.CodeAlreadyConnected)
	for _, id := range []uuid.UUID{w.Company.ID, agency.ID} {
		evs, err := w.Store.ListAudit(ctx, id, all())
		require.NoError(t, err)
		assert.Contains(t, actions(evs), "connection.created", "recorded on both sides")
	}
}

func testFindMerchant(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t), WithCompany(access.NewCompany{Name: "Acme", ExternalKey: "acme-1"}))
	for _, ref := range []string{"acme-1", w.Company.ID.String()} {
		c, err := w.Access.FindCompany(ctx, w.AsOwner, access.CompanyRef{Merchant: ref})
		require.NoError(t, err, ref)
		assert.Equal(t, w.Company.ID, c.ID, ref)
	}
	for _, ref := range []string{"nope", uuid.NewString(), "{" + w.Company.ID.String() + "}"} {
		_, err := w.Access.FindCompany(ctx, w.AsOwner, access.CompanyRef{Merchant: ref})
		assert.ErrorIs(t, err, access.ErrNotFound, ref)
	}
}

func testInboxAndReject(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	bob := w.User(t, "bob")
	other, asOther := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other-owner"))
	sent, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: bob.Email, Role: access.RoleViewer})
	require.NoError(t, err)
	got, err := w.Invite.Invite(ctx, asOther, invite.NewInvitation{Email: w.Owner.Email, Role: access.RoleViewer})
	require.NoError(t, err)

	box, err := w.Invite.Inbox(ctx, w.AsOwner, invite.ListFilter{})
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{sent.Invitation.ID}, invIDs(box.Sent.Items))
	assert.Equal(t, []uuid.UUID{got.Invitation.ID}, invIDs(box.Received))
	assert.Equal(t, other.ID, box.Received[0].CompanyID)

	asBob := access.UserPrincipal(bob.ID, uuid.Nil)
	_, err = w.Invite.RejectByID(ctx, asBob, got.Invitation.ID, sent.Token.Reveal())
	assert.ErrorIs(t, err, access.ErrNotFound, "the token is not that invitation's")
	inv, err := w.Invite.RejectByID(ctx, asBob, sent.Invitation.ID, sent.Token.Reveal())
	require.NoError(t, err)
	assert.Equal(t, invite.StatusRejected, inv.Status)
}

func testSwitchSession(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	second, _ := w.NewCompany(t, access.NewCompany{Name: "Second"}, w.Owner)
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID}
	login := func() string {
		t.Helper()
		pv, err := w.Token.Provision(ctx, sys, token.Provision{Email: w.Owner.Email, Role: access.RoleOwner})
		require.NoError(t, err)
		secret, err := tokenOfURL(pv.LoginURL.Reveal())
		require.NoError(t, err)
		l, err := w.Token.RedeemLoginLinkSession(ctx, secret)
		require.NoError(t, err)
		return l.Session.Secret.Reveal()
	}
	s1, s2 := login(), login()
	p1, err := w.Token.Verify(ctx, s1)
	require.NoError(t, err)
	require.NotEqual(t, uuid.Nil, p1.SessionID, "a session's principal names its session")
	c, err := w.Token.SwitchCompany(ctx, p1, access.SwitchTarget{CompanyID: second.ID})
	require.NoError(t, err)
	assert.Equal(t, second.ID, c.ID)
	p1, err = w.Token.Verify(ctx, s1)
	require.NoError(t, err)
	assert.Equal(t, second.ID, p1.CompanyID, "the asking session moved")
	p2, err := w.Token.Verify(ctx, s2)
	require.NoError(t, err)
	assert.Equal(t, w.Company.ID, p2.CompanyID, "the other session stayed")
}

// tokenOfURL is the secret a link carries in its "token" query parameter.
func tokenOfURL(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", err
	}
	return u.Query().Get("token"), nil
}

func actions(evs []access.AuditEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Action
	}
	return out
}

// testRemoveSubjectGrants: the grants of an invitation or a token go with
// it, never while it stands, whoever asks.
func testRemoveSubjectGrants(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	_, viewer := w.Member(t, "viewer", access.RoleViewer)
	tok := w.APIToken(t, w.AsOwner, access.RoleOwner)
	sub := access.Subject{Type: access.SubjectToken, ID: tok.Token.ID}
	_, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: sub, Resource: access.Resource{Type: "project", ID: "p"}, Level: access.LevelOwner})
	require.NoError(t, err)
	_, err = w.Access.RemoveSubjectGrants(ctx, viewer, sub)
	assert.ErrorIs(t, err, access.ErrForbidden, "a standing token keeps its grants")
	_, err = w.Access.RemoveSubjectGrants(ctx, w.AsOwner, access.Subject{Type: access.SubjectUser, ID: w.Owner.ID})
	assert.ErrorIs(t, err, access.ErrInvalid, "a user's grants go with the membership")
	left, err := w.Store.ListGrants(ctx, w.Company.ID, access.GrantQuery{Subject: &sub}, all())
	require.NoError(t, err)
	assert.Len(t, left, 1)
	_, err = w.Token.Revoke(ctx, w.AsOwner, tok.Token.ID)
	require.NoError(t, err)
	left, err = w.Store.ListGrants(ctx, w.Company.ID, access.GrantQuery{Subject: &sub}, all())
	require.NoError(t, err)
	assert.Empty(t, left, "revoking the token removed them")
	evs, err := w.Store.ListAudit(ctx, w.Company.ID, all())
	require.NoError(t, err)
	assert.Contains(t, actions(evs), "grants.removed")
}

// testConfinedSessionReads: a session a company provisioned neither reads
// nor lists the user's other companies, nor consents for its user.
func testConfinedSessionReads(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	pv, err := w.Token.Provision(ctx, w.AsOwner, token.Provision{Email: "jit@example.com", Role: access.RoleAdmin})
	require.NoError(t, err)
	secret, err := tokenOfURL(pv.LoginURL.Reveal())
	require.NoError(t, err)
	login, err := w.Token.RedeemLoginLinkSession(ctx, secret)
	require.NoError(t, err)
	p, err := w.Token.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	require.True(t, p.SessionConfined)

	// Later the person joins V through its own owner, and is invited to W.
	v, _ := w.NewCompany(t, access.NewCompany{Name: "V"}, w.User(t, "v-owner"))
	w.AddMember(t, v.ID, login.User, access.RoleAdmin)
	_, asW := w.NewCompany(t, access.NewCompany{Name: "W"}, w.User(t, "w-owner"))
	is, err := w.Invite.Invite(ctx, asW, invite.NewInvitation{Email: login.User.Email, Role: access.RoleViewer})
	require.NoError(t, err)

	_, err = w.Access.GetCompany(ctx, p, v.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "V is out of the session's sight")
	_, err = w.Access.GetCompany(ctx, p, w.Company.ID)
	assert.NoError(t, err, "its own company it sees")
	page, err := w.Access.ListMyCompanies(ctx, p, access.MemberFilter{})
	require.NoError(t, err)
	for _, uc := range page.Items {
		assert.NotEqual(t, v.ID, uc.CompanyID, "nor does it list V")
	}
	_, err = w.Invite.Accept(ctx, p, is.Token.Reveal())
	assert.ErrorIs(t, err, access.ErrForbidden, "a provisioned session is not its user's consent")
	self := access.UserPrincipal(login.User.ID, v.ID)
	_, err = w.Access.GetCompany(ctx, self, v.ID)
	assert.NoError(t, err, "the user's own principal sees V")

	// Nor does it turn itself into the account's owner (a password, then a
	// sign-in of its own), list or end the user's other sessions, or read
	// the user's invitations.
	assert.ErrorIs(t, w.Token.ChangePassword(ctx, p, "", "a password of the partner's"), access.ErrForbidden)
	assert.ErrorIs(t, w.Access.SetPassword(ctx, p, login.User.ID, access.PasswordChange{New: "a password of the partner's"}), access.ErrForbidden)
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: v.ID}
	pv2, err := w.Token.Provision(ctx, sys, token.Provision{Email: login.User.Email, Role: access.RoleAdmin})
	require.NoError(t, err)
	secret2, err := tokenOfURL(pv2.LoginURL.Reveal())
	require.NoError(t, err)
	own, err := w.Token.RedeemLoginLinkSession(ctx, secret2) // the host's link: the user's own session, in V
	require.NoError(t, err)
	listed, err := w.Token.ListSessions(ctx, p, login.User.ID, access.PageRequest{})
	require.NoError(t, err)
	require.Len(t, listed.Items, 1, "it sees itself only")
	assert.Equal(t, p.SessionID, listed.Items[0].ID)
	_, err = w.Token.RevokeSession(ctx, p, login.User.ID, own.Session.Token.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)
	_, err = w.Token.SignOutEverywhere(ctx, p, login.User.ID)
	require.NoError(t, err)
	_, err = w.Token.Verify(ctx, own.Session.Secret.Reveal())
	assert.NoError(t, err, "the user's own session in V lives on")
	_, err = w.Token.Verify(ctx, login.Session.Secret.Reveal())
	assert.ErrorIs(t, err, token.ErrInvalidToken, "signing out everywhere ended the provisioned session itself")
}

// testConfinedSessionInvitations: a provisioned session reads none of its
// user's invitations from other companies.
func testConfinedSessionInvitations(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	pv, err := w.Token.Provision(ctx, w.AsOwner, token.Provision{Email: "jit2@example.com", Role: access.RoleAdmin})
	require.NoError(t, err)
	secret, err := tokenOfURL(pv.LoginURL.Reveal())
	require.NoError(t, err)
	login, err := w.Token.RedeemLoginLinkSession(ctx, secret)
	require.NoError(t, err)
	p, err := w.Token.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	_, asW := w.NewCompany(t, access.NewCompany{Name: "W"}, w.User(t, "w-owner"))
	_, err = w.Invite.Invite(ctx, asW, invite.NewInvitation{Email: login.User.Email, Role: access.RoleViewer})
	require.NoError(t, err)
	_, err = w.Invite.ListForEmail(ctx, p, login.User.Email, access.PageRequest{})
	assert.ErrorIs(t, err, access.ErrForbidden)
	box, err := w.Invite.Inbox(ctx, p, invite.ListFilter{})
	require.NoError(t, err)
	assert.Empty(t, box.Received)
	box, err = w.Invite.Inbox(ctx, access.UserPrincipal(login.User.ID, w.Company.ID), invite.ListFilter{})
	require.NoError(t, err)
	assert.Len(t, box.Received, 1, "the user's own principal reads it")
}

// testLoginNoiseKeepsTheTrail: a flood of failed logins fills its own
// budget of denied events, never the one of members' refused operations;
// and introspecting a token is not using it.
func testLoginNoiseKeepsTheTrail(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t), WithAccess(access.WithTestPasswordParams(access.PasswordParams{})))
	u := w.CreateUser(t, access.NewUser{Email: "target@example.com", Password: "correct horse battery staple"})
	w.AddMember(t, w.Company.ID, u, access.RoleViewer)
	for range 110 {
		_, err := w.Access.Authenticate(ctx, u.Email, "wrong guess number one")
		require.Error(t, err)
	}
	_, admin := w.Member(t, "admin", access.RoleAdmin)
	_, err := w.Access.UpdateMember(ctx, admin, w.Owner.ID, access.MemberUpdate{Role: new(access.RoleViewer)})
	require.ErrorIs(t, err, access.ErrForbidden)
	evs, err := w.Store.ListAudit(ctx, w.Company.ID, all())
	require.NoError(t, err)
	found := false
	for _, e := range evs {
		found = found || e.Outcome == "denied" && e.Actor == admin.String()
	}
	assert.True(t, found, "the admin's refused change is on the trail")

	tok := w.APIToken(t, w.AsOwner, access.RoleViewer)
	w.Clock.Advance(time.Hour)
	in, err := w.Token.Introspect(ctx, tok.Secret.Reveal())
	require.NoError(t, err)
	require.True(t, in.Active)
	got, err := w.Store.GetToken(ctx, w.Company.ID, tok.Token.ID)
	require.NoError(t, err)
	assert.True(t, got.LastUsedAt.IsZero(), "introspection records no use")

	// A user in no company lists itself.
	loner := w.User(t, "loner")
	page, err := w.Access.ListUsers(ctx, access.UserPrincipal(loner.ID, uuid.Nil), access.PageRequest{})
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{loner.ID}, idsOf(page.Items, func(u access.User) uuid.UUID { return u.ID }))
}

// testConfinedSessionReach: a provisioned session that went into a
// customer of its agency acts there through that agency's connection
// only, never through another agency its user joined through others.
func testConfinedSessionReach(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t)) // w.Company is the agency A
	pv, err := w.Token.Provision(ctx, w.AsOwner, token.Provision{Email: "agent@example.com", Role: access.RoleAdmin})
	require.NoError(t, err)
	secret, err := tokenOfURL(pv.LoginURL.Reveal())
	require.NoError(t, err)
	login, err := w.Token.RedeemLoginLinkSession(ctx, secret)
	require.NoError(t, err)
	customer, asCustomer := w.NewCompany(t, access.NewCompany{Name: "Customer"}, w.User(t, "customer-owner"))
	_, err = w.Access.Connect(ctx, w.AsOwner, asCustomer, access.NewConnection{CustomerID: customer.ID, AgencyID: w.Company.ID,
		Permissions: []string{access.UserView}})
	require.NoError(t, err)
	p, err := w.Token.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	_, err = w.Token.SwitchCompany(ctx, p, access.SwitchTarget{CompanyID: customer.ID})
	require.NoError(t, err, "into its agency's customer")

	// Later the person joins agency B, which the customer lets edit users.
	b, asB := w.NewCompany(t, access.NewCompany{Name: "B"}, w.User(t, "b-owner"))
	w.AddMember(t, b.ID, login.User, access.RoleAdmin)
	_, err = w.Access.Connect(ctx, asB, asCustomer, access.NewConnection{CustomerID: customer.ID, AgencyID: b.ID,
		Permissions: []string{access.UserView, access.UserEdit}})
	require.NoError(t, err)

	p, err = w.Token.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	require.Equal(t, customer.ID, p.CompanyID)
	assert.NoError(t, w.Access.Check(ctx, p, access.UserView), "through its own agency")
	assert.Error(t, w.Access.Check(ctx, p, access.UserEdit), "not through B")
	self := access.UserPrincipal(login.User.ID, customer.ID)
	assert.NoError(t, w.Access.Check(ctx, self, access.UserEdit), "the user's own principal reaches through B")
}

// testListUsersVisible: a caller lists exactly the users it may see.
func testListUsersVisible(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	bob, _ := w.Member(t, "bob", access.RoleViewer)
	stranger := w.User(t, "stranger")
	ids := func(p access.Principal) []uuid.UUID {
		t.Helper()
		page, err := w.Access.ListUsers(ctx, p, access.PageRequest{})
		require.NoError(t, err)
		return idsOf(page.Items, func(u access.User) uuid.UUID { return u.ID })
	}
	assert.ElementsMatch(t, []uuid.UUID{w.Owner.ID, bob.ID}, ids(w.AsOwner))
	assert.NotContains(t, ids(w.AsOwner), stranger.ID)
	assert.Contains(t, ids(access.SystemPrincipal()), stranger.ID, "the system lists everyone")
	bare := w.APIToken(t, w.AsOwner, "")
	p, err := w.Token.Verify(ctx, bare.Secret.Reveal())
	require.NoError(t, err)
	_, err = w.Access.ListUsers(ctx, p, access.PageRequest{})
	assert.ErrorIs(t, err, access.ErrForbidden, "a token without USER_VIEW lists no one")
	_, err = w.Access.CreateUser(ctx, w.AsOwner, access.NewUser{Email: "pw@example.com", Password: "correct horse battery"})
	assert.ErrorIs(t, err, access.ErrForbidden, "an admin never sets a new account's password")
}

// testCompanyEditsNames: a company's editor changes a member's names, never
// the person's preferences, and only a member it outranks.
func testCompanyEditsNames(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	bob, asBob := w.Member(t, "bob", access.RoleViewer)
	_, admin := w.Member(t, "admin", access.RoleAdmin)
	u, err := w.Access.UpdateUser(ctx, admin, bob.ID, access.UserUpdate{FirstName: new("Robert")})
	require.NoError(t, err)
	assert.Equal(t, "Robert", u.FirstName)
	_, err = w.Access.UpdateUser(ctx, admin, bob.ID, access.UserUpdate{Lang: new("fr")})
	assert.ErrorIs(t, err, access.ErrForbidden, "preferences are the person's own")
	_, err = w.Access.UpdateUser(ctx, admin, w.Owner.ID, access.UserUpdate{FirstName: new("Boss")})
	assert.ErrorIs(t, err, access.ErrForbidden, "an ADMIN does not outrank the OWNER")
	_, err = w.Access.UpdateUser(ctx, asBob, w.Owner.ID, access.UserUpdate{FirstName: new("Boss")})
	assert.ErrorIs(t, err, access.ErrForbidden, "a VIEWER holds no USER_EDIT")
	stranger := w.User(t, "stranger")
	_, err = w.Access.UpdateUser(ctx, admin, stranger.ID, access.UserUpdate{FirstName: new("X")})
	assertNotFound(t, err, access.CodeUserNotFound, "a user of no shared company is unknown")
	got, err := w.Store.GetUser(ctx, bob.ID)
	require.NoError(t, err)
	assert.Equal(t, "Robert", got.FirstName)
	assert.Empty(t, got.Profile.Lang, "nothing refused changed anything")
	u, err = w.Access.UpdateUser(ctx, asBob, bob.ID, access.UserUpdate{Lang: new("fr")})
	require.NoError(t, err, "the person sets their own preferences")
	assert.Equal(t, "fr", u.Profile.Lang)
}

// testSignUp: a person signs up with a password, which is required, and
// then signs in; the account joins no company.
func testSignUp(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t), WithAccess(access.WithTestPasswordParams(access.PasswordParams{})))
	_, err := w.Access.SignUp(ctx, access.NewUser{Email: "new@example.com"})
	assert.ErrorIs(t, err, access.ErrInvalid)
	assert.Equal(t, "password", access.FieldOf(err))
	u, err := w.Access.SignUp(ctx, access.NewUser{Email: "New@Example.com", Password: "correct horse battery staple"})
	require.NoError(t, err)
	assert.Equal(t, "new@example.com", u.Email)
	assert.Equal(t, uuid.Nil, u.ActiveCompanyID, "it joins no company")
	got, err := w.Access.Authenticate(ctx, "new@example.com", "correct horse battery staple")
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)
	_, err = w.Access.SignUp(ctx, access.NewUser{Email: "new@example.com", Password: "another good passphrase"})
	assertConflict(t, err, access.CodeEmailTaken)
}
