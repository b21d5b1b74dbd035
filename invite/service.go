package invite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
	"github.com/google/uuid"
)

// Defaults of the options.
const (
	DefaultValidity       = 7 * 24 * time.Hour
	DefaultResendCooldown = 2 * 24 * time.Hour // seed 003: resend after 2 days
	// DefaultCompanyHourlyLimit and DefaultInviterHourlyLimit bound the
	// invitations sent per SendWindow (WithHourlyLimits).
	DefaultCompanyHourlyLimit = 100
	DefaultInviterHourlyLimit = 20
)

// SendWindow is the window of the hourly limits: a send counts for an hour.
const SendWindow = time.Hour

// Service manages invitations and connections. Every method takes the
// acting Principal and checks it against current stored state; it is safe
// for concurrent use.
type Service struct {
	acc       *access.Service
	tok       *token.Service
	st        Store
	notifier  token.Notifier
	validity  time.Duration
	cooldown  time.Duration
	acceptURL *url.URL
	format    token.Format

	companyLimit, inviterLimit int
	logger                     *slog.Logger
	notifierSet                bool      // WithNotifier was given a notifier
	undelivered                sync.Once // the warning that nobody receives invitations
}

// Option configures a Service.
type Option func(*Service)

// WithNotifier sets who hears of every change, and so who delivers the
// invitation links to the invitees. Without it nobody does: the Service
// then logs a warning at the first invitation it sends (once per Service,
// never the link), and the link is only in the result of the creating call
// (Issued.Token, Issued.URL), for the host to hand over. An explicit
// token.NopNotifier{} is a host's choice and is not warned about.
func WithNotifier(n token.Notifier) Option {
	return func(s *Service) { s.notifier, s.notifierSet = n, n != nil }
}

// WithHourlyLimits bounds how many invitations (created, refreshed or
// resent) a company, and one inviter in it, may send per SendWindow
// (defaults DefaultCompanyHourlyLimit and DefaultInviterHourlyLimit); a
// limit <= 0 is none. The store counts, exactly also across processes
// sharing it; the system principal is not limited. Beyond a limit the call
// fails with *RateLimitedError.
func WithHourlyLimits(company, inviter int) Option {
	return func(s *Service) { s.companyLimit, s.inviterLimit = company, inviter }
}

// WithLogger sets where the Service's warnings go (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.logger = l } }

// WithValidity sets how long an invitation (and a resent one) stays valid
// (default 7 days).
func WithValidity(d time.Duration) Option { return func(s *Service) { s.validity = d } }

// WithResendCooldown sets how long after a send the next resend is allowed
// (default 2 days).
func WithResendCooldown(d time.Duration) Option { return func(s *Service) { s.cooldown = d } }

// WithAcceptURL sets the base of the accept links handed to the Notifier:
// the token is added as the query parameter "token". It panics if base is
// not an absolute URL: a misconfigured host fails at start-up, not when
// the first invitation is sent.
func WithAcceptURL(base string) Option {
	u, err := url.Parse(base)
	if err != nil || !u.IsAbs() {
		panic(fmt.Sprintf("invite: WithAcceptURL(%q): not an absolute URL", base))
	}
	return func(s *Service) { s.acceptURL = u }
}

