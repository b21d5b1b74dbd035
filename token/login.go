package token

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// Provision is seed 000's just-in-time provisioning, in one transaction:
// access.Service.ProvisionMember gives the user with in.Email (created when
// unknown) in.Role in the principal's company, under its rank rules, and a
// one-time login link is issued, which invalidates every earlier unused
// link of that user for that company. The system principal provisions in
// the company it names (Principal.CompanyID).
//
// A login link logs its holder in as the user, so it is issued only for a
// user the caller's company owns: a new user, or one with no membership
// in any other company (otherwise any company could provision a
// stranger's e-mail and sign in as them). For a user who belongs to other
// companies it is ErrForbidden (CodeUserHasOtherCompanies), unless the
// caller is the system, asks for no link (in.NoLink), or asks for the
// notice (in.Notify): then the access is granted without a link and the
// user signs in on their own.
//
// Without in.Notify the link's URL is returned, its secret shown this
// once. With in.Notify it goes only to the person, through the Notifier
// (a Granted event, after the commit), never to the caller. Errors:
// ErrInvalid naming the field, ErrForbidden, ErrNotFound, ErrConflict.
func (s *Service) Provision(ctx context.Context, p access.Principal, in Provision) (Provisioned, error) {
	secret := s.format.Generate(KindLoginLink)
	var out Provisioned
	var granted Granted
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		pm, err := s.acc.ProvisionMember(ctx, p, access.NewMember{Email: in.Email, Role: in.Role, NoSwitch: in.NoSwitch})
		if err != nil {
			return err
		}
		out = Provisioned{Member: pm.Member, UserCreated: pm.UserCreated}
		link := !in.NoLink
		if pm.Elsewhere && p.Kind != access.PrincipalSystem && link {
			if !in.Notify {
				return &access.Error{Kind: access.ErrForbidden, Code: access.CodeUserHasOtherCompanies,
					Message: "the user belongs to other companies: a login link for them is not handed out"}
			}
			link = false
		}
		var l LoginLink
		if link {
			if l, err = s.issueLink(ctx, p, pm.Member.UserID, secret); err != nil {
				return err
			}
			out.LoginURL, out.LinkExpiresAt = s.linkURL(secret), l.ExpiresAt
		}
		if !in.Notify {
			return nil
		}
		c, err := s.acc.GetCompany(ctx, p, p.CompanyID)
		if err != nil {
			return err
		}
		granted = Granted{Company: c, Member: out.Member, NewUser: out.UserCreated, GrantedBy: p,
			LoginURL: out.LoginURL, LinkExpiresAt: out.LinkExpiresAt}
		out.LoginURL, out.LinkExpiresAt = Secret{}, time.Time{}
		s.acc.AfterCommit(ctx, func() { s.notifier.Notify(context.WithoutCancel(ctx), granted) })
		return nil
	})
	if err != nil {
		return Provisioned{}, err
	}
	return out, nil
}

// issueLink stores a login link for secret, after revoking the user's
// earlier unused links for the company.
func (s *Service) issueLink(ctx context.Context, p access.Principal, userID uuid.UUID, secret Secret) (LoginLink, error) {
	now := s.now()
	n, err := s.st.RevokeLoginLinks(ctx, p.CompanyID, userID, now)
	if err != nil {
		return LoginLink{}, err
	}
	l := LoginLink{ID: s.newID(), CompanyID: p.CompanyID, UserID: userID, Digest: Hash(secret.v),
		ExpiresAt: now.Add(s.linkTTL), CreatedAt: now}
	if p.Kind != access.PrincipalSystem {
		// CreatedBy is what makes the link's sessions provisioned ones
		// (LoginLink.Origin): never leave it empty for someone else.
		if p.UserID == uuid.Nil {
			return LoginLink{}, access.Unauthenticated("a principal without a user issues no login link")
		}
		l.CreatedBy = p.UserID
	}
	if err := s.st.CreateLoginLink(ctx, &l); err != nil {
		return LoginLink{}, err
	}
	return l, s.acc.Audit(ctx, p, p.CompanyID, "login_link.issued", "user:"+userID.String(), map[string]string{
		"link_id": l.ID.String(), "expires_at": formatTime(l.ExpiresAt), "superseded": strconv.Itoa(n),
	})
}

// linkURL puts secret into the "token" query parameter of the login URL.
func (s *Service) linkURL(secret Secret) Secret { return WithToken(s.loginURL, secret) }

