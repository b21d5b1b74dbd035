package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// userTables holds the users, by ID and by normalised e-mail, as compact
// rows (see rows.go).
type userTables struct {
	userRows    rows[userRow]
	userByID    refTable[uuid.UUID]
	userByEmail refTable[string]
	userTimes   table[ref, [2]time.Time] // rows whose times do not fit a stamp
	userIDs     refIndex[struct{}]
	// usersActiveIn files users under their ActiveCompanyID, so deleting
	// a company clears it without a scan.
	usersActiveIn refIndex[uuid.UUID]
	// credentials are the users' password hashes and sign-in throttles,
	// apart from the users so that no read of users returns them.
	credentials table[uuid.UUID, access.Credentials]
	userIDOf    func(ref) uuid.UUID
}

// userRow is a user as the store keeps it, with the user's memberships.
type userRow struct {
	id, activeCompany  uuid.UUID
	email, first, last string
	status             access.UserStatus
	profile            *access.Profile // nil when empty; immutable
	created, updated   stamp
	links              userLinks
	oddTimes           bool // the times are in userTables.userTimes
}

// userLinks are a user's memberships, kept with the user's row: no map
// per user.
type userLinks struct {
	members []ref  // active ones first, each part sorted by membership ID
	active  int32  // how many of members are active
	primary uint32 // the primary membership's reference + 1, 0 without
}

func (t *userTables) init() {
	*t = userTables{userTimes: table[ref, [2]time.Time]{}, userIDs: refIndex[struct{}]{},
		usersActiveIn: refIndex[uuid.UUID]{}, credentials: table[uuid.UUID, access.Credentials]{}}
	t.userIDOf = func(r ref) uuid.UUID { return t.userRows.at(r).id }
	t.userByID = newRefTable(t.userIDOf)
	t.userByEmail = newRefTable(func(r ref) string { return t.userRows.at(r).email })
}

// userRowOf compacts u, telling whether its times need keeping beside
// the row. The row has no links.
func userRowOf(u *access.User) (userRow, bool) {
	c, okc := packTime(u.CreatedAt)
	up, oku := packTime(u.UpdatedAt)
	r := userRow{id: u.ID, activeCompany: u.ActiveCompanyID, email: u.Email, first: u.FirstName, last: u.LastName,
		status: u.Status, created: c, updated: up, oddTimes: !okc || !oku}
	if u.Profile != (access.Profile{}) {
		p := u.Profile
		r.profile = &p
	}
	return r, r.oddTimes
}

// hasUser reports whether the user exists.
func (t *userTables) hasUser(id uuid.UUID) bool {
	_, ok := t.userByID.get(id)
	return ok
}

// user rebuilds the user in row i.
func (t *userTables) user(i ref) access.User {
	r := t.userRows.at(i)
	u := access.User{ID: r.id, Email: r.email, FirstName: r.first, LastName: r.last, Status: r.status,
		ActiveCompanyID: r.activeCompany}
	if r.profile != nil {
		u.Profile = *r.profile
	}
	if r.oddTimes {
		ts := t.userTimes[i]
		u.CreatedAt, u.UpdatedAt = ts[0], ts[1]
	} else {
		u.CreatedAt, u.UpdatedAt = r.created.time(), r.updated.time()
	}
	return u
}

// userOf returns the user with the given ID.
func (t *userTables) userOf(id uuid.UUID) (access.User, bool) {
	i, ok := t.userByID.get(id)
	if !ok {
		return access.User{}, false
	}
	return t.user(i), true
}

// putUser writes u to row i (a new row if i < 0), keeping the row's links.
func (t *userTables) putUser(tx *tx, i ref, u *access.User) {
	r, odd := userRowOf(u)
	if i < 0 {
		i = t.userRows.add(tx, r)
		t.userByID.add(tx, u.ID, i)
		t.userByEmail.add(tx, u.Email, i)
		t.userIDs.add(tx, struct{}{}, i, t.userIDOf)
	} else {
		r.links = t.userRows.at(i).links
		t.userRows.set(tx, i, r)
	}
	if odd {
		t.userTimes.put(tx, i, [2]time.Time{u.CreatedAt, u.UpdatedAt})
	} else {
		t.userTimes.del(tx, i)
	}
}

// CreateUser implements access.Store.
func (s *Store) CreateUser(ctx context.Context, u *access.User) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if a.hasUser(u.ID) {
			return access.Conflict(access.CodeIDTaken, "user %s exists", u.ID)
		}
		if _, ok := a.userByEmail.get(u.Email); ok {
			return access.Conflict(access.CodeEmailTaken, "the e-mail is taken")
		}
		a.putUser(t, -1, u)
		i, _ := a.userByID.get(u.ID)
		if u.ActiveCompanyID != uuid.Nil {
			a.usersActiveIn.add(t, u.ActiveCompanyID, i, a.userIDOf)
		}
		return nil
	})
}

