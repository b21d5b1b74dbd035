package token_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

var ctx = context.Background()

func TestCreateAndVerify(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, e.asOwner, token.NewToken{Name: " deploy ", Permissions: []string{access.UserEdit}, Level: access.LevelAdmin})
	secret := c.Secret.Reveal()
	require.NoError(t, e.tok.Format().Parse(secret, token.KindAPI))
	assert.Equal(t, "deploy", c.Token.Name)
	assert.Equal(t, []string{access.UserEdit, access.UserView}, c.Token.Permissions, "implications closed")
	assert.Equal(t, token.Hash(secret), c.Token.Digest)
	assert.Equal(t, secret[:len("gate_api_")]+"…"+secret[len(secret)-4:], c.Token.Hint)
	assert.NotContains(t, c.Token.Hint, secret[len("gate_api_"):len(secret)-6], "the hint shows no random part")

	p, err := e.tok.Verify(ctx, secret)
	require.NoError(t, err)
	assert.Equal(t, access.TokenPrincipal(c.Token.ID, e.owner.ID, e.company.ID, c.Token.Permissions, access.LevelAdmin, c.Token.CreatedAt), p)
	assert.NoError(t, e.acc.Check(ctx, p, access.UserEdit))
	assert.ErrorIs(t, e.acc.Check(ctx, p, access.UserDelete), access.ErrForbidden, "the token's own ceiling")
	lvl, err := e.acc.Level(ctx, p, access.Resource{Type: access.ResourceAccount})
	require.NoError(t, err)
	assert.Equal(t, access.LevelAdmin, lvl)

	// The plaintext is nowhere in the store's view of the token.
	got, err := e.tok.Get(ctx, e.asOwner, c.Token.ID)
	require.NoError(t, err)
	assert.NotContains(t, strings.Join([]string{got.Name, got.Hint}, " "), secret[7:])
}

func TestCreateWithRole(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, e.asOwner, token.NewToken{Role: "viewer"})
	assert.Equal(t, access.LevelViewer, c.Token.Level)
	assert.Equal(t, []string{access.UserView}, c.Token.Permissions)
}

func TestCreateNeverExceedsCreator(t *testing.T) {
	e := newEnv(t)
	_, admin := e.member(t, "admin", access.RoleAdmin)
	vp, asVP := e.member(t, "vp", access.RoleViewerPlus, access.UserAdd)
	_, viewer := e.member(t, "viewer", access.RoleViewer)

	for name, tc := range map[string]struct {
		p  access.Principal
		in token.NewToken
	}{
		"above own level":        {admin, token.NewToken{Name: "x", Level: access.LevelOwner}},
		"role above own level":   {admin, token.NewToken{Name: "x", Role: access.RoleOwner}},
		"permission not held":    {asVP, token.NewToken{Name: "x", Permissions: []string{access.UserDelete}}},
		"without USER_ADD":       {viewer, token.NewToken{Name: "x"}},
		"a token creates tokens": {access.TokenPrincipal(uuid.New(), e.owner.ID, e.company.ID, []string{access.UserAdd}, 1000, time.Now()), token.NewToken{Name: "x"}},
	} {
		_, err := e.tok.Create(ctx, tc.p, tc.in)
		assert.ErrorIs(t, err, access.ErrForbidden, name)
	}
	c := e.create(t, asVP, token.NewToken{Name: "ok", Permissions: []string{access.UserAdd}, Level: access.LevelViewerPlus})
	assert.Equal(t, vp.ID, c.Token.UserID)
	e.create(t, admin, token.NewToken{Role: access.RoleAdmin})

	// The system creates on behalf of a member, within their rights.
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company.ID}
	_, err := e.tok.Create(ctx, sys, token.NewToken{Name: "x", CreatorID: vp.ID, Role: access.RoleAdmin})
	assert.ErrorIs(t, err, access.ErrForbidden)
	c = e.create(t, sys, token.NewToken{Name: "x", CreatorID: vp.ID, Role: access.RoleViewer})
	assert.Equal(t, vp.ID, c.Token.UserID)
	_, err = e.tok.Create(ctx, sys, token.NewToken{Name: "x"})
	assert.Equal(t, "creator_id", access.FieldOf(err))

	// An outsider's company looks unknown.
	stranger := e.user(t, "stranger")
	_, err = e.tok.Create(ctx, access.UserPrincipal(stranger.ID, e.company.ID), token.NewToken{Name: "x"})
	assert.ErrorIs(t, err, access.ErrNotFound)
	_, err = e.tok.Create(ctx, access.Principal{}, token.NewToken{Name: "x"})
	assert.ErrorIs(t, err, access.ErrUnauthenticated)
}

func TestCreateBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	for field, in := range map[string]token.NewToken{
		"name":        {Name: " "},
		"role":        {Name: "x", Role: "EMPEROR"},
		"level":       {Name: "x", Level: 1001},
		"permissions": {Name: "x", Permissions: []string{"FLY"}},
		"expires_at":  {Name: "x", ExpiresAt: e.clock.Now()},
	} {
		_, err := e.tok.Create(ctx, e.asOwner, in)
		assert.ErrorIs(t, err, access.ErrInvalid, field)
		assert.Equal(t, field, access.FieldOf(err))
	}
	page, err := e.tok.List(ctx, e.asOwner, access.PageRequest{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
}

func TestVerifyRefusesEveryBadToken(t *testing.T) {
	e := newEnv(t)
	good := e.create(t, e.asOwner, token.NewToken{ExpiresAt: e.clock.Now().Add(time.Hour)})
	revoked := e.create(t, e.asOwner, token.NewToken{})
	_, err := e.tok.Revoke(ctx, e.asOwner, revoked.Token.ID)
	require.NoError(t, err)
	acme, err := token.NewFormat("acme")
	require.NoError(t, err)
	s := good.Secret.Reveal()

	cases := map[string]struct{ secret, reason string }{
		"empty":            {"", token.ReasonMalformed},
		"bad checksum":     {s[:len(s)-1] + map[bool]string{true: "1", false: "0"}[s[len(s)-1] == '0'], token.ReasonMalformed},
		"other product":    {acme.Generate(token.KindAPI).Reveal(), token.ReasonMalformed},
		"invitation kind":  {token.Generate(token.KindInvitation).Reveal(), token.ReasonMalformed},
		"login link kind":  {token.Generate(token.KindLoginLink).Reveal(), token.ReasonMalformed},
		"unknown":          {token.Generate(token.KindAPI).Reveal(), token.ReasonUnknown},
		"unknown session":  {token.Generate(token.KindSession).Reveal(), token.ReasonUnknown},
		"revoked":          {revoked.Secret.Reveal(), token.ReasonRevoked},
		"same random, ses": {strings.Replace(s, "_api_", "_ses_", 1), token.ReasonMalformed},
	}
	var msgs []string
	for name, tc := range cases {
		_, err := e.tok.Verify(ctx, tc.secret)
		assert.ErrorIs(t, err, token.ErrInvalidToken, name)
		assert.ErrorIs(t, err, access.ErrUnauthenticated, name)
		assert.Equal(t, access.CodeInvalidToken, access.CodeOf(err), name)
		assert.Equal(t, tc.reason, token.ReasonOf(err), name)
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs {
		assert.Equal(t, msgs[0], m, "the client learns nothing about which check failed")
	}

	// Expiry with the injected clock: now >= expires_at is expired.
	e.clock.Advance(time.Hour - time.Microsecond)
	_, err = e.tok.Verify(ctx, s)
	require.NoError(t, err)
	e.clock.Advance(time.Microsecond)
	_, err = e.tok.Verify(ctx, s)
	assert.Equal(t, token.ReasonExpired, token.ReasonOf(err))
}

func TestVerifyStopsWhenCompanyIsDeleted(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, e.asOwner, token.NewToken{Role: access.RoleOwner})
	_, err := e.tok.Verify(ctx, c.Secret.Reveal())
	require.NoError(t, err)
	require.NoError(t, e.acc.DeleteCompany(ctx, e.asOwner))
	_, err = e.tok.Verify(ctx, c.Secret.Reveal())
	assert.ErrorIs(t, err, token.ErrInvalidToken)
}

func TestMalformedTokenCostsNoStoreAccess(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, e.asOwner, token.NewToken{})
	s := c.Secret.Reveal()
	// A token service over a store that panics on any call it does not
	// count.
	bare := &counting{}
	svc := token.NewService(access.NewService(bare))
	for _, bad := range []string{"", "Bearer " + s, typo(s), s + "0", strings.ToUpper(s),
		strings.Replace(s, "gate_", "xx_", 1)} {
		_, err := svc.Verify(ctx, bad)
		assert.ErrorIs(t, err, token.ErrInvalidToken)
		_, err = svc.RedeemLoginLink(ctx, bad)
		assert.ErrorIs(t, err, token.ErrInvalidLink)
		assert.ErrorIs(t, svc.Logout(ctx, bad), token.ErrInvalidToken)
	}
	// Well-formed secrets of the wrong kind are refused as early.
	for _, k := range []token.Kind{token.KindLoginLink, token.KindInvitation, token.KindConnectionInvitation} {
		_, err := svc.Verify(ctx, token.Generate(k).Reveal())
		assert.ErrorIs(t, err, token.ErrInvalidToken)
	}
	_, err := svc.RedeemLoginLink(ctx, s)
	assert.ErrorIs(t, err, token.ErrInvalidLink)
	assert.ErrorIs(t, svc.Logout(ctx, s), token.ErrInvalidToken)
	assert.Zero(t, bare.calls.Load(), "no store call for a malformed token")

	before := e.st.calls.Load()
	_, err = e.tok.Verify(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, int64(1), e.st.lookups.Load(), "a good token costs one lookup")
	assert.Equal(t, before+2, e.st.calls.Load(), "the lookup and the first last-use write")
}

