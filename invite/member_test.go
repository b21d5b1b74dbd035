package invite_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

func TestInviteCreatesPendingInvitation(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, " Bob@Example.COM ", access.RoleViewer, "USER_EDIT")

	inv := is.Invitation
	assert.Equal(t, invite.KindMember, inv.Kind)
	assert.Equal(t, "bob@example.com", inv.Email)
	assert.Equal(t, access.RoleViewer, inv.Role)
	assert.Equal(t, []string{"USER_EDIT", "USER_VIEW"}, inv.Permissions)
	assert.Equal(t, invite.StatusPending, inv.Status)
	assert.Equal(t, e.ownerID, inv.InvitedBy)
	assert.Equal(t, t0.Add(7*24*time.Hour), inv.ExpiresAt)
	assert.Equal(t, 1, inv.SendCount)
	assert.Zero(t, inv.TokenHash, "the service never hands out the hash")
	assert.False(t, is.Existing)
	assert.True(t, strings.HasPrefix(is.Token.Reveal(), "gate_inv_"), "token format of package token")
	assert.Contains(t, is.URL.Reveal(), "https://app.example/invite/accept?token="+is.Token.Reveal())

	ev := e.notes.last()
	assert.Equal(t, invite.EventCreated, ev.Type)
	assert.Equal(t, is.Token, ev.Token)
	assert.Equal(t, "Acme", ev.CompanyName)
	assert.Equal(t, "owner@acme.example", ev.InviterEmail)

	evs := e.audit(t, e.company)
	assert.Equal(t, "invitation.created", evs[len(evs)-1].Action)
	assert.Equal(t, "bob@example.com", evs[len(evs)-1].Details["email"])
}

func TestInviteValidatesInput(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		in    invite.NewInvitation
		field string
	}{
		{invite.NewInvitation{Email: "nope", Role: access.RoleViewer}, "email"},
		{invite.NewInvitation{Email: "a@example.com", Role: "EMPEROR"}, "role"},
		{invite.NewInvitation{Email: "a@example.com", Role: access.RoleViewer, Permissions: []string{"NOPE"}}, "permissions"},
	} {
		_, err := e.svc.Invite(e.ctx, e.owner, tc.in)
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, tc.field, access.FieldOf(err))
	}
	assert.Empty(t, e.notes.types(), "bad input changes nothing")
}

