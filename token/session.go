package token

import (
	"context"
	"errors"
	"strconv"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// sessionPrincipal is the principal a stored session acts as: its user in
// the company it acts in, with its scope. Any origin but OriginSignIn is
// confined, so a row without one fails closed.
func sessionPrincipal(t Token) access.Principal {
	p := access.UserPrincipal(t.UserID, t.CompanyID)
	p.SessionID, p.SessionHome = t.ID, t.HomeID
	p.SessionConfined = t.Origin != OriginSignIn
	p.SessionCompanies = t.Companies
	return p
}

// CreateCompany creates a company as access.Service.CreateCompany does
// and, for a user acting through a session (Principal.SessionID), records
// it among the session's companies in the same transaction, so the
// session may switch to the company it created, provisioned or not. A
// company created otherwise (access.Service.CreateCompany directly, or
// another session) is not the session's: a provisioned session does not
// reach it. The HTTP adapter's company creation calls it. Errors:
// access.Service.CreateCompany's.
func (s *Service) CreateCompany(ctx context.Context, p access.Principal, in access.NewCompany) (access.Company, error) {
	if p.SessionID == uuid.Nil || p.Kind != access.PrincipalUser {
		return s.acc.CreateCompany(ctx, p, in)
	}
	var out access.Company
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		var err error
		if out, err = s.acc.CreateCompany(ctx, p, in); err != nil {
			return err
		}
		return s.st.AddSessionCompany(ctx, p.SessionID, out.ID)
	})
	if err != nil {
		return access.Company{}, err
	}
	return out, nil
}

// SwitchSession moves the session secret to another company its user may
// switch to (access.Service.SwitchCompany, with the session's scope: a
// provisioned session reaches only its own companies and their connected
// customers), and makes that the user's active company, in one
// transaction. The session reaches the new company from the very next
// request; the user's other sessions stay where they are. Errors:
// ErrInvalidToken for a session that does not verify; SwitchCompany's
// errors.
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
		out, err = s.moveSession(ctx, sessionPrincipal(t), to)
		return err
	})
	return out, err
}

// SwitchCompany switches the company p acts in (access.Service.SwitchCompany)
// and, for a user acting through a session (Principal.SessionID and its
// scope, set by Verify), moves that very session there too, as
// SwitchSession does: the user's other sessions stay where they are. The
// HTTP adapter's switch-company calls it.
func (s *Service) SwitchCompany(ctx context.Context, p access.Principal, to access.SwitchTarget) (access.Company, error) {
	if p.SessionID == uuid.Nil {
		return s.acc.SwitchCompany(ctx, p, to)
	}
	var out access.Company
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.moveSession(ctx, p, to)
		return err
	})
	return out, err
}

// moveSession switches the session principal from to another company and
// moves the session there, in the transaction of ctx.
func (s *Service) moveSession(ctx context.Context, from access.Principal, to access.SwitchTarget) (access.Company, error) {
	c, err := s.acc.SwitchCompany(ctx, from, to)
	if err != nil {
		return access.Company{}, err
	}
	if err := s.st.MoveSession(ctx, from.SessionID, c.ID); err != nil {
		return access.Company{}, err
	}
	return c, s.acc.Audit(ctx, access.UserPrincipal(from.UserID, c.ID), c.ID, "session.moved",
		"session:"+from.SessionID.String(), map[string]string{"from": from.CompanyID.String()})
}

// LogoutPrincipal ends the session p acts through (Principal.SessionID,
// set by Verify), effective on the very next request: the logout of a
// request authenticated with a session token. Errors: ErrInvalidToken if
// p acts through no session (an API token, a principal the host built)
// or the session is gone or was revoked before (at an earlier instant:
// two logouts racing both succeed).
func (s *Service) LogoutPrincipal(ctx context.Context, p access.Principal) error {
	if p.Kind != access.PrincipalUser || p.SessionID == uuid.Nil {
		return rejectUnknown
	}
	return s.acc.InTx(ctx, func(ctx context.Context) error {
		now := s.now()
		t, err := s.st.RevokeToken(ctx, p.CompanyID, p.SessionID, now)
		switch {
		case errors.Is(err, access.ErrNotFound):
			return rejectUnknown
		case err != nil:
			return err
		case t.Kind != KindSession || t.UserID != p.UserID:
			return rejectUnknown // rolls the revocation back
		case !t.RevokedAt.Equal(now):
			return rejectRevoked
		}
		return s.acc.Audit(ctx, access.UserPrincipal(t.UserID, t.CompanyID), t.CompanyID, "session.revoked", auditTarget(t), nil)
	})
}

