package access_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

func ExampleService() {
	ctx := context.Background()
	svc := access.NewService(memstore.New()) // or bunstore.New(db) on PostgreSQL

	alice, _ := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "alice@example.com"})
	bob, _ := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "bob@example.com"})

	// Alice creates a company and becomes its OWNER in the same transaction.
	acme, _ := svc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	asAlice := access.UserPrincipal(alice.ID, acme.ID)
	asBob := access.UserPrincipal(bob.ID, acme.ID)

	// Bob agreed to join: without his consent Alice could only invite him (invite.Service.Add).
	_, err := svc.AddMember(ctx, asAlice, access.NewMember{Email: bob.Email, Role: access.RoleViewer, Consented: true})
	fmt.Println(err)
	fmt.Println(svc.Check(ctx, asBob, access.UserView))
	fmt.Println(svc.Check(ctx, asBob, access.UserAdd))
	fmt.Println(svc.RemoveMember(ctx, asAlice, alice.ID))
	_, err = svc.UpdateMember(ctx, asBob, bob.ID, access.MemberUpdate{Role: new(access.RoleOwner)})
	fmt.Println(errors.Is(err, access.ErrForbidden))
	// Output:
	// <nil>
	// <nil>
	// forbidden: missing permission USER_ADD
	// conflict: the company must keep at least one active OWNER
	// true
}

func ExampleService_CheckLevel() {
	ctx := context.Background()
	svc := access.NewService(memstore.New())
	owner, _ := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "owner@example.com"})
	viewer, _ := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "viewer@example.com"})
	co, _ := svc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	asOwner := access.UserPrincipal(owner.ID, co.ID)
	_, _ = svc.AddMember(ctx, asOwner, access.NewMember{Email: viewer.Email, Role: access.RoleViewer, Consented: true})

	// Make the viewer ADMIN of one project only.
	project := access.Resource{Type: "project", ID: "apollo"}
	_, err := svc.Grant(ctx, asOwner, access.NewGrant{
		Subject: access.Subject{Type: access.SubjectUser, ID: viewer.ID}, Resource: project, Level: access.LevelAdmin})
	fmt.Println(err)

	asViewer := access.UserPrincipal(viewer.ID, co.ID)
	fmt.Println(svc.CheckLevel(ctx, asViewer, project, access.LevelAdmin))
	fmt.Println(svc.CheckLevel(ctx, asViewer, access.Resource{Type: "project", ID: "zeus"}, access.LevelAdmin))
	lvl, _ := svc.Level(ctx, asViewer, project)
	fmt.Printf("%+v\n", access.DerivePermissions(lvl))
	// Output:
	// <nil>
	// <nil>
	// forbidden: access level 10 on project is below 100
	// {CanRead:true CanUpdate:true CanDestroy:false CanLeave:true}
}

func ExampleService_SwitchCompany() {
	ctx := context.Background()
	svc := access.NewService(memstore.New())
	u, _ := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "consultant@example.com"})
	asU := access.UserPrincipal(u.ID, uuid.Nil)
	for _, name := range []string{"Northwind Traders", "Southwind Traders", "Contoso"} {
		_, _ = svc.CreateCompany(ctx, asU, access.NewCompany{Name: name})
	}
	c, _ := svc.SwitchCompany(ctx, asU, access.SwitchTarget{Name: "contoso"})
	fmt.Println(c.Name)
	c, _ = svc.SwitchCompany(ctx, asU, access.SwitchTarget{Name: "southwnd"})
	fmt.Println(c.Name)
	_, err := svc.SwitchCompany(ctx, asU, access.SwitchTarget{Name: "traders"})
	fmt.Println(err)
	// Output:
	// Contoso
	// Southwind Traders
	// invalid input: company: "traders" matches several companies; candidates: Northwind Traders, Southwind Traders
}
