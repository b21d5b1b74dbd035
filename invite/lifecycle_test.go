package invite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
	"github.com/gatehouse-go/gatehouse/token"
)

func TestListByStatus(t *testing.T) {
	e := newEnv(t, invite.WithValidity(time.Hour))
	lapsed := e.invite(t, "lapsed@example.com", access.RoleViewer) // stored pending, expired by time
	closed := e.invite(t, "closed@example.com", access.RoleViewer)
	e.clock.Advance(time.Hour)
	again := e.invite(t, "closed@example.com", access.RoleViewer) // closes the expired one
	require.NotEqual(t, closed.Invitation.ID, again.Invitation.ID)
	require.Equal(t, invite.StatusExpired, e.stored(t, closed.Invitation.ID).Status)
	require.Equal(t, invite.StatusPending, e.stored(t, lapsed.Invitation.ID).Status)
	pending := e.invite(t, "pending@example.com", access.RoleViewer)
	revoked := e.invite(t, "revoked@example.com", access.RoleViewer)
	_, err := e.svc.Revoke(e.ctx, e.owner, revoked.Invitation.ID)
	require.NoError(t, err)
	accepted := e.invite(t, "accepted@example.com", access.RoleViewer)
	_, err = e.svc.Accept(e.ctx, anon(), accepted.Token.Reveal())
	require.NoError(t, err)
	rejected := e.invite(t, "rejected@example.com", access.RoleViewer)
	_, err = e.svc.Reject(e.ctx, anon(), rejected.Token.Reveal())
	require.NoError(t, err)

	list := func(st invite.Status, limit int) []uuid.UUID {
		t.Helper()
		var out []uuid.UUID
		pr := access.PageRequest{Limit: limit}
		for {
			page, err := e.svc.List(e.ctx, e.owner, invite.ListFilter{Status: st, Page: pr})
			require.NoError(t, err)
			for _, inv := range page.Items {
				if st != invite.AnyStatus && st != "" {
					assert.Equal(t, st, inv.Status)
				}
				out = append(out, inv.ID)
			}
			if page.Next == "" {
				return out
			}
			pr.After = page.Next
		}
	}
	ids := func(is ...invite.Issued) []uuid.UUID {
		var out []uuid.UUID
		for _, i := range is {
			out = append(out, i.Invitation.ID)
		}
		return out
	}
	assert.Equal(t, ids(again, pending), list("", 0), "pending by default")
	assert.Equal(t, ids(again, pending), list(invite.StatusPending, 1))
	assert.Equal(t, ids(revoked), list(invite.StatusRevoked, 1))
	assert.Equal(t, ids(accepted), list(invite.StatusAccepted, 1))
	assert.Equal(t, ids(rejected), list(invite.StatusRejected, 1))
	assert.Equal(t, ids(lapsed, closed), list(invite.StatusExpired, 1), "lapsed and stored expired, in ID order")
	assert.Equal(t, ids(lapsed, closed, again, pending, revoked, accepted, rejected), list(invite.AnyStatus, 2))

	in, err := e.svc.Inbox(e.ctx, e.owner, invite.ListFilter{Status: invite.StatusRevoked})
	require.NoError(t, err)
	assert.Equal(t, ids(revoked), idsOfInvitations(in.Sent.Items), "the inbox's sent list takes the status")

	_, err = e.svc.List(e.ctx, e.owner, invite.ListFilter{Status: "bogus"})
	assert.Equal(t, "status", access.FieldOf(err))
	_, err = e.svc.List(e.ctx, anon(), invite.ListFilter{Status: invite.AnyStatus})
	assert.ErrorIs(t, err, access.ErrUnauthenticated)
}

func idsOfInvitations(is []invite.Invitation) []uuid.UUID {
	var out []uuid.UUID
	for _, i := range is {
		out = append(out, i.ID)
	}
	return out
}

