package storetest

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// testTokenReset covers token.Store's ResetToken and GetTokens: a new
// secret in one conditional write, exactly one of concurrent resets, and
// the ancestors of a token read by ID.
func testTokenReset(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	c := w.APIToken(t, w.AsOwner, access.RoleViewer)
	old := c.Token.Digest
	next := token.Hash(w.Token.Format().Generate(token.KindAPI).Reveal())
	later := T0.Add(time.Hour)

	got, err := w.Store.ResetToken(ctx, w.Company.ID, c.Token.ID, old, next, "gate_api_…next", later)
	require.NoError(t, err)
	assert.Equal(t, next, got.Digest)
	assert.Equal(t, "gate_api_…next", got.Hint)
	assert.Equal(t, later, got.ExpiresAt)
	assert.Equal(t, c.Token.Permissions, got.Permissions, "the same rights")
	_, err = w.Store.GetTokenByHash(ctx, old)
	assertNotFound(t, err, access.CodeTokenNotFound, "the old secret is gone")
	byNew, err := w.Store.GetTokenByHash(ctx, next)
	require.NoError(t, err)
	assert.Equal(t, c.Token.ID, byNew.ID, "the same token")

	_, err = w.Store.ResetToken(ctx, w.Company.ID, c.Token.ID, old, token.Hash("x"), "h", time.Time{})
	assertConflict(t, err, access.CodeTokenReset, "from a secret no longer its own")
	other, _ := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other"))
	_, err = w.Store.ResetToken(ctx, other.ID, c.Token.ID, next, token.Hash("y"), "h", time.Time{})
	assertNotFound(t, err, access.CodeTokenNotFound, "another company's token")
	never, err := w.Store.ResetToken(ctx, w.Company.ID, c.Token.ID, next, token.Hash("z"), "h", time.Time{})
	require.NoError(t, err)
	assert.True(t, never.ExpiresAt.IsZero(), "zero: never expires")
	_, err = w.Store.RevokeToken(ctx, w.Company.ID, c.Token.ID, T0)
	require.NoError(t, err)
	_, err = w.Store.ResetToken(ctx, w.Company.ID, c.Token.ID, token.Hash("z"), token.Hash("w"), "h", time.Time{})
	assertConflict(t, err, access.CodeTokenRevoked)

	// Concurrent resets from one secret: exactly one wins.
	d := w.APIToken(t, w.AsOwner, access.RoleViewer)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = w.Store.ResetToken(ctx, w.Company.ID, d.Token.ID, d.Token.Digest,
				token.Hash(w.Token.Format().Generate(token.KindAPI).Reveal()), "h", time.Time{})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		assertConflict(t, err, access.CodeTokenReset)
	}
	assert.Equal(t, 1, won, "exactly one reset")

	// Ancestors round-trip and are read by ID, in one call.
	child := token.Token{ID: uuid.New(), Kind: token.KindAPI, CompanyID: w.Company.ID, UserID: w.Owner.ID, Name: "child",
		Level: access.LevelViewer, Digest: token.Hash("child"), Hint: "h", CreatedAt: T0,
		Ancestors: []uuid.UUID{d.Token.ID, c.Token.ID}}
	require.NoError(t, w.Store.CreateToken(ctx, &child))
	stored, err := w.Store.GetToken(ctx, w.Company.ID, child.ID)
	require.NoError(t, err)
	assert.Equal(t, child.Ancestors, stored.Ancestors)
	byHash, err := w.Store.GetTokenByHash(ctx, child.Digest)
	require.NoError(t, err)
	assert.Equal(t, child.Ancestors, byHash.Ancestors)
	list, err := w.Store.GetTokens(ctx, w.Company.ID, []uuid.UUID{d.Token.ID, c.Token.ID, uuid.New()})
	require.NoError(t, err)
	assert.ElementsMatch(t, []uuid.UUID{d.Token.ID, c.Token.ID}, idsOf(list, func(t token.Token) uuid.UUID { return t.ID }),
		"unknown IDs are left out")
	list, err = w.Store.GetTokens(ctx, other.ID, []uuid.UUID{d.Token.ID})
	require.NoError(t, err)
	assert.Empty(t, list, "another company's tokens are left out")
	plain, err := w.Store.GetToken(ctx, w.Company.ID, d.Token.ID)
	require.NoError(t, err)
	assert.Nil(t, plain.Ancestors, "a token a member made has none")
}

