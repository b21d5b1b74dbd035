package bunstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
)

// writeSizes are the company sizes of the write benchmarks; 1,000,000
// (a few minutes to seed) only with GATEHOUSE_BENCH_MILLION=1.
func writeSizes() []int {
	sizes := []int{1_000, 10_000, 100_000}
	if os.Getenv("GATEHOUSE_BENCH_MILLION") != "" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

// BenchmarkMembershipWrites runs every membership write (storetest's
// MembershipWrites, the same as the memory store's) in one company of
// growing size on PostgreSQL, seeded with generate_series: the cost of a
// write follows the rows it changes, not the company.
//
//	GATEHOUSE_TEST_DATABASE_URL=... go test -run '^$' -bench MembershipWrites -benchtime 200x ./store/bunstore/
//	GATEHOUSE_BENCH_MILLION=1 GATEHOUSE_TEST_DATABASE_URL=... go test -run '^$' -bench MembershipWrites -benchtime 200x ./store/bunstore/
func BenchmarkMembershipWrites(b *testing.B) {
	ctx := context.Background()
	for _, n := range writeSizes() {
		db := open(b, freshDatabase(b), pgxCache)
		require.NoError(b, bunstore.Migrate(ctx, db))
		// Members 1..n are users 1..n (member 1 an OWNER, every tenth
		// deactivated, each with a grant); user n+1 is no member.
		seed(b, db, seedShape{companies: 1, perCompany: n, users: n + 1})
		company := seedID("c", 1)
		_, err := db.NewRaw(`UPDATE gatehouse.memberships SET role = 'OWNER' WHERE company_id = ? AND user_id = ?`,
			company, seedID("u", 2)).Exec(ctx)
		require.NoError(b, err)
		f := storetest.WriteFixture{
			Service: access.NewService(bunstore.New(db)),
			Owner:   access.UserPrincipal(seedID("u", 1), company),
			CoOwner: seedID("u", 2),
			Viewer:  seedID("u", 3),
			Joiner:  seedID("u", n+1),
		}
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) { storetest.MembershipWrites(b, f) })
	}
}
