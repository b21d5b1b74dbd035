package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Service is the access-control API: users, companies, memberships, grants,
// connections, switching, checks and the audit trail. Every operation takes
// the acting Principal and checks it against current stored state before
// it touches data. It is safe for concurrent use.
//
// A few methods are not operations but the machinery the services built on
// this one share (token, invite) and that hosts may use: Catalog, Now,
// NewID, InTx, AfterCommit, Attempt, RegisterSubject, Store and Audit. They
// authorize nobody and change no user, company, membership, grant or
// connection; Audit appends an event naming the actor its caller gives, so
// it is for code the host trusts and is reachable over no HTTP route.
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
	denials     denialLimiter
	onFailure   func(ctx context.Context, err error)
	subjectsMu  sync.RWMutex
	subjects    map[SubjectType]SubjectKind
	pw          passwordConfig // service_password.go
	lifeMu      sync.RWMutex   // guards onErased
	onErased    []func(ctx context.Context, p Principal, u User) error
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
// its transaction committed, and who attempted what, to record a refusal.
type recorder struct {
	events []AuditEvent
	// pending are the events Audit recorded that are not written yet:
	// flushAudit writes them in one round trip, before the transaction
	// commits (or before it reads the trail).
	pending []AuditEvent
	after   []func()
	// The attempt: the first principal authorized in the transaction (or
	// named by Attempt), the operation and the permission it asked for.
	actor      Principal
	action     string
	permission string
	// reach notes the principals authorized through a connection in the
	// transaction, so that their audit events name the agency.
	reach []reachNote
}

// reachNote is one principal that acted in a company through a connection.
type reachNote struct {
	kind                      PrincipalKind
	user, token, company, via uuid.UUID // via: the connection
	agency                    uuid.UUID
}

// reached notes, in the transaction of ctx, that p acts in its company
// through connection via of agency (uuid.Nil: Audit looks it up), for
// Audit. Outside a transaction nothing is written, so nothing is noted.
func (s *Service) reached(ctx context.Context, p Principal, via, agency uuid.UUID) {
	rec, ok := ctx.Value(recorderKey{}).(*recorder)
	if !ok {
		return
	}
	n := reachNote{kind: p.Kind, user: p.UserID, token: p.TokenID, company: p.CompanyID, via: via, agency: agency}
	if !slices.Contains(rec.reach, n) {
		rec.reach = append(rec.reach, n)
	}
}

// reachDetails adds to an event of p in companyID the agency p acts for
// and the connection it acts through, when it acts through one: a token
// outside its own company, or a principal an authorization of the
// transaction let in through a connection. Otherwise details unchanged.
func (s *Service) reachDetails(ctx context.Context, p Principal, companyID uuid.UUID, details map[string]string) map[string]string {
	agency, via := uuid.Nil, uuid.Nil
	if p.CompanyID == companyID {
		agency = p.reachAgency()
		if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
			for _, n := range rec.reach {
				if n.kind == p.Kind && n.user == p.UserID && n.token == p.TokenID && n.company == companyID {
					agency, via = n.agency, n.via
					break
				}
			}
		}
	}
	if agency == uuid.Nil && via != uuid.Nil {
		if c, err := s.store.GetConnection(ctx, companyID, via); err == nil {
			agency = c.AgencyID
		}
	}
	if agency == uuid.Nil {
		return details
	}
	out := make(map[string]string, len(details)+2)
	maps.Copy(out, details)
	out["agency_id"] = agency.String()
	if via != uuid.Nil {
		out["connection_id"] = via.String()
	}
	return out
}

