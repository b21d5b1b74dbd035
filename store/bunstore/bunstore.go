package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store"
)

// access.go, invite.go and token.go implement the domain packages' Stores.
var (
	_ access.Store = (*Store)(nil)
	_ store.Store  = (*Store)(nil)
)

// Store is the PostgreSQL store. It keeps no state of its own besides the
// host's *bun.DB: every invariant is held by constraints and row locks, so
// any number of processes may share one database.
type Store struct {
	db     *bun.DB
	txOpts *sql.TxOptions
	prep   prepared
}

// Option configures a Store.
type Option func(*Store)

// WithTxOptions sets the options of the transactions RunInTx begins, e.g.
// a stricter isolation level. The default is the database's (READ
// COMMITTED unless the host changed it); the store's rules do not need more
// because they take row locks (LockCompany) and rely on constraints.
func WithTxOptions(o sql.TxOptions) Option {
	return func(s *Store) { s.txOpts = &o }
}

// New returns a store over db, which the host opened with the pgdialect and
// a PostgreSQL driver of its choice (bun's pgdriver or pgx's stdlib), and
// migrated with Migrate. Make one Store per *bun.DB and keep it: it holds
// the prepared statements of the hot reads (see Close).
func New(db *bun.DB, opts ...Option) *Store {
	s := &Store{db: db}
	for _, o := range opts {
		o(s)
	}
	return s
}

type txKey struct{}

// txValue is the transaction RunInTx carries in its context. db tells which
// database it belongs to, so two Stores over one *bun.DB share it and a
// Store over another database ignores it.
type txValue struct {
	db *bun.DB
	tx bun.Tx
}

func (s *Store) txFrom(ctx context.Context) (bun.Tx, bool) {
	v, ok := ctx.Value(txKey{}).(*txValue)
	if !ok || v.db != s.db {
		return bun.Tx{}, false
	}
	return v.tx, true
}

// idb is the handle a method runs its statements on: the transaction in
// ctx, or the pool.
func (s *Store) idb(ctx context.Context) bun.IDB {
	if tx, ok := s.txFrom(ctx); ok {
		return tx
	}
	return s.db
}

// RunInTx runs fn in a database transaction carried by the context it gets.
// Called with such a context it opens a savepoint instead, so a failure
// undoes only fn's own work. fn's error comes back unchanged after the
// rollback; so does a panic. A context cancelled before fn returns rolls
// back too.
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	var tx bun.Tx
	if parent, ok := s.txFrom(ctx); ok {
		tx, err = parent.BeginTx(ctx, nil) // SAVEPOINT
	} else {
		tx, err = s.db.BeginTx(ctx, s.txOpts)
	}
	if err != nil {
		return translate(ctx, err, "")
	}
	committed := false
	defer func() {
		if !committed {
			// The rollback's own error is dropped: fn's error (or the
			// panic) is what the caller must see.
			_ = tx.Rollback()
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, &txValue{db: s.db, tx: tx})); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return translate(ctx, err, "")
	}
	return nil
}

// uniqueCodes maps the schema's unique constraints to conflict codes.
var uniqueCodes = map[string]struct {
	code access.Code
	msg  string
}{
	"users_pkey":                   {access.CodeIDTaken, "the user exists"},
	"users_email_key":              {access.CodeEmailTaken, "the e-mail is taken"},
	"users_email_lower_key":        {access.CodeEmailTaken, "the e-mail is taken"},
	"companies_pkey":               {access.CodeIDTaken, "the company exists"},
	"companies_external_key_key":   {access.CodeExternalKeyTaken, "the external key is taken"},
	"company_domains_domain_key":   {access.CodeDomainTaken, "the domain is taken"},
	"memberships_pkey":             {access.CodeIDTaken, "the membership exists"},
	"memberships_company_user_key": {access.CodeAlreadyMember, "the user is already a member of the company"},
	"memberships_one_primary_key":  {access.CodePrimaryTaken, "the user already has a primary membership"},
	"grants_pkey":                  {access.CodeIDTaken, "the grant exists"},
	"grants_subject_resource_key":  {access.CodeGrantExists, "the subject already holds a grant on this resource"},
	"connections_pkey":             {access.CodeIDTaken, "the connection exists"},
	"connections_pair_key":         {access.CodeAlreadyConnected, "the companies are already connected"},
	"audit_events_pkey":            {access.CodeIDTaken, "the audit event exists"},
}

// foreignEntities maps the schema's foreign keys to the entity a violation
// shows is missing.
var foreignEntities = map[string]access.Code{
	"company_domains_company_id_fkey": access.CodeCompanyNotFound,
	"memberships_company_id_fkey":     "company",
	"memberships_user_id_fkey":        "user",
	"grants_company_id_fkey":          "company",
	"connections_customer_id_fkey":    "company",
	"connections_agency_id_fkey":      "company",
}

// pgError reads the SQLSTATE and constraint name of a PostgreSQL error
// from either driver a host may use. ok is false for other errors.
func pgError(err error) (code, constraint string, ok bool) {
	var pgxErr *pgconn.PgError
	if errors.As(err, &pgxErr) {
		return pgxErr.Code, pgxErr.ConstraintName, true
	}
	var bunErr pgdriver.Error
	if errors.As(err, &bunErr) {
		return bunErr.Field('C'), bunErr.Field('n'), true
	}
	return "", "", false
}

func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// translate turns a driver error into gatehouse's kinds: no rows into
// not found (of entity), constraint violations into conflict, not found or
// invalid by constraint name. Other PostgreSQL errors keep their message
// but lose their driver type, so nothing above the store depends on it.
func translate(ctx context.Context, err error, entity access.Code) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return access.NotFound(entity)
	case ctx.Err() != nil:
		// The driver reports a cancellation in its own words.
		return fmt.Errorf("bunstore: %w", ctx.Err())
	case pastDeadline(ctx):
		// pgdriver sets the socket deadline to the context's, which can
		// fire just before the context's own timer.
		return fmt.Errorf("bunstore: %w", context.DeadlineExceeded)
	}
	code, constraint, ok := pgError(err)
	if !ok {
		return fmt.Errorf("bunstore: %w", err)
	}
	switch code {
	case "23505": // unique_violation
		if c, ok := uniqueCodes[constraint]; ok {
			return access.Conflict(c.code, "%s", c.msg)
		}
		return access.Conflict(access.CodeIDTaken, "the row exists")
	case "23503": // foreign_key_violation
		if e, ok := foreignEntities[constraint]; ok {
			return access.NotFound(e)
		}
	case "23514": // check_violation
		if constraint == "connections_distinct_check" {
			return access.Invalid("agency_id", "a company cannot be connected to itself")
		}
	}
	return fmt.Errorf("bunstore: %s", err.Error())
}
