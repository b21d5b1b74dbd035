package access

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// AddMember gives a user (by ID or e-mail) access to the principal's
// company at once. It adds only a user the principal can already see (see
// SeesUser): anyone else joins by consent, through an invitation (package
// invite: invite.Service.Add asks SeesUser and invites the others), or with
// in.Consented. A user the principal cannot see is ErrNotFound
// (CodeUserNotFound), exactly as an unknown ID or e-mail, so AddMember
// tells nobody whether an address has an account. It needs USER_ADD, and
// never a role above the principal's own level or a permission it lacks.
// With in.CreateUser an unknown e-mail becomes a new user (and an unseen
// user's e-mail, which cannot, is ErrConsentRequired); with in.GrantsFrom
// that subject's grants in the company pass to the new member; with
// in.Primary it becomes the user's primary company (only the user themself
// or the system choose that). A user without an active company gets this
// one. Errors: ErrInvalid naming the field; ErrNotFound (CodeUserNotFound)
// for an unknown or unseen user; ErrConsentRequired; ErrConflict
// (CodeAlreadyMember, CodeUserDisabled for a disabled user); ErrForbidden.
func (s *Service) AddMember(ctx context.Context, p Principal, in NewMember) (Member, error) {
	add, err := s.parseNewMember(p, in)
	if err != nil {
		return Member{}, err
	}
	var out Member
	err = s.InTx(ctx, func(ctx context.Context) error {
		a, creator, err := s.authorizeAdder(ctx, p)
		if err != nil {
			return err
		}
		add := add // per attempt: a retried transaction resolves the role again
		if add.role, err = s.resolveRole(ctx, p.CompanyID, "role", add.role, add.roleCode); err != nil {
			return err
		}
		if err := a.CanGrant(add.role.Level, append(slices.Clone(add.role.Permissions), add.extra...)); err != nil {
			return err
		}
		u, created, err := s.memberUser(ctx, p, add)
		if err != nil {
			return err
		}
		add.created, add.creator = created, creator
		out, err = s.addMembership(ctx, p, a, u, add)
		return err
	})
	return out, err
}

// authorizeAdder is Authorize(p, USER_ADD) reading p's membership with its
// user (GetMember), whose summary is the new member's CreatedByUser: nil
// when p is the system or has no membership (an agency's member).
func (s *Service) authorizeAdder(ctx context.Context, p Principal) (Actor, *UserSummary, error) {
	if p.Kind == PrincipalSystem || p.reachAgency() != uuid.Nil {
		a, err := s.Authorize(ctx, p, UserAdd)
		return a, nil, err
	}
	am, err := s.store.GetMember(ctx, p.CompanyID, p.UserID)
	known := knownMembership{m: am.Membership, err: err}
	a, aerr := s.authorizeKnown(ctx, p, UserAdd, &known)
	if aerr != nil || err != nil {
		return a, nil, aerr
	}
	sum := am.User.Summary()
	return a, &sum, nil
}

// ProvisionMember is the access half of seed 000's just-in-time
// provisioning (token.Service.Provision adds the login link): the user with
// in.Email, created when unknown, gets in.Role in the principal's company,
// in one transaction. An existing user the principal cannot see (SeesUser)
// is never taken without their consent: ErrConsentRequired, and nothing
// changes (invite them instead). A new membership is added as AddMember
// adds it; an existing one is changed to in.Role, made active and given
// in.NoSwitch under UpdateMember's rank rules (only an OWNER touches a
// member at or above their own level, no one raises their own role, the
// company keeps an active OWNER). It needs USER_ADD.
func (s *Service) ProvisionMember(ctx context.Context, p Principal, in NewMember) (Provisioned, error) {
	if in.UserID != uuid.Nil {
		return Provisioned{}, Invalid("user_id", "provisioning names the user by e-mail")
	}
	in.CreateUser, in.Consented = true, false
	add, err := s.parseNewMember(p, in)
	if err != nil {
		return Provisioned{}, err
	}
	var out Provisioned
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.lockCompany(ctx, p); err != nil {
			return err
		}
		a, err := s.Authorize(ctx, p, UserAdd)
		if err != nil {
			return err
		}
		add := add // per attempt: a retried transaction resolves the role again
		if add.role, err = s.resolveRole(ctx, p.CompanyID, "role", add.role, add.roleCode); err != nil {
			return err
		}
		if err := a.CanGrant(add.role.Level, append(slices.Clone(add.role.Permissions), add.extra...)); err != nil {
			return err
		}
		u, created, err := s.memberUser(ctx, p, add)
		if err != nil {
			return err
		}
		out.UserCreated = created
		add.created = created
		if !created {
			if out.Elsewhere, err = s.memberElsewhere(ctx, u.ID, p.CompanyID); err != nil {
				return err
			}
		}
		m, err := s.store.GetMember(ctx, p.CompanyID, u.ID)
		switch {
		case isNotFound(err):
			out.Member, err = s.addMembership(ctx, p, a, u, add)
			return err
		case err != nil:
			return err
		}
		active, allowSwitch := true, !in.NoSwitch
		out.Member, err = s.changeMembership(ctx, p, a, m, memberChange{role: add.role, active: &active, allowSwitch: &allowSwitch})
		return err
	})
	return out, err
}

