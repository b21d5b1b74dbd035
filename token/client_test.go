package token_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// TestClientInfoStoredClean: a session keeps the client the host put in
// the context, printable, bounded and with a canonical address only.
func TestClientInfoStoredClean(t *testing.T) {
	long := strings.Repeat("é", token.MaxUserAgentBytes) // 2 bytes each
	for _, c := range []struct {
		name     string
		in, want token.ClientInfo
		none     bool
	}{
		{name: "as given", in: token.ClientInfo{UserAgent: "Mozilla/5.0 (X11) Firefox/140.0", IP: "203.0.113.9"},
			want: token.ClientInfo{UserAgent: "Mozilla/5.0 (X11) Firefox/140.0", IP: "203.0.113.9"}},
		{name: "control characters and bad UTF-8 dropped", in: token.ClientInfo{UserAgent: " App\x00/1\r\n\xff.0\t "},
			want: token.ClientInfo{UserAgent: "App/1.0"}},
		{name: "cut at a character", in: token.ClientInfo{UserAgent: "a" + long},
			want: token.ClientInfo{UserAgent: "a" + strings.Repeat("é", (token.MaxUserAgentBytes-1)/2)}},
		{name: "addr:port", in: token.ClientInfo{IP: "198.51.100.4:8443"}, want: token.ClientInfo{IP: "198.51.100.4"}},
		{name: "IPv4-mapped", in: token.ClientInfo{IP: "[::ffff:192.0.2.1]:80"}, want: token.ClientInfo{IP: "192.0.2.1"}},
		{name: "IPv6 canonical", in: token.ClientInfo{IP: "2001:DB8:0:0::1%eth0"}, want: token.ClientInfo{IP: "2001:db8::1"}},
		{name: "no address", in: token.ClientInfo{IP: "evil.example; DROP TABLE"}, want: token.ClientInfo{}},
		{name: "none recorded", none: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			u, _ := e.member(t, "member", access.RoleAdmin)
			sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company.ID}
			p, err := e.tok.Provision(ctx, sys, token.Provision{Email: u.Email, Role: access.RoleAdmin})
			require.NoError(t, err)
			rctx := context.Background()
			if !c.none {
				rctx = token.WithClientInfo(rctx, c.in)
			}
			l, err := e.tok.RedeemLoginLinkSession(rctx, linkSecret(t, p))
			require.NoError(t, err)
			assert.Equal(t, c.want, l.Session.Token.Client)
			page, err := e.tok.ListSessions(ctx, access.UserPrincipal(u.ID, e.company.ID), u.ID, access.PageRequest{})
			require.NoError(t, err)
			require.Len(t, page.Items, 1)
			assert.Equal(t, c.want, page.Items[0].Client)
			assert.LessOrEqual(t, len(page.Items[0].Client.UserAgent), token.MaxUserAgentBytes)
		})
	}
	got, ok := token.ClientInfoFrom(token.WithClientInfo(context.Background(), token.ClientInfo{IP: "x"}))
	assert.True(t, ok)
	assert.Equal(t, token.ClientInfo{IP: "x"}, got, "as given")
	_, ok = token.ClientInfoFrom(context.Background())
	assert.False(t, ok)
}