// RedeemLoginLink redeems a login link's secret (the "token" parameter of
// its URL) exactly once, also under concurrent redemption: the link is
// consumed by one conditional write in the transaction that also makes
// the link's company the user's active company. It returns the user and
// the company, so the host can start its own session.
//
// Errors: ErrLinkUsed, ErrLinkExpired or ErrLinkRevoked (conflicts: 410
// over HTTP) for a link that is gone; ErrInvalidLink (unauthenticated) for
// a malformed or unknown one, or one whose user is no longer an active
// member of the company (the link stays unused then).
func (s *Service) RedeemLoginLink(ctx context.Context, secret string) (Login, error) {
	return s.redeem(ctx, secret, false)
}

// RedeemLoginLinkSession is RedeemLoginLink that also mints, in the same
// transaction, a session token for the user (Login.Session): a bearer
// token acting as the user in the link's company (until SwitchSession moves
// it), valid for the session lifetime (WithSessionTTL) until revoked with
// Logout.
func (s *Service) RedeemLoginLinkSession(ctx context.Context, secret string) (Login, error) {
	return s.redeem(ctx, secret, true)
}

func (s *Service) redeem(ctx context.Context, secret string, session bool) (Login, error) {
	if err := s.format.Parse(secret, KindLoginLink); err != nil {
		return Login{}, ErrInvalidLink
	}
	d := Hash(secret)
	var out Login
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		now := s.now()
		l, err := s.st.ConsumeLoginLink(ctx, d, now)
		if errors.Is(err, access.ErrNotFound) {
			return ErrInvalidLink
		}
		if err != nil {
			return err
		}
		if !l.Digest.Equal(d) {
			return ErrInvalidLink
		}
		p := access.UserPrincipal(l.UserID, l.CompanyID)
		u, c, err := s.acc.SignIn(ctx, p)
		if errors.Is(err, access.ErrUnauthenticated) {
			return ErrInvalidLink
		}
		if err != nil {
			return err
		}
		if err := s.acc.Audit(ctx, p, l.CompanyID, "login_link.redeemed", "user:"+u.ID.String(),
			map[string]string{"link_id": l.ID.String()}); err != nil {
			return err
		}
		out = Login{User: u, Company: c, Origin: l.Origin()}
		if !session {
			return nil
		}
		out.Session, err = s.mintSession(ctx, p, l.Origin(), "login_link", now)
		return err
	})
	if err != nil {
		return Login{}, err
	}
	return out, nil
}

// mintSession stores a session of p's user in p's company, its home, with
// its origin, and records how it was obtained (via: "login_link",
// "password").
func (s *Service) mintSession(ctx context.Context, p access.Principal, o Origin, via string, now time.Time) (*Session, error) {
	secret := s.format.Generate(KindSession)
	t := Token{ID: s.newID(), Kind: KindSession, CompanyID: p.CompanyID, UserID: p.UserID, Name: "session", Digest: Hash(secret.v),
		Hint: secret.Hint(), Origin: o, HomeID: p.CompanyID, ExpiresAt: now.Add(s.sessionTTL), CreatedAt: now}
	if c, ok := ClientInfoFrom(ctx); ok {
		t.Client = c.clean()
	}
	if err := s.st.CreateToken(ctx, &t); err != nil {
		return nil, err
	}
	if err := s.acc.Audit(ctx, p, p.CompanyID, "session.created", auditTarget(t),
		map[string]string{"expires_at": formatTime(t.ExpiresAt), "origin": o.String(), "via": via}); err != nil {
		return nil, err
	}
	return &Session{Token: t, Secret: secret}, nil
}

// Logout revokes the session token secret, effective on the very next
// request. An invalid or already revoked session gives ErrInvalidToken.
func (s *Service) Logout(ctx context.Context, secret string) error {
	if err := s.format.Parse(secret, KindSession); err != nil {
		return rejectMalformed
	}
	d := Hash(secret)
	return s.acc.InTx(ctx, func(ctx context.Context) error {
		t, err := s.st.GetTokenByHash(ctx, d)
		if errors.Is(err, access.ErrNotFound) {
			return rejectUnknown
		}
		if err != nil {
			return err
		}
		if !t.Digest.Equal(d) || t.Kind != KindSession {
			return rejectUnknown
		}
		if t.Revoked() {
			return rejectRevoked
		}
		if _, err := s.st.RevokeToken(ctx, t.CompanyID, t.ID, s.now()); err != nil {
			return err
		}
		return s.acc.Audit(ctx, access.UserPrincipal(t.UserID, t.CompanyID), t.CompanyID, "session.revoked", auditTarget(t), nil)
	})
}
