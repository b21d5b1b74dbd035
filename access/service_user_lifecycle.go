package access

import (
	"context"

	"github.com/google/uuid"
)

// DisableUser disables a user: the user themself or the system. While
// disabled, everything acting for them stops on its next call (sessions
// and login links check the user's Status, API tokens they created the
// Status their store lookup reads with them, Authenticate refuses their
// password with its one answer), and no company takes them in
// (ErrConflict, CodeUserDisabled). Nothing is deleted: EnableUser brings
// it all back. Disabling a disabled user changes nothing and succeeds.
// Errors: ErrNotFound (CodeUserNotFound) for an unknown user and for
// anyone else asking.
func (s *Service) DisableUser(ctx context.Context, p Principal, userID uuid.UUID) error {
	if p.IsZero() {
		return Unauthenticated("no principal")
	}
	if p.Kind != PrincipalSystem && (p.Kind != PrincipalUser || p.UserID != userID) {
		return NotFound(CodeUserNotFound)
	}
	if p.SessionConfined {
		// As SetPassword: a session someone else asked for does not
		// decide the account's fate.
		return Forbidden("a provisioned session cannot disable its user")
	}
	return s.setUserStatus(ctx, p, userID, UserDisabled, "user.disabled")
}

// EnableUser enables a disabled user again: the system only (a disabled
// user has no way left to act). Enabling an active user changes nothing
// and succeeds. Errors: ErrNotFound (CodeUserNotFound) for an unknown
// user; ErrForbidden for anyone but the system.
func (s *Service) EnableUser(ctx context.Context, p Principal, userID uuid.UUID) error {
	if p.IsZero() {
		return Unauthenticated("no principal")
	}
	if p.Kind != PrincipalSystem {
		return Forbidden("only the system enables a user")
	}
	return s.setUserStatus(ctx, p, userID, UserActive, "user.enabled")
}

// setUserStatus stores the user's status and audits the change, in one
// transaction; an unchanged status writes nothing.
func (s *Service) setUserStatus(ctx context.Context, p Principal, userID uuid.UUID, st UserStatus, action string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		u, err := s.store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if u.Status == st {
			return nil
		}
		u.Status, u.UpdatedAt = st, s.Now()
		if err := s.store.UpdateUser(ctx, &u); err != nil {
			return err
		}
		return s.Audit(ctx, p, p.CompanyID, action, userTarget(userID), nil)
	})
}

// joinable is the one rule of who a company may take in: a user whose
// Status is UserActive. AddMember, ProvisionMember (and so accepted
// invitations and just-in-time provisioning) and CreateCompany ask it.
func joinable(u User) error {
	if u.Status != UserActive {
		return Conflict(CodeUserDisabled, "the user is disabled")
	}
	return nil
}
