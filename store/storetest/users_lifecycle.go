package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// The lifecycle of a user (run.go), through the services, on every store:
//
//   - testUserDisable: who may disable and enable; while disabled, their
//     sessions, API tokens, login links and password stop on the next
//     call and no company takes them in; enabled, all of it works again.
//   - testUserEraseLastOwner: refused while they are the last active
//     OWNER of a company, the error naming each such company.
//   - testUserErase: everything of the person goes in one transaction,
//     no row of theirs is left, and the audit trail keeps its events with
//     their e-mail and names tombstoned; a failing part rolls it all back.
//   - testLastOwnerEveryPath: demote, deactivate, remove, disable and
//     erase each read the one last-owner rule (keepOwner), on both sides
//     of its boundary.

// testUserDisable: the user themself or the system disables, only the
// system enables; a disabled user acts nowhere and joins nothing.
func testUserDisable(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := signInWorld(t, newStore, &resetNotices{})
	u := w.passwordMember(t, "person", access.RoleAdmin)
	asU := access.UserPrincipal(u.ID, w.Company.ID)
	sys := access.SystemPrincipal()
	sys.CompanyID = w.Company.ID

	login, err := w.Token.Login(ctx, u.Email, signInPassword)
	require.NoError(t, err)
	require.NotNil(t, login.Session)
	session := login.Session.Secret.Reveal()
	api := w.APIToken(t, asU, access.RoleViewer).Secret.Reveal()
	pv, err := w.Token.Provision(ctx, w.AsOwner, token.Provision{Email: u.Email, Role: access.RoleAdmin})
	require.NoError(t, err)
	link, err := tokenOfURL(pv.LoginURL.Reveal())
	require.NoError(t, err)

	_, asAdmin := w.Member(t, "admin", access.RoleAdmin)
	assertNotFound(t, w.Access.DisableUser(ctx, asAdmin, u.ID), access.CodeUserNotFound, "another member may not")
	assertNotFound(t, w.Access.DisableUser(ctx, w.AsOwner, u.ID), access.CodeUserNotFound, "nor the OWNER")
	asAPI, err := w.Token.Verify(ctx, api)
	require.NoError(t, err)
	assertNotFound(t, w.Access.DisableUser(ctx, asAPI, u.ID), access.CodeUserNotFound, "nor their own API token")

	require.NoError(t, w.Access.DisableUser(ctx, asU, u.ID), "the user themself")
	require.NoError(t, w.Access.DisableUser(ctx, asU, u.ID), "twice changes nothing")
	got, err := w.Access.GetUser(ctx, sys, u.ID)
	require.NoError(t, err)
	assert.Equal(t, access.UserDisabled, got.Status)

	_, err = w.Token.Verify(ctx, session)
	assert.ErrorIs(t, err, token.ErrInvalidToken, "their session stops")
	_, err = w.Token.Verify(ctx, api)
	assert.ErrorIs(t, err, token.ErrInvalidToken, "the API token they created stops")
	assert.Equal(t, token.ReasonUserUnknown, token.ReasonOf(err))
	_, err = w.Token.RedeemLoginLinkSession(ctx, link)
	assert.Error(t, err, "their login link stops")
	_, err = w.Token.Login(ctx, u.Email, signInPassword)
	assert.ErrorIs(t, err, access.ErrInvalidCredentials, "their password: the one answer")
	_, err = w.Access.Authenticate(ctx, u.Email, signInPassword)
	assert.ErrorIs(t, err, access.ErrInvalidCredentials)

	other, asOther := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other-owner"))
	inOther := access.SystemPrincipal()
	inOther.CompanyID = other.ID
	_, err = w.Access.AddMember(ctx, inOther, access.NewMember{UserID: u.ID, Role: access.RoleViewer})
	assertConflict(t, err, access.CodeUserDisabled, "AddMember")
	_, err = w.Access.ProvisionMember(ctx, inOther, access.NewMember{Email: u.Email, Role: access.RoleViewer})
	assertConflict(t, err, access.CodeUserDisabled, "ProvisionMember")
	_, err = w.Token.Provision(ctx, inOther, token.Provision{Email: u.Email, Role: access.RoleViewer})
	assertConflict(t, err, access.CodeUserDisabled, "just-in-time provisioning")
	_, err = w.Access.CreateCompany(ctx, access.SystemPrincipal(), access.NewCompany{Name: "Theirs", OwnerID: u.ID})
	assertConflict(t, err, access.CodeUserDisabled, "a company of their own")
	_, err = w.Access.ListMembers(ctx, asOther, access.MemberFilter{})
	require.NoError(t, err)
	_, err = w.Access.GetMember(ctx, asOther, u.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "nothing was added")

	assert.ErrorIs(t, w.Access.EnableUser(ctx, asU, u.ID), access.ErrForbidden, "a user does not enable themself")
	assert.ErrorIs(t, w.Access.EnableUser(ctx, w.AsOwner, u.ID), access.ErrForbidden)
	require.NoError(t, w.Access.EnableUser(ctx, sys, u.ID))

	_, err = w.Token.Verify(ctx, session)
	assert.NoError(t, err, "the session works again")
	_, err = w.Token.Verify(ctx, api)
	assert.NoError(t, err, "the API token works again")
	_, err = w.Token.RedeemLoginLinkSession(ctx, link)
	assert.NoError(t, err, "the refused redemption consumed nothing")
	_, err = w.Token.Login(ctx, u.Email, signInPassword)
	assert.NoError(t, err)
	_, err = w.Access.AddMember(ctx, inOther, access.NewMember{UserID: u.ID, Role: access.RoleViewer})
	assert.NoError(t, err)

	evs, err := w.Store.QueryAudit(ctx, w.Company.ID, access.AuditQuery{Action: "user", Target: "user:" + u.ID.String()}, all())
	require.NoError(t, err)
	var acts []string
	for _, e := range evs {
		if e.Action == "user.disabled" || e.Action == "user.enabled" {
			acts = append(acts, e.Action+" by "+e.Actor)
		}
	}
	assert.Equal(t, []string{"user.disabled by " + asU.String(), "user.enabled by " + sys.String()}, acts,
		"audited once each; a repeated disable writes nothing")
	assertNotFound(t, w.Access.DisableUser(ctx, sys, uuid.New()), access.CodeUserNotFound, "an unknown user")
}

