package httpadapter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// The benchmarks run each adapter route next to a bare net/http handler
// doing the least a hand-written one would: the difference is what the
// adapter (token verification, the check, decoding, encoding) costs.
//
//	go test -run '^$' -bench . -benchmem ./httpadapter/

// sink is a reusable ResponseWriter that keeps nothing, so neither side
// pays for a recorder.
type sink struct {
	h      http.Header
	status int
	n      int
}

func (s *sink) Header() http.Header  { return s.h }
func (s *sink) WriteHeader(code int) { s.status = code }
func (s *sink) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	s.n += len(b)
	return len(b), nil
}
func (s *sink) reset() { clear(s.h); s.status, s.n = 0, 0 }

func serveLoop(b *testing.B, h http.Handler, req *http.Request, want int) {
	b.Helper()
	w := &sink{h: http.Header{}}
	h.ServeHTTP(w, req)
	require.Equal(b, want, w.status)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, req)
	}
}

func authed(method, target, tok string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// bare is a ServeMux handler on the same pattern that writes fixed bytes.
func bare(pattern string, body []byte) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	return mux
}

// BenchmarkSmallRoute: an authenticated GET /api/v1/companies/{company_id}
// (token verification, the visibility check, the handler, JSON) against a
// bare ServeMux handler writing the same bytes.
func BenchmarkSmallRoute(b *testing.B) {
	e := newEnv(b, memory)
	target := "/api/v1/companies/" + e.company.ID.String()
	body := must(b, 200, e.call("GET", target, e.ownerT, nil)).Raw
	b.Run("adapter", func(b *testing.B) { serveLoop(b, e.h, authed("GET", target, e.ownerT), 200) })
	b.Run("bare", func(b *testing.B) {
		serveLoop(b, bare("GET /api/v1/companies/{company_id}", body), authed("GET", target, e.ownerT), 200)
	})
}

// bareMember mirrors the members of GET /access, for the bare handler.
type bareMember struct {
	ID        string   `json:"id"`
	Email     string   `json:"email"`
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	Role      string   `json:"role"`
	Roles     []string `json:"roles"`
	IsActive  bool     `json:"is_active"`
	Editable  bool     `json:"editable"`
}

type bareList struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Data    struct {
		Users      []bareMember `json:"users"`
		NextCursor string       `json:"next_cursor,omitempty"`
	} `json:"data"`
}

// BenchmarkListMembers: GET /access with 100 members against a bare handler
// that encodes the same JSON from values it already holds.
func BenchmarkListMembers(b *testing.B) {
	e := newEnv(b, memory)
	ctx := context.Background()
	for i := range 99 {
		u := e.user(fmt.Sprintf("m%02d", i))
		_, err := e.acc.AddMember(ctx, e.ownerP, access.NewMember{Email: u.Email, Role: access.RoleViewer, Consented: true})
		require.NoError(b, err)
	}
	target := "/access?limit=100"
	r := must(b, 200, e.call("GET", target, e.ownerT, nil))
	var data bareList
	require.NoError(b, json.Unmarshal(r.Raw, &data))
	require.Len(b, data.Data.Users, 100)
	again, err := json.Marshal(data)
	require.NoError(b, err)
	require.JSONEq(b, string(r.Raw), string(again), "the bare handler encodes the same JSON")
	b.Run("adapter", func(b *testing.B) { serveLoop(b, e.h, authed("GET", target, e.ownerT), 200) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /access", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&data)
	})
	b.Run("bare", func(b *testing.B) { serveLoop(b, mux, authed("GET", target, e.ownerT), 200) })

	// What a host would write by hand for the same route: verify the
	// token, list through the service, encode with encoding/json.
	hand := http.NewServeMux()
	cat := e.acc.Catalog()
	hand.HandleFunc("GET /access", func(w http.ResponseWriter, r *http.Request) {
		p, err := e.tok.Verify(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		page, err := e.acc.ListMembers(r.Context(), p, access.MemberFilter{Page: access.PageRequest{Limit: 100}})
		if err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		var out bareList
		out.Status, out.Message = "success", "OK"
		out.Data.Users = make([]bareMember, len(page.Items))
		for i, m := range page.Items {
			out.Data.Users[i] = bareMember{ID: m.UserID.String(), Email: m.User.Email, FirstName: m.User.FirstName,
				LastName: m.User.LastName, Role: m.Role, Roles: cat.Effective(m.Role, m.Extra, m.Withheld), IsActive: m.Active, Editable: m.Editable}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&out)
	})
	b.Run("bare-service", func(b *testing.B) { serveLoop(b, hand, authed("GET", target, e.ownerT), 200) })
}

// BenchmarkDenied: GET /access allowed, and refused for a malformed token,
// an unknown token, and a token without USER_VIEW; a refusal must cost no
// more than the allowed request.
func BenchmarkDenied(b *testing.B) {
	e := newEnv(b, memory)
	e.member("viewer", access.RoleViewer)
	e.member("admin", access.RoleAdmin)
	c, err := e.tok.Create(context.Background(), e.ownerP, token.NewToken{Name: "nothing", Level: access.LevelViewer})
	require.NoError(b, err)
	weak := c.Secret.Reveal()
	unknown := e.tok.Format().Generate(token.KindAPI).Reveal()
	b.Run("allowed", func(b *testing.B) { serveLoop(b, e.h, authed("GET", "/access", e.ownerT), 200) })
	b.Run("401-malformed", func(b *testing.B) { serveLoop(b, e.h, authed("GET", "/access", e.malformed("api")), 401) })
	b.Run("401-unknown", func(b *testing.B) { serveLoop(b, e.h, authed("GET", "/access", unknown), 401) })
	b.Run("401-missing", func(b *testing.B) { serveLoop(b, e.h, authed("GET", "/access", ""), 401) })
	b.Run("403", func(b *testing.B) { serveLoop(b, e.h, authed("GET", "/access", weak), 403) })
}
