package storetest

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/token"
)

// testTokenStore covers package token's Store, then the token Service's
// rules that depend on the store (single use under concurrency, instant
// revocation, a token shrinking with its creator).
func testTokenStore(t *testing.T, newStore Factory) {
	ctx := context.Background()
	// Times as the services make them: UTC, whole microseconds.
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	apiToken := func(w *world, perms ...string) token.Token {
		s := token.Generate(token.KindAPI)
		return token.Token{ID: id(), Kind: token.KindAPI, CompanyID: w.company.ID, UserID: w.owner.ID,
			Name: "ci", Permissions: perms, Level: access.LevelAdmin, Digest: token.Hash(s.Reveal()),
			Hint: s.Hint(), CreatedAt: now}
	}
	session := func(w *world) token.Token {
		s := token.Generate(token.KindSession)
		return token.Token{ID: id(), Kind: token.KindSession, UserID: w.owner.ID, Name: "session",
			Digest: token.Hash(s.Reveal()), Hint: s.Hint(), ExpiresAt: now.Add(time.Hour), CreatedAt: now}
	}
	link := func(w *world, userID uuid.UUID, ttl time.Duration) token.LoginLink {
		return token.LoginLink{ID: id(), CompanyID: w.company.ID, UserID: userID, CreatedBy: w.owner.ID,
			Digest: token.Hash(token.Generate(token.KindLoginLink).Reveal()), ExpiresAt: now.Add(ttl), CreatedAt: now}
	}

	t.Run("CreateAndGetTokens", func(t *testing.T) {
		w := newWorld(t, newStore)
		a := apiToken(w, access.UserEdit, access.UserView)
		a.ExpiresAt = now.Add(24 * time.Hour)
		require.NoError(t, w.st.CreateToken(ctx, &a))
		got, err := w.st.GetTokenByHash(ctx, a.Digest)
		require.NoError(t, err)
		assert.Equal(t, a, got)
		got, err = w.st.GetToken(ctx, w.company.ID, a.ID)
		require.NoError(t, err)
		assert.Equal(t, a, got)

		none := apiToken(w)
		require.NoError(t, w.st.CreateToken(ctx, &none))
		got, err = w.st.GetToken(ctx, w.company.ID, none.ID)
		require.NoError(t, err)
		assert.Empty(t, got.Permissions)
		assert.True(t, got.ExpiresAt.IsZero() && got.LastUsedAt.IsZero() && got.RevokedAt.IsZero(), "zero times stay zero")

		s := session(w)
		require.NoError(t, w.st.CreateToken(ctx, &s))
		got, err = w.st.GetTokenByHash(ctx, s.Digest)
		require.NoError(t, err)
		assert.Equal(t, s, got)
		_, err = w.st.GetToken(ctx, uuid.Nil, s.ID)
		assert.ErrorIs(t, err, access.ErrNotFound, "GetToken finds API tokens only")

		dup := apiToken(w)
		dup.ID = a.ID
		err = w.st.CreateToken(ctx, &dup)
		assert.ErrorIs(t, err, access.ErrConflict)
		assert.Equal(t, access.CodeIDTaken, access.CodeOf(err))
		dup = apiToken(w)
		dup.Digest = a.Digest
		err = w.st.CreateToken(ctx, &dup)
		assert.Equal(t, access.CodeTokenTaken, access.CodeOf(err), "digests are unique")

		orphan := apiToken(w)
		orphan.CompanyID = uuid.New()
		assert.ErrorIs(t, w.st.CreateToken(ctx, &orphan), access.ErrNotFound)
		orphan = apiToken(w)
		orphan.UserID = uuid.New()
		assert.ErrorIs(t, w.st.CreateToken(ctx, &orphan), access.ErrNotFound)

		_, err = w.st.GetTokenByHash(ctx, token.Hash("unknown"))
		assert.ErrorIs(t, err, access.ErrNotFound)
		_, err = w.st.GetToken(ctx, w.company.ID, uuid.New())
		assert.ErrorIs(t, err, access.ErrNotFound)
	})

	t.Run("TokensAreIsolatedByCompany", func(t *testing.T) {
		w := newWorld(t, newStore)
		other := newWorld(t, func(*testing.T) store.Store { return w.st })
		a := apiToken(w)
		require.NoError(t, w.st.CreateToken(ctx, &a))
		_, err := w.st.GetToken(ctx, other.company.ID, a.ID)
		assert.ErrorIs(t, err, access.ErrNotFound)
		_, err = w.st.RevokeToken(ctx, other.company.ID, a.ID, now)
		assert.ErrorIs(t, err, access.ErrNotFound)
		_, err = w.st.RevokeToken(ctx, uuid.Nil, a.ID, now)
		assert.ErrorIs(t, err, access.ErrNotFound, "an API token is no session")
		list, err := w.st.ListTokens(ctx, other.company.ID, access.Cursor{})
		require.NoError(t, err)
		assert.Empty(t, list)
		got, err := w.st.GetToken(ctx, w.company.ID, a.ID)
		require.NoError(t, err)
		assert.False(t, got.Revoked())
	})

	t.Run("ListTokens", func(t *testing.T) {
		w := newWorld(t, newStore)
		var ids []uuid.UUID
		for range 5 {
			a := apiToken(w, access.UserView)
			require.NoError(t, w.st.CreateToken(ctx, &a))
			ids = append(ids, a.ID)
		}
		s := session(w)
		require.NoError(t, w.st.CreateToken(ctx, &s))
		var got []uuid.UUID
		c := access.Cursor{Limit: 2}
		for range 5 {
			page, err := w.st.ListTokens(ctx, w.company.ID, c)
			require.NoError(t, err)
			for _, tk := range page {
				got = append(got, tk.ID)
				assert.Equal(t, []string{access.UserView}, tk.Permissions)
			}
			if len(page) < c.Limit {
				break
			}
			c.After = page[len(page)-1].ID
		}
		assert.Equal(t, ids, got, "ordered by ID, sessions left out")
	})

	t.Run("RevokeToken", func(t *testing.T) {
		w := newWorld(t, newStore)
		a := apiToken(w)
		require.NoError(t, w.st.CreateToken(ctx, &a))
		r, err := w.st.RevokeToken(ctx, w.company.ID, a.ID, now.Add(time.Second))
		require.NoError(t, err)
		assert.Equal(t, now.Add(time.Second), r.RevokedAt)
		r, err = w.st.RevokeToken(ctx, w.company.ID, a.ID, now.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, now.Add(time.Second), r.RevokedAt, "the first revocation stays")
		got, err := w.st.GetTokenByHash(ctx, a.Digest)
		require.NoError(t, err)
		assert.True(t, got.Revoked(), "revoked tokens are still found, to be refused")

		s := session(w)
		require.NoError(t, w.st.CreateToken(ctx, &s))
		_, err = w.st.RevokeToken(ctx, w.company.ID, s.ID, now)
		assert.ErrorIs(t, err, access.ErrNotFound)
		r, err = w.st.RevokeToken(ctx, uuid.Nil, s.ID, now)
		require.NoError(t, err)
		assert.Equal(t, now, r.RevokedAt)
		_, err = w.st.RevokeToken(ctx, w.company.ID, uuid.New(), now)
		assert.ErrorIs(t, err, access.ErrNotFound)
	})

	t.Run("MoveSession", func(t *testing.T) {
		w := newWorld(t, newStore)
		s := session(w)
		s.CompanyID = w.company.ID
		require.NoError(t, w.st.CreateToken(ctx, &s))
		other, err := w.svc.CreateCompany(ctx, access.UserPrincipal(w.owner.ID, uuid.Nil), access.NewCompany{Name: "Other"})
		require.NoError(t, err)
		require.NoError(t, w.st.MoveSession(ctx, s.ID, other.ID))
		got, err := w.st.GetTokenByHash(ctx, s.Digest)
		require.NoError(t, err)
		assert.Equal(t, other.ID, got.CompanyID)
		assertNotFound(t, w.st.MoveSession(ctx, s.ID, uuid.New()))
		assertNotFound(t, w.st.MoveSession(ctx, uuid.New(), other.ID))
		a := apiToken(w)
		require.NoError(t, w.st.CreateToken(ctx, &a))
		assertNotFound(t, w.st.MoveSession(ctx, a.ID, other.ID))
		got, err = w.st.GetTokenByHash(ctx, a.Digest)
		require.NoError(t, err)
		assert.Equal(t, w.company.ID, got.CompanyID, "an API token never moves")
	})

	t.Run("TouchToken", func(t *testing.T) {
		w := newWorld(t, newStore)
		a := apiToken(w)
		require.NoError(t, w.st.CreateToken(ctx, &a))
		require.NoError(t, w.st.TouchToken(ctx, a.ID, now.Add(time.Minute)))
		got, err := w.st.GetToken(ctx, w.company.ID, a.ID)
		require.NoError(t, err)
		assert.Equal(t, now.Add(time.Minute), got.LastUsedAt)
		require.NoError(t, w.st.TouchToken(ctx, a.ID, now), "an earlier use is no error")
		got, err = w.st.GetToken(ctx, w.company.ID, a.ID)
		require.NoError(t, err)
		assert.Equal(t, now.Add(time.Minute), got.LastUsedAt, "and changes nothing")
		assert.ErrorIs(t, w.st.TouchToken(ctx, uuid.New(), now), access.ErrNotFound)
	})

	t.Run("DeletedCompanyTakesItsTokens", func(t *testing.T) {
		w := newWorld(t, newStore)
		a := apiToken(w)
		require.NoError(t, w.st.CreateToken(ctx, &a))
		l := link(w, w.owner.ID, time.Hour)
		require.NoError(t, w.st.CreateLoginLink(ctx, &l))
		require.NoError(t, w.st.DeleteCompany(ctx, w.company.ID))
		_, err := w.st.GetTokenByHash(ctx, a.Digest)
		assert.ErrorIs(t, err, access.ErrNotFound)
		_, err = w.st.GetToken(ctx, w.company.ID, a.ID)
		assert.ErrorIs(t, err, access.ErrNotFound)
		_, err = w.st.ConsumeLoginLink(ctx, l.Digest, now)
		assert.ErrorIs(t, err, access.ErrNotFound)
	})

	t.Run("TokenRollback", func(t *testing.T) {
		w := newWorld(t, newStore)
		a := apiToken(w)
		boom := errors.New("boom")
		err := w.st.RunInTx(ctx, func(ctx context.Context) error {
			require.NoError(t, w.st.CreateToken(ctx, &a))
			require.NoError(t, w.st.TouchToken(ctx, a.ID, now))
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = w.st.GetTokenByHash(ctx, a.Digest)
		assert.ErrorIs(t, err, access.ErrNotFound)

		// A conflict inside a transaction leaves it usable.
		require.NoError(t, w.st.CreateToken(ctx, &a))
		b := apiToken(w)
		require.NoError(t, w.st.RunInTx(ctx, func(ctx context.Context) error {
			dup := a
			assert.ErrorIs(t, w.st.CreateToken(ctx, &dup), access.ErrConflict)
			return w.st.CreateToken(ctx, &b)
		}))
		_, err = w.st.GetTokenByHash(ctx, b.Digest)
		assert.NoError(t, err)
	})

	t.Run("LoginLinks", func(t *testing.T) {
		w := newWorld(t, newStore)
		l := link(w, w.owner.ID, time.Minute)
		require.NoError(t, w.st.CreateLoginLink(ctx, &l))
		dup := l
		dup.Digest = token.Hash("other")
		assert.Equal(t, access.CodeIDTaken, access.CodeOf(w.st.CreateLoginLink(ctx, &dup)))
		dup = link(w, w.owner.ID, time.Minute)
		dup.Digest = l.Digest
		assert.Equal(t, access.CodeTokenTaken, access.CodeOf(w.st.CreateLoginLink(ctx, &dup)))
		bad := link(w, uuid.New(), time.Minute)
		assert.ErrorIs(t, w.st.CreateLoginLink(ctx, &bad), access.ErrNotFound)

		got, err := w.st.ConsumeLoginLink(ctx, l.Digest, now.Add(time.Second))
		require.NoError(t, err)
		want := l
		want.UsedAt = now.Add(time.Second)
		assert.Equal(t, want, got)
		_, err = w.st.ConsumeLoginLink(ctx, l.Digest, now.Add(2*time.Second))
		assert.ErrorIs(t, err, token.ErrLinkUsed)
		_, err = w.st.ConsumeLoginLink(ctx, token.Hash("unknown"), now)
		assert.ErrorIs(t, err, access.ErrNotFound)

		expired := link(w, w.owner.ID, time.Minute)
		require.NoError(t, w.st.CreateLoginLink(ctx, &expired))
		_, err = w.st.ConsumeLoginLink(ctx, expired.Digest, expired.ExpiresAt)
		assert.ErrorIs(t, err, token.ErrLinkExpired, "now >= expires_at is expired")
		_, err = w.st.ConsumeLoginLink(ctx, expired.Digest, expired.ExpiresAt.Add(-time.Microsecond))
		assert.NoError(t, err, "a microsecond before is not")

		// A failed transaction does not consume.
		again := link(w, w.owner.ID, time.Minute)
		require.NoError(t, w.st.CreateLoginLink(ctx, &again))
		boom := errors.New("boom")
		require.ErrorIs(t, w.st.RunInTx(ctx, func(ctx context.Context) error {
			_, err := w.st.ConsumeLoginLink(ctx, again.Digest, now)
			require.NoError(t, err)
			return boom
		}), boom)
		_, err = w.st.ConsumeLoginLink(ctx, again.Digest, now)
		assert.NoError(t, err)
	})

	t.Run("RevokeLoginLinks", func(t *testing.T) {
		w := newWorld(t, newStore)
		u, _ := w.member(t, "m", access.RoleViewer)
		open1, open2 := link(w, u.ID, time.Minute), link(w, u.ID, time.Minute)
		used, mine := link(w, u.ID, time.Minute), link(w, w.owner.ID, time.Minute)
		for _, l := range []*token.LoginLink{&open1, &open2, &used, &mine} {
			require.NoError(t, w.st.CreateLoginLink(ctx, l))
		}
		_, err := w.st.ConsumeLoginLink(ctx, used.Digest, now)
		require.NoError(t, err)
		n, err := w.st.RevokeLoginLinks(ctx, w.company.ID, u.ID, now)
		require.NoError(t, err)
		assert.Equal(t, 2, n, "the open links of that user in that company")
		n, err = w.st.RevokeLoginLinks(ctx, w.company.ID, u.ID, now)
		require.NoError(t, err)
		assert.Zero(t, n)
		for _, l := range []token.LoginLink{open1, open2} {
			_, err = w.st.ConsumeLoginLink(ctx, l.Digest, now)
			assert.ErrorIs(t, err, token.ErrLinkRevoked)
		}
		_, err = w.st.ConsumeLoginLink(ctx, used.Digest, now)
		assert.ErrorIs(t, err, token.ErrLinkUsed, "used stays used")
		_, err = w.st.ConsumeLoginLink(ctx, mine.Digest, now)
		assert.NoError(t, err, "another user's link is untouched")
	})

	t.Run("ConcurrentRedemption", func(t *testing.T) {
		w := newWorld(t, newStore)
		tok := token.NewService(w.svc, w.st)
		p, err := tok.Provision(ctx, w.asOwner, token.Provision{Email: "jit-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleAdmin})
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
		page, err := w.svc.ListAudit(ctx, w.asOwner, access.PageRequest{Limit: access.MaxPageLimit})
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
		w := newWorld(t, newStore)
		tok := token.NewService(w.svc, w.st)
		admin, asAdmin := w.member(t, "admin", access.RoleAdmin)
		c, err := tok.Create(ctx, asAdmin, token.NewToken{Name: "ci", Role: access.RoleAdmin})
		require.NoError(t, err)
		p, err := tok.Verify(ctx, c.Secret.Reveal())
		require.NoError(t, err)
		assert.Equal(t, access.TokenPrincipal(c.Token.ID, admin.ID, w.company.ID, c.Token.Permissions, access.LevelAdmin, c.Token.CreatedAt), p)
		require.NoError(t, w.svc.Check(ctx, p, access.UserDelete))

		_, err = w.svc.UpdateMember(ctx, w.asOwner, admin.ID, access.MemberUpdate{Role: ptr(access.RoleViewer)})
		require.NoError(t, err)
		assert.ErrorIs(t, w.svc.Check(ctx, p, access.UserDelete), access.ErrForbidden, "the token shrinks with its creator")
		assert.NoError(t, w.svc.Check(ctx, p, access.UserView))

		page, err := tok.List(ctx, w.asOwner, access.PageRequest{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.False(t, page.Items[0].LastUsedAt.IsZero(), "the last use is recorded")

		_, err = tok.Revoke(ctx, w.asOwner, c.Token.ID)
		require.NoError(t, err)
		_, err = tok.Verify(ctx, c.Secret.Reveal())
		assert.ErrorIs(t, err, token.ErrInvalidToken, "revocation is effective at once")

		// A login link minting a session; the session follows the user.
		prov, err := tok.Provision(ctx, w.asOwner, token.Provision{Email: admin.Email, Role: access.RoleAdmin})
		require.NoError(t, err)
		u, err := url.Parse(prov.LoginURL.Reveal())
		require.NoError(t, err)
		login, err := tok.RedeemLoginLinkSession(ctx, u.Query().Get("token"))
		require.NoError(t, err)
		sp, err := tok.Verify(ctx, login.Session.Secret.Reveal())
		require.NoError(t, err)
		assert.Equal(t, access.UserPrincipal(admin.ID, w.company.ID), sp)
		require.NoError(t, tok.Logout(ctx, login.Session.Secret.Reveal()))
		_, err = tok.Verify(ctx, login.Session.Secret.Reveal())
		assert.ErrorIs(t, err, token.ErrInvalidToken)
	})
}