// testUserEraseLastOwner: the last active OWNER of a company cannot be
// erased; the refusal names every such company (and only those), and a
// co-owned company does not block.
func testUserEraseLastOwner(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	u := w.User(t, "owner-of-two")
	solo, asSolo := w.NewCompany(t, access.NewCompany{Name: "Solo Ltd"}, u)
	_, _ = w.NewCompany(t, access.NewCompany{Name: "Second & Sons"}, u)
	shared, _ := w.NewCompany(t, access.NewCompany{Name: "Shared Co"}, u)
	w.AddMember(t, shared.ID, w.Owner, access.RoleOwner)
	w.AddMember(t, w.Company.ID, u, access.RoleAdmin)

	err := w.Access.EraseUser(ctx, asSolo, u.ID)
	assertConflict(t, err, access.CodeLastOwner)
	assert.ErrorIs(t, err, access.ErrLastOwner)
	assert.Contains(t, err.Error(), `"Solo Ltd"`)
	assert.Contains(t, err.Error(), `"Second & Sons"`)
	assert.NotContains(t, err.Error(), "Shared Co", "another OWNER keeps it")
	assert.NotContains(t, err.Error(), "Acme", "not an OWNER there")
	_, err = w.Access.GetUser(ctx, access.SystemPrincipal(), u.ID)
	require.NoError(t, err, "nothing was erased")

	_, asAdmin := w.Member(t, "admin", access.RoleAdmin)
	assertNotFound(t, w.Access.EraseUser(ctx, asAdmin, u.ID), access.CodeUserNotFound, "no one else erases them")
	assertNotFound(t, w.Access.EraseUser(ctx, w.AsOwner, u.ID), access.CodeUserNotFound, "not even an OWNER of theirs")

	// Their memberships but one inactive: an inactive OWNER is no owner.
	inSolo := access.SystemPrincipal()
	inSolo.CompanyID = solo.ID
	w.AddMember(t, solo.ID, w.Owner, access.RoleOwner)
	err = w.Access.EraseUser(ctx, access.SystemPrincipal(), u.ID)
	assertConflict(t, err, access.CodeLastOwner)
	assert.NotContains(t, err.Error(), "Solo Ltd", "Solo has another OWNER now")
	assert.Contains(t, err.Error(), `"Second & Sons"`)
}

