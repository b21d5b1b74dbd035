package access

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/uuid"
)

// Seed 002's account accesses: one model, read from the memberships, the
// invitations and tokens (through their SubjectKind.List) and the grants.

// ListAccountAccesses lists the account accesses of the principal's
// company (seed 002): by default its members and pending member
// invitations, with f.Types also its API tokens, each with every
// permission it holds. With f.Resources, only the accesses holding a grant
// on one of them. One keyset page ordered by ID across the kinds. Needs
// ADMIN or above on the account. Errors: ErrInvalid naming the field
// (specifier_types, resource_type, resource_id, cursor, limit); Level's.
func (s *Service) ListAccountAccesses(ctx context.Context, p Principal, f AccessFilter) (Page[AccountAccess], error) {
	c, err := f.Page.Cursor()
	if err != nil {
		return Page[AccountAccess]{}, err
	}
	types, err := s.accessTypes(f.Types)
	if err != nil {
		return Page[AccountAccess]{}, err
	}
	var res []Resource
	for _, r := range f.Resources {
		r, err := r.normalize()
		if err != nil {
			return Page[AccountAccess]{}, err
		}
		res = append(res, r)
	}
	if err := s.CheckLevel(ctx, p, Resource{Type: ResourceAccount}, LevelAdmin); err != nil {
		return Page[AccountAccess]{}, err
	}
	limit := c.Limit
	c.Limit++
	var rows []AccountAccess
	for _, t := range types {
		got, err := s.accessesOf(ctx, p.CompanyID, t, res, c)
		if err != nil {
			return Page[AccountAccess]{}, err
		}
		rows = append(rows, got...)
	}
	// Each kind gave its first Limit+1 after the cursor: the first
	// Limit+1 of their union are the page and the sign of a next one.
	slices.SortFunc(rows, func(a, b AccountAccess) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	page := pageOf(rows, limit, func(a AccountAccess) uuid.UUID { return a.ID })
	if err := s.fillAccesses(ctx, p.CompanyID, page.Items); err != nil {
		return Page[AccountAccess]{}, err
	}
	return page, nil
}

// accessTypes checks the asked specifier types (default User and Invite).
func (s *Service) accessTypes(asked []SubjectType) ([]SubjectType, error) {
	if len(asked) == 0 {
		asked = []SubjectType{SubjectUser, SubjectInvite}
	}
	var out []SubjectType
	for _, t := range asked {
		if t != SubjectUser {
			if k, ok := s.subjectKind(t); !ok || k.List == nil {
				return nil, Invalid("specifier_types", "specifier type %q has no account accesses (User, Invite, ApiToken)", t)
			}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// accessesOf lists at most c.Limit accesses of type t after the cursor,
// ordered by ID, without their resources.
func (s *Service) accessesOf(ctx context.Context, companyID uuid.UUID, t SubjectType, res []Resource, c Cursor) ([]AccountAccess, error) {
	if t == SubjectUser {
		var ms []Member
		var err error
		if len(res) == 0 {
			ms, err = s.store.ListMembers(ctx, companyID, nil, c)
		} else {
			ms, err = s.store.ListMembersHolding(ctx, companyID, res, c)
		}
		if err != nil {
			return nil, err
		}
		out := make([]AccountAccess, len(ms))
		level := s.levelsOf(ctx, companyID)
		for i, m := range ms {
			l, err := level(m.Role)
			if err != nil {
				return nil, err
			}
			out[i] = s.memberAccess(m, l)
		}
		return out, nil
	}
	k, _ := s.subjectKind(t)
	if len(res) == 0 {
		return k.List(ctx, companyID, SubjectQuery{After: c.After, Limit: c.Limit})
	}
	// The grant holders in ID order; those that no longer stand (an
	// invitation expired, say) drop out, so walk on until the page fills.
	var out []AccountAccess
	for {
		ids, err := s.store.ListGrantSubjects(ctx, companyID, t, res, c)
		if err != nil || len(ids) == 0 {
			return out, err
		}
		got, err := k.List(ctx, companyID, SubjectQuery{IDs: ids})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(out) >= c.Limit || len(ids) < c.Limit {
			return out[:min(len(out), c.Limit)], nil
		}
		c.After = ids[len(ids)-1]
	}
}

// memberAccess is a member's account access: their membership.
func (s *Service) memberAccess(m Member, level int) AccountAccess {
	name := m.User.FullName()
	if name == "" {
		name = m.User.Email
	}
	return AccountAccess{ID: m.ID, CompanyID: m.CompanyID, Subject: Subject{Type: SubjectUser, ID: m.UserID},
		Role: m.Role, Level: level, Active: m.Active,
		Specifier: Specifier{Email: m.User.Email, Name: name}}
}

// fillAccesses adds their resources to listed accesses (the account level
// first, then the grants, read in pages of every subject at once) and
// names the tokens' authors (one read for all of them).
func (s *Service) fillAccesses(ctx context.Context, companyID uuid.UUID, rows []AccountAccess) error {
	if len(rows) == 0 {
		return nil
	}
	subs := make([]Subject, len(rows))
	for i, a := range rows {
		subs[i] = a.Subject
	}
	held := map[Subject][]Grant{}
	c := Cursor{Limit: MaxPageLimit}
	for {
		page, err := s.store.ListGrants(ctx, companyID, GrantQuery{Subjects: subs}, c)
		if err != nil {
			return err
		}
		for _, g := range page {
			held[g.Subject] = append(held[g.Subject], g)
		}
		if len(page) < c.Limit {
			break
		}
		c.After = page[len(page)-1].ID
	}
	var by []uuid.UUID
	for _, a := range rows {
		if a.Specifier.CreatedBy != uuid.Nil {
			by = append(by, a.Specifier.CreatedBy)
		}
	}
	authors, err := s.store.GetUsers(ctx, by)
	if err != nil {
		return err
	}
	names := make(map[uuid.UUID]string, len(authors))
	for _, u := range authors {
		if names[u.ID] = u.FullName(); names[u.ID] == "" {
			names[u.ID] = u.Email
		}
	}
	for i := range rows {
		a := &rows[i]
		for _, g := range held[a.Subject] {
			if g.Resource.Type == ResourceAccount {
				a.Level = max(a.Level, g.Level) // as Level reads it
			}
		}
		a.Resources = append(a.Resources[:0], ResourceLevel{Resource: Resource{Type: ResourceAccount}, Level: a.Level})
		for _, g := range held[a.Subject] {
			if g.Resource.Type != ResourceAccount {
				a.Resources = append(a.Resources, ResourceLevel{Resource: g.Resource, Level: g.Level, GrantID: g.ID})
			}
		}
		if by := a.Specifier.CreatedBy; by != uuid.Nil {
			a.Specifier.AuthorName = names[by]
		}
	}
	return nil
}

// findAccess is the account access with id in the company, with its
// resources: a membership's, else a registered kind's. ErrNotFound
// (CodeAccessNotFound) if none stands.
func (s *Service) findAccess(ctx context.Context, companyID, id uuid.UUID) (AccountAccess, error) {
	var a AccountAccess
	m, err := s.store.GetMembershipByID(ctx, companyID, id)
	switch {
	case err == nil:
		mem, err := s.store.GetMember(ctx, companyID, m.UserID)
		if err != nil {
			return AccountAccess{}, err
		}
		l, err := s.RoleLevel(ctx, companyID, mem.Role)
		if err != nil {
			return AccountAccess{}, err
		}
		a = s.memberAccess(mem, l)
	case !isNotFound(err):
		return AccountAccess{}, err
	default:
		found := false
		for _, t := range []SubjectType{SubjectInvite, SubjectToken} {
			k, ok := s.subjectKind(t)
			if !ok || k.List == nil {
				continue
			}
			got, err := k.List(ctx, companyID, SubjectQuery{IDs: []uuid.UUID{id}})
			if err != nil {
				return AccountAccess{}, err
			}
			if len(got) == 1 {
				a, found = got[0], true
				break
			}
		}
		if !found {
			return AccountAccess{}, NotFound(CodeAccessNotFound)
		}
	}
	rows := []AccountAccess{a}
	if err := s.fillAccesses(ctx, companyID, rows); err != nil {
		return AccountAccess{}, err
	}
	return rows[0], nil
}

// GetAccountAccess returns one account access of the principal's company.
// Needs ADMIN or above on the account. ErrNotFound (CodeAccessNotFound)
// for an ID that is no standing access of the company.
func (s *Service) GetAccountAccess(ctx context.Context, p Principal, id uuid.UUID) (AccountAccess, error) {
	if err := s.CheckLevel(ctx, p, Resource{Type: ResourceAccount}, LevelAdmin); err != nil {
		return AccountAccess{}, err
	}
	return s.findAccess(ctx, p.CompanyID, id)
}

// RemoveAccountAccess removes an account access of the principal's
// company (seed 002), in one transaction: a member loses all access to
// the account (RemoveMembership: the membership with every grant; the rank
// rules hold and the last active OWNER stays, ErrLastOwner), an invitation
// is withdrawn, a token revoked (their SubjectKind.Withdraw, under the
// rules of invite.Service.Revoke and token.Service.Revoke), with their
// grants. It needs ADMIN or above on the account and returns the access as
// it was. ErrNotFound (CodeAccessNotFound) for an ID that is no standing
// access of the company.
func (s *Service) RemoveAccountAccess(ctx context.Context, p Principal, id uuid.UUID) (AccountAccess, error) {
	var out AccountAccess
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.CheckLevel(ctx, p, Resource{Type: ResourceAccount}, LevelAdmin); err != nil {
			return err
		}
		a, err := s.findAccess(ctx, p.CompanyID, id)
		if err != nil {
			return err
		}
		out = a
		if a.Subject.Type == SubjectUser {
			return s.RemoveMembership(ctx, p, a.Subject.ID, a.ID)
		}
		k, _ := s.subjectKind(a.Subject.Type)
		if k.Withdraw == nil {
			return Invalid("account_access_id", "a %s cannot be withdrawn", a.Subject.Type)
		}
		if err := k.Withdraw(ctx, p, a.Subject.ID); err != nil {
			return err
		}
		_, err = s.RemoveSubjectGrants(ctx, p, a.Subject)
		return err
	})
	return out, err
}

// maxPermissionChanges bounds one UpdateAccessPermissions.
const maxPermissionChanges = 100

// UpdateAccessPermissions creates, updates or removes permissions of one
// account access of the principal's company (seed 002's
// permissions/bulk), all in one transaction: every item or none. A
// resource item sets the specifier's grant on it (created if it has none)
// or, with Destroy, removes it (nothing to remove is no change), under
// Grant's and Revoke's rank rules for every item: ADMIN or above on the
// resource, never a level above one's own there, and only an OWNER touches
// a grant at or above their own level. The account item of a member
// changes their role to the built-in role of that level, as UpdateMember
// does (USER_EDIT, the rank rules, the last active OWNER stays:
// ErrLastOwner); an invitation's or token's account level is fixed when
// it is made (ErrInvalid), and a member's account permission goes only
// with the whole access (RemoveAccountAccess). It returns the access as
// updated. Errors name the item: ErrInvalid with Field
// "permissions[i].resource_type" and the like; ErrForbidden and
// ErrConflict with "permissions[i]: " before their message; ErrNotFound
// (CodeAccessNotFound) for an unknown access.
func (s *Service) UpdateAccessPermissions(ctx context.Context, p Principal, id uuid.UUID, items []PermissionChange) (AccountAccess, error) {
	changes, err := s.parseChanges(p, items)
	if err != nil {
		return AccountAccess{}, err
	}
	var out AccountAccess
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.lockCompany(ctx, p); err != nil {
			return err
		}
		if err := s.CheckLevel(ctx, p, Resource{Type: ResourceAccount}, LevelAdmin); err != nil {
			return err
		}
		a, err := s.findAccess(ctx, p.CompanyID, id)
		if err != nil {
			return err
		}
		held, err := s.allGrants(ctx, p.CompanyID, a.Subject)
		if err != nil {
			return err
		}
		for i, ch := range changes {
			if err := s.applyChange(ctx, p, a, held, ch); err != nil {
				return itemError(i, err)
			}
		}
		out, err = s.findAccess(ctx, p.CompanyID, id)
		return err
	})
	return out, err
}

