package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
)

// mix weighs the four operations (out of 100).
type mix struct {
	name                         string
	verified, page, invite, role int
}

var mixes = []mix{
	{name: "read-heavy", verified: 60, page: 30, invite: 5, role: 5},
	{name: "write-heavy", verified: 15, page: 15, invite: 35, role: 35},
}

// requestTimeout bounds every request, so a cell ends soon after its time.
const requestTimeout = 30 * time.Second

// result is one cell's measurements.
type result struct {
	elapsed  time.Duration
	lat      []time.Duration // every request's
	refused  int             // answered 403 or 409 as a rule says
	failures []string        // unexpected answers, a few of them
	failed   int
}

func (r *result) merge(o *result) {
	r.lat = append(r.lat, o.lat...)
	r.refused += o.refused
	r.failed += o.failed
	if len(r.failures) < 5 {
		r.failures = append(r.failures, o.failures...)
	}
}

func (r *result) fail(format string, args ...any) {
	r.failed++
	if len(r.failures) < 5 {
		r.failures = append(r.failures, fmt.Sprintf(format, args...))
	}
}

// row is the cell's line of the table.
func (r *result) row(mix string, instances int) string {
	slices.Sort(r.lat)
	q := func(p float64) string {
		if len(r.lat) == 0 {
			return "-"
		}
		return fmtDur(r.lat[int(p*float64(len(r.lat)-1))])
	}
	rate := float64(len(r.lat)) / r.elapsed.Seconds()
	return fmt.Sprintf("| %s | %d | %d | %.0f | %s | %s | %s | %d | %d |",
		mix, instances, len(r.lat), rate, q(0.50), q(0.95), q(0.99), r.refused, r.failed)
}

func fmtDur(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
}

// drive runs clients against urls for d and gathers what they saw.
func drive(ctx context.Context, urls []string, w *world, m mix, clients int, d time.Duration) *result {
	tr := &http.Transport{MaxIdleConns: 4 * clients, MaxIdleConnsPerHost: 2 * clients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: requestTimeout}
	end := time.Now().Add(d)
	start := time.Now()
	results := make([]*result, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{hc: hc, urls: urls, w: w, rnd: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))), r: &result{}}
			for ctx.Err() == nil && time.Now().Before(end) {
				c.one(ctx, m)
			}
			results[i] = c.r
		}()
	}
	wg.Wait()
	total := &result{elapsed: time.Since(start)}
	for _, r := range results {
		total.merge(r)
	}
	return total
}

// client is one of a cell's concurrent clients.
type client struct {
	hc   *http.Client
	urls []string
	w    *world
	rnd  *rand.Rand
	r    *result
	mu   sync.Mutex // the accepts run two requests at once
}

// one runs one operation of the mix.
func (c *client) one(ctx context.Context, m mix) {
	n := c.rnd.IntN(100)
	switch {
	case n < m.verified:
		co := c.w.companies[c.rnd.IntN(len(c.w.companies))]
		c.expect("verified", c.get(ctx, "/api/v1/companies/"+co.id.String(), co.ownerToken), http.StatusOK)
	case n < m.verified+m.page:
		co := c.w.companies[c.rnd.IntN(len(c.w.companies))]
		c.expect("page", c.get(ctx, "/access?limit=50", co.adminTk), http.StatusOK)
	case n < m.verified+m.page+m.invite:
		c.inviteAndAccept(ctx)
	default:
		c.roleChange(ctx)
	}
}

// answer is a response's status and body (status 0: no response).
type answer struct {
	status int
	body   []byte
	err    error
}

func (c *client) instance() string { return c.urls[c.rnd.IntN(len(c.urls))] }

func (c *client) get(ctx context.Context, path, secret string) answer {
	return c.send(ctx, c.instance(), http.MethodGet, path, secret, nil)
}

// send runs one request and records its latency.
func (c *client) send(ctx context.Context, base, method, path, secret string, body any) answer {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), method, base+path, rd)
	if err != nil {
		return answer{err: err}
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{err: err}
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	c.mu.Lock()
	c.r.lat = append(c.r.lat, time.Since(start))
	c.mu.Unlock()
	return answer{status: resp.StatusCode, body: b, err: err}
}

