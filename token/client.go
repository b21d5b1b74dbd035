package token

import (
	"context"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxUserAgentBytes bounds the user agent a session keeps: longer ones are
// cut at a character boundary.
const MaxUserAgentBytes = 512

// ClientInfo is what the host chose to record about the client a session
// was minted for, kept with the session (Token.Client) and shown in its
// user's listing (Service.ListSessions) so they can tell their sessions
// apart. It is never a secret, and holds only these fields: no header,
// cookie or token of the request can end up in it.
type ClientInfo struct {
	// UserAgent is the client's User-Agent, stored printable: control
	// characters and invalid UTF-8 are dropped, and it is cut to
	// MaxUserAgentBytes.
	UserAgent string
	// IP is the client's address as the host determined it (behind a
	// proxy, only the host knows which forwarded address to trust). An
	// "addr:port" keeps its address; anything that is not an IP address
	// is not stored.
	IP string
}

type clientKey struct{}

// WithClientInfo returns ctx carrying c, for the calls that mint a session
// (Login, RedeemLoginLinkSession): a host records its client by wrapping
// its handlers (the HTTP adapter's sign-in routes pass the request's
// context through), e.g.
//
//	r = r.WithContext(token.WithClientInfo(r.Context(), token.ClientInfo{UserAgent: r.UserAgent(), IP: clientIP(r)}))
//
// Without it a session records no client.
func WithClientInfo(ctx context.Context, c ClientInfo) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientInfoFrom returns the ClientInfo WithClientInfo put in ctx, as
// given.
func ClientInfoFrom(ctx context.Context) (ClientInfo, bool) {
	c, ok := ctx.Value(clientKey{}).(ClientInfo)
	return c, ok
}

// clean is c as a session stores it.
func (c ClientInfo) clean() ClientInfo {
	ua := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(c.UserAgent, ""))
	ua = strings.TrimSpace(ua)
	if len(ua) > MaxUserAgentBytes {
		cut := MaxUserAgentBytes
		for cut > 0 && !utf8.RuneStart(ua[cut]) {
			cut-- // never half a character
		}
		ua = strings.TrimSpace(ua[:cut])
	}
	return ClientInfo{UserAgent: ua, IP: cleanIP(strings.TrimSpace(c.IP))}
}

// cleanIP is s as a canonical address, or "".
func cleanIP(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("").String()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("").String()
	}
	return ""
}