// EndSessions ends every session of the user, effective on the very next
// request, except the one p acts through (Principal.SessionID): "log out
// my other sessions". API tokens the user created stay. It reports how
// many sessions it ended. Allowed to the user themself and to the system
// principal (the host ending a user's sessions: an account taken over);
// an API token is ErrForbidden, anyone else ErrNotFound (CodeUserNotFound),
// as for an unknown user. SignOutEverywhere ends the asking session too.
func (s *Service) EndSessions(ctx context.Context, p access.Principal, userID uuid.UUID) (int, error) {
	return s.endUserSessions(ctx, p, userID, askingSession(p, userID), "logout")
}

// SignOutEverywhere ends every session of the user, the one p acts
// through included, effective on the very next request: "sign out
// everywhere". API tokens the user created stay. It reports how many
// sessions it ended. Allowed as EndSessions is.
func (s *Service) SignOutEverywhere(ctx context.Context, p access.Principal, userID uuid.UUID) (int, error) {
	return s.endUserSessions(ctx, p, userID, uuid.Nil, "sign_out_everywhere")
}

func (s *Service) endUserSessions(ctx context.Context, p access.Principal, userID, except uuid.UUID, reason string) (int, error) {
	if err := ownSessions(p, userID); err != nil {
		return 0, err
	}
	if p.SessionConfined {
		// A provisioned session manages itself only: the user's own
		// sessions elsewhere are out of its reach.
		if except == p.SessionID {
			return 0, nil
		}
		_, err := s.RevokeSession(ctx, p, userID, p.SessionID)
		return 1, err
	}
	var n int
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		var err error
		n, err = s.endSessions(ctx, p, userID, except, reason)
		return err
	})
	return n, err
}

// ownSessions is who may see and end a user's sessions as theirs: the user
// themself and the system principal. An API token acts for a company, not
// for a person: it is forbidden. Any other user learns nothing: the user
// is not found, as an unknown one. (A member's sessions in a company are
// an admin's through RevokeMemberSessions.)
func ownSessions(p access.Principal, userID uuid.UUID) error {
	switch {
	case p.IsZero():
		return access.Unauthenticated("no principal")
	case p.Kind == access.PrincipalSystem, p.Kind == access.PrincipalUser && p.UserID == userID:
		return nil
	case p.Kind == access.PrincipalToken:
		return access.Forbidden("an API token has no sessions of its own: a user's are theirs")
	}
	return access.NotFound(access.CodeUserNotFound)
}

// askingSession is the session p acts through if it is one of the user's,
// else uuid.Nil.
func askingSession(p access.Principal, userID uuid.UUID) uuid.UUID {
	if p.Kind == access.PrincipalUser && p.UserID == userID {
		return p.SessionID
	}
	return uuid.Nil
}

// endSessions revokes, in the transaction of ctx, every session of the
// user but except (uuid.Nil: none kept), and records why, if there were
// any. The event is the account's, outside any company (its sessions act
// in several).
func (s *Service) endSessions(ctx context.Context, p access.Principal, userID, except uuid.UUID, reason string) (int, error) {
	n, err := s.st.RevokeSessions(ctx, userID, except, s.now())
	if err != nil || n == 0 {
		return n, err
	}
	return n, s.acc.Audit(ctx, p, uuid.Nil, "sessions.revoked", "user:"+userID.String(), sessionsDetails(reason, n, except))
}

func sessionsDetails(reason string, n int, kept uuid.UUID) map[string]string {
	details := map[string]string{"reason": reason, "count": strconv.Itoa(n)}
	if kept != uuid.Nil {
		details["kept"] = "session:" + kept.String()
	}
	return details
}

// ListSessions lists the user's live sessions (neither revoked nor
// expired), one keyset page at a time ordered by ID: where each acts
// (CompanyID, uuid.Nil for none yet), its Origin and HomeID, when it was
// created, last used (at most once a minute) and expires, and the Client
// recorded when it was minted. No secret leaves the store, and the result
// holds no Digest either (it is zero). Principal.SessionID tells the
// asking session among them. Allowed as EndSessions is: to the user
// themself and to the system; for anyone else ErrNotFound
// (CodeUserNotFound).
func (s *Service) ListSessions(ctx context.Context, p access.Principal, userID uuid.UUID, pr access.PageRequest) (access.Page[Token], error) {
	c, err := pr.Cursor()
	if err != nil {
		return access.Page[Token]{}, err
	}
	if err := ownSessions(p, userID); err != nil {
		return access.Page[Token]{}, err
	}
	limit := c.Limit
	c.Limit++
	rows, err := s.st.ListSessions(ctx, userID, s.now(), c)
	if err != nil {
		return access.Page[Token]{}, err
	}
	if p.SessionConfined {
		// A provisioned session sees itself only (see endUserSessions),
		// on the first page, wherever it stands among the user's.
		if rows, err = s.ownSession(ctx, p, userID, pr); err != nil {
			return access.Page[Token]{}, err
		}
		limit = len(rows)
	}
	for i := range rows {
		rows[i].Digest = Digest{}
	}
	if len(rows) > limit {
		rows = rows[:limit]
		return access.Page[Token]{Items: rows, Next: access.EncodeCursor(rows[limit-1].ID)}, nil
	}
	return access.Page[Token]{Items: rows}, nil
}

