package token

import (
	"context"
	"errors"
	"strconv"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// ErrInvalidResetLink is returned for a password reset link that is
// malformed or unknown. It is ErrInvalidLink's kind and code
// (unauthenticated, CodeInvalidLink) with its own message.
var ErrInvalidResetLink = &access.Error{Kind: access.ErrUnauthenticated, Code: access.CodeInvalidLink, Message: "the reset link is invalid"}

// The reset link is gone: already used, expired, or replaced by a newer
// request (or ended by a password change). They match ErrLinkUsed,
// ErrLinkExpired and ErrLinkRevoked under errors.Is (the same kind and
// code: 410 over HTTP) with their own messages.
var (
	ErrResetLinkUsed    = &access.Error{Kind: access.ErrConflict, Code: access.CodeLinkUsed, Message: "the reset link was already used"}
	ErrResetLinkExpired = &access.Error{Kind: access.ErrConflict, Code: access.CodeLinkExpired, Message: "the reset link has expired"}
	ErrResetLinkRevoked = &access.Error{Kind: access.ErrConflict, Code: access.CodeLinkRevoked, Message: "the reset link was replaced by a newer one"}
)

// Login signs a user in with e-mail and password
// (access.Service.Authenticate, with its equal answer for unknown e-mails
// and its per-account throttle) and mints a session token for them, as
// redeeming a login link the host issued does (RedeemLoginLinkSession): an
// opaque, revocable bearer token of origin OriginSignIn, which follows
// the user's memberships (see "Where a session reaches"), valid for the
// session lifetime (WithSessionTTL).
//
// The session acts in the user's active company if they are an active
// member there; otherwise in their primary company, otherwise in the first
// company they are an active member of (which becomes their active one,
// as a redeemed link's does). A user in no company (just signed up) gets
// a session in no company (Login.Company and the session's CompanyID are
// zero): they may still read their own profile, create a company
// (CreateCompany, which the session then reaches) and switch to one they
// join.
//
// Errors: Authenticate's (invalid credentials, the same for an unknown
// e-mail; throttled; invalid input), unchanged. Authenticate commits its
// own bookkeeping (failures counted, refusals recorded) before the
// session is minted in a transaction of its own.
func (s *Service) Login(ctx context.Context, email, password string) (Login, error) {
	u, err := s.acc.Authenticate(ctx, email, password)
	if err != nil {
		return Login{}, err
	}
	var out Login
	err = s.acc.InTx(ctx, func(ctx context.Context) error {
		companyID, err := s.loginCompany(ctx, u)
		if err != nil {
			return err
		}
		p := access.UserPrincipal(u.ID, companyID)
		out = Login{User: u, Origin: OriginSignIn}
		if companyID != uuid.Nil {
			if out.User, out.Company, err = s.acc.SignIn(ctx, p); err != nil {
				return err
			}
		} else if out.User, err = s.acc.GetUser(ctx, p, u.ID); err != nil {
			return err
		}
		if out.User.Status != access.UserActive {
			return access.Unauthenticated("the user is disabled")
		}
		out.Session, err = s.mintSession(ctx, p, OriginSignIn, "password", s.now())
		return err
	})
	if err != nil {
		return Login{}, err
	}
	return out, nil
}

// loginCompany is the company a password login acts in: the user's active
// company while they are an active member there, else their primary one,
// else the first; uuid.Nil for a user in no company.
func (s *Service) loginCompany(ctx context.Context, u access.User) (uuid.UUID, error) {
	active := true
	f := access.MemberFilter{Active: &active, Page: access.PageRequest{Limit: access.MaxPageLimit}}
	var primary, first uuid.UUID
	for {
		page, err := s.acc.ListMyCompanies(ctx, access.UserPrincipal(u.ID, uuid.Nil), f)
		if err != nil {
			return uuid.Nil, err
		}
		for _, uc := range page.Items {
			switch {
			case uc.CompanyID == u.ActiveCompanyID:
				return uc.CompanyID, nil
			case uc.Primary && primary == uuid.Nil:
				primary = uc.CompanyID
			case first == uuid.Nil:
				first = uc.CompanyID
			}
		}
		if page.Next == "" {
			break
		}
		f.Page.After = page.Next
	}
	if primary != uuid.Nil {
		return primary, nil
	}
	return first, nil
}

// RequestPasswordReset starts the reset of a forgotten password. If email
// is an active user's, it issues a password reset link (a secret of kind
// KindPasswordReset, stored as its digest only) valid for WithResetTTL (30
// minutes by default), ends the user's earlier unused reset links (a new
// request rotates the link), and hands the link, after the commit, to the
// Notifier as a PasswordReset event: the link travels only there, never
// to the caller.
//
// It answers nil alike whether or not the e-mail has an account (or the
// account is disabled), so addresses cannot be probed. Errors: ErrInvalid
// (field "email") for an address that is not one; storage failures. The
// Notifier runs on the caller's goroutine: a host whose mail is slow
// should queue it, or the time taken tells known addresses apart.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	norm, err := access.NormalizeEmail(email)
	if err != nil {
		return err
	}
	secret := s.format.Generate(KindPasswordReset)
	return s.acc.InTx(ctx, func(ctx context.Context) error {
		u, err := s.acc.GetUserByEmail(ctx, access.SystemPrincipal(), norm)
		switch {
		case errors.Is(err, access.ErrNotFound):
			return nil
		case err != nil:
			return err
		case u.Status != access.UserActive:
			return nil
		}
		now := s.now()
		n, err := s.st.RevokeResetLinks(ctx, u.ID, now)
		if err != nil {
			return err
		}
		l := LoginLink{ID: s.newID(), Kind: KindPasswordReset, UserID: u.ID, Digest: Hash(secret.v),
			ExpiresAt: now.Add(s.resetTTL), CreatedAt: now}
		if err := s.st.CreateLoginLink(ctx, &l); err != nil {
			return err
		}
		// Whoever asked is unknown: the actor is anonymous. The event is
		// the account's, outside any company.
		if err := s.acc.Audit(ctx, access.Principal{}, uuid.Nil, "password.reset_requested", "user:"+u.ID.String(),
			map[string]string{"link_id": l.ID.String(), "expires_at": formatTime(l.ExpiresAt), "superseded": strconv.Itoa(n)}); err != nil {
			return err
		}
		ev := PasswordReset{User: u, ResetURL: WithToken(s.resetURL, secret), ExpiresAt: l.ExpiresAt}
		s.acc.AfterCommit(ctx, func() { s.notifier.Notify(context.WithoutCancel(ctx), ev) })
		return nil
	})
}

