package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// testTokens covers package token's Store: API and session tokens, then
// login links.
func testTokens(t *testing.T, newStore Factory) {
	ctx := context.Background()
	now := T0
	t.Run("CreateAndGetTokens", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		a := f.apiToken(c.ID, owner.ID, access.UserEdit, access.UserView)
		a.ExpiresAt = now.Add(24 * time.Hour)
		require.NoError(t, f.s.CreateToken(ctx, &a))
		got, err := f.s.GetTokenByHash(ctx, a.Digest)
		require.NoError(t, err)
		assert.Equal(t, withStatus(a), got, "the creator's status is read with the token")
		got, err = f.s.GetToken(ctx, c.ID, a.ID)
		require.NoError(t, err)
		assert.Equal(t, a, got)

		none := f.apiToken(c.ID, owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &none))
		got, err = f.s.GetToken(ctx, c.ID, none.ID)
		require.NoError(t, err)
		assert.Empty(t, got.Permissions)
		assert.True(t, got.ExpiresAt.IsZero() && got.LastUsedAt.IsZero() && got.RevokedAt.IsZero(), "zero times stay zero")

		s := f.session(owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &s))
		got, err = f.s.GetTokenByHash(ctx, s.Digest)
		require.NoError(t, err)
		assert.Equal(t, withStatus(s), got)
		_, err = f.s.GetToken(ctx, uuid.Nil, s.ID)
		assertNotFound(t, err, access.CodeTokenNotFound, "GetToken finds API tokens only")

		dup := f.apiToken(c.ID, owner.ID)
		dup.ID = a.ID
		assertConflict(t, f.s.CreateToken(ctx, &dup), access.CodeIDTaken)
		_, err = f.s.GetTokenByHash(ctx, dup.Digest)
		assertNotFound(t, err, access.CodeTokenNotFound, "the refused token was stored")
		dup = f.apiToken(c.ID, owner.ID)
		dup.Digest = a.Digest
		assertConflict(t, f.s.CreateToken(ctx, &dup), access.CodeTokenTaken, "digests are unique")

		orphan := f.apiToken(c.ID, owner.ID)
		orphan.CompanyID = uuid.New()
		assertNotFound(t, f.s.CreateToken(ctx, &orphan), access.CodeCompanyNotFound)
		orphan = f.apiToken(c.ID, owner.ID)
		orphan.UserID = uuid.New()
		assertNotFound(t, f.s.CreateToken(ctx, &orphan), access.CodeUserNotFound)

		_, err = f.s.GetTokenByHash(ctx, token.Hash("unknown"))
		assertNotFound(t, err, access.CodeTokenNotFound)
		_, err = f.s.GetToken(ctx, c.ID, uuid.New())
		assertNotFound(t, err, access.CodeTokenNotFound)
	})

	t.Run("TokensAreIsolatedByCompany", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		other := f.company()
		a := f.apiToken(c.ID, owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &a))
		_, err := f.s.GetToken(ctx, other.ID, a.ID)
		assertNotFound(t, err, access.CodeTokenNotFound)
		_, err = f.s.RevokeToken(ctx, other.ID, a.ID, now)
		assertNotFound(t, err, access.CodeTokenNotFound)
		_, err = f.s.RevokeToken(ctx, uuid.Nil, a.ID, now)
		assertNotFound(t, err, access.CodeTokenNotFound, "an API token is no session")
		list, err := f.s.ListTokens(ctx, other.ID, access.Cursor{})
		require.NoError(t, err)
		assert.Empty(t, list)
		got, err := f.s.GetToken(ctx, c.ID, a.ID)
		require.NoError(t, err)
		assert.False(t, got.Revoked())
	})

	t.Run("ListTokens", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		var ids []uuid.UUID
		for range 5 {
			a := f.apiToken(c.ID, owner.ID, access.UserView)
			require.NoError(t, f.s.CreateToken(ctx, &a))
			ids = append(ids, a.ID)
		}
		s := f.session(owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &s))
		var got []uuid.UUID
		cur := access.Cursor{Limit: 2}
		for range 5 {
			page, err := f.s.ListTokens(ctx, c.ID, cur)
			require.NoError(t, err)
			for _, tk := range page {
				got = append(got, tk.ID)
				assert.Equal(t, []string{access.UserView}, tk.Permissions)
			}
			if len(page) < cur.Limit {
				break
			}
			cur.After = page[len(page)-1].ID
		}
		assert.Equal(t, ids, got, "ordered by ID, sessions left out")
	})

	t.Run("RevokeToken", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		a := f.apiToken(c.ID, owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &a))
		r, err := f.s.RevokeToken(ctx, c.ID, a.ID, now.Add(time.Second))
		require.NoError(t, err)
		assert.Equal(t, now.Add(time.Second), r.RevokedAt)
		r, err = f.s.RevokeToken(ctx, c.ID, a.ID, now.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, now.Add(time.Second), r.RevokedAt, "the first revocation stays")
		got, err := f.s.GetTokenByHash(ctx, a.Digest)
		require.NoError(t, err)
		assert.True(t, got.Revoked(), "revoked tokens are still found, to be refused")

		s := f.session(owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &s))
		_, err = f.s.RevokeToken(ctx, c.ID, s.ID, now)
		assertNotFound(t, err, access.CodeTokenNotFound)
		r, err = f.s.RevokeToken(ctx, uuid.Nil, s.ID, now)
		require.NoError(t, err)
		assert.Equal(t, now, r.RevokedAt)
		_, err = f.s.RevokeToken(ctx, c.ID, uuid.New(), now)
		assertNotFound(t, err, access.CodeTokenNotFound)
	})

	t.Run("MoveSession", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		s := f.session(owner.ID)
		s.CompanyID = c.ID
		require.NoError(t, f.s.CreateToken(ctx, &s))
		other := f.company()
		require.NoError(t, f.s.MoveSession(ctx, s.ID, other.ID))
		got, err := f.s.GetTokenByHash(ctx, s.Digest)
		require.NoError(t, err)
		assert.Equal(t, other.ID, got.CompanyID)
		assertNotFound(t, f.s.MoveSession(ctx, s.ID, uuid.New()), access.CodeCompanyNotFound)
		assertNotFound(t, f.s.MoveSession(ctx, uuid.New(), other.ID), access.CodeTokenNotFound)
		a := f.apiToken(c.ID, owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &a))
		assertNotFound(t, f.s.MoveSession(ctx, a.ID, other.ID), access.CodeTokenNotFound)
		got, err = f.s.GetTokenByHash(ctx, a.Digest)
		require.NoError(t, err)
		assert.Equal(t, c.ID, got.CompanyID, "an API token never moves")
	})

	t.Run("SessionScope", func(t *testing.T) {
		f := newRows(t, newStore)
		home, owner := f.company(), f.user()
		made1, made2 := f.company(), f.company()
		s := f.session(owner.ID)
		s.CompanyID, s.Origin, s.HomeID = home.ID, token.OriginProvisioned, home.ID
		require.NoError(t, f.s.CreateToken(ctx, &s))
		got, err := f.s.GetTokenByHash(ctx, s.Digest)
		require.NoError(t, err)
		assert.Equal(t, withStatus(s), got, "origin and home kept, no companies yet")
		assert.Nil(t, got.Companies)

		require.NoError(t, f.s.AddSessionCompany(ctx, s.ID, made1.ID))
		require.NoError(t, f.s.AddSessionCompany(ctx, s.ID, made2.ID))
		require.NoError(t, f.s.AddSessionCompany(ctx, s.ID, made1.ID), "once is enough")
		got, err = f.s.GetTokenByHash(ctx, s.Digest)
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{made1.ID, made2.ID}, got.Companies, "in order, each once")
		assert.Equal(t, token.OriginProvisioned, got.Origin)
		assert.Equal(t, home.ID, got.HomeID)
		require.NoError(t, f.s.MoveSession(ctx, s.ID, made2.ID))
		got, err = f.s.GetTokenByHash(ctx, s.Digest)
		require.NoError(t, err)
		assert.Equal(t, home.ID, got.HomeID, "moving keeps the home")
		r, err := f.s.RevokeToken(ctx, made2.ID, s.ID, now)
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{made1.ID, made2.ID}, r.Companies)

		boom := errors.New("boom")
		require.ErrorIs(t, f.s.RunInTx(ctx, func(ctx context.Context) error {
			require.NoError(t, f.s.AddSessionCompany(ctx, s.ID, home.ID))
			return boom
		}), boom)
		got, err = f.s.GetTokenByHash(ctx, s.Digest)
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{made1.ID, made2.ID}, got.Companies, "rolled back")

		signin := f.session(owner.ID)
		signin.Origin, signin.HomeID = token.OriginSignIn, home.ID
		require.NoError(t, f.s.CreateToken(ctx, &signin))
		got, err = f.s.GetTokenByHash(ctx, signin.Digest)
		require.NoError(t, err)
		assert.Equal(t, token.OriginSignIn, got.Origin)
		bare := f.session(owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &bare))
		got, err = f.s.GetTokenByHash(ctx, bare.Digest)
		require.NoError(t, err)
		assert.Zero(t, got.Origin, "no origin stays none (and is confined)")
		assert.Equal(t, uuid.Nil, got.HomeID)

		a := f.apiToken(home.ID, owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &a))
		assertNotFound(t, f.s.AddSessionCompany(ctx, a.ID, made1.ID), access.CodeTokenNotFound, "an API token has no scope")
		assertNotFound(t, f.s.AddSessionCompany(ctx, uuid.New(), made1.ID), access.CodeTokenNotFound)
		got, err = f.s.GetTokenByHash(ctx, a.Digest)
		require.NoError(t, err)
		assert.Zero(t, got.Origin)
		assert.Nil(t, got.Companies)
	})

	t.Run("TouchToken", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		a := f.apiToken(c.ID, owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &a))
		require.NoError(t, f.s.TouchToken(ctx, a.ID, now.Add(time.Minute)))
		got, err := f.s.GetToken(ctx, c.ID, a.ID)
		require.NoError(t, err)
		assert.Equal(t, now.Add(time.Minute), got.LastUsedAt)
		require.NoError(t, f.s.TouchToken(ctx, a.ID, now), "an earlier use is no error")
		got, err = f.s.GetToken(ctx, c.ID, a.ID)
		require.NoError(t, err)
		assert.Equal(t, now.Add(time.Minute), got.LastUsedAt, "and changes nothing")
		assertNotFound(t, f.s.TouchToken(ctx, uuid.New(), now), access.CodeTokenNotFound)
	})

	t.Run("DeletedCompanyTakesItsTokens", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		a := f.apiToken(c.ID, owner.ID)
		require.NoError(t, f.s.CreateToken(ctx, &a))
		l := f.link(c.ID, owner.ID, time.Hour)
		require.NoError(t, f.s.CreateLoginLink(ctx, &l))
		require.NoError(t, f.s.DeleteCompany(ctx, c.ID))
		_, err := f.s.GetTokenByHash(ctx, a.Digest)
		assertNotFound(t, err, access.CodeTokenNotFound)
		_, err = f.s.GetToken(ctx, c.ID, a.ID)
		assertNotFound(t, err, access.CodeTokenNotFound)
		_, err = f.s.ConsumeLoginLink(ctx, l.Digest, now)
		assertNotFound(t, err, access.CodeLoginLinkNotFound)
	})

	t.Run("TokenRollback", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		a := f.apiToken(c.ID, owner.ID)
		boom := errors.New("boom")
		err := f.s.RunInTx(ctx, func(ctx context.Context) error {
			require.NoError(t, f.s.CreateToken(ctx, &a))
			require.NoError(t, f.s.TouchToken(ctx, a.ID, now))
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = f.s.GetTokenByHash(ctx, a.Digest)
		assertNotFound(t, err, access.CodeTokenNotFound)

		// A conflict inside a transaction leaves it usable.
		require.NoError(t, f.s.CreateToken(ctx, &a))
		b := f.apiToken(c.ID, owner.ID)
		require.NoError(t, f.s.RunInTx(ctx, func(ctx context.Context) error {
			dup := f.apiToken(c.ID, owner.ID)
			dup.Digest = a.Digest
			assertConflict(t, f.s.CreateToken(ctx, &dup), access.CodeTokenTaken)
			return f.s.CreateToken(ctx, &b)
		}))
		_, err = f.s.GetTokenByHash(ctx, b.Digest)
		assert.NoError(t, err)
	})

	t.Run("LoginLinks", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		l := f.link(c.ID, owner.ID, time.Minute)
		require.NoError(t, f.s.CreateLoginLink(ctx, &l))
		dup := l
		dup.Digest = token.Hash("other")
		assertConflict(t, f.s.CreateLoginLink(ctx, &dup), access.CodeIDTaken)
		dup = f.link(c.ID, owner.ID, time.Minute)
		dup.Digest = l.Digest
		assertConflict(t, f.s.CreateLoginLink(ctx, &dup), access.CodeTokenTaken)
		bad := f.link(c.ID, uuid.New(), time.Minute)
		assertNotFound(t, f.s.CreateLoginLink(ctx, &bad), access.CodeUserNotFound)
		bad = f.link(uuid.New(), owner.ID, time.Minute)
		assertNotFound(t, f.s.CreateLoginLink(ctx, &bad), access.CodeCompanyNotFound)

		got, err := f.s.ConsumeLoginLink(ctx, l.Digest, now.Add(time.Second))
		require.NoError(t, err)
		want := l
		want.UsedAt = now.Add(time.Second)
		assert.Equal(t, want, got)
		_, err = f.s.ConsumeLoginLink(ctx, l.Digest, now.Add(2*time.Second))
		assert.ErrorIs(t, err, token.ErrLinkUsed)
		_, err = f.s.ConsumeLoginLink(ctx, token.Hash("unknown"), now)
		assertNotFound(t, err, access.CodeLoginLinkNotFound)

		expired := f.link(c.ID, owner.ID, time.Minute)
		require.NoError(t, f.s.CreateLoginLink(ctx, &expired))
		_, err = f.s.ConsumeLoginLink(ctx, expired.Digest, expired.ExpiresAt)
		assert.ErrorIs(t, err, token.ErrLinkExpired, "now >= expires_at is expired")
		_, err = f.s.ConsumeLoginLink(ctx, expired.Digest, expired.ExpiresAt.Add(-time.Microsecond))
		assert.NoError(t, err, "a microsecond before is not")

		// A failed transaction does not consume.
		again := f.link(c.ID, owner.ID, time.Minute)
		require.NoError(t, f.s.CreateLoginLink(ctx, &again))
		boom := errors.New("boom")
		require.ErrorIs(t, f.s.RunInTx(ctx, func(ctx context.Context) error {
			_, err := f.s.ConsumeLoginLink(ctx, again.Digest, now)
			require.NoError(t, err)
			return boom
		}), boom)
		_, err = f.s.ConsumeLoginLink(ctx, again.Digest, now)
		assert.NoError(t, err)
	})

	t.Run("ResetLinks", func(t *testing.T) { testResetLinks(t, newRows(t, newStore)) })
	t.Run("RevokeSessions", func(t *testing.T) { testRevokeSessions(t, newRows(t, newStore)) })
	t.Run("ListSessions", func(t *testing.T) { testListSessions(t, newRows(t, newStore)) })
	t.Run("RevokeSession", func(t *testing.T) { testRevokeSession(t, newRows(t, newStore)) })
	t.Run("RevokeCompanySessions", func(t *testing.T) { testRevokeCompanySessions(t, newRows(t, newStore)) })

	t.Run("RevokeLoginLinks", func(t *testing.T) {
		f := newRows(t, newStore)
		c, owner := f.company(), f.user()
		u := f.user()
		open1, open2 := f.link(c.ID, u.ID, time.Minute), f.link(c.ID, u.ID, time.Minute)
		used, mine := f.link(c.ID, u.ID, time.Minute), f.link(c.ID, owner.ID, time.Minute)
		for _, l := range []*token.LoginLink{&open1, &open2, &used, &mine} {
			require.NoError(t, f.s.CreateLoginLink(ctx, l))
		}
		_, err := f.s.ConsumeLoginLink(ctx, used.Digest, now)
		require.NoError(t, err)
		n, err := f.s.RevokeLoginLinks(ctx, c.ID, u.ID, now)
		require.NoError(t, err)
		assert.Equal(t, 2, n, "the open links of that user in that company")
		n, err = f.s.RevokeLoginLinks(ctx, c.ID, u.ID, now)
		require.NoError(t, err)
		assert.Zero(t, n)
		for _, l := range []token.LoginLink{open1, open2} {
			_, err = f.s.ConsumeLoginLink(ctx, l.Digest, now)
			assert.ErrorIs(t, err, token.ErrLinkRevoked)
		}
		_, err = f.s.ConsumeLoginLink(ctx, used.Digest, now)
		assert.ErrorIs(t, err, token.ErrLinkUsed, "used stays used")
		_, err = f.s.ConsumeLoginLink(ctx, mine.Digest, now)
		assert.NoError(t, err, "another user's link is untouched")
	})
}