// InTx runs fn in one store transaction. Audit events recorded with Audit
// inside fn reach the audit hooks, and functions registered with
// AfterCommit run, only after the transaction commits. A nested InTx is a
// savepoint of the outer one: what it recorded is dropped if it fails and
// otherwise waits for the outer commit. Group service calls with InTx, not
// with the store's own RunInTx: an InTx inside a bare store.RunInTx takes
// itself for the outermost and runs its after-commit work when it returns,
// before the store commits.
func (s *Service) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if outer, nested := ctx.Value(recorderKey{}).(*recorder); nested {
		if joined, _ := ctx.Value(joinedKey{}).(bool); joined {
			return fn(ctx)
		}
		// The outer events are written first, so that the savepoint's
		// rollback takes only its own.
		if err := s.flushAudit(ctx); err != nil {
			return err
		}
		mark, markAfter := len(outer.events), len(outer.after)
		err := s.store.RunInTx(ctx, fn)
		if err != nil {
			outer.events, outer.after, outer.pending = outer.events[:mark], outer.after[:markAfter], outer.pending[:0]
		}
		return err
	}
	rec := &recorder{}
	err := s.store.RunInTx(context.WithValue(ctx, recorderKey{}, rec), func(ctx context.Context) error {
		// A store may run fn again (a serialization failure retried):
		// only the attempt that commits counts.
		rec.events, rec.pending, rec.after, rec.reach = rec.events[:0], rec.pending[:0], rec.after[:0], rec.reach[:0]
		if err := fn(ctx); err != nil {
			return err
		}
		return s.flushAudit(ctx)
	})
	if err != nil {
		if refused(err) {
			s.recordDenied(ctx, rec, err)
		}
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

// Attempt names the operation the transaction of ctx makes for p (an
// audit action such as "invitation.accept"), so that a refusal of it is
// recorded as a denied audit event. The first Authorize in a transaction
// names its principal by itself; Attempt is for operations that refuse
// before they authorize anyone (an invitee of another e-mail). Outside
// InTx it does nothing.
func (s *Service) Attempt(ctx context.Context, p Principal, action string) {
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		if rec.actor.IsZero() {
			rec.actor = p
		}
		if rec.action == "" {
			rec.action = action
		}
	}
}

// attempting notes the principal and permission of the transaction's first
// authorization, for recordDenied.
func (s *Service) attempting(ctx context.Context, p Principal, perm string) {
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok && rec.actor.IsZero() {
		rec.actor, rec.permission = p, perm
	}
}

// refused reports whether err is a refusal worth recording: a known caller
// without the right (ErrForbidden), or one acting in a company it has no
// relation to (the ErrNotFound the company answers, so it cannot be
// probed).
func refused(err error) bool {
	return errors.Is(err, ErrForbidden) || CodeOf(err) == CodeCompanyNotFound
}

// recordDenied writes a refused operation's audit event (Outcome
// "denied") in a transaction of its own, after the refused one rolled
// back: actor, company, action, the error's code and message (never a
// secret). At most deniedPerWindow events per company per deniedWindow
// are written, so a flood of refusals cannot grow the trail without
// limit; the rest are counted in the next event that is written. A
// failure to write it is logged: the caller gets its refusal either way.
func (s *Service) recordDenied(ctx context.Context, rec *recorder, err error) {
	p := rec.actor
	if p.IsZero() || p.Kind == PrincipalSystem || p.CompanyID == uuid.Nil {
		return
	}
	class := denyOperation
	if CodeOf(err) == CodeCompanyNotFound {
		class = denyStranger
	}
	dropped, ok := s.denials.admit(denialKey{p.CompanyID, class}, s.now())
	if !ok {
		return
	}
	action := rec.action
	if action == "" {
		action = "access.denied"
	}
	details := map[string]string{"code": string(CodeOf(err)), "reason": errorMessage(err)}
	if rec.permission != "" {
		details["permission"] = rec.permission
	}
	if dropped > 0 {
		details["dropped_before"] = strconv.Itoa(dropped)
	}
	if a := p.reachAgency(); a != uuid.Nil {
		details["agency_id"] = a.String()
	}
	e := AuditEvent{ID: s.newID(), CompanyID: p.CompanyID, Actor: p.String(), Action: action,
		Outcome: "denied", Details: details, At: s.Now()}
	ctx = context.WithoutCancel(ctx)
	werr := s.store.RunInTx(ctx, func(ctx context.Context) error {
		if _, err := s.store.GetCompany(ctx, p.CompanyID); err != nil {
			return err // no such company: nothing to record it in
		}
		return s.store.AppendAudit(ctx, &e)
	})
	switch {
	case werr == nil:
		for _, h := range s.hooks {
			s.afterCommit(ctx, "audit hook", func() { h(e) })
		}
	case !isNotFound(werr):
		s.logger.ErrorContext(ctx, "gatehouse: a refusal could not be recorded", slog.String("action", action),
			slog.String("error", werr.Error()))
	}
}