func TestInviteAuthorization(t *testing.T) {
	e := newEnv(t)
	viewer := e.member(t, e.company, "viewer@acme.example", access.RoleViewer)
	admin := e.member(t, e.company, "admin@acme.example", access.RoleAdmin)
	adder := e.member(t, e.company, "adder@acme.example", access.RoleViewerPlus, access.UserAdd)

	_, err := e.svc.Invite(e.ctx, anon(), invite.NewInvitation{Email: "x@example.com", Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrUnauthenticated)
	_, err = e.svc.Invite(e.ctx, viewer, invite.NewInvitation{Email: "x@example.com", Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrForbidden, "USER_ADD is needed")
	_, err = e.svc.Invite(e.ctx, admin, invite.NewInvitation{Email: "x@example.com", Role: access.RoleOwner})
	assert.ErrorIs(t, err, access.ErrForbidden, "never above the inviter's level")
	_, err = e.svc.Invite(e.ctx, adder, invite.NewInvitation{Email: "x@example.com", Role: access.RoleViewer, Permissions: []string{access.UserDelete}})
	assert.ErrorIs(t, err, access.ErrForbidden, "never a permission the inviter lacks")
	_, err = e.svc.Invite(e.ctx, adder, invite.NewInvitation{Email: "x@example.com", Role: access.RoleViewer, Permissions: []string{access.UserAdd}})
	assert.NoError(t, err)
	other, _ := e.newCompany(t, "Other", "o@other.example")
	_, err = e.svc.Invite(e.ctx, access.UserPrincipal(e.ownerID, other), invite.NewInvitation{Email: "x@example.com", Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrNotFound, "a company the principal is not in")
}

func TestInviteExistingMemberIsConflict(t *testing.T) {
	e := newEnv(t)
	e.member(t, e.company, "bob@example.com", access.RoleViewer)
	_, err := e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: "BOB@example.com", Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrConflict)
	assert.Equal(t, access.CodeAlreadyMember, access.CodeOf(err))
}

func TestInviteExistingUserWorksTheSame(t *testing.T) {
	e := newEnv(t)
	other, _ := e.newCompany(t, "Other", "carol@example.com") // carol exists, not in Acme
	_ = other
	is := e.invite(t, "carol@example.com", access.RoleViewer)
	res, err := e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	require.NoError(t, err)
	assert.False(t, res.NewUser)
	u, err := e.st.GetUserByEmail(e.ctx, "carol@example.com")
	require.NoError(t, err)
	assert.Equal(t, u.ID, res.UserID)
	m, err := e.st.GetMembership(e.ctx, e.company, u.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleViewer, m.Role)
}

func TestInvitePendingReturnsItRefreshed(t *testing.T) {
	e := newEnv(t)
	first := e.invite(t, "bob@example.com", access.RoleViewer)
	e.clock.Advance(24 * time.Hour)
	_, err := e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: "BOB@example.com", Role: access.RoleAdmin})
	var soon *invite.ResendTooSoonError
	require.ErrorAs(t, err, &soon, "within the resend cooldown, as Resend")
	e.clock.Advance(24 * time.Hour)
	again, err := e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: "BOB@example.com", Role: access.RoleAdmin})
	require.NoError(t, err)
	assert.True(t, again.Existing)
	assert.Equal(t, first.Invitation.ID, again.Invitation.ID, "not a second invitation")
	assert.NotEmpty(t, again.Token.Reveal(), "re-issued with a new token")
	assert.NotEqual(t, first.Token.Reveal(), again.Token.Reveal())
	assert.Equal(t, access.RoleAdmin, again.Invitation.Role, "the new terms")
	assert.Equal(t, t0.Add(48*time.Hour+7*24*time.Hour), again.Invitation.ExpiresAt, "expiry renewed")
	assert.Equal(t, invite.EventRefreshed, e.notes.last().Type)
	assert.Equal(t, again.Token, e.notes.last().Token, "the new link is what gets sent")

	page, err := e.svc.ListPending(e.ctx, e.owner, invite.ListFilter{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 1)
	_, err = e.svc.Accept(e.ctx, anon(), first.Token.Reveal())
	assert.ErrorIs(t, err, access.ErrNotFound, "the link sent with the old terms no longer works")
	res, err := e.svc.Accept(e.ctx, anon(), again.Token.Reveal())
	require.NoError(t, err)
	m, err := e.st.GetMembership(e.ctx, e.company, res.UserID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleAdmin, m.Role)
}

func TestRefreshNeedsTheRankOfTheCurrentTerms(t *testing.T) {
	e := newEnv(t)
	first := e.invite(t, "bob@example.com", access.RoleOwner)
	admin := e.member(t, e.company, "admin@acme.example", access.RoleAdmin)
	_, err := e.svc.Invite(e.ctx, admin, invite.NewInvitation{Email: "bob@example.com", Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrForbidden, "an ADMIN cannot rewrite an OWNER invitation")
	assert.Equal(t, access.RoleOwner, e.stored(t, first.Invitation.ID).Role)
}

func TestTokenIsStoredOnlyAsHashAndNeverPrinted(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	tok := is.Token.Reveal()
	sum := sha256.Sum256([]byte(tok))
	inv := e.stored(t, is.Invitation.ID)
	assert.Equal(t, token.Digest(sum), inv.TokenHash)

	stored := fmt.Sprintf("%+v", inv)
	assert.NotContains(t, stored, tok)
	for _, s := range []string{
		fmt.Sprint(is), fmt.Sprintf("%v %+v %#v %s %q %x", is, is, is, is.Token, is.Token, is.Token),
		fmt.Sprintf("%v", e.notes.last()), is.URL.String(),
	} {
		assert.NotContains(t, s, tok)
	}
	b, err := json.Marshal(is)
	require.NoError(t, err)
	assert.NotContains(t, string(b), tok)
	for _, ev := range e.audit(t, e.company) {
		assert.NotContains(t, fmt.Sprint(ev), tok)
	}
	mistyped := tok[:len(tok)-1] + "x"
	if strings.HasSuffix(tok, "x") {
		mistyped = tok[:len(tok)-1] + "y"
	}
	_, err = e.svc.Accept(e.ctx, anon(), mistyped)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), tok[:20])
}

