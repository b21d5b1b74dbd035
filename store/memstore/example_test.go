package memstore_test

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

// A host's unit test: zero set-up, the same rules as PostgreSQL.
func Example() {
	ctx := context.Background()
	svc := access.NewService(memstore.New())
	u, _ := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "ann@example.com"})
	c, _ := svc.CreateCompany(ctx, access.UserPrincipal(u.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	fmt.Println(svc.Check(ctx, access.UserPrincipal(u.ID, c.ID), access.UserDelete))
	fmt.Println(svc.RemoveMember(ctx, access.UserPrincipal(u.ID, c.ID), u.ID))
	// Output:
	// <nil>
	// conflict: the company must keep at least one active OWNER
}
