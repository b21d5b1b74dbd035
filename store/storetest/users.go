package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
)

func testUsers(t *testing.T, newStore Factory) {
	t.Run("round trip", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		u := f.user(func(u *access.User) {
			u.Profile = access.Profile{Lang: "de", Theme: "dark", Currency: "EUR", Birthdate: "1815-12-10", AvatarURL: "https://example.com/a.png"}
			u.ActiveCompanyID = c.ID
			u.UpdatedAt = f.now.Add(time.Second)
		})
		got, err := f.s.GetUser(f.ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, u, normUser(got))
		got, err = f.s.GetUserByEmail(f.ctx, u.Email)
		require.NoError(t, err)
		assert.Equal(t, u, normUser(got))
	})
	t.Run("not found", func(t *testing.T) {
		f := newRows(t, newStore)
		f.user()
		_, err := f.s.GetUser(f.ctx, newID())
		assertNotFound(t, err, access.CodeUserNotFound)
		_, err = f.s.GetUserByEmail(f.ctx, "nobody@example.com")
		assertNotFound(t, err, access.CodeUserNotFound)
		err = f.s.UpdateUser(f.ctx, &access.User{ID: newID(), Email: "x@example.com", Status: access.UserActive})
		assertNotFound(t, err, access.CodeUserNotFound)
	})
	t.Run("unique", func(t *testing.T) {
		f := newRows(t, newStore)
		u := f.user()
		dup := access.User{ID: newID(), Email: u.Email, Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
		assertConflict(t, f.s.CreateUser(f.ctx, &dup), access.CodeEmailTaken)
		_, err := f.s.GetUser(f.ctx, dup.ID)
		assertNotFound(t, err, access.CodeUserNotFound, "the refused user was stored")
		sameID := u
		sameID.Email = "other@example.com"
		assertConflict(t, f.s.CreateUser(f.ctx, &sameID), access.CodeIDTaken)
		_, err = f.s.GetUserByEmail(f.ctx, sameID.Email)
		assertNotFound(t, err, access.CodeUserNotFound, "the refused user's e-mail was stored")
	})
	t.Run("update", func(t *testing.T) {
		f := newRows(t, newStore)
		c := f.company()
		u := f.user()
		later := f.now.Add(time.Minute)
		upd := access.User{
			ID: u.ID, Email: "changed@example.com", FirstName: "Grace", LastName: "Hopper", Status: access.UserDisabled,
			Profile:         access.Profile{Lang: "en", Theme: "light", Currency: "USD", Birthdate: "1906-12-09", AvatarURL: "https://example.com/g.png"},
			ActiveCompanyID: c.ID, CreatedAt: later, UpdatedAt: later,
		}
		require.NoError(t, f.s.UpdateUser(f.ctx, &upd))
		got, err := f.s.GetUser(f.ctx, u.ID)
		require.NoError(t, err)
		want := upd
		want.Email, want.CreatedAt = u.Email, u.CreatedAt // never updated
		assert.Equal(t, want, normUser(got))
		_, err = f.s.GetUserByEmail(f.ctx, "changed@example.com")
		assertNotFound(t, err, access.CodeUserNotFound)
	})
	t.Run("pages", func(t *testing.T) {
		f := newRows(t, newStore)
		checkListing(t, 10, func(id uuid.UUID) {
			u := access.User{ID: id, Email: "p-" + id.String() + "@example.com", Status: access.UserActive, CreatedAt: f.now, UpdatedAt: f.now}
			require.NoError(t, f.s.CreateUser(f.ctx, &u))
		}, func(c access.Cursor) ([]uuid.UUID, error) {
			us, err := f.s.ListUsers(f.ctx, c)
			return idsOf(us, func(u access.User) uuid.UUID { return u.ID }), err
		})
	})
}
