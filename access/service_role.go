package access

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// NewRole is the input of CreateRole.
type NewRole struct {
	// Code is unique in the company and is no catalog role's code: a
	// letter, then letters, digits or _ (at most 64), upper-cased.
	Code string
	// Name is shown to people (default: the code).
	Name string
	// Level is between 1 and 1000 (LevelOwner), at most the creator's own,
	// and LevelOwner only for an OWNER.
	Level int
	// Permissions are the role's, at most those the creator holds;
	// closed under implication.
	Permissions []string
}

// RoleUpdate changes a company role; nil fields stay as they are.
// Permissions replaces the role's whole set.
type RoleUpdate struct {
	Name        *string
	Level       *int
	Permissions *[]string
}

// maxRoleName bounds a role's name.
const maxRoleName = 200

// CanDefineRole is the rank rule of a company's own roles, for a role as it
// is and as it will be: only an OWNER or ADMIN of the company (a member at
// level ADMIN or above, not an agency acting through a connection) defines
// roles; a role's level is never above the definer's own, nor OWNER's
// unless the definer is an OWNER; its permissions are the definer's. The
// system defines any.
func (a Actor) CanDefineRole(level int, perms []string) error {
	if a.system {
		return nil
	}
	if !a.IsMember() || a.agency || a.level < LevelAdmin {
		return Forbidden("only an OWNER or ADMIN of the company manages its roles")
	}
	if level >= LevelOwner && a.role != RoleOwner {
		return Forbidden("only an OWNER defines a role at OWNER's level (%d)", LevelOwner)
	}
	return a.CanGrant(level, perms)
}

// roleActor authorizes p to manage its company's roles: USER_EDIT, as a
// member (CanDefineRole then applies the rank).
func (s *Service) roleActor(ctx context.Context, p Principal) (Actor, error) {
	a, err := s.Authorize(ctx, p, UserEdit)
	if err != nil {
		return Actor{}, err
	}
	if err := a.CanDefineRole(0, nil); err != nil {
		return Actor{}, err
	}
	return a, nil
}

func checkRoleName(name string) error {
	if err := CheckText("name", name); err != nil {
		return err
	}
	if utf8.RuneCountInString(name) > maxRoleName {
		return Invalid("name", "a role's name has at most %d characters", maxRoleName)
	}
	return nil
}

func checkRoleLevel(level int) error {
	if level < LevelIndeterminate || level > LevelOwner {
		return Invalid("level", "a role's level is between %d and %d, not %d", LevelIndeterminate, LevelOwner, level)
	}
	return nil
}

// CreateRole defines a role of the principal's company (issue 15). It
// needs USER_EDIT at ADMIN rank or above and CanDefineRole's rank rule.
// Audited as "role.created". Errors: ErrInvalid naming the field,
// ErrForbidden, ErrConflict (CodeRoleTaken).
func (s *Service) CreateRole(ctx context.Context, p Principal, in NewRole) (Role, error) {
	code, err := s.catalog.companyRoleCode("code", in.Code)
	if err != nil {
		return Role{}, err
	}
	name := strings.TrimSpace(in.Name)
	if err := checkRoleName(name); err != nil {
		return Role{}, err
	}
	if name == "" {
		name = code
	}
	if err := checkRoleLevel(in.Level); err != nil {
		return Role{}, err
	}
	perms, err := s.catalog.normalizePermissions("permissions", in.Permissions)
	if err != nil {
		return Role{}, err
	}
	if p.Kind == PrincipalSystem && p.CompanyID == uuid.Nil {
		return Role{}, Invalid("company_id", "a role belongs to a company: name it in the principal")
	}
	now := s.Now()
	r := CompanyRole{ID: s.newID(), CompanyID: p.CompanyID, Code: code, Name: name, Level: in.Level,
		Permissions: perms, CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now}
	err = s.InTx(ctx, func(ctx context.Context) error {
		a, err := s.roleActor(ctx, p)
		if err != nil {
			return err
		}
		if err := a.CanDefineRole(r.Level, r.Permissions); err != nil {
			return err
		}
		if err := s.store.CreateCompanyRole(ctx, &r); err != nil {
			return err
		}
		return s.auditRole(ctx, p, "role.created", r, nil)
	})
	if err != nil {
		return Role{}, err
	}
	return r.Role(), nil
}