// testResetLinks covers password reset links in the login links' store:
// no company, their own kind, their own rotation.
func testResetLinks(t *testing.T, f *rows) {
	ctx := context.Background()
	now := T0
	c, u := f.company(), f.user()
	other := f.user()
	reset := func(userID uuid.UUID) token.LoginLink {
		l := f.link(uuid.Nil, userID, time.Minute)
		l.Kind, l.CreatedBy = token.KindPasswordReset, uuid.Nil
		return l
	}
	r1, r2, theirs := reset(u.ID), reset(u.ID), reset(other.ID)
	login := f.link(c.ID, u.ID, time.Minute)
	for _, l := range []*token.LoginLink{&r1, &r2, &theirs, &login} {
		require.NoError(t, f.s.CreateLoginLink(ctx, l))
	}
	assert.Equal(t, token.KindLoginLink, login.Kind, "a zero kind is a login link, and says so")

	bad := f.link(uuid.Nil, u.ID, time.Minute)
	assertNotFound(t, f.s.CreateLoginLink(ctx, &bad), access.CodeCompanyNotFound, "a login link needs a company")
	bad = reset(uuid.New())
	assertNotFound(t, f.s.CreateLoginLink(ctx, &bad), access.CodeUserNotFound)
	bad = reset(u.ID)
	bad.Kind = token.KindSession
	err := f.s.CreateLoginLink(ctx, &bad)
	assert.ErrorIs(t, err, access.ErrInvalid)
	assert.Equal(t, "kind", access.FieldOf(err))
	bad = reset(u.ID)
	bad.Digest = r1.Digest
	assertConflict(t, f.s.CreateLoginLink(ctx, &bad), access.CodeTokenTaken, "one digest table for both kinds")

	n, err := f.s.RevokeLoginLinks(ctx, c.ID, u.ID, now)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the login link only")
	n, err = f.s.RevokeResetLinks(ctx, u.ID, now.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the user's open reset links")
	r3 := reset(u.ID)
	require.NoError(t, f.s.CreateLoginLink(ctx, &r3))

	got, err := f.s.ConsumeLoginLink(ctx, r3.Digest, now.Add(2*time.Second))
	require.NoError(t, err)
	want := r3
	want.UsedAt = now.Add(2 * time.Second)
	assert.Equal(t, want, got, "kind and no company read back")
	_, err = f.s.ConsumeLoginLink(ctx, r3.Digest, now.Add(3*time.Second))
	assert.ErrorIs(t, err, token.ErrLinkUsed)
	_, err = f.s.ConsumeLoginLink(ctx, r1.Digest, now)
	assert.ErrorIs(t, err, token.ErrLinkRevoked)
	n, err = f.s.RevokeResetLinks(ctx, u.ID, now)
	require.NoError(t, err)
	assert.Zero(t, n, "used and revoked links stay as they are")
	got, err = f.s.ConsumeLoginLink(ctx, theirs.Digest, now)
	require.NoError(t, err, "another user's reset link is untouched")
	assert.Equal(t, uuid.Nil, got.CompanyID)

	expired := reset(u.ID)
	require.NoError(t, f.s.CreateLoginLink(ctx, &expired))
	_, err = f.s.ConsumeLoginLink(ctx, expired.Digest, expired.ExpiresAt)
	assert.ErrorIs(t, err, token.ErrLinkExpired)

	// Deleting a company leaves reset links alone.
	open := reset(u.ID)
	require.NoError(t, f.s.CreateLoginLink(ctx, &open))
	require.NoError(t, f.s.DeleteCompany(ctx, c.ID))
	_, err = f.s.ConsumeLoginLink(ctx, open.Digest, now)
	assert.NoError(t, err)
}

// testRevokeSessions covers ending every session of a user but one.
func testRevokeSessions(t *testing.T, f *rows) {
	ctx := context.Background()
	now := T0
	c, u, other := f.company(), f.user(), f.user()
	var mine []token.Token
	for i := range 3 {
		s := f.session(u.ID)
		if i == 1 {
			s.CompanyID = c.ID
		}
		require.NoError(t, f.s.CreateToken(ctx, &s))
		mine = append(mine, s)
	}
	old := f.session(u.ID)
	old.RevokedAt = now.Add(-time.Hour)
	theirs := f.session(other.ID)
	api := f.apiToken(c.ID, u.ID)
	for _, tk := range []*token.Token{&old, &theirs, &api} {
		require.NoError(t, f.s.CreateToken(ctx, tk))
	}
	boom := errors.New("boom")
	require.ErrorIs(t, f.s.RunInTx(ctx, func(ctx context.Context) error {
		n, err := f.s.RevokeSessions(ctx, u.ID, uuid.Nil, now)
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		return boom
	}), boom)
	got, err := f.s.GetTokenByHash(ctx, mine[0].Digest)
	require.NoError(t, err)
	assert.False(t, got.Revoked(), "rolled back")

	n, err := f.s.RevokeSessions(ctx, u.ID, mine[2].ID, now)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "every open session of the user but the one kept")
	for i, s := range mine {
		got, err := f.s.GetTokenByHash(ctx, s.Digest)
		require.NoError(t, err)
		assert.Equal(t, i != 2, got.Revoked(), "session %d", i)
	}
	for _, tk := range []token.Token{old, theirs, api} {
		got, err := f.s.GetTokenByHash(ctx, tk.Digest)
		require.NoError(t, err)
		assert.Equal(t, tk.RevokedAt, got.RevokedAt, "%s untouched", tk.Name)
	}
	n, err = f.s.RevokeSessions(ctx, u.ID, uuid.Nil, now.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "then the kept one")
	n, err = f.s.RevokeSessions(ctx, uuid.New(), uuid.Nil, now)
	require.NoError(t, err)
	assert.Zero(t, n, "an unknown user has none")
	// A deleted company's sessions went with it; the others stay.
	inC, free := f.session(u.ID), f.session(u.ID)
	inC.CompanyID = c.ID
	require.NoError(t, f.s.CreateToken(ctx, &inC))
	require.NoError(t, f.s.CreateToken(ctx, &free))
	require.NoError(t, f.s.DeleteCompany(ctx, c.ID))
	n, err = f.s.RevokeSessions(ctx, u.ID, uuid.Nil, now)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// testListSessions: a user's live sessions, their client kept, one keyset
// page at a time in ID order; revoked and expired ones, other users' and
// API tokens left out.
func testListSessions(t *testing.T, f *rows) {
	ctx := context.Background()
	now := T0
	c, u, other := f.company(), f.user(), f.user()
	var live []uuid.UUID
	for i := range 5 {
		s := f.session(u.ID)
		switch i {
		case 1:
			s.CompanyID, s.HomeID, s.Origin = c.ID, c.ID, token.OriginSignIn
			s.Client = token.ClientInfo{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", IP: "203.0.113.9"}
		case 2:
			s.Client = token.ClientInfo{IP: "2001:db8::1"}
		case 3:
			s.ExpiresAt = time.Time{} // never
		}
		require.NoError(t, f.s.CreateToken(ctx, &s))
		live = append(live, s.ID)
		if i == 1 {
			got, err := f.s.GetTokenByHash(ctx, s.Digest)
			require.NoError(t, err)
			assert.Equal(t, withStatus(s), got, "the client round-trips")
		}
	}
	slices.SortFunc(live, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	revoked, expired, theirs := f.session(u.ID), f.session(u.ID), f.session(other.ID)
	revoked.RevokedAt = now.Add(-time.Minute)
	expired.ExpiresAt = now // expired at now: now >= ExpiresAt
	api := f.apiToken(c.ID, u.ID)
	for _, tk := range []*token.Token{&revoked, &expired, &theirs, &api} {
		require.NoError(t, f.s.CreateToken(ctx, tk))
	}
	var got []uuid.UUID
	cur := access.Cursor{Limit: 2}
	for range 5 {
		page, err := f.s.ListSessions(ctx, u.ID, now, cur)
		require.NoError(t, err)
		for _, s := range page {
			got = append(got, s.ID)
			assert.Equal(t, token.KindSession, s.Kind)
			assert.Equal(t, u.ID, s.UserID)
			if s.CompanyID == c.ID {
				assert.Equal(t, "203.0.113.9", s.Client.IP)
				assert.Equal(t, token.OriginSignIn, s.Origin)
			}
		}
		if len(page) < cur.Limit {
			break
		}
		cur.After = page[len(page)-1].ID
	}
	assert.Equal(t, live, got, "the live ones, by ID")
	page, err := f.s.ListSessions(ctx, u.ID, now.Add(2*time.Hour), access.Cursor{})
	require.NoError(t, err)
	require.Len(t, page, 1, "only the one that never expires outlives the hour")
	assert.True(t, page[0].ExpiresAt.IsZero())
	page, err = f.s.ListSessions(ctx, uuid.New(), now, access.Cursor{})
	require.NoError(t, err)
	assert.Empty(t, page, "an unknown user has none")
}

// testRevokeSession: one session of a user by ID, the first revocation
// kept; anything that is not that user's session is not found.
func testRevokeSession(t *testing.T, f *rows) {
	ctx := context.Background()
	now := T0
	c, u, other := f.company(), f.user(), f.user()
	s, theirs := f.session(u.ID), f.session(other.ID)
	s.CompanyID = c.ID
	api := f.apiToken(c.ID, u.ID)
	for _, tk := range []*token.Token{&s, &theirs, &api} {
		require.NoError(t, f.s.CreateToken(ctx, tk))
	}
	boom := errors.New("boom")
	require.ErrorIs(t, f.s.RunInTx(ctx, func(ctx context.Context) error {
		_, err := f.s.RevokeSession(ctx, u.ID, s.ID, now)
		require.NoError(t, err)
		return boom
	}), boom)
	got, err := f.s.GetTokenByHash(ctx, s.Digest)
	require.NoError(t, err)
	assert.False(t, got.Revoked(), "rolled back")

	r, err := f.s.RevokeSession(ctx, u.ID, s.ID, now.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, s.ID, r.ID)
	assert.Equal(t, c.ID, r.CompanyID)
	assert.Equal(t, now.Add(time.Second), r.RevokedAt)
	r, err = f.s.RevokeSession(ctx, u.ID, s.ID, now.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Second), r.RevokedAt, "the first revocation stays")

	for name, id := range map[string]uuid.UUID{"another user's": theirs.ID, "an API token": api.ID, "unknown": uuid.New()} {
		_, err := f.s.RevokeSession(ctx, u.ID, id, now)
		assertNotFound(t, err, access.CodeSessionNotFound, name)
	}
	for _, tk := range []token.Token{theirs, api} {
		got, err := f.s.GetTokenByHash(ctx, tk.Digest)
		require.NoError(t, err)
		assert.False(t, got.Revoked(), "%s untouched", tk.Name)
	}
}

// testRevokeCompanySessions: a user's open sessions acting in one company,
// but the one kept; their sessions elsewhere, other users' and API tokens
// untouched.
func testRevokeCompanySessions(t *testing.T, f *rows) {
	ctx := context.Background()
	now := T0
	c, d, u, other := f.company(), f.company(), f.user(), f.user()
	in := func(userID, companyID uuid.UUID) token.Token {
		s := f.session(userID)
		s.CompanyID = companyID
		require.NoError(t, f.s.CreateToken(ctx, &s))
		return s
	}
	inC, kept, old := in(u.ID, c.ID), in(u.ID, c.ID), f.session(u.ID)
	old.CompanyID, old.RevokedAt = c.ID, now.Add(-time.Hour)
	require.NoError(t, f.s.CreateToken(ctx, &old))
	inD, none, theirs := in(u.ID, d.ID), in(u.ID, uuid.Nil), in(other.ID, c.ID)
	api := f.apiToken(c.ID, u.ID)
	require.NoError(t, f.s.CreateToken(ctx, &api))

	boom := errors.New("boom")
	require.ErrorIs(t, f.s.RunInTx(ctx, func(ctx context.Context) error {
		n, err := f.s.RevokeCompanySessions(ctx, c.ID, u.ID, uuid.Nil, now)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		return boom
	}), boom)
	got, err := f.s.GetTokenByHash(ctx, inC.Digest)
	require.NoError(t, err)
	assert.False(t, got.Revoked(), "rolled back")

	n, err := f.s.RevokeCompanySessions(ctx, c.ID, u.ID, kept.ID, now)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the open ones in the company but the one kept")
	for _, tk := range []struct {
		name string
		tok  token.Token
		want time.Time
	}{{"in the company", inC, now}, {"kept", kept, time.Time{}}, {"revoked before", old, old.RevokedAt},
		{"elsewhere", inD, time.Time{}}, {"in no company", none, time.Time{}}, {"another user's", theirs, time.Time{}},
		{"an API token", api, time.Time{}}} {
		got, err := f.s.GetTokenByHash(ctx, tk.tok.Digest)
		require.NoError(t, err)
		assert.Equal(t, tk.want, got.RevokedAt, tk.name)
	}
	n, err = f.s.RevokeCompanySessions(ctx, c.ID, u.ID, uuid.Nil, now.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "then the kept one")
	n, err = f.s.RevokeCompanySessions(ctx, uuid.New(), u.ID, uuid.Nil, now)
	require.NoError(t, err)
	assert.Zero(t, n, "an unknown company has none")
}

// testTokenFlows runs the token Service's rules that depend on the store:
// single use under concurrency, instant revocation, a token shrinking with
// its creator, sessions from login links, and where sessions reach:
//
//   - ProvisionedSessionStaysWithItsCompanies: the partner who provisioned
//     a user and kept their session does not follow them into a company
//     they join later, nor after they left the partner;
//   - ProvisionedSessionReachesWhatItCreated: a company created through
//     the session is its own;
//   - AgencySessionSwitchesIntoConnectedCustomer: reach through the
//     session's company, and only through it;
//   - SignedInSessionFollowsMemberships: a link the host issued;
//   - NoSwitchConfinesBothWays: access_switch false, in and out.
func testTokenFlows(t *testing.T, newStore Factory) {
	ctx := context.Background()
	t.Run("ProvisionedSessionStaysWithItsCompanies", func(t *testing.T) {
		for _, leaveFirst := range []bool{false, true} {
			w := NewWorld(t, newStore(t), WithCompany(access.NewCompany{Name: "Partner"}))
			// The partner provisions a new e-mail, redeems the link itself
			// and keeps the session.
			login := redeem(t, w, w.AsOwner, token.Provision{Email: "person-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleAdmin})
			assert.Equal(t, token.OriginProvisioned, login.Origin)
			person := login.User
			secret := login.Session.Secret.Reveal()
			if leaveFirst {
				require.NoError(t, w.Access.RemoveMember(ctx, w.AsOwner, person.ID))
			}
			// The person joins V through someone else, as an ADMIN.
			v, _ := w.NewCompany(t, access.NewCompany{Name: "Venture"}, w.User(t, "v-owner"))
			w.AddMember(t, v.ID, person, access.RoleAdmin)

			sp, err := w.Token.Verify(ctx, secret)
			require.NoError(t, err)
			unknown := uuid.New()
			_, wantErr := w.Token.SwitchCompany(ctx, sp, access.SwitchTarget{CompanyID: unknown})
			assertNotFound(t, wantErr, access.CodeCompanyNotFound, "an unknown company")
			_, err = w.Token.SwitchCompany(ctx, sp, access.SwitchTarget{CompanyID: v.ID})
			assertNotFound(t, err, access.CodeCompanyNotFound, "V, as an unknown company (left first: %v)", leaveFirst)
			assert.Equal(t, strings.ReplaceAll(wantErr.Error(), unknown.String(), ""), strings.ReplaceAll(err.Error(), v.ID.String(), ""), "the same answer")
			_, err = w.Token.SwitchSession(ctx, secret, access.SwitchTarget{CompanyID: v.ID})
			assertNotFound(t, err, access.CodeCompanyNotFound, "by the secret too")
			_, err = w.Token.SwitchSession(ctx, secret, access.SwitchTarget{Name: "Venture"})
			var amb *access.AmbiguousError
			require.ErrorAs(t, err, &amb, "by name, V matches nothing")
			_, err = w.Token.SwitchSession(ctx, secret, access.SwitchTarget{Name: "Nobody Inc"})
			var none *access.AmbiguousError
			require.ErrorAs(t, err, &none)
			assert.Equal(t, none.Candidates, amb.Candidates, "as a name nobody has")
			assert.NotContains(t, amb.Candidates, "Venture")

			sp, err = w.Token.Verify(ctx, secret)
			require.NoError(t, err)
			assert.Equal(t, w.Company.ID, sp.CompanyID, "the session never moved")
			assert.NoError(t, w.Access.Check(ctx, access.UserPrincipal(person.ID, v.ID), access.UserView),
				"while the person themself acts in V")
		}
	})

	t.Run("ProvisionedSessionReachesWhatItCreated", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		login := redeem(t, w, w.AsOwner, token.Provision{Email: "maker-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleAdmin})
		secret := login.Session.Secret.Reveal()
		sp, err := w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		made, err := w.Token.CreateCompany(ctx, sp, access.NewCompany{Name: "Own Shop"})
		require.NoError(t, err)
		row, err := w.Store.GetTokenByHash(ctx, token.Hash(secret))
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{made.ID}, row.Companies, "the session learnt of its company")
		sp, err = w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		c, err := w.Token.SwitchCompany(ctx, sp, access.SwitchTarget{CompanyID: made.ID})
		require.NoError(t, err)
		assert.Equal(t, made.ID, c.ID)
		sp, err = w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		assert.Equal(t, made.ID, sp.CompanyID)
		require.NoError(t, w.Access.Check(ctx, sp, access.UserDelete), "as its OWNER")
		c, err = w.Token.SwitchSession(ctx, secret, access.SwitchTarget{Name: w.Company.Name})
		require.NoError(t, err, "and back home, by name")
		assert.Equal(t, w.Company.ID, c.ID)

		// A company its user creates otherwise is not the session's.
		other, err := w.Access.CreateCompany(ctx, access.UserPrincipal(login.User.ID, uuid.Nil), access.NewCompany{Name: "Elsewhere"})
		require.NoError(t, err)
		_, err = w.Token.SwitchSession(ctx, secret, access.SwitchTarget{CompanyID: other.ID})
		assertNotFound(t, err, access.CodeCompanyNotFound)
		// Nor is a company the session fails to create.
		sp, err = w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		_, err = w.Token.CreateCompany(ctx, sp, access.NewCompany{Name: " "})
		assert.ErrorIs(t, err, access.ErrInvalid)
		row, err = w.Store.GetTokenByHash(ctx, token.Hash(secret))
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{made.ID}, row.Companies)
	})

	t.Run("AgencySessionSwitchesIntoConnectedCustomer", func(t *testing.T) {
		w := NewWorld(t, newStore(t), WithCompany(access.NewCompany{Name: "Agency"}))
		sys := access.SystemPrincipal()
		customer, _ := w.NewCompany(t, access.NewCompany{Name: "Customer"}, w.User(t, "customer-owner"))
		_, err := w.Access.Connect(ctx, sys, sys, access.NewConnection{CustomerID: customer.ID, AgencyID: w.Company.ID,
			Permissions: []string{access.UserView}})
		require.NoError(t, err)
		// Another agency the person joins through others, and its customer.
		other, _ := w.NewCompany(t, access.NewCompany{Name: "Other Agency"}, w.User(t, "other-owner"))
		otherCustomer, _ := w.NewCompany(t, access.NewCompany{Name: "Other Customer"}, w.User(t, "oc-owner"))
		_, err = w.Access.Connect(ctx, sys, sys, access.NewConnection{CustomerID: otherCustomer.ID, AgencyID: other.ID,
			Permissions: []string{access.UserView}})
		require.NoError(t, err)

		login := redeem(t, w, w.AsOwner, token.Provision{Email: "agent-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleAdmin})
		secret := login.Session.Secret.Reveal()
		w.AddMember(t, other.ID, login.User, access.RoleAdmin)

		sp, err := w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		c, err := w.Token.SwitchCompany(ctx, sp, access.SwitchTarget{CompanyID: customer.ID})
		require.NoError(t, err, "an agency member into a connected customer")
		assert.Equal(t, customer.ID, c.ID)
		sp, err = w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		assert.Equal(t, customer.ID, sp.CompanyID)
		assert.NoError(t, w.Access.Check(ctx, sp, access.UserView), "with the connection's permissions")
		assert.ErrorIs(t, w.Access.Check(ctx, sp, access.UserAdd), access.ErrForbidden, "and no more")

		_, err = w.Token.SwitchCompany(ctx, sp, access.SwitchTarget{CompanyID: otherCustomer.ID})
		assertNotFound(t, err, access.CodeCompanyNotFound, "not through an agency the person joined through others")
		_, err = w.Token.SwitchCompany(ctx, sp, access.SwitchTarget{CompanyID: other.ID})
		assertNotFound(t, err, access.CodeCompanyNotFound)

		// The person's own session reaches through every agency of theirs.
		own := redeem(t, w, access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID},
			token.Provision{Email: login.User.Email, Role: access.RoleAdmin})
		op, err := w.Token.Verify(ctx, own.Session.Secret.Reveal())
		require.NoError(t, err)
		_, err = w.Token.SwitchCompany(ctx, op, access.SwitchTarget{CompanyID: otherCustomer.ID})
		require.NoError(t, err)

		// A customer where the person is a member of their own is reached
		// through that membership only: not by the confined session.
		w.AddMember(t, customer.ID, login.User, access.RoleViewer)
		sp, err = w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		c, err = w.Token.SwitchCompany(ctx, sp, access.SwitchTarget{CompanyID: w.Company.ID})
		require.NoError(t, err, "home again")
		sp, err = w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		_, err = w.Token.SwitchCompany(ctx, sp, access.SwitchTarget{CompanyID: customer.ID})
		assertNotFound(t, err, access.CodeCompanyNotFound)
	})

	t.Run("SignedInSessionFollowsMemberships", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		person := w.User(t, "person")
		w.AddMember(t, w.Company.ID, person, access.RoleViewer)
		// A link the host issues (the system) is the person's own sign-in.
		login := redeem(t, w, access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID},
			token.Provision{Email: person.Email, Role: access.RoleViewer})
		assert.Equal(t, token.OriginSignIn, login.Origin)
		secret := login.Session.Secret.Reveal()
		v, _ := w.NewCompany(t, access.NewCompany{Name: "Venture"}, w.User(t, "v-owner"))
		w.AddMember(t, v.ID, person, access.RoleAdmin)
		sp, err := w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		assert.False(t, sp.SessionConfined)
		assert.Equal(t, w.Company.ID, sp.SessionHome)
		c, err := w.Token.SwitchCompany(ctx, sp, access.SwitchTarget{CompanyID: v.ID})
		require.NoError(t, err, "a membership joined later")
		assert.Equal(t, v.ID, c.ID)
		_, err = w.Token.SwitchSession(ctx, secret, access.SwitchTarget{CompanyID: uuid.New()})
		assertNotFound(t, err, access.CodeCompanyNotFound)
	})

	t.Run("NoSwitchConfinesBothWays", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		login := redeem(t, w, w.AsOwner, token.Provision{Email: "fixed-" + uuid.NewString()[:8] + "@example.com",
			Role: access.RoleAdmin, NoSwitch: true})
		secret := login.Session.Secret.Reveal()
		sp, err := w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		made, err := w.Token.CreateCompany(ctx, sp, access.NewCompany{Name: "Side Shop"})
		require.NoError(t, err)
		sp, err = w.Token.Verify(ctx, secret)
		require.NoError(t, err)
		for _, to := range []access.SwitchTarget{{CompanyID: made.ID}, {CompanyID: uuid.New()}, {Name: "Side Shop"}} {
			_, err = w.Token.SwitchCompany(ctx, sp, to)
			assert.ErrorIs(t, err, access.ErrForbidden, "no switching out, whatever the target: %+v", to)
		}

		// The person's own session in their own company: no switching in.
		own := redeem(t, w, access.Principal{Kind: access.PrincipalSystem, CompanyID: made.ID},
			token.Provision{Email: login.User.Email, Role: access.RoleOwner})
		op, err := w.Token.Verify(ctx, own.Session.Secret.Reveal())
		require.NoError(t, err)
		_, err = w.Token.SwitchCompany(ctx, op, access.SwitchTarget{CompanyID: w.Company.ID})
		assert.ErrorIs(t, err, access.ErrForbidden, "no switching in")
		// And a session the host mints for that very membership: no way out.
		fixed := redeem(t, w, access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID},
			token.Provision{Email: login.User.Email, Role: access.RoleAdmin, NoSwitch: true})
		fp, err := w.Token.Verify(ctx, fixed.Session.Secret.Reveal())
		require.NoError(t, err)
		_, err = w.Token.SwitchCompany(ctx, fp, access.SwitchTarget{CompanyID: made.ID})
		assert.ErrorIs(t, err, access.ErrForbidden, "no switching out of it, signed in or not")
		for _, s := range []string{secret, fixed.Session.Secret.Reveal()} {
			p, err := w.Token.Verify(ctx, s)
			require.NoError(t, err)
			assert.Equal(t, w.Company.ID, p.CompanyID, "both stayed")
		}
	})

	t.Run("ConcurrentRedemption", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		tok := w.Token
		p, err := tok.Provision(ctx, w.AsOwner, token.Provision{Email: "jit-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleAdmin})
		require.NoError(t, err)
		u, err := url.Parse(p.LoginURL.Reveal())
		require.NoError(t, err)
		secret := u.Query().Get("token")
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = tok.RedeemLoginLinkSession(ctx, secret)
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			assert.ErrorIs(t, err, token.ErrLinkUsed)
		}
		assert.Equal(t, 1, ok, "exactly one redemption")
		page, err := w.Access.ListAudit(ctx, w.AsOwner, access.PageRequest{Limit: access.MaxPageLimit})
		require.NoError(t, err)
		sessions := 0
		for _, e := range page.Items {
			if e.Action == "session.created" {
				sessions++
			}
		}
		assert.Equal(t, 1, sessions, "exactly one session")
	})

	t.Run("TokenServiceRules", func(t *testing.T) {
		w := NewWorld(t, newStore(t))
		tok := w.Token
		admin, asAdmin := w.Member(t, "admin", access.RoleAdmin)
		c, err := tok.Create(ctx, asAdmin, token.NewToken{Name: "ci", Role: access.RoleAdmin})
		require.NoError(t, err)
		p, err := tok.Verify(ctx, c.Secret.Reveal())
		require.NoError(t, err)
		assert.Equal(t, access.TokenPrincipal(c.Token.ID, admin.ID, w.Company.ID, c.Token.Permissions, access.LevelAdmin, c.Token.CreatedAt), p)
		require.NoError(t, w.Access.Check(ctx, p, access.UserDelete))

		_, err = w.Access.UpdateMember(ctx, w.AsOwner, admin.ID, access.MemberUpdate{Role: new(access.RoleViewer)})
		require.NoError(t, err)
		assert.ErrorIs(t, w.Access.Check(ctx, p, access.UserDelete), access.ErrForbidden, "the token shrinks with its creator")
		assert.NoError(t, w.Access.Check(ctx, p, access.UserView))

		page, err := tok.List(ctx, w.AsOwner, access.PageRequest{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.False(t, page.Items[0].LastUsedAt.IsZero(), "the last use is recorded")

		_, err = tok.Revoke(ctx, w.AsOwner, c.Token.ID)
		require.NoError(t, err)
		_, err = tok.Verify(ctx, c.Secret.Reveal())
		assert.ErrorIs(t, err, token.ErrInvalidToken, "revocation is effective at once")

		// A login link minting a session; the session follows the user.
		prov, err := tok.Provision(ctx, w.AsOwner, token.Provision{Email: admin.Email, Role: access.RoleAdmin})
		require.NoError(t, err)
		u, err := url.Parse(prov.LoginURL.Reveal())
		require.NoError(t, err)
		login, err := tok.RedeemLoginLinkSession(ctx, u.Query().Get("token"))
		require.NoError(t, err)
		sp, err := tok.Verify(ctx, login.Session.Secret.Reveal())
		require.NoError(t, err)
		want := access.UserPrincipal(admin.ID, w.Company.ID)
		want.SessionID, want.SessionHome, want.SessionConfined = login.Session.Token.ID, w.Company.ID, true
		assert.Equal(t, want, sp, "the user, acting through that session, provisioned by the owner")
		require.NoError(t, tok.Logout(ctx, login.Session.Secret.Reveal()))
		_, err = tok.Verify(ctx, login.Session.Secret.Reveal())
		assert.ErrorIs(t, err, token.ErrInvalidToken)
	})
}

// redeem has p provision in (a login link in p's company) and redeems the
// link as a session.
func redeem(t *testing.T, w *World, p access.Principal, in token.Provision) token.Login {
	t.Helper()
	ctx := context.Background()
	pv, err := w.Token.Provision(ctx, p, in)
	require.NoError(t, err)
	secret, err := tokenOfURL(pv.LoginURL.Reveal())
	require.NoError(t, err)
	l, err := w.Token.RedeemLoginLinkSession(ctx, secret)
	require.NoError(t, err)
	require.NotNil(t, l.Session)
	return l
}

// testLogins runs password sign-in on top of the store: the token
// Service's Login, resets, password changes and introspection.
//
//   - LoginGivesASessionInTheActiveCompany, and the same refusal for a
//     wrong password and an unknown e-mail;
//   - ResetAnswersAlikeForUnknownEmails, with the Notifier hearing only
//     the known one;
//   - ResetLinkIsSingleUseUnderConcurrency, expires at 30 minutes and is
//     rotated by a new request;
//   - ResetAndChangeEndTheOtherSessions;
//   - Introspection of valid, revoked, expired and malformed tokens.
func testLogins(t *testing.T, newStore Factory) {
	runEach(t, newStore, []category{
		{"LoginGivesASessionInTheActiveCompany", testPasswordLogin},
		{"ResetAnswersAlikeForUnknownEmails", testResetAlike},
		{"ResetLinkIsSingleUseUnderConcurrency", testResetSingleUse},
		{"ResetLinkExpiresAndRotates", testResetExpiry},
		{"ResetAndChangeEndTheOtherSessions", testPasswordEndsSessions},
		{"Introspection", testIntrospection},
	})
}

const signInPassword = "correct horse battery staple"

// resetNotices records the password reset links a Notifier hears.
type resetNotices struct {
	mu     sync.Mutex
	events []token.PasswordReset
}

func (r *resetNotices) Notify(_ context.Context, e token.Event) {
	if ev, ok := e.(token.PasswordReset); ok {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, ev)
	}
}

func (r *resetNotices) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// last returns the secret of the last link heard, and who it went to.
func (r *resetNotices) last(t *testing.T) (string, access.User) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.events, "a reset link was sent")
	ev := r.events[len(r.events)-1]
	s, err := tokenOfURL(ev.ResetURL.Reveal())
	require.NoError(t, err)
	return s, ev.User
}

