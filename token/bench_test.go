package token_test

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// BenchmarkVerify is the whole verification of an API token on the memory
// store: parse, checksum, SHA-256, one lookup, expiry and revocation.
func BenchmarkVerify(b *testing.B) {
	e := newEnv(b)
	c, err := e.tok.Create(ctx, e.asOwner, token.NewToken{Name: "bench", Role: access.RoleAdmin})
	require.NoError(b, err)
	s := c.Secret.Reveal()
	svc := token.NewService(access.NewService(e.st.Store, access.WithClock(e.clock.Now))) // the bare memory store, the env's clock
	if _, err := svc.Verify(ctx, s); err != nil {                                         // records the last use once
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Verify(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyFloor is the least any verification costs: one SHA-256 of
// the token and one map lookup.
func BenchmarkVerifyFloor(b *testing.B) {
	s := token.Generate(token.KindAPI).Reveal()
	m := map[[32]byte]token.Token{}
	for range 10 {
		m[sha256.Sum256([]byte(token.Generate(token.KindAPI).Reveal()))] = token.Token{}
	}
	m[sha256.Sum256([]byte(s))] = token.Token{Name: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		var buf [64]byte // as token.Hash: no allocation
		n := copy(buf[:], s)
		if _, ok := m[sha256.Sum256(buf[:n])]; !ok {
			b.Fatal("missing")
		}
	}
}

// BenchmarkVerifyMalformed is the refusal of a mistyped token: no hash,
// no store.
func BenchmarkVerifyMalformed(b *testing.B) {
	e := newEnv(b)
	s := token.Generate(token.KindAPI).Reveal()
	s = s[:len(s)-1] + "!"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.tok.Verify(ctx, s); err == nil {
			b.Fatal("accepted")
		}
	}
}

func TestVerifyAllocatesNothing(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, e.asOwner, token.NewToken{Role: access.RoleAdmin})
	s := c.Secret.Reveal()
	_, err := e.tok.Verify(ctx, s)
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if _, err := e.tok.Verify(ctx, s); err != nil {
			t.Fatal(err)
		}
	}), "a good token")
	bad := s[:len(s)-1] + "!"
	unknown := token.Generate(token.KindAPI).Reveal()
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		_, _ = e.tok.Verify(ctx, bad)
		_, _ = e.tok.Verify(ctx, unknown)
	}), "refusals")
}

// BenchmarkVerifyChild is BenchmarkVerify for a token another token made
// (token.ManageTokens), two deep: the ancestors are read too, in one
// look-up. Tokens a member made (BenchmarkVerify) pay nothing for it.
func BenchmarkVerifyChild(b *testing.B) {
	e := newEnv(b)
	m, err := e.tok.Create(ctx, e.asOwner, token.NewToken{Name: "m", Role: access.RoleAdmin, Permissions: []string{token.ManageTokens}})
	require.NoError(b, err)
	mp, err := e.tok.Verify(ctx, m.Secret.Reveal())
	require.NoError(b, err)
	c, err := e.tok.Create(ctx, mp, token.NewToken{Name: "c", Role: access.RoleAdmin, Permissions: []string{token.ManageTokens}})
	require.NoError(b, err)
	cp, err := e.tok.Verify(ctx, c.Secret.Reveal())
	require.NoError(b, err)
	g, err := e.tok.Create(ctx, cp, token.NewToken{Name: "g", Role: access.RoleViewer})
	require.NoError(b, err)
	s := g.Secret.Reveal()
	svc := token.NewService(access.NewService(e.st.Store, access.WithClock(e.clock.Now)))
	if _, err := svc.Verify(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Verify(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}
