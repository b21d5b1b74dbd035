package memstore

import (
	"context"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// userTables holds the users, by ID and by normalised e-mail.
type userTables struct {
	users       table[uuid.UUID, access.User]
	userByEmail table[string, uuid.UUID]
	userIDs     idIndex[struct{}]
	// usersActiveIn files users under their ActiveCompanyID, so deleting
	// a company clears it without a scan.
	usersActiveIn idIndex[uuid.UUID]
}

func (t *userTables) init() {
	*t = userTables{users: table[uuid.UUID, access.User]{}, userByEmail: table[string, uuid.UUID]{},
		userIDs: idIndex[struct{}]{}, usersActiveIn: idIndex[uuid.UUID]{}}
}

// CreateUser implements access.Store.
func (s *Store) CreateUser(ctx context.Context, u *access.User) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if _, ok := a.users[u.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "user %s exists", u.ID)
		}
		if _, ok := a.userByEmail[u.Email]; ok {
			return access.Conflict(access.CodeEmailTaken, "the e-mail is taken")
		}
		a.users.put(t, u.ID, *u)
		a.userByEmail.put(t, u.Email, u.ID)
		a.userIDs.add(t, struct{}{}, u.ID)
		if u.ActiveCompanyID != uuid.Nil {
			a.usersActiveIn.add(t, u.ActiveCompanyID, u.ID)
		}
		return nil
	})
}

// GetUser implements access.Store.
func (s *Store) GetUser(ctx context.Context, id uuid.UUID) (u access.User, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		if u, ok = s.acc.users[id]; !ok {
			err = access.NotFound(access.CodeUserNotFound)
		}
	}); rerr != nil {
		return access.User{}, rerr
	}
	return u, err
}

// GetUserByEmail implements access.Store.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (u access.User, err error) {
	if rerr := s.read(ctx, func() {
		id, ok := s.acc.userByEmail[email]
		if !ok {
			err = access.NotFound(access.CodeUserNotFound)
			return
		}
		u = s.acc.users[id]
	}); rerr != nil {
		return access.User{}, rerr
	}
	return u, err
}

// UpdateUser implements access.Store.
func (s *Store) UpdateUser(ctx context.Context, u *access.User) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		old, ok := a.users[u.ID]
		if !ok {
			return access.NotFound(access.CodeUserNotFound)
		}
		nu := *u
		nu.Email, nu.CreatedAt = old.Email, old.CreatedAt
		a.users.put(t, u.ID, nu)
		if old.ActiveCompanyID != nu.ActiveCompanyID {
			if old.ActiveCompanyID != uuid.Nil {
				a.usersActiveIn.del(t, old.ActiveCompanyID, u.ID)
			}
			if nu.ActiveCompanyID != uuid.Nil {
				a.usersActiveIn.add(t, nu.ActiveCompanyID, u.ID)
			}
		}
		return nil
	})
}

// ListUsers implements access.Store.
func (s *Store) ListUsers(ctx context.Context, c access.Cursor) (out []access.User, err error) {
	err = s.read(ctx, func() {
		out = page(s.acc.userIDs, struct{}{}, c, func(id uuid.UUID) (access.User, bool) {
			return s.acc.users[id], true
		})
	})
	return out, err
}