// ownSession is the one-item listing of a provisioned session itself.
func (s *Service) ownSession(ctx context.Context, p access.Principal, userID uuid.UUID, pr access.PageRequest) ([]Token, error) {
	if pr.After != "" {
		return []Token{}, nil
	}
	c := access.Cursor{Limit: access.MaxPageLimit}
	for {
		page, err := s.st.ListSessions(ctx, userID, s.now(), c)
		if err != nil {
			return nil, err
		}
		for _, t := range page {
			if t.ID == p.SessionID {
				return []Token{t}, nil
			}
		}
		if len(page) < c.Limit {
			return []Token{}, nil
		}
		c.After = page[len(page)-1].ID
	}
}

// RevokeSession ends the user's session id, effective on the very next
// request, and returns it (without its Digest); it may be the asking one.
// Revoking a revoked session changes nothing and returns it as it is.
// Allowed as EndSessions is: to the user themself and to the system
// (ErrNotFound, CodeUserNotFound, for anyone else); a session that is not
// the user's (another user's, an API token, none) is ErrNotFound
// (CodeSessionNotFound).
func (s *Service) RevokeSession(ctx context.Context, p access.Principal, userID, id uuid.UUID) (Token, error) {
	if err := ownSessions(p, userID); err != nil {
		return Token{}, err
	}
	if p.SessionConfined && id != p.SessionID {
		return Token{}, access.NotFound(access.CodeSessionNotFound)
	}
	var out Token
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		now := s.now()
		t, err := s.st.RevokeSession(ctx, userID, id, now)
		if err != nil {
			return err
		}
		t.Digest = Digest{}
		out = t
		if !t.RevokedAt.Equal(now) {
			return nil // revoked before
		}
		return s.acc.Audit(ctx, p, t.CompanyID, "session.revoked", auditTarget(t), map[string]string{"reason": "revoked"})
	})
	return out, err
}

// RevokeMemberSessions ends every session of a member acting in p's
// company (Token.CompanyID), effective on the very next request, and
// reports how many: an admin signing a member out of the company. Their
// sessions acting elsewhere stay, and so do their API tokens. It needs
// USER_DELETE and the rank rule of managing members
// (access.Actor.CanManage: only an OWNER ends the sessions of a member at
// or above their own level). A user may end their own sessions there
// without either, the asking session kept. A user who is not a member of
// the company is ErrNotFound (CodeMemberNotFound), whatever company they
// belong to.
//
// A member whose membership is removed or deactivated acts no more in the
// company through any session, without this call: the authorizer decides
// every request from the stored membership. This is for the member who
// stays (a lost device, an account taken over).
func (s *Service) RevokeMemberSessions(ctx context.Context, p access.Principal, userID uuid.UUID) (int, error) {
	var n int
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		self := p.Kind == access.PrincipalUser && p.UserID == userID
		if self && p.SessionConfined {
			// A provisioned session manages itself only (endUserSessions):
			// it keeps itself, and ends nothing of its user's.
			return nil
		}
		var a access.Actor
		if !self {
			var err error
			if a, err = s.acc.Authorize(ctx, p, access.UserDelete); err != nil {
				return err
			}
		}
		m, err := s.acc.GetMember(ctx, p, userID) // for oneself: an active member
		if err != nil {
			return err
		}
		level, err := s.acc.RoleLevel(ctx, m.CompanyID, m.Role)
		if err != nil {
			return err
		}
		if !self && !a.CanManage(level) {
			return access.Forbidden("only an OWNER may end the sessions of a member at or above their own level")
		}
		except := askingSession(p, userID)
		if n, err = s.st.RevokeCompanySessions(ctx, p.CompanyID, userID, except, s.now()); err != nil || n == 0 {
			return err
		}
		return s.acc.Audit(ctx, p, p.CompanyID, "sessions.revoked", "user:"+userID.String(), sessionsDetails("member", n, except))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
