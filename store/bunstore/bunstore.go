package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/token"
)

// One file per aggregate implements the domain packages' Stores: users,
// companies, memberships, grants, connections, audit and check (access),
// invitations (invite), tokens (token).
var (
	_ access.Store = (*Store)(nil)
	_ invite.Store = (*Store)(nil)
	_ token.Store  = (*Store)(nil)
	_ store.Store  = (*Store)(nil)
)

// Store is the PostgreSQL store. It keeps no state of its own besides the
// host's *bun.DB: every invariant is held by constraints and row locks, so
// any number of processes may share one database.
type Store struct {
	host   *bun.DB // the host's, which with schema tells whose transaction a context carries
	db     *bun.DB // host's, formatting ?schema as the store's schema
	schema string
	txOpts *sql.TxOptions
	// The prepared reads (prepared.go), their SQL naming the schema.
	checkSQL, tokenSQL string
	prep               prepared
	owners             store.TxOwners // who runs an open transaction (access.ErrOutsideTx)
	logger             *slog.Logger
}

// Option configures a Store.
type Option func(*Store)

// WithTxOptions sets the options of the transactions RunInTx begins, e.g.
// a stricter isolation level. The default is the database's (READ
// COMMITTED unless the host changed it); the store's rules do not need more
// because they take row locks (LockCompany) and rely on constraints. Under
// REPEATABLE READ or SERIALIZABLE (sql.LevelSerializable), PostgreSQL
// fails transactions that collide with serialization failures, which
// RunInTx runs again as it does deadlocks; expect more of them, and
// access.ErrTxConflict when one keeps colliding.
func WithTxOptions(o sql.TxOptions) Option {
	return func(s *Store) { s.txOpts = &o }
}

// DefaultSchema is the PostgreSQL schema of the store's tables, its
// migration tables included, unless WithSchema names another.
const DefaultSchema = "gatehouse"

// WithSchema sets the PostgreSQL schema that holds the store's tables and
// its migration tables (DefaultSchema if name is empty). Give the same
// option to Migrate and to New. Every statement names the schema, so the
// session's search_path plays no part, and several stores with schemas of
// their own share a database without seeing each other. Of the options,
// Migrate reads only this one.
func WithSchema(name string) Option {
	return func(s *Store) { s.schema = name }
}

// WithLogger sets the logger of the store's warnings (slog.Default()
// without it): today one, from New, about a pool that will churn.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) { s.logger = l }
}

// New returns a store over db, which the host opened with the pgdialect and
// pgx's stdlib driver, and migrated with Migrate (with the same WithSchema,
// if any). Make one Store per *bun.DB and schema and keep it: it holds the
// prepared statements of the hot reads (see Close).
//
// New logs a warning (WithLogger) when db's pool will churn: MaxIdleConns
// below MaxOpenConns, or MaxOpenConns unbounded, database/sql's default
// (pool.go). It never changes the pool: the pool is the host's.
func New(db *bun.DB, opts ...Option) *Store {
	s := configure(db, opts)
	s.checkSQL = qualify(checkAccessSQL, s.schema)
	s.tokenSQL = qualify(getTokenByHashSQL, s.schema)
	if why := poolChurn(db.DB); why != "" {
		logger := s.logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.Warn("bunstore: the pool will churn; set SetMaxIdleConns equal to a bounded SetMaxOpenConns",
			"reason", why)
	}
	return s
}

// configure applies opts to a store over host.
func configure(host *bun.DB, opts []Option) *Store {
	s := &Store{host: host}
	for _, o := range opts {
		o(s)
	}
	if s.schema == "" {
		s.schema = DefaultSchema
	}
	s.db = host.WithNamedArg("schema", bun.Safe(quoteIdent(s.schema)))
	return s
}

// The store's SQL names every table as ?schema.<table>: Bun formats
// ?schema as the store's schema (a named argument of s.db), and qualify
// writes it into the SQL that does not go through Bun.
const schemaArg = "?schema."

// qualify writes schema into query's table names.
func qualify(query, schema string) string {
	return strings.ReplaceAll(query, schemaArg, quoteIdent(schema)+".")
}