// Provisioned is what ProvisionMember did.
type Provisioned struct {
	Member      Member
	UserCreated bool // the e-mail was unknown: the user is new
	// Elsewhere: the user also belongs to another company, so the caller's
	// company does not own the account (token.Service.Provision hands out
	// no login link for it).
	Elsewhere bool
}

// newMember is a NewMember checked and resolved against the catalog.
type newMember struct {
	NewMember
	email    string
	role     *Role  // a catalog role, or nil for a company role
	roleCode string // the company role's code, resolved in the transaction
	extra    []string
	// created: memberUser created the user (who then has no membership
	// yet). creator: the adder's summary, when known.
	created bool
	creator *UserSummary
}

func (s *Service) parseNewMember(p Principal, in NewMember) (newMember, error) {
	add := newMember{NewMember: in}
	switch {
	case in.UserID != uuid.Nil && in.Email != "":
		return newMember{}, Invalid("user_id", "name the user by user_id or by email, not both")
	case in.UserID == uuid.Nil:
		var err error
		if add.email, err = NormalizeEmail(in.Email); err != nil {
			return newMember{}, err
		}
	case in.CreateUser:
		return newMember{}, Invalid("user_id", "only a user named by e-mail can be created")
	}
	var err error
	if add.role, add.roleCode, err = s.parseRole("role", in.Role); err != nil {
		return newMember{}, err
	}
	if add.extra, err = s.catalog.normalizePermissions("permissions", in.Permissions); err != nil {
		return newMember{}, err
	}
	if in.Primary && p.Kind != PrincipalSystem && !(p.Kind == PrincipalUser && p.UserID == in.UserID) {
		return newMember{}, Forbidden("only the member themself may choose their primary company")
	}
	if in.GrantsFrom != (Subject{}) && in.GrantsFrom.Type == SubjectUser {
		return newMember{}, Invalid("grants_from", "grants pass from an invitation or a token, not from a user")
	}
	return add, nil
}

// memberUser finds the user a NewMember names, creating it for CreateUser.
// A user the principal cannot see is refused unless add.Consented: as an
// unknown one (ErrNotFound), or, where an unknown e-mail would be created,
// with ErrConsentRequired.
func (s *Service) memberUser(ctx context.Context, p Principal, add newMember) (User, bool, error) {
	if add.email != "" && add.CreateUser && add.NewUserID != uuid.Nil {
		// The caller found no user with the e-mail in this transaction
		// (an invitation's claim recorded the ID): it is created without
		// a second look. One created meanwhile (with the e-mail or the
		// ID) is refused by the store, and then looked up below.
		u, err := s.createMemberUser(ctx, p, add)
		if err == nil || !errors.Is(err, ErrConflict) {
			return u, err == nil, err
		}
	}
	var u User
	var err error
	if add.email == "" {
		if !add.Consented {
			seen, serr := s.sees(ctx, p, add.UserID)
			if serr != nil {
				return User{}, false, serr
			}
			if !seen {
				return User{}, false, NotFound(CodeUserNotFound)
			}
		}
		u, err = s.store.GetUser(ctx, add.UserID)
	} else {
		u, err = s.store.GetUserByEmail(ctx, add.email)
		if err == nil && !add.Consented {
			seen, serr := s.sees(ctx, p, u.ID)
			switch {
			case serr != nil:
				return User{}, false, serr
			case !seen && add.CreateUser:
				return User{}, false, ErrConsentRequired
			case !seen:
				return User{}, false, NotFound(CodeUserNotFound)
			}
		}
	}
	if err == nil && add.NewUserID != uuid.Nil && u.ID != add.NewUserID {
		return User{}, false, Conflict(CodeEmailTaken, "the e-mail's user was created meanwhile")
	}
	if err == nil {
		if err := joinable(u); err != nil {
			return User{}, false, err
		}
		return u, false, nil
	}
	if !isNotFound(err) || !add.CreateUser {
		return User{}, false, err
	}
	u, err = s.createMemberUser(ctx, p, add)
	return u, err == nil, err
}