// permissionChange is a checked PermissionChange.
type permissionChange struct {
	res     Resource
	level   int
	destroy bool
}

func (s *Service) parseChanges(p Principal, items []PermissionChange) ([]permissionChange, error) {
	switch {
	case len(items) == 0:
		return nil, Invalid("permissions", "permissions lists at least one item")
	case len(items) > maxPermissionChanges:
		return nil, Invalid("permissions", "permissions lists at most %d items", maxPermissionChanges)
	}
	out := make([]permissionChange, len(items))
	for i, it := range items {
		r := it.Resource
		if t, _ := r.normalize(); t.Type == ResourceAccount && r.ID != "" && r.ID != p.CompanyID.String() {
			return nil, itemError(i, Invalid("resource_id", "the account's resource_id is the account's own ID"))
		}
		r, err := r.normalize()
		if err != nil {
			return nil, itemError(i, err)
		}
		ch := permissionChange{res: r, destroy: it.Destroy}
		if !it.Destroy {
			if it.Level == "" {
				return nil, itemError(i, Invalid("access_level", "access_level is required unless _destroy is true"))
			}
			if ch.level, err = ParseAccessLevel("access_level", it.Level); err != nil {
				return nil, itemError(i, err)
			}
		}
		for j := range i {
			if out[j].res == r {
				return nil, itemError(i, Invalid("resource_id", "the resource is listed twice"))
			}
		}
		out[i] = ch
	}
	return out, nil
}