func TestPreview(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	e.invite(t, "other@example.com", access.RoleAdmin)
	pv, err := e.svc.Preview(e.ctx, is.Token.Reveal())
	require.NoError(t, err)
	assert.Equal(t, invite.Preview{ID: is.Invitation.ID, Kind: invite.KindMember, Status: invite.StatusPending,
		Email: "bob@example.com", CompanyName: "Acme", Role: access.RoleViewer, Permissions: []string{},
		CompanyID: is.Invitation.CompanyID, InviterName: "Olga Owner", ExpiresAt: is.Invitation.ExpiresAt}, pv)

	for _, bad := range []string{"", "nope", is.Token.Reveal() + "x", strings.Replace(is.Token.Reveal(), "_inv_", "_api_", 1)} {
		_, err := e.svc.Preview(e.ctx, bad)
		assert.ErrorIs(t, err, access.ErrNotFound, bad)
	}
	e.clock.Advance(8 * 24 * time.Hour)
	pv, err = e.svc.Preview(e.ctx, is.Token.Reveal())
	require.NoError(t, err)
	assert.Equal(t, invite.StatusExpired, pv.Status)
}

func TestAcceptCreatesUserMembershipAndMovesGrants(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "new@example.com", access.RoleViewer, access.UserEdit)
	invSubject := access.Subject{Type: access.SubjectInvite, ID: is.Invitation.ID}
	g, err := e.acc.Grant(e.ctx, e.owner, access.NewGrant{Subject: invSubject, Resource: access.Resource{Type: "project", ID: "p1"}, Level: access.LevelAdmin})
	require.NoError(t, err)

	res, err := e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	require.NoError(t, err)
	assert.True(t, res.NewUser)
	assert.Equal(t, e.company, res.CompanyID)
	assert.Equal(t, invite.StatusAccepted, res.Invitation.Status)
	assert.Equal(t, res.UserID, res.Invitation.UserID)

	u, err := e.st.GetUserByEmail(e.ctx, "new@example.com")
	require.NoError(t, err)
	assert.Equal(t, u.ID, res.UserID)
	assert.Equal(t, e.company, u.ActiveCompanyID)
	m, err := e.st.GetMembership(e.ctx, e.company, u.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleViewer, m.Role)
	assert.Equal(t, []string{"USER_EDIT", "USER_VIEW"}, m.Extra)
	assert.True(t, m.Active)
	assert.Equal(t, e.ownerID, m.CreatedBy, "the inviter granted the access")

	moved, err := e.st.GetGrant(e.ctx, e.company, g.ID)
	require.NoError(t, err)
	assert.Equal(t, access.Subject{Type: access.SubjectUser, ID: u.ID}, moved.Subject)
	assert.NoError(t, e.acc.CheckLevel(e.ctx, access.UserPrincipal(u.ID, e.company), access.Resource{Type: "project", ID: "p1"}, access.LevelAdmin))

	acts := actions(e.audit(t, e.company))
	assert.Subset(t, acts, []string{"invitation.created", "grant.created", "user.created", "membership.created", "invitation.accepted"})
	assert.Equal(t, []invite.EventType{invite.EventCreated, invite.EventAccepted}, e.notes.types())
}

func TestAcceptTwiceAndConcurrently(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, lost int
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if assert.ErrorIs(t, err, access.ErrConflict) {
				lost++
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, ok)
	assert.Equal(t, 19, lost)
	_, err := e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	assertState(t, err, invite.StatusAccepted)
}

func TestAcceptBySignedInUser(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	_, mallory := e.newCompany(t, "Evil", "mallory@example.com")
	_, err := e.svc.Accept(e.ctx, access.UserPrincipal(mallory, uuid.Nil), is.Token.Reveal())
	assert.ErrorIs(t, err, invite.ErrEmailMismatch)
	assert.ErrorIs(t, err, access.ErrForbidden)
	assert.Equal(t, invite.StatusPending, e.stored(t, is.Invitation.ID).Status, "stays pending")
	_, err = e.st.GetMembership(e.ctx, e.company, mallory)
	assert.ErrorIs(t, err, access.ErrNotFound, "never to whoever presents the token")

	_, err = e.svc.Accept(e.ctx, access.TokenPrincipal(uuid.New(), e.ownerID, e.company, nil, access.LevelOwner, t0), is.Token.Reveal())
	assert.ErrorIs(t, err, access.ErrForbidden)

	_, bob := e.newCompany(t, "Bobco", "bob@example.com")
	res, err := e.svc.Accept(e.ctx, access.UserPrincipal(bob, uuid.Nil), is.Token.Reveal())
	require.NoError(t, err)
	assert.Equal(t, bob, res.UserID)
}

