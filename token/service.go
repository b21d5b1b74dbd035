package token

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// Defaults of the Service's options.
const (
	DefaultLoginLinkTTL = 10 * time.Minute
	DefaultSessionTTL   = 12 * time.Hour
	DefaultLoginURL     = "/login"
	DefaultResetTTL     = 30 * time.Minute
	DefaultResetURL     = "/reset-password"
)

// touchInterval bounds how often a token's last use is written: a token
// used on every request costs one write a minute, not one per request.
const touchInterval = time.Minute

// Service manages API tokens, session tokens and magic login links. It is
// safe for concurrent use.
type Service struct {
	acc        *access.Service
	st         Store
	format     Format
	now        func() time.Time
	newID      func() uuid.UUID
	linkTTL    time.Duration
	sessionTTL time.Duration
	loginURL   *url.URL
	resetTTL   time.Duration
	resetURL   *url.URL
	notifier   Notifier
	err        error // the first invalid option
}

// Option configures a Service.
type Option func(*Service)

// WithPrefix sets the product part of every secret's prefix (default
// DefaultProduct, "gate"): 2 to 16 lower-case letters and digits, starting
// with a letter.
func WithPrefix(product string) Option {
	return func(s *Service) {
		f, err := NewFormat(product)
		s.setErr(err)
		s.format = f
	}
}

// WithLoginLinkTTL sets how long a login link stays redeemable (default
// DefaultLoginLinkTTL).
func WithLoginLinkTTL(d time.Duration) Option {
	return lifetime("login_link_ttl", "login link", d, func(s *Service) *time.Duration { return &s.linkTTL })
}

// WithSessionTTL sets how long a session token lives (default
// DefaultSessionTTL).
func WithSessionTTL(d time.Duration) Option {
	return lifetime("session_ttl", "session", d, func(s *Service) *time.Duration { return &s.sessionTTL })
}

// WithLoginURL sets the base URL of login links (default DefaultLoginURL,
// relative). The secret goes into its "token" query parameter; the page
// there should ask for confirmation and redeem with a POST (a GET must
// not consume the link: mail scanners follow links).
func WithLoginURL(base string) Option {
	return baseURL("login_url", "login", base, func(s *Service) **url.URL { return &s.loginURL })
}

// WithResetTTL sets how long a password reset link stays usable (default
// DefaultResetTTL, 30 minutes).
func WithResetTTL(d time.Duration) Option {
	return lifetime("reset_ttl", "reset link", d, func(s *Service) *time.Duration { return &s.resetTTL })
}

// WithResetURL sets the base URL of password reset links (default
// DefaultResetURL, relative). The secret goes into its "token" query
// parameter; the page there should ask for the new password and complete
// the reset with a POST (CompletePasswordReset).
func WithResetURL(base string) Option {
	return baseURL("reset_url", "reset", base, func(s *Service) **url.URL { return &s.resetURL })
}

// lifetime is an option setting the duration at points to, refusing
// one that is not positive (the error names field).
func lifetime(field, what string, d time.Duration, at func(*Service) *time.Duration) Option {
	return func(s *Service) {
		if d <= 0 {
			s.setErr(access.Invalid(field, "the %s lifetime must be positive", what))
		}
		*at(s) = d
	}
}

// baseURL is an option setting the URL at points to, refusing one that
// does not parse (the error names field).
func baseURL(field, what, base string, at func(*Service) **url.URL) Option {
	return func(s *Service) {
		u, err := url.Parse(base)
		if err != nil || base == "" {
			s.setErr(access.Invalid(field, "the %s URL does not parse", what))
			return
		}
		*at(s) = u
	}
}

// WithClock sets the clock (default: the access Service's). Tests inject
// their own.
func WithClock(now func() time.Time) Option {
	return func(s *Service) {
		s.now = func() time.Time { return now().UTC().Truncate(time.Microsecond) }
	}
}

// WithNotifier sets who hears of access granted by Provision with
// Provision.Notify and of password reset links (default NopNotifier).
func WithNotifier(n Notifier) Option { return func(s *Service) { s.notifier = n } }

// WithIDs sets the ID source (default: the access Service's).
func WithIDs(newID func() uuid.UUID) Option { return func(s *Service) { s.newID = newID } }