// itemError names item i of a bulk change in err.
func itemError(i int, err error) error {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return err
	}
	c := *e
	prefix := fmt.Sprintf("permissions[%d]", i)
	if c.Field != "" {
		c.Field = prefix + "." + c.Field
	} else {
		c.Message = prefix + ": " + c.Message
	}
	return &c
}

// builtinByLevel names the built-in role of each account level.
var builtinByLevel = map[int]string{LevelOwner: RoleOwner, LevelAdmin: RoleAdmin, LevelViewerPlus: RoleViewerPlus, LevelViewer: RoleViewer}

// applyChange applies one checked item to access a, whose grants before
// the change are held.
func (s *Service) applyChange(ctx context.Context, p Principal, a AccountAccess, held []Grant, ch permissionChange) error {
	if ch.res.Type == ResourceAccount {
		switch {
		case a.Subject.Type != SubjectUser:
			return Invalid("access_level", "the account level of a %s is set when it is made", a.Subject.Type)
		case ch.destroy:
			return Invalid("_destroy", "a member's account permission goes only with the whole account access")
		case s.catalog.Level(a.Role) == ch.level:
			return nil // a host role of that level stays
		}
		code := builtinByLevel[ch.level]
		role, ok := s.catalog.roles[code]
		if !ok {
			return Invalid("access_level", "no role has level %d", ch.level)
		}
		act, err := s.Authorize(ctx, p, UserEdit)
		if err != nil {
			return err
		}
		m, err := s.store.GetMembershipByID(ctx, p.CompanyID, a.ID)
		if err != nil {
			return err
		}
		_, err = s.changeMembership(ctx, p, act, Member{Membership: m}, memberChange{role: role})
		return err
	}
	i := slices.IndexFunc(held, func(g Grant) bool { return g.Resource == ch.res })
	switch {
	case ch.destroy && i < 0:
		return nil
	case ch.destroy:
		_, err := s.Revoke(ctx, p, held[i].ID)
		return err
	case i < 0:
		_, err := s.Grant(ctx, p, NewGrant{Subject: a.Subject, Resource: ch.res, Level: ch.level})
		return err
	}
	return s.regrant(ctx, p, held[i], ch.level)
}

