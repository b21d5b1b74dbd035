package bunstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/store/bunstore/pgtest"
	"github.com/gatehouse-go/gatehouse/token"
)

// BenchmarkPrepared measures what running without server-side prepared
// statements costs (WithoutPreparedStatements, or pgx's stdlib in a mode
// that prepares nothing, as behind PgBouncer in transaction mode), on one
// database, side by side: a permission check, a token verification and a
// role change (a transaction: the company's lock, the last-owner rule, the
// update, the audit event), per way of reaching the server:
//
//   - pgx-cache: pgx's default; bunstore prepares its two hot reads and pgx
//     caches a prepared statement for every other text it sees;
//
//   - pgx-exec: default_query_exec_mode=exec; nothing prepared, one round
//     trip per statement with unnamed statements;
//
//   - pgx-simple: the simple protocol; nothing prepared, arguments
//     interpolated by pgx;
//
//   - pgbouncer/pgx-exec: pgx-exec through PgBouncer in transaction mode
//     (GATEHOUSE_TEST_PGBOUNCER_URL; skipped without it).
//
//     GATEHOUSE_TEST_DATABASE_URL=... GATEHOUSE_TEST_PGBOUNCER_URL=... \
//     go test -run '^$' -bench Prepared -benchtime 2000x ./store/bunstore/
func BenchmarkPrepared(b *testing.B) {
	ctx := context.Background()
	tg := freshDatabase(b)
	setup := open(b, tg, pgxCache)
	acc := access.NewService(migrated(b, setup))
	sys := access.SystemPrincipal()
	owner, err := acc.CreateUser(ctx, sys, access.NewUser{Email: "owner@acme.example"})
	require.NoError(b, err)
	c, err := acc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	require.NoError(b, err)
	p := access.UserPrincipal(owner.ID, c.ID)
	members := make([]uuid.UUID, 200)
	for i := range members {
		m, err := acc.AddMember(ctx, p, access.NewMember{Email: fmt.Sprintf("m%d@acme.example", i), Role: access.RoleViewer, CreateUser: true})
		require.NoError(b, err)
		members[i] = m.User.ID
	}
	tokens := token.NewService(acc)
	secrets := make([]string, 200)
	for i := range secrets {
		made, err := tokens.Create(ctx, p, token.NewToken{Name: fmt.Sprintf("t%d", i), Level: access.LevelViewer})
		require.NoError(b, err)
		secrets[i] = made.Secret.Reveal()
	}
	_, err = setup.ExecContext(ctx, "ANALYZE")
	require.NoError(b, err)

	ways := []struct {
		name string
		tg   target
		d    driver
	}{{string(pgxCache), tg, pgxCache}, {string(pgxExec), tg, pgxExec}, {string(pgxSimple), tg, pgxSimple}}
	if pooled, ok := pooledTarget(b, tg); ok {
		ways = append(ways, struct {
			name string
			tg   target
			d    driver
		}{"pgbouncer/" + string(pgxExec), pooled, pgxExec})
	}
	roles := []string{access.RoleAdmin, access.RoleViewer}
	for _, w := range ways {
		st := bunstore.New(open(b, w.tg, w.d))
		svc := access.NewService(st)
		tok := token.NewService(svc)
		for _, s := range secrets { // record the last use now, so no write is timed
			_, err := tok.Verify(ctx, s)
			require.NoError(b, err)
		}
		b.Run(w.name+"/check", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if err := svc.Check(ctx, access.UserPrincipal(members[i%len(members)], c.ID), access.UserView); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(w.name+"/verify", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := tok.Verify(ctx, secrets[i%len(secrets)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(w.name+"/role-change", func(b *testing.B) {
			i := 0
			for b.Loop() {
				role := roles[(i/len(members))%2]
				if _, err := svc.UpdateMember(ctx, p, members[i%len(members)], access.MemberUpdate{Role: &role}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// pooledTarget is tg reached through GATEHOUSE_TEST_PGBOUNCER_URL's
// pooler, if one is named.
func pooledTarget(b *testing.B, tg target) (target, bool) {
	if os.Getenv("GATEHOUSE_TEST_PGBOUNCER_URL") == "" {
		return target{}, false
	}
	return target{url: pgtest.ThroughPooler(b, tg.url), pooler: true}, true
}
