package access_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

type memberKey struct{ company, user uuid.UUID }

// fixture is a memory store with companies x members, filled through the
// store (the service's per-call checks are not what is measured here).
type fixture struct {
	svc       *access.Service
	probes    []access.Principal
	companies []uuid.UUID
	floor     map[memberKey]string // the bare map with the same key type
	owner     uuid.UUID            // OWNER of every company
}

func newFixture(b *testing.B, companies, members int) *fixture {
	b.Helper()
	ctx := context.Background()
	st := memstore.New()
	f := &fixture{svc: access.NewService(st), floor: make(map[memberKey]string, companies*members)}
	now := time.Now().UTC()
	users := make([]uuid.UUID, members)
	for i := range users {
		u := access.User{ID: uuid.Must(uuid.NewV7()), Email: fmt.Sprintf("u%d@bench.example", i), Status: access.UserActive, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
		users[i] = u.ID
	}
	f.owner = users[0]
	for c := range companies {
		co := access.Company{ID: uuid.Must(uuid.NewV7()), Name: fmt.Sprintf("c%d", c), CreatedAt: now, UpdatedAt: now}
		if err := st.CreateCompany(ctx, &co); err != nil {
			b.Fatal(err)
		}
		f.companies = append(f.companies, co.ID)
		for i, u := range users {
			role := access.RoleViewer
			if i == 0 {
				role = access.RoleOwner
			}
			m := access.Membership{ID: uuid.Must(uuid.NewV7()), CompanyID: co.ID, UserID: u, Role: role, Active: true, AllowSwitch: true, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateMembership(ctx, &m); err != nil {
				b.Fatal(err)
			}
			f.floor[memberKey{co.ID, u}] = role
		}
	}
	for i := range 1024 {
		c := f.companies[(i*7919)%len(f.companies)]
		u := users[(i*104729)%len(users)]
		f.probes = append(f.probes, access.UserPrincipal(u, c))
	}
	return f
}

var sink bool

// BenchmarkCheck measures Service.Check (permission in company) and
// Service.CheckLevel (level on a resource) on the memory store, next to a
// bare map lookup with the same key type, at growing sizes.
func BenchmarkCheck(b *testing.B) {
	ctx := context.Background()
	for _, size := range []struct{ companies, members int }{{10, 100}, {10_000, 100}} {
		f := newFixture(b, size.companies, size.members)
		n := size.companies * size.members
		b.Run(fmt.Sprintf("memberships=%d/floor-map", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				p := f.probes[i&1023]
				r, ok := f.floor[memberKey{p.CompanyID, p.UserID}]
				sink = ok && r != ""
			}
		})
		b.Run(fmt.Sprintf("memberships=%d/permission", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := f.svc.Check(ctx, f.probes[i&1023], access.UserView); err != nil {
					b.Fatal(err)
				}
			}
		})
		res := access.Resource{Type: "project", ID: "p1"}
		b.Run(fmt.Sprintf("memberships=%d/level", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := f.svc.CheckLevel(ctx, f.probes[i&1023], res, access.LevelViewer); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListMembers measures one page of 50 members, deep inside a
// company of 100 and of 100,000 members: the cost follows the page.
func BenchmarkListMembers(b *testing.B) {
	ctx := context.Background()
	for _, members := range []int{100, 100_000} {
		f := newFixture(b, 1, members)
		owner := access.UserPrincipal(f.owner, f.companies[0])
		// The owner is user 0; find a cursor in the middle of the company.
		var after string
		for range members / 2 / access.MaxPageLimit {
			p, err := f.svc.ListMembers(ctx, owner, access.MemberFilter{Page: access.PageRequest{Limit: access.MaxPageLimit, After: after}})
			if err != nil {
				b.Fatal(err)
			}
			after = p.Next
		}
		b.Run(fmt.Sprintf("members=%d/page=50", members), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := f.svc.ListMembers(ctx, owner, access.MemberFilter{Page: access.PageRequest{Limit: 50, After: after}})
				if err != nil || len(p.Items) != 50 {
					b.Fatal(err, len(p.Items))
				}
			}
		})
	}
}