// regrant changes the level of grant g: the rules of revoking it and of
// granting the new level, both.
func (s *Service) regrant(ctx context.Context, p Principal, g Grant, level int) error {
	if g.Level == level {
		return nil
	}
	mine, err := s.Level(ctx, p, g.Resource)
	if err != nil {
		return err
	}
	if err := administers(mine, g.Resource); err != nil {
		return err
	}
	if !outranks(mine, g.Level, mine >= LevelOwner) {
		return Forbidden("only an OWNER may change a grant at or above their own level (%d on %s)", g.Level, g.Resource.Type)
	}
	if err := withinOwn(level, mine); err != nil {
		return err
	}
	if err := s.store.UpdateGrantLevel(ctx, p.CompanyID, g.ID, level); err != nil {
		return err
	}
	return s.Audit(ctx, p, p.CompanyID, "grant.updated", subjectTarget(g.Subject), map[string]string{
		"resource_type": g.Resource.Type, "resource_id": g.Resource.ID,
		"level_from": strconv.Itoa(g.Level), "level": strconv.Itoa(level)})
}

// ListAccounts lists the accounts the principal can act in (GET
// /api/accounts), with its level in each, in keyset pages: first its own,
// then the customers it reaches through a connection.
//
//   - Own: a user's companies where they are an active member (a confined
//     session: those in its scope), ordered by membership, at the level
//     Level reads; an API token's own company, at its level there.
//   - Reached: a user's customers connected to an agency where they are
//     an active member in an agency role (a confined session: through its
//     own companies), unless they hold a membership there (a membership
//     outranks a connection), ordered by company ID; a token's customers
//     connected to its own company as agency, ordered by connection. Each
//     at the rank the agency acts at there (Authorize: ADMIN, a token's
//     at most its own level); one the principal cannot act in at the time
//     of the call (Authorize refuses it) is left out.
//
// The system principal acts everywhere and lists none (ErrForbidden).
// Errors: ErrInvalid naming limit or cursor.
func (s *Service) ListAccounts(ctx context.Context, p Principal, pr PageRequest) (Page[Account], error) {
	switch p.Kind {
	case PrincipalSystem:
		return Page[Account]{}, Forbidden("the system principal acts in every account and lists none")
	case PrincipalUser, PrincipalToken:
	default:
		return Page[Account]{}, Unauthenticated("no principal")
	}
	c, err := PageRequest{Limit: pr.Limit}.Cursor()
	if err != nil {
		return Page[Account]{}, err
	}
	out := Page[Account]{Items: []Account{}}
	after, reached := parseReachedCursor(pr.After)
	if !reached {
		own, err := s.ownAccounts(ctx, p, pr)
		if err != nil || own.Next != "" {
			return own, err
		}
		out.Items = own.Items
	}
	items, last, more, err := s.reachedAccounts(ctx, p, after, c.Limit-len(out.Items))
	if err != nil {
		return Page[Account]{}, err
	}
	out.Items = append(out.Items, items...)
	if more {
		out.Next = reachedCursor(last)
	}
	return out, nil
}