// CompletePasswordReset sets a new password with a reset link's secret
// (the "token" parameter of its URL), in one transaction: the link is
// consumed exactly once (by one conditional write: of concurrent
// completions one succeeds), the password is set
// (access.Service.SetPassword, as the system: no current password), and
// every session of the user ends, with any other open reset link of
// theirs (as after every SetPassword: see ChangePassword). A new password
// the policy refuses changes nothing: the link stays usable.
//
// Errors: ErrInvalidResetLink for a malformed or unknown link;
// ErrResetLinkUsed, ErrResetLinkExpired, ErrResetLinkRevoked (conflicts)
// for one that is gone; SetPassword's (ErrInvalid naming
// "new_password").
func (s *Service) CompletePasswordReset(ctx context.Context, secret, newPassword string) error {
	if err := s.format.Parse(secret, KindPasswordReset); err != nil {
		return ErrInvalidResetLink
	}
	d := Hash(secret)
	return s.acc.InTx(ctx, func(ctx context.Context) error {
		l, err := s.st.ConsumeLoginLink(ctx, d, s.now())
		switch {
		case errors.Is(err, access.ErrNotFound):
			return ErrInvalidResetLink
		case errors.Is(err, ErrLinkUsed):
			return ErrResetLinkUsed
		case errors.Is(err, ErrLinkExpired):
			return ErrResetLinkExpired
		case errors.Is(err, ErrLinkRevoked):
			return ErrResetLinkRevoked
		case err != nil:
			return err
		case !l.Digest.Equal(d) || l.Kind != KindPasswordReset:
			return ErrInvalidResetLink // rolls the consumption back
		}
		// The holder of the link acts as its user, through no session.
		if err := s.acc.Audit(ctx, access.UserPrincipal(l.UserID, uuid.Nil), uuid.Nil, "password.reset",
			"user:"+l.UserID.String(), map[string]string{"link_id": l.ID.String()}); err != nil {
			return err
		}
		return s.acc.SetPassword(ctx, access.SystemPrincipal(), l.UserID, access.PasswordChange{New: newPassword})
	})
}

// ChangePassword changes the password of p's user, who gives the current
// one: access.Service.SetPassword, with its throttle on the current
// password, and, in SetPassword's transaction, every other session of the
// user ends (the one p acts through, Principal.SessionID, stays), with
// their open reset links. The sessions end after every successful
// SetPassword, whoever calls it (the Service registers itself with
// access.Service.OnPasswordSet): by the user, the asking session stays;
// by the system, every session ends.
//
// Only a user changes their own password: ErrForbidden for an API token
// or the system (which sets passwords with access.Service.SetPassword),
// ErrUnauthenticated for no principal. Errors: SetPassword's
// (access.ErrWrongPassword, a refused new password, a throttled account),
// which change nothing.
func (s *Service) ChangePassword(ctx context.Context, p access.Principal, current, newPassword string) error {
	switch {
	case p.IsZero():
		return access.Unauthenticated("no principal")
	case p.Kind != access.PrincipalUser:
		return access.Forbidden("only a user changes their own password")
	}
	return s.acc.SetPassword(ctx, p, p.UserID, access.PasswordChange{Current: current, New: newPassword})
}

// passwordSet ends, in the transaction of a successful SetPassword, every
// session of the user but the one p acts through, and their open reset
// links: a new password shuts out whoever held the old one.
func (s *Service) passwordSet(ctx context.Context, p access.Principal, userID uuid.UUID) error {
	if _, err := s.st.RevokeResetLinks(ctx, userID, s.now()); err != nil {
		return err
	}
	reason := "password_set"
	if p.Kind == access.PrincipalUser && p.UserID == userID {
		reason = "password_change"
	}
	_, err := s.endSessions(ctx, p, userID, askingSession(p, userID), reason)
	return err
}
