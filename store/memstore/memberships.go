package memstore

import (
	"context"
	"slices"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// memberKey addresses a membership: a user in a company.
type memberKey struct{ company, user uuid.UUID }

// flagKey files a membership under its company or user and its Active flag,
// so filtered listings are pages of their own index.
type flagKey struct {
	owner  uuid.UUID
	active bool
}

// memberTables holds the memberships and the indexes of their listings.
type memberTables struct {
	members table[memberKey, access.Membership]
	// checks is the permission check's compact copy of members: a small
	// inline value keeps the hot look-up as cache-friendly as a bare map.
	checks         table[memberKey, checkRow]
	memberByID     table[uuid.UUID, memberKey]
	primaryOf      table[uuid.UUID, uuid.UUID] // user -> company of the primary membership
	companyMembers idIndex[uuid.UUID]
	companyByFlag  idIndex[flagKey]
	userMembers    idIndex[uuid.UUID]
	userByFlag     idIndex[flagKey]
}

func (t *memberTables) init() {
	*t = memberTables{members: table[memberKey, access.Membership]{}, checks: table[memberKey, checkRow]{},
		memberByID: table[uuid.UUID, memberKey]{}, primaryOf: table[uuid.UUID, uuid.UUID]{},
		companyMembers: idIndex[uuid.UUID]{}, companyByFlag: idIndex[flagKey]{},
		userMembers: idIndex[uuid.UUID]{}, userByFlag: idIndex[flagKey]{}}
}

func cloneMembership(m access.Membership) access.Membership {
	m.Extra = slices.Clone(m.Extra)
	return m
}

func (a *accessTables) indexMembership(t *tx, m access.Membership) {
	a.checks.put(t, memberKey{m.CompanyID, m.UserID}, checkRow{role: m.Role, extra: m.Extra, since: m.CreatedAt, active: m.Active})
	a.memberByID.put(t, m.ID, memberKey{m.CompanyID, m.UserID})
	a.companyMembers.add(t, m.CompanyID, m.ID)
	a.companyByFlag.add(t, flagKey{m.CompanyID, m.Active}, m.ID)
	a.userMembers.add(t, m.UserID, m.ID)
	a.userByFlag.add(t, flagKey{m.UserID, m.Active}, m.ID)
	if m.Primary {
		a.primaryOf.put(t, m.UserID, m.CompanyID)
	}
}

func (a *accessTables) unindexMembership(t *tx, m access.Membership) {
	a.checks.del(t, memberKey{m.CompanyID, m.UserID})
	a.memberByID.del(t, m.ID)
	a.companyMembers.del(t, m.CompanyID, m.ID)
	a.companyByFlag.del(t, flagKey{m.CompanyID, m.Active}, m.ID)
	a.userMembers.del(t, m.UserID, m.ID)
	a.userByFlag.del(t, flagKey{m.UserID, m.Active}, m.ID)
	if m.Primary {
		a.primaryOf.del(t, m.UserID)
	}
}

// checkPrimary reports a conflict if m would be the user's second primary
// membership.
func (a *accessTables) checkPrimary(m *access.Membership) error {
	if c, ok := a.primaryOf[m.UserID]; ok && m.Primary && c != m.CompanyID {
		return access.Conflict(access.CodePrimaryTaken, "the user already has a primary membership")
	}
	return nil
}

// CreateMembership implements access.Store. It also refuses a second
// primary membership of the user, as UpdateMembership does.
func (s *Store) CreateMembership(ctx context.Context, m *access.Membership) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if _, ok := a.users[m.UserID]; !ok {
			return access.NotFound(access.CodeUserNotFound)
		}
		if _, ok := a.companies[m.CompanyID]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		k := memberKey{m.CompanyID, m.UserID}
		if _, ok := a.members[k]; ok {
			return access.Conflict(access.CodeAlreadyMember, "the user is already a member of the company")
		}
		if _, ok := a.memberByID[m.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "membership %s exists", m.ID)
		}
		if err := a.checkPrimary(m); err != nil {
			return err
		}
		nm := cloneMembership(*m)
		a.members.put(t, k, nm)
		a.indexMembership(t, nm)
		return nil
	})
}

func (s *Store) getMembership(ctx context.Context, lookup func() (memberKey, bool)) (m access.Membership, err error) {
	if rerr := s.read(ctx, func() {
		k, ok := lookup()
		if ok {
			m, ok = s.acc.members[k]
		}
		if !ok {
			err = access.NotFound(access.CodeMembershipNotFound)
			return
		}
		m = cloneMembership(m)
	}); rerr != nil {
		return access.Membership{}, rerr
	}
	return m, err
}

// GetMembership implements access.Store.
func (s *Store) GetMembership(ctx context.Context, companyID, userID uuid.UUID) (access.Membership, error) {
	return s.getMembership(ctx, func() (memberKey, bool) { return memberKey{companyID, userID}, true })
}

// GetMembershipByID implements access.Store.
func (s *Store) GetMembershipByID(ctx context.Context, companyID, id uuid.UUID) (access.Membership, error) {
	return s.getMembership(ctx, func() (memberKey, bool) {
		k, ok := s.acc.memberByID[id]
		return k, ok && k.company == companyID
	})
}

// UpdateMembership implements access.Store.
func (s *Store) UpdateMembership(ctx context.Context, m *access.Membership) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		k := memberKey{m.CompanyID, m.UserID}
		old, ok := a.members[k]
		if !ok {
			return access.NotFound(access.CodeMembershipNotFound)
		}
		if err := a.checkPrimary(m); err != nil {
			return err
		}
		nm := old
		nm.Role, nm.Extra, nm.Active, nm.Primary, nm.AllowSwitch, nm.UpdatedAt =
			m.Role, slices.Clone(m.Extra), m.Active, m.Primary, m.AllowSwitch, m.UpdatedAt
		a.unindexMembership(t, old)
		a.indexMembership(t, nm)
		a.members.put(t, k, nm)
		return nil
	})
}