func TestLastUseIsWrittenAtMostOncePerMinute(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, e.asOwner, token.NewToken{})
	assert.True(t, c.Token.LastUsedAt.IsZero())
	s := c.Secret.Reveal()
	for range 10 {
		_, err := e.tok.Verify(ctx, s)
		require.NoError(t, err)
		e.clock.Advance(time.Second)
	}
	assert.Equal(t, int64(1), e.st.touches.Load())
	got, err := e.tok.Get(ctx, e.asOwner, c.Token.ID)
	require.NoError(t, err)
	first := got.LastUsedAt
	assert.False(t, first.IsZero(), "the last use is visible")
	e.clock.Advance(time.Minute)
	_, err = e.tok.Verify(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, int64(2), e.st.touches.Load())
	got, err = e.tok.Get(ctx, e.asOwner, c.Token.ID)
	require.NoError(t, err)
	assert.Equal(t, e.clock.Now(), got.LastUsedAt)
}

// The token's rights are its own intersected with its creator's current
// membership: demoting, deactivating or removing the creator shrinks or
// stops the token on the very next check.
func TestTokenShrinksWithItsCreator(t *testing.T) {
	e := newEnv(t)
	admin, asAdmin := e.member(t, "admin", access.RoleAdmin)
	c := e.create(t, asAdmin, token.NewToken{Role: access.RoleAdmin})
	p, err := e.tok.Verify(ctx, c.Secret.Reveal())
	require.NoError(t, err)
	account := access.Resource{Type: access.ResourceAccount}
	assert.NoError(t, e.acc.Check(ctx, p, access.UserDelete))
	assert.NoError(t, e.acc.CheckLevel(ctx, p, account, access.LevelAdmin))

	_, err = e.acc.UpdateMember(ctx, e.asOwner, admin.ID, access.MemberUpdate{Role: new(access.RoleViewer)})
	require.NoError(t, err)
	p, err = e.tok.Verify(ctx, c.Secret.Reveal())
	require.NoError(t, err)
	assert.ErrorIs(t, e.acc.Check(ctx, p, access.UserDelete), access.ErrForbidden, "demoted creator: the token shrinks")
	assert.NoError(t, e.acc.Check(ctx, p, access.UserView))
	assert.ErrorIs(t, e.acc.CheckLevel(ctx, p, account, access.LevelAdmin), access.ErrForbidden)
	lvl, err := e.acc.Level(ctx, p, account)
	require.NoError(t, err)
	assert.Equal(t, access.LevelViewer, lvl)
	a, err := e.acc.Authorize(ctx, p, "")
	require.NoError(t, err)
	assert.Equal(t, access.LevelViewer, a.Level())

	_, err = e.acc.UpdateMember(ctx, e.asOwner, admin.ID, access.MemberUpdate{Active: new(false)})
	require.NoError(t, err)
	assert.ErrorIs(t, e.acc.Check(ctx, p, access.UserView), access.ErrForbidden, "deactivated creator: the token stops")

	_, err = e.acc.UpdateMember(ctx, e.asOwner, admin.ID, access.MemberUpdate{Active: new(true), Role: new(access.RoleAdmin)})
	require.NoError(t, err)
	assert.NoError(t, e.acc.Check(ctx, p, access.UserDelete), "restored")
	require.NoError(t, e.acc.RemoveMember(ctx, e.asOwner, admin.ID))
	assert.ErrorIs(t, e.acc.Check(ctx, p, access.UserView), access.ErrNotFound, "removed creator: the token stops")
}

