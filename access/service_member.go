package access

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// AddMember gives an existing user (by ID or e-mail) access to the
// principal's company. It needs USER_ADD, and never a role above the
// principal's own level or a permission it lacks. Errors: ErrInvalid naming
// the field; ErrNotFound (code "user_not_found") for an unknown user;
// ErrConflict (code "already_member"); ErrForbidden.
func (s *Service) AddMember(ctx context.Context, p Principal, in NewMember) (Member, error) {
	var email string
	switch {
	case in.UserID != uuid.Nil && in.Email != "":
		return Member{}, Invalid("user_id", "name the user by user_id or by email, not both")
	case in.UserID == uuid.Nil:
		var err error
		if email, err = NormalizeEmail(in.Email); err != nil {
			return Member{}, err
		}
	}
	role, err := s.catalog.roleCode("role", in.Role)
	if err != nil {
		return Member{}, err
	}
	extra, err := s.catalog.normalizePermissions("permissions", in.Permissions)
	if err != nil {
		return Member{}, err
	}
	var out Member
	err = s.InTx(ctx, func(ctx context.Context) error {
		a, err := s.Authorize(ctx, p, UserAdd)
		if err != nil {
			return err
		}
		if err := a.CanGrant(role.Level, append(slices.Clone(role.Permissions), extra...)); err != nil {
			return err
		}
		var u User
		if email != "" {
			u, err = s.store.GetUserByEmail(ctx, email)
		} else {
			u, err = s.store.GetUser(ctx, in.UserID)
		}
		if err != nil {
			return err
		}
		m, err := s.addMembership(ctx, p, u.ID, role.Code, extra, !in.Inactive, !in.NoSwitch)
		if err != nil {
			return err
		}
		out, err = s.store.GetMember(ctx, m.CompanyID, m.UserID)
		out.Editable = a.Has(UserEdit) && a.CanManage(role.Level)
		return err
	})
	return out, err
}

// MembershipSpec is the input of AddMembership. The zero flags give an
// active membership that allows switching.
type MembershipSpec struct {
	UserID   uuid.UUID
	Role     string
	Extra    []string // validated and closed under implication by the caller
	Inactive bool
	NoSwitch bool
}

// AddMembership creates a membership in p's company for an authorized
// caller, inside the transaction of ctx. It is for sibling packages that
// have already checked the rank rules (accepting an invitation,
// provisioning).
func (s *Service) AddMembership(ctx context.Context, p Principal, m MembershipSpec) (Membership, error) {
	return s.addMembership(ctx, p, m.UserID, m.Role, m.Extra, !m.Inactive, !m.NoSwitch)
}

func (s *Service) addMembership(ctx context.Context, p Principal, userID uuid.UUID, role string, extra []string, active, allowSwitch bool) (Membership, error) {
	_, hasPrimary, err := s.primaryOf(ctx, userID)
	if err != nil {
		return Membership{}, err
	}
	now := s.Now()
	m := Membership{ID: s.newID(), CompanyID: p.CompanyID, UserID: userID, Role: role, Extra: extra,
		Active: active, Primary: !hasPrimary, AllowSwitch: allowSwitch, CreatedAt: now, UpdatedAt: now}
	if p.Kind != PrincipalSystem {
		m.CreatedBy = p.UserID
	}
	if err := s.store.CreateMembership(ctx, &m); err != nil {
		return Membership{}, err
	}
	return m, s.Audit(ctx, p, p.CompanyID, "membership.created", userTarget(userID),
		map[string]string{"role": role, "permissions": strings.Join(extra, ","), "active": strconv.FormatBool(active)})
}

// GetMember returns a member of the principal's company: the principal's
// own membership, or any with USER_VIEW. ErrNotFound for a user who is not
// a member (whatever company they belong to).
func (s *Service) GetMember(ctx context.Context, p Principal, userID uuid.UUID) (Member, error) {
	self := p.Kind == PrincipalUser && p.UserID == userID
	var a Actor
	if !self {
		var err error
		if a, err = s.Authorize(ctx, p, UserView); err != nil {
			return Member{}, err
		}
	} else if err := s.checkActive(ctx, p); err != nil {
		return Member{}, err
	}
	m, err := s.store.GetMember(ctx, p.CompanyID, userID)
	if err != nil {
		if isNotFound(err) {
			return Member{}, NotFound(CodeMemberNotFound)
		}
		return Member{}, err
	}
	m.Editable = !self && a.Has(UserEdit) && a.CanManage(s.catalog.Level(m.Role))
	return m, nil
}

// checkActive verifies that p is an active member of its company (or the
// system), for calls about p itself.
func (s *Service) checkActive(ctx context.Context, p Principal) error {
	_, err := s.Authorize(ctx, p, "")
	return err
}