// ClearPrimary implements access.Store.
func (s *Store) ClearPrimary(ctx context.Context, userID uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		companyID, ok := a.primaryOf[userID]
		if !ok {
			return nil
		}
		k := memberKey{companyID, userID}
		m := a.members[k]
		m.Primary = false
		a.members.put(t, k, m)
		a.primaryOf.del(t, userID)
		return nil
	})
}

// deleteMembership removes a membership and its user's grants in the
// company.
func (a *accessTables) deleteMembership(t *tx, k memberKey) {
	m, ok := a.members[k]
	if !ok {
		return
	}
	sk := subjectKey{k.company, access.Subject{Type: access.SubjectUser, ID: k.user}}
	for _, gid := range slices.Clone(a.subjectGrants[sk]) {
		a.deleteGrant(t, a.grants[gid])
	}
	a.unindexMembership(t, m)
	a.members.del(t, k)
}

// DeleteMembership implements access.Store.
func (s *Store) DeleteMembership(ctx context.Context, companyID, userID uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		k := memberKey{companyID, userID}
		if _, ok := s.acc.members[k]; !ok {
			return access.NotFound(access.CodeMembershipNotFound)
		}
		s.acc.deleteMembership(t, k)
		return nil
	})
}

// CountActiveOwners implements access.Store.
func (s *Store) CountActiveOwners(ctx context.Context, companyID uuid.UUID) (n int, err error) {
	err = s.read(ctx, func() {
		for _, id := range s.acc.companyByFlag[flagKey{companyID, true}] {
			if s.acc.members[s.acc.memberByID[id]].Role == access.RoleOwner {
				n++
			}
		}
	})
	return n, err
}

// member fills dst with the membership under k and its user, in place (a
// page of members is the widest copy the store makes), and, when a creator
// is recorded, writes the creator's summary to creator and points dst at
// it. last carries a page's previous creator along: most members of a
// company share a few creators, so most rows skip that look-up.
func (a *accessTables) member(dst *access.Member, k memberKey, creator *access.UserSummary, last *access.UserSummary) {
	dst.Membership = a.members[k]
	dst.Extra = slices.Clone(dst.Extra)
	dst.User = a.users[k.user]
	by := dst.CreatedBy
	switch {
	case by == uuid.Nil:
		return
	case by == last.ID:
		*creator = *last
	default:
		u, ok := a.users[by]
		if !ok {
			return
		}
		*creator = u.Summary()
		*last = *creator
	}
	dst.CreatedByUser = creator
}

// GetMember implements access.Store.
func (s *Store) GetMember(ctx context.Context, companyID, userID uuid.UUID) (out access.Member, err error) {
	if rerr := s.read(ctx, func() {
		k := memberKey{companyID, userID}
		if _, ok := s.acc.members[k]; !ok {
			err = access.NotFound(access.CodeMembershipNotFound)
			return
		}
		s.acc.member(&out, k, new(access.UserSummary), &access.UserSummary{})
	}); rerr != nil {
		return access.Member{}, rerr
	}
	return out, err
}

// companyMemberIDs is the sorted index a company's member listing walks.
func (a *accessTables) companyMemberIDs(companyID uuid.UUID, active *bool) []uuid.UUID {
	if active == nil {
		return a.companyMembers[companyID]
	}
	return a.companyByFlag[flagKey{companyID, *active}]
}

// fillMembers fills a page of members, in place; their creators share one
// array.
func (a *accessTables) fillMembers(ids []uuid.UUID) []access.Member {
	out := make([]access.Member, len(ids))
	creators := make([]access.UserSummary, len(ids))
	var last access.UserSummary
	for i, id := range ids {
		a.member(&out[i], a.memberByID[id], &creators[i], &last)
	}
	return out
}

// ListMembers implements access.Store. It is the listing hosts page most.
func (s *Store) ListMembers(ctx context.Context, companyID uuid.UUID, active *bool, c access.Cursor) (out []access.Member, err error) {
	err = s.read(ctx, func() {
		ids := idsAfter(s.acc.companyMemberIDs(companyID, active), c.After)
		out = s.acc.fillMembers(ids[:min(len(ids), limitOf(c))])
	})
	return out, err
}

// ListMembersAt implements access.Store: the offset is a slice bound of the
// sorted index, so page 1,000 costs what page 1 does.
func (s *Store) ListMembersAt(ctx context.Context, companyID uuid.UUID, active *bool, offset, limit int) (out []access.Member, err error) {
	err = s.read(ctx, func() {
		out = s.acc.fillMembers(window(s.acc.companyMemberIDs(companyID, active), offset, limit))
	})
	return out, err
}

// ListUserCompanies implements access.Store.
func (s *Store) ListUserCompanies(ctx context.Context, userID uuid.UUID, active *bool, c access.Cursor) (out []access.UserCompany, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		row := func(id uuid.UUID) (access.UserCompany, bool) {
			m := a.members[a.memberByID[id]]
			return access.UserCompany{Membership: cloneMembership(m), Company: cloneCompany(a.companies[m.CompanyID])}, true
		}
		if active == nil {
			out = page(a.userMembers, userID, c, row)
		} else {
			out = page(a.userByFlag, flagKey{userID, *active}, c, row)
		}
	})
	return out, err
}