// UpdateRole changes a role of the principal's company: its name, level
// or permissions. Every holder's rights follow from the next check on.
// The rank rule (CanDefineRole) holds for the role as it was and as it
// becomes. Audited as "role.updated". Errors: ErrInvalid naming the
// field, ErrNotFound (CodeRoleNotFound, also for another company's role
// and for catalog roles, which no company changes), ErrForbidden.
func (s *Service) UpdateRole(ctx context.Context, p Principal, id uuid.UUID, up RoleUpdate) (Role, error) {
	var name string
	if up.Name != nil {
		name = strings.TrimSpace(*up.Name)
		if err := checkRoleName(name); err != nil {
			return Role{}, err
		}
		if name == "" {
			return Role{}, Invalid("name", "a role's name cannot be empty")
		}
	}
	if up.Level != nil {
		if err := checkRoleLevel(*up.Level); err != nil {
			return Role{}, err
		}
	}
	var perms []string
	if up.Permissions != nil {
		var err error
		if perms, err = s.catalog.normalizePermissions("permissions", *up.Permissions); err != nil {
			return Role{}, err
		}
	}
	var out CompanyRole
	err := s.InTx(ctx, func(ctx context.Context) error {
		a, err := s.roleActor(ctx, p)
		if err != nil {
			return err
		}
		r, err := s.store.LockCompanyRole(ctx, p.CompanyID, id)
		if err != nil {
			return err
		}
		if err := a.CanDefineRole(r.Level, r.Permissions); err != nil {
			return err
		}
		details := map[string]string{}
		if up.Name != nil && name != r.Name {
			r.Name, details["name"] = name, name
		}
		if up.Level != nil && *up.Level != r.Level {
			details["level_from"], details["level_to"] = strconv.Itoa(r.Level), strconv.Itoa(*up.Level)
			r.Level = *up.Level
		}
		if up.Permissions != nil && !slices.Equal(perms, r.Permissions) {
			r.Permissions, details["permissions"] = perms, strings.Join(perms, ",")
		}
		if err := a.CanDefineRole(r.Level, r.Permissions); err != nil {
			return err
		}
		out = r
		if len(details) == 0 {
			return nil
		}
		out.UpdatedAt = s.Now()
		if err := s.store.UpdateCompanyRole(ctx, &out); err != nil {
			return err
		}
		return s.auditRole(ctx, p, "role.updated", out, details)
	})
	if err != nil {
		return Role{}, err
	}
	return out.Role(), nil
}

// DeleteRole deletes a role of the principal's company. While members hold
// it the deletion is refused (ErrConflict, CodeRoleInUse, naming how many)
// unless replacement names a role of the company's catalogue to give them
// instead, in the same transaction, under the rank rules of granting it;
// it reports how many members moved. Pending invitations naming the role
// fail when accepted (the role no longer exists). Audited as
// "role.deleted". Errors: ErrNotFound (CodeRoleNotFound), ErrInvalid
// (field "replacement"), ErrForbidden, ErrConflict.
func (s *Service) DeleteRole(ctx context.Context, p Principal, id uuid.UUID, replacement string) (int, error) {
	moved := 0
	err := s.InTx(ctx, func(ctx context.Context) error {
		a, err := s.roleActor(ctx, p)
		if err != nil {
			return err
		}
		r, err := s.store.LockCompanyRole(ctx, p.CompanyID, id)
		if err != nil {
			return err
		}
		if err := a.CanDefineRole(r.Level, r.Permissions); err != nil {
			return err
		}
		n, err := s.store.CountRoleHolders(ctx, p.CompanyID, r.Code)
		if err != nil {
			return err
		}
		details := map[string]string{}
		if n > 0 {
			if strings.TrimSpace(replacement) == "" {
				return Conflict(CodeRoleInUse, "%d members hold role %s: give a replacement role to move them to", n, r.Code)
			}
			to, err := s.RoleIn(ctx, p.CompanyID, "replacement", replacement)
			if err != nil {
				return err
			}
			if to.Code == r.Code {
				return Invalid("replacement", "the replacement is the role being deleted")
			}
			if err := a.CanGrant(to.Level, to.Permissions); err != nil {
				return err
			}
			if to.Code == RoleOwner || r.Level >= LevelOwner {
				// Moving members onto or off OWNER's level touches
				// the last-owner rule's company lock.
				if err := s.store.LockCompany(ctx, p.CompanyID); err != nil {
					return err
				}
			}
			if moved, err = s.store.ReplaceRole(ctx, p.CompanyID, r.Code, to.Code, s.Now()); err != nil {
				return err
			}
			details["replacement"], details["moved"] = to.Code, strconv.Itoa(moved)
		}
		if err := s.store.DeleteCompanyRole(ctx, p.CompanyID, r.ID); err != nil {
			return err
		}
		return s.auditRole(ctx, p, "role.deleted", r, details)
	})
	if err != nil {
		return 0, err
	}
	return moved, nil
}

