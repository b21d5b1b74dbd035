package bunstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// BenchmarkAccept accepts an invitation end to end on PostgreSQL, per
// driver: the token lookup, the inviter's re-check, the conditional claim,
// the new user and membership, the grants and the audit events, in one
// transaction. Creating the invitations is not timed. It skips without
// GATEHOUSE_TEST_DATABASE_URL.
//
//	go test -run '^$' -bench Accept ./store/bunstore/
func BenchmarkAccept(b *testing.B) {
	ctx := context.Background()
	for _, d := range drivers {
		b.Run(string(d), func(b *testing.B) {
			st, _ := freshStore(b, d)
			acc := access.NewService(st)
			svc := invite.NewService(token.NewService(acc), invite.WithHourlyLimits(0, 0)) // b.N invitations in an hour
			owner, err := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "owner@acme.example"})
			if err != nil {
				b.Fatal(err)
			}
			c, err := acc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
			if err != nil {
				b.Fatal(err)
			}
			p := access.UserPrincipal(owner.ID, c.ID)
			toks := make([]string, b.N)
			for i := range toks {
				is, err := svc.Invite(ctx, p, invite.NewInvitation{Email: fmt.Sprintf("u%d@example.com", i), Role: access.RoleViewer})
				if err != nil {
					b.Fatal(err)
				}
				toks[i] = is.Token.Reveal()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := svc.Accept(ctx, access.Principal{}, toks[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
