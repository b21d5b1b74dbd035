package access

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

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
		if st == UserDisabled {
			// A disabled OWNER acts nowhere: a company must keep one who
			// can, as it does when its owner leaves or is erased.
			ucs, err := s.allUserCompanies(ctx, userID)
			if err != nil {
				return err
			}
			if err := s.notLastOwner(ctx, ucs); err != nil {
				return err
			}
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

// OnUserErased registers f to run inside EraseUser's transaction, after
// the last-owner check and before the user's own rows go, with the user
// as they were: package token deletes their tokens, sessions and links
// there, package invite the invitations to their e-mail, so the erasure
// is one. f's error rolls the erasure back. It is safe to call while the
// Service is in use.
func (s *Service) OnUserErased(f func(ctx context.Context, p Principal, u User) error) {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.onErased = append(s.onErased[:len(s.onErased):len(s.onErased)], f)
}

// Tombstone is what an erased user's e-mail and names become in the audit
// trail: "erased-user-<id>". The ID stays, so their events still read as
// one person's.
func Tombstone(userID uuid.UUID) string { return "erased-user-" + userID.String() }

// EraseUser deletes a user for good: the user themself or the system. It
// is refused while they are the last active OWNER of a company
// (ErrConflict, CodeLastOwner, the message naming those companies: hand
// them over or delete them first). Otherwise, in one transaction, their
// memberships, grants and credentials go, the functions registered with
// OnUserErased remove what the other packages keep of them (tokens,
// sessions, login and reset links, invitations to their e-mail), the user
// goes, and every audit event keeps its place with their e-mail and names
// replaced by Tombstone(userID) (AuditScrub). A "user.erased" event is
// written in each company they belonged to. Errors: ErrNotFound
// (CodeUserNotFound) for an unknown user and for anyone else asking.
func (s *Service) EraseUser(ctx context.Context, p Principal, userID uuid.UUID) error {
	if p.IsZero() {
		return Unauthenticated("no principal")
	}
	if p.Kind != PrincipalSystem && (p.Kind != PrincipalUser || p.UserID != userID) {
		return NotFound(CodeUserNotFound)
	}
	if p.SessionConfined {
		return Forbidden("a provisioned session cannot erase its user")
	}
	s.lifeMu.RLock()
	hooks := s.onErased
	s.lifeMu.RUnlock()
	return s.InTx(ctx, func(ctx context.Context) error {
		// First the user's lock: no membership can be added between the
		// read of theirs below and the deletion.
		if err := s.store.LockUser(ctx, userID); err != nil {
			return err
		}
		u, err := s.store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		ucs, err := s.allUserCompanies(ctx, userID)
		if err != nil {
			return err
		}
		if err := s.notLastOwner(ctx, ucs); err != nil {
			return err
		}
		for _, f := range hooks {
			if err := f(ctx, p, u); err != nil {
				return err
			}
		}
		if err := s.store.DeleteUser(ctx, userID); err != nil {
			return err
		}
		companies := make([]uuid.UUID, 0, len(ucs)+1)
		for _, uc := range ucs {
			companies = append(companies, uc.CompanyID)
		}
		if !slices.Contains(companies, p.CompanyID) {
			companies = append(companies, p.CompanyID)
		}
		for _, c := range companies {
			if err := s.Audit(ctx, p, c, "user.erased", userTarget(userID), nil); err != nil {
				return err
			}
		}
		if err := s.flushAudit(ctx); err != nil { // scrubbed too
			return err
		}
		_, err = s.store.ScrubAudit(ctx, scrubOf(u))
		return err
	})
}

// scrubOf is the rewrite that takes u out of the audit trail: the e-mail
// wherever it occurs, the names where a value is exactly one of them.
func scrubOf(u User) AuditScrub {
	// Only events about the person (their ID or e-mail, as whole words):
	// a name alone would match other people's text (a first name "system"
	// is every system event's actor) in every company.
	sc := AuditScrub{Tombstone: Tombstone(u.ID), About: []string{u.ID.String(), u.Email}, Contains: []string{u.Email}}
	for _, n := range []string{u.FullName(), u.FirstName, u.LastName} {
		if n != "" && !slices.Contains(sc.Equals, n) {
			sc.Equals = append(sc.Equals, n)
		}
	}
	return sc
}

// allUserCompanies lists every membership of the user, active or not.
func (s *Service) allUserCompanies(ctx context.Context, userID uuid.UUID) ([]UserCompany, error) {
	var out []UserCompany
	c := Cursor{Limit: MaxPageLimit}
	for {
		page, err := s.store.ListUserCompanies(ctx, userID, nil, c)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < c.Limit {
			return out, nil
		}
		c.After = page[len(page)-1].ID
	}
}

// notLastOwner refuses, naming the companies, when a user with these
// memberships is the last active OWNER of any of them: keepOwner asked for
// each company where they count as one. It locks each such company (in ID
// order, so two erasures cannot deadlock) until the transaction ends, as
// keepOwner's other callers do.
func (s *Service) notLastOwner(ctx context.Context, ucs []UserCompany) error {
	owned := slices.DeleteFunc(slices.Clone(ucs), func(uc UserCompany) bool { return !activeOwner(uc.Membership) })
	slices.SortFunc(owned, func(a, b UserCompany) int { return strings.Compare(a.CompanyID.String(), b.CompanyID.String()) })
	var sole []string
	for _, uc := range owned {
		if err := s.store.LockCompany(ctx, uc.CompanyID); err != nil {
			return err
		}
		switch err := s.keepOwner(ctx, uc.Membership, false); {
		case errors.Is(err, ErrLastOwner):
			sole = append(sole, strconv.Quote(uc.Company.Name))
		case err != nil:
			return err
		}
	}
	if len(sole) == 0 {
		return nil
	}
	slices.Sort(sole)
	return Conflict(CodeLastOwner, "the user is the last active OWNER of %s: hand ownership over or delete the company first",
		strings.Join(sole, ", "))
}