func TestAcceptExpired(t *testing.T) {
	e := newEnv(t, invite.WithValidity(time.Hour))
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	e.clock.Advance(time.Hour) // now == expires_at: expired
	_, err := e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	assertState(t, err, invite.StatusExpired)
	got, err := e.svc.Get(e.ctx, e.owner, is.Invitation.ID)
	require.NoError(t, err)
	assert.Equal(t, invite.StatusExpired, got.Status, "computed at read time")
	page, err := e.svc.ListPending(e.ctx, e.owner, invite.ListFilter{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	_, err = e.svc.Reject(e.ctx, anon(), is.Token.Reveal())
	assertState(t, err, invite.StatusExpired)
	_, err = e.svc.Revoke(e.ctx, e.owner, is.Invitation.ID)
	assertState(t, err, invite.StatusExpired)
	_, err = e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
	var soon *invite.ResendTooSoonError
	assert.ErrorAs(t, err, &soon, "an expired invitation is resent, once the cooldown passed")
}

func TestTerminalStatesRefuseEveryTransition(t *testing.T) {
	e := newEnv(t)
	revoked := e.invite(t, "r@example.com", access.RoleViewer)
	_, err := e.svc.Revoke(e.ctx, e.owner, revoked.Invitation.ID)
	require.NoError(t, err)
	rejected := e.invite(t, "j@example.com", access.RoleViewer)
	_, err = e.svc.Reject(e.ctx, anon(), rejected.Token.Reveal())
	require.NoError(t, err)
	accepted := e.invite(t, "a@example.com", access.RoleViewer)
	_, err = e.svc.Accept(e.ctx, anon(), accepted.Token.Reveal())
	require.NoError(t, err)

	for _, tc := range []struct {
		is   invite.Issued
		want invite.Status
	}{{revoked, invite.StatusRevoked}, {rejected, invite.StatusRejected}, {accepted, invite.StatusAccepted}} {
		_, err := e.svc.Accept(e.ctx, anon(), tc.is.Token.Reveal())
		assertState(t, err, tc.want)
		_, err = e.svc.Reject(e.ctx, anon(), tc.is.Token.Reveal())
		assertState(t, err, tc.want)
		_, err = e.svc.Revoke(e.ctx, e.owner, tc.is.Invitation.ID)
		assertState(t, err, tc.want)
		e.clock.Advance(3 * 24 * time.Hour)
		_, err = e.svc.Resend(e.ctx, e.owner, tc.is.Invitation.ID)
		assertState(t, err, tc.want)
	}
}

func TestAcceptRechecksTheInviter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(e *env, admin access.Principal)
	}{
		{"demoted", func(e *env, admin access.Principal) {
			r := access.RoleViewer
			_, err := e.acc.UpdateMember(e.ctx, e.owner, admin.UserID, access.MemberUpdate{Role: &r})
			require.NoError(t, err)
		}},
		{"deactivated", func(e *env, admin access.Principal) {
			off := false
			_, err := e.acc.UpdateMember(e.ctx, e.owner, admin.UserID, access.MemberUpdate{Active: &off})
			require.NoError(t, err)
		}},
		{"removed", func(e *env, admin access.Principal) {
			require.NoError(t, e.acc.RemoveMember(e.ctx, e.owner, admin.UserID))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			admin := e.member(t, e.company, "admin@acme.example", access.RoleAdmin)
			is, err := e.svc.Invite(e.ctx, admin, invite.NewInvitation{Email: "bob@example.com", Role: access.RoleAdmin})
			require.NoError(t, err)
			tc.change(e, admin)
			_, err = e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
			assert.ErrorIs(t, err, invite.ErrInviterNotAuthorized)
			assert.Equal(t, invite.StatusPending, e.stored(t, is.Invitation.ID).Status)
			_, err = e.st.GetUserByEmail(e.ctx, "bob@example.com")
			assert.ErrorIs(t, err, access.ErrNotFound, "the failed accept left no user behind")
		})
	}
}

func TestRemovedMemberCannotComeBackThroughOldLink(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	res, err := e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	require.NoError(t, err)
	require.NoError(t, e.acc.RemoveMember(e.ctx, e.owner, res.UserID))
	_, err = e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	assertState(t, err, invite.StatusAccepted)
	_, err = e.st.GetMembership(e.ctx, e.company, res.UserID)
	assert.ErrorIs(t, err, access.ErrNotFound)
}