// quoteIdent quotes name as a PostgreSQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// modelTable is the table expression of a row struct's statements: its
// table (from its bun tag) in the store's schema, under its alias.
const modelTable = "?schema.?TableName AS ?TableAlias"

type txKey struct{}

// txValue is the transaction RunInTx carries in its context. db and schema
// tell which database and schema it belongs to, so two Stores over one
// *bun.DB and schema share it and a Store over another ignores it.
type txValue struct {
	db      *bun.DB // the host's
	schema  string
	tx      bun.Tx
	attempt *attempt // shared by the transaction's savepoints
}

// owns tells whether v is a transaction of this store's database and
// schema.
func (s *Store) owns(v *txValue) bool {
	return v.db == s.host && v.schema == s.schema
}

func (s *Store) txFrom(ctx context.Context) (bun.Tx, bool) {
	v, ok := ctx.Value(txKey{}).(*txValue)
	if !ok || !s.owns(v) {
		return bun.Tx{}, false
	}
	return v.tx, true
}

// idb is the handle every statement of the store runs on, and the one
// place that picks it: the transaction in ctx, else the pool, unless the
// calling goroutine runs an open transaction's fn and ctx forgot it
// (access.ErrOutsideTx, instead of a statement outside the transaction or
// waiting for its row locks forever). With no transaction open the check
// is one atomic load.
func (s *Store) idb(ctx context.Context) (bun.IDB, error) {
	if tx, ok := s.txFrom(ctx); ok {
		return tx, nil
	}
	if err := s.owners.Check(); err != nil {
		return nil, err
	}
	return s.db, nil
}

// RunInTx runs fn in a database transaction carried by the context it gets.
// Called with such a context it opens a savepoint instead, so a failure
// undoes only fn's own work. An insert a unique rule refuses leaves the
// transaction usable (see insert); any other failed statement aborts the
// rest of it, so a caller that handles such an error and goes on runs the
// call in a nested RunInTx. fn's error comes back unchanged after the
// rollback; so does a panic. A context cancelled before fn returns rolls
// back too.
//
// The outermost RunInTx runs the whole transaction, fn included, again
// when it collided with concurrent ones (a serialization failure or a
// deadlock, at COMMIT too) or lost its connection before COMMIT (see
// retry.go): fn must be safe to run again, its effects outside the
// database deferred until RunInTx returns (access.Service.InTx's
// AfterCommit). A transaction that keeps colliding ends in
// access.ErrTxConflict.
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if parent, nested := s.txFrom(ctx); nested {
		return s.savepoint(ctx, parent, fn)
	}
	if err := s.owners.Check(); err != nil {
		return err
	}
	r := retries{s: s}
	for {
		f, err := s.runTx(ctx, fn)
		if f == noFailure || !r.again(ctx, f) {
			if f == collided && ctx.Err() == nil {
				return access.ErrTxConflict
			}
			return err
		}
	}
}

// runTx runs one attempt of an outermost transaction. f says whether it
// failed in a way that may pass if it runs again; err is what the caller
// sees if it does not.
func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context) error) (f failure, err error) {
	tx, err := s.db.BeginTx(ctx, s.txOpts)
	if err != nil {
		return failureOf(err), translate(ctx, err, "")
	}
	defer s.owners.Enter()()
	committed := false
	defer func() {
		if !committed {
			// The rollback's own error is dropped: fn's error (or the
			// panic) is what the caller must see.
			_ = tx.Rollback()
		}
	}()
	at := &attempt{}
	err = fn(context.WithValue(ctx, txKey{}, &txValue{db: s.host, schema: s.schema, tx: tx, attempt: at}))
	if ctx.Err() != nil {
		if err == nil {
			err = ctx.Err()
		}
		return noFailure, err
	}
	if f := at.failure(); f != noFailure {
		// Void whatever fn made of the failure (returned it or carried
		// on after a savepoint).
		if err == nil {
			err = access.ErrTxConflict
		}
		return f, err
	}
	if err != nil {
		return noFailure, err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		f := failureOf(err)
		if f == lostConn {
			return noFailure, fmt.Errorf("bunstore: the connection was lost during COMMIT, so whether the transaction committed is unknown: %s", err.Error())
		}
		return f, translate(ctx, err, "")
	}
	return noFailure, nil
}