func TestResendExpired(t *testing.T) {
	e := newEnv(t, invite.WithValidity(time.Hour), invite.WithResendCooldown(time.Minute))
	t.Run("lapsed", func(t *testing.T) {
		is := e.invite(t, "lapsed@example.com", access.RoleViewer)
		e.clock.Advance(time.Hour)
		again, err := e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
		require.NoError(t, err)
		assert.Equal(t, invite.StatusPending, again.Invitation.Status)
		assert.Equal(t, e.clock.Now().Add(time.Hour), again.Invitation.ExpiresAt)
		assert.NotEqual(t, is.Token.Reveal(), again.Token.Reveal())
		_, err = e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
		assert.ErrorIs(t, err, access.ErrNotFound, "the old link stays dead")
		_, err = e.svc.Accept(e.ctx, anon(), again.Token.Reveal())
		require.NoError(t, err)
	})
	t.Run("closed as expired", func(t *testing.T) {
		is := e.invite(t, "closed@example.com", access.RoleViewer)
		e.clock.Advance(time.Hour)
		_, err := e.svc.Accept(e.ctx, anon(), is.Token.Reveal())
		assertState(t, err, invite.StatusExpired)
		// A second invitation closes the first as expired ...
		next := e.invite(t, "closed@example.com", access.RoleViewer)
		require.Equal(t, invite.StatusExpired, e.stored(t, is.Invitation.ID).Status)
		// ... and while it is pending the first cannot reopen.
		_, err = e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
		assert.ErrorIs(t, err, invite.ErrInvitationPending)
		_, err = e.svc.Revoke(e.ctx, e.owner, next.Invitation.ID)
		require.NoError(t, err)

		again, err := e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
		require.NoError(t, err)
		assert.Equal(t, invite.StatusPending, again.Invitation.Status)
		assert.Zero(t, again.Invitation.ClosedAt)
		assert.Equal(t, 2, again.Invitation.SendCount)
		assert.Equal(t, invite.EventResent, e.notes.last().Type)
		evs := e.audit(t, e.company)
		last := evs[len(evs)-1]
		assert.Equal(t, "invitation.resent", last.Action)
		assert.Equal(t, "true", last.Details["reopened"])
		_, err = e.svc.Accept(e.ctx, anon(), again.Token.Reveal())
		require.NoError(t, err)
	})
	t.Run("terminal states stay", func(t *testing.T) {
		is := e.invite(t, "revoked@example.com", access.RoleViewer)
		_, err := e.svc.Revoke(e.ctx, e.owner, is.Invitation.ID)
		require.NoError(t, err)
		e.clock.Advance(time.Hour)
		_, err = e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
		assertState(t, err, invite.StatusRevoked)
	})
}

func TestConcurrentResendsOneWins(t *testing.T) {
	for _, closed := range []bool{false, true} {
		t.Run(fmt.Sprintf("closed=%v", closed), func(t *testing.T) {
			e := newEnv(t, invite.WithValidity(time.Hour), invite.WithResendCooldown(time.Minute))
			is := e.invite(t, "bob@example.com", access.RoleViewer)
			e.clock.Advance(time.Hour)
			if closed {
				_, err := e.svc.Accept(e.ctx, anon(), is.Token.Reveal()) // refused; the invitation stays stored pending
				require.Error(t, err)
			}
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() { _, errs[i] = e.svc.Resend(e.ctx, e.owner, is.Invitation.ID) })
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				if err == nil {
					won++
					continue
				}
				var soon *invite.ResendTooSoonError
				assert.ErrorAs(t, err, &soon)
			}
			assert.Equal(t, 1, won)
			assert.Equal(t, 2, e.stored(t, is.Invitation.ID).SendCount)
		})
	}
}

