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
	// credentials are the users' password hashes and sign-in throttles,
	// apart from the users so that no read of users returns them.
	credentials table[uuid.UUID, access.Credentials]
}

func (t *userTables) init() {
	*t = userTables{users: table[uuid.UUID, access.User]{}, userByEmail: table[string, uuid.UUID]{},
		userIDs: idIndex[struct{}]{}, usersActiveIn: idIndex[uuid.UUID]{},
		credentials: table[uuid.UUID, access.Credentials]{}}
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

// GetCredentials implements access.Store.
func (s *Store) GetCredentials(ctx context.Context, userID uuid.UUID) (c access.Credentials, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		if c, ok = s.acc.credentials[userID]; !ok {
			err = access.NotFound(access.CodeCredentialsNotFound)
		}
	}); rerr != nil {
		return access.Credentials{}, rerr
	}
	return c, err
}

// LockCredentials implements access.Store. The transaction already holds
// the store's write lock, so it is GetCredentials that tells a missing
// user from a user without credentials.
func (s *Store) LockCredentials(ctx context.Context, userID uuid.UUID) (c access.Credentials, err error) {
	err = s.write(ctx, func(*tx) error {
		if _, ok := s.acc.users[userID]; !ok {
			return access.NotFound(access.CodeUserNotFound)
		}
		var ok bool
		if c, ok = s.acc.credentials[userID]; !ok {
			return access.NotFound(access.CodeCredentialsNotFound)
		}
		return nil
	})
	return c, err
}

// PutCredentials implements access.Store.
func (s *Store) PutCredentials(ctx context.Context, c *access.Credentials) error {
	return s.write(ctx, func(t *tx) error {
		if _, ok := s.acc.users[c.UserID]; !ok {
			return access.NotFound(access.CodeUserNotFound)
		}
		s.acc.credentials.put(t, c.UserID, *c)
		return nil
	})
}

// DeleteUser implements access.Store.
func (s *Store) DeleteUser(ctx context.Context, id uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		u, ok := a.users[id]
		if !ok {
			return access.NotFound(access.CodeUserNotFound)
		}
		a.deleteMemberships(t, a.userMembers[id])
		for _, g := range a.grants {
			if g.Subject == (access.Subject{Type: access.SubjectUser, ID: id}) {
				a.deleteGrant(t, g)
			}
		}
		a.credentials.del(t, id)
		if u.ActiveCompanyID != uuid.Nil {
			a.usersActiveIn.del(t, u.ActiveCompanyID, id)
		}
		a.userIDs.del(t, struct{}{}, id)
		a.userByEmail.del(t, u.Email)
		a.users.del(t, id)
		s.tok.deleteUser(t, id) // as PostgreSQL cascades
		return nil
	})
}

// LockUser implements access.Store: the store's write lock, held by the
// transaction in ctx, already serialises every change.
func (s *Store) LockUser(ctx context.Context, id uuid.UUID) error {
	return s.write(ctx, func(*tx) error {
		if _, ok := s.acc.users[id]; !ok {
			return access.NotFound(access.CodeUserNotFound)
		}
		return nil
	})
}