// savepoint runs fn in a savepoint of the transaction parent. It never
// runs fn again by itself: a failure that voids the transaction is noted
// for the outermost RunInTx.
func (s *Store) savepoint(ctx context.Context, parent bun.Tx, fn func(ctx context.Context) error) error {
	at := s.attemptOf(ctx)
	tx, err := parent.BeginTx(ctx, nil) // SAVEPOINT
	if err != nil {
		at.fail(failureOf(err))
		return translate(ctx, err, "")
	}
	released := false
	defer func() {
		if !released {
			_ = tx.Rollback() // ROLLBACK TO SAVEPOINT; fn's error is what counts
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, &txValue{db: s.host, schema: s.schema, tx: tx, attempt: at})); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	released = true
	if err := tx.Commit(); err != nil { // RELEASE SAVEPOINT
		at.fail(failureOf(err))
		return translate(ctx, err, "")
	}
	return nil
}

// constraintErrors is every rule the schema's constraints hold, by
// constraint name, with the error its violation means: the one place a
// rule's translation is written (TestConstraintsTranslated checks that
// every constraint of the schema is here). The messages name the rule; the
// codes are those memstore returns for the same broken rule.
var constraintErrors = map[string]error{
	// Unique: a duplicate ID.
	"users_pkey":         access.Conflict(access.CodeIDTaken, "a user with this ID exists"),
	"companies_pkey":     access.Conflict(access.CodeIDTaken, "a company with this ID exists"),
	"memberships_pkey":   access.Conflict(access.CodeIDTaken, "a membership with this ID exists"),
	"grants_pkey":        access.Conflict(access.CodeIDTaken, "a grant with this ID exists"),
	"connections_pkey":   access.Conflict(access.CodeIDTaken, "a connection with this ID exists"),
	"audit_events_pkey":  access.Conflict(access.CodeIDTaken, "an audit event with this ID exists"),
	"invitations_pkey":   access.Conflict(access.CodeIDTaken, "an invitation with this ID exists"),
	"tokens_pkey":        access.Conflict(access.CodeIDTaken, "a token with this ID exists"),
	"login_links_pkey":   access.Conflict(access.CodeIDTaken, "a login link with this ID exists"),
	"credentials_pkey":   access.Conflict(access.CodeIDTaken, "the user's credentials exist"),
	"company_roles_pkey": access.Conflict(access.CodeIDTaken, "a role with this ID exists"),

	// Unique: the domain's rules.
	"users_email_lower_key":          access.Conflict(access.CodeEmailTaken, "the e-mail is taken"),
	"companies_external_key_key":     access.Conflict(access.CodeExternalKeyTaken, "the external key is taken"),
	"company_domains_domain_key":     access.Conflict(access.CodeDomainTaken, "a domain is taken"),
	"memberships_company_user_key":   access.Conflict(access.CodeAlreadyMember, "the user is already a member of the company"),
	"memberships_one_primary_key":    access.Conflict(access.CodePrimaryTaken, "the user already has a primary membership"),
	"grants_subject_resource_key":    access.Conflict(access.CodeGrantExists, "the subject already holds a grant on this resource"),
	"connections_pair_key":           access.Conflict(access.CodeAlreadyConnected, "the companies are already connected"),
	"company_roles_company_code_key": access.Conflict(access.CodeRoleTaken, "the company has a role with this code"),
	"invitations_pending_key":        invite.ErrInvitationPending,
	"invitations_token_hash_key":     access.Conflict(access.CodeTokenTaken, "the invitation token's digest is taken"),
	"tokens_digest_key":              access.Conflict(access.CodeTokenTaken, "the token's digest is taken"),
	"login_links_digest_key":         access.Conflict(access.CodeTokenTaken, "the login link's digest is taken"),

	// Foreign keys: what a violation shows is missing.
	"company_domains_company_id_fkey": access.NotFound(access.CodeCompanyNotFound),
	"memberships_company_id_fkey":     access.NotFound(access.CodeCompanyNotFound),
	"memberships_user_id_fkey":        access.NotFound(access.CodeUserNotFound),
	"grants_company_id_fkey":          access.NotFound(access.CodeCompanyNotFound),
	"connections_customer_id_fkey":    access.NotFound(access.CodeCompanyNotFound),
	"connections_agency_id_fkey":      access.NotFound(access.CodeCompanyNotFound),
	"invitations_company_id_fkey":     access.NotFound(access.CodeCompanyNotFound),
	"tokens_company_id_fkey":          access.NotFound(access.CodeCompanyNotFound),
	"tokens_user_id_fkey":             access.NotFound(access.CodeUserNotFound),
	"login_links_company_id_fkey":     access.NotFound(access.CodeCompanyNotFound),
	"login_links_user_id_fkey":        access.NotFound(access.CodeUserNotFound),
	"credentials_user_id_fkey":        access.NotFound(access.CodeUserNotFound),
	"company_roles_company_id_fkey":   access.NotFound(access.CodeCompanyNotFound),

	// Checks the services enforce first; reaching one is a caller's bug
	// the store still names.
	"connections_distinct_check":          access.Invalid("agency_id", "a company cannot be connected to itself"),
	"invitations_kind_check":              access.Invalid("kind", "an invitation is of kind member or connection"),
	"invitations_status_check":            access.Invalid("status", "not a status of an invitation"),
	"invitations_token_hash_length_check": access.Invalid("token_hash", "a digest is 32 bytes"),
	"tokens_kind_check":                   access.Invalid("kind", "a token is an API or a session token"),
	"tokens_company_check":                access.Invalid("company_id", "an API token belongs to a company"),
	"login_links_kind_check":              access.Invalid("kind", "a link is a login or a password reset link"),
	"login_links_company_check":           access.Invalid("company_id", "a login link belongs to a company"),
	"tokens_digest_length_check":          access.Invalid("digest", "a digest is 32 bytes"),
	"login_links_digest_length_check":     access.Invalid("digest", "a digest is 32 bytes"),
	"company_roles_level_check":           access.Invalid("level", "a role's level is between 1 and 1000"),
}