// createMemberUser creates the user of add's e-mail (with add.NewUserID,
// if set), acting in p's company, and records it.
func (s *Service) createMemberUser(ctx context.Context, p Principal, add newMember) (User, error) {
	u, err := s.newUser(NewUser{Email: add.email})
	if err != nil {
		return User{}, err
	}
	if add.NewUserID != uuid.Nil {
		u.ID = add.NewUserID
	}
	u.ActiveCompanyID = p.CompanyID
	if err := s.store.CreateUser(ctx, &u); err != nil {
		return User{}, err
	}
	return u, s.Audit(ctx, p, p.CompanyID, "user.created", userTarget(u.ID), nil)
}

// SeesUser reports whether the principal can already see the user with
// this e-mail, and so may add them to its company at once (AddMember,
// ProvisionMember) instead of inviting them: see sees for the rule. An
// unknown e-mail answers false, as an unseen user does, so the answer
// tells the caller nothing it did not know. It needs USER_ADD in the
// principal's company: it is the adder's question. Errors: ErrInvalid
// naming "email"; Authorize's.
func (s *Service) SeesUser(ctx context.Context, p Principal, email string) (bool, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return false, err
	}
	if _, err := s.Authorize(ctx, p, UserAdd); err != nil {
		return false, err
	}
	u, err := s.store.GetUserByEmail(ctx, norm)
	switch {
	case isNotFound(err):
		// The same reads as for an unseen user, so that the time taken
		// does not tell them apart either.
		_, err := s.sees(ctx, p, uuid.Nil)
		return false, err
	case err != nil:
		return false, err
	}
	return s.sees(ctx, p, u.ID)
}

// sees is the one rule of who may take whom into a company without their
// consent: the principal can already see the user, where GetUser would
// show them (canSeeUser: the system, the user themself, a member of the
// company acted in) or, for a user, through another company of theirs: one
// where they are an active member with USER_VIEW and the user is a member
// (active or not). An API token sees the company it acts in and, acting
// in a customer of its company, its own company. Everyone else (a user of other companies only,
// a user of no company) joins by consent.
func (s *Service) sees(ctx context.Context, p Principal, userID uuid.UUID) (bool, error) {
	err := s.canSeeUser(ctx, p, userID)
	switch {
	case err == nil:
		return true, nil
	case !isDenial(err):
		return false, err
	case p.Kind == PrincipalToken && p.reachAgency() != uuid.Nil:
		// A token acting in a customer of its company also sees its own
		// company's members, as a user sees those of their companies.
		err := s.canSeeUser(ctx, p.In(p.TokenCompanyID), userID)
		if err != nil && !isDenial(err) {
			return false, err
		}
		return err == nil, nil
	case p.Kind != PrincipalUser:
		return false, nil
	}
	active := true
	c := Cursor{Limit: MaxPageLimit}
	for {
		page, err := s.store.ListUserCompanies(ctx, p.UserID, &active, c)
		if err != nil {
			return false, err
		}
		for _, uc := range page {
			if uc.CompanyID == p.CompanyID {
				continue
			}
			err := s.canSeeUser(ctx, UserPrincipal(p.UserID, uc.CompanyID), userID)
			switch {
			case err == nil:
				return true, nil
			case !isDenial(err):
				return false, err
			}
		}
		if len(page) < c.Limit {
			return false, nil
		}
		c.After = page[len(page)-1].ID
	}
}

// memberElsewhere reports whether the user has a membership in a company
// other than companyID.
func (s *Service) memberElsewhere(ctx context.Context, userID, companyID uuid.UUID) (bool, error) {
	page, err := s.store.ListUserCompanies(ctx, userID, nil, Cursor{Limit: 2})
	if err != nil {
		return false, err
	}
	for _, uc := range page {
		if uc.CompanyID != companyID {
			return true, nil
		}
	}
	return false, nil
}

