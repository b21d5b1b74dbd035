package access_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

func TestNormalizeEmail(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"Alice@Example.COM", "alice@example.com", true},
		{"  bob@example.org ", "bob@example.org", true},
		{"", "", false},
		{"no-at-sign", "", false},
		{"Alice <alice@example.com>", "", false},
		{"a@localhost", "", false},
		{"a@@example.com", "", false},
	} {
		got, err := access.NormalizeEmail(tc.in)
		if !tc.ok {
			assert.ErrorIs(t, err, access.ErrInvalid, tc.in)
			assert.Equal(t, "email", access.FieldOf(err), tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
	}
}

func TestDerivePermissions(t *testing.T) {
	for _, tc := range []struct {
		level int
		want  access.Derived
	}{
		{access.LevelOwner, access.Derived{CanRead: true, CanUpdate: true, CanDestroy: true}},
		{access.LevelAdmin, access.Derived{CanRead: true, CanUpdate: true, CanLeave: true}},
		{access.LevelViewerPlus, access.Derived{CanRead: true, CanUpdate: true, CanLeave: true}},
		{access.LevelViewer, access.Derived{CanRead: true, CanLeave: true}},
		{access.LevelIndeterminate, access.Derived{CanLeave: true}},
		{0, access.Derived{}},
	} {
		assert.Equal(t, tc.want, access.DerivePermissions(tc.level), "level %d", tc.level)
	}
}

func TestCatalog(t *testing.T) {
	c, err := access.NewCatalog(
		access.WithPermissions(access.PermissionsFor("orders")...),
		access.WithRoles(access.RoleSpec{Code: "ACCOUNTANT", Level: 30, Permissions: []string{"ORDERS_EDIT"}}),
	)
	require.NoError(t, err)

	roles := c.Roles()
	require.Len(t, roles, 5)
	assert.Equal(t, access.RoleOwner, roles[0].Code, "highest level first")
	for _, r := range roles {
		assert.Equal(t, access.RoleID(r.Code), r.ID, "stable IDs")
	}
	for _, tc := range []struct {
		role, perm string
		want       bool
	}{
		{access.RoleOwner, "ORDERS_DELETE", true},
		{access.RoleAdmin, access.UserDelete, true},
		{access.RoleViewerPlus, "ORDERS_EDIT", true},
		{access.RoleViewerPlus, "ORDERS_ADD", false},
		{access.RoleViewer, access.UserView, true},
		{access.RoleViewer, access.UserEdit, false},
		{"ACCOUNTANT", "ORDERS_EDIT", true},
		{"ACCOUNTANT", "ORDERS_VIEW", true}, // implied by ORDERS_EDIT
		{"ACCOUNTANT", access.UserView, false},
		{"NOBODY", access.UserView, false},
	} {
		assert.Equal(t, tc.want, c.RoleHas(tc.role, tc.perm), "%s %s", tc.role, tc.perm)
	}
	assert.Equal(t, 0, c.Level("NOBODY"), "an unknown role has no level")

	got, err := c.ParsePermissions("permissions", []string{"orders_delete", "USER_EDIT", "ORDERS_DELETE"})
	require.NoError(t, err)
	assert.Equal(t, []string{"ORDERS_DELETE", "ORDERS_VIEW", "USER_EDIT", "USER_VIEW"}, got)
	_, err = c.ParsePermissions("permissions", []string{"TIME_TRAVEL"})
	assert.ErrorIs(t, err, access.ErrInvalid)

	_, err = access.NewCatalog(access.WithRoles(access.RoleSpec{Code: "OWNER", Level: 5}))
	assert.Error(t, err, "a built-in role cannot be registered twice")
	_, err = access.NewCatalog(access.WithRoles(access.RoleSpec{Code: "GOD", Level: 5000}))
	assert.Error(t, err, "levels stay within 1..1000")
}

func TestPageRequest(t *testing.T) {
	c, err := access.PageRequest{}.Cursor()
	require.NoError(t, err)
	assert.Equal(t, access.DefaultPageLimit, c.Limit)
	for _, bad := range []access.PageRequest{{Limit: -1}, {Limit: access.MaxPageLimit + 1}, {After: "%%%"}, {After: "AAAA"}} {
		_, err := bad.Cursor()
		assert.ErrorIs(t, err, access.ErrInvalid)
	}
}

func TestErrorKinds(t *testing.T) {
	err := error(access.Invalid("email", "bad"))
	assert.True(t, errors.Is(err, access.ErrInvalid))
	assert.False(t, errors.Is(err, access.ErrConflict))
	assert.Equal(t, "invalid input: email: bad", err.Error())
	last := &access.Error{Kind: access.ErrConflict, Code: access.CodeLastOwner, Message: "x"}
	assert.ErrorIs(t, last, access.ErrLastOwner, "specific errors compare by kind and code")
	assert.ErrorIs(t, last, access.ErrConflict)
	assert.NotErrorIs(t, access.Conflict(access.CodeEmailTaken, "x"), access.ErrLastOwner)
	assert.Equal(t, access.CodeInternal, access.CodeOf(errors.New("boom")))
}

func TestCheckRejectsUnknownPermission(t *testing.T) {
	ctx := context.Background()
	svc := access.NewService(memstore.New())
	u, err := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "olga@acme.example"})
	require.NoError(t, err)
	c, err := svc.CreateCompany(ctx, access.UserPrincipal(u.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
	require.NoError(t, err)
	owner := access.UserPrincipal(u.ID, c.ID)
	for _, p := range []access.Principal{owner, access.SystemPrincipal(), {}} {
		err := svc.Check(ctx, p, "USER_VEIW")
		assert.ErrorIs(t, err, access.ErrInvalid, "a typo is the caller's mistake, not a denial")
		assert.Equal(t, "permission", access.FieldOf(err))
		assert.Contains(t, err.Error(), "USER_VEIW", "the error names it")
		ok, err := svc.Can(ctx, p, "USER_VEIW")
		assert.False(t, ok)
		assert.ErrorIs(t, err, access.ErrInvalid)
	}
	assert.NoError(t, svc.Check(ctx, owner, access.UserView))
}