// SQLSTATE classes of the violations constraintErrors translates.
const (
	foreignKeyViolation = "23503"
	uniqueViolation     = "23505"
	checkViolation      = "23514"
)

// pgError reads the SQLSTATE of a PostgreSQL error through the method
// drivers give their errors (pgx's *pgconn.PgError, lib/pq's *pq.Error),
// and the violated constraint's name, which database/sql has no common
// way to carry, from pgx's error. ok is false for other errors.
func pgError(err error) (code, constraint string, ok bool) {
	var state interface{ SQLState() string }
	if !errors.As(err, &state) {
		return "", "", false
	}
	if pgErr, isPgx := errors.AsType[*pgconn.PgError](err); isPgx {
		constraint = pgErr.ConstraintName
	}
	return state.SQLState(), constraint, true
}

func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// translate turns a driver error into gatehouse's kinds: no rows into not
// found (of entity), a violated constraint into the error constraintErrors
// gives it. Other PostgreSQL errors keep their message but lose their
// driver type, so nothing above the store depends on it.
func translate(ctx context.Context, err error, entity access.Code) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return access.NotFound(entity)
	case errors.Is(err, access.ErrOutsideTx):
		return err
	case ctx.Err() != nil:
		// The driver reports a cancellation in its own words.
		return fmt.Errorf("bunstore: %w", ctx.Err())
	case pastDeadline(ctx):
		// A driver may set the socket deadline to the context's, which can
		// fire just before the context's own timer.
		return fmt.Errorf("bunstore: %w", context.DeadlineExceeded)
	}
	code, constraint, ok := pgError(err)
	if !ok {
		return fmt.Errorf("bunstore: %w", err)
	}
	switch code {
	case serializationFailure, deadlockDetected:
		return access.ErrTxConflict
	case uniqueViolation, foreignKeyViolation, checkViolation:
		if e, ok := constraintErrors[constraint]; ok {
			return e
		}
		if code == uniqueViolation {
			return access.Conflict(access.CodeIDTaken, "the row exists (constraint %q)", constraint)
		}
	}
	return fmt.Errorf("bunstore: %s", err.Error())
}
