package bunstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// TestServiceQueryCounts counts, at the driver, the statements the
// services send for their common writes and pages on PostgreSQL (BEGIN
// and COMMIT included): issue 16's budgets, a role change at most 5, a
// page through the service at most 2, an accept at most 12 (its floor, the
// same writes by hand, is 7). Each operation runs a few times and the last
// run counts (the first may prepare statements). Before this work: 9, 3
// and 20; demote + promote 19 (now 11: the demotion also counts the
// remaining OWNERs).
func TestServiceQueryCounts(t *testing.T) {
	ctx := context.Background()
	st, db, rec := recordedStore(t)
	acc := access.NewService(st)
	inv := invite.NewService(token.NewService(acc), invite.WithHourlyLimits(0, 0))

	owner, err := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "owner@acme.example"})
	require.NoError(t, err)
	c, err := acc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	require.NoError(t, err)
	p := access.UserPrincipal(owner.ID, c.ID)
	var members []uuid.UUID
	for i := range 60 {
		m, err := acc.AddMember(ctx, access.SystemPrincipal().In(c.ID), access.NewMember{
			Email: fmt.Sprintf("m%d@acme.example", i), Role: access.RoleViewer, CreateUser: true})
		require.NoError(t, err)
		members = append(members, m.UserID)
	}
	role := func(code string) access.MemberUpdate { return access.MemberUpdate{Role: &code} }

	counted := func(name string, budget int, f func()) int {
		t.Helper()
		var qs []statement
		for range 3 {
			qs = rec.count(f)
		}
		t.Logf("%s: %d statements%s", name, len(qs), describe(qs))
		if budget > 0 {
			assert.LessOrEqual(t, len(qs), budget, "%s: %s", name, describe(qs))
		}
		return len(qs)
	}

	i := 0
	counted("role change", 5, func() {
		code := []string{access.RoleViewerPlus, access.RoleViewer}[i%2]
		i++
		_, err := acc.UpdateMember(ctx, p, members[0], role(code))
		require.NoError(t, err)
	})

	_, err = acc.UpdateMember(ctx, p, members[1], role(access.RoleOwner))
	require.NoError(t, err)
	counted("demote + promote", 0, func() {
		_, err := acc.UpdateMember(ctx, p, members[1], role(access.RoleAdmin))
		require.NoError(t, err)
		_, err = acc.UpdateMember(ctx, p, members[1], role(access.RoleOwner))
		require.NoError(t, err)
	})

	counted("page of 50", 2, func() {
		page, err := acc.ListMembers(ctx, p, access.MemberFilter{Page: access.PageRequest{Limit: 50}})
		require.NoError(t, err)
		require.Len(t, page.Items, 50)
	})

	n := 0
	var secrets []string
	counted("invitation create", 0, func() {
		n++
		is, err := inv.Invite(ctx, p, invite.NewInvitation{Email: fmt.Sprintf("i%d@example.com", n), Role: access.RoleViewer})
		require.NoError(t, err)
		secrets = append(secrets, is.Token.Reveal())
	})
	for range 3 {
		n++
		is, err := inv.Invite(ctx, p, invite.NewInvitation{Email: fmt.Sprintf("i%d@example.com", n), Role: access.RoleViewer})
		require.NoError(t, err)
		secrets = append(secrets, is.Token.Reveal())
	}
	accept := counted("invitation accept", 12, func() {
		_, err := inv.Accept(ctx, access.Principal{}, secrets[0])
		require.NoError(t, err)
		secrets = secrets[1:]
	})
	for range 3 {
		n++
		is, err := inv.Invite(ctx, p, invite.NewInvitation{Email: fmt.Sprintf("i%d@example.com", n), Role: access.RoleViewer})
		require.NoError(t, err)
		secrets = append(secrets, is.Token.Reveal())
	}
	floor := counted("invitation accept by hand (BenchmarkAccept's floor)", 7, func() {
		require.NoError(t, acceptByHand(ctx, db, secrets[0]))
		secrets = secrets[1:]
	})
	t.Logf("accept: %d statements, %.1fx its floor's %d", accept, float64(accept)/float64(floor), floor)
}
