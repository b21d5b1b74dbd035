package access

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Sign-in by password: the Service owns users' credentials (hashing,
// policy, verification, the throttle); package token turns a successful
// Authenticate into a session, and completes password resets through
// SetPassword as the system.

// Defaults of the sign-in throttle (WithLoginThrottle).
const (
	DefaultLoginFailures = 5
	DefaultLoginMaxDelay = 15 * time.Minute
	// loginBaseDelay is the wait after the failure that reaches the
	// limit; each further failure doubles it, up to the maximum.
	loginBaseDelay = time.Second
)

// ErrInvalidCredentials is Authenticate's one answer for an unknown
// e-mail, a wrong password, a user without a password and a disabled user,
// so none of them can be told from the others. It is unauthenticated.
var ErrInvalidCredentials = &Error{Kind: ErrUnauthenticated, Code: CodeInvalidCredentials,
	Message: "the e-mail or the password is wrong"}

// ErrLoginThrottled is what a *ThrottledError wraps: errors.Is(err,
// ErrLoginThrottled) and CodeOf (CodeLoginThrottled) recognise it, and it
// is unauthenticated.
var ErrLoginThrottled = &Error{Kind: ErrUnauthenticated, Code: CodeLoginThrottled,
	Message: "too many failed sign-ins: try again later"}

// ErrWrongPassword is SetPassword's answer when the user's current
// password does not match. It is invalid input naming "current_password".
var ErrWrongPassword = &Error{Kind: ErrInvalid, Code: CodeWrongPassword, Field: "current_password",
	Message: "the current password is wrong"}

// ThrottledError refuses a sign-in attempt of an account that failed too
// often (or one a WithLoginHook refused with it): nothing was verified;
// try again after RetryAfter. Find it with errors.As; it wraps
// ErrLoginThrottled, so it is also ErrUnauthenticated.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%s: retry in %ds", ErrLoginThrottled.Error(), e.RetryAfterSeconds())
}

