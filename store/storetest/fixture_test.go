package storetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
)

func TestWorld(t *testing.T) {
	ctx := context.Background()
	var events []string
	w := storetest.NewWorld(t, memstore.New(),
		storetest.WithOwner(access.NewUser{Email: "olga@acme.example", FirstName: "Olga"}),
		storetest.WithCompany(access.NewCompany{Name: "Acme", ExternalKey: "acme-key", Domains: []string{"acme.example"}}),
		storetest.WithAccess(access.WithAuditHook(func(e access.AuditEvent) { events = append(events, e.Action) })))

	assert.Equal(t, "olga@acme.example", w.Owner.Email)
	assert.Equal(t, storetest.T0, w.Company.CreatedAt, "the services read the World's clock")
	c, err := w.Access.GetCompany(ctx, w.AsOwner, w.Company.ID)
	require.NoError(t, err)
	assert.Equal(t, "acme-key", c.ExternalKey)
	assert.Equal(t, []string{"acme.example"}, c.Domains)
	m, err := w.Access.GetMember(ctx, w.AsOwner, w.Owner.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleOwner, m.Role)
	assert.Contains(t, events, "company.created", "the access options reach the service")

	w.Clock.Advance(time.Hour)
	u, asU := w.Member(t, "ada", access.RoleViewer, access.UserAdd)
	assert.Equal(t, storetest.T0.Add(time.Hour), u.CreatedAt)
	require.NoError(t, w.Access.Check(ctx, asU, access.UserAdd))
	assert.ErrorIs(t, w.Access.Check(ctx, asU, access.UserDelete), access.ErrForbidden)
	assert.NotEqual(t, u.Email, w.User(t, "ada").Email, "User's e-mails are unique")

	other, asOwner2 := w.NewCompany(t, access.NewCompany{Name: "Other"}, u)
	require.NoError(t, w.Access.Check(ctx, asOwner2, access.UserDelete), "the owner of the new company")
	asAdmin := w.AddMember(t, other.ID, w.Owner, access.RoleAdmin)
	require.NoError(t, w.Access.Check(ctx, asAdmin, access.UserEdit))

	made := w.APIToken(t, asU, access.RoleViewer)
	p, err := w.Token.Verify(ctx, made.Secret.Reveal())
	require.NoError(t, err)
	assert.Equal(t, w.Company.ID, p.CompanyID)
	assert.Equal(t, u.ID, p.UserID, "the token acts for its creator")
	assert.NoError(t, w.Access.Check(ctx, p, access.UserView))

	// A second World over the same store is a second company of it.
	w2 := storetest.NewWorld(t, w.Store)
	_, err = w2.Access.GetMember(ctx, w2.AsOwner, w.Owner.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)
}