// NewService returns the invitation Service built on tok and the access
// Service tok is built on, over the same store (they share transactions):
// invitation tokens take tok's format (its product prefix). It registers
// pending member invitations as grant subjects (access.SubjectInvite)
// with the access Service: a grant may name one, accepting it hands the
// grants to the new member, and removing the grant's account access
// revokes it. It panics if that store does not keep invitations (it
// implements no invite.Store): a wiring error of the host, found at
// start-up.
func NewService(tok *token.Service, opts ...Option) *Service {
	acc := tok.Access()
	st, ok := acc.Store().(Store)
	if !ok {
		panic(fmt.Sprintf("invite.NewService: the access Service's store (%T) does not implement invite.Store", acc.Store()))
	}
	s := &Service{acc: acc, tok: tok, st: st, format: tok.Format(), notifier: token.NopNotifier{},
		validity: DefaultValidity, cooldown: DefaultResendCooldown,
		companyLimit: DefaultCompanyHourlyLimit, inviterLimit: DefaultInviterHourlyLimit, logger: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.validity <= 0 {
		s.validity = DefaultValidity
	}
	if s.cooldown < 0 {
		s.cooldown = 0
	}
	if s.notifier == nil {
		s.notifier = token.NopNotifier{}
	}
	acc.RegisterSubject(access.SubjectInvite, access.SubjectKind{Check: s.checkSubject, Withdraw: s.withdraw, HandsTo: s.handsTo, List: s.listAccesses})
	acc.OnUserErased(s.userErased)
	return s
}

// userErased deletes the invitations to the e-mail of a user being erased
// (access.Service.EraseUser), pending or closed (each holds the address),
// and the grants they held, in the erasure's transaction.
func (s *Service) userErased(ctx context.Context, _ access.Principal, u access.User) error {
	gone, err := s.st.DeleteInvitationsTo(ctx, u.Email)
	if err != nil {
		return err
	}
	for _, inv := range gone {
		sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: inv.CompanyID}
		if _, err := s.acc.RemoveSubjectGrants(ctx, sys, access.Subject{Type: access.SubjectInvite, ID: inv.ID}); err != nil {
			return err
		}
	}
	return nil
}

// handsTo lets a member invitation's grants pass only to the member it was
// accepted for (access.NewMember.GrantsFrom).
func (s *Service) handsTo(ctx context.Context, companyID, id uuid.UUID, email string) error {
	inv, claimed := ctx.Value(claimedKey{}).(Invitation)
	if !claimed || inv.ID != id || inv.CompanyID != companyID {
		var err error
		if inv, err = s.st.GetInvitation(ctx, companyID, id); err != nil {
			return err
		}
	}
	if inv.Kind != KindMember || inv.Status != StatusAccepted || inv.Email != email {
		return access.Forbidden("the invitation's grants pass only to the member it was accepted for")
	}
	return nil
}

// withdraw revokes a pending invitation whose account access was removed
// (access.Service.RemoveAccess); one no longer pending stays as it is.
func (s *Service) withdraw(ctx context.Context, p access.Principal, id uuid.UUID) error {
	_, err := s.Revoke(ctx, p, id)
	if _, closed := errors.AsType[*StateError](err); closed {
		return nil
	}
	return err
}

// checkSubject lets grants name a pending member invitation of a company.
func (s *Service) checkSubject(ctx context.Context, companyID, id uuid.UUID) error {
	inv, err := s.st.GetInvitation(ctx, companyID, id)
	if err != nil {
		return err
	}
	if inv.Kind != KindMember {
		return access.Invalid("subject_type", "only a member invitation can hold grants")
	}
	if st := inv.StatusAt(s.acc.Now()); st != StatusPending {
		return &StateError{Status: st}
	}
	return nil
}

// link builds the accept URL for a token.
func (s *Service) link(tok token.Secret) token.Secret { return token.WithToken(s.acceptURL, tok) }

// event builds a notification from state read inside the transaction.
func (s *Service) event(ctx context.Context, typ EventType, inv Invitation, tok token.Secret) (Event, error) {
	if _, nop := s.notifier.(token.NopNotifier); nop {
		// Nobody listens: spare the reads (the accept link still goes
		// into Issued).
		return Event{Type: typ, Invitation: Invitation{ID: inv.ID, CompanyID: inv.CompanyID}, Token: tok, URL: s.link(tok)}, nil
	}
	e := Event{Type: typ, Invitation: inv.public(s.acc.Now()), Token: tok, URL: s.link(tok), At: s.acc.Now()}
	var err error
	e.CompanyName, e.InviterEmail, err = s.parties(ctx, inv)
	return e, err
}

// parties reads the inviting company's name and the inviter's e-mail ("" if
// the system invited or the inviter is gone) for a notification or a
// preview. It reads as the system: what a holder of the invitation's token
// may see has been decided by the invitation, and it is only these names.
func (s *Service) parties(ctx context.Context, inv Invitation) (company, inviter string, err error) {
	sys := access.SystemPrincipal()
	c, err := s.acc.GetCompany(ctx, sys, inv.CompanyID)
	if err != nil {
		return "", "", err
	}
	if inv.InvitedBy != uuid.Nil {
		u, err := s.acc.GetUser(ctx, sys, inv.InvitedBy)
		if err == nil {
			inviter = u.Email
		} else if !errors.Is(err, access.ErrNotFound) {
			return "", "", err
		}
	}
	return c.Name, inviter, nil
}