// GetRole returns a role of the principal's company's catalogue by ID:
// a catalog role or one of the company's own. Any principal acting in
// the company may read it (a role is no member's data).
// ErrNotFound (CodeRoleNotFound) for another company's role.
func (s *Service) GetRole(ctx context.Context, p Principal, id uuid.UUID) (Role, error) {
	if _, err := s.Authorize(ctx, p, ""); err != nil {
		return Role{}, err
	}
	if r, ok := s.catalog.RoleByID(id); ok {
		return r, nil
	}
	r, err := s.store.GetCompanyRoleByID(ctx, p.CompanyID, id)
	if err != nil {
		return Role{}, err
	}
	return r.Role(), nil
}

// Roles is the catalogue of roles assignable in the principal's company:
// the built-in and host roles, then the company's own (each marked by its
// Origin), highest level first within each part. Any principal acting in
// the company may list them.
func (s *Service) Roles(ctx context.Context, p Principal) ([]Role, error) {
	if _, err := s.Authorize(ctx, p, ""); err != nil {
		return nil, err
	}
	out := s.catalog.Roles()
	var own []Role
	c := Cursor{Limit: MaxPageLimit}
	for {
		rows, err := s.store.ListCompanyRoles(ctx, p.CompanyID, c)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			own = append(own, r.Role())
		}
		if len(rows) < c.Limit {
			break
		}
		c.After = rows[len(rows)-1].ID
	}
	slices.SortStableFunc(own, func(a, b Role) int { return b.Level - a.Level })
	return append(out, own...), nil
}

// RoleIn resolves a role code given as input (field names it) to a role
// assignable in companyID: the catalog's, else the company's own. Inside
// a transaction a company role stays share-locked until it ends, so it
// cannot be deleted while it is being given. ErrInvalid for a code that is
// neither, or a role of another company.
func (s *Service) RoleIn(ctx context.Context, companyID uuid.UUID, field, code string) (Role, error) {
	if err := CheckText(field, code); err != nil {
		return Role{}, err
	}
	norm := strings.ToUpper(strings.TrimSpace(code))
	if r, ok := s.catalog.roles[norm]; ok {
		return *r, nil
	}
	if !roleCodePattern.MatchString(norm) {
		return Role{}, Invalid(field, "unknown role %q", code)
	}
	r, err := s.store.GetCompanyRole(ctx, companyID, norm, true)
	if isNotFound(err) {
		return Role{}, Invalid(field, "unknown role %q", code)
	}
	if err != nil {
		return Role{}, err
	}
	return r.Role(), nil
}

// MemberRole resolves the role a membership holds: a catalog role, or its
// company's own read from the store now (no cache: a role's change
// counts from the next call on). A company role that no longer exists
// resolves to no role: level 0 and no permissions, failing closed.
func (s *Service) MemberRole(ctx context.Context, m Membership) (Role, error) {
	if r, ok := s.catalog.roles[m.Role]; ok {
		return *r, nil
	}
	r, err := s.store.GetCompanyRole(ctx, m.CompanyID, m.Role, false)
	if isNotFound(err) {
		return Role{}, nil
	}
	if err != nil {
		return Role{}, err
	}
	return r.Role(), nil
}

// parseRole reads a role code given as input before a transaction: a
// catalog role, or (nil and its normalised code) a code that can only be
// a company role, which resolveRole reads inside the transaction that
// gives it; otherwise ErrInvalid naming field.
func (s *Service) parseRole(field, code string) (*Role, string, error) {
	r, err := s.catalog.roleCode(field, code)
	if err == nil {
		return r, "", nil
	}
	if CheckText(field, code) != nil {
		return nil, "", err
	}
	norm := strings.ToUpper(strings.TrimSpace(code))
	if !roleCodePattern.MatchString(norm) {
		return nil, "", err
	}
	return nil, norm, nil
}

// MayBeCompanyRole reports whether code, given as input, is shaped as a
// company role's code (a check before anything is read; the company's
// roles decide later).
func MayBeCompanyRole(code string) bool {
	return CheckText("role", code) == nil && roleCodePattern.MatchString(strings.ToUpper(strings.TrimSpace(code)))
}

// resolveRole is r, or else the role code names in companyID (RoleIn:
// share-locked in the transaction of ctx, so it is not deleted while it
// is being given).
func (s *Service) resolveRole(ctx context.Context, companyID uuid.UUID, field string, r *Role, code string) (*Role, error) {
	if r != nil {
		return r, nil
	}
	got, err := s.RoleIn(ctx, companyID, field, code)
	if err != nil {
		return nil, err
	}
	return &got, nil
}

