package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
)

// testDenials: a refused privileged operation leaves a trace, a denied
// audit event committed on its own while the refused change rolls back,
// and a flood of refusals is bounded per company.
func testDenials(t *testing.T, newStore Factory) {
	ctx := context.Background()
	denied := func(t *testing.T, w *World) []access.AuditEvent {
		t.Helper()
		evs, err := w.Store.ListAudit(ctx, w.Company.ID, all())
		require.NoError(t, err)
		var out []access.AuditEvent
		for _, e := range evs {
			if e.Outcome == "denied" {
				out = append(out, e)
			}
		}
		return out
	}

	t.Run("RankViolation", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		_, admin := w.Member(t, "admin", access.RoleAdmin)
		_, err := w.Access.UpdateMember(ctx, admin, w.Owner.ID, access.MemberUpdate{Role: new(access.RoleViewer)})
		require.ErrorIs(t, err, access.ErrForbidden)
		_, err = w.Invite.Invite(ctx, admin, invite.NewInvitation{Email: "boss@example.com", Role: access.RoleOwner})
		require.ErrorIs(t, err, access.ErrForbidden)
		evs := denied(t, w)
		require.Len(t, evs, 2)
		for _, e := range evs {
			assert.Equal(t, admin.String(), e.Actor)
			assert.Equal(t, string(access.CodeForbidden), e.Details["code"])
			assert.NotEmpty(t, e.Details["reason"])
		}
		m, err := w.Store.GetMembership(ctx, w.Company.ID, w.Owner.ID)
		require.NoError(t, err)
		assert.Equal(t, access.RoleOwner, m.Role, "the refused change rolled back")
	})

	t.Run("CrossCompanyAttempt", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		stranger := access.UserPrincipal(w.User(t, "stranger").ID, w.Company.ID)
		_, err := w.Access.AddMember(ctx, stranger, access.NewMember{Email: w.Owner.Email, Role: access.RoleViewer})
		require.ErrorIs(t, err, access.ErrNotFound, "the company answers as unknown")
		evs := denied(t, w)
		require.Len(t, evs, 1, "but its trail shows the attempt")
		assert.Equal(t, stranger.String(), evs[0].Actor)
		assert.Equal(t, access.UserAdd, evs[0].Details["permission"])
	})

	t.Run("QuestionsAreNotAttempts", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		_, viewer := w.Member(t, "viewer", access.RoleViewer)
		ok, err := w.Access.Can(ctx, viewer, access.UserDelete)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Error(t, w.Access.Check(ctx, viewer, access.UserDelete))
		assert.Empty(t, denied(t, w), "a check outside an operation records nothing")
	})

	t.Run("BoundedPerCompany", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		_, viewer := w.Member(t, "viewer", access.RoleViewer)
		refuse := func(n int) {
			for range n {
				_, err := w.Access.UpdateMember(ctx, viewer, w.Owner.ID, access.MemberUpdate{Active: new(false)})
				require.ErrorIs(t, err, access.ErrForbidden)
			}
		}
		refuse(130)
		evs := denied(t, w)
		assert.Len(t, evs, 100, "at most 100 an hour per company")
		w.Clock.Advance(time.Hour)
		refuse(1)
		evs = denied(t, w)
		require.Len(t, evs, 101)
		assert.Equal(t, "30", evs[100].Details["dropped_before"], "the next window says how many were dropped")
	})
}