// testUserErase: an erasure leaves no row of the person and keeps the
// trail, tombstoned; a failure in any part of it changes nothing.
func testUserErase(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := signInWorld(t, newStore, &resetNotices{})
	sys := access.SystemPrincipal()
	u := w.CreateUser(t, access.NewUser{Email: "erin-" + uuid.NewString()[:8] + "@example.com", FirstName: "Erin",
		LastName: "Eraser", Password: signInPassword})
	asU := w.AddMember(t, w.Company.ID, u, access.RoleAdmin)
	other, asOther := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other-owner"))
	w.AddMember(t, other.ID, u, access.RoleViewer)
	inAcme := sys
	inAcme.CompanyID = w.Company.ID

	// Everything a person leaves behind.
	proj := access.Resource{Type: "project", ID: "p-" + uuid.NewString()[:8]}
	_, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: u.ID}, Resource: proj, Level: access.LevelAdmin})
	require.NoError(t, err)
	login, err := w.Token.Login(ctx, u.Email, signInPassword)
	require.NoError(t, err)
	session := login.Session.Secret.Reveal()
	api := w.APIToken(t, asU, access.RoleViewer)
	_, err = w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectToken, ID: api.Token.ID}, Resource: proj, Level: access.LevelViewer})
	require.NoError(t, err)
	pv, err := w.Token.Provision(ctx, inAcme, token.Provision{Email: u.Email, Role: access.RoleAdmin})
	require.NoError(t, err)
	link, err := tokenOfURL(pv.LoginURL.Reveal())
	require.NoError(t, err)
	require.NoError(t, w.Token.RequestPasswordReset(ctx, u.Email))
	third, asThird := w.NewCompany(t, access.NewCompany{Name: "Third"}, w.User(t, "third-owner"))
	inv, err := w.Invite.Invite(ctx, asThird, invite.NewInvitation{Email: u.Email, Role: access.RoleViewer})
	require.NoError(t, err)
	_, err = w.Access.Grant(ctx, asThird, access.NewGrant{Subject: access.Subject{Type: access.SubjectInvite, ID: inv.Invitation.ID}, Resource: proj, Level: access.LevelViewer})
	require.NoError(t, err)
	require.NoError(t, w.Access.Audit(ctx, inAcme, w.Company.ID, "host.note", "person:"+u.Email,
		map[string]string{"name": "Erin Eraser", "first": "Erin", "note": "Erin's notes stay", "role": access.RoleAdmin}))
	bystander := w.User(t, "bystander")
	w.AddMember(t, w.Company.ID, bystander, access.RoleViewer)

	companies := []uuid.UUID{w.Company.ID, other.ID, third.ID, uuid.Nil}
	trail := func() map[uuid.UUID]access.AuditEvent {
		out := map[uuid.UUID]access.AuditEvent{}
		for _, c := range companies {
			evs, err := w.Store.ListAudit(ctx, c, all())
			require.NoError(t, err)
			for _, e := range evs {
				out[e.ID] = e
			}
		}
		return out
	}
	mentions := func(e access.AuditEvent, s string) bool {
		if strings.Contains(e.Actor, s) || strings.Contains(e.Target, s) {
			return true
		}
		for _, v := range e.Details {
			if strings.Contains(v, s) {
				return true
			}
		}
		return false
	}
	before := trail()
	var naming []uuid.UUID
	for id, e := range before {
		if mentions(e, u.Email) {
			naming = append(naming, id)
		}
	}
	require.GreaterOrEqual(t, len(naming), 2, "the trail names the person (the invitation, the host's note)")

	// A part that fails rolls the whole erasure back.
	boom := errors.New("boom")
	w.Access.OnUserErased(func(ctx context.Context, _ access.Principal, v access.User) error {
		if v.ID == u.ID && v.LastName == "Eraser" && w.Clock.Now().Equal(T0) {
			return boom
		}
		return nil
	})
	assert.ErrorIs(t, w.Access.EraseUser(ctx, asU, u.ID), boom)
	_, err = w.Access.GetUser(ctx, sys, u.ID)
	require.NoError(t, err, "rolled back: the user stays")
	_, err = w.Token.Verify(ctx, session)
	require.NoError(t, err, "rolled back: the session stays")
	_, err = w.Store.GetInvitation(ctx, third.ID, inv.Invitation.ID)
	require.NoError(t, err, "rolled back: the invitation stays")
	assert.Equal(t, before, trail(), "rolled back: the trail is as it was")

	w.Clock.Advance(time.Second) // the failing part passes from now on
	require.NoError(t, w.Access.EraseUser(ctx, asU, u.ID), "the user themself")
	after := trail() // before any later probe of the address is recorded

	// No row of the person is left, in any table they appeared in.
	_, err = w.Store.GetUser(ctx, u.ID)
	assertNotFound(t, err, access.CodeUserNotFound, "users")
	_, err = w.Store.GetUserByEmail(ctx, u.Email)
	assertNotFound(t, err, access.CodeUserNotFound, "users by e-mail")
	_, err = w.Store.GetCredentials(ctx, u.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "credentials")
	ucs, err := w.Store.ListUserCompanies(ctx, u.ID, nil, all())
	require.NoError(t, err)
	assert.Empty(t, ucs, "memberships")
	for _, c := range companies[:3] {
		_, err := w.Store.GetMembership(ctx, c, u.ID)
		assert.ErrorIs(t, err, access.ErrNotFound, "membership in %s", c)
		for _, st := range []access.SubjectType{access.SubjectUser, access.SubjectToken, access.SubjectInvite} {
			gs, err := w.Store.ListGrants(ctx, c, access.GrantQuery{SubjectType: st}, all())
			require.NoError(t, err)
			assert.Empty(t, gs, "%s grants in %s: the person's, their token's, their invitation's", st, c)
		}
	}
	_, err = w.Store.GetTokenByHash(ctx, token.Hash(session))
	assert.ErrorIs(t, err, access.ErrNotFound, "session")
	_, err = w.Store.GetTokenByHash(ctx, token.Hash(api.Secret.Reveal()))
	assert.ErrorIs(t, err, access.ErrNotFound, "API token")
	toks, err := w.Store.ListTokens(ctx, w.Company.ID, all())
	require.NoError(t, err)
	assert.Empty(t, toks, "API tokens of the company")
	sess, err := w.Store.ListSessions(ctx, u.ID, w.Clock.Now(), all())
	require.NoError(t, err)
	assert.Empty(t, sess, "sessions")
	_, err = w.Store.ConsumeLoginLink(ctx, token.Hash(link), w.Clock.Now())
	assert.ErrorIs(t, err, access.ErrNotFound, "login link")
	n, err := w.Store.RevokeResetLinks(ctx, u.ID, w.Clock.Now())
	require.NoError(t, err)
	assert.Zero(t, n, "reset links")
	_, err = w.Store.GetInvitation(ctx, third.ID, inv.Invitation.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "the invitation to their e-mail")
	pend, err := w.Store.ListPendingByEmail(ctx, u.Email, w.Clock.Now(), all())
	require.NoError(t, err)
	assert.Empty(t, pend, "invitations by e-mail")
	_, err = w.Token.Verify(ctx, session)
	assert.ErrorIs(t, err, token.ErrInvalidToken)
	_, err = w.Token.Login(ctx, u.Email, signInPassword)
	assert.ErrorIs(t, err, access.ErrInvalidCredentials)

	// Everyone else stays.
	_, err = w.Access.GetMember(ctx, w.AsOwner, bystander.ID)
	assert.NoError(t, err, "a bystander keeps their membership")
	_, err = w.Access.GetCompany(ctx, asOther, other.ID)
	assert.NoError(t, err)

	// The trail keeps every event, the person tombstoned in each.
	tomb := access.Tombstone(u.ID)
	for id := range before {
		assert.Contains(t, after, id, "no event is dropped")
	}
	for id, e := range after {
		assert.False(t, mentions(e, u.Email), "event %s (%s) still holds the e-mail", id, e.Action)
		assert.False(t, mentions(e, "Eraser"), "event %s (%s) still holds the last name", id, e.Action)
	}
	for _, id := range naming {
		assert.True(t, mentions(after[id], tomb), "event %s names the tombstone", id)
	}
	var note access.AuditEvent
	for _, e := range after {
		if e.Action == "host.note" {
			note = e
		}
	}
	assert.Equal(t, "person:"+tomb, note.Target)
	assert.Equal(t, map[string]string{"name": tomb, "first": tomb, "note": "Erin's notes stay", "role": access.RoleAdmin},
		note.Details, "whole names and the e-mail go; other text stays")
	assert.Equal(t, before[note.ID].At, note.At)
	var erased []uuid.UUID
	for _, e := range after {
		if e.Action == "user.erased" && e.Target == "user:"+u.ID.String() {
			erased = append(erased, e.CompanyID)
		}
	}
	assert.ElementsMatch(t, []uuid.UUID{w.Company.ID, other.ID}, erased, "recorded in each company of theirs")

	assertNotFound(t, w.Access.EraseUser(ctx, sys, u.ID), access.CodeUserNotFound, "erased once")
}

