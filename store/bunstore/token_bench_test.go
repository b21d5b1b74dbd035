package bunstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/token"
)

// BenchmarkVerify verifies API tokens on PostgreSQL, per driver, next to
// its floor: the same indexed look-up by digest as a statement prepared by
// hand on the raw driver, after the same SHA-256. Verification adds the
// parse, the checksum and the constant-time comparison.
//
//	GATEHOUSE_TEST_DATABASE_URL=... go test -run '^$' -bench Verify ./store/bunstore/
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	tg := freshDatabase(b)
	setup := open(b, tg, pgxCache)
	st0 := migrated(b, setup)
	acc := access.NewService(st0)
	owner, err := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "owner@acme.example"})
	require.NoError(b, err)
	c, err := acc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	require.NoError(b, err)
	tokens := token.NewService(acc)
	p := access.UserPrincipal(owner.ID, c.ID)
	secrets := make([]string, 1000)
	for i := range secrets {
		made, err := tokens.Create(ctx, p, token.NewToken{Name: fmt.Sprintf("t%d", i), Level: access.LevelViewer})
		require.NoError(b, err)
		secrets[i] = made.Secret.Reveal()
	}
	_, err = setup.ExecContext(ctx, "ANALYZE")
	require.NoError(b, err)

	for _, d := range drivers {
		db := open(b, tg, d)
		st := bunstore.New(db)
		svc := token.NewService(access.NewService(st))
		for _, s := range secrets { // record the last use now, so no write is timed
			_, err := svc.Verify(ctx, s)
			require.NoError(b, err)
		}
		b.Run(string(d)+"/verify", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := svc.Verify(ctx, secrets[i%len(secrets)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(string(d)+"/raw", func(b *testing.B) {
			stmt, err := db.DB.PrepareContext(ctx, `SELECT id, kind, company_id, user_id, name, permissions, level, digest, hint,
				expires_at, last_used_at, revoked_at, created_at FROM gatehouse.tokens WHERE digest = $1`)
			require.NoError(b, err)
			defer stmt.Close()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dg := token.Hash(secrets[i%len(secrets)])
				var (
					id, company, user, kind, name, perms, hint string
					level                                      int
					digest                                     []byte
					expires, used, revoked, created            any
				)
				if err := stmt.QueryRowContext(ctx, dg[:]).Scan(&id, &kind, &company, &user, &name, &perms, &level, &digest,
					&hint, &expires, &used, &revoked, &created); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// migrated migrates db and returns a store over it.
func migrated(tb testing.TB, db *bun.DB) *bunstore.Store {
	tb.Helper()
	require.NoError(tb, bunstore.Migrate(context.Background(), db))
	return bunstore.New(db)
}