// testTokensManageTokens proves the rules of a token that manages
// tokens (token.ManageTokens) on every store: only with the explicit
// right, never above itself, and its children stop when it stops.
func testTokensManageTokens(t *testing.T, newStore Factory) {
	ctx := context.Background()
	verify := func(t *testing.T, w *World, c token.Created) access.Principal {
		t.Helper()
		p, err := w.Token.Verify(ctx, c.Secret.Reveal())
		require.NoError(t, err)
		return p
	}
	stopped := func(t *testing.T, w *World, c token.Created, msg string) {
		t.Helper()
		_, err := w.Token.Verify(ctx, c.Secret.Reveal())
		assert.ErrorIs(t, err, token.ErrInvalidToken, msg)
	}
	manager := func(t *testing.T, w *World, p access.Principal, extra ...string) token.Created {
		t.Helper()
		c, err := w.Token.Create(ctx, p, token.NewToken{Name: "manager", Level: access.LevelAdmin,
			Permissions: append([]string{token.ManageTokens, access.UserView}, extra...)})
		require.NoError(t, err)
		return c
	}

	t.Run("OnlyWithTheExplicitRight", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		owner := verify(t, w, w.APIToken(t, w.AsOwner, access.RoleOwner))
		_, err := w.Token.Create(ctx, owner, token.NewToken{Name: "x", Level: access.LevelViewer})
		assert.ErrorIs(t, err, access.ErrForbidden, "an OWNER token without TOKENS_MANAGE creates none")
		_, err = w.Token.List(ctx, owner, access.PageRequest{})
		assert.NoError(t, err, "while viewing stays USER_VIEW's")
		inherited, err := w.Token.Create(ctx, w.AsOwner, token.NewToken{Name: "all mine"})
		require.NoError(t, err)
		assert.NotContains(t, inherited.Token.Permissions, token.ManageTokens, "inheriting never passes it on")
		_, err = w.Token.Create(ctx, verify(t, w, inherited), token.NewToken{Name: "x", Level: access.LevelViewer})
		assert.ErrorIs(t, err, access.ErrForbidden)

		m := manager(t, w, w.AsOwner)
		assert.Contains(t, m.Token.Permissions, token.ManageTokens)
		mp := verify(t, w, m)
		child, err := w.Token.Create(ctx, mp, token.NewToken{Name: "child", Level: access.LevelViewer, Permissions: []string{access.UserView}})
		require.NoError(t, err, "with TOKENS_MANAGE a token creates one")
		assert.Equal(t, []uuid.UUID{m.Token.ID}, child.Token.Ancestors)
		assert.Equal(t, w.Owner.ID, child.Token.UserID, "its creator is the member behind its parent")
		verify(t, w, child)
		list, err := w.Token.List(ctx, mp, access.PageRequest{})
		require.NoError(t, err)
		assert.Len(t, list.Items, 4)

		// The member behind it must still hold USER_ADD.
		admin, asAdmin := w.Member(t, "admin", access.RoleAdmin)
		am := manager(t, w, asAdmin)
		amp := verify(t, w, am)
		_, err = w.Token.Create(ctx, amp, token.NewToken{Name: "ok", Level: access.LevelViewer})
		require.NoError(t, err)
		viewer := access.RoleViewer
		_, err = w.Access.UpdateMember(ctx, w.AsOwner, admin.ID, access.MemberUpdate{Role: &viewer})
		require.NoError(t, err)
		_, err = w.Token.Create(ctx, amp, token.NewToken{Name: "no", Level: access.LevelViewer})
		assert.ErrorIs(t, err, access.ErrForbidden, "a demoted creator's token creates no more")
	})

	t.Run("NeverMoreThanItself", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		m := manager(t, w, w.AsOwner)
		mp := verify(t, w, m)
		for name, in := range map[string]token.NewToken{
			"a level above its own":     {Name: "x", Level: access.LevelOwner},
			"a role above its own":      {Name: "x", Role: access.RoleOwner},
			"a permission it lacks":     {Name: "x", Permissions: []string{access.UserAdd}},
			"a grant above its level":   {Name: "x", Grants: []token.ResourceGrant{{Resource: access.Resource{Type: "project", ID: "p1"}, Level: access.LevelOwner}}},
			"a grant above a lower own": {Name: "x", Level: access.LevelViewer, Grants: []token.ResourceGrant{{Resource: access.Resource{Type: "project", ID: "p2"}, Level: access.LevelOwner}}},
			"the rights it was given+":  {Name: "x", Level: access.LevelAdmin + 1},
		} {
			_, err := w.Token.Create(ctx, mp, in)
			assert.ErrorIs(t, err, access.ErrForbidden, name)
		}
		page, err := w.Token.List(ctx, w.AsOwner, access.PageRequest{})
		require.NoError(t, err)
		assert.Len(t, page.Items, 1, "nothing was created")

		same, err := w.Token.Create(ctx, mp, token.NewToken{Name: "same", Level: access.LevelAdmin,
			Permissions: []string{token.ManageTokens, access.UserView},
			Grants:      []token.ResourceGrant{{Resource: access.Resource{Type: "project", ID: "p1"}, Level: access.LevelAdmin}}})
		require.NoError(t, err, "at most itself is fine")
		assert.Len(t, same.Grants, 1)
		inherited, err := w.Token.Create(ctx, mp, token.NewToken{Name: "inherits"})
		require.NoError(t, err)
		assert.Equal(t, access.LevelAdmin, inherited.Token.Level, "a name only: the parent's level")
		assert.Equal(t, []string{access.UserView}, inherited.Token.Permissions, "and its permissions, not TOKENS_MANAGE")

		// Resetting another's token within one's own rights only.
		ownerTok := w.APIToken(t, w.AsOwner, access.RoleOwner)
		_, err = w.Token.Reset(ctx, mp, ownerTok.Token.ID, time.Time{})
		assert.ErrorIs(t, err, access.ErrForbidden, "a manager resets no token above itself")
	})

	t.Run("ChildrenStopWithTheirParent", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		_, asAdmin := w.Member(t, "admin", access.RoleAdmin)
		m := manager(t, w, asAdmin)
		mp := verify(t, w, m)
		child, err := w.Token.Create(ctx, mp, token.NewToken{Name: "child", Level: access.LevelAdmin,
			Permissions: []string{token.ManageTokens, access.UserView}})
		require.NoError(t, err)
		grand, err := w.Token.Create(ctx, verify(t, w, child), token.NewToken{Name: "grandchild", Level: access.LevelViewer,
			Permissions: []string{access.UserView}})
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{child.Token.ID, m.Token.ID}, grand.Token.Ancestors)
		verify(t, w, grand)
		_, err = w.Token.Standing(ctx, w.Company.ID, grand.Token.ID)
		require.NoError(t, err)

		// Resetting the parent keeps its children.
		reset, err := w.Token.Reset(ctx, asAdmin, m.Token.ID, time.Time{})
		require.NoError(t, err)
		stopped(t, w, m, "the old secret stops at once")
		assert.Equal(t, m.Token.ID, verify(t, w, token.Created{Secret: reset.Secret}).TokenID)
		verify(t, w, grand)

		// Revoking the parent stops the whole line on its next call.
		_, err = w.Token.Revoke(ctx, asAdmin, m.Token.ID)
		require.NoError(t, err)
		stopped(t, w, child, "the child")
		stopped(t, w, grand, "the grandchild")
		assert.Equal(t, token.ReasonAncestor, token.ReasonOf(func() error { _, err := w.Token.Verify(ctx, grand.Secret.Reveal()); return err }()))
		accesses, err := w.Access.ListAccountAccesses(ctx, w.AsOwner, access.AccessFilter{Types: []access.SubjectType{access.SubjectToken}})
		require.NoError(t, err)
		assert.Empty(t, accesses.Items, "no stopped token is an account access")
		_, err = w.Token.Standing(ctx, w.Company.ID, grand.Token.ID)
		assertNotFound(t, err, access.CodeTokenNotFound, "nothing it started is honoured")
		_, err = w.Token.Reset(ctx, asAdmin, grand.Token.ID, time.Time{})
		assertConflict(t, err, access.CodeTokenRevoked, "nor reset back to life")

		// Expiry: a child never outlives its parent.
		exp := T0.Add(time.Hour)
		e, err := w.Token.Create(ctx, asAdmin, token.NewToken{Name: "expiring", Level: access.LevelAdmin,
			Permissions: []string{token.ManageTokens}, ExpiresAt: exp})
		require.NoError(t, err)
		ec, err := w.Token.Create(ctx, verify(t, w, e), token.NewToken{Name: "child", Level: access.LevelViewer})
		require.NoError(t, err)
		assert.Equal(t, exp, ec.Token.ExpiresAt, "capped at its parent's expiry")
		w.Clock.Advance(time.Hour)
		stopped(t, w, ec, "expired with its parent")

		// The member behind the line leaves: every token of it stops.
		w2 := NewWorld(t, newStore(t))
		u, asU := w2.Member(t, "u", access.RoleAdmin)
		m2 := manager(t, w2, asU)
		c2, err := w2.Token.Create(ctx, verify(t, w2, m2), token.NewToken{Name: "c", Level: access.LevelViewer, Permissions: []string{access.UserView}})
		require.NoError(t, err)
		require.NoError(t, w2.Access.Check(ctx, verify(t, w2, c2), access.UserView))
		require.NoError(t, w2.Access.RemoveMember(ctx, w2.AsOwner, u.ID))
		cp, err := w2.Token.Verify(ctx, c2.Secret.Reveal())
		if err == nil {
			assert.Error(t, w2.Access.Check(ctx, cp, access.UserView), "the creator's rights are gone")
		}
	})

	t.Run("ChildrenActWithinTheirAncestorsNow", func(t *testing.T) {
		// A child row holding more than its parent (as after the parent
		// was narrowed) acts with no more than the parent holds.
		w := NewWorld(t, newStore(t))
		m, err := w.Token.Create(ctx, w.AsOwner, token.NewToken{Name: "narrow", Level: access.LevelViewer,
			Permissions: []string{token.ManageTokens, access.UserView}})
		require.NoError(t, err)
		secret := w.Token.Format().Generate(token.KindAPI)
		child := token.Token{ID: uuid.New(), Kind: token.KindAPI, CompanyID: w.Company.ID, UserID: w.Owner.ID, Name: "wide",
			Level: access.LevelOwner, Permissions: []string{access.UserAdd, access.UserView}, Digest: token.Hash(secret.Reveal()),
			Hint: secret.Hint(), CreatedAt: T0, Ancestors: []uuid.UUID{m.Token.ID}}
		require.NoError(t, w.Store.CreateToken(ctx, &child))
		p, err := w.Token.Verify(ctx, secret.Reveal())
		require.NoError(t, err)
		assert.Equal(t, access.LevelViewer, p.TokenLevel, "its parent's level")
		assert.Equal(t, []string{access.UserView}, p.TokenPermissions, "its parent's permissions")
		assert.ErrorIs(t, w.Access.Check(ctx, p, access.UserAdd), access.ErrForbidden)
		sp, err := w.Token.Standing(ctx, w.Company.ID, child.ID)
		require.NoError(t, err)
		assert.Equal(t, access.LevelViewer, sp.TokenLevel, "and so when what it started is checked again")
	})

	t.Run("ChildrenStopUnderConcurrentRevoke", func(t *testing.T) {
		// A parent creating children while it is revoked: whatever
		// committed, no child works afterwards.
		w := NewWorld(t, newStore(t))
		m := manager(t, w, w.AsOwner)
		mp := verify(t, w, m)
		const n = 8
		var wg sync.WaitGroup
		made := make([]token.Created, n)
		for i := range n {
			wg.Go(func() {
				made[i], _ = w.Token.Create(ctx, mp, token.NewToken{Name: "c", Level: access.LevelViewer})
			})
		}
		wg.Go(func() {
			_, err := w.Token.Revoke(ctx, w.AsOwner, m.Token.ID)
			assert.NoError(t, err)
		})
		wg.Wait()
		for _, c := range made {
			if c.Token.ID == uuid.Nil {
				continue
			}
			stopped(t, w, c, "a child made around its parent's revocation")
		}
	})

	t.Run("ConcurrentResetsOneWins", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		c := w.APIToken(t, w.AsOwner, access.RoleViewer)
		const n = 6
		var wg sync.WaitGroup
		out := make([]token.Created, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { out[i], errs[i] = w.Token.Reset(ctx, w.AsOwner, c.Token.ID, time.Time{}) })
		}
		wg.Wait()
		var working int
		for i := range n {
			if errs[i] != nil {
				assert.ErrorIs(t, errs[i], access.ErrConflict)
				continue
			}
			if _, err := w.Token.Verify(ctx, out[i].Secret.Reveal()); err == nil {
				working++
			}
		}
		assert.Equal(t, 1, working, "exactly one new secret works")
		stopped(t, w, c, "and the old one does not")
	})
}