// testEraseTouchesOnlyItsEvents: erasing a person rewrites only the events
// about them (their ID or e-mail as a whole word), never another person's
// text that happens to equal their name or hold their e-mail as a part.
func testEraseTouchesOnlyItsEvents(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t), WithAccess(access.WithTestPasswordParams(access.PasswordParams{})))
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID}
	require.NoError(t, w.Access.Audit(ctx, sys, w.Company.ID, "host.note", "person:john@example.com",
		map[string]string{"role": access.RoleAdmin, "who": "system"}))
	u, err := w.Access.SignUp(ctx, access.NewUser{Email: "n@example.com", FirstName: "system", LastName: "ADMIN",
		Password: "correct horse battery staple"})
	require.NoError(t, err)
	before, err := w.Store.ListAudit(ctx, w.Company.ID, all())
	require.NoError(t, err)
	require.NoError(t, w.Access.EraseUser(ctx, access.UserPrincipal(u.ID, uuid.Nil), u.ID))
	after, err := w.Store.ListAudit(ctx, w.Company.ID, all())
	require.NoError(t, err)
	assert.Equal(t, before, after, "another company's trail is not the erased person's")
}

// testReviewedLifecycleRules: a disabled inviter vouches for nothing; a sole
// OWNER cannot disable themself nor receive a company while disabled; a
// provisioned session ends nothing of its user's and finds itself in its
// listing however many sessions the user has.
func testReviewedLifecycleRules(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	_, admin := w.Member(t, "admin", access.RoleAdmin)
	is, err := w.Invite.Invite(ctx, admin, invite.NewInvitation{Email: "guest@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	require.NoError(t, w.Access.DisableUser(ctx, access.SystemPrincipal(), admin.UserID))
	_, err = w.Invite.Accept(ctx, access.Principal{}, is.Token.Reveal())
	assert.ErrorIs(t, err, invite.ErrInviterNotAuthorized, "a disabled inviter's invitation does not take effect")

	err = w.Access.DisableUser(ctx, w.AsOwner, w.Owner.ID)
	assertConflict(t, err, access.CodeLastOwner, "the sole OWNER cannot disable themself")
	require.NoError(t, w.Access.EnableUser(ctx, access.SystemPrincipal(), admin.UserID))
	require.NoError(t, w.Access.DisableUser(ctx, access.SystemPrincipal(), admin.UserID))
	err = w.Access.TransferOwnership(ctx, w.AsOwner, admin.UserID)
	assertConflict(t, err, access.CodeUserDisabled, "a disabled user receives no company")

	// The user's lock, which EraseUser takes first, is a store call of
	// its own: an unknown user is not found, a known one locks.
	err = w.Store.RunInTx(ctx, func(ctx context.Context) error { return w.Store.LockUser(ctx, uuid.New()) })
	assertNotFound(t, err, access.CodeUserNotFound)
	require.NoError(t, w.Store.RunInTx(ctx, func(ctx context.Context) error { return w.Store.LockUser(ctx, w.Owner.ID) }))

	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID}
	session := func(by access.Principal) access.Principal {
		t.Helper()
		pv, err := w.Token.Provision(ctx, by, token.Provision{Email: "agent@example.com", Role: access.RoleAdmin})
		require.NoError(t, err)
		secret, err := tokenOfURL(pv.LoginURL.Reveal())
		require.NoError(t, err)
		l, err := w.Token.RedeemLoginLinkSession(ctx, secret)
		require.NoError(t, err)
		p, err := w.Token.Verify(ctx, l.Session.Secret.Reveal())
		require.NoError(t, err)
		return p
	}
	own := []access.Principal{session(sys), session(sys), session(sys)}
	confined := session(w.AsOwner)
	require.True(t, confined.SessionConfined)
	page, err := w.Token.ListSessions(ctx, confined, confined.UserID, access.PageRequest{Limit: 2})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "it finds itself")
	assert.Equal(t, confined.SessionID, page.Items[0].ID)
	n, err := w.Token.RevokeMemberSessions(ctx, confined, confined.UserID)
	require.NoError(t, err)
	assert.Zero(t, n)
	for _, p := range own {
		_, err := w.Access.GetUser(ctx, p, p.UserID)
		assert.NoError(t, err)
		left, err := w.Token.ListSessions(ctx, p, p.UserID, access.PageRequest{})
		require.NoError(t, err)
		assert.Len(t, left.Items, 4, "the user's own sessions live on")
	}
}