// ownAccounts is ListAccounts' first part: the principal's own companies.
func (s *Service) ownAccounts(ctx context.Context, p Principal, pr PageRequest) (Page[Account], error) {
	if p.Kind == PrincipalToken {
		if _, err := pr.Cursor(); err != nil {
			return Page[Account]{}, err
		}
		if pr.After != "" {
			return Page[Account]{Items: []Account{}}, nil
		}
		own := p.In(p.TokenCompanyID)
		if p.TokenCompanyID == uuid.Nil {
			own = p
		}
		lvl, err := s.Level(ctx, own, Resource{Type: ResourceAccount})
		if err != nil {
			return Page[Account]{}, err
		}
		c, err := s.store.GetCompany(ctx, own.CompanyID)
		if err != nil {
			return Page[Account]{}, err
		}
		return Page[Account]{Items: []Account{{Company: c, Level: lvl}}}, nil
	}
	active := true
	page, err := s.ListMyCompanies(ctx, p, MemberFilter{Active: &active, Page: pr})
	if err != nil {
		return Page[Account]{}, err
	}
	out := Page[Account]{Items: make([]Account, 0, len(page.Items)), Next: page.Next}
	for _, uc := range page.Items {
		lvl, err := s.Level(ctx, p.In(uc.CompanyID), Resource{Type: ResourceAccount})
		if isDenial(err) {
			continue
		}
		if err != nil {
			return Page[Account]{}, err
		}
		out.Items = append(out.Items, Account{Company: uc.Company, Level: lvl})
	}
	return out, nil
}

