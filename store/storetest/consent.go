package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// testConsent: no one joins a company without their consent unless the
// caller could already see them (access.Service.SeesUser). A stranger (the
// user of other companies only, or of none) is invited, and the answer is
// the one an e-mail nobody registered gets: same result, nothing of the
// stranger's account in it. A user the caller sees is added at once.
func testConsent(t *testing.T, newStore Factory) {
	ctx := context.Background()
	// consentWorld is a World whose invitations' notices are kept, with an
	// ADMIN, and a stranger who owns a company of their own.
	type consentWorld struct {
		*World
		admin    access.Principal
		stranger access.User
		theirs   access.Company
		notices  func() []invite.Event
	}
	newWorld := func(t *testing.T) consentWorld {
		var mu sync.Mutex
		var evs []invite.Event
		w := NewWorld(t, newStore(t), WithInvite(invite.WithNotifier(token.NotifierFunc(func(_ context.Context, e token.Event) {
			if ie, ok := e.(invite.Event); ok {
				mu.Lock()
				evs = append(evs, ie)
				mu.Unlock()
			}
		}))))
		_, admin := w.Member(t, "admin", access.RoleAdmin)
		stranger := w.CreateUser(t, access.NewUser{Email: "stranger-" + uuid.NewString()[:8] + "@example.com",
			FirstName: "Secret", LastName: "Person"})
		theirs, _ := w.NewCompany(t, access.NewCompany{Name: "Elsewhere"}, stranger)
		return consentWorld{World: w, admin: admin, stranger: stranger, theirs: theirs, notices: func() []invite.Event {
			mu.Lock()
			defer mu.Unlock()
			return append([]invite.Event(nil), evs...)
		}}
	}
	notMember := func(t *testing.T, w consentWorld, userID uuid.UUID) {
		t.Helper()
		_, err := w.Store.GetMembership(ctx, w.Company.ID, userID)
		assert.ErrorIs(t, err, access.ErrNotFound, "the person did not join")
	}
	// shape is an invitation result without what differs from one e-mail
	// to another by construction: the address, IDs, the secret.
	shape := func(a invite.Added) invite.Added {
		a.Issued.Invitation.ID, a.Issued.Invitation.Email = uuid.Nil, ""
		a.Issued.Token, a.Issued.URL = token.Secret{}, token.Secret{}
		return a
	}
	unknownEmail := func() string { return "nobody-" + uuid.NewString()[:8] + "@example.com" }

	t.Run("AddInvitesAStrangerAsAnUnknownEmail", func(t *testing.T) {
		w := newWorld(t)
		// Upper case: the e-mail is found however it is written.
		got, err := w.Invite.Add(ctx, w.admin, invite.NewInvitation{Email: "  " + strings.ToUpper(w.stranger.Email), Role: access.RoleViewer})
		require.NoError(t, err)
		assert.True(t, got.Invited)
		assert.Zero(t, got.Member, "nothing of the stranger's account")
		assert.Equal(t, w.stranger.Email, got.Issued.Invitation.Email)
		assert.Equal(t, uuid.Nil, got.Issued.Invitation.UserID)
		assert.False(t, got.Issued.Token.IsZero(), "the link goes to the person")
		notMember(t, w, w.stranger.ID)

		unknown := unknownEmail()
		other, err := w.Invite.Add(ctx, w.admin, invite.NewInvitation{Email: unknown, Role: access.RoleViewer})
		require.NoError(t, err)
		assert.Equal(t, shape(got), shape(other), "a stranger and an unknown e-mail get the same answer")
		_, err = w.Access.GetUserByEmail(ctx, access.SystemPrincipal(), unknown)
		assert.ErrorIs(t, err, access.ErrNotFound, "no account is made before the person accepts")

		n := w.notices()
		require.Len(t, n, 2)
		assert.Equal(t, n[0].Type, n[1].Type)
		assert.Equal(t, w.stranger.Email, n[0].Invitation.Email, "the invitation goes to the stranger")

		// Nothing the company can read names the stranger's account.
		evs, err := w.Store.ListAudit(ctx, w.Company.ID, all())
		require.NoError(t, err)
		for _, e := range evs {
			assert.NotContains(t, e.Target, w.stranger.ID.String(), "audit event %s", e.Action)
			for _, v := range e.Details {
				assert.NotContains(t, v, w.stranger.ID.String(), "audit event %s", e.Action)
			}
		}

		// Asking again, once the resend cooldown passed, refreshes the
		// invitation, alike for both.
		w.Clock.Advance(invite.DefaultResendCooldown)
		again, err := w.Invite.Add(ctx, w.admin, invite.NewInvitation{Email: w.stranger.Email, Role: access.RoleViewer})
		require.NoError(t, err)
		otherAgain, err := w.Invite.Add(ctx, w.admin, invite.NewInvitation{Email: unknown, Role: access.RoleViewer})
		require.NoError(t, err)
		assert.True(t, again.Issued.Existing)
		assert.Equal(t, shape(again), shape(otherAgain))
	})

	t.Run("AUserOfNoCompanyIsAStranger", func(t *testing.T) {
		w := newWorld(t)
		loner := w.User(t, "loner")
		got, err := w.Invite.Add(ctx, w.admin, invite.NewInvitation{Email: loner.Email, Role: access.RoleViewer})
		require.NoError(t, err)
		assert.True(t, got.Invited)
		notMember(t, w, loner.ID)
	})

	t.Run("AcceptingIsConsent", func(t *testing.T) {
		w := newWorld(t)
		got, err := w.Invite.Add(ctx, w.admin, invite.NewInvitation{Email: w.stranger.Email, Role: access.RoleViewer})
		require.NoError(t, err)
		acc, err := w.Invite.Accept(ctx, access.UserPrincipal(w.stranger.ID, w.theirs.ID), got.Issued.Token.Reveal())
		require.NoError(t, err)
		assert.Equal(t, w.stranger.ID, acc.UserID)
		assert.False(t, acc.NewUser)
		m, err := w.Store.GetMembership(ctx, w.Company.ID, w.stranger.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleViewer, m.Role)
		assert.Equal(t, w.admin.UserID, m.CreatedBy, "under the inviter's authority")
	})

	t.Run("ANewUserIDIsTheClaimsUser", func(t *testing.T) {
		// NewUserID (an invitation's claim) creates the user without a
		// second look; a user made meanwhile with the e-mail is that user
		// only if it has the ID.
		w := newWorld(t)
		id, email := uuid.Must(uuid.NewV7()), unknownEmail()
		m, err := w.Access.AddMember(ctx, w.admin, access.NewMember{Email: email, Role: access.RoleViewer, CreateUser: true,
			NewUserID: id, Consented: true})
		require.NoError(t, err)
		assert.Equal(t, id, m.UserID)
		stored, err := w.Store.GetMember(ctx, w.Company.ID, id)
		require.NoError(t, err)
		assert.Equal(t, normMembership(stored.Membership), normMembership(m.Membership), "the member returned is the member stored")
		assert.Equal(t, normUser(stored.User), normUser(m.User))
		if assert.NotNil(t, m.CreatedByUser) && assert.NotNil(t, stored.CreatedByUser) {
			assert.Equal(t, *stored.CreatedByUser, *m.CreatedByUser)
		}

		m, err = w.Access.AddMember(ctx, w.admin, access.NewMember{Email: w.stranger.Email, Role: access.RoleViewer,
			CreateUser: true, NewUserID: w.stranger.ID, Consented: true})
		require.NoError(t, err)
		assert.Equal(t, w.stranger.ID, m.UserID, "the e-mail's user, with the ID")

		other := w.CreateUser(t, access.NewUser{Email: unknownEmail()})
		ghost := uuid.Must(uuid.NewV7())
		_, err = w.Access.AddMember(ctx, w.admin, access.NewMember{Email: other.Email, Role: access.RoleViewer,
			CreateUser: true, NewUserID: ghost, Consented: true})
		assert.ErrorIs(t, err, access.ErrConflict)
		assert.Equal(t, access.CodeEmailTaken, access.CodeOf(err))
		notMember(t, w, other.ID)
		_, err = w.Store.GetUser(ctx, ghost)
		assert.ErrorIs(t, err, access.ErrNotFound, "no user with the claimed ID")
	})

	t.Run("AUserTheCallerSeesIsAddedAtOnce", func(t *testing.T) {
		w := newWorld(t)
		// The admin and the colleague share another company, where the
		// admin may see its members.
		shared, asColleague := w.NewCompany(t, access.NewCompany{Name: "Shared"}, w.User(t, "colleague"))
		colleague := asColleague.UserID
		adminUser, err := w.Access.GetUser(ctx, access.SystemPrincipal(), w.admin.UserID)
		require.NoError(t, err)
		w.AddMember(t, shared.ID, adminUser, access.RoleViewer)
		col, err := w.Access.GetUser(ctx, access.SystemPrincipal(), colleague)
		require.NoError(t, err)

		seen, err := w.Access.SeesUser(ctx, w.admin, col.Email)
		require.NoError(t, err)
		assert.True(t, seen)
		got, err := w.Invite.Add(ctx, w.admin, invite.NewInvitation{Email: col.Email, Role: access.RoleViewer})
		require.NoError(t, err)
		assert.False(t, got.Invited)
		assert.Equal(t, colleague, got.Member.UserID)
		assert.Equal(t, col.Email, got.Member.User.Email)
		_, err = w.Store.GetMembership(ctx, w.Company.ID, colleague)
		assert.NoError(t, err)
		_, err = w.Invite.Add(ctx, w.admin, invite.NewInvitation{Email: col.Email, Role: access.RoleViewer})
		assertConflict(t, err, access.CodeAlreadyMember)

		// Seeing needs an active membership there: deactivated in Shared,
		// the admin sees no one of it.
		other, err := w.Access.GetUser(ctx, access.SystemPrincipal(), w.AddMember(t, shared.ID, w.User(t, "other"), access.RoleViewer).UserID)
		require.NoError(t, err)
		_, err = w.Access.UpdateMember(ctx, asColleague, adminUser.ID, access.MemberUpdate{Active: new(false)})
		require.NoError(t, err)
		got, err = w.Invite.Add(ctx, w.admin, invite.NewInvitation{Email: other.Email, Role: access.RoleViewer})
		require.NoError(t, err)
		assert.True(t, got.Invited)
		notMember(t, w, other.ID)
	})

	t.Run("AddMemberAnswersAStrangerAsAnUnknownUser", func(t *testing.T) {
		w := newWorld(t)
		_, errStranger := w.Access.AddMember(ctx, w.admin, access.NewMember{Email: w.stranger.Email, Role: access.RoleViewer})
		_, errUnknown := w.Access.AddMember(ctx, w.admin, access.NewMember{Email: unknownEmail(), Role: access.RoleViewer})
		assert.ErrorIs(t, errStranger, access.ErrNotFound)
		assert.Equal(t, access.CodeUserNotFound, access.CodeOf(errStranger))
		assert.Equal(t, errUnknown, errStranger, "the same error")
		_, errByID := w.Access.AddMember(ctx, w.admin, access.NewMember{UserID: w.stranger.ID, Role: access.RoleViewer})
		assert.Equal(t, errUnknown, errByID, "by ID too")
		notMember(t, w, w.stranger.ID)
		seen, err := w.Access.SeesUser(ctx, w.admin, w.stranger.Email)
		require.NoError(t, err)
		assert.False(t, seen)

		// Rights are checked first: a VIEWER learns nothing either way.
		_, viewer := w.Member(t, "viewer", access.RoleViewer)
		_, err = w.Invite.Add(ctx, viewer, invite.NewInvitation{Email: w.stranger.Email, Role: access.RoleViewer})
		assert.ErrorIs(t, err, access.ErrForbidden)
		_, err = w.Access.SeesUser(ctx, viewer, w.stranger.Email)
		assert.ErrorIs(t, err, access.ErrForbidden)

		// The system sees everyone; consent (an accepted invitation) adds
		// anyone.
		sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID}
		seen, err = w.Access.SeesUser(ctx, sys, w.stranger.Email)
		require.NoError(t, err)
		assert.True(t, seen)
		m, err := w.Access.AddMember(ctx, w.admin, access.NewMember{Email: w.stranger.Email, Role: access.RoleViewer, Consented: true})
		require.NoError(t, err)
		assert.Equal(t, w.stranger.ID, m.UserID)
	})

	t.Run("ATokenSeesOnlyItsCompany", func(t *testing.T) {
		w := newWorld(t)
		// The token's creator shares Elsewhere with the stranger; the
		// token, Acme's, does not act there and sees no one of it.
		strangerP := access.UserPrincipal(w.stranger.ID, w.theirs.ID)
		adminUser, err := w.Access.GetUser(ctx, access.SystemPrincipal(), w.admin.UserID)
		require.NoError(t, err)
		_, err = w.Access.AddMember(ctx, strangerP, access.NewMember{Email: adminUser.Email, Role: access.RoleViewer, Consented: true})
		require.NoError(t, err)
		seen, err := w.Access.SeesUser(ctx, w.admin, w.stranger.Email)
		require.NoError(t, err)
		assert.True(t, seen, "the admin's own user sees the stranger now")

		created := w.APIToken(t, w.admin, access.RoleAdmin)
		tp, err := w.Token.Verify(ctx, created.Secret.Reveal())
		require.NoError(t, err)
		seen, err = w.Access.SeesUser(ctx, tp, w.stranger.Email)
		require.NoError(t, err)
		assert.False(t, seen)
		got, err := w.Invite.Add(ctx, tp, invite.NewInvitation{Email: w.stranger.Email, Role: access.RoleViewer})
		require.NoError(t, err)
		assert.True(t, got.Invited)
		_, err = w.Access.AddMember(ctx, tp, access.NewMember{UserID: w.stranger.ID, Role: access.RoleViewer})
		assert.ErrorIs(t, err, access.ErrNotFound, "by ID neither")
		notMember(t, w, w.stranger.ID)
		// Members of its own company it sees.
		seen, err = w.Access.SeesUser(ctx, tp, w.Owner.Email)
		require.NoError(t, err)
		assert.True(t, seen)
	})

	t.Run("ProvisioningNeverTakesAStranger", func(t *testing.T) {
		w := newWorld(t)
		_, err := w.Access.ProvisionMember(ctx, w.admin, access.NewMember{Email: w.stranger.Email, Role: access.RoleViewer})
		assert.ErrorIs(t, err, access.ErrConsentRequired)
		assert.ErrorIs(t, err, access.ErrForbidden)
		_, err = w.Access.ProvisionMember(ctx, w.admin, access.NewMember{Email: w.stranger.Email, Role: access.RoleViewer, Consented: true})
		assert.ErrorIs(t, err, access.ErrConsentRequired, "provisioning is never consent")
		for _, in := range []token.Provision{
			{Email: w.stranger.Email, Role: access.RoleViewer},
			{Email: w.stranger.Email, Role: access.RoleViewer, NoLink: true},
			{Email: w.stranger.Email, Role: access.RoleViewer, Notify: true},
		} {
			_, err = w.Token.Provision(ctx, w.admin, in)
			assert.ErrorIs(t, err, access.ErrForbidden, "%+v", in)
		}
		notMember(t, w, w.stranger.ID)

		// Just-in-time provisioning still creates the users it does not find.
		pm, err := w.Access.ProvisionMember(ctx, w.admin, access.NewMember{Email: unknownEmail(), Role: access.RoleViewer})
		require.NoError(t, err)
		assert.True(t, pm.UserCreated)
	})

	t.Run("GrantInvitesAStrangerAsAnUnknownEmail", func(t *testing.T) {
		w := newWorld(t)
		got, err := w.Invite.Grant(ctx, w.admin, invite.NewGrant{Email: w.stranger.Email, Role: access.RoleAdmin})
		require.NoError(t, err)
		assert.True(t, got.Invited)
		assert.Zero(t, got.Member)
		notMember(t, w, w.stranger.ID)

		unknown := unknownEmail()
		other, err := w.Invite.Grant(ctx, w.admin, invite.NewGrant{Email: unknown, Role: access.RoleAdmin})
		require.NoError(t, err)
		assert.Equal(t, shape(got), shape(other))
		_, err = w.Access.GetUserByEmail(ctx, access.SystemPrincipal(), unknown)
		assert.ErrorIs(t, err, access.ErrNotFound, "a grant makes no account before the person accepts")

		// A member the caller sees is provisioned at once.
		low, _ := w.Member(t, "low", access.RoleViewer)
		got, err = w.Invite.Grant(ctx, w.admin, invite.NewGrant{Email: low.Email, Role: access.RoleAdmin})
		require.NoError(t, err)
		assert.False(t, got.Invited)
		assert.Equal(t, access.RoleAdmin, got.Member.Role)

		// The rules hold on both paths.
		_, err = w.Invite.Grant(ctx, w.admin, invite.NewGrant{Email: w.stranger.Email, Role: access.RoleOwner})
		assert.ErrorIs(t, err, access.ErrForbidden)
		_, err = w.Invite.Grant(ctx, w.admin, invite.NewGrant{Email: unknownEmail(), Role: "EMPEROR"})
		assert.Equal(t, "role", access.FieldOf(err))
	})
}