// testLastOwnerEveryPath: every path that may take an OWNER away reads the
// one last-owner rule, on both sides of its boundary: with a second active
// OWNER the change goes through, without one (an inactive OWNER is none) it
// is refused and nothing changes.
func testLastOwnerEveryPath(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	sys := access.SystemPrincipal()
	paths := []struct {
		name string
		take func(as access.Principal, target uuid.UUID) error // as acts in the company
	}{
		{"demote", func(as access.Principal, target uuid.UUID) error {
			_, err := w.Access.UpdateMember(ctx, as, target, access.MemberUpdate{Role: new(access.RoleAdmin)})
			return err
		}},
		{"deactivate", func(as access.Principal, target uuid.UUID) error {
			_, err := w.Access.UpdateMember(ctx, as, target, access.MemberUpdate{Active: new(false)})
			return err
		}},
		{"remove", func(as access.Principal, target uuid.UUID) error { return w.Access.RemoveMember(ctx, as, target) }},
		{"disable", func(as access.Principal, target uuid.UUID) error {
			return w.Access.DisableUser(ctx, access.UserPrincipal(target, as.CompanyID), target)
		}},
		{"erase", func(_ access.Principal, target uuid.UUID) error { return w.Access.EraseUser(ctx, sys, target) }},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			first, second, idle := w.User(t, "first"), w.User(t, "second"), w.User(t, "idle")
			co, asFirst := w.NewCompany(t, access.NewCompany{Name: "Two Owners " + p.name}, first)
			w.AddMember(t, co.ID, second, access.RoleOwner)
			w.AddMember(t, co.ID, idle, access.RoleOwner)
			_, err := w.Access.UpdateMember(ctx, asFirst, idle.ID, access.MemberUpdate{Active: new(false)})
			require.NoError(t, err, "two active OWNERs: one goes inactive")

			assert.NoError(t, p.take(asFirst, second.ID), "another active OWNER is left")
			err = p.take(asFirst, first.ID)
			assertConflict(t, err, access.CodeLastOwner, "the last active OWNER (the inactive one counts for nothing)")
			assert.ErrorIs(t, err, access.ErrLastOwner)
			m, err := w.Access.GetMember(ctx, asFirst, first.ID)
			require.NoError(t, err, "the refused change changed nothing")
			assert.True(t, m.Active)
			assert.Equal(t, access.RoleOwner, m.Role)
			u, err := w.Access.GetUser(ctx, sys, first.ID)
			require.NoError(t, err)
			assert.Equal(t, access.UserActive, u.Status)
		})
	}
}