func TestTerminalInvitationNeverBlocksANewOne(t *testing.T) {
	e := newEnv(t, invite.WithValidity(time.Hour))
	first := e.invite(t, "bob@example.com", access.RoleViewer)
	_, err := e.svc.Revoke(e.ctx, e.owner, first.Invitation.ID)
	require.NoError(t, err)
	second := e.invite(t, "bob@example.com", access.RoleViewer)
	assert.NotEqual(t, first.Invitation.ID, second.Invitation.ID)
	assert.False(t, second.Existing)

	e.clock.Advance(time.Hour)
	third := e.invite(t, "bob@example.com", access.RoleViewer)
	assert.NotEqual(t, second.Invitation.ID, third.Invitation.ID, "an expired invitation does not block")
	assert.NotEmpty(t, third.Token.Reveal())
	assert.Equal(t, invite.StatusExpired, e.stored(t, second.Invitation.ID).Status, "closed as expired")

	res, err := e.svc.Accept(e.ctx, anon(), third.Token.Reveal())
	require.NoError(t, err)
	require.NoError(t, e.acc.RemoveMember(e.ctx, e.owner, res.UserID))
	fourth := e.invite(t, "bob@example.com", access.RoleViewer)
	_, err = e.svc.Accept(e.ctx, anon(), fourth.Token.Reveal())
	require.NoError(t, err, "a removed member can be invited back with a new invitation")
}

func TestReject(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	g, err := e.acc.Grant(e.ctx, e.owner, access.NewGrant{Subject: access.Subject{Type: access.SubjectInvite, ID: is.Invitation.ID},
		Resource: access.Resource{Type: "project", ID: "p1"}, Level: access.LevelViewer})
	require.NoError(t, err)
	_, mallory := e.newCompany(t, "Evil", "mallory@example.com")
	_, err = e.svc.Reject(e.ctx, access.UserPrincipal(mallory, uuid.Nil), is.Token.Reveal())
	assert.ErrorIs(t, err, invite.ErrEmailMismatch)

	inv, err := e.svc.Reject(e.ctx, anon(), is.Token.Reveal())
	require.NoError(t, err)
	assert.Equal(t, invite.StatusRejected, inv.Status)
	assert.Equal(t, t0, inv.ClosedAt)
	_, err = e.st.GetGrant(e.ctx, e.company, g.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "the invitation's grants are dropped")
	assert.Equal(t, invite.EventRejected, e.notes.last().Type)
	assert.Contains(t, actions(e.audit(t, e.company)), "invitation.rejected")
}

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	viewer := e.member(t, e.company, "viewer@acme.example", access.RoleViewer)
	admin := e.member(t, e.company, "admin@acme.example", access.RoleAdmin)
	owners := e.invite(t, "boss@example.com", access.RoleOwner)
	is := e.invite(t, "bob@example.com", access.RoleViewer)

	_, err := e.svc.Revoke(e.ctx, viewer, is.Invitation.ID)
	assert.ErrorIs(t, err, access.ErrForbidden)
	_, err = e.svc.Revoke(e.ctx, admin, owners.Invitation.ID)
	assert.ErrorIs(t, err, access.ErrForbidden, "not above one's own level")
	other, otherOwner := e.newCompany(t, "Other", "o@other.example")
	_, err = e.svc.Revoke(e.ctx, access.UserPrincipal(otherOwner, other), is.Invitation.ID)
	assert.ErrorIs(t, err, access.ErrNotFound, "another company's invitation is unknown")
	_, err = e.svc.Get(e.ctx, access.UserPrincipal(otherOwner, other), is.Invitation.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)

	inv, err := e.svc.Revoke(e.ctx, admin, is.Invitation.ID)
	require.NoError(t, err)
	assert.Equal(t, invite.StatusRevoked, inv.Status)
	_, err = e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	assertState(t, err, invite.StatusRevoked)
	assert.Equal(t, invite.EventRevoked, e.notes.last().Type)
}

