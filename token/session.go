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
// for anyone else it is ErrNotFound (CodeUserNotFound), as for an unknown
// user. To end the asking session too, call LogoutPrincipal as well.
func (s *Service) EndSessions(ctx context.Context, p access.Principal, userID uuid.UUID) (int, error) {
	switch {
	case p.IsZero():
		return 0, access.Unauthenticated("no principal")
	case p.Kind == access.PrincipalSystem, p.Kind == access.PrincipalUser && p.UserID == userID:
	default:
		return 0, access.NotFound(access.CodeUserNotFound)
	}
	var n int
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		var err error
		n, err = s.endSessions(ctx, p, userID, "logout")
		return err
	})
	return n, err
}

// endSessions revokes, in the transaction of ctx, every session of the
// user but the one p acts through, and records why, if there were any.
// The event is the account's, outside any company (its sessions act in
// several).
func (s *Service) endSessions(ctx context.Context, p access.Principal, userID uuid.UUID, reason string) (int, error) {
	except := uuid.Nil
	if p.Kind == access.PrincipalUser && p.UserID == userID {
		except = p.SessionID
	}
	n, err := s.st.RevokeSessions(ctx, userID, except, s.now())
	if err != nil || n == 0 {
		return n, err
	}
	details := map[string]string{"reason": reason, "count": strconv.Itoa(n)}
	if except != uuid.Nil {
		details["kept"] = "session:" + except.String()
	}
	return n, s.acc.Audit(ctx, p, uuid.Nil, "sessions.revoked", "user:"+userID.String(), details)
}