// GetUser implements access.Store.
func (s *Store) GetUser(ctx context.Context, id uuid.UUID) (u access.User, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		if u, ok = s.acc.userOf(id); !ok {
			err = access.NotFound(access.CodeUserNotFound)
		}
	}); rerr != nil {
		return access.User{}, rerr
	}
	return u, err
}

// GetUsers implements access.Store.
func (s *Store) GetUsers(ctx context.Context, ids []uuid.UUID) (out []access.User, err error) {
	err = s.read(ctx, func() {
		out = make([]access.User, 0, len(ids))
		seen := make(map[uuid.UUID]bool, len(ids))
		for _, id := range ids {
			if u, ok := s.acc.userOf(id); ok && !seen[id] {
				seen[id] = true
				out = append(out, u)
			}
		}
		slices.SortFunc(out, func(a, b access.User) int { return compareID(a.ID, b.ID) })
	})
	return out, err
}

// GetUserByEmail implements access.Store.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (u access.User, err error) {
	if rerr := s.read(ctx, func() {
		i, ok := s.acc.userByEmail.get(email)
		if !ok {
			err = access.NotFound(access.CodeUserNotFound)
			return
		}
		u = s.acc.user(i)
	}); rerr != nil {
		return access.User{}, rerr
	}
	return u, err
}

// UpdateUser implements access.Store.
func (s *Store) UpdateUser(ctx context.Context, u *access.User) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		i, ok := a.userByID.get(u.ID)
		if !ok {
			return access.NotFound(access.CodeUserNotFound)
		}
		old := a.user(i)
		nu := *u
		nu.Email, nu.CreatedAt = old.Email, old.CreatedAt
		recount := old.Status != nu.Status
		if recount {
			a.countUserOwners(t, i, -1) // as counted under the old status
		}
		a.putUser(t, i, &nu)
		if recount {
			a.countUserOwners(t, i, 1)
		}
		if old.ActiveCompanyID != nu.ActiveCompanyID {
			if old.ActiveCompanyID != uuid.Nil {
				a.usersActiveIn.del(t, old.ActiveCompanyID, i, a.userIDOf)
			}
			if nu.ActiveCompanyID != uuid.Nil {
				a.usersActiveIn.add(t, nu.ActiveCompanyID, i, a.userIDOf)
			}
		}
		return nil
	})
}

// countUserOwners adds delta to the owner count of every company where
// user row i holds an active OWNER membership, as countOwner counts it
// under the user's current status.
func (a *accessTables) countUserOwners(t *tx, i ref, delta int) {
	l := &a.userRows.at(i).links
	for _, r := range l.members[:l.active] {
		m := a.membership(r)
		a.countOwner(t, &m, delta)
	}
}

// ListUsers implements access.Store.
func (s *Store) ListUsers(ctx context.Context, c access.Cursor) (out []access.User, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		refs := a.userIDs[struct{}{}].appendAfter(nil, c.After, limitOf(c), a.userIDOf)
		out = make([]access.User, len(refs))
		for k, r := range refs {
			out[k] = a.user(r)
		}
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
		if !s.acc.hasUser(userID) {
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
		if !s.acc.hasUser(c.UserID) {
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
		i, ok := a.userByID.get(id)
		if !ok {
			return access.NotFound(access.CodeUserNotFound)
		}
		a.deleteMemberships(t, a.userRows.at(i).links.members)
		for _, g := range a.grants {
			if g.Subject == (access.Subject{Type: access.SubjectUser, ID: id}) {
				a.deleteGrant(t, g)
			}
		}
		a.credentials.del(t, id)
		u := a.user(i)
		if u.ActiveCompanyID != uuid.Nil {
			a.usersActiveIn.del(t, u.ActiveCompanyID, i, a.userIDOf)
		}
		a.userIDs.del(t, struct{}{}, i, a.userIDOf)
		a.userByEmail.del(t, u.Email, i)
		a.userByID.del(t, id, i)
		a.userTimes.del(t, i)
		a.userRows.del(t, i)
		s.tok.deleteUser(t, id) // as PostgreSQL cascades
		return nil
	})
}

// LockUser implements access.Store: the store's write lock, held by the
// transaction in ctx, already serialises every change.
func (s *Store) LockUser(ctx context.Context, id uuid.UUID) error {
	return s.write(ctx, func(*tx) error {
		if !s.acc.hasUser(id) {
			return access.NotFound(access.CodeUserNotFound)
		}
		return nil
	})
}