// signInWorld is a World whose users may have passwords (hashed cheaply)
// and whose reset links reach notices.
func signInWorld(t *testing.T, newStore Factory, notices *resetNotices) *World {
	return NewWorld(t, newStore(t), WithAccess(access.WithTestPasswordParams(access.PasswordParams{})),
		WithToken(token.WithNotifier(notices)))
}

// passwordMember creates a user with signInPassword, a member of the
// World's company with role.
func (w *World) passwordMember(t *testing.T, name, role string) access.User {
	t.Helper()
	u := w.CreateUser(t, access.NewUser{Email: name + "-" + uuid.NewString()[:8] + "@example.com", FirstName: name, Password: signInPassword})
	w.AddMember(t, w.Company.ID, u, role)
	return u
}

func testPasswordLogin(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := signInWorld(t, newStore, &resetNotices{})
	u := w.passwordMember(t, "person", access.RoleAdmin)
	other, _ := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other-owner"))
	w.AddMember(t, other.ID, u, access.RoleViewer)
	_, err := w.Access.SwitchCompany(ctx, access.UserPrincipal(u.ID, w.Company.ID), access.SwitchTarget{CompanyID: other.ID})
	require.NoError(t, err)

	login, err := w.Token.Login(ctx, u.Email, signInPassword)
	require.NoError(t, err)
	require.NotNil(t, login.Session)
	assert.Equal(t, other.ID, login.Company.ID, "in the user's active company")
	assert.Equal(t, token.OriginSignIn, login.Origin)
	p, err := w.Token.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	assert.Equal(t, u.ID, p.UserID)
	assert.Equal(t, other.ID, p.CompanyID)
	assert.False(t, p.SessionConfined, "the user's own sign-in follows their memberships")
	require.NoError(t, w.Access.Check(ctx, p, access.UserView))
	_, err = w.Token.SwitchCompany(ctx, p, access.SwitchTarget{CompanyID: w.Company.ID})
	require.NoError(t, err)
	row, err := w.Store.GetTokenByHash(ctx, token.Hash(login.Session.Secret.Reveal()))
	require.NoError(t, err)
	assert.Equal(t, token.OriginSignIn, row.Origin)
	assert.Equal(t, w.Company.ID, row.CompanyID, "the switch moved that session")

	_, wrong := w.Token.Login(ctx, u.Email, "not the password")
	_, unknown := w.Token.Login(ctx, "nobody-"+uuid.NewString()[:8]+"@example.com", "not the password")
	assert.ErrorIs(t, wrong, access.ErrInvalidCredentials)
	assert.Equal(t, wrong.Error(), unknown.Error(), "the same answer for an unknown e-mail")
	assert.Equal(t, access.CodeOf(wrong), access.CodeOf(unknown))

	// A user in no company gets a session in none.
	loner := w.CreateUser(t, access.NewUser{Email: "loner-" + uuid.NewString()[:8] + "@example.com", Password: signInPassword})
	login, err = w.Token.Login(ctx, loner.Email, signInPassword)
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, login.Company.ID)
	p, err = w.Token.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, p.CompanyID)
}

