package httpadapter_test

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/httpadapter"
	"github.com/gatehouse-go/gatehouse/invite"
)

func TestManagementAudit(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		admin, adminT := e.member("admin", access.RoleAdmin)
		viewer, viewerT := e.member("viewer", access.RoleViewer)
		start := e.clock.Now()
		e.clock.Advance(time.Minute)
		must(t, 200, e.call("POST", "/access/add", adminT, map[string]any{"email": "new@example.com"}))
		must(t, 403, e.call("POST", "/access/add", viewerT, map[string]any{"email": "nope@example.com"}))
		e.clock.Advance(time.Minute)
		mid := e.clock.Now()
		must(t, 200, e.call("POST", "/access/edit", e.session(admin), map[string]any{"user_id": viewer.ID.String(), "add_roles": []string{"USER_EDIT"}}))

		list := func(q url.Values) []map[string]any {
			t.Helper()
			var out []map[string]any
			q.Set("limit", "2")
			for range 100 {
				r := must(t, 200, e.call("GET", "/access/audit?"+q.Encode(), adminT, nil))
				for _, ev := range r.get("data", "events").([]any) {
					out = append(out, ev.(map[string]any))
				}
				next := r.str("data", "next_cursor")
				if next == "" {
					return out
				}
				q.Set("cursor", next)
			}
			t.Fatal("endless pages")
			return nil
		}
		all := list(url.Values{})
		require.NotEmpty(t, all)
		for i := 1; i < len(all); i++ {
			assert.LessOrEqual(t, all[i-1]["at"], all[i]["at"], "oldest first")
		}
		for _, ev := range list(url.Values{"action": {"invitation"}}) {
			assert.Regexp(t, `^invitation\.`, ev["action"])
		}
		denied := list(url.Values{"outcome": {"denied"}})
		require.NotEmpty(t, denied, "the viewer's refused add")
		for _, ev := range denied {
			assert.Equal(t, "denied", ev["outcome"])
		}
		actor := "user:" + admin.ID.String() // the session's edit; the token's actions are token:<id>
		mine := list(url.Values{"actor": {actor}, "since": {start.Format(time.RFC3339Nano)}})
		require.NotEmpty(t, mine)
		for _, ev := range mine {
			assert.Equal(t, actor, ev["actor"])
		}
		late := list(url.Values{"since": {mid.Format(time.RFC3339Nano)}})
		early := list(url.Values{"until": {mid.Format(time.RFC3339Nano)}})
		assert.Len(t, all, len(late)+len(early), "since and until split the trail")
		for _, ev := range late {
			at, err := time.Parse(time.RFC3339Nano, ev["at"].(string))
			require.NoError(t, err)
			assert.False(t, at.Before(mid))
		}
		target := list(url.Values{"target": {"user:" + viewer.ID.String()}, "action": {"membership"}})
		require.NotEmpty(t, target)
		for _, ev := range target {
			assert.Equal(t, "user:"+viewer.ID.String(), ev["target"])
		}

		r := must(t, 400, e.call("GET", "/access/audit?since=yesterday", adminT, nil))
		assert.Equal(t, "since", r.str("data", "field"))
		r = must(t, 400, e.call("GET", "/access/audit?outcome=maybe", adminT, nil))
		assert.Equal(t, "outcome", r.str("data", "field"))
		must(t, 400, e.call("GET", "/access/audit?since="+url.QueryEscape(mid.Format(time.RFC3339))+"&until="+url.QueryEscape(start.Format(time.RFC3339)), adminT, nil))
		must(t, 403, e.call("GET", "/access/audit", viewerT, nil), "ADMIN or above")
		must(t, 401, e.call("GET", "/access/audit", "", nil))
		// Another company's trail is not the caller's.
		_, _, otherT := e.otherCompany("Other")
		r = must(t, 200, e.call("GET", "/access/audit?actor="+url.QueryEscape(actor), otherT, nil))
		assert.Empty(t, r.get("data", "events"))
	})
}