// ListMembers lists the members of the principal's company with their
// users, one keyset page at a time; needs USER_VIEW. Each member says
// whether the principal may edit it.
func (s *Service) ListMembers(ctx context.Context, p Principal, f MemberFilter) (Page[Member], error) {
	c, err := f.Page.Cursor()
	if err != nil {
		return Page[Member]{}, err
	}
	a, err := s.Authorize(ctx, p, UserView)
	if err != nil {
		return Page[Member]{}, err
	}
	limit := c.Limit
	c.Limit++
	rows, err := s.store.ListMembers(ctx, p.CompanyID, f.Active, c)
	if err != nil {
		return Page[Member]{}, err
	}
	canEdit := a.Has(UserEdit)
	for i := range rows {
		self := p.Kind == PrincipalUser && rows[i].UserID == p.UserID
		rows[i].Editable = canEdit && !self && a.CanManage(s.catalog.Level(rows[i].Role))
	}
	return pageOf(rows, limit, func(m Member) uuid.UUID { return m.ID }), nil
}

// UpdateMember changes a member of the principal's company. Role,
// permissions, activation and switching need USER_EDIT and the rank rules
// (never above one's own level or permissions, never raising one's own
// role, only an OWNER touches a member at or above their own level).
// Primary may only be set by the member themself. Demoting or deactivating
// the last active OWNER fails with ErrLastOwner. Errors: ErrInvalid naming
// the field, ErrNotFound (code "member_not_found"), ErrForbidden.
func (s *Service) UpdateMember(ctx context.Context, p Principal, userID uuid.UUID, up MemberUpdate) (Member, error) {
	var role *Role
	if up.Role != nil {
		r, err := s.catalog.roleCode("role", *up.Role)
		if err != nil {
			return Member{}, err
		}
		role = r
	}
	add, err := s.catalog.normalizePermissions("add_permissions", up.AddPermissions)
	if err != nil {
		return Member{}, err
	}
	// Removals are not closed under implication: removing USER_EDIT keeps
	// USER_VIEW, while removing USER_VIEW also removes what implies it.
	var remove []string
	for _, code := range up.RemovePermissions {
		code = strings.ToUpper(strings.TrimSpace(code))
		if !s.catalog.HasPermission(code) {
			return Member{}, Invalid("remove_permissions", "unknown permission %q", code)
		}
		remove = append(remove, code)
	}
	self := p.Kind == PrincipalUser && p.UserID == userID
	onlyPrimary := role == nil && len(add) == 0 && len(remove) == 0 && up.Active == nil && up.AllowSwitch == nil
	if up.Primary != nil && !self && p.Kind != PrincipalSystem {
		return Member{}, Forbidden("only the member themself may choose their primary company")
	}
	var out Member
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.lockCompany(ctx, p); err != nil {
			return err
		}
		need := UserEdit
		if onlyPrimary {
			need = ""
		}
		a, err := s.Authorize(ctx, p, need)
		if err != nil {
			return err
		}
		m, err := s.member(ctx, p.CompanyID, userID)
		if err != nil {
			return err
		}
		before := m
		level := s.catalog.Level(m.Role)
		if !self && !onlyPrimary && !a.CanManage(level) {
			return Forbidden("only an OWNER may change a member at or above their own level")
		}
		details := map[string]string{}
		if role != nil && role.Code != m.Role {
			if self && role.Level > level {
				return Forbidden("no one raises their own role")
			}
			if err := a.CanGrant(role.Level, role.Permissions); err != nil {
				return err
			}
			details["role_from"], details["role_to"] = m.Role, role.Code
			m.Role = role.Code
		}
		if len(add) > 0 || len(remove) > 0 {
			if err := a.CanGrant(0, add); err != nil {
				return err
			}
			extra := slices.DeleteFunc(append(slices.Clone(m.Extra), add...), func(c string) bool {
				return slices.Contains(remove, c) || slices.Contains(remove, implied(c))
			})
			slices.Sort(extra)
			m.Extra = slices.Compact(extra)
			details["permissions"] = strings.Join(m.Extra, ",")
		}
		if up.Active != nil && *up.Active != m.Active {
			m.Active = *up.Active
			details["active"] = strconv.FormatBool(m.Active)
		}
		if up.AllowSwitch != nil && *up.AllowSwitch != m.AllowSwitch {
			m.AllowSwitch = *up.AllowSwitch
			details["allow_switch"] = strconv.FormatBool(m.AllowSwitch)
		}
		if up.Primary != nil && *up.Primary != m.Primary {
			if *up.Primary {
				if err := s.store.ClearPrimary(ctx, userID); err != nil {
					return err
				}
			}
			m.Primary = *up.Primary
			details["primary"] = strconv.FormatBool(m.Primary)
		}
		if len(details) == 0 {
			out, err = s.store.GetMember(ctx, p.CompanyID, userID)
			return err
		}
		m.UpdatedAt = s.Now()
		if err := s.store.UpdateMembership(ctx, &m); err != nil {
			return err
		}
		if err := s.keepOwner(ctx, before, m.Active && m.Role == RoleOwner); err != nil {
			return err
		}
		if err := s.Audit(ctx, p, p.CompanyID, "membership.updated", userTarget(userID), details); err != nil {
			return err
		}
		out, err = s.store.GetMember(ctx, p.CompanyID, userID)
		out.Editable = !self && a.Has(UserEdit) && a.CanManage(s.catalog.Level(out.Role))
		return err
	})
	return out, err
}