func TestTokenGrants(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, e.asOwner, token.NewToken{Level: access.LevelViewer})
	proj := access.Resource{Type: "project", ID: "7"}
	g, err := e.acc.Grant(ctx, e.asOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectToken, ID: c.Token.ID}, Resource: proj, Level: access.LevelAdmin})
	require.NoError(t, err)
	p, err := e.tok.Verify(ctx, c.Secret.Reveal())
	require.NoError(t, err)
	assert.NoError(t, e.acc.CheckLevel(ctx, p, proj, access.LevelAdmin), "the token's grant")
	assert.ErrorIs(t, e.acc.CheckLevel(ctx, p, access.Resource{Type: "project", ID: "8"}, access.LevelAdmin), access.ErrForbidden)
	page, err := e.acc.ListGrants(ctx, e.asOwner, access.GrantFilter{SubjectType: access.SubjectToken})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, g.ID, page.Items[0].ID)

	// Unknown, foreign and revoked tokens cannot be granted anything.
	_, err = e.acc.Grant(ctx, e.asOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectToken, ID: uuid.New()}, Resource: proj, Level: access.LevelViewer})
	assert.ErrorIs(t, err, access.ErrNotFound)
	other := newEnvOther(t, e)
	_, err = e.acc.Grant(ctx, other, access.NewGrant{Subject: access.Subject{Type: access.SubjectToken, ID: c.Token.ID}, Resource: proj, Level: access.LevelViewer})
	assert.ErrorIs(t, err, access.ErrNotFound)
	_, err = e.tok.Revoke(ctx, e.asOwner, c.Token.ID)
	require.NoError(t, err)
	page, err = e.acc.ListGrants(ctx, e.asOwner, access.GrantFilter{SubjectType: access.SubjectToken})
	require.NoError(t, err)
	assert.Empty(t, page.Items, "revoking removes the token's grants")
	_, err = e.acc.Grant(ctx, e.asOwner, access.NewGrant{Subject: access.Subject{Type: access.SubjectToken, ID: c.Token.ID}, Resource: proj, Level: access.LevelViewer})
	assert.ErrorIs(t, err, access.ErrConflict)
}

// newEnvOther makes a second company in e's store and returns its owner.
func newEnvOther(t *testing.T, e *env) access.Principal {
	t.Helper()
	u := e.user(t, "other")
	c, err := e.acc.CreateCompany(ctx, access.UserPrincipal(u.ID, uuid.Nil), access.NewCompany{Name: "Other"})
	require.NoError(t, err)
	return access.UserPrincipal(u.ID, c.ID)
}