// errorMessage is the client-safe message of a gatehouse error.
func errorMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "refused"
}

// deniedWindow and deniedPerWindow bound the denied events written per
// company.
const (
	deniedWindow    = time.Hour
	deniedPerWindow = 100
)

// denialLimiter counts the denied events written per company and class in
// the current window. It is per process: N processes write at most N times
// the bound, still a bound. The classes have budgets of their own, so a
// flood of failed logins or of strangers' probes never silences the trail
// of the company's own members' refused operations.
type denialLimiter struct {
	mu     sync.Mutex
	counts map[denialKey]*denialWindow
}

// denialKey is one budget: a company and a class of refusal.
type denialKey struct {
	company uuid.UUID
	class   denialClass
}

type denialClass uint8

const (
	denyOperation denialClass = iota // a member's refused operation
	denyStranger                     // acting in a company with no relation to it
	denyLogin                        // a refused login
)

type denialWindow struct {
	start          time.Time
	written, extra int
}

// admit reports whether one more denied event of the company may be
// written now, and how many were dropped since the last one written.
func (l *denialLimiter) admit(key denialKey, now time.Time) (dropped int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[denialKey]*denialWindow{}
	}
	w := l.counts[key]
	if w == nil || now.Sub(w.start) >= deniedWindow {
		if len(l.counts) > 10_000 { // forget old windows, not only this one
			for id, old := range l.counts {
				if now.Sub(old.start) >= deniedWindow {
					delete(l.counts, id)
				}
			}
		}
		extra := 0
		if w != nil {
			extra = w.extra
		}
		w = &denialWindow{start: now, extra: extra}
		l.counts[key] = w
	}
	if w.written >= deniedPerWindow {
		w.extra++
		return 0, false
	}
	w.written++
	dropped, w.extra = w.extra, 0
	return dropped, true
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
// carried by ctx. Details must not contain secrets. Inside InTx the
// transaction's events are written together, in one round trip, before it
// commits: a store read of the trail inside the transaction (rather than
// through the Service) does not see them yet.
func (s *Service) Audit(ctx context.Context, p Principal, companyID uuid.UUID, action, target string, details map[string]string) error {
	e := s.auditEvent(ctx, p, companyID, action, target, details)
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		rec.pending = append(rec.pending, e)
		rec.events = append(rec.events, e)
		return nil
	}
	return s.store.AppendAudit(ctx, &e)
}

// flushAudit writes the events Audit recorded in the transaction of ctx
// and not written yet; outside InTx there are none.
func (s *Service) flushAudit(ctx context.Context) error {
	rec, ok := ctx.Value(recorderKey{}).(*recorder)
	if !ok || len(rec.pending) == 0 {
		return nil
	}
	if err := s.store.AppendAudits(ctx, rec.pending); err != nil {
		return err
	}
	rec.pending = rec.pending[:0]
	return nil
}

type joinedKey struct{}

// Joined returns ctx marked so that an InTx under it that is nested in
// another (the checked methods' own included) joins the outer transaction
// without a savepoint of its own: for a caller that rolls the whole
// transaction back when any of its calls fails, and so never needs one
// call undone alone (package invite accepting an invitation). PostgreSQL
// is spared the savepoint's two round trips. A caller that goes on after
// a failed call must not use it: the failed call's writes would stay.
func Joined(ctx context.Context) context.Context {
	return context.WithValue(ctx, joinedKey{}, true)
}

// auditEvent is the event Audit would append, for a store method that
// writes it together with its change (then audited).
func (s *Service) auditEvent(ctx context.Context, p Principal, companyID uuid.UUID, action, target string, details map[string]string) AuditEvent {
	return AuditEvent{
		ID: s.newID(), CompanyID: companyID, Actor: p.String(), Action: action,
		Target: target, Outcome: "success", Details: s.reachDetails(ctx, p, companyID, details), At: s.Now(),
	}
}

// audited hands a stored event to the audit hooks once the transaction of
// ctx commits.
func (s *Service) audited(ctx context.Context, e AuditEvent) {
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		rec.events = append(rec.events, e)
	}
}

func userTarget(id uuid.UUID) string { return "user:" + id.String() }
