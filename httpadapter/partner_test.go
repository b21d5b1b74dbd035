package httpadapter_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/httpadapter"
	"github.com/gatehouse-go/gatehouse/invite"
)

const users = "/portal/instance/access/users"

func TestPartnerCompanySelection(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		for _, q := range []string{"merchant_id=acme-key", "merchant_id=" + e.company.ID.String(), "domain_id=ACME.example"} {
			r := must(t, 200, e.call("GET", users+"?"+q, e.ownerT, nil), q)
			assert.Equal(t, e.owner.Email, r.str("result", 0, "email"), q)
		}
		r := must(t, 400, e.call("GET", users, e.ownerT, nil))
		assert.Equal(t, "merchant_id", r.str("error", "field"))
		must(t, 400, e.call("GET", users+"?merchant_id=acme-key&domain_id=acme.example", e.ownerT, nil))
		// Another company, by any of its names, is 404 like an unknown one.
		other, _, _ := e.otherCompany("Other")
		foreign := must(t, 404, e.call("GET", users+"?merchant_id="+other.ID.String(), e.ownerT, nil))
		unknown := must(t, 404, e.call("GET", users+"?merchant_id=no-such-merchant", e.ownerT, nil))
		assert.JSONEq(t, string(unknown.Raw), string(foreign.Raw))
		must(t, 401, e.call("GET", users+"?merchant_id=acme-key", "", nil))
	})
}

func TestPartnerTokenStaysInItsCompany(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		// The owner also owns a second company: their Acme token must still not
		// act there, although the owner could.
		e := newEnv(t, st)
		second, err := e.acc.CreateCompany(t.Context(), e.ownerP, access.NewCompany{Name: "Second", ExternalKey: "second-key"})
		require.NoError(t, err)
		must(t, 404, e.call("GET", users+"?merchant_id=second-key", e.ownerT, nil))
		must(t, 404, e.call("GET", "/api/accounts/"+second.ID.String()+"/account_accesses", e.ownerT, nil))
		must(t, 404, e.call("GET", "/api/v1/companies/"+second.ID.String()+"/users", e.ownerT, nil))
		// A session of the same owner may.
		must(t, 200, e.call("GET", users+"?merchant_id=second-key", e.session(e.owner), nil))
	})
}

func TestPartnerPaging(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		for i := range 4 {
			e.member(fmt.Sprintf("m%d", i), access.RoleAdmin)
		}
		seen := map[string]bool{}
		for page := 1; page <= 3; page++ {
			r := must(t, 200, e.call("GET", fmt.Sprintf("%s?merchant_id=acme-key&per_page=2&page=%d", users, page), e.ownerT, nil))
			assert.Equal(t, float64(page), r.get("meta", "current_page"))
			for _, u := range r.get("result").([]any) {
				seen[u.(map[string]any)["id"].(string)] = true
			}
			if page < 3 {
				assert.Equal(t, float64(page+1), r.get("meta", "next_page"))
			} else {
				assert.Nil(t, r.get("meta", "next_page"))
				assert.Equal(t, float64(2), r.get("meta", "prev_page"))
			}
		}
		assert.Len(t, seen, 5)
		r := must(t, 200, e.call("GET", users+"?merchant_id=acme-key&per_page=2&page=9", e.ownerT, nil))
		assert.Empty(t, r.get("result"))
		assert.Equal(t, float64(8), r.get("meta", "prev_page"))
		assert.Nil(t, r.get("meta", "next_page"))
		// access bounds the pages: the deepest starts MaxPageOffset members in.
		deepest := access.MaxPageOffset/100 + 1
		must(t, 200, e.call("GET", fmt.Sprintf("%s?merchant_id=acme-key&per_page=100&page=%d", users, deepest), e.ownerT, nil))
		for _, q := range []string{"page=0", "page=two", fmt.Sprintf("per_page=100&page=%d", deepest+1),
			"per_page=0", fmt.Sprintf("per_page=%d", access.MaxPageLimit+1), "per_page=x"} {
			r = must(t, 400, e.call("GET", users+"?merchant_id=acme-key&"+q, e.ownerT, nil), q)
			field, _, _ := strings.Cut(q[strings.LastIndex(q, "&")+1:], "=")
			assert.Equal(t, field, r.str("error", "field"), q)
			assert.Equal(t, access.CodeInvalid, r.code("error", "code"), q)
		}
	})
}