// testDisabledOwnerCountsForNothing: a disabled user acts nowhere, so
// their active OWNER membership keeps no company owned. Two OWNERs cannot
// both disable themselves, nor can the other step down while one is
// disabled; enabling them again counts them again. The store's count
// follows the user's status, also when the change is rolled back.
func testDisabledOwnerCountsForNothing(t *testing.T, newStore Factory) {
	ctx := context.Background()
	st := newStore(t)
	w := NewWorld(t, st)
	sys := access.SystemPrincipal()
	x, y := w.User(t, "x"), w.User(t, "y")
	co, asX := w.NewCompany(t, access.NewCompany{Name: "Disabled Owners"}, x)
	w.AddMember(t, co.ID, y, access.RoleOwner)
	asY := access.UserPrincipal(y.ID, co.ID)
	owners := func() int {
		t.Helper()
		n, err := st.CountActiveOwners(ctx, co.ID)
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 2, owners())

	require.NoError(t, w.Access.DisableUser(ctx, asX, x.ID), "another OWNER is left")
	assert.Equal(t, 1, owners(), "a disabled OWNER counts for nothing")

	err := w.Access.DisableUser(ctx, asY, y.ID)
	assertConflict(t, err, access.CodeLastOwner, "y is the last OWNER who can act")
	_, err = w.Access.UpdateMember(ctx, asY, y.ID, access.MemberUpdate{Role: new(access.RoleAdmin)})
	assertConflict(t, err, access.CodeLastOwner, "nor may y step down")
	assert.ErrorIs(t, w.Access.RemoveMember(ctx, asY, y.ID), access.ErrLastOwner)

	// A status change rolled back leaves the count as it was.
	boom := errors.New("rolled back")
	err = w.Access.InTx(ctx, func(ctx context.Context) error {
		require.NoError(t, w.Access.EnableUser(ctx, sys, x.ID))
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Equal(t, 1, owners(), "the rolled-back enabling counts nobody")

	require.NoError(t, w.Access.EnableUser(ctx, sys, x.ID))
	assert.Equal(t, 2, owners(), "enabled, x counts again")
	_, err = w.Access.UpdateMember(ctx, asY, y.ID, access.MemberUpdate{Role: new(access.RoleAdmin)})
	require.NoError(t, err, "x owns the company again")
	assert.Equal(t, 1, owners())
	m, err := w.Access.GetMember(ctx, asX, x.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleOwner, m.Role)
}