// lockCompany takes the row lock of p's company for the transaction of
// ctx. A company that does not exist is reported as the caller may know it.
func (s *Service) lockCompany(ctx context.Context, p Principal) error {
	err := s.store.LockCompany(ctx, p.CompanyID)
	if err != nil && isNotFound(err) && p.Kind != PrincipalSystem {
		return s.checkActive(ctx, p)
	}
	return err
}

// member is the membership of userID in companyID; ErrNotFound with code
// "member_not_found" when there is none.
func (s *Service) member(ctx context.Context, companyID, userID uuid.UUID) (Membership, error) {
	m, err := s.store.GetMembership(ctx, companyID, userID)
	if err != nil && isNotFound(err) {
		return Membership{}, NotFound(CodeMemberNotFound)
	}
	return m, err
}

// keepOwner fails with ErrLastOwner when before was an active OWNER, is no
// longer one, and the company has no active OWNER left. It must run after
// LockCompany in the same transaction.
func (s *Service) keepOwner(ctx context.Context, before Membership, stillOwner bool) error {
	if !before.Active || before.Role != RoleOwner || stillOwner {
		return nil
	}
	n, err := s.store.CountActiveOwners(ctx, before.CompanyID)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLastOwner
	}
	return nil
}

// RemoveMember removes a member from the principal's company, with the
// grants they held there. Members may leave on their own; removing someone
// else needs USER_DELETE and the rank rules. Removing the last active OWNER
// fails with ErrLastOwner.
func (s *Service) RemoveMember(ctx context.Context, p Principal, userID uuid.UUID) error {
	self := p.Kind == PrincipalUser && p.UserID == userID
	return s.InTx(ctx, func(ctx context.Context) error {
		if err := s.lockCompany(ctx, p); err != nil {
			return err
		}
		need := UserDelete
		if self {
			need = ""
		}
		a, err := s.Authorize(ctx, p, need)
		if err != nil {
			return err
		}
		m, err := s.member(ctx, p.CompanyID, userID)
		if err != nil {
			return err
		}
		if !self && !a.CanManage(s.catalog.Level(m.Role)) {
			return Forbidden("only an OWNER may remove a member at or above their own level")
		}
		if err := s.store.DeleteMembership(ctx, p.CompanyID, userID); err != nil {
			return err
		}
		if err := s.keepOwner(ctx, m, false); err != nil {
			return err
		}
		u, err := s.store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if u.ActiveCompanyID == p.CompanyID {
			u.ActiveCompanyID = uuid.Nil
			u.UpdatedAt = s.Now()
			if err := s.store.UpdateUser(ctx, &u); err != nil {
				return err
			}
		}
		return s.Audit(ctx, p, p.CompanyID, "membership.removed", userTarget(userID), map[string]string{"role": m.Role})
	})
}

// TransferOwnership makes another active member the OWNER and the
// principal, an active OWNER, an ADMIN, in one transaction.
func (s *Service) TransferOwnership(ctx context.Context, p Principal, toUserID uuid.UUID) error {
	if p.Kind != PrincipalUser {
		if p.IsZero() {
			return Unauthenticated("no principal")
		}
		return Forbidden("only an owning user can transfer ownership")
	}
	if p.UserID == toUserID {
		return Invalid("user_id", "cannot transfer ownership to yourself")
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.LockCompany(ctx, p.CompanyID); err != nil {
			if isNotFound(err) {
				return NotFound(CodeCompanyNotFound)
			}
			return err
		}
		a, err := s.Authorize(ctx, p, "")
		if err != nil {
			return err
		}
		if a.role != RoleOwner {
			return Forbidden("only an OWNER can transfer ownership")
		}
		from, err := s.store.GetMembership(ctx, p.CompanyID, p.UserID)
		if err != nil {
			return err
		}
		to, err := s.store.GetMembership(ctx, p.CompanyID, toUserID)
		if err != nil {
			if isNotFound(err) {
				return NotFound(CodeMemberNotFound)
			}
			return err
		}
		if !to.Active {
			return Conflict(CodeMemberInactive, "the new owner's membership is deactivated")
		}
		now := s.Now()
		to.Role, to.UpdatedAt = RoleOwner, now
		from.Role, from.UpdatedAt = RoleAdmin, now
		if err := s.store.UpdateMembership(ctx, &to); err != nil {
			return err
		}
		if err := s.store.UpdateMembership(ctx, &from); err != nil {
			return err
		}
		return s.Audit(ctx, p, p.CompanyID, "ownership.transferred", userTarget(toUserID),
			map[string]string{"from": p.UserID.String()})
	})
}