func TestPartnerGrantProvisionAndLoginLink(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		_, adminT := e.member("admin", access.RoleAdmin)

		// Grant to a new e-mail: an invitation, as for any e-mail the
		// caller cannot see (consent_test.go); accepting it joins.
		r := must(t, 200, e.call("POST", users+"?merchant_id=acme-key", adminT, map[string]any{"email": "Grace@Example.com", "role": "ADMIN"}))
		assert.Equal(t, "invited", r.str("result", "outcome"))
		assert.Equal(t, "grace@example.com", r.str("result", "email"))
		assert.Equal(t, "ADMIN", r.str("result", "role"))
		assert.Equal(t, false, r.get("result", "is_active"))
		assert.Empty(t, e.grants, "no access granted yet")
		ev := e.lastEvent()
		assert.Equal(t, invite.EventCreated, ev.Type)
		assert.Equal(t, r.str("result", "invitation", "id"), ev.Invitation.ID.String())
		assert.NotContains(t, string(r.Raw), ev.Token.Reveal(), "the link goes to the person only")
		r = must(t, 200, e.call("POST", "/access/invite/accept", "", map[string]any{"token": ev.Token.Reveal()}))
		assert.Equal(t, true, r.get("data", "new_user"))
		grace, err := e.acc.GetMember(context.Background(), e.ownerP, uuid.MustParse(r.str("data", "user_id")))
		require.NoError(t, err)
		assert.Equal(t, access.RoleAdmin, grace.Role)

		// Grant to a member the caller sees: the role at once, a notice
		// with a login link.
		low, _ := e.member("low", access.RoleViewer)
		r = must(t, 200, e.call("POST", users+"?merchant_id=acme-key", adminT, map[string]any{"email": low.Email, "role": "ADMIN"}))
		assert.Equal(t, "granted", r.str("result", "outcome"))
		assert.Equal(t, low.ID.String(), r.str("result", "id"))
		assert.Equal(t, low.FirstName, r.str("result", "first_name"))
		assert.Equal(t, "ADMIN", r.str("result", "role"))
		assert.NotContains(t, string(r.Raw), "login", "the link goes to the person only")
		require.Len(t, e.grants, 1, "token notified once, after the commit")
		g := e.grants[0]
		assert.False(t, g.NewUser)
		assert.Equal(t, e.company.ID, g.Company.ID)
		assert.Equal(t, low.Email, g.Member.User.Email)
		assert.Equal(t, access.RoleAdmin, g.Member.Role)
		assert.Equal(t, "[REDACTED]", fmt.Sprint(g.LoginURL), "the link prints redacted")
		assert.True(t, strings.HasPrefix(g.LoginURL.Reveal(), loginBase+httpadapter.LoginPath+"?token="), g.LoginURL.Reveal())
		// The notice's link opens the adapter's page and signs in.
		r = must(t, 200, e.call("POST", strings.TrimPrefix(g.LoginURL.Reveal(), loginBase), "", nil))
		assert.Equal(t, g.Member.UserID.String(), r.str("user_id"))
		// Privilege ceiling: an ADMIN cannot grant OWNER; the seed knows OWNER and ADMIN only.
		must(t, 403, e.call("POST", users+"?merchant_id=acme-key", adminT, map[string]any{"email": "x@example.com", "role": "OWNER"}))
		r = must(t, 400, e.call("POST", users+"?merchant_id=acme-key", adminT, map[string]any{"email": "x@example.com", "role": "VIEWER"}))
		assert.Equal(t, "role", r.str("error", "field"))
		assert.Len(t, e.grants, 1, "nothing was granted, nobody notified")

		// Provision returns the link itself.
		r = must(t, 200, e.call("POST", users+"/provision?domain_id=acme.example", e.ownerT, map[string]any{"email": "pat@example.com", "role": "ADMIN", "access_switch": false}))
		link := r.str("result", "login_url")
		userID := r.str("result", "id")
		require.True(t, strings.HasPrefix(link, loginBase+httpadapter.LoginPath+"?token="), "the token service's link, as is: %s", link)
		path := strings.TrimPrefix(link, loginBase)

		// GET only shows a page, however often: no side effect.
		for range 3 {
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			assert.Equal(t, 200, rec.Code)
			assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
			assert.Contains(t, rec.Header().Get("Content-Type"), "text/html")
			assert.Contains(t, rec.Body.String(), `<form method="post">`)
			assert.NotContains(t, rec.Body.String(), linkToken(t, link), "the page does not repeat the token")
		}
		// The POST redeems once.
		r = must(t, 200, e.call("POST", path, "", nil))
		assert.Equal(t, userID, r.str("user_id"))
		assert.Equal(t, e.company.ID.String(), r.str("company_id"))
		assert.Equal(t, "no-referrer", r.Header.Get("Referrer-Policy"))
		session := r.str("session_token")
		require.NotEmpty(t, session)
		r = must(t, 200, e.call("GET", users+"/"+userID+"?merchant_id=acme-key", session, nil), "the session acts as the user")
		assert.Equal(t, "ADMIN", r.str("result", "role"))
		r = must(t, 410, e.call("POST", path, "", nil))
		assert.Equal(t, access.CodeLinkUsed, r.code("error", "code"))

		// Expiry: 410 too.
		r = must(t, 200, e.call("POST", users+"/provision?merchant_id=acme-key", e.ownerT, map[string]any{"email": "late@example.com", "role": "ADMIN"}))
		e.clock.Advance(11 * time.Minute)
		must(t, 410, e.call("POST", strings.TrimPrefix(r.str("result", "login_url"), loginBase), "", nil))
		must(t, 401, e.call("POST", "/portal/instance/access/login?token="+e.malformed("lnk"), "", nil))
		must(t, 400, e.call("POST", "/portal/instance/access/login", "", nil))

		// A user with a company of their own, whom the caller cannot see:
		// provisioning refuses (a link would sign the caller in as them,
		// and taking them needs their consent: the one documented
		// existence oracle), a grant invites them as it invites a new
		// e-mail.
		victim, err := e.acc.CreateUser(context.Background(), access.SystemPrincipal(), access.NewUser{Email: "victim@example.com"})
		require.NoError(t, err)
		_, err = e.acc.CreateCompany(context.Background(), access.UserPrincipal(victim.ID, uuid.Nil), access.NewCompany{Name: "Victim Inc"})
		require.NoError(t, err)
		r = must(t, 403, e.call("POST", users+"/provision?merchant_id=acme-key", e.ownerT, map[string]any{"email": "victim@example.com", "role": "ADMIN"}))
		assert.Equal(t, access.CodeConsentRequired, r.code("error", "code"))
		n := len(e.grants)
		r = must(t, 200, e.call("POST", users+"?merchant_id=acme-key", e.ownerT, map[string]any{"email": "victim@example.com", "role": "ADMIN"}))
		assert.Equal(t, "invited", r.str("result", "outcome"))
		assert.Len(t, e.grants, n, "no access granted")
		_, err = e.acc.GetMember(context.Background(), e.ownerP, victim.ID)
		assert.ErrorIs(t, err, access.ErrNotFound, "the victim did not join")
	})
}

