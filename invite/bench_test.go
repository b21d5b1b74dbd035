package invite_test

import (
	"fmt"
	"testing"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// BenchmarkAccept accepts an invitation end to end on the memory store:
// token check, inviter re-check, user and membership creation, grants,
// audit, in one transaction. Creating the invitations is not timed.
func BenchmarkAccept(b *testing.B) {
	e := newEnv(b, invite.WithNotifier(token.NopNotifier{}), invite.WithHourlyLimits(0, 0)) // b.N invitations in an hour
	toks := make([]string, b.N)
	for i := range toks {
		is, err := e.svc.Invite(e.ctx, e.owner, invite.NewInvitation{Email: fmt.Sprintf("u%d@example.com", i), Role: access.RoleViewer})
		if err != nil {
			b.Fatal(err)
		}
		toks[i] = is.Token.Reveal()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := e.svc.Accept(e.ctx, access.Principal{}, toks[i]); err != nil {
			b.Fatal(err)
		}
	}
}
