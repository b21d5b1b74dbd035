package token_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/token"
)

func ExampleService_Create() {
	ctx := context.Background()
	st := memstore.New()
	acc := access.NewService(st)
	tokens := token.NewService(acc, token.WithPrefix("acme"))

	alice, _ := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "alice@example.com"})
	co, _ := acc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	owner := access.UserPrincipal(alice.ID, co.ID)

	created, err := tokens.Create(ctx, owner, token.NewToken{Name: "ci", Permissions: []string{access.UserView}})
	if err != nil {
		panic(err)
	}
	secret := created.Secret.Reveal() // hand it to its owner once; it is stored only as a hash
	fmt.Println(secret[:len("acme_api_")], len(secret))
	fmt.Println(created.Secret) // secrets never print

	p, err := tokens.Verify(ctx, secret) // e.g. from "Authorization: Bearer ..."
	if err != nil {
		panic(err)
	}
	fmt.Println(acc.Check(ctx, p, access.UserView))
	fmt.Println(acc.Check(ctx, p, access.UserDelete))

	_, err = tokens.Verify(ctx, typo(secret)) // refused by the checksum, without a lookup
	fmt.Println(err)
	// Output:
	// acme_api_ 58
	// [REDACTED]
	// <nil>
	// forbidden: the token does not hold USER_DELETE
	// unauthenticated: the token is invalid
}

func ExampleService_Provision() {
	ctx := context.Background()
	st := memstore.New()
	acc := access.NewService(st)
	tokens := token.NewService(acc, token.WithLoginURL("https://app.example.com/login"))

	alice, _ := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "alice@example.com"})
	co, _ := acc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	owner := access.UserPrincipal(alice.ID, co.ID)

	prov, err := tokens.Provision(ctx, owner, token.Provision{Email: "bob@example.com", Role: access.RoleAdmin})
	if err != nil {
		panic(err)
	}
	link := prov.LoginURL.Reveal() // return it to the partner as login_url
	fmt.Println(prov.Member.User.Email, prov.Member.Role, prov.UserCreated)
	fmt.Println(strings.SplitAfter(link, "token=gate_lnk_")[0])

	u, _ := url.Parse(link)
	login, err := tokens.RedeemLoginLinkSession(ctx, u.Query().Get("token"))
	if err != nil {
		panic(err)
	}
	fmt.Println(login.User.Email, login.Company.Name)
	p, _ := tokens.Verify(ctx, login.Session.Secret.Reveal())
	fmt.Println(p.UserID == login.User.ID, p.CompanyID == co.ID)

	_, err = tokens.RedeemLoginLink(ctx, u.Query().Get("token"))
	fmt.Println(err)
	// Output:
	// bob@example.com ADMIN true
	// https://app.example.com/login?token=gate_lnk_
	// bob@example.com Acme
	// true true
	// conflict: the login link was already used
}

func ExampleParse() {
	s := token.Generate(token.KindInvitation).Reveal()
	product, kind, err := token.Parse(s)
	fmt.Println(product, kind, err)
	_, _, err = token.Parse("gate_inv_not-a-token")
	fmt.Println(err)
	// Output:
	// gate inv <nil>
	// unauthenticated: the token is malformed
}

// typo changes the last character of s to another one of the alphabet.
func typo(s string) string {
	last := "x"
	if strings.HasSuffix(s, last) {
		last = "y"
	}
	return s[:len(s)-1] + last
}