// addMembership creates the membership of a checked NewMember for an
// authorized actor, inside the transaction of ctx, and returns the member.
func (s *Service) addMembership(ctx context.Context, p Principal, a Actor, u User, add newMember) (Member, error) {
	primary := add.Primary
	switch {
	case add.created:
		primary = true // a new user's first membership
	case !primary:
		_, hasPrimary, err := s.primaryOf(ctx, u.ID)
		if err != nil {
			return Member{}, err
		}
		primary = !hasPrimary
	default:
		if err := s.store.ClearPrimary(ctx, u.ID); err != nil {
			return Member{}, err
		}
	}
	now := s.Now()
	m := Membership{ID: s.newID(), CompanyID: p.CompanyID, UserID: u.ID, Role: add.role.Code, Extra: add.extra,
		Active: !add.Inactive, Primary: primary, AllowSwitch: !add.NoSwitch, CreatedAt: now, UpdatedAt: now}
	if p.Kind != PrincipalSystem {
		m.CreatedBy = p.UserID
	}
	if err := s.store.CreateMembership(ctx, &m); err != nil {
		return Member{}, err
	}
	if add.GrantsFrom != (Subject{}) {
		k, ok := s.subjectKind(add.GrantsFrom.Type)
		if !ok || k.HandsTo == nil {
			return Member{}, Invalid("grants_from", "the grants of a %s do not pass to a member", add.GrantsFrom.Type)
		}
		if err := k.HandsTo(ctx, p.CompanyID, add.GrantsFrom.ID, u.Email); err != nil {
			return Member{}, err
		}
		if err := s.moveGrants(ctx, p.CompanyID, add.GrantsFrom, Subject{Type: SubjectUser, ID: u.ID}); err != nil {
			return Member{}, err
		}
	}
	if u.ActiveCompanyID == uuid.Nil {
		u.ActiveCompanyID, u.UpdatedAt = p.CompanyID, now
		if err := s.store.UpdateUser(ctx, &u); err != nil {
			return Member{}, err
		}
	}
	if err := s.Audit(ctx, p, p.CompanyID, "membership.created", userTarget(u.ID), map[string]string{
		"role": m.Role, "permissions": strings.Join(m.Extra, ","), "active": strconv.FormatBool(m.Active)}); err != nil {
		return Member{}, err
	}
	// What was just written, without reading it back, when the creator is
	// known.
	out := Member{Membership: m, User: u, CreatedByUser: add.creator}
	if add.creator == nil && m.CreatedBy != uuid.Nil {
		var err error
		if out, err = s.store.GetMember(ctx, p.CompanyID, u.ID); err != nil {
			return Member{}, err
		}
	}
	self := p.Kind == PrincipalUser && p.UserID == u.ID
	out.Editable = !self && a.Has(UserEdit) && a.CanManage(add.role.Level)
	return out, nil
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
	level, err := s.RoleLevel(ctx, m.CompanyID, m.Role)
	if err != nil {
		return Member{}, err
	}
	m.Editable = !self && a.Has(UserEdit) && a.CanManage(level)
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
	if err := s.markEditable(ctx, p, a, rows); err != nil {
		return Page[Member]{}, err
	}
	return pageOf(rows, limit, func(m Member) uuid.UUID { return m.ID }), nil
}

// MaxPageOffset bounds numbered pages (ListMembersNumbered): a page may
// start at most this many rows into the listing. Deeper pages are read
// with the keyset listing (ListMembers), whose cost does not grow with
// depth.
const MaxPageOffset = 10_000

// NumberedPage is one page of a numbered listing (seed 000's page and
// per_page).
type NumberedPage[T any] struct {
	Items   []T
	Page    int  // from 1
	HasNext bool // a page follows
}

// ListMembersNumbered is ListMembers by page number: page (from 1) of
// perPage (1 to MaxPageLimit) members, ordered as ListMembers orders them.
// The page must start within MaxPageOffset rows (else ErrInvalid naming
// "page"); it is one store query whatever its number.
func (s *Service) ListMembersNumbered(ctx context.Context, p Principal, f MemberFilter, page, perPage int) (NumberedPage[Member], error) {
	switch {
	case perPage < 1 || perPage > MaxPageLimit:
		return NumberedPage[Member]{}, Invalid("per_page", "per_page must be between 1 and %d", MaxPageLimit)
	case page < 1:
		return NumberedPage[Member]{}, Invalid("page", "page must be 1 or more")
	case page-1 > MaxPageOffset/perPage:
		return NumberedPage[Member]{}, Invalid("page", "a page may start at most %d members in; list deeper with the cursor listing", MaxPageOffset)
	}
	a, err := s.Authorize(ctx, p, UserView)
	if err != nil {
		return NumberedPage[Member]{}, err
	}
	rows, err := s.store.ListMembersAt(ctx, p.CompanyID, f.Active, (page-1)*perPage, perPage+1)
	if err != nil {
		return NumberedPage[Member]{}, err
	}
	out := NumberedPage[Member]{Page: page, HasNext: len(rows) > perPage}
	out.Items = rows[:min(len(rows), perPage)]
	if err := s.markEditable(ctx, p, a, out.Items); err != nil {
		return NumberedPage[Member]{}, err
	}
	return out, nil
}

