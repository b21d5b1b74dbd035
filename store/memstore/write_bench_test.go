package memstore_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
)

// writeSizes are the company sizes of the write benchmarks; 1,000,000
// (about a minute to build) only with GATEHOUSE_BENCH_MILLION=1.
func writeSizes() []int {
	sizes := []int{1_000, 10_000, 100_000}
	if os.Getenv("GATEHOUSE_BENCH_MILLION") != "" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

// writeFixture is one company of n members (two OWNERs, the rest VIEWERs,
// every tenth deactivated, each member holding a grant), filled through
// the store.
func writeFixture(b *testing.B, n int) storetest.WriteFixture {
	b.Helper()
	ctx := context.Background()
	st := memstore.New()
	now := time.Now().UTC()
	co := access.Company{ID: uuid.Must(uuid.NewV7()), Name: "Large", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateCompany(ctx, &co); err != nil {
		b.Fatal(err)
	}
	var f storetest.WriteFixture
	for i := range n + 1 {
		u := access.User{ID: uuid.Must(uuid.NewV7()), Email: fmt.Sprintf("u%d@bench.example", i),
			Status: access.UserActive, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
		if i == n {
			f.Joiner = u.ID
			break
		}
		role := access.RoleViewer
		switch i {
		case 0:
			f.Owner = access.UserPrincipal(u.ID, co.ID)
			role = access.RoleOwner
		case 1:
			f.CoOwner, role = u.ID, access.RoleOwner
		case 2:
			f.Viewer = u.ID
		}
		m := access.Membership{ID: uuid.Must(uuid.NewV7()), CompanyID: co.ID, UserID: u.ID, Role: role,
			Active: i%10 != 9, Primary: true, AllowSwitch: true, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateMembership(ctx, &m); err != nil {
			b.Fatal(err)
		}
		g := access.Grant{ID: uuid.Must(uuid.NewV7()), CompanyID: co.ID, Subject: access.Subject{Type: access.SubjectUser, ID: u.ID},
			Resource: access.Resource{Type: "project", ID: fmt.Sprintf("p%d", i%7)}, Level: access.LevelViewer, CreatedAt: now}
		if err := st.CreateGrant(ctx, &g); err != nil {
			b.Fatal(err)
		}
	}
	f.Service = access.NewService(st)
	return f
}

// BenchmarkMembershipWrites runs every membership write in companies of
// growing size on the memory store: the cost of a write follows the work
// (the rows it changes), not the company.
//
//	go test -run '^$' -bench MembershipWrites ./store/memstore/
//	GATEHOUSE_BENCH_MILLION=1 go test -run '^$' -bench MembershipWrites ./store/memstore/
func BenchmarkMembershipWrites(b *testing.B) {
	for _, n := range writeSizes() {
		f := writeFixture(b, n)
		runtime.GC() // the fixture's garbage, collected before the first write is timed
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) { storetest.MembershipWrites(b, f) })
	}
}