// reachedAccounts is ListAccounts' second part: at most room customers
// the principal reaches, after the key after (a company's ID for a user,
// a connection's for a token), with the key of the last one looked at and
// whether there are more.
func (s *Service) reachedAccounts(ctx context.Context, p Principal, after uuid.UUID, room int) ([]Account, uuid.UUID, bool, error) {
	type candidate struct {
		key     uuid.UUID
		company uuid.UUID
		co      *Company
	}
	var cands []candidate
	if p.Kind == PrincipalToken {
		agency := p.TokenCompanyID
		if agency == uuid.Nil {
			agency = p.CompanyID
		}
		c := Cursor{After: after, Limit: min(room+1, MaxPageLimit)}
		for len(cands) <= room {
			conns, err := s.store.ListConnections(ctx, agency, c)
			if err != nil {
				return nil, uuid.Nil, false, err
			}
			for _, cn := range conns {
				if cn.AgencyID == agency {
					cands = append(cands, candidate{key: cn.ID, company: cn.CustomerID})
				}
			}
			if len(conns) < c.Limit {
				break
			}
			c.After = conns[len(conns)-1].ID
		}
	} else {
		q := ReachQuery{UserID: p.UserID, AgencyRoles: s.agencyRoles}
		if p.SessionConfined {
			q.Agencies = append([]uuid.UUID{p.SessionHome}, p.SessionCompanies...)
		}
		cos, err := s.store.ListReachedCustomers(ctx, q, Cursor{After: after, Limit: room + 1})
		if err != nil {
			return nil, uuid.Nil, false, err
		}
		for i := range cos {
			cands = append(cands, candidate{key: cos[i].ID, company: cos[i].ID, co: &cos[i]})
		}
	}
	more := len(cands) > room
	cands = cands[:min(len(cands), room)]
	last := after
	out := make([]Account, 0, len(cands))
	for _, cd := range cands {
		last = cd.key
		a, err := s.Authorize(ctx, p.In(cd.company), "")
		if isDenial(err) {
			continue
		}
		if err != nil {
			return nil, uuid.Nil, false, err
		}
		co := cd.co
		if co == nil {
			c, err := s.store.GetCompany(ctx, cd.company)
			if err != nil {
				return nil, uuid.Nil, false, err
			}
			co = &c
		}
		out = append(out, Account{Company: *co, Level: a.Level()})
	}
	return out, last, more, nil
}

// reachedCursor is the cursor of ListAccounts' reached customers after
// key: a 1 before the key, so that it never reads as a membership's.
func reachedCursor(key uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{1}, key[:]...))
}

func parseReachedCursor(s string) (uuid.UUID, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 17 || b[0] != 1 {
		return uuid.Nil, false
	}
	return uuid.UUID(b[1:]), true
}

// ListAccountResources lists the resources of the principal's company
// that it administers (ADMIN or above), with its level on each (seed
// 002's permissions/resources): for an administrator of the account, the
// account itself holding the resources on which grants are held; for
// anyone else, those of the resources they administer. Gatehouse keeps no
// names of a host's resources: a resource is named by its ID, the account
// by the company's name. One page of the granted resources (ordered by
// type, then ID); Next continues it.
func (s *Service) ListAccountResources(ctx context.Context, p Principal, pr PageRequest) (Page[AccountResource], error) {
	c, err := PageRequest{Limit: pr.Limit}.Cursor()
	if err != nil {
		return Page[AccountResource]{}, err
	}
	limit := c.Limit
	after, err := parseResourceCursor(pr.After)
	if err != nil {
		return Page[AccountResource]{}, err
	}
	account := Resource{Type: ResourceAccount}
	mine, err := s.Level(ctx, p, account)
	if err != nil {
		return Page[AccountResource]{}, err
	}
	rs, err := s.store.ListGrantResources(ctx, p.CompanyID, after, limit+1)
	if err != nil {
		return Page[AccountResource]{}, err
	}
	var next string
	if len(rs) > limit {
		rs = rs[:limit]
		next = resourceCursor(rs[len(rs)-1])
	}
	nodes := []AccountResource{}
	for _, r := range rs {
		lvl, err := s.Level(ctx, p, r)
		if err != nil {
			return Page[AccountResource]{}, err
		}
		if lvl >= LevelAdmin {
			nodes = append(nodes, AccountResource{Resource: r, Name: r.ID, Level: lvl, Resources: []AccountResource{}})
		}
	}
	if mine < LevelAdmin {
		return Page[AccountResource]{Items: nodes, Next: next}, nil
	}
	co, err := s.store.GetCompany(ctx, p.CompanyID)
	if err != nil {
		return Page[AccountResource]{}, err
	}
	return Page[AccountResource]{Items: []AccountResource{{Resource: account, Name: co.Name, Level: mine, Resources: nodes}}, Next: next}, nil
}