// RoleLevel is the level of the role with code in companyID: a catalog
// role's, or the company's own read now; 0 for a role that does not
// exist (which fails every check).
func (s *Service) RoleLevel(ctx context.Context, companyID uuid.UUID, code string) (int, error) {
	r, err := s.MemberRole(ctx, Membership{CompanyID: companyID, Role: code})
	return r.Level, err
}

// levelsOf resolves the levels of role codes of one company for one call
// (a page of members): each company role is read once per call, never
// kept beyond it.
func (s *Service) levelsOf(ctx context.Context, companyID uuid.UUID) func(code string) (int, error) {
	seen := map[string]int{}
	return func(code string) (int, error) {
		if l, ok := seen[code]; ok {
			return l, nil
		}
		l, err := s.RoleLevel(ctx, companyID, code)
		if err == nil {
			seen[code] = l
		}
		return l, err
	}
}

func (s *Service) auditRole(ctx context.Context, p Principal, action string, r CompanyRole, extra map[string]string) error {
	details := map[string]string{"code": r.Code, "name": r.Name, "level": strconv.Itoa(r.Level),
		"permissions": strings.Join(r.Permissions, ",")}
	for k, v := range extra {
		details[k] = v
	}
	return s.Audit(ctx, p, p.CompanyID, action, "role:"+r.ID.String(), details)
}

// RoleRef names a role as a membership, invitation or token holds it: its
// code in its company.
type RoleRef struct {
	CompanyID uuid.UUID
	Code      string
}

// RoleSet is the roles a response names, resolved once (Service.ResolveRoles):
// catalog roles, and companies' own roles as they were read.
type RoleSet struct {
	catalog *Catalog
	own     map[RoleRef]Role
}

// Role is the role code names in companyID: the catalog's, else the
// company's own as read; false for a role that no longer exists.
func (rs RoleSet) Role(companyID uuid.UUID, code string) (Role, bool) {
	if rs.catalog != nil {
		if r, ok := rs.catalog.roles[code]; ok {
			return *r, true
		}
	}
	r := rs.own[RoleRef{CompanyID: companyID, Code: code}]
	return r, r.Code != ""
}

// Effective is EffectiveOf for the role code names in companyID; a role
// that no longer exists holds nothing beyond extra (as MemberRole, it
// fails closed).
func (rs RoleSet) Effective(companyID uuid.UUID, code string, extra, withheld []string) []string {
	r, _ := rs.Role(companyID, code)
	return EffectiveOf(r, extra, withheld)
}

// ResolveRoles resolves the roles refs name for one response (a page of
// members, invitations or accesses): catalog roles from the catalog, and
// each distinct company role read once, whatever the number of rows that
// hold it. It authorizes nothing: the caller has already read the rows
// that name the roles.
func (s *Service) ResolveRoles(ctx context.Context, refs ...RoleRef) (RoleSet, error) {
	rs := RoleSet{catalog: s.catalog}
	for _, ref := range refs {
		if _, ok := s.catalog.roles[ref.Code]; ok {
			continue
		}
		if _, ok := rs.own[ref]; ok {
			continue
		}
		if rs.own == nil {
			rs.own = map[RoleRef]Role{}
		}
		r, err := s.MemberRole(ctx, Membership{CompanyID: ref.CompanyID, Role: ref.Code})
		if err != nil {
			return RoleSet{}, err
		}
		rs.own[ref] = r // the zero Role for a role that no longer exists
	}
	return rs, nil
}

// EffectiveIn is the permissions membership m holds now: its role resolved
// in its company (MemberRole: a catalog role or the company's own), with
// its extra and withheld permissions (EffectiveOf).
func (s *Service) EffectiveIn(ctx context.Context, m Membership) ([]string, error) {
	r, err := s.MemberRole(ctx, m)
	if err != nil {
		return nil, err
	}
	return EffectiveOf(r, m.Extra, m.Withheld), nil
}

// RoleByIDIn resolves a role ID given as input (field names it) to a role
// assignable in companyID: the catalog's, else the company's own.
// ErrInvalid for an ID that is neither, or a role of another company.
func (s *Service) RoleByIDIn(ctx context.Context, companyID uuid.UUID, field string, id uuid.UUID) (Role, error) {
	if r, ok := s.catalog.RoleByID(id); ok {
		return r, nil
	}
	r, err := s.store.GetCompanyRoleByID(ctx, companyID, id)
	if isNotFound(err) {
		return Role{}, Invalid(field, "unknown access %s", id)
	}
	if err != nil {
		return Role{}, err
	}
	return r.Role(), nil
}
