package bunstore_test

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// tablesIn lists the tables of schema.
func tablesIn(t *testing.T, db *bun.DB, schema string) []string {
	t.Helper()
	var names []string
	require.NoError(t, db.NewRaw(`SELECT tablename FROM pg_tables WHERE schemaname = ? ORDER BY tablename`,
		schema).Scan(context.Background(), &names))
	return names
}

// TestMigrateBesideHostTables: a host's own users and companies tables in
// public stay as they are; the store's go to its schema.
func TestMigrateBesideHostTables(t *testing.T) {
	ctx := context.Background()
	db := open(t, freshDatabase(t), pgxSimple)
	for _, stmt := range []string{
		`CREATE TABLE users (id bigint PRIMARY KEY, login text NOT NULL)`,
		`CREATE TABLE companies (id bigint PRIMARY KEY)`,
		`INSERT INTO users VALUES (1, 'host')`,
	} {
		_, err := db.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	require.NoError(t, bunstore.Migrate(ctx, db))
	require.NoError(t, bunstore.Migrate(ctx, db))

	assert.Equal(t, []string{"companies", "users"}, tablesIn(t, db, "public"))
	var login string
	require.NoError(t, db.NewRaw(`SELECT login FROM public.users WHERE id = 1`).Scan(ctx, &login))
	assert.Equal(t, "host", login)
	assert.Contains(t, tablesIn(t, db, bunstore.DefaultSchema), "users")
	assert.Contains(t, tablesIn(t, db, bunstore.DefaultSchema), "gatehouse_migrations")

	s := bunstore.New(db)
	u := user(newID(), time.Now())
	require.NoError(t, s.CreateUser(ctx, u))
	got, err := s.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, u.Email, got.Email)
}

// legacyMigrate migrates db as bunstore did before it had a schema of its
// own: the same migrations, unqualified, into the search path's schema.
func legacyMigrate(t *testing.T, db *bun.DB) int {
	t.Helper()
	ctx := context.Background()
	files := fstest.MapFS{}
	entries, err := os.ReadDir("migrations")
	require.NoError(t, err)
	for _, e := range entries {
		b, err := fs.ReadFile(os.DirFS("migrations"), e.Name())
		require.NoError(t, err)
		files[e.Name()] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(b), "?schema.", ""))}
	}
	ms := migrate.NewMigrations()
	require.NoError(t, ms.Discover(files))
	m := migrate.NewMigrator(db, ms, migrate.WithTableName("gatehouse_migrations"),
		migrate.WithLocksTableName("gatehouse_migration_locks"), migrate.WithMarkAppliedOnSuccess(true))
	require.NoError(t, m.Init(ctx))
	_, err = m.Migrate(ctx)
	require.NoError(t, err)
	return len(entries)
}

// TestMigrateMovesLegacyTables: a database migrated by the code before the
// schema ends up with every table in the schema, its data intact and no
// migration applied again.
func TestMigrateMovesLegacyTables(t *testing.T) {
	ctx := context.Background()
	db := open(t, freshDatabase(t), pgxCache)
	n := legacyMigrate(t, db)
	legacy := tablesIn(t, db, "public")
	require.Contains(t, legacy, "gatehouse_migrations")
	require.Contains(t, legacy, "users")

	// Data written where the old code kept it.
	old := bunstore.New(db, bunstore.WithSchema("public"))
	now := time.Now().UTC().Truncate(time.Microsecond)
	u, c := user(newID(), now), company(newID(), now)
	c.Domains = []string{"acme.example"}
	require.NoError(t, old.CreateUser(ctx, u))
	require.NoError(t, old.CreateCompany(ctx, c))
	m := &access.Membership{ID: newID(), CompanyID: c.ID, UserID: u.ID, Role: access.RoleOwner, Active: true,
		CreatedAt: now, UpdatedAt: now}
	require.NoError(t, old.CreateMembership(ctx, m))

	require.NoError(t, bunstore.Migrate(ctx, db))
	require.NoError(t, bunstore.Migrate(ctx, db))

	assert.Empty(t, tablesIn(t, db, "public"), "a table stayed behind")
	assert.Equal(t, legacy, tablesIn(t, db, bunstore.DefaultSchema))
	assert.Equal(t, n, countMigrations(t, db), "a migration ran again")
	var indexesLeft int
	require.NoError(t, db.NewRaw(`SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'`).Scan(ctx, &indexesLeft))
	assert.Zero(t, indexesLeft)

	s := bunstore.New(db)
	got, err := s.GetUser(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, u.Email, got.Email)
	byDomain, err := s.GetCompanyByDomain(ctx, "acme.example")
	require.NoError(t, err)
	assert.Equal(t, c.ID, byDomain.ID)
	gotM, err := s.GetMembership(ctx, c.ID, u.ID)
	require.NoError(t, err)
	assert.Equal(t, m.ID, gotM.ID)
	// The constraints came along.
	err = s.CreateUser(ctx, &access.User{ID: newID(), Email: strings.ToUpper(u.Email), Status: access.UserActive,
		CreatedAt: now, UpdatedAt: now})
	assert.ErrorIs(t, err, access.ErrConflict)
}

// TestTwoSchemas: two stores with schemas of their own in one database see
// nothing of each other, transactions included.
func TestTwoSchemas(t *testing.T) {
	ctx := context.Background()
	db := open(t, freshDatabase(t), pgxCache)
	require.NoError(t, bunstore.Migrate(ctx, db, bunstore.WithSchema("tenant_a")))
	require.NoError(t, bunstore.Migrate(ctx, db, bunstore.WithSchema("tenant b")))
	a := bunstore.New(db, bunstore.WithSchema("tenant_a"))
	b := bunstore.New(db, bunstore.WithSchema("tenant b"))
	assert.Empty(t, tablesIn(t, db, "public"))
	assert.Empty(t, tablesIn(t, db, bunstore.DefaultSchema))

	now := time.Now()
	u := user(newID(), now)
	require.NoError(t, a.CreateUser(ctx, u))
	_, err := b.GetUser(ctx, u.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)
	require.NoError(t, b.CreateUser(ctx, u), "the same user in the other schema")

	// b does not join a's transaction: its write stays when a's rolls back.
	u2 := user(newID(), now)
	errBoom := assert.AnError
	err = a.RunInTx(ctx, func(ctx context.Context) error {
		require.NoError(t, a.CreateUser(ctx, user(newID(), now)))
		require.NoError(t, b.CreateUser(ctx, u2))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	_, err = b.GetUser(ctx, u2.ID)
	require.NoError(t, err)
	_, err = a.GetUser(ctx, u2.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)

	// The prepared reads name their schema too.
	c := company(newID(), now)
	require.NoError(t, b.CreateCompany(ctx, c))
	require.NoError(t, b.CreateMembership(ctx, &access.Membership{ID: newID(), CompanyID: c.ID, UserID: u.ID,
		Role: access.RoleOwner, Active: true, CreatedAt: now, UpdatedAt: now}))
	factsB, err := b.CheckAccess(ctx, access.AccessQuery{CompanyID: c.ID, UserID: u.ID})
	require.NoError(t, err)
	assert.True(t, factsB.Member)
	factsA, err := a.CheckAccess(ctx, access.AccessQuery{CompanyID: c.ID, UserID: u.ID})
	require.NoError(t, err)
	assert.False(t, factsA.Member)
}