func TestListGetRevoke(t *testing.T) {
	e := newEnv(t)
	var ids []uuid.UUID
	for range 5 {
		ids = append(ids, e.create(t, e.asOwner, token.NewToken{}).Token.ID)
	}
	var got []uuid.UUID
	req := access.PageRequest{Limit: 2}
	for {
		page, err := e.tok.List(ctx, e.asOwner, req)
		require.NoError(t, err)
		for _, tk := range page.Items {
			got = append(got, tk.ID)
		}
		if page.Next == "" {
			break
		}
		req.After = page.Next
	}
	assert.Equal(t, ids, got)

	// Tenant isolation: another company's token is exactly an unknown one.
	other := newEnvOther(t, e)
	_, errForeign := e.tok.Get(ctx, other, ids[0])
	_, errUnknown := e.tok.Get(ctx, other, uuid.New())
	assert.ErrorIs(t, errForeign, access.ErrNotFound)
	assert.Equal(t, errUnknown.Error(), errForeign.Error())
	_, errForeign = e.tok.Revoke(ctx, other, ids[0])
	_, errUnknown = e.tok.Revoke(ctx, other, uuid.New())
	assert.ErrorIs(t, errForeign, access.ErrNotFound)
	assert.Equal(t, errUnknown.Error(), errForeign.Error())
	page, err := e.tok.List(ctx, other, access.PageRequest{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)

	// Who may revoke.
	_, viewer := e.member(t, "viewer", access.RoleViewer)
	_, err = e.tok.Revoke(ctx, viewer, ids[0])
	assert.ErrorIs(t, err, access.ErrForbidden)
	_, admin := e.member(t, "admin", access.RoleAdmin)
	own := e.create(t, admin, token.NewToken{Role: access.RoleAdmin})
	ownerTok := e.create(t, e.asOwner, token.NewToken{Role: access.RoleOwner})
	_, err = e.tok.Revoke(ctx, admin, ownerTok.Token.ID)
	assert.ErrorIs(t, err, access.ErrForbidden, "an ADMIN cannot revoke an OWNER-level token")
	_, err = e.tok.Revoke(ctx, admin, own.Token.ID)
	assert.NoError(t, err, "the creator revokes their own")
	selfTok := e.create(t, e.asOwner, token.NewToken{Permissions: []string{access.UserView}})
	p, err := e.tok.Verify(ctx, selfTok.Secret.Reveal())
	require.NoError(t, err)
	_, err = e.tok.Revoke(ctx, p, selfTok.Token.ID)
	assert.NoError(t, err, "a token revokes itself")

	// Revocation is effective at once and idempotent.
	c := e.create(t, e.asOwner, token.NewToken{})
	_, err = e.tok.Verify(ctx, c.Secret.Reveal())
	require.NoError(t, err)
	r, err := e.tok.Revoke(ctx, e.asOwner, c.Token.ID)
	require.NoError(t, err)
	assert.Equal(t, e.clock.Now(), r.RevokedAt)
	_, err = e.tok.Verify(ctx, c.Secret.Reveal())
	assert.ErrorIs(t, err, token.ErrInvalidToken)
	e.clock.Advance(time.Hour)
	r2, err := e.tok.Revoke(ctx, e.asOwner, c.Token.ID)
	require.NoError(t, err)
	assert.Equal(t, r.RevokedAt, r2.RevokedAt)
	tk, err := e.tok.Get(ctx, e.asOwner, c.Token.ID)
	require.NoError(t, err)
	assert.True(t, tk.Revoked(), "revoked tokens stay listed")
}

func TestNameOnlyInheritsTheCreatorsRights(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, asAdmin := e.member(t, "admin", access.RoleAdmin, access.UserDelete)
	c := e.create(t, asAdmin, token.NewToken{Name: "mine"})
	assert.Equal(t, access.LevelAdmin, c.Token.Level)
	m, err := e.acc.GetMember(ctx, e.asOwner, admin.ID)
	require.NoError(t, err)
	assert.Equal(t, e.acc.Catalog().Effective(m.Role, m.Extra, m.Withheld), c.Token.Permissions, "every permission its creator holds now")
	assert.NotContains(t, c.Token.Permissions, token.ManageTokens)

	bare := e.create(t, asAdmin, token.NewToken{Name: "bare", Bare: true})
	assert.Zero(t, bare.Token.Level)
	assert.Empty(t, bare.Token.Permissions, "no right, asked for explicitly")

	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company.ID}
	viaSys := e.create(t, sys, token.NewToken{Name: "for admin", CreatorID: admin.ID})
	assert.Equal(t, c.Token.Permissions, viaSys.Token.Permissions, "the system gives the member's, not its own")
	assert.Equal(t, access.LevelAdmin, viaSys.Token.Level)
}

func TestManageTokensIsATokensOwn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, r := range e.acc.Catalog().Roles() {
		assert.NotContains(t, r.Permissions, token.ManageTokens, "no role implies it: %s", r.Code)
	}
	u := e.user(t, "m")
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company.ID}
	_, err := e.acc.AddMember(ctx, sys, access.NewMember{UserID: u.ID, Role: access.RoleViewer, Permissions: []string{token.ManageTokens}})
	assert.ErrorIs(t, err, access.ErrInvalid, "no membership holds it")

	// A member who may create tokens may give it; one who may not, cannot.
	_, asVP := e.member(t, "vp", access.RoleViewerPlus)
	_, err = e.tok.Create(ctx, asVP, token.NewToken{Name: "x", Permissions: []string{token.ManageTokens}})
	assert.ErrorIs(t, err, access.ErrForbidden)
	m := e.create(t, e.asOwner, token.NewToken{Name: "m", Permissions: []string{token.ManageTokens}})
	assert.Equal(t, []string{token.ManageTokens}, m.Token.Permissions)
	mp, err := e.tok.Verify(ctx, m.Secret.Reveal())
	require.NoError(t, err)
	child := e.create(t, mp, token.NewToken{Name: "c", Permissions: []string{token.ManageTokens}})
	assert.Equal(t, []string{token.ManageTokens}, child.Token.Permissions, "a token holding it passes it on")
	assert.Equal(t, []uuid.UUID{m.Token.ID}, child.Token.Ancestors)
}