func TestResend(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	e.clock.Advance(47 * time.Hour)
	_, err := e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
	var soon *invite.ResendTooSoonError
	require.ErrorAs(t, err, &soon)
	assert.Equal(t, t0.Add(48*time.Hour), soon.NextAllowedAt)
	assert.ErrorIs(t, err, access.ErrConflict)
	assert.Equal(t, access.CodeResendTooSoon, access.CodeOf(err))

	e.clock.Advance(time.Hour)
	again, err := e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
	require.NoError(t, err)
	assert.Equal(t, is.Invitation.ID, again.Invitation.ID)
	assert.NotEqual(t, is.Token.Reveal(), again.Token.Reveal())
	assert.Equal(t, 2, again.Invitation.SendCount)
	assert.Equal(t, t0.Add(48*time.Hour), again.Invitation.LastSentAt)
	assert.Equal(t, t0.Add(48*time.Hour+7*24*time.Hour), again.Invitation.ExpiresAt, "expiry renewed")
	ev := e.notes.last()
	assert.Equal(t, invite.EventResent, ev.Type)
	assert.Equal(t, again.Token, ev.Token)

	_, err = e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	assert.ErrorIs(t, err, access.ErrNotFound, "the old link stops working")
	_, err = e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
	require.ErrorAs(t, err, &soon, "the cooldown runs from the last send")
	assert.Equal(t, t0.Add(96*time.Hour), soon.NextAllowedAt)

	viewer := e.member(t, e.company, "viewer@acme.example", access.RoleViewer)
	_, err = e.svc.Resend(e.ctx, viewer, is.Invitation.ID)
	assert.ErrorIs(t, err, access.ErrForbidden)

	_, err = e.svc.Accept(e.ctx, anon(), again.Token.Reveal())
	require.NoError(t, err)
}

func TestResendCooldownOption(t *testing.T) {
	e := newEnv(t, invite.WithResendCooldown(time.Minute))
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	e.clock.Advance(time.Minute)
	_, err := e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
	assert.NoError(t, err)
}

func TestListPendingPaginated(t *testing.T) {
	e := newEnv(t)
	var want []uuid.UUID
	for i := range 5 {
		want = append(want, e.invite(t, fmt.Sprintf("p%d@example.com", i), access.RoleViewer).Invitation.ID)
	}
	revoked := e.invite(t, "gone@example.com", access.RoleViewer)
	_, err := e.svc.Revoke(e.ctx, e.owner, revoked.Invitation.ID)
	require.NoError(t, err)
	other, otherOwner := e.newCompany(t, "Other", "o@other.example")
	_, err = e.svc.Invite(e.ctx, access.UserPrincipal(otherOwner, other), invite.NewInvitation{Email: "p0@example.com", Role: access.RoleViewer})
	require.NoError(t, err)

	var got []uuid.UUID
	pr := access.PageRequest{Limit: 2}
	pages := 0
	for {
		page, err := e.svc.ListPending(e.ctx, e.owner, invite.ListFilter{Page: pr})
		require.NoError(t, err)
		pages++
		for _, inv := range page.Items {
			got = append(got, inv.ID)
			assert.Zero(t, inv.TokenHash)
		}
		if page.Next == "" {
			break
		}
		pr.After = page.Next
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, pages)

	viewer := e.member(t, e.company, "viewer@acme.example", access.RoleViewer)
	_, err = e.svc.ListPending(e.ctx, viewer, invite.ListFilter{})
	assert.NoError(t, err, "USER_VIEW sees invitations")
	_, err = e.svc.ListPending(e.ctx, anon(), invite.ListFilter{})
	assert.ErrorIs(t, err, access.ErrUnauthenticated)
	_, err = e.svc.ListPending(e.ctx, e.owner, invite.ListFilter{Kind: "bogus"})
	assert.ErrorIs(t, err, access.ErrInvalid)
	_, err = e.svc.ListPending(e.ctx, e.owner, invite.ListFilter{Page: access.PageRequest{After: "!!"}})
	assert.ErrorIs(t, err, access.ErrInvalid)
}

func TestListForEmail(t *testing.T) {
	e := newEnv(t)
	a := e.invite(t, "bob@example.com", access.RoleViewer)
	other, otherOwner := e.newCompany(t, "Other", "o@other.example")
	b, err := e.svc.Invite(e.ctx, access.UserPrincipal(otherOwner, other), invite.NewInvitation{Email: "bob@example.com", Role: access.RoleAdmin})
	require.NoError(t, err)
	e.invite(t, "carol@example.com", access.RoleViewer)

	_, bob := e.newCompany(t, "Bobco", "bob@example.com")
	page, err := e.svc.ListForEmail(e.ctx, access.UserPrincipal(bob, uuid.Nil), "Bob@example.com", access.PageRequest{})
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{a.Invitation.ID, b.Invitation.ID}, []uuid.UUID{page.Items[0].ID, page.Items[1].ID})
	assert.Len(t, page.Items, 2)

	_, err = e.svc.ListForEmail(e.ctx, e.owner, "bob@example.com", access.PageRequest{})
	assert.ErrorIs(t, err, access.ErrForbidden, "only the invited user")
	_, err = e.svc.ListForEmail(e.ctx, anon(), "bob@example.com", access.PageRequest{})
	assert.ErrorIs(t, err, access.ErrUnauthenticated)
	page, err = e.svc.ListForEmail(e.ctx, access.SystemPrincipal(), "carol@example.com", access.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 1)
}