func (s *Service) setErr(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

// NewService returns the token Service built on acc, over acc's store
// (they share its transactions). It registers API tokens as subjects of
// resource grants with acc (access.SubjectToken, seed 002's ApiToken
// specifier), and ends a user's other sessions whenever acc sets their
// password (access.Service.OnPasswordSet), and deletes what it keeps of
// a user acc erases (access.Service.OnUserErased). It panics if an option is
// invalid or acc's store does not keep tokens (it implements no
// token.Store): programming errors of the host, found at start-up.
func NewService(acc *access.Service, opts ...Option) *Service {
	st, ok := acc.Store().(Store)
	if !ok {
		panic(fmt.Sprintf("token.NewService: the access Service's store (%T) does not implement token.Store", acc.Store()))
	}
	base, _ := url.Parse(DefaultLoginURL)
	reset, _ := url.Parse(DefaultResetURL)
	s := &Service{acc: acc, st: st, now: acc.Now, newID: acc.NewID, notifier: NopNotifier{},
		linkTTL: DefaultLoginLinkTTL, sessionTTL: DefaultSessionTTL, loginURL: base,
		resetTTL: DefaultResetTTL, resetURL: reset}
	for _, o := range opts {
		o(s)
	}
	if s.err != nil {
		panic(fmt.Sprintf("token.NewService: %v", s.err))
	}
	if s.notifier == nil {
		s.notifier = NopNotifier{}
	}
	acc.RegisterSubject(access.SubjectToken, access.SubjectKind{Check: s.checkSubject, Withdraw: s.withdraw, List: s.listAccesses})
	acc.OnPasswordSet(s.passwordSet)
	acc.OnUserErased(s.userErased)
	return s
}

// Access returns the access Service this Service is built on, for the
// services built on it in turn (invite.NewService).
func (s *Service) Access() *access.Service { return s.acc }

// userErased deletes the tokens, sessions and links of a user being
// erased (access.Service.EraseUser), and the grants their API tokens
// held, in the erasure's transaction.
func (s *Service) userErased(ctx context.Context, _ access.Principal, u access.User) error {
	gone, err := s.st.DeleteUserTokens(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, t := range gone {
		if t.Kind != KindAPI {
			continue
		}
		sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: t.CompanyID}
		if _, err := s.acc.RemoveSubjectGrants(ctx, sys, access.Subject{Type: access.SubjectToken, ID: t.ID}); err != nil {
			return err
		}
	}
	return nil
}

// withdraw revokes an API token whose account access was removed
// (access.Service.RemoveAccess).
func (s *Service) withdraw(ctx context.Context, p access.Principal, id uuid.UUID) error {
	_, err := s.Revoke(ctx, p, id)
	return err
}

// Standing returns the principal of the company's API token id while the
// token stands (neither revoked nor expired), so that what it started can
// be checked again when it takes effect: an invitation sent by a token is
// accepted only while the token stands and within its ceiling. ErrNotFound
// (CodeTokenNotFound) otherwise. It holds no secret and checks nothing
// else: the caller authorizes the principal as any other.
//
// The token is companyID's own, or one of an agency connected to it (a
// partner's key that invited into its merchant's company): then the
// principal acts in companyID through that connection (access.Principal.In).
func (s *Service) Standing(ctx context.Context, companyID, id uuid.UUID) (access.Principal, error) {
	t, err := s.st.GetToken(ctx, companyID, id)
	if errors.Is(err, access.ErrNotFound) {
		t, err = s.agencyToken(ctx, companyID, id)
	}
	switch {
	case errors.Is(err, access.ErrNotFound):
		return access.Principal{}, access.NotFound(access.CodeTokenNotFound)
	case err != nil:
		return access.Principal{}, err
	case t.Revoked() || t.Expired(s.now()):
		return access.Principal{}, access.NotFound(access.CodeTokenNotFound)
	}
	anc, err := s.ancestry(ctx, t, s.now())
	if errors.Is(err, ErrInvalidToken) {
		return access.Principal{}, access.NotFound(access.CodeTokenNotFound)
	} else if err != nil {
		return access.Principal{}, err
	}
	level, perms := within(t, anc)
	return access.TokenPrincipal(t.ID, t.UserID, t.CompanyID, perms, level, t.CreatedAt).In(companyID), nil
}

// agencyToken finds token id among the tokens of the agencies connected to
// customerID. ErrNotFound if none holds it.
func (s *Service) agencyToken(ctx context.Context, customerID, id uuid.UUID) (Token, error) {
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: customerID}
	pr := access.PageRequest{Limit: access.MaxPageLimit}
	for {
		page, err := s.acc.ListConnections(ctx, sys, pr)
		if err != nil {
			return Token{}, err
		}
		for _, c := range page.Items {
			if c.CustomerID != customerID {
				continue
			}
			t, err := s.st.GetToken(ctx, c.AgencyID, id)
			if !errors.Is(err, access.ErrNotFound) {
				return t, err
			}
		}
		if page.Next == "" {
			return Token{}, access.NotFound(access.CodeTokenNotFound)
		}
		pr.After = page.Next
	}
}

// Format returns the secret format of the Service, so sibling packages
// (invitations) issue secrets with the host's prefix.
func (s *Service) Format() Format { return s.format }

// checkSubject lets grants name API tokens of the company that still work.
func (s *Service) checkSubject(ctx context.Context, companyID, id uuid.UUID) error {
	t, err := s.st.GetToken(ctx, companyID, id)
	switch {
	case errors.Is(err, access.ErrNotFound):
		return access.NotFound(access.CodeTokenNotFound)
	case err != nil:
		return err
	}
	return s.stands(ctx, t)
}