// Unwrap returns ErrLoginThrottled.
func (e *ThrottledError) Unwrap() error { return ErrLoginThrottled }

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up (at least
// 1): the value of an HTTP Retry-After header.
func (e *ThrottledError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

// passwordConfig is the Service's password machinery. Its zero value is
// the defaults.
type passwordConfig struct {
	params    PasswordParams // zero: MinPasswordParams
	policy    PasswordPolicy
	failures  int           // zero: DefaultLoginFailures
	maxDelay  time.Duration // zero: DefaultLoginMaxDelay
	loginHook func(ctx context.Context, email string) error

	dummyOnce sync.Once
	dummy     string       // a hash of a random password with params
	dummyRuns atomic.Int64 // verifications against dummy, for tests

	onSetMu sync.RWMutex
	onSet   []func(ctx context.Context, p Principal, userID uuid.UUID) error
}

// WithPasswordPolicy sets the policy new passwords must meet (default:
// at least DefaultMinPasswordLength characters, no hook).
func WithPasswordPolicy(p PasswordPolicy) Option { return func(s *Service) { s.pw.policy = p } }

// WithPasswordParams sets the argon2id parameters of new hashes (default:
// MinPasswordParams). A parameter below MinPasswordParams' counts as the
// minimum. Raising them is safe at any time: existing hashes keep
// verifying with their own, and are rehashed at their next sign-in.
func WithPasswordParams(p PasswordParams) Option {
	return func(s *Service) { s.pw.params = p.atLeast(MinPasswordParams) }
}

// WithTestPasswordParams sets the argon2id parameters of new hashes as
// given, even below OWASP's minimum, so that tests hashing many passwords
// stay fast. FOR TESTS ONLY: never in production. Zero fields take a cheap
// test value (64 KiB, 1 iteration, 1 lane, 16-byte salt, 32-byte hash).
func WithTestPasswordParams(p PasswordParams) Option {
	return func(s *Service) {
		s.pw.params = PasswordParams{Memory: cmpOr(p.Memory, 64), Time: cmpOr(p.Time, 1),
			Threads: cmpOr(p.Threads, 1), SaltLen: cmpOr(p.SaltLen, 16), KeyLen: cmpOr(p.KeyLen, 32)}
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// WithLoginThrottle sets the per-account sign-in throttle: after failures
// failed attempts in a row (default DefaultLoginFailures), each further
// attempt must wait a delay that starts at a second and doubles with each
// failure, up to maxDelay (default DefaultLoginMaxDelay); attempts made
// sooner are refused with a *ThrottledError, unverified and uncounted. A
// success resets the count. Zero or negative values keep the defaults.
func WithLoginThrottle(failures int, maxDelay time.Duration) Option {
	return func(s *Service) {
		if failures > 0 {
			s.pw.failures = failures
		}
		if maxDelay > 0 {
			s.pw.maxDelay = maxDelay
		}
	}
}

// WithLoginHook sets a function Authenticate calls with the normalised
// e-mail before it looks anything up, so the host can add limits of its
// own (per client address, carried in ctx). Its error refuses the attempt
// and is returned as it is: return a *ThrottledError to have the HTTP
// adapter answer 429 with Retry-After.
func WithLoginHook(h func(ctx context.Context, email string) error) Option {
	return func(s *Service) { s.pw.loginHook = h }
}

// OnPasswordSet registers f to run inside the transaction of every
// successful SetPassword, after the new hash is stored, with the principal
// that set it: package token ends the user's other sessions there, so the
// change and their end are one. f's error rolls the change back. It is
// safe to call while the Service is in use.
func (s *Service) OnPasswordSet(f func(ctx context.Context, p Principal, userID uuid.UUID) error) {
	s.pw.onSetMu.Lock()
	defer s.pw.onSetMu.Unlock()
	s.pw.onSet = append(s.pw.onSet[:len(s.pw.onSet):len(s.pw.onSet)], f)
}

func (s *Service) passwordParams() PasswordParams {
	if s.pw.params == (PasswordParams{}) {
		return MinPasswordParams
	}
	return s.pw.params
}

// throttleWait is how long the account of c must wait before its next
// attempt: zero if it may try now. The one home of the throttle's rule.
func (s *Service) throttleWait(c Credentials, now time.Time) time.Duration {
	limit, maxDelay := cmpOr(s.pw.failures, DefaultLoginFailures), cmpOr(s.pw.maxDelay, DefaultLoginMaxDelay)
	if c.Failures < limit {
		return 0
	}
	delay := maxDelay
	if k := c.Failures - limit; k < 30 {
		delay = min(min(loginBaseDelay, maxDelay)<<k, maxDelay)
	}
	return max(0, c.LastFailureAt.Add(delay).Sub(now))
}

// verify checks password against a stored hash, or, when there is none to
// check (no user, no password, a password no policy allows), against a
// dummy hash of the current parameters, so every answer costs one
// verification. ok is false in the latter case.
func (s *Service) verify(hash, password string) (ok, outdated bool, err error) {
	if hash == "" || len(password) > MaxPasswordBytes {
		s.verifyDummy(password)
		return false, false, nil
	}
	ok, outdated, err = verifyPassword(hash, password, s.passwordParams())
	if err != nil {
		return false, false, err
	}
	return ok, outdated, nil
}

func (s *Service) verifyDummy(password string) {
	s.pw.dummyOnce.Do(func() {
		secret := rand.Text() // 128 bits: no one knows the dummy's password
		h, err := hashPassword(secret, s.passwordParams())
		if err != nil {
			panic(err) // crypto/rand does not fail
		}
		s.pw.dummy = h
	})
	s.pw.dummyRuns.Add(1)
	_, _, _ = verifyPassword(s.pw.dummy, password, s.passwordParams())
}

// lockCredentials returns the user's credentials under their lock, or
// empty ones (no hash, no failures) when the user has none yet.
func (s *Service) lockCredentials(ctx context.Context, userID uuid.UUID) (Credentials, error) {
	c, err := s.store.LockCredentials(ctx, userID)
	if CodeOf(err) == CodeCredentialsNotFound {
		return Credentials{UserID: userID}, nil
	}
	return c, err
}

// getCredentials is GetCredentials without the lock.
func (s *Service) getCredentials(ctx context.Context, userID uuid.UUID) (Credentials, error) {
	c, err := s.store.GetCredentials(ctx, userID)
	if CodeOf(err) == CodeCredentialsNotFound {
		return Credentials{UserID: userID}, nil
	}
	return c, err
}

// errInTx refuses a password check made inside a transaction: the failure
// it counts would roll back with the caller's work.
var errInTx = errors.New("access: a password is checked outside any transaction (Authenticate, SetPassword with the current password): the throttle's count commits on its own")

func inTx(ctx context.Context) bool { _, ok := ctx.Value(recorderKey{}).(*recorder); return ok }

// Authenticate returns the user whose e-mail and password these are.
//
// Every refusal of the credentials is ErrInvalidCredentials: an unknown
// e-mail, a wrong password, a user without a password or with a Status
// other than UserActive; each costs one argon2id verification (against a
// dummy hash when there is no hash to check), so neither the answer nor
// its time tells them apart. A malformed e-mail is ErrInvalid naming
// "email" (it cannot have an account).
//
// The per-account throttle (WithLoginThrottle) is kept in the store and
// decided under the account's lock, so it is exact under concurrent
// attempts and across processes: the first failures are counted, and an
// attempt while the account must wait is refused with a *ThrottledError
// without being verified or counted. The host's WithLoginHook runs first.
// A success resets the count and, when the stored hash was made with
// weaker parameters than the Service's, replaces it.
//
// Every attempt is an audit event, action "user.login": outcome "success"
// in the user's active company; outcome "denied" (details: reason) in the
// user's active company for a known e-mail, and with no company, actor
// "anonymous" and the e-mail in its details for an unknown one. Denied
// events are bounded per company as every refusal's are. No event holds
// the password.
//
// Authenticate commits its own count of the failure: it refuses to run
// inside a transaction (InTx), where that count would roll back with the
// caller's error. Open the session after it returns.
func (s *Service) Authenticate(ctx context.Context, email, password string) (User, error) {
	if inTx(ctx) {
		return User{}, errInTx
	}
	norm, err := NormalizeEmail(email)
	if err != nil {
		// NormalizeEmail's message quotes the input: a password typed in
		// the wrong field must not come back in an error.
		return User{}, Invalid("email", "the e-mail is not a valid address")
	}
	if s.pw.loginHook != nil {
		if err := s.pw.loginHook(ctx, norm); err != nil {
			s.loginRefused(ctx, "user.login", uuid.Nil, "", norm, "login_hook")
			return User{}, err
		}
	}
	u, err := s.store.GetUserByEmail(ctx, norm)
	switch {
	case isNotFound(err):
		s.verifyDummy(password)
		s.loginRefused(ctx, "user.login", uuid.Nil, "", norm, "unknown_email")
		return User{}, ErrInvalidCredentials
	case err != nil:
		return User{}, err
	}
	reason, err := s.checkPassword(ctx, u, password, func(ctx context.Context, c *Credentials) error {
		return s.record(ctx, AuditEvent{CompanyID: u.ActiveCompanyID, Actor: UserPrincipal(u.ID, u.ActiveCompanyID).String(),
			Action: "user.login", Target: userTarget(u.ID), Outcome: "success"})
	})
	if err != nil {
		if reason != "" {
			s.loginRefused(ctx, "user.login", u.ActiveCompanyID, userTarget(u.ID), "", reason)
		}
		return User{}, err
	}
	return u, nil
}

// checkPassword verifies password for u under the throttle and records
// the outcome: a failure is counted in a transaction of its own (its
// error comes back with a reason for the denied event); a success resets
// the count, upgrades an outdated hash and runs then, in one transaction.
// A user whose Status is not UserActive fails as with a wrong password.
func (s *Service) checkPassword(ctx context.Context, u User, password string,
	then func(ctx context.Context, c *Credentials) error) (reason string, err error) {
	pre, err := s.getCredentials(ctx, u.ID)
	if err != nil {
		return "", err
	}
	if wait := s.throttleWait(pre, s.Now()); wait > 0 {
		return "throttled", &ThrottledError{RetryAfter: wait}
	}
	ok, outdated, err := s.verify(pre.Hash, password)
	if err != nil {
		return "", err
	}
	switch {
	case pre.Hash == "":
		reason = "no_password"
	case !ok:
		reason = "wrong_password"
	case u.Status != UserActive:
		ok, reason = false, "user_disabled"
	}
	var upgraded string
	if ok && outdated {
		if upgraded, err = hashPassword(password, s.passwordParams()); err != nil {
			return "", err
		}
	}
	var refusal error
	err = s.InTx(ctx, func(ctx context.Context) error {
		refusal = nil
		c, err := s.lockCredentials(ctx, u.ID)
		if err != nil {
			return err
		}
		now := s.Now()
		if wait := s.throttleWait(c, now); wait > 0 {
			// Others' failures reached the limit while this one verified.
			reason, refusal = "throttled", &ThrottledError{RetryAfter: wait}
			return nil
		}
		if c.Hash != pre.Hash {
			// The password changed while this attempt verified the old one.
			reason, refusal = "password_changed", ErrInvalidCredentials
			return nil
		}
		if !ok {
			c.Failures++
			c.LastFailureAt, c.UpdatedAt = now, now
			refusal = ErrInvalidCredentials
			return s.store.PutCredentials(ctx, &c)
		}
		if c.Failures > 0 || upgraded != "" {
			c.Failures, c.LastFailureAt, c.UpdatedAt = 0, time.Time{}, now
			if upgraded != "" {
				c.Hash = upgraded
			}
			if err := s.store.PutCredentials(ctx, &c); err != nil {
				return err
			}
		}
		return then(ctx, &c)
	})
	if err != nil {
		return "", err
	}
	if refusal != nil {
		return reason, refusal
	}
	return "", nil
}

// loginRefused writes the denied event of a refused password check,
// in a transaction of its own, bounded per company as recordDenied bounds
// refusals. A failure to write it is logged: the caller gets its refusal
// either way.
func (s *Service) loginRefused(ctx context.Context, action string, companyID uuid.UUID, target, email, reason string) {
	dropped, admit := s.denials.admit(denialKey{companyID, denyLogin}, s.now())
	if !admit {
		return
	}
	details := map[string]string{"reason": reason}
	if email != "" {
		details["email"] = email
	}
	if dropped > 0 {
		details["dropped_before"] = fmt.Sprint(dropped)
	}
	e := AuditEvent{CompanyID: companyID, Actor: Principal{}.String(), Action: action, Target: target,
		Outcome: "denied", Details: details}
	if err := s.InTx(context.WithoutCancel(ctx), func(ctx context.Context) error { return s.record(ctx, e) }); err != nil {
		s.logger.ErrorContext(ctx, "gatehouse: a refused sign-in could not be recorded", "error", err.Error())
	}
}

// record appends e (its ID and time filled in) in the transaction of ctx;
// the audit hooks see it after commit, as Audit's events.
func (s *Service) record(ctx context.Context, e AuditEvent) error {
	e.ID, e.At = s.newID(), s.Now()
	if err := s.store.AppendAudit(ctx, &e); err != nil {
		return err
	}
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		rec.events = append(rec.events, e)
	}
	return nil
}

// SetPassword sets a user's password: the user themself (a PrincipalUser
// acting as userID), giving their current password in in.Current if they
// have one, or the system (a reset that package token completed; no
// current password is asked). For anyone else, and for an unknown user,
// it is ErrNotFound (CodeUserNotFound).
//
// Errors: ErrInvalid naming "new_password" when the policy refuses
// in.New; naming "current_password" when it is missing (required) or
// wrong (ErrWrongPassword). The current password is checked under the
// sign-in throttle (a wrong one counts as a failed sign-in, a
// *ThrottledError refuses without checking) and, as Authenticate,
// SetPassword then refuses to run inside a transaction; the system's
// SetPassword may run inside the caller's.
//
// A success stores the new hash, resets the failure count, writes the
// audit event "user.password_changed" (details: by "self" or "system";
// never a password), and runs the functions registered with OnPasswordSet,
// in one transaction.
func (s *Service) SetPassword(ctx context.Context, p Principal, userID uuid.UUID, in PasswordChange) error {
	if p.IsZero() {
		return Unauthenticated("no principal")
	}
	self := p.Kind == PrincipalUser && p.UserID == userID
	if p.Kind != PrincipalSystem && !self {
		return NotFound(CodeUserNotFound)
	}
	if p.SessionConfined {
		// A session someone else asked for (provisioning) would turn
		// itself into the account's owner: a password is set by its user
		// signing in themselves, through a reset link or the host.
		return Forbidden("a provisioned session cannot set its user's password")
	}
	if err := s.pw.policy.check(ctx, "new_password", in.New); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	var pre Credentials
	if self {
		if pre, err = s.getCredentials(ctx, userID); err != nil {
			return err
		}
		if pre.Hash != "" {
			if in.Current == "" {
				return Invalid("current_password", "the current password is required")
			}
			if inTx(ctx) {
				return errInTx
			}
			// A disabled user's session does not change their password:
			// their current one counts as wrong.
			if reason, err := s.checkPassword(ctx, u, in.Current, func(context.Context, *Credentials) error { return nil }); err != nil {
				if errors.Is(err, ErrInvalidCredentials) {
					s.loginRefused(ctx, "user.password_change", p.CompanyID, userTarget(userID), "", reason)
					return ErrWrongPassword
				}
				return err
			}
		}
	}
	hash, err := hashPassword(in.New, s.passwordParams())
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		c, err := s.lockCredentials(ctx, userID)
		if err != nil {
			return err
		}
		if self && c.Hash != pre.Hash {
			return ErrWrongPassword // changed since the current password was checked
		}
		c.Hash, c.Failures, c.LastFailureAt, c.UpdatedAt = hash, 0, time.Time{}, s.Now()
		if err := s.store.PutCredentials(ctx, &c); err != nil {
			return err
		}
		by := "system"
		if self {
			by = "self"
		}
		if err := s.Audit(ctx, p, p.CompanyID, "user.password_changed", userTarget(userID), map[string]string{"by": by}); err != nil {
			return err
		}
		s.pw.onSetMu.RLock()
		hooks := s.pw.onSet
		s.pw.onSetMu.RUnlock()
		for _, f := range hooks {
			if err := f(ctx, p, userID); err != nil {
				return err
			}
		}
		return nil
	})
}

// newCredentials checks a new user's password and hashes it; nil without
// one.
func (s *Service) newCredentials(ctx context.Context, in NewUser) (*Credentials, error) {
	if in.Password == "" {
		return nil, nil
	}
	if err := s.pw.policy.check(ctx, "password", in.Password); err != nil {
		return nil, err
	}
	hash, err := hashPassword(in.Password, s.passwordParams())
	if err != nil {
		return nil, err
	}
	return &Credentials{Hash: hash}, nil
}