func TestPartnerLoginLinkSingleUseUnderConcurrency(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		r := must(t, 200, e.call("POST", users+"/provision?merchant_id=acme-key", e.ownerT, map[string]any{"email": "race@example.com", "role": "ADMIN"}))
		path := strings.TrimPrefix(r.str("result", "login_url"), loginBase)
		var wg sync.WaitGroup
		codes := make([]int, 8)
		for i := range codes {
			wg.Go(func() {
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, httptest.NewRequest("POST", path, nil))
				codes[i] = rec.Code
			})
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			if c == http.StatusOK {
				ok++
			} else {
				assert.Equal(t, http.StatusGone, c)
			}
		}
		assert.Equal(t, 1, ok, "exactly one redemption succeeds")
	})
}

func TestPartnerGetUpdateDelete(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		admin, adminT := e.member("admin", access.RoleAdmin)
		other, _ := e.member("other", access.RoleAdmin)
		u := users + "/" + other.ID.String() + "?merchant_id=acme-key"

		r := must(t, 200, e.call("GET", u, adminT, nil))
		assert.Equal(t, e.owner.ID.String(), r.str("result", "created_by", "id"))
		must(t, 400, e.call("GET", users+"/not-a-uuid?merchant_id=acme-key", adminT, nil))
		must(t, 404, e.call("GET", users+"/0193a3c0-0000-7000-8000-000000000000?merchant_id=acme-key", adminT, nil))

		// An ADMIN cannot deactivate another ADMIN; the OWNER can.
		must(t, 403, e.call("PUT", u, adminT, map[string]any{"is_active": false}))
		r = must(t, 200, e.call("PUT", u, e.ownerT, map[string]any{"is_active": false}))
		assert.Equal(t, false, r.get("result", "is_active"))
		// The last OWNER stays.
		must(t, 409, e.call("PUT", users+"/"+e.owner.ID.String()+"?merchant_id=acme-key", e.ownerT, map[string]any{"role": "ADMIN"}))
		must(t, 409, e.call("DELETE", users+"/"+e.owner.ID.String()+"?merchant_id=acme-key", e.ownerT, nil))

		r = must(t, 200, e.call("DELETE", u, e.ownerT, nil))
		assert.Equal(t, map[string]any{}, r.get("result"))
		must(t, 404, e.call("DELETE", u, e.ownerT, nil))
		// Leaving is allowed without USER_DELETE.
		must(t, 200, e.call("DELETE", users+"/"+admin.ID.String()+"?merchant_id=acme-key", e.session(admin), nil))
	})
}