func TestNotificationsAfterCommit(t *testing.T) {
	e := newEnv(t)
	// Inside Notify, a read without the transaction's context sees the
	// committed change (a notification from inside the memory store's
	// transaction would block on its lock: the test would time out).
	e.notes.during = func(ev invite.Event) {
		done := make(chan invite.Invitation, 1)
		go func() {
			inv, _ := e.st.GetInvitation(e.ctx, ev.Invitation.CompanyID, ev.Invitation.ID)
			done <- inv
		}()
		select {
		case inv := <-done:
			assert.Equal(t, ev.Invitation.StatusAt(t0), inv.StatusAt(t0), "committed before %s", ev.Type)
		case <-time.After(5 * time.Second):
			t.Errorf("notified from inside the transaction (%s)", ev.Type)
		}
	}
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	_, mallory := e.newCompany(t, "Evil", "mallory@example.com")
	_, err := e.svc.Accept(e.ctx, access.UserPrincipal(mallory, uuid.Nil), is.Token.Reveal())
	require.Error(t, err)
	assert.Equal(t, []invite.EventType{invite.EventCreated}, e.notes.types(), "a failed change notifies nobody")
	_, err = e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
	require.NoError(t, err)
	assert.Equal(t, []invite.EventType{invite.EventCreated, invite.EventAccepted}, e.notes.types())
}

func TestInvitationAsGrantSubject(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	other, otherOwner := e.newCompany(t, "Other", "o@other.example")
	_, err := e.acc.Grant(e.ctx, access.UserPrincipal(otherOwner, other), access.NewGrant{
		Subject: access.Subject{Type: access.SubjectInvite, ID: is.Invitation.ID}, Resource: access.Resource{Type: "project", ID: "p"}, Level: access.LevelViewer})
	assert.ErrorIs(t, err, access.ErrNotFound, "another company's invitation")
	_, err = e.svc.Revoke(e.ctx, e.owner, is.Invitation.ID)
	require.NoError(t, err)
	_, err = e.acc.Grant(e.ctx, e.owner, access.NewGrant{
		Subject: access.Subject{Type: access.SubjectInvite, ID: is.Invitation.ID}, Resource: access.Resource{Type: "project", ID: "p"}, Level: access.LevelViewer})
	assertState(t, err, invite.StatusRevoked)
}

func TestIssuedTokenIsRedacted(t *testing.T) {
	e := newEnv(t)
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	s := is.Token.Reveal()
	require.NotEmpty(t, s)
	for _, out := range []string{fmt.Sprint(is), fmt.Sprintf("%s|%v|%+v|%#v|%q|%x|%d", is.Token, is.Token, is, is, is.Token, is.Token, is.Token), is.Token.String()} {
		assert.NotContains(t, out, s)
	}
	b, err := json.Marshal(is)
	require.NoError(t, err)
	assert.NotContains(t, string(b), s)
}

func TestTokenFormatOption(t *testing.T) {
	e := newEnvWith(t, []token.Option{token.WithPrefix("acme")})
	is := e.invite(t, "bob@example.com", access.RoleViewer)
	assert.True(t, strings.HasPrefix(is.Token.Reveal(), "acme_inv_"), "the host's product prefix")

	// A well-formed invitation token of another product is not ours.
	other := newEnv(t)
	foreign := other.invite(t, "bob@example.com", access.RoleViewer)
	_, err := e.svc.Accept(e.ctx, access.SystemPrincipal(), foreign.Token.Reveal())
	assert.ErrorIs(t, err, access.ErrNotFound, "like any unknown invitation token")
	_, err = e.svc.Accept(e.ctx, access.SystemPrincipal(), is.Token.Reveal())
	assert.NoError(t, err)
}