// testTokenDescribeList: a page of tokens with their grants and creators
// (token.DescribeList, seed 002's api_tokens listing) gives each token its
// own grants, in grant order, and its own creator, read for the page at
// once; a token without grants has none.
func testTokenDescribeList(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID}
	a, _ := w.Member(t, "maker-a", access.RoleAdmin)
	b, _ := w.Member(t, "maker-b", access.RoleAdmin)
	grant := func(id string) token.ResourceGrant {
		return token.ResourceGrant{Resource: access.Resource{Type: "project", ID: id}, Level: access.LevelViewer}
	}
	want := map[uuid.UUID][]string{}
	creator := map[uuid.UUID]uuid.UUID{}
	for i, in := range []struct {
		by     access.User
		grants []token.ResourceGrant
	}{{a, []token.ResourceGrant{grant("p1"), grant("p2")}}, {b, nil}, {a, []token.ResourceGrant{grant("p3")}}, {b, []token.ResourceGrant{grant("p1")}}} {
		made, err := w.Token.Create(ctx, sys, token.NewToken{Name: "t" + strconv.Itoa(i), Level: access.LevelViewer, CreatorID: in.by.ID, Grants: in.grants})
		require.NoError(t, err)
		for _, g := range in.grants {
			want[made.Token.ID] = append(want[made.Token.ID], g.Resource.ID)
		}
		creator[made.Token.ID] = in.by.ID
	}
	seen := 0
	pr := access.PageRequest{Limit: 3}
	for {
		page, err := w.Token.DescribeList(ctx, w.AsOwner, pr)
		require.NoError(t, err)
		for _, d := range page.Items {
			id, ok := creator[d.Token.ID]
			if !ok {
				continue // a token of the World's own
			}
			seen++
			assert.Equal(t, id, d.Creator.ID, "its own creator")
			var got []string
			for _, g := range d.Grants {
				assert.Equal(t, access.Subject{Type: access.SubjectToken, ID: d.Token.ID}, g.Subject)
				got = append(got, g.Resource.ID)
			}
			assert.Equal(t, want[d.Token.ID], got, "its own grants, in order")
		}
		if page.Next == "" {
			break
		}
		pr.After = page.Next
	}
	assert.Equal(t, len(creator), seen)
}