// expect files a as refused, failed or fine: ok are the statuses of a
// success, refusals are 403 and 409 where a rule may answer them.
func (c *client) expect(op string, a answer, ok int, refusals ...int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case a.err != nil:
		c.r.fail("%s: %v", op, a.err)
	case a.status == ok:
		return true
	case slices.Contains(refusals, a.status):
		c.r.refused++
	default:
		c.r.fail("%s: %d %.200s", op, a.status, a.body)
	}
	return false
}

// inviteAndAccept invites a new e-mail to a company with a random role, by
// its OWNER or its ADMIN (who may not offer OWNER: refused), then accepts
// the invitation twice at once on two instances: exactly one wins.
func (c *client) inviteAndAccept(ctx context.Context) {
	co := c.w.companies[c.rnd.IntN(len(c.w.companies))]
	secret, byAdmin := co.ownerToken, c.rnd.IntN(2) == 0
	if byAdmin {
		secret = co.adminTk
	}
	role := []string{access.RoleOwner, access.RoleAdmin, access.RoleViewer}[c.rnd.IntN(3)]
	email := fmt.Sprintf("invitee%d@load.example", c.w.emails.Add(1))
	var refusals []int
	if byAdmin && role == access.RoleOwner {
		refusals = []int{http.StatusForbidden}
	}
	a := c.send(ctx, c.instance(), http.MethodPost, "/access/add", secret, map[string]string{"email": email, "role": role})
	if !c.expect("invite", a, http.StatusOK, refusals...) {
		return
	}
	if len(refusals) > 0 {
		c.mu.Lock()
		c.r.fail("invite: an ADMIN offered OWNER and was not refused")
		c.mu.Unlock()
		return
	}
	var added struct {
		Data struct {
			Outcome    string `json:"outcome"`
			Invitation struct {
				Token string `json:"token"`
			} `json:"invitation"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &added); err != nil || added.Data.Outcome != "invited" || added.Data.Invitation.Token == "" {
		c.mu.Lock()
		c.r.fail("invite: no invitation token in %.200s", a.body)
		c.mu.Unlock()
		return
	}
	first := c.rnd.IntN(len(c.urls))
	var answers [2]answer
	var wg sync.WaitGroup
	for k := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[k] = c.send(ctx, c.urls[(first+k)%len(c.urls)], http.MethodPost, "/access/invite/accept", "",
				map[string]string{"token": added.Data.Invitation.Token})
		}()
	}
	wg.Wait()
	won := 0
	for _, a := range answers {
		if a.err == nil && a.status == http.StatusOK {
			won++
		}
	}
	if won != 1 {
		c.mu.Lock()
		c.r.fail("accept twice at once: %d succeeded (%d %.100s / %d %.100s)", won,
			answers[0].status, answers[0].body, answers[1].status, answers[1].body)
		c.mu.Unlock()
		return
	}
	for _, a := range answers {
		if a.status != http.StatusOK {
			c.expect("second accept", a, http.StatusOK, http.StatusConflict, http.StatusNotFound, http.StatusGone)
		}
	}
}

// roleChange sets a random role on a random OWNER or member of the shared
// company, by one of its OWNERs' tokens: refused (403) once that OWNER was
// demoted or the target outranks them, refused (409) for the last OWNER.
func (c *client) roleChange(ctx context.Context) {
	h := &c.w.hot
	secret := h.owners[c.rnd.IntN(len(h.owners))]
	target := h.targets[c.rnd.IntN(len(h.targets))]
	role := []string{access.RoleOwner, access.RoleAdmin, access.RoleViewer}[c.rnd.IntN(3)]
	a := c.send(ctx, c.instance(), http.MethodPost, "/access/edit", secret, map[string]string{"user_id": target.String(), "role": role})
	c.expect("role change", a, http.StatusOK, http.StatusForbidden, http.StatusConflict)
}
