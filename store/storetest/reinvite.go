package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
)

// testReinvite: inviting an e-mail with a pending invitation again is a
// resend of it, under the resend cooldown; a company invitation naming
// another company is another invitation; a company name that matches no
// company is the invitee's to create.
func testReinvite(t *testing.T, newStore Factory) {
	ctx := context.Background()
	cooldown := invite.DefaultResendCooldown

	t.Run("WithinTheCooldownRefusedAsResendIs", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		email := fmt.Sprintf("bob-%s@example.com", uuid.NewString()[:8])
		first, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: email, Role: access.RoleViewer})
		require.NoError(t, err)
		_, resendErr := w.Invite.Resend(ctx, w.AsOwner, first.Invitation.ID)
		for i := range 4 {
			_, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: email, Role: access.RoleAdmin})
			var soon *invite.ResendTooSoonError
			require.ErrorAs(t, err, &soon, "re-invite %d", i)
			assert.Equal(t, T0.Add(cooldown), soon.NextAllowedAt)
			assert.Equal(t, access.CodeResendTooSoon, access.CodeOf(err))
			assert.Equal(t, resendErr.Error(), err.Error(), "exactly as resend answers")
		}
		got, err := w.Store.GetInvitation(ctx, w.Company.ID, first.Invitation.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, got.SendCount, "nothing sent again")
		assert.Equal(t, access.RoleViewer, got.Role, "the terms stay")
		_, err = w.Invite.Preview(ctx, first.Token.Reveal())
		assert.NoError(t, err, "the link sent still works")

		w.Clock.Advance(cooldown)
		again, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: email, Role: access.RoleAdmin})
		require.NoError(t, err, "once the cooldown passed")
		assert.True(t, again.Existing)
		assert.Equal(t, first.Invitation.ID, again.Invitation.ID)
		assert.Equal(t, 2, again.Invitation.SendCount)
		assert.Equal(t, access.RoleAdmin, again.Invitation.Role)
		_, err = w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: email, Role: access.RoleAdmin})
		var soon *invite.ResendTooSoonError
		require.ErrorAs(t, err, &soon)
		assert.Equal(t, T0.Add(2*cooldown), soon.NextAllowedAt, "counted from the last send")
	})

	t.Run("ConcurrentReinvitesSendOnce", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		email := fmt.Sprintf("carl-%s@example.com", uuid.NewString()[:8])
		first, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: email, Role: access.RoleViewer})
		require.NoError(t, err)
		w.Clock.Advance(cooldown)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 5 {
			wg.Go(func() {
				_, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: email, Role: access.RoleViewer})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won++
					return
				}
				var soon *invite.ResendTooSoonError
				assert.ErrorAs(t, err, &soon)
			})
		}
		wg.Wait()
		assert.Equal(t, 1, won, "one fresh link")
		got, err := w.Store.GetInvitation(ctx, w.Company.ID, first.Invitation.ID)
		require.NoError(t, err)
		assert.Equal(t, 2, got.SendCount)
	})

	t.Run("AnotherCompanyIsASecondInvitation", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		ed := w.User(t, "ed")
		foo, asFoo := w.NewCompany(t, access.NewCompany{Name: "Foo Agency"}, ed)
		in := invite.NewConnectionInvitation{Email: ed.Email, Relation: invite.RelationAgency, CompanyName: "Foo Agency"}
		toFoo, err := w.Invite.InviteCompany(ctx, w.AsOwner, in)
		require.NoError(t, err)
		in.CompanyName = "Bar Agency"
		toBar, err := w.Invite.InviteCompany(ctx, w.AsOwner, in)
		require.NoError(t, err, "another company: neither too soon nor a refresh")
		assert.False(t, toBar.Existing)
		assert.NotEqual(t, toFoo.Invitation.ID, toBar.Invitation.ID)
		in.CompanyName, in.CompanyID = "", foo.ID
		byID, err := w.Invite.InviteCompany(ctx, w.AsOwner, in)
		require.NoError(t, err, "a company named by ID is another target than by name")
		assert.NotEqual(t, toFoo.Invitation.ID, byID.Invitation.ID)

		got, err := w.Store.GetInvitation(ctx, w.Company.ID, toFoo.Invitation.ID)
		require.NoError(t, err)
		assert.Equal(t, "Foo Agency", got.TargetName, "never retargeted")
		assert.Equal(t, invite.StatusPending, got.Status)
		page, err := w.Invite.ListPending(ctx, w.AsOwner, invite.ListFilter{Kind: invite.KindConnection})
		require.NoError(t, err)
		assert.Len(t, page.Items, 3)

		// The same company again, in any case, is the pending one's resend.
		in.CompanyName, in.CompanyID = "FOO agency", uuid.Nil
		_, err = w.Invite.InviteCompany(ctx, w.AsOwner, in)
		var soon *invite.ResendTooSoonError
		require.ErrorAs(t, err, &soon)

		// Each is accepted for its own company only.
		_, err = w.Invite.Accept(ctx, asFoo, toBar.Token.Reveal())
		assert.ErrorIs(t, err, invite.ErrCompanyMismatch)
		res, err := w.Invite.Accept(ctx, asFoo, toFoo.Token.Reveal())
		require.NoError(t, err)
		assert.Equal(t, foo.ID, res.CompanyID)
		got, err = w.Store.GetInvitation(ctx, w.Company.ID, toBar.Invitation.ID)
		require.NoError(t, err)
		assert.Equal(t, invite.StatusPending, got.Status, "the other invitation is untouched")
		assert.Equal(t, "Bar Agency", got.TargetName)
	})

	t.Run("AnUnknownCompanyNameIsTheInviteesToCreate", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		dora := w.User(t, "dora")
		_, asDoraElsewhere := w.NewCompany(t, access.NewCompany{Name: "Dora's Old Shop"}, dora)
		name := "Nowhere Ltd " + uuid.NewString()[:8]
		in := invite.NewConnectionInvitation{Email: dora.Email, Relation: invite.RelationAgency, CompanyName: name}
		is, err := w.Invite.InviteCompany(ctx, w.AsOwner, in)
		require.NoError(t, err, "no company has the name: nothing is looked up, so nothing is told")
		in.CompanyName = "Dora's Old Shop"
		known, err := w.Invite.InviteCompany(ctx, w.AsOwner, in)
		require.NoError(t, err)
		assert.Equal(t, known.Existing, is.Existing, "a name that exists answers alike")

		_, err = w.Invite.Accept(ctx, asDoraElsewhere, is.Token.Reveal())
		assert.ErrorIs(t, err, invite.ErrCompanyMismatch, "not for a company of another name")
		created, err := w.Access.CreateCompany(ctx, access.UserPrincipal(dora.ID, uuid.Nil), access.NewCompany{Name: name})
		require.NoError(t, err)
		res, err := w.Invite.Accept(ctx, access.UserPrincipal(dora.ID, created.ID), is.Token.Reveal())
		require.NoError(t, err, "accepted for the company the invitee created")
		c, err := w.Access.GetConnection(ctx, w.AsOwner, res.ConnectionID)
		require.NoError(t, err)
		assert.Equal(t, created.ID, c.AgencyID)
		assert.Equal(t, w.Company.ID, c.CustomerID)
	})
}