// markEditable sets Editable on listed members for actor a.
func (s *Service) markEditable(ctx context.Context, p Principal, a Actor, rows []Member) error {
	canEdit := a.Has(UserEdit)
	level := s.levelsOf(ctx, p.CompanyID)
	for i := range rows {
		self := p.Kind == PrincipalUser && rows[i].UserID == p.UserID
		l, err := level(rows[i].Role)
		if err != nil {
			return err
		}
		rows[i].Editable = canEdit && !self && a.CanManage(l)
	}
	return nil
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
	var roleCode string
	if up.Role != nil {
		r, code, err := s.parseRole("role", *up.Role)
		if err != nil {
			return Member{}, err
		}
		role, roleCode = r, code
	}
	add, err := s.catalog.normalizePermissions(FieldAddRoles, up.AddPermissions)
	if err != nil {
		return Member{}, err
	}
	remove, err := s.catalog.removals(FieldRemoveRoles, up.RemovePermissions)
	if err != nil {
		return Member{}, err
	}
	ch := memberChange{role: role, add: add, remove: remove, active: up.Active, allowSwitch: up.AllowSwitch, primary: up.Primary}
	self := p.Kind == PrincipalUser && p.UserID == userID
	if up.Primary != nil && !self && p.Kind != PrincipalSystem {
		return Member{}, Forbidden("only the member themself may choose their primary company")
	}
	var out Member
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.lockCompany(ctx, p); err != nil {
			return err
		}
		need := UserEdit
		if ch.onlyPrimary() {
			need = ""
		}
		// The actor's membership and the target's, in one read.
		ms, err := s.store.GetMembers(ctx, p.CompanyID, []uuid.UUID{p.UserID, userID})
		if err != nil {
			return err
		}
		actor := knownMembership{err: NotFound(CodeMembershipNotFound)}
		target, found := Member{}, false
		for _, m := range ms {
			if m.UserID == p.UserID {
				actor = knownMembership{m: m.Membership}
			}
			if m.UserID == userID {
				target, found = m, true
			}
		}
		a, err := s.authorizeKnown(ctx, p, need, &actor)
		if err != nil {
			return err
		}
		if !found {
			return NotFound(CodeMemberNotFound)
		}
		ch := ch // per attempt: a retried transaction resolves the role again
		if up.Role != nil {
			if ch.role, err = s.resolveRole(ctx, p.CompanyID, "role", role, roleCode); err != nil {
				return err
			}
		}
		out, err = s.changeMembership(ctx, p, a, target, ch)
		return err
	})
	return out, err
}

// memberChange is a checked change of one membership; nil and empty
// fields leave it as it is.
type memberChange struct {
	role                         *Role
	add, remove                  []string
	active, allowSwitch, primary *bool
}

func (ch memberChange) onlyPrimary() bool {
	return ch.role == nil && len(ch.add) == 0 && len(ch.remove) == 0 && ch.active == nil && ch.allowSwitch == nil
}

