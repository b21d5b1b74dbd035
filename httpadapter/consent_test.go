package httpadapter_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
)

// TestNoOneJoinsWithoutConsent: POST /access/add and the partner grant
// answer an e-mail nobody registered and another company's user byte for
// byte alike (but for IDs, timestamps and the address itself), with no
// name of the stranger, and neither joins.
func TestNoOneJoinsWithoutConsent(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		ctx := context.Background()
		stranger := e.CreateUser(t, access.NewUser{Email: "zelda@elsewhere.example", FirstName: "Zelda", LastName: "Quartermaine"})
		_, _ = e.NewCompany(t, access.NewCompany{Name: "Elsewhere"}, stranger)
		_, adminT := e.member("admin", access.RoleAdmin)
		unknown := "nobody@nowhere.example"

		routes := []struct {
			name, path string
			tok        func() string // minted per call: the clock moves past the cooldown
			body       map[string]any
		}{
			{"management add", "/access/add", func() string { return adminT }, map[string]any{"role": "VIEWER", "roles": []string{"USER_VIEW"}}},
			{"management add as a session", "/access/add", func() string { return e.session(e.owner) }, map[string]any{}},
			{"partner grant", users + "?merchant_id=acme-key", func() string { return adminT }, map[string]any{"role": "ADMIN"}},
			{"partner grant by domain", users + "?domain_id=acme.example", func() string { return e.ownerT }, map[string]any{"role": "ADMIN"}},
		}
		for _, rt := range routes {
			t.Run(rt.name, func(t *testing.T) {
				var tok string
				call := func(email string) *resp {
					body := map[string]any{"email": email}
					for k, v := range rt.body {
						body[k] = v
					}
					return e.call("POST", rt.path, tok, body)
				}
				// Twice each: a first invitation (or a refresh of the previous
				// route's), then its refresh, each past the resend cooldown.
				for range 2 {
					e.clock.Advance(invite.DefaultResendCooldown)
					tok = rt.tok()
					s, u := call(stranger.Email), call(unknown)
					require.Equal(t, u.Status, s.Status, "%s\n%s", s.Raw, u.Raw)
					assert.Equal(t, 200, s.Status)
					assert.Equal(t, blank(string(u.Raw), unknown), blank(string(s.Raw), stranger.Email),
						"a stranger's answer is an unknown e-mail's")
					for _, secret := range []string{stranger.FirstName, stranger.LastName, stranger.ID.String()} {
						assert.NotContains(t, string(s.Raw), secret, "nothing of the stranger's account")
					}
				}
				_, err := e.acc.GetMember(ctx, e.ownerP, stranger.ID)
				assert.ErrorIs(t, err, access.ErrNotFound, "the stranger did not join")
				_, err = e.acc.GetUserByEmail(ctx, access.SystemPrincipal(), unknown)
				assert.ErrorIs(t, err, access.ErrNotFound, "no account before the person accepts")
			})
		}

		// Other routes that show a user's profile hide a stranger as an
		// unknown ID.
		for _, path := range []string{
			users + "/" + stranger.ID.String() + "?merchant_id=acme-key",
			"/api/v1/users/" + stranger.ID.String() + "/user_access?company_id=" + e.company.ID.String(),
		} {
			s := e.call("GET", path, adminT, nil)
			u := e.call("GET", strings.Replace(path, stranger.ID.String(), "0193a3c0-0000-7000-8000-000000000000", 1), adminT, nil)
			assert.Equal(t, 404, s.Status, "%s: %s", path, s.Raw)
			assert.Equal(t, string(u.Raw), string(s.Raw), path)
		}
		s := e.call("POST", "/api/v1/users/"+stranger.ID.String()+"/user_access", adminT,
			map[string]any{"company_id": e.company.ID.String(), "access_id": roleID(t, e, "VIEWER")})
		assert.Equal(t, 404, s.Status, "%s", s.Raw)
		assert.NotContains(t, string(s.Raw), stranger.FirstName)
	})
}

var (
	anyUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	anyTime = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
)

// blank removes from an answer what differs by construction: IDs,
// timestamps and the e-mail asked about.
func blank(body, email string) string {
	body = strings.ReplaceAll(body, email, "EMAIL")
	body = anyUUID.ReplaceAllString(body, "ID")
	return anyTime.ReplaceAllString(body, "TIME")
}
