package token

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// Provision is seed 000's just-in-time provisioning: in one transaction it
// creates the user if the e-mail is unknown, gives them in.Role in the
// principal's company (creating the membership, or updating an existing one
// to that role, active, with in.NoSwitch), and issues a one-time login link,
// which invalidates every earlier unused link of that user for that
// company. It returns the member and the link's URL, whose secret is shown
// this once. The system principal provisions in the company it names
// (Principal.CompanyID).
//
// The principal needs USER_ADD, never grants a role above its own level or
// with permissions it lacks, and changes an existing member only if it may
// manage the member's current level (only an OWNER touches an equal or
// higher one); no one raises their own role, and the company keeps an
// active OWNER (access.ErrLastOwner).
//
// A login link logs its holder in as the user, so it is handed to the
// caller only for a user the caller's company fully owns: a new user, or
// one with no membership in any other company. For a user who belongs to
// other companies it is ErrForbidden (code "user_has_other_companies"),
// unless the caller is the system or asks for no link (in.NoLink):
// otherwise any company could provision a stranger's e-mail and sign in as
// them. Errors: ErrInvalid naming the field, ErrForbidden, ErrNotFound,
// ErrConflict.
func (s *Service) Provision(ctx context.Context, p access.Principal, in Provision) (Provisioned, error) {
	email, err := access.NormalizeEmail(in.Email)
	if err != nil {
		return Provisioned{}, err
	}
	role, err := s.acc.Catalog().ParseRole("role", in.Role)
	if err != nil {
		return Provisioned{}, err
	}
	secret := s.format.Generate(KindLoginLink)
	var out Provisioned
	err = s.acc.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.LockCompany(ctx, p.CompanyID); err != nil {
			if errors.Is(err, access.ErrNotFound) && p.Kind != access.PrincipalSystem {
				_, err = s.acc.Authorize(ctx, p, "") // say what the caller may know
			}
			return err
		}
		a, err := s.acc.Authorize(ctx, p, access.UserAdd)
		if err != nil {
			return err
		}
		if err := a.CanGrant(role.Level, role.Permissions); err != nil {
			return err
		}
		u, created, err := s.acc.EnsureUser(ctx, p, email)
		if err != nil {
			return err
		}
		if !created && !in.NoLink && p.Kind != access.PrincipalSystem {
			if err := s.ownedHere(ctx, p.CompanyID, u.ID); err != nil {
				return err
			}
		}
		if err := s.provisionMembership(ctx, p, a, u.ID, role, !in.NoSwitch); err != nil {
			return err
		}
		var l LoginLink
		if !in.NoLink {
			if l, err = s.issueLink(ctx, p, u.ID, secret); err != nil {
				return err
			}
		}
		m, err := s.st.GetMember(ctx, p.CompanyID, u.ID)
		if err != nil {
			return err
		}
		self := p.Kind == access.PrincipalUser && p.UserID == u.ID
		m.Editable = !self && a.Has(access.UserEdit) && a.CanManage(role.Level)
		out = Provisioned{Member: m, UserCreated: created}
		if !in.NoLink {
			out.LoginURL, out.LinkExpiresAt = s.linkURL(secret), l.ExpiresAt
		}
		return nil
	})
	if err != nil {
		return Provisioned{}, err
	}
	return out, nil
}

// ownedHere refuses a login link for a user with a membership in any
// company other than companyID.
func (s *Service) ownedHere(ctx context.Context, companyID, userID uuid.UUID) error {
	c := access.Cursor{Limit: access.MaxPageLimit}
	for {
		page, err := s.st.ListUserCompanies(ctx, userID, nil, c)
		if err != nil {
			return err
		}
		for _, uc := range page {
			if uc.CompanyID != companyID {
				return &access.Error{Kind: access.ErrForbidden, Code: access.CodeUserHasOtherCompanies,
					Message: "the user belongs to other companies: a login link for them is not handed out"}
			}
		}
		if len(page) < c.Limit {
			return nil
		}
		c.After = page[len(page)-1].ID
	}
}

