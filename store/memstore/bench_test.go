package memstore_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

// memoryShape is the fixture of BenchmarkMemory: memberships spread over
// companies of equal size, each user a member of perUser companies (so
// users = memberships / perUser), filled through the store.
type memoryShape struct {
	memberships, companies, perUser int
}

// BenchmarkMemory reports the heap the memory store keeps per membership,
// measured after GC: B/membership counts users and companies too (the
// whole store over the number of memberships), B/membership-row the
// memberships alone (the heap they add to the users and companies).
//
// The shape is a B2B one: 1,000,000 memberships over 10,000 companies of
// 100 members and 500,000 users, each in two companies (the first one
// primary and active), one OWNER and 9 ADMINs per company, the rest
// VIEWERs, a fifth of the members with extra permissions, every member
// added by the company's owner, timestamps as the service writes them.
//
//	go test -run '^$' -bench Memory -benchtime 1x ./store/memstore/
func BenchmarkMemory(b *testing.B) {
	for _, sh := range []memoryShape{{100_000, 1_000, 2}, {1_000_000, 10_000, 2}} {
		b.Run(fmt.Sprintf("memberships=%d/companies=%d/users=%d", sh.memberships, sh.companies, sh.memberships/sh.perUser), func(b *testing.B) {
			var total, rows float64
			for b.Loop() {
				total, rows = measureMemory(b, sh)
			}
			b.ReportMetric(total, "B/membership")
			b.ReportMetric(rows, "B/membership-row")
		})
	}
}

func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// measureMemory builds the shape in a new store and returns the bytes per
// membership of the whole store and of its memberships alone.
func measureMemory(b *testing.B, sh memoryShape) (total, rows float64) {
	b.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return now.Add(time.Duration(i) * time.Microsecond) }
	empty := heapAfterGC()
	st := memstore.New()
	perCompany := sh.memberships / sh.companies
	nUsers := sh.memberships / sh.perUser
	userIDs := make([]uuid.UUID, nUsers)
	companyIDs := make([]uuid.UUID, sh.companies)
	for c := range companyIDs {
		co := access.Company{ID: uuid.Must(uuid.NewV7()), Name: fmt.Sprintf("Customer %d Ltd", c), CreatedAt: at(c), UpdatedAt: at(c)}
		if c%3 == 0 {
			co.ExternalKey = fmt.Sprintf("merchant-%d", c)
		}
		companyIDs[c] = co.ID
		if err := st.CreateCompany(ctx, &co); err != nil {
			b.Fatal(err)
		}
	}
	for i := range userIDs {
		u := access.User{ID: uuid.Must(uuid.NewV7()), Email: fmt.Sprintf("person%d@customer%d.example", i, i%(sh.companies)),
			FirstName: fmt.Sprintf("First%d", i%1000), LastName: fmt.Sprintf("Last%d", i%5000), Status: access.UserActive,
			ActiveCompanyID: companyIDs[i/perCompany], CreatedAt: at(i), UpdatedAt: at(i)}
		if i%4 == 0 {
			u.Profile.Lang = "en"
		}
		userIDs[i] = u.ID
		if err := st.CreateUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
	}
	// The fixture's own ID slices are live here and gone below.
	people := heapAfterGC() - uint64(16*(cap(userIDs)+cap(companyIDs)))
	extra := []string{access.UserAdd, access.UserView}
	// Member j of company c is user (c*perCompany+j) mod users: with two
	// memberships per user, every user is in two companies.
	for c, cid := range companyIDs {
		var owner uuid.UUID
		for j := range perCompany {
			n := c*perCompany + j
			uid := userIDs[n%nUsers]
			m := access.Membership{ID: uuid.Must(uuid.NewV7()), CompanyID: cid, UserID: uid, Role: access.RoleViewer,
				Active: j%50 != 49, Primary: n < nUsers, AllowSwitch: true, CreatedBy: owner, CreatedAt: at(n), UpdatedAt: at(n)}
			switch {
			case j == 0:
				m.Role, owner = access.RoleOwner, uid
			case j < 10:
				m.Role = access.RoleAdmin
			case j%5 == 0:
				m.Extra = extra
			}
			if err := st.CreateMembership(ctx, &m); err != nil {
				b.Fatal(err)
			}
		}
	}
	userIDs, companyIDs = nil, nil
	full := heapAfterGC()
	runtime.KeepAlive(st)
	n := float64(sh.memberships)
	return float64(full-empty) / n, float64(full-people) / n
}
