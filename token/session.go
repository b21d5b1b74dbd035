package token

import (
	"context"
	"errors"

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
