package httpadapter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/httpadapter"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/token"
)

// Example mounts every route family on the memory store and lists the
// members of a company through seed 003's GET /access, then tries a route
// the token may not use.
func Example() {
	ctx := context.Background()
	st := memstore.New()
	acc := access.NewService(st)
	tok := token.NewService(acc)
	inv := invite.NewService(tok)
	h := httpadapter.New(httpadapter.Services{Access: acc, Invite: inv, Token: tok})

	alice, _ := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "alice@example.com", FirstName: "Alice"})
	acme, _ := acc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	owner := access.UserPrincipal(alice.ID, acme.ID)
	full, _ := tok.Create(ctx, owner, token.NewToken{Name: "full", Role: access.RoleOwner})
	viewer, _ := tok.Create(ctx, owner, token.NewToken{Name: "read-only", Role: access.RoleViewer})

	get := func(path, secret string) (int, map[string]any) {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		return rec.Code, body
	}
	code, body := get("/access", full.Secret.Reveal())
	users := body["data"].(map[string]any)["users"].([]any)
	first := users[0].(map[string]any)
	fmt.Println(code, body["status"], first["email"], first["role"], first["roles"])

	code, body = get("/api/accounts/"+acme.ID.String()+"/account_accesses", viewer.Secret.Reveal())
	fmt.Println(code, body["errors"])

	code, _ = get("/access", strings.Repeat("x", 10))
	fmt.Println(code)
	// Output:
	// 200 success alice@example.com OWNER [USER_ADD USER_DELETE USER_EDIT USER_VIEW]
	// 403 access level 10 on account is below 100
	// 401
}

// ExampleWithAuthenticator plugs the host's own session lookup.
func ExampleWithAuthenticator() {
	ctx := context.Background()
	st := memstore.New()
	acc := access.NewService(st)
	alice, _ := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "alice@example.com"})
	acme, _ := acc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	sessions := map[string]access.Principal{"s3cret": access.UserPrincipal(alice.ID, acme.ID)}

	h := httpadapter.New(httpadapter.Services{Access: acc, Invite: invite.NewService(token.NewService(acc))},
		httpadapter.WithFamilies(httpadapter.V1),
		httpadapter.WithAuthenticator(httpadapter.AuthenticatorFunc(func(r *http.Request) (access.Principal, error) {
			c, err := r.Cookie("session")
			if err != nil {
				return access.Principal{}, nil // no credentials: 401 where needed
			}
			if p, ok := sessions[c.Value]; ok {
				return p, nil
			}
			return access.Principal{}, access.Unauthenticated("unknown session")
		})))

	req := httptest.NewRequest("GET", "/api/v1/companies", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: "s3cret"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body struct {
		Companies []struct {
			Name    string `json:"name"`
			Default bool   `json:"default"`
		} `json:"companies"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	fmt.Println(rec.Code, body.Companies[0].Name, body.Companies[0].Default)
	// Output:
	// 200 Acme true
}