func testResetAlike(t *testing.T, newStore Factory) {
	ctx := context.Background()
	notices := &resetNotices{}
	w := signInWorld(t, newStore, notices)
	u := w.passwordMember(t, "person", access.RoleAdmin)
	require.NoError(t, w.Token.RequestPasswordReset(ctx, "nobody-"+uuid.NewString()[:8]+"@example.com"))
	assert.Zero(t, notices.count(), "nobody to tell")
	require.NoError(t, w.Token.RequestPasswordReset(ctx, u.Email))
	assert.Equal(t, 1, notices.count(), "the notifier hears only the known e-mail")
	_, to := notices.last(t)
	assert.Equal(t, u.ID, to.ID)
	assert.ErrorIs(t, w.Token.RequestPasswordReset(ctx, "not an address"), access.ErrInvalid)
}

func testResetSingleUse(t *testing.T, newStore Factory) {
	ctx := context.Background()
	notices := &resetNotices{}
	w := signInWorld(t, newStore, notices)
	u := w.passwordMember(t, "person", access.RoleAdmin)
	require.NoError(t, w.Token.RequestPasswordReset(ctx, u.Email))
	secret, _ := notices.last(t)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = w.Token.CompletePasswordReset(ctx, secret, fmt.Sprintf("new passphrase number %d", i))
		})
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, won, "exactly one completion")
			won = i
			continue
		}
		assert.ErrorIs(t, err, token.ErrLinkUsed)
	}
	require.NotEqual(t, -1, won, "one completion")
	_, err := w.Token.Login(ctx, u.Email, fmt.Sprintf("new passphrase number %d", won))
	assert.NoError(t, err, "the winner's password holds")
	_, err = w.Token.Login(ctx, u.Email, signInPassword)
	assert.ErrorIs(t, err, access.ErrInvalidCredentials)
}