// inTx runs fn in one transaction and hands the events fn collected to the
// Notifier once the outermost transaction committed (the caller's, when
// fn's transaction is nested in one), never from inside it.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, emit func(Event)) error) error {
	return s.acc.InTx(ctx, func(ctx context.Context) error {
		var events []Event
		if err := fn(ctx, func(e Event) { events = append(events, e) }); err != nil {
			return err
		}
		if _, nop := s.notifier.(token.NopNotifier); nop || len(events) == 0 {
			s.warnUndelivered(ctx, events)
			return nil
		}
		s.acc.AfterCommit(ctx, func() {
			for _, e := range events {
				s.notifier.Notify(context.WithoutCancel(ctx), e)
			}
		})
		return nil
	})
}

// warnUndelivered logs, once per Service and after the commit, that an
// invitation link went to nobody because no notifier is configured: the
// default must not be a silent dead end. It names the invitation, never
// its link nor the e-mail.
func (s *Service) warnUndelivered(ctx context.Context, events []Event) {
	if s.notifierSet {
		return
	}
	for _, e := range events {
		if e.Token.IsZero() {
			continue
		}
		s.acc.AfterCommit(ctx, func() {
			s.undelivered.Do(func() {
				s.logger.WarnContext(ctx, "gatehouse: invitations are not delivered: no invitation notifier is configured "+
					"(invite.WithNotifier), so nobody sends the invitee the link; it is only in the creating call's result "+
					"(invite.Issued). Logged once per invite.Service.",
					slog.String("invitation_id", e.Invitation.ID.String()), slog.String("company_id", e.Invitation.CompanyID.String()),
					slog.String("event", string(e.Type)))
			})
		})
		return
	}
}

// admitSend logs a send of invitation id by p in the store's send log,
// within the hourly limits, or refuses it with *RateLimitedError. Call it
// before any write of the transaction, so that the company's lock it
// takes comes first.
func (s *Service) admitSend(ctx context.Context, p access.Principal, id uuid.UUID, now time.Time) error {
	if p.Kind == access.PrincipalSystem || s.companyLimit <= 0 && s.inviterLimit <= 0 {
		return nil
	}
	oldest, err := s.st.RecordSend(ctx, Send{CompanyID: p.CompanyID, InviterID: invitedBy(p), InvitationID: id, SentAt: now},
		SendLimits{Since: now.Add(-SendWindow), Company: s.companyLimit, Inviter: s.inviterLimit})
	if err != nil {
		return err
	}
	if !oldest.IsZero() {
		return &RateLimitedError{RetryAfter: max(oldest.Add(SendWindow).Sub(now), time.Second)}
	}
	return nil
}

func inviteTarget(id uuid.UUID) string { return "invitation:" + id.String() }

// inviterPrincipal is who the invitation acts as when it takes effect: the
// inviter in the inviting company, or the system there.
func inviterPrincipal(inv Invitation) access.Principal {
	if inv.InvitedBy == uuid.Nil {
		return access.Principal{Kind: access.PrincipalSystem, CompanyID: inv.CompanyID}
	}
	return access.UserPrincipal(inv.InvitedBy, inv.CompanyID)
}

// invitedBy is the user recorded as inviter for p.
func invitedBy(p access.Principal) uuid.UUID {
	if p.Kind == access.PrincipalSystem {
		return uuid.Nil
	}
	return p.UserID
}

// notFoundInvitation is the one error for a token that does not work:
// malformed, unknown, or replaced by a resend.
func notFoundInvitation() error { return access.NotFound(access.CodeInvitationNotFound) }

// byToken finds the invitation a presented token belongs to.
func (s *Service) byToken(ctx context.Context, tok string) (Invitation, error) {
	hash, kind, ok := s.parseToken(tok)
	if !ok {
		return Invitation{}, notFoundInvitation()
	}
	inv, err := s.st.GetInvitationByHash(ctx, hash)
	if err != nil {
		if errors.Is(err, access.ErrNotFound) {
			return Invitation{}, notFoundInvitation()
		}
		return Invitation{}, err
	}
	if !inv.TokenHash.Equal(hash) || inv.Kind != kind {
		return Invitation{}, notFoundInvitation()
	}
	return inv, nil
}
