package invite_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/token"
)

// exampleLogger logs like a host would, except that it hides the random
// parts (time, IDs, the link) so the example's output is stable. A real
// LogNotifier prints the accept link: that is the line to copy.
func exampleLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "invitation_id", "expires_at":
				return slog.Attr{}
			case "accept_url":
				return slog.String(a.Key, "https://app.example/invite/accept?token=gate_inv_…")
			}
			return a
		},
	}))
}

func Example() {
	ctx := context.Background()
	st := memstore.New()
	now := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	acc := access.NewService(st, access.WithClock(now))
	inv := invite.NewService(token.NewService(acc),
		invite.WithNotifier(token.LogNotifier{Logger: exampleLogger()}),
		invite.WithAcceptURL("https://app.example/invite/accept"))

	alice, _ := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "alice@acme.example", FirstName: "Alice"})
	acme, _ := acc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	owner := access.UserPrincipal(alice.ID, acme.ID)

	// Alice invites Bob; the notifier (here: the log) gets the link.
	issued, err := inv.Invite(ctx, owner, invite.NewInvitation{Email: "bob@example.com", Role: access.RoleViewer})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("invited:", issued.Invitation.Email, issued.Invitation.Status, "until", issued.Invitation.ExpiresAt.Format(time.DateOnly))
	fmt.Println("printing the token shows:", issued.Token)

	// Bob opens the link: the public view, then he accepts.
	pv, _ := inv.Preview(ctx, issued.Token.Reveal())
	fmt.Printf("%s invites you to %s as %s\n", pv.InviterName, pv.CompanyName, pv.Role)
	res, err := inv.Accept(ctx, access.Principal{}, issued.Token.Reveal())
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := acc.GetMember(ctx, owner, res.UserID)
	fmt.Println("member:", m.User.Email, m.Role, "new user:", res.NewUser)

	// The link works once.
	_, err = inv.Accept(ctx, access.Principal{}, issued.Token.Reveal())
	fmt.Println("again:", access.CodeOf(err))
	// Output:
	// level=INFO msg="gatehouse invitation.created" event=created kind=member company=Acme email=bob@example.com status=pending accept_url="https://app.example/invite/accept?token=gate_inv_…"
	// invited: bob@example.com pending until 2026-11-30
	// printing the token shows: [REDACTED]
	// Alice invites you to Acme as VIEWER
	// level=INFO msg="gatehouse invitation.accepted" event=accepted kind=member company=Acme email=bob@example.com status=accepted
	// member: bob@example.com VIEWER new user: true
	// again: invitation_accepted
}

func ExampleService_InviteCompany() {
	ctx := context.Background()
	st := memstore.New()
	acc := access.NewService(st)
	inv := invite.NewService(token.NewService(acc)) // NopNotifier: the host mails Issued.URL itself

	newCompany := func(name, email string) access.Principal {
		u, _ := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: email})
		c, _ := acc.CreateCompany(ctx, access.UserPrincipal(u.ID, uuid.Nil), access.NewCompany{Name: name})
		return access.UserPrincipal(u.ID, c.ID)
	}
	customer := newCompany("Shop", "owner@shop.example")
	agency := newCompany("Pixel Agency", "ada@pixel.example")

	// The customer invites its agency and lets it view users.
	issued, _ := inv.InviteCompany(ctx, customer, invite.NewConnectionInvitation{
		Email: "ada@pixel.example", Relation: invite.RelationAgency, CompanyName: "Pixel Agency",
		Permissions: []string{access.UserView}})
	// Ada, signed in and acting for Pixel Agency, accepts.
	res, err := inv.Accept(ctx, agency, issued.Token.Reveal())
	if err != nil {
		fmt.Println(err)
		return
	}
	// Ada now acts in the shop with the connection's permissions.
	ada := access.UserPrincipal(agency.UserID, customer.CompanyID)
	fmt.Println("view users:", acc.Check(ctx, ada, access.UserView) == nil)
	fmt.Println("edit users:", acc.Check(ctx, ada, access.UserEdit) == nil)

	// The customer widens them; later it ends the connection.
	_, _ = acc.UpdateAgencyPermissions(ctx, customer, res.ConnectionID, access.AgencyUpdate{Add: []string{access.UserEdit}})
	fmt.Println("edit users:", acc.Check(ctx, ada, access.UserEdit) == nil)
	_ = acc.RemoveConnection(ctx, customer, res.ConnectionID)
	fmt.Println("view users:", acc.Check(ctx, ada, access.UserView) == nil)
	// Output:
	// view users: true
	// edit users: false
	// edit users: true
	// view users: false
}

// ExampleService_Add: a colleague the owner already sees joins at once; a
// stranger, like an e-mail nobody registered, is invited, and the answers
// do not tell the two apart.
func ExampleService_Add() {
	ctx := context.Background()
	acc := access.NewService(memstore.New())
	inv := invite.NewService(token.NewService(acc))
	sys := access.SystemPrincipal()

	alice, _ := acc.CreateUser(ctx, sys, access.NewUser{Email: "alice@acme.example"})
	carol, _ := acc.CreateUser(ctx, sys, access.NewUser{Email: "carol@acme.example"})
	zoe, _ := acc.CreateUser(ctx, sys, access.NewUser{Email: "zoe@elsewhere.example", FirstName: "Zoe"})
	acme, _ := acc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	labs, _ := acc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme Labs"})
	_, _ = acc.CreateCompany(ctx, access.UserPrincipal(zoe.ID, uuid.Nil), access.NewCompany{Name: "Elsewhere"})
	// Carol works with Alice in Acme Labs.
	_, _ = acc.AddMember(ctx, access.Principal{Kind: access.PrincipalSystem, CompanyID: labs.ID},
		access.NewMember{UserID: carol.ID, Role: access.RoleViewer})
	owner := access.UserPrincipal(alice.ID, acme.ID)

	for _, email := range []string{carol.Email, zoe.Email, "nobody@example.com"} {
		a, err := inv.Add(ctx, owner, invite.NewInvitation{Email: email, Role: access.RoleViewer})
		switch {
		case err != nil:
			fmt.Println(err)
		case a.Invited:
			fmt.Printf("%s: invited (%s), member name %q\n", email, a.Issued.Invitation.Status, a.Member.User.FirstName)
		default:
			fmt.Printf("%s: added as %s\n", email, a.Member.Role)
		}
	}
	// Output:
	// carol@acme.example: added as VIEWER
	// zoe@elsewhere.example: invited (pending), member name ""
	// nobody@example.com: invited (pending), member name ""
}