func TestHourlyLimits(t *testing.T) {
	t.Run("inviter", func(t *testing.T) {
		// No cooldown: a refresh within the hour is the limits' to refuse.
		e := newEnv(t, invite.WithHourlyLimits(5, 2), invite.WithResendCooldown(0))
		e.invite(t, "a@example.com", access.RoleViewer)
		e.clock.Advance(10 * time.Minute)
		e.invite(t, "b@example.com", access.RoleViewer)
		_, err := e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: "c@example.com", Role: access.RoleViewer})
		var rl *invite.RateLimitedError
		require.ErrorAs(t, err, &rl)
		assert.Equal(t, 50*time.Minute, rl.RetryAfter, "until the first send leaves the hour")
		assert.Equal(t, 3000, rl.RetrySeconds())
		assert.ErrorIs(t, err, access.ErrConflict)
		assert.Equal(t, access.CodeRateLimited, access.CodeOf(err))
		_, err = e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: "a@example.com", Role: access.RoleViewer})
		assert.ErrorAs(t, err, &rl, "a refresh sends a link too")

		admin := e.member(t, e.company, "admin@acme.example", access.RoleAdmin)
		_, err = e.svc.Invite(e.ctx, admin, invite.NewInvitation{Email: "c@example.com", Role: access.RoleViewer})
		require.NoError(t, err, "another inviter has their own count")
		sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company}
		for i := range 5 {
			_, err = e.svc.Invite(e.ctx, sys, invite.NewInvitation{Email: fmt.Sprintf("s%d@example.com", i), Role: access.RoleViewer})
			require.NoError(t, err, "the system is not limited")
		}

		e.clock.Advance(50 * time.Minute)
		_, err = e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: "d@example.com", Role: access.RoleViewer})
		require.NoError(t, err, "the window slides")
		page, err := e.svc.ListPending(e.ctx, e.owner, invite.ListFilter{})
		require.NoError(t, err)
		assert.Len(t, page.Items, 9, "refused invitations left nothing")
	})
	t.Run("company", func(t *testing.T) {
		e := newEnv(t, invite.WithHourlyLimits(3, 0), invite.WithResendCooldown(0))
		admin := e.member(t, e.company, "admin@acme.example", access.RoleAdmin)
		first := e.invite(t, "a@example.com", access.RoleViewer)
		e.invite(t, "b@example.com", access.RoleViewer)
		_, err := e.svc.Resend(e.ctx, e.owner, first.Invitation.ID)
		require.NoError(t, err)
		_, err = e.svc.Invite(e.ctx, admin, invite.NewInvitation{Email: "c@example.com", Role: access.RoleViewer})
		var rl *invite.RateLimitedError
		require.ErrorAs(t, err, &rl, "the company's limit binds every inviter")
		_, err = e.svc.Resend(e.ctx, e.owner, first.Invitation.ID)
		require.ErrorAs(t, err, &rl, "a resend counts")
		assert.Equal(t, 2, e.stored(t, first.Invitation.ID).SendCount)
	})
	t.Run("off", func(t *testing.T) {
		e := newEnv(t, invite.WithHourlyLimits(0, 0))
		for i := range 30 {
			e.invite(t, fmt.Sprintf("x%d@example.com", i), access.RoleViewer)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		e := newEnv(t)
		for i := range invite.DefaultInviterHourlyLimit {
			e.invite(t, fmt.Sprintf("x%d@example.com", i), access.RoleViewer)
		}
		_, err := e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: "one-more@example.com", Role: access.RoleViewer})
		var rl *invite.RateLimitedError
		assert.ErrorAs(t, err, &rl)
	})
	t.Run("concurrent", func(t *testing.T) {
		e := newEnv(t, invite.WithHourlyLimits(100, 7))
		const n = 30
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: fmt.Sprintf("c%d@example.com", i), Role: access.RoleViewer})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			var rl *invite.RateLimitedError
			if err == nil {
				ok++
			} else {
				assert.ErrorAs(t, err, &rl)
			}
		}
		assert.Equal(t, 7, ok)
	})
}

// TestUndeliveredInvitationsAreLogged: without a notifier the Service says
// once that nobody receives the links, never with the link; the link is in
// the result. A configured notifier, or an explicit NopNotifier, is quiet.
func TestUndeliveredInvitationsAreLogged(t *testing.T) {
	world := func(t *testing.T, opts ...invite.Option) (*storetest.World, *bytes.Buffer) {
		var buf bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&buf, nil))
		w := storetest.NewWorld(t, memstore.New(), storetest.WithInvite(append([]invite.Option{invite.WithLogger(logger),
			invite.WithAcceptURL("https://app.example/accept")}, opts...)...))
		return w, &buf
	}
	w, buf := world(t)
	var issued []invite.Issued
	for i := range 3 {
		is, err := w.Invite.Invite(context.Background(), w.AsOwner, invite.NewInvitation{Email: fmt.Sprintf("n%d@example.com", i), Role: access.RoleViewer})
		require.NoError(t, err)
		require.False(t, is.Token.IsZero(), "the link is in the result")
		require.False(t, is.URL.IsZero())
		issued = append(issued, is)
	}
	out := buf.String()
	assert.Equal(t, 1, strings.Count(out, "invitations are not delivered"), out)
	assert.Contains(t, out, issued[0].Invitation.ID.String())
	for _, is := range issued {
		assert.NotContains(t, out, is.Token.Reveal())
		assert.NotContains(t, out, is.Invitation.Email)
	}

	w, buf = world(t)
	_, err := w.Invite.Invite(context.Background(), w.AsOwner, invite.NewInvitation{Email: "bad@", Role: access.RoleViewer})
	require.Error(t, err)
	assert.Empty(t, buf.String(), "nothing created, nothing logged")

	for name, n := range map[string]token.Notifier{"notifier": &notes{}, "explicit nop": token.NopNotifier{}} {
		w, buf := world(t, invite.WithNotifier(n))
		_, err := w.Invite.Invite(context.Background(), w.AsOwner, invite.NewInvitation{Email: "q@example.com", Role: access.RoleViewer})
		require.NoError(t, err)
		assert.Empty(t, buf.String(), name)
	}
}

var _ = errors.New
