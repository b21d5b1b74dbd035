// Command quickstart walks through gatehouse as a library: a company, its
// owner, a few members and grants, and operations that are allowed or
// denied, printed as readable lines.
//
//	go run ./examples/quickstart                     # in memory
//	go run ./examples/quickstart -database-url postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/examples/internal/pgstore"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

func main() {
	dbURL := flag.String("database-url", "", "PostgreSQL URL; empty runs on the in-memory store")
	flag.Parse()
	ctx := context.Background()

	var st store.Store = memstore.New()
	if *dbURL != "" {
		pg, closeDB, err := pgstore.Open(ctx, *dbURL, pgstore.DefaultPool)
		if err != nil {
			log.Fatalf("quickstart: %v", err)
		}
		defer closeDB()
		st = pg
		fmt.Println("store: PostgreSQL (migrated)")
	} else {
		fmt.Println("store: in memory")
	}
	if err := run(ctx, st); err != nil {
		log.Fatalf("quickstart: %v", err)
	}
}

func run(ctx context.Context, st store.Store) error {
	svc := access.NewService(st)
	sys := access.SystemPrincipal()
	suffix := uuid.NewString()[:8] // lets the example run again on the same database

	newUser := func(name string) (access.User, error) {
		return svc.CreateUser(ctx, sys, access.NewUser{Email: name + "-" + suffix + "@example.com", FirstName: name})
	}
	alice, err := newUser("alice")
	if err != nil {
		return err
	}
	acme, err := svc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme " + suffix})
	if err != nil {
		return err
	}
	asAlice := access.UserPrincipal(alice.ID, acme.ID)
	fmt.Printf("alice created %q and is its OWNER\n", "Acme")

	bob, _ := newUser("bob")
	carol, _ := newUser("carol")
	dave, _ := newUser("dave")
	// Consented: these people signed up to join Acme. Without their
	// consent a person the adder cannot already see gets an invitation
	// (invite.Service.Add), never a membership.
	if _, err := svc.AddMember(ctx, asAlice, access.NewMember{Email: bob.Email, Role: access.RoleAdmin, Consented: true}); err != nil {
		return err
	}
	if _, err := svc.AddMember(ctx, asAlice, access.NewMember{Email: carol.Email, Role: access.RoleViewer, Consented: true}); err != nil {
		return err
	}
	fmt.Println("alice added bob as ADMIN and carol as VIEWER")
	asBob := access.UserPrincipal(bob.ID, acme.ID)
	asCarol := access.UserPrincipal(carol.ID, acme.ID)

	report := func(what string, err error) {
		switch {
		case err == nil:
			fmt.Printf("  allowed: %s\n", what)
		case errors.Is(err, access.ErrForbidden), errors.Is(err, access.ErrNotFound), errors.Is(err, access.ErrConflict):
			fmt.Printf("  denied:  %s (%v)\n", what, err)
		default:
			fmt.Printf("  error:   %s (%v)\n", what, err)
		}
	}
	_, err = svc.AddMember(ctx, asBob, access.NewMember{Email: dave.Email, Role: access.RoleViewerPlus, Consented: true})
	report("bob adds dave as VIEWER_PLUS", err)
	_, err = svc.UpdateMember(ctx, asBob, bob.ID, access.MemberUpdate{Role: new(access.RoleOwner)})
	report("bob makes himself OWNER", err)
	_, err = svc.UpdateMember(ctx, asBob, alice.ID, access.MemberUpdate{Active: new(false)})
	report("bob deactivates alice", err)
	_, err = svc.AddMember(ctx, asCarol, access.NewMember{Email: "eve-" + suffix + "@example.com", Role: access.RoleViewer})
	report("carol adds a member", err)
	report("carol views the members", svc.Check(ctx, asCarol, access.UserView))
	err = svc.RemoveMember(ctx, asAlice, alice.ID)
	report("alice, the only OWNER, leaves", err)

	project := access.Resource{Type: "project", ID: "apollo"}
	_, err = svc.Grant(ctx, asBob, access.NewGrant{Subject: access.Subject{Type: access.SubjectUser, ID: carol.ID}, Resource: project, Level: access.LevelAdmin})
	report("bob makes carol ADMIN of project apollo", err)
	report("carol updates project apollo", svc.CheckLevel(ctx, asCarol, project, access.LevelViewerPlus))
	report("carol updates project zeus", svc.CheckLevel(ctx, asCarol, access.Resource{Type: "project", ID: "zeus"}, access.LevelViewerPlus))

	page, err := svc.ListMembers(ctx, asBob, access.MemberFilter{})
	if err != nil {
		return err
	}
	fmt.Println("members, as bob sees them:")
	for _, m := range page.Items {
		fmt.Printf("  %-6s %-12s editable by bob: %v\n", m.User.FirstName, m.Role, m.Editable)
	}
	audit, err := svc.ListAudit(ctx, asAlice, access.PageRequest{})
	if err != nil {
		return err
	}
	last := audit.Items[len(audit.Items)-1]
	fmt.Printf("audit trail: %d events, the last one %q by %s\n", len(audit.Items), last.Action, map[bool]string{true: "bob", false: "?"}[last.Actor == asBob.String()])
	return nil
}

func init() { log.SetFlags(0); log.SetOutput(os.Stderr) }