// provisionMembership gives userID role in p's company: a new membership,
// or the existing one updated under the rank rules.
func (s *Service) provisionMembership(ctx context.Context, p access.Principal, a access.Actor, userID uuid.UUID, role access.Role, allowSwitch bool) error {
	m, err := s.st.GetMembership(ctx, p.CompanyID, userID)
	if errors.Is(err, access.ErrNotFound) {
		_, err = s.acc.AddMembership(ctx, p, access.MembershipSpec{UserID: userID, Role: role.Code, NoSwitch: !allowSwitch})
		return err
	}
	if err != nil {
		return err
	}
	cur := s.acc.Catalog().Level(m.Role)
	self := p.Kind == access.PrincipalUser && p.UserID == userID
	if self && role.Level > cur {
		return access.Forbidden("no one raises their own role")
	}
	if !self && !a.CanManage(cur) {
		return access.Forbidden("only an OWNER may change a member at or above their own level")
	}
	before := m
	details := map[string]string{}
	if m.Role != role.Code {
		details["role_from"], details["role_to"] = m.Role, role.Code
		m.Role = role.Code
	}
	if !m.Active {
		m.Active = true
		details["active"] = "true"
	}
	if m.AllowSwitch != allowSwitch {
		m.AllowSwitch = allowSwitch
		details["allow_switch"] = strconv.FormatBool(allowSwitch)
	}
	if len(details) == 0 {
		return nil
	}
	m.UpdatedAt = s.now()
	if err := s.st.UpdateMembership(ctx, &m); err != nil {
		return err
	}
	if before.Active && before.Role == access.RoleOwner && m.Role != access.RoleOwner {
		n, err := s.st.CountActiveOwners(ctx, p.CompanyID)
		if err != nil {
			return err
		}
		if n == 0 {
			return access.ErrLastOwner
		}
	}
	return s.acc.Audit(ctx, p, p.CompanyID, "membership.updated", "user:"+userID.String(), details)
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
		m, err := s.st.GetMembership(ctx, l.CompanyID, l.UserID)
		if errors.Is(err, access.ErrNotFound) || err == nil && !m.Active {
			return ErrInvalidLink
		}
		if err != nil {
			return err
		}
		c, err := s.st.GetCompany(ctx, l.CompanyID)
		if err != nil {
			return err
		}
		u, err := s.st.GetUser(ctx, l.UserID)
		if err != nil {
			return err
		}
		if u.Status != access.UserActive {
			return ErrInvalidLink
		}
		if u.ActiveCompanyID != l.CompanyID {
			u.ActiveCompanyID, u.UpdatedAt = l.CompanyID, now
			if err := s.st.UpdateUser(ctx, &u); err != nil {
				return err
			}
		}
		p := access.UserPrincipal(u.ID, l.CompanyID)
		if err := s.acc.Audit(ctx, p, l.CompanyID, "login_link.redeemed", "user:"+u.ID.String(),
			map[string]string{"link_id": l.ID.String()}); err != nil {
			return err
		}
		out = Login{User: u, Company: c}
		if !session {
			return nil
		}
		out.Session, err = s.mintSession(ctx, p, now)
		return err
	})
	if err != nil {
		return Login{}, err
	}
	return out, nil
}

func (s *Service) mintSession(ctx context.Context, p access.Principal, now time.Time) (*Session, error) {
	secret := s.format.Generate(KindSession)
	t := Token{ID: s.newID(), Kind: KindSession, CompanyID: p.CompanyID, UserID: p.UserID, Name: "session", Digest: Hash(secret.v),
		Hint: secret.Hint(), ExpiresAt: now.Add(s.sessionTTL), CreatedAt: now}
	if err := s.st.CreateToken(ctx, &t); err != nil {
		return nil, err
	}
	if err := s.acc.Audit(ctx, p, p.CompanyID, "session.created", auditTarget(t),
		map[string]string{"expires_at": formatTime(t.ExpiresAt)}); err != nil {
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

// SwitchSession moves the session secret to another company of its user
// (access.Service.SwitchCompany: by ID or name, only where switching is
// allowed), and makes that the user's active company, in one transaction.
// The session reaches the new company from the very next request; the
// user's other sessions stay where they are, so a session handed to
// someone else (a provisioning partner's login link) never follows its
// user into companies it was not sent to. Errors: ErrInvalidToken for a
// session that does not verify; SwitchCompany's errors.
func (s *Service) SwitchSession(ctx context.Context, secret string, to access.SwitchTarget) (access.Company, error) {
	if err := s.format.Parse(secret, KindSession); err != nil {
		return access.Company{}, rejectMalformed
	}
	d := Hash(secret)
	var out access.Company
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		t, err := s.st.GetTokenByHash(ctx, d)
		if errors.Is(err, access.ErrNotFound) {
			return rejectUnknown
		}
		if err != nil {
			return err
		}
		switch {
		case !t.Digest.Equal(d) || t.Kind != KindSession:
			return rejectUnknown
		case t.Revoked():
			return rejectRevoked
		case t.Expired(s.now()):
			return rejectExpired
		}
		c, err := s.acc.SwitchCompany(ctx, access.UserPrincipal(t.UserID, t.CompanyID), to)
		if err != nil {
			return err
		}
		if err := s.st.MoveSession(ctx, t.ID, c.ID); err != nil {
			return err
		}
		out = c
		return s.acc.Audit(ctx, access.UserPrincipal(t.UserID, c.ID), c.ID, "session.moved", auditTarget(t),
			map[string]string{"from": t.CompanyID.String()})
	})
	return out, err
}
