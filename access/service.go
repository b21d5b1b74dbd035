package access

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Service is the access-control API: users, companies, memberships, grants,
// switching, checks and the audit trail. Every method takes the acting
// Principal and checks it against current stored state before it touches
// data. It is safe for concurrent use.
type Service struct {
	store   Store
	catalog *Catalog
	now     func() time.Time
	newID   func() uuid.UUID
	hooks   []AuditHook
	// agencyRoles are the role codes (level >= ADMIN) whose holders in an
	// agency act in connected customer companies.
	agencyRoles []string
	logger      *slog.Logger
	onFailure   func(ctx context.Context, err error)
	subjectsMu  sync.RWMutex
	subjects    map[SubjectType]SubjectKind
}

// Option configures a Service.
type Option func(*Service)

// WithCatalog sets the role and permission catalog (default: DefaultCatalog).
func WithCatalog(c *Catalog) Option { return func(s *Service) { s.catalog = c } }

// WithClock sets the clock (default: time.Now). Tests inject their own.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDs sets the ID source (default: uuid.NewV7, time-ordered, which keeps
// keyset pages in creation order).
func WithIDs(newID func() uuid.UUID) Option { return func(s *Service) { s.newID = newID } }

// WithLogger sets where the Service logs what it cannot return to a caller
// (a notifier that failed after its change committed). Default:
// slog.Default(). Nothing it logs holds a secret.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.logger = l } }

// WithFailureHook is called with what went wrong after a change committed
// (a panicking notifier or audit hook), so the host can alert or retry the
// notice: the change itself stands and its caller was answered success.
// The error may hold what the failing code panicked with.
func WithFailureHook(h func(ctx context.Context, err error)) Option {
	return func(s *Service) { s.onFailure = h }
}

// WithAuditHook subscribes h to every audit event after its transaction
// commits.
func WithAuditHook(h AuditHook) Option {
	return func(s *Service) { s.hooks = append(s.hooks, h) }
}

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, catalog: defaultCatalog, now: time.Now, newID: newV7, logger: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	for _, r := range s.catalog.roleList {
		if r.Level >= LevelAdmin {
			s.agencyRoles = append(s.agencyRoles, r.Code)
		}
	}
	return s
}

func newV7() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Catalog returns the service's role and permission catalog.
func (s *Service) Catalog() *Catalog { return s.catalog }

// Store returns the store the Service was built over, so that the
// services built on it (token.NewService, invite.NewService) take the very
// same store, whose tables of their own they assert and use. Users,
// companies, memberships, grants, connections and the audit trail read or
// written through it skip every rule of this package: they are changed
// only through the Service's methods.
func (s *Service) Store() Store { return s.store }

// Now returns the service clock's time, truncated to microseconds so both
// stores hold the same value.
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// NewID returns a new ID from the service's ID source.
func (s *Service) NewID() uuid.UUID { return s.newID() }

type recorderKey struct{}

// recorder collects, for the outermost InTx, what must happen only once
// its transaction committed.
type recorder struct {
	events []AuditEvent
	after  []func()
}

// InTx runs fn in one store transaction. Audit events recorded with Audit
// inside fn reach the audit hooks, and functions registered with
// AfterCommit run, only after the transaction commits. A nested InTx is a
// savepoint of the outer one: what it recorded is dropped if it fails and
// otherwise waits for the outer commit.
func (s *Service) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if outer, nested := ctx.Value(recorderKey{}).(*recorder); nested {
		mark, markAfter := len(outer.events), len(outer.after)
		err := s.store.RunInTx(ctx, fn)
		if err != nil {
			outer.events, outer.after = outer.events[:mark], outer.after[:markAfter]
		}
		return err
	}
	rec := &recorder{}
	err := s.store.RunInTx(context.WithValue(ctx, recorderKey{}, rec), func(ctx context.Context) error {
		// A store may run fn again (a serialization failure retried):
		// only the attempt that commits counts.
		rec.events, rec.after = rec.events[:0], rec.after[:0]
		return fn(ctx)
	})
	if err != nil {
		return err
	}
	for _, e := range rec.events {
		for _, h := range s.hooks {
			s.afterCommit(ctx, "audit hook", func() { h(e) })
		}
	}
	for _, f := range rec.after {
		s.afterCommit(ctx, "after-commit function", f)
	}
	return nil
}

// afterCommit runs f, work of a transaction that has committed: the change
// stands whatever f does, so a panic in f (a notifier, a hook) is
// recovered, logged without its value (which may hold a link) and handed
// to the host's WithFailureHook.
func (s *Service) afterCommit(ctx context.Context, what string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.ErrorContext(ctx, "gatehouse: "+what+" panicked after its change committed; the change stands",
				slog.String("panic_type", fmt.Sprintf("%T", r)))
			if s.onFailure != nil {
				s.onFailure(ctx, fmt.Errorf("gatehouse: %s panicked after commit: %v", what, r))
			}
		}
	}()
	f()
}

// AfterCommit runs f once the outermost InTx around ctx has committed, and
// never if it rolls back; outside InTx it runs f at once. Notifications
// (e-mails, queues) belong here, never inside a transaction.
func (s *Service) AfterCommit(ctx context.Context, f func()) {
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		rec.after = append(rec.after, f)
		return
	}
	s.afterCommit(ctx, "after-commit function", f)
}

// Audit appends an audit event for a change made by p, in the transaction
// carried by ctx. Details must not contain secrets.
func (s *Service) Audit(ctx context.Context, p Principal, companyID uuid.UUID, action, target string, details map[string]string) error {
	e := AuditEvent{
		ID: s.newID(), CompanyID: companyID, Actor: p.String(), Action: action,
		Target: target, Outcome: "success", Details: details, At: s.Now(),
	}
	if err := s.store.AppendAudit(ctx, &e); err != nil {
		return err
	}
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		rec.events = append(rec.events, e)
	}
	return nil
}

func userTarget(id uuid.UUID) string { return "user:" + id.String() }
