package bunstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
)

// userRow is a users row. Zero values of nullable columns are NULL.
type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID                                 uuid.UUID `bun:",pk"`
	Email, FirstName, LastName, Status string
	Lang, Theme, Currency, AvatarURL   string
	Birthdate                          string    `bun:",nullzero"` // YYYY-MM-DD
	ActiveCompanyID                    uuid.UUID `bun:",nullzero"`
	CreatedAt, UpdatedAt               time.Time
}

// userCols selects the users row aliased a, its columns prefixed by p.
func userCols(a, p string) string {
	return prefixed(a, p, "id", "email", "first_name", "last_name", "status", "lang", "theme",
		"currency", "coalesce(to_char(%s.birthdate, 'YYYY-MM-DD'), '') AS %sbirthdate", "avatar_url",
		"active_company_id", "created_at", "updated_at")
}

func newUserRow(u *access.User) *userRow {
	return &userRow{
		ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Status: string(u.Status),
		Lang: u.Profile.Lang, Theme: u.Profile.Theme, Currency: u.Profile.Currency, Birthdate: u.Profile.Birthdate,
		AvatarURL: u.Profile.AvatarURL, ActiveCompanyID: u.ActiveCompanyID, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

func (r userRow) user() access.User {
	return access.User{
		ID: r.ID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
		Status: access.UserStatus(r.Status),
		Profile: access.Profile{
			Lang: r.Lang, Theme: r.Theme, Currency: r.Currency, Birthdate: r.Birthdate, AvatarURL: r.AvatarURL,
		},
		ActiveCompanyID: r.ActiveCompanyID,
		CreatedAt:       r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

var selectUser = `SELECT ` + userCols("u", "") + ` FROM ?schema.users u`

// CreateUser implements access.Store. users_email_lower_key holds the
// e-mail's rule.
func (s *Store) CreateUser(ctx context.Context, u *access.User) error {
	return s.insert(ctx, access.CodeUserNotFound, newUserRow(u))
}

func (s *Store) getUser(ctx context.Context, where string, arg any) (access.User, error) {
	var r userRow
	if err := s.scan(ctx, access.CodeUserNotFound, &r, selectUser+` WHERE `+where, arg); err != nil {
		return access.User{}, err
	}
	return r.user(), nil
}

// GetUser implements access.Store.
func (s *Store) GetUser(ctx context.Context, id uuid.UUID) (access.User, error) {
	return s.getUser(ctx, `u.id = ?`, id)
}

// GetUsers implements access.Store in one statement (users' primary key).
func (s *Store) GetUsers(ctx context.Context, ids []uuid.UUID) ([]access.User, error) {
	if len(ids) == 0 {
		return []access.User{}, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = id.String()
	}
	var rows []userRow
	if err := s.scan(ctx, access.CodeUserNotFound, &rows, selectUser+` WHERE u.id = ANY(?::uuid[]) ORDER BY u.id`, pgdialect.Array(keys)); err != nil {
		return nil, err
	}
	return each(rows, userRow.user), nil
}

// GetUserByEmail implements access.Store.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (access.User, error) {
	return s.getUser(ctx, `lower(u.email) = lower(?)`, email)
}

// UpdateUser implements access.Store.
func (s *Store) UpdateUser(ctx context.Context, u *access.User) error {
	return s.update(ctx, access.CodeUserNotFound, newUserRow(u), "first_name", "last_name", "status", "lang", "theme",
		"currency", "birthdate", "avatar_url", "active_company_id", "updated_at")
}

// ListUsers implements access.Store.
func (s *Store) ListUsers(ctx context.Context, c access.Cursor) ([]access.User, error) {
	var rows []userRow
	if err := s.scan(ctx, access.CodeUserNotFound, &rows, selectUser+` WHERE u.id > ? ORDER BY u.id LIMIT ?`,
		c.After, limitOf(c)); err != nil {
		return nil, err
	}
	return each(rows, userRow.user), nil
}

// prefixed renders a select list of the columns of table alias a as
// p-prefixed names, for rows that embed others (bun:"embed:p"). A column
// holding %s is an expression with the alias and the prefix to fill in.
func prefixed(a, p string, cols ...string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		if strings.Contains(c, "%s") {
			fmt.Fprintf(&b, c, a, p)
		} else {
			fmt.Fprintf(&b, "%s.%s AS %s%s", a, c, p, c)
		}
	}
	return b.String()
}

// credentialsRow is a credentials row (migration 20261201000010): read
// only by the three methods below, never joined into a read of users.
type credentialsRow struct {
	bun.BaseModel `bun:"table:credentials"`

	UserID        uuid.UUID `bun:",pk"`
	Hash          string
	Failures      int
	LastFailureAt time.Time `bun:",nullzero"`
	UpdatedAt     time.Time
}

func (r credentialsRow) credentials() access.Credentials {
	return access.Credentials{UserID: r.UserID, Hash: r.Hash, Failures: r.Failures,
		LastFailureAt: utcOrZero(r.LastFailureAt), UpdatedAt: r.UpdatedAt.UTC()}
}

const selectCredentials = `SELECT user_id, hash, failures, last_failure_at, updated_at FROM ?schema.credentials WHERE user_id = ?`

// GetCredentials implements access.Store.
func (s *Store) GetCredentials(ctx context.Context, userID uuid.UUID) (access.Credentials, error) {
	var r credentialsRow
	if err := s.scan(ctx, access.CodeCredentialsNotFound, &r, selectCredentials, userID); err != nil {
		return access.Credentials{}, err
	}
	return r.credentials(), nil
}

// LockCredentials implements access.Store. The lock is the user row's FOR
// NO KEY UPDATE (it exists before the credentials do, and does not block
// the foreign keys of memberships and tokens), and the credentials are
// read by a second statement: under READ COMMITTED that one sees what the
// transaction that held the lock before committed, which a join locking
// the user would not (its snapshot predates the wait).
func (s *Store) LockCredentials(ctx context.Context, userID uuid.UUID) (access.Credentials, error) {
	var n int
	err := s.scan(ctx, access.CodeUserNotFound, &n,
		`SELECT count(*) FROM (SELECT 1 FROM ?schema.users WHERE id = ? FOR NO KEY UPDATE) AS u`, userID)
	if err := one(n, err, access.CodeUserNotFound); err != nil {
		return access.Credentials{}, err
	}
	return s.GetCredentials(ctx, userID)
}

// PutCredentials implements access.Store: one upsert.
func (s *Store) PutCredentials(ctx context.Context, c *access.Credentials) error {
	r := &credentialsRow{UserID: c.UserID, Hash: c.Hash, Failures: c.Failures, LastFailureAt: c.LastFailureAt,
		UpdatedAt: c.UpdatedAt}
	return s.run(ctx, access.CodeUserNotFound, func(db bun.IDB) error {
		_, err := db.NewInsert().Model(r).ModelTableExpr(modelTable).On("CONFLICT (user_id) DO UPDATE").
			Set("hash = EXCLUDED.hash, failures = EXCLUDED.failures").
			Set("last_failure_at = EXCLUDED.last_failure_at, updated_at = EXCLUDED.updated_at").
			Exec(ctx)
		return err
	})
}

// DeleteUser implements access.Store: one statement. The grants the user
// holds as a user go through grants_subject_idx; memberships,
// credentials, tokens and links follow the user row (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, id uuid.UUID) error {
	n, err := s.exec(ctx, access.CodeUserNotFound, `WITH g AS (
		DELETE FROM ?schema.grants WHERE subject_type = ? AND subject_id = ?
	) DELETE FROM ?schema.users WHERE id = ?`, string(access.SubjectUser), id, id)
	if err == nil && n == 0 {
		return access.NotFound(access.CodeUserNotFound)
	}
	return err
}

// LockUser implements access.Store: the user row's FOR UPDATE lock, held
// until the transaction in ctx ends; an insert that refers to the user (a
// membership's foreign key takes a share lock on the row) waits for it.
func (s *Store) LockUser(ctx context.Context, id uuid.UUID) error {
	var n int
	err := s.scan(ctx, access.CodeUserNotFound, &n,
		`SELECT count(*) FROM (SELECT 1 FROM ?schema.users WHERE id = ? FOR UPDATE) AS u`, id)
	return one(n, err, access.CodeUserNotFound)
}