func testResetExpiry(t *testing.T, newStore Factory) {
	ctx := context.Background()
	notices := &resetNotices{}
	w := signInWorld(t, newStore, notices)
	u := w.passwordMember(t, "person", access.RoleAdmin)
	require.NoError(t, w.Token.RequestPasswordReset(ctx, u.Email))
	first, _ := notices.last(t)
	w.Clock.Advance(30 * time.Minute)
	assert.ErrorIs(t, w.Token.CompletePasswordReset(ctx, first, "a brand new passphrase"), token.ErrLinkExpired,
		"expired at 30 minutes")
	require.NoError(t, w.Token.RequestPasswordReset(ctx, u.Email))
	second, _ := notices.last(t)
	require.NoError(t, w.Token.RequestPasswordReset(ctx, u.Email))
	third, _ := notices.last(t)
	assert.ErrorIs(t, w.Token.CompletePasswordReset(ctx, second, "a brand new passphrase"), token.ErrLinkRevoked,
		"rotated by the new request")
	w.Clock.Advance(30*time.Minute - time.Microsecond)
	require.NoError(t, w.Token.CompletePasswordReset(ctx, third, "a brand new passphrase"))
}

func testPasswordEndsSessions(t *testing.T, newStore Factory) {
	ctx := context.Background()
	notices := &resetNotices{}
	w := signInWorld(t, newStore, notices)
	u := w.passwordMember(t, "person", access.RoleAdmin)
	login := func(pw string) string {
		t.Helper()
		l, err := w.Token.Login(ctx, u.Email, pw)
		require.NoError(t, err)
		return l.Session.Secret.Reveal()
	}
	verifies := func(s string) bool {
		_, err := w.Token.Verify(ctx, s)
		return err == nil
	}
	asking, other := login(signInPassword), login(signInPassword)
	owner := redeem(t, w, access.Principal{Kind: access.PrincipalSystem, CompanyID: w.Company.ID},
		token.Provision{Email: w.Owner.Email, Role: access.RoleOwner}).Session.Secret.Reveal()
	p, err := w.Token.Verify(ctx, asking)
	require.NoError(t, err)
	assert.ErrorIs(t, w.Token.ChangePassword(ctx, p, "wrong", "a brand new passphrase"), access.ErrWrongPassword)
	assert.True(t, verifies(other), "a refused change ends nothing")
	require.NoError(t, w.Token.ChangePassword(ctx, p, signInPassword, "a brand new passphrase"))
	assert.True(t, verifies(asking), "the asking session stays")
	assert.False(t, verifies(other), "the other ends")
	assert.True(t, verifies(owner), "another user's stays")

	require.NoError(t, w.Token.RequestPasswordReset(ctx, u.Email))
	secret, _ := notices.last(t)
	require.NoError(t, w.Token.CompletePasswordReset(ctx, secret, "the passphrase after the reset"))
	assert.False(t, verifies(asking), "a reset ends every session")
	assert.True(t, verifies(owner))
	_, err = w.Token.Login(ctx, u.Email, "the passphrase after the reset")
	assert.NoError(t, err)
}

