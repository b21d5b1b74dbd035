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

// newRoleFixture is a memory store of companies that each define roles
// company roles and have one member per role holding it (issue 15's
// benchmark shape: 1,000 companies of 10 roles).
func newRoleFixture(tb testing.TB, companies, roles int) *fixture {
	tb.Helper()
	ctx := context.Background()
	st := memstore.New()
	f := &fixture{svc: access.NewService(st), floor: map[memberKey]string{}}
	now := time.Now().UTC()
	users := make([]uuid.UUID, roles)
	for i := range users {
		u := access.User{ID: uuid.Must(uuid.NewV7()), Email: fmt.Sprintf("u%d@bench.example", i), Status: access.UserActive, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, &u); err != nil {
			tb.Fatal(err)
		}
		users[i] = u.ID
	}
	for c := range companies {
		co := access.Company{ID: uuid.Must(uuid.NewV7()), Name: fmt.Sprintf("c%d", c), CreatedAt: now, UpdatedAt: now}
		if err := st.CreateCompany(ctx, &co); err != nil {
			tb.Fatal(err)
		}
		f.companies = append(f.companies, co.ID)
		for i, u := range users {
			code := fmt.Sprintf("ROLE_%d", i)
			r := access.CompanyRole{ID: uuid.Must(uuid.NewV7()), CompanyID: co.ID, Code: code, Name: code, Level: 10 + i,
				Permissions: []string{access.UserEdit, access.UserView}, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateCompanyRole(ctx, &r); err != nil {
				tb.Fatal(err)
			}
			m := access.Membership{ID: uuid.Must(uuid.NewV7()), CompanyID: co.ID, UserID: u, Role: code, Active: true, AllowSwitch: true, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateMembership(ctx, &m); err != nil {
				tb.Fatal(err)
			}
			f.floor[memberKey{co.ID, u}] = code
		}
	}
	for i := range 1024 {
		f.probes = append(f.probes, access.UserPrincipal(users[(i*104729)%len(users)], f.companies[(i*7919)%len(f.companies)]))
	}
	return f
}

// BenchmarkCheckCompanyRoles is BenchmarkCheck for members holding
// company roles: 1,000 companies each defining 10, next to the bare map.
func BenchmarkCheckCompanyRoles(b *testing.B) {
	ctx := context.Background()
	f := newRoleFixture(b, 1000, 10)
	b.Run("floor-map", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := f.probes[i&1023]
			r, ok := f.floor[memberKey{p.CompanyID, p.UserID}]
			sink = ok && r != ""
		}
	})
	b.Run("permission", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := f.svc.Check(ctx, f.probes[i&1023], access.UserEdit); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCompanyRoleCheckDoesNotAllocate: a check decided by a company role
// allocates nothing on the memory store.
func TestCompanyRoleCheckDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	f := newRoleFixture(t, 10, 10)
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		if err := f.svc.Check(ctx, f.probes[i&1023], access.UserEdit); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("a company role's check allocates %v times", allocs)
	}
}