func TestManagementInvitationsByStatusAndResend(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		_, adminT := e.member("admin", access.RoleAdmin)
		must(t, 200, e.call("POST", "/access/add", adminT, map[string]any{"email": "a@example.com"}))
		r := must(t, 200, e.call("POST", "/access/add", adminT, map[string]any{"email": "b@example.com"}))
		assert.Empty(t, r.str("data", "invitation", "token"), "no link without the option")
		b := r.str("data", "invitation", "id")
		must(t, 200, e.call("POST", "/access/invite/"+b+"/reject", adminT, nil))

		sent := func(status string) []any {
			t.Helper()
			r := must(t, 200, e.call("GET", "/access/invite?status="+status, adminT, nil))
			return r.get("data", "sent").([]any)
		}
		assert.Len(t, sent(""), 1, "pending by default")
		assert.Len(t, sent("revoked"), 1)
		assert.Len(t, sent("any"), 2)
		assert.Empty(t, sent("expired"))
		r = must(t, 400, e.call("GET", "/access/invite?status=gone", adminT, nil))
		assert.Equal(t, "status", r.str("data", "field"))

		e.clock.Advance(invite.DefaultValidity)
		ex := sent("expired")
		require.Len(t, ex, 1)
		id := ex[0].(map[string]any)["id"].(string)
		r = must(t, 200, e.call("POST", "/access/invite/"+id+"/resend", adminT, nil))
		assert.Equal(t, "pending", r.str("data", "status"))
		assert.Equal(t, "2", fmt.Sprint(r.get("data", "send_count")))
		assert.Empty(t, r.str("data", "token"))
		r = must(t, 409, e.call("POST", "/access/invite/"+id+"/resend", adminT, nil))
		assert.Equal(t, access.CodeResendTooSoon, r.code("data", "code"))
		assert.Len(t, sent("pending"), 1)
		must(t, 409, e.call("POST", "/access/invite/"+b+"/resend", adminT, nil), "a revoked one stays revoked")
	})
}

func TestManagementInvitationRateLimit(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		_, adminT := e.member("admin", access.RoleAdmin)
		for i := range invite.DefaultInviterHourlyLimit {
			must(t, 200, e.call("POST", "/access/add", adminT, map[string]any{"email": fmt.Sprintf("r%d@example.com", i)}))
		}
		e.clock.Advance(10 * time.Minute)
		r := must(t, 429, e.call("POST", "/access/add", adminT, map[string]any{"email": "over@example.com"}))
		assert.Equal(t, access.CodeRateLimited, r.code("data", "code"))
		assert.Equal(t, strconv.Itoa(50*60), r.Header.Get("Retry-After"))
		assert.Equal(t, "3000", fmt.Sprint(r.get("data", "retry_after")))
		r = must(t, 429, e.call("POST", "/access/invite", adminT, map[string]any{"email": "x@other.example",
			"company_name": "Other", "relation": "agency"}))
		assert.NotEmpty(t, r.Header.Get("Retry-After"))
		// Another inviter of the company still may.
		must(t, 200, e.call("POST", "/access/add", e.ownerT, map[string]any{"email": "owner-invites@example.com"}))
		e.clock.Advance(50 * time.Minute)
		must(t, 200, e.call("POST", "/access/add", adminT, map[string]any{"email": "over@example.com"}), "the hour passed")
	})
}

func TestInvitationLinksInResponses(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st, httpadapter.WithInvitationLinksInResponses())
		r := must(t, 200, e.call("POST", "/access/add", e.ownerT, map[string]any{"email": "dev@example.com"}))
		tok := r.str("data", "invitation", "token")
		require.NotEmpty(t, tok, "the development option hands out the link")
		assert.Equal(t, e.lastEvent().Token.Reveal(), tok)
		id := r.str("data", "invitation", "id")
		e.clock.Advance(invite.DefaultResendCooldown)
		r = must(t, 200, e.call("POST", "/access/invite/"+id+"/resend", e.ownerT, nil))
		again := r.str("data", "token")
		require.NotEmpty(t, again)
		assert.NotEqual(t, tok, again)
		r = must(t, 200, e.call("GET", "/access/invite", e.ownerT, nil))
		for _, inv := range r.get("data", "sent").([]any) {
			assert.NotContains(t, inv, "token", "listings never carry a link")
		}
		must(t, 200, e.call("POST", "/access/invite/accept", "", map[string]any{"token": again}))
	})
}