// changeMembership applies ch to m for actor a, under the rank rules, in
// the transaction of ctx (which holds the company's lock): only an OWNER
// changes a member at or above their own level, no one raises their own
// role or grants beyond their own, and the company keeps an active OWNER.
// It records the change and returns the member as stored (target as read
// in the transaction, with the change).
func (s *Service) changeMembership(ctx context.Context, p Principal, a Actor, target Member, ch memberChange) (Member, error) {
	m := target.Membership
	self := p.Kind == PrincipalUser && p.UserID == m.UserID
	before := m
	level, err := s.RoleLevel(ctx, m.CompanyID, m.Role)
	if err != nil {
		return Member{}, err
	}
	if !self && !ch.onlyPrimary() && !a.CanManage(level) {
		return Member{}, errOutranked
	}
	details := map[string]string{}
	if ch.role != nil && ch.role.Code != m.Role {
		if self && ch.role.Level > level {
			return Member{}, Forbidden("no one raises their own role")
		}
		if err := a.CanGrant(ch.role.Level, ch.role.Permissions); err != nil {
			return Member{}, err
		}
		details["role_from"], details["role_to"] = m.Role, ch.role.Code
		if len(m.Withheld) > 0 {
			details["withheld"] = ""
		}
		m.setRole(ch.role.Code)
	}
	if len(ch.add) > 0 || len(ch.remove) > 0 {
		if err := a.CanGrant(0, ch.add); err != nil {
			return Member{}, err
		}
		if err := s.catalog.changePermissions(&m, ch.add, ch.remove); err != nil {
			return Member{}, err
		}
		details["permissions"] = strings.Join(m.Extra, ",")
		if !slices.Equal(m.Withheld, before.Withheld) {
			details["withheld"] = strings.Join(m.Withheld, ",")
		}
	}
	if ch.active != nil && *ch.active != m.Active {
		m.Active = *ch.active
		details["active"] = strconv.FormatBool(m.Active)
	}
	if ch.allowSwitch != nil && *ch.allowSwitch != m.AllowSwitch {
		m.AllowSwitch = *ch.allowSwitch
		details["allow_switch"] = strconv.FormatBool(m.AllowSwitch)
	}
	if ch.primary != nil && *ch.primary != m.Primary {
		if *ch.primary {
			if err := s.store.ClearPrimary(ctx, m.UserID); err != nil {
				return Member{}, err
			}
		}
		m.Primary = *ch.primary
		details["primary"] = strconv.FormatBool(m.Primary)
	}
	if len(details) > 0 {
		if err := s.keepOwner(ctx, before, activeOwner(m)); err != nil {
			return Member{}, err
		}
		m.UpdatedAt = s.Now()
		// The change and its record in one write.
		e := s.auditEvent(ctx, p, p.CompanyID, "membership.updated", userTarget(m.UserID), details)
		if err := s.store.UpdateMembershipAudited(ctx, &m, &e); err != nil {
			return Member{}, err
		}
		s.audited(ctx, e)
	}
	// What was just written, without reading it back.
	out := target
	out.Membership = m
	outLevel, err := s.RoleLevel(ctx, out.CompanyID, out.Role)
	out.Editable = !self && a.Has(UserEdit) && a.CanManage(outLevel)
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

// activeOwner reports whether m counts for the last-owner rule: an active
// membership with the role OWNER.
func activeOwner(m Membership) bool { return m.Active && m.Role == RoleOwner }

// keepOwner is the last-owner rule, its one reading for every path that
// may take an OWNER away (a role change, a deactivation, a removal, the
// user's disabling or erasure): it fails with ErrLastOwner when before
// counts as an active OWNER, stops counting (stillOwner false), and no
// other active OWNER of the company is left. It reads the count before
// the change is written, so it must run after LockCompany in the same
// transaction and before the write.
func (s *Service) keepOwner(ctx context.Context, before Membership, stillOwner bool) error {
	if !activeOwner(before) || stillOwner {
		return nil
	}
	n, err := s.store.CountActiveOwners(ctx, before.CompanyID)
	if err != nil {
		return err
	}
	if n <= 1 { // before is one of the n
		return ErrLastOwner
	}
	return nil
}

// RemoveMember removes a member from the principal's company, with the
// grants they held there. Members may leave on their own; removing someone
// else needs USER_DELETE and the rank rules. Removing the last active OWNER
// fails with ErrLastOwner.
func (s *Service) RemoveMember(ctx context.Context, p Principal, userID uuid.UUID) error {
	return s.removeMember(ctx, p, func(ctx context.Context) (Membership, error) {
		return s.member(ctx, p.CompanyID, userID)
	})
}

// LeaveCompany removes the principal's user from the company it acts in,
// with the grants they held there: RemoveMember of themself. Only a user
// leaves: an API token has no membership of its own (ErrForbidden; removing
// its creator is RemoveMember's, under its rules). The last active OWNER
// cannot leave (ErrLastOwner); ErrNotFound for a user without a membership
// there (one acting through an agency connection, or who left already).
func (s *Service) LeaveCompany(ctx context.Context, p Principal) error {
	if p.Kind != PrincipalUser {
		if p.IsZero() {
			return Unauthenticated("no principal")
		}
		return Forbidden("only a user can leave a company")
	}
	return s.RemoveMember(ctx, p, p.UserID)
}

// RemoveMembership is RemoveMember for the membership of userID with this
// ID (seed 001's user_access id), in the principal's company; a user
// leaving names their own membership in any of their companies. Any other
// ID (another company's, another user's) is ErrNotFound
// (CodeUserAccessNotFound).
func (s *Service) RemoveMembership(ctx context.Context, p Principal, userID, membershipID uuid.UUID) error {
	if p.Kind == PrincipalUser && p.UserID == userID {
		uc, err := s.ownMembership(ctx, userID, membershipID)
		if err != nil {
			return err
		}
		p.CompanyID = uc.CompanyID
	}
	return s.removeMember(ctx, p, func(ctx context.Context) (Membership, error) {
		m, err := s.store.GetMembershipByID(ctx, p.CompanyID, membershipID)
		if err == nil && m.UserID != userID || err != nil && isNotFound(err) {
			return Membership{}, NotFound(CodeUserAccessNotFound)
		}
		return m, err
	})
}

// ownMembership finds a membership of the user among all of theirs.
func (s *Service) ownMembership(ctx context.Context, userID, membershipID uuid.UUID) (UserCompany, error) {
	c := Cursor{Limit: MaxPageLimit}
	for {
		page, err := s.store.ListUserCompanies(ctx, userID, nil, c)
		if err != nil {
			return UserCompany{}, err
		}
		for _, uc := range page {
			if uc.ID == membershipID {
				return uc, nil
			}
		}
		if len(page) < c.Limit {
			return UserCompany{}, NotFound(CodeUserAccessNotFound)
		}
		c.After = page[len(page)-1].ID
	}
}

func (s *Service) removeMember(ctx context.Context, p Principal, find func(ctx context.Context) (Membership, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if err := s.lockCompany(ctx, p); err != nil {
			return err
		}
		a, err := s.Authorize(ctx, p, "")
		if err != nil {
			return err
		}
		m, err := find(ctx)
		if err != nil {
			return err
		}
		if self := p.Kind == PrincipalUser && p.UserID == m.UserID; !self {
			if !a.Has(UserDelete) {
				return Forbidden("missing permission %s", UserDelete)
			}
			level, err := s.RoleLevel(ctx, m.CompanyID, m.Role)
			if err != nil {
				return err
			}
			if !a.CanManage(level) {
				return Forbidden("only an OWNER may remove a member at or above their own level")
			}
		}
		if err := s.keepOwner(ctx, m, false); err != nil {
			return err
		}
		if err := s.store.DeleteMembership(ctx, p.CompanyID, m.UserID); err != nil {
			return err
		}
		u, err := s.store.GetUser(ctx, m.UserID)
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
		return s.Audit(ctx, p, p.CompanyID, "membership.removed", userTarget(m.UserID), map[string]string{"role": m.Role})
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
		if nu, err := s.store.GetUser(ctx, toUserID); err != nil {
			return err
		} else if err := joinable(nu); err != nil {
			return err
		}
		now := s.Now()
		to.setRole(RoleOwner)
		from.setRole(RoleAdmin)
		to.UpdatedAt, from.UpdatedAt = now, now
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

// CanJoin reports whether the person with e-mail may be invited into the
// principal's company: nil when no user has the e-mail or its user has no
// membership there, ErrConflict (CodeAlreadyMember) when it has one
// (active or deactivated). Needs USER_ADD: it is the inviter's question.
func (s *Service) CanJoin(ctx context.Context, p Principal, email string) error {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	if _, err := s.Authorize(ctx, p, UserAdd); err != nil {
		return err
	}
	u, err := s.store.GetUserByEmail(ctx, norm)
	switch {
	case isNotFound(err):
		u = User{}
	case err != nil:
		return err
	}
	// An unknown e-mail takes the same reads as a user of other companies
	// (u.ID is the nil UUID, which has no membership).
	m, err := s.store.GetMembership(ctx, p.CompanyID, u.ID)
	switch {
	case err == nil && m.Active:
		return Conflict(CodeAlreadyMember, "the user is already a member of the company")
	case err == nil:
		return Conflict(CodeAlreadyMember, "the user is already a member of the company (deactivated: reactivate them instead)")
	case isNotFound(err):
		return nil
	}
	return err
}