// stands tells whether an API token still works and so may hold grants and
// be listed as an account access: not revoked, not expired, and every
// token that made it still standing.
func (s *Service) stands(ctx context.Context, t Token) error {
	switch {
	case t.Revoked():
		return access.Conflict(access.CodeTokenRevoked, "the token is revoked")
	case t.Expired(s.now()):
		return access.Conflict(access.CodeTokenExpired, "the token has expired")
	}
	if _, err := s.ancestry(ctx, t, s.now()); errors.Is(err, ErrInvalidToken) {
		return access.Conflict(access.CodeTokenRevoked, "a token that made the token has stopped")
	} else if err != nil {
		return err
	}
	return nil
}

// Verify authenticates an API or session token and returns the Principal
// it acts as:
//
//   - an API token: access.TokenPrincipal of its company, its creator, its
//     own permissions and level. The authorizer caps these again, on every
//     check, with the creator's current membership, so demoting,
//     deactivating or removing the creator shrinks or stops the token at
//     once. A token another token made (Token.Ancestors) verifies only
//     while every token that made it is neither revoked, expired nor gone
//     (ReasonAncestor), at the cost of one more look-up. Its TokenPermissions may be shared with the store: treat it as
//     read-only.
//   - a session token: access.UserPrincipal of its user in the company
//     the session acts in (its login link's, or where SwitchSession moved
//     it), read from the store now, with the session's ID and scope
//     (Principal.SessionID, SessionHome, SessionConfined for a
//     provisioned one, SessionCompanies, which may be shared with the
//     store: treat it as read-only).
//
// Any token that does not verify (malformed, bad checksum, another kind or
// product, unknown, revoked, expired, its company or user gone) gives an
// error wrapping ErrInvalidToken and access.ErrUnauthenticated, the same
// for every reason (ReasonOf tells the host which). A malformed token costs
// no store access; a good one costs one indexed lookup, plus one for a
// session's user, and a write at most once a minute to record its last use.
// Other errors are storage failures.
func (s *Service) Verify(ctx context.Context, secret string) (access.Principal, error) {
	return s.verify(ctx, secret, nil)
}

// verify is Verify; it copies the stored token into out unless out is nil
// (Verify's hot path copies nothing).
func (s *Service) verify(ctx context.Context, secret string, out *Token) (access.Principal, error) {
	product, k, err := parse(secret)
	if err != nil || product != s.format.Product() || k != KindAPI && k != KindSession {
		return access.Principal{}, rejectMalformed
	}
	d := Hash(secret)
	t, err := s.st.GetTokenByHash(ctx, d)
	if err != nil {
		if errors.Is(err, access.ErrNotFound) {
			return access.Principal{}, rejectUnknown
		}
		return access.Principal{}, err
	}
	if !t.Digest.Equal(d) || t.Kind != k {
		return access.Principal{}, rejectUnknown
	}
	now := s.now()
	if t.Revoked() {
		return access.Principal{}, rejectRevoked
	}
	if t.Expired(now) {
		return access.Principal{}, rejectExpired
	}
	var p access.Principal
	if k == KindAPI {
		if t.UserStatus != access.UserActive {
			// Its creator is disabled: the token stops with them.
			return access.Principal{}, rejectUserUnknown
		}
		level, perms := t.Level, t.Permissions
		if len(t.Ancestors) > 0 {
			// A token another token made stops when that one stops, and
			// holds no more than it holds now: one look-up of them all,
			// on every request.
			anc, err := s.ancestry(ctx, t, now)
			if err != nil {
				return access.Principal{}, err
			}
			level, perms = within(t, anc)
		}
		// access.TokenPrincipal, without its copy of the permissions.
		p = access.Principal{Kind: access.PrincipalToken, UserID: t.UserID, CompanyID: t.CompanyID,
			TokenCompanyID: t.CompanyID, TokenID: t.ID, TokenPermissions: perms, TokenLevel: level, TokenIssuedAt: t.CreatedAt}
	} else {
		p = sessionPrincipal(t)
		u, err := s.acc.GetUser(ctx, p, t.UserID)
		if errors.Is(err, access.ErrNotFound) || err == nil && u.Status != access.UserActive {
			return access.Principal{}, rejectUserUnknown
		}
		if err != nil {
			return access.Principal{}, err
		}
	}
	if out == nil && (t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) >= touchInterval) {
		// A use, not a question (Introspect asks with out set, and records
		// none). Best effort: a failed bookkeeping write does not refuse a
		// token that verified.
		_ = s.st.TouchToken(ctx, t.ID, now)
	}
	if out != nil {
		*out = t
	}
	return p, nil
}

// auditTarget names a token in audit events (never its secret).
func auditTarget(t Token) string {
	if t.Kind == KindSession {
		return "session:" + t.ID.String()
	}
	return string(access.SubjectToken) + ":" + t.ID.String()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