// mistyped is s with its last character changed: its checksum fails.
func mistyped(s string) string {
	last := byte('x')
	if s[len(s)-1] == last {
		last = 'y'
	}
	return s[:len(s)-1] + string(last)
}

func testIntrospection(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := signInWorld(t, newStore, &resetNotices{})
	u := w.passwordMember(t, "person", access.RoleAdmin)
	api := w.APIToken(t, w.AsOwner, access.RoleViewer)
	in, err := w.Token.Introspect(ctx, api.Secret.Reveal())
	require.NoError(t, err)
	assert.True(t, in.Active)
	assert.Equal(t, token.KindAPI, in.Kind)
	assert.Equal(t, w.Owner.ID, in.UserID)
	assert.Equal(t, w.Company.ID, in.CompanyID)
	assert.Equal(t, api.Token.ID, in.TokenID)
	assert.ElementsMatch(t, api.Token.Permissions, in.Permissions)
	assert.Equal(t, access.LevelViewer, in.Level)

	login, err := w.Token.Login(ctx, u.Email, signInPassword)
	require.NoError(t, err)
	in, err = w.Token.Introspect(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	assert.Equal(t, token.Introspection{Active: true, Kind: token.KindSession, UserID: u.ID, CompanyID: w.Company.ID,
		TokenID: login.Session.Token.ID, ExpiresAt: login.Session.Token.ExpiresAt}, in)

	_, err = w.Token.Revoke(ctx, w.AsOwner, api.Token.ID)
	require.NoError(t, err)
	ended, err := w.Token.Login(ctx, u.Email, signInPassword)
	require.NoError(t, err)
	p, err := w.Token.Verify(ctx, ended.Session.Secret.Reveal())
	require.NoError(t, err)
	require.NoError(t, w.Token.LogoutPrincipal(ctx, p))
	expiring, err := w.Token.Create(ctx, w.AsOwner, token.NewToken{Name: "short", Role: access.RoleViewer,
		ExpiresAt: w.Clock.Now().Add(time.Minute)})
	require.NoError(t, err)
	w.Clock.Advance(time.Minute)
	s := api.Secret.Reveal()
	for name, secret := range map[string]string{
		"revoked": s, "logged out": ended.Session.Secret.Reveal(), "expired": expiring.Secret.Reveal(),
		"malformed": mistyped(s), "unknown": token.Generate(token.KindSession).Reveal(),
	} {
		in, err := w.Token.Introspect(ctx, secret)
		require.NoError(t, err, name)
		assert.Equal(t, token.Introspection{}, in, name)
	}
}

// testSessions runs the token Service's sessions of a user on top of the
// store:
//
//   - ListAndRevokeOwnSessions: a user lists theirs (with the client the
//     host recorded, no digest), revokes one by ID, signs out everywhere;
//     no one else sees or ends them;
//   - SessionsStopWithTheMembership: a membership removed or deactivated
//     stops every session acting in that company at once, while those
//     acting elsewhere go on;
//   - AdminRevokesMemberSessions: USER_DELETE and the rank rule, in the
//     admin's company only.
func testSessions(t *testing.T, newStore Factory) {
	runEach(t, newStore, []category{
		{"ListAndRevokeOwnSessions", testOwnSessions},
		{"SessionsStopWithTheMembership", testSessionsStopWithMembership},
		{"AdminRevokesMemberSessions", testAdminRevokesSessions},
	})
}

// sessionOf mints a session of u acting in companyID as a host signs its
// user in (a login link the system issued, redeemed), with client.
func (w *World) sessionOf(t *testing.T, u access.User, companyID uuid.UUID, client token.ClientInfo) token.Login {
	t.Helper()
	sys := access.SystemPrincipal()
	sys.CompanyID = companyID
	m, err := w.Access.GetMember(context.Background(), sys, u.ID)
	require.NoError(t, err)
	pv, err := w.Token.Provision(context.Background(), sys, token.Provision{Email: u.Email, Role: m.Role})
	require.NoError(t, err)
	secret, err := tokenOfURL(pv.LoginURL.Reveal())
	require.NoError(t, err)
	l, err := w.Token.RedeemLoginLinkSession(token.WithClientInfo(context.Background(), client), secret)
	require.NoError(t, err)
	return l
}

func (w *World) verifies(secret string) bool {
	_, err := w.Token.Verify(context.Background(), secret)
	return err == nil
}

func testOwnSessions(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	u, _ := w.Member(t, "person", access.RoleAdmin)
	firefox := token.ClientInfo{UserAgent: "Mozilla/5.0 Firefox/140.0", IP: "203.0.113.9"}
	asking := w.sessionOf(t, u, w.Company.ID, firefox)
	w.Clock.Advance(time.Minute)
	phone := w.sessionOf(t, u, w.Company.ID, token.ClientInfo{UserAgent: "App/1.2\x00\n", IP: "[2001:db8::1]:443"})
	bare := w.sessionOf(t, u, w.Company.ID, token.ClientInfo{IP: "not an address"})
	owners := w.sessionOf(t, w.Owner, w.Company.ID, firefox)
	p, err := w.Token.Verify(ctx, asking.Session.Secret.Reveal())
	require.NoError(t, err)

	page, err := w.Token.ListSessions(ctx, p, u.ID, access.PageRequest{Limit: 2})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	require.NotEmpty(t, page.Next)
	next, err := w.Token.ListSessions(ctx, p, u.ID, access.PageRequest{Limit: 2, After: page.Next})
	require.NoError(t, err)
	require.Len(t, next.Items, 1)
	assert.Empty(t, next.Next)
	byID := map[uuid.UUID]token.Token{}
	for _, s := range append(page.Items, next.Items...) {
		assert.Equal(t, token.Digest{}, s.Digest, "no digest leaves the service")
		assert.Equal(t, w.Company.ID, s.CompanyID)
		assert.Equal(t, token.OriginSignIn, s.Origin)
		byID[s.ID] = s
	}
	require.Contains(t, byID, asking.Session.Token.ID)
	assert.Equal(t, firefox, byID[asking.Session.Token.ID].Client)
	assert.Equal(t, asking.Session.Token.CreatedAt, byID[asking.Session.Token.ID].CreatedAt)
	assert.Equal(t, asking.Session.Token.ExpiresAt, byID[asking.Session.Token.ID].ExpiresAt)
	assert.False(t, byID[asking.Session.Token.ID].LastUsedAt.IsZero(), "its last use")
	assert.Equal(t, token.ClientInfo{UserAgent: "App/1.2", IP: "2001:db8::1"}, byID[phone.Session.Token.ID].Client, "stored clean")
	assert.Equal(t, token.ClientInfo{}, byID[bare.Session.Token.ID].Client, "no address but an address")
	assert.NotContains(t, byID, owners.Session.Token.ID)

	// No one else sees or ends them, not even the OWNER of their company.
	_, err = w.Token.ListSessions(ctx, w.AsOwner, u.ID, access.PageRequest{})
	assertNotFound(t, err, access.CodeUserNotFound)
	_, err = w.Token.RevokeSession(ctx, w.AsOwner, u.ID, phone.Session.Token.ID)
	assertNotFound(t, err, access.CodeUserNotFound)
	_, err = w.Token.SignOutEverywhere(ctx, w.AsOwner, u.ID)
	assertNotFound(t, err, access.CodeUserNotFound)
	_, err = w.Token.ListSessions(ctx, access.Principal{}, u.ID, access.PageRequest{})
	assert.ErrorIs(t, err, access.ErrUnauthenticated)
	_, err = w.Token.RevokeSession(ctx, p, u.ID, owners.Session.Token.ID)
	assertNotFound(t, err, access.CodeSessionNotFound, "another user's session is not theirs")
	assert.True(t, w.verifies(owners.Session.Secret.Reveal()))

	r, err := w.Token.RevokeSession(ctx, p, u.ID, phone.Session.Token.ID)
	require.NoError(t, err)
	assert.Equal(t, w.Clock.Now(), r.RevokedAt)
	assert.Equal(t, token.Digest{}, r.Digest)
	assert.False(t, w.verifies(phone.Session.Secret.Reveal()), "revoked at once")
	assert.True(t, w.verifies(bare.Session.Secret.Reveal()), "the others stay")
	w.Clock.Advance(time.Second)
	again, err := w.Token.RevokeSession(ctx, p, u.ID, phone.Session.Token.ID)
	require.NoError(t, err)
	assert.Equal(t, r.RevokedAt, again.RevokedAt, "revoking again changes nothing")
	page, err = w.Token.ListSessions(ctx, p, u.ID, access.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 2, "a revoked session is no longer listed")

	n, err := w.Token.SignOutEverywhere(ctx, p, u.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the asking one included")
	assert.False(t, w.verifies(asking.Session.Secret.Reveal()))
	assert.False(t, w.verifies(bare.Session.Secret.Reveal()))
	assert.True(t, w.verifies(owners.Session.Secret.Reveal()), "another user's stays")

	// The system (the host) lists and ends any user's.
	later := w.sessionOf(t, u, w.Company.ID, token.ClientInfo{})
	page, err = w.Token.ListSessions(ctx, access.SystemPrincipal(), u.ID, access.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, later.Session.Token.ID, page.Items[0].ID)
	_, err = w.Token.RevokeSession(ctx, access.SystemPrincipal(), u.ID, later.Session.Token.ID)
	require.NoError(t, err)
	assert.False(t, w.verifies(later.Session.Secret.Reveal()))
}

func testSessionsStopWithMembership(t *testing.T, newStore Factory) {
	ctx := context.Background()
	for _, end := range []string{"deactivated", "removed"} {
		w := NewWorld(t, newStore(t))
		u, _ := w.Member(t, "person", access.RoleAdmin)
		beta, _ := w.NewCompany(t, access.NewCompany{Name: "Beta"}, w.User(t, "beta-owner"))
		w.AddMember(t, beta.ID, u, access.RoleAdmin)
		inAcme := w.sessionOf(t, u, w.Company.ID, token.ClientInfo{})
		inBeta := w.sessionOf(t, u, beta.ID, token.ClientInfo{})
		acme, err := w.Token.Verify(ctx, inAcme.Session.Secret.Reveal())
		require.NoError(t, err)
		require.NoError(t, w.Access.Check(ctx, acme, access.UserView))

		if end == "removed" {
			require.NoError(t, w.Access.RemoveMember(ctx, w.AsOwner, u.ID))
		} else {
			_, err := w.Access.UpdateMember(ctx, w.AsOwner, u.ID, access.MemberUpdate{Active: new(false)})
			require.NoError(t, err)
		}
		acme, err = w.Token.Verify(ctx, inAcme.Session.Secret.Reveal())
		require.NoError(t, err, "the session itself lives on (%s)", end)
		for perm, check := range map[string]error{
			"check":  w.Access.Check(ctx, acme, access.UserView),
			"level":  w.Access.CheckLevel(ctx, acme, access.Resource{Type: access.ResourceAccount}, access.LevelViewer),
			"member": func() error { _, err := w.Access.GetMember(ctx, acme, u.ID); return err }(),
			"list":   func() error { _, err := w.Access.ListMembers(ctx, acme, access.MemberFilter{}); return err }(),
		} {
			require.Error(t, check, "%s: %s", end, perm)
			assert.True(t, errors.Is(check, access.ErrForbidden) || errors.Is(check, access.ErrNotFound), "%s: %s: %v", end, perm, check)
		}
		_, err = w.Token.CreateCompany(ctx, acme, access.NewCompany{Name: "Through " + end})
		assert.NoError(t, err, "what needs no company still works (%s)", end)
		b, err := w.Token.Verify(ctx, inBeta.Session.Secret.Reveal())
		require.NoError(t, err)
		assert.NoError(t, w.Access.Check(ctx, b, access.UserDelete), "the session in Beta acts on (%s)", end)
	}
}

func testAdminRevokesSessions(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t))
	admin, _ := w.Member(t, "admin", access.RoleAdmin)
	peer, _ := w.Member(t, "peer", access.RoleAdmin)
	viewer, asViewer := w.Member(t, "viewer", access.RoleViewer)
	deleter, _ := w.Member(t, "deleter", access.RoleViewer, access.UserDelete)
	beta, asBetaOwner := w.NewCompany(t, access.NewCompany{Name: "Beta"}, w.User(t, "beta-owner"))
	w.AddMember(t, beta.ID, viewer, access.RoleViewer)
	stranger := w.User(t, "stranger")
	w.AddMember(t, beta.ID, stranger, access.RoleViewer)

	session := func(u access.User, companyID uuid.UUID) (token.Login, access.Principal) {
		t.Helper()
		l := w.sessionOf(t, u, companyID, token.ClientInfo{})
		p, err := w.Token.Verify(ctx, l.Session.Secret.Reveal())
		require.NoError(t, err)
		return l, p
	}
	_, asAdmin := session(admin, w.Company.ID)
	v1, _ := session(viewer, w.Company.ID)
	v2, _ := session(viewer, w.Company.ID)
	vBeta, _ := session(viewer, beta.ID)
	peerS, _ := session(peer, w.Company.ID)
	deleterS, asDeleter := session(deleter, w.Company.ID)

	_, err := w.Token.RevokeMemberSessions(ctx, asViewer, admin.ID)
	assert.ErrorIs(t, err, access.ErrForbidden, "USER_DELETE is needed")
	_, err = w.Token.RevokeMemberSessions(ctx, asAdmin, peer.ID)
	assert.ErrorIs(t, err, access.ErrForbidden, "an ADMIN does not outrank an ADMIN")
	_, err = w.Token.RevokeMemberSessions(ctx, asDeleter, admin.ID)
	assert.ErrorIs(t, err, access.ErrForbidden, "nor a VIEWER an ADMIN")
	_, err = w.Token.RevokeMemberSessions(ctx, asAdmin, w.Owner.ID)
	assert.ErrorIs(t, err, access.ErrForbidden)
	assert.True(t, w.verifies(peerS.Session.Secret.Reveal()), "refusals end nothing")
	_, err = w.Token.RevokeMemberSessions(ctx, asAdmin, stranger.ID)
	assertNotFound(t, err, access.CodeMemberNotFound, "a user of another company is unknown here")
	_, err = w.Token.RevokeMemberSessions(ctx, asBetaOwner, admin.ID)
	assertNotFound(t, err, access.CodeMemberNotFound, "and the other way round")

	n, err := w.Token.RevokeMemberSessions(ctx, asAdmin, viewer.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.False(t, w.verifies(v1.Session.Secret.Reveal()))
	assert.False(t, w.verifies(v2.Session.Secret.Reveal()))
	assert.True(t, w.verifies(vBeta.Session.Secret.Reveal()), "their session in Beta stays")

	n, err = w.Token.RevokeMemberSessions(ctx, w.AsOwner, peer.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the OWNER outranks an ADMIN")
	assert.False(t, w.verifies(peerS.Session.Secret.Reveal()))

	// One's own, without USER_DELETE, the asking session kept.
	other, _ := session(deleter, w.Company.ID)
	n, err = w.Token.RevokeMemberSessions(ctx, asDeleter, deleter.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.False(t, w.verifies(other.Session.Secret.Reveal()))
	assert.True(t, w.verifies(deleterS.Session.Secret.Reveal()), "the asking session stays")
}

// withStatus is tk as GetTokenByHash returns it for an active user: with
// the user's status read alongside.
func withStatus(tk token.Token) token.Token {
	tk.UserStatus = access.UserActive
	return tk
}
