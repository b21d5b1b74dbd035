package memstore

import (
	"context"
	"slices"
	"time"

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

// memberRow is a membership as the store keeps it: 88 bytes and no
// pointer (role, extra and withheld permissions are an interned shape).
type memberRow struct {
	id, company, user, createdBy uuid.UUID
	created, updated             stamp
	shape                        uint32
	flags                        uint8
}

const (
	memberActive uint8 = 1 << iota
	memberPrimary
	memberAllowSwitch
	memberOddTimes // the times are in memberTables.times, not the stamps
)

// memberTables holds the memberships and the indexes of their listings.
// CheckAccess reads members and the row it points to: two look-ups, no
// copy. The membership tables find rows by the keys the rows hold.
type memberTables struct {
	rows           rows[memberRow]
	shapes         shapes
	members        refTable[memberKey]
	memberByID     refTable[uuid.UUID]
	times          table[ref, [2]time.Time] // rows whose times do not fit a stamp
	companyMembers refIndex[uuid.UUID]
	companyByFlag  refIndex[flagKey]
	idOf           func(ref) uuid.UUID // a membership's ID, the indexes' order
	// activeOwners counts each company's active OWNERs (a number per
	// company, none per membership), kept by every write of a
	// membership, so the last-owner rule reads one number, not the
	// company's members.
	activeOwners table[uuid.UUID, int]
}

func (t *memberTables) init() {
	*t = memberTables{times: table[ref, [2]time.Time]{}, companyMembers: refIndex[uuid.UUID]{},
		companyByFlag: refIndex[flagKey]{}, activeOwners: table[uuid.UUID, int]{}}
	t.shapes.init()
	t.idOf = func(r ref) uuid.UUID { return t.rows.at(r).id }
	t.members = newRefTable(func(r ref) memberKey { p := t.rows.at(r); return memberKey{p.company, p.user} })
	t.memberByID = newRefTable(t.idOf)
}

func flagIf(b bool, f uint8) uint8 {
	if b {
		return f
	}
	return 0
}

func (r *memberRow) active() bool { return r.flags&memberActive != 0 }

// row compacts m, telling whether its times need keeping beside the row.
func (t *memberTables) row(m *access.Membership) (memberRow, bool) {
	c, okc := packTime(m.CreatedAt)
	u, oku := packTime(m.UpdatedAt)
	r := memberRow{id: m.ID, company: m.CompanyID, user: m.UserID, createdBy: m.CreatedBy, created: c, updated: u,
		shape: t.shapes.id(m.Role, m.Extra, m.Withheld),
		flags: flagIf(m.Active, memberActive) | flagIf(m.Primary, memberPrimary) | flagIf(m.AllowSwitch, memberAllowSwitch)}
	if !okc || !oku {
		r.flags |= memberOddTimes
	}
	return r, r.flags&memberOddTimes != 0
}

// since is the row's CreatedAt.
func (t *memberTables) since(i ref, r *memberRow) time.Time {
	if r.flags&memberOddTimes != 0 {
		return t.times[i][0]
	}
	return r.created.time()
}

// membership rebuilds the membership in row i; its Extra and Withheld are
// the shape's own slices: clone them before they leave the store.
func (t *memberTables) membership(i ref) access.Membership {
	r := t.rows.at(i)
	sh := &t.shapes.list[r.shape]
	m := access.Membership{ID: r.id, CompanyID: r.company, UserID: r.user, Role: sh.role, Extra: sh.extra, Withheld: sh.withheld,
		Active: r.active(), Primary: r.flags&memberPrimary != 0, AllowSwitch: r.flags&memberAllowSwitch != 0,
		CreatedBy: r.createdBy}
	if r.flags&memberOddTimes != 0 {
		ts := t.times[i]
		m.CreatedAt, m.UpdatedAt = ts[0], ts[1]
	} else {
		m.CreatedAt, m.UpdatedAt = r.created.time(), r.updated.time()
	}
	return m
}

func cloneMembership(m access.Membership) access.Membership {
	m.Extra, m.Withheld = slices.Clone(m.Extra), slices.Clone(m.Withheld)
	return m
}

// putMembership writes m to row i (a new row if i < 0) and files it in
// the indexes; the previous version, if any, was unfiled first.
func (a *accessTables) putMembership(t *tx, i ref, m *access.Membership) ref {
	r, odd := a.memberTables.row(m)
	if i < 0 {
		i = a.rows.add(t, r)
		a.members.add(t, memberKey{m.CompanyID, m.UserID}, i)
		a.memberByID.add(t, m.ID, i)
	} else {
		a.rows.set(t, i, r)
	}
	if odd {
		a.times.put(t, i, [2]time.Time{m.CreatedAt, m.UpdatedAt})
	} else {
		a.times.del(t, i)
	}
	a.companyMembers.add(t, m.CompanyID, i, a.idOf)
	a.companyByFlag.add(t, flagKey{m.CompanyID, m.Active}, i, a.idOf)
	a.linkMember(t, i)
	a.countOwner(t, m, 1)
	return i
}

// unindexMembership takes row i out of the indexes (the row stays).
func (a *accessTables) unindexMembership(t *tx, i ref, m access.Membership) {
	a.companyMembers.del(t, m.CompanyID, i, a.idOf)
	a.companyByFlag.del(t, flagKey{m.CompanyID, m.Active}, i, a.idOf)
	a.unlinkMember(t, i)
	a.countOwner(t, &m, -1)
}

// countOwner adds delta to the company's count of active OWNERs if m is
// one: an active OWNER membership of a user who is not disabled (a
// disabled user acts nowhere, so owns nothing that the last-owner rule
// could keep). UpdateUser recounts a user's memberships when the status
// changes, so the count stays exact whichever changes first.
func (a *accessTables) countOwner(t *tx, m *access.Membership, delta int) {
	if !m.Active || m.Role != access.RoleOwner {
		return
	}
	if u, ok := a.userByID.get(m.UserID); ok && a.userRows.at(u).status == access.UserDisabled {
		return
	}
	if n := a.activeOwners[m.CompanyID] + delta; n > 0 {
		a.activeOwners.put(t, m.CompanyID, n)
	} else {
		a.activeOwners.del(t, m.CompanyID)
	}
}

// updateMembership rewrites row i from old to nm (same ID, company and
// user), refiling it only where a key changed: a role change touches no
// list of the company, so its cost does not grow with the company.
func (a *accessTables) updateMembership(t *tx, i ref, old, nm *access.Membership) {
	r, odd := a.memberTables.row(nm)
	moved := old.Active != nm.Active
	if moved {
		a.companyByFlag.del(t, flagKey{old.CompanyID, old.Active}, i, a.idOf)
	}
	a.unlinkMember(t, i) // the user's links follow the flags
	a.countOwner(t, old, -1)
	a.rows.set(t, i, r)
	if odd {
		a.times.put(t, i, [2]time.Time{nm.CreatedAt, nm.UpdatedAt})
	} else {
		a.times.del(t, i)
	}
	if moved {
		a.companyByFlag.add(t, flagKey{nm.CompanyID, nm.Active}, i, a.idOf)
	}
	a.linkMember(t, i)
	a.countOwner(t, nm, 1)
}

// links are the memberships kept in the row of membership i's user.
func (a *accessTables) links(i ref) *userLinks {
	u, _ := a.userByID.get(a.rows.at(i).user)
	return &a.userRows.at(u).links
}

// linkMember files membership i in its user's row, as its flags say.
func (a *accessTables) linkMember(t *tx, i ref) {
	l, r := a.links(i), *a.rows.at(i)
	prev := l.primary
	l.insert(i, r.active(), a.idOf)
	if r.flags&memberPrimary != 0 {
		l.primary = uint32(i) + 1
	}
	t.onUndo(func() {
		l.remove(i, r.active(), a.idOf)
		l.primary = prev
	})
}

// unlinkMember takes membership i out of its user's row.
func (a *accessTables) unlinkMember(t *tx, i ref) {
	l, r := a.links(i), *a.rows.at(i)
	prev := l.primary
	l.remove(i, r.active(), a.idOf)
	if prev == uint32(i)+1 {
		l.primary = 0
	}
	t.onUndo(func() {
		l.insert(i, r.active(), a.idOf)
		l.primary = prev
	})
}

// part is the active or inactive part of the links, and where it starts.
func (l *userLinks) part(active bool) ([]ref, int) {
	if active {
		return l.members[:l.active], 0
	}
	return l.members[l.active:], int(l.active)
}

func (l *userLinks) insert(i ref, active bool, idOf func(ref) uuid.UUID) {
	p, at := l.part(active)
	k, _ := refsSearch(p, idOf(i), idOf)
	l.members = slices.Insert(l.members, at+k, i)
	if active {
		l.active++
	}
}

func (l *userLinks) remove(i ref, active bool, idOf func(ref) uuid.UUID) {
	p, at := l.part(active)
	if k, ok := refsSearch(p, idOf(i), idOf); ok {
		l.members = slices.Delete(l.members, at+k, at+k+1)
		if active {
			l.active--
		}
	}
	if len(l.members) == 0 {
		l.members = nil
	}
}

// after returns, in ID order, at most limit of the memberships whose IDs
// are greater than after: both parts, or the one active names.
func (l *userLinks) after(active *bool, after uuid.UUID, limit int, idOf func(ref) uuid.UUID) []ref {
	if active != nil {
		p, _ := l.part(*active)
		p = refsAfter(p, after, idOf)
		return p[:min(len(p), limit)]
	}
	x, y := refsAfter(l.members[:l.active], after, idOf), refsAfter(l.members[l.active:], after, idOf)
	out := make([]ref, 0, min(len(x)+len(y), limit))
	for len(out) < cap(out) {
		if len(y) == 0 || (len(x) > 0 && compareID(idOf(x[0]), idOf(y[0])) < 0) {
			out, x = append(out, x[0]), x[1:]
		} else {
			out, y = append(out, y[0]), y[1:]
		}
	}
	return out
}

// checkPrimary reports a conflict if m would be the user's second primary
// membership.
func (a *accessTables) checkPrimary(m *access.Membership) error {
	u, _ := a.userByID.get(m.UserID)
	if p := a.userRows.at(u).links.primary; m.Primary && p != 0 && a.rows.at(ref(p-1)).company != m.CompanyID {
		return access.Conflict(access.CodePrimaryTaken, "the user already has a primary membership")
	}
	return nil
}

// CreateMembership implements access.Store. It also refuses a second
// primary membership of the user, as UpdateMembership does.
func (s *Store) CreateMembership(ctx context.Context, m *access.Membership) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if !a.hasUser(m.UserID) {
			return access.NotFound(access.CodeUserNotFound)
		}
		if _, ok := a.companies[m.CompanyID]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		if _, ok := a.members.get(memberKey{m.CompanyID, m.UserID}); ok {
			return access.Conflict(access.CodeAlreadyMember, "the user is already a member of the company")
		}
		if _, ok := a.memberByID.get(m.ID); ok {
			return access.Conflict(access.CodeIDTaken, "membership %s exists", m.ID)
		}
		if err := a.checkPrimary(m); err != nil {
			return err
		}
		a.putMembership(t, -1, m)
		return nil
	})
}

func (s *Store) getMembership(ctx context.Context, lookup func() (ref, bool)) (m access.Membership, err error) {
	if rerr := s.read(ctx, func() {
		i, ok := lookup()
		if !ok {
			err = access.NotFound(access.CodeMembershipNotFound)
			return
		}
		m = cloneMembership(s.acc.membership(i))
	}); rerr != nil {
		return access.Membership{}, rerr
	}
	return m, err
}

// GetMembership implements access.Store.
func (s *Store) GetMembership(ctx context.Context, companyID, userID uuid.UUID) (access.Membership, error) {
	return s.getMembership(ctx, func() (ref, bool) {
		i, ok := s.acc.members.get(memberKey{companyID, userID})
		return i, ok
	})
}

// GetMembershipByID implements access.Store.
func (s *Store) GetMembershipByID(ctx context.Context, companyID, id uuid.UUID) (access.Membership, error) {
	return s.getMembership(ctx, func() (ref, bool) {
		i, ok := s.acc.memberByID.get(id)
		return i, ok && s.acc.rows.at(i).company == companyID
	})
}

// UpdateMembership implements access.Store.
func (s *Store) UpdateMembership(ctx context.Context, m *access.Membership) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		i, ok := a.members.get(memberKey{m.CompanyID, m.UserID})
		if !ok {
			return access.NotFound(access.CodeMembershipNotFound)
		}
		if err := a.checkPrimary(m); err != nil {
			return err
		}
		old := a.membership(i)
		nm := old
		nm.Role, nm.Extra, nm.Withheld, nm.Active, nm.Primary, nm.AllowSwitch, nm.UpdatedAt =
			m.Role, m.Extra, m.Withheld, m.Active, m.Primary, m.AllowSwitch, m.UpdatedAt
		a.updateMembership(t, i, &old, &nm)
		return nil
	})
}

// ClearPrimary implements access.Store.
func (s *Store) ClearPrimary(ctx context.Context, userID uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		u, ok := a.userByID.get(userID)
		if !ok || a.userRows.at(u).links.primary == 0 {
			return nil
		}
		i := ref(a.userRows.at(u).links.primary - 1)
		a.unlinkMember(t, i)
		r := *a.rows.at(i)
		r.flags &^= memberPrimary
		a.rows.set(t, i, r)
		a.linkMember(t, i)
		return nil
	})
}

// deleteMembership removes a membership and its user's grants in the
// company.
func (a *accessTables) deleteMembership(t *tx, k memberKey) {
	i, ok := a.members.get(k)
	if !ok {
		return
	}
	sk := subjectKey{k.company, access.Subject{Type: access.SubjectUser, ID: k.user}}
	for _, gid := range slices.Clone(a.subjectGrants[sk]) {
		a.deleteGrant(t, a.grants[gid])
	}
	m := a.membership(i)
	a.unindexMembership(t, i, m)
	a.members.del(t, k, i)
	a.memberByID.del(t, m.ID, i)
	a.times.del(t, i)
	a.rows.del(t, i)
}

// deleteMemberships removes the memberships of refs (an index's list,
// which it changes).
func (a *accessTables) deleteMemberships(t *tx, refs []ref) {
	for _, i := range slices.Clone(refs) {
		r := a.rows.at(i)
		a.deleteMembership(t, memberKey{r.company, r.user})
	}
}

// DeleteMembership implements access.Store.
func (s *Store) DeleteMembership(ctx context.Context, companyID, userID uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		k := memberKey{companyID, userID}
		if _, ok := s.acc.members.get(k); !ok {
			return access.NotFound(access.CodeMembershipNotFound)
		}
		s.acc.deleteMembership(t, k)
		return nil
	})
}

// CountActiveOwners implements access.Store: one look-up of the count
// every membership write keeps.
func (s *Store) CountActiveOwners(ctx context.Context, companyID uuid.UUID) (n int, err error) {
	err = s.read(ctx, func() { n = s.acc.activeOwners[companyID] })
	return n, err
}

// member fills dst with the membership in row i and its user, in place (a
// page of members is the widest copy the store makes), and, when a creator
// is recorded, writes the creator's summary to creator and points dst at
// it. last carries a page's previous creator along: most members of a
// company share a few creators, so most rows skip that look-up.
func (a *accessTables) member(dst *access.Member, i ref, creator *access.UserSummary, last *access.UserSummary) {
	dst.Membership = cloneMembership(a.membership(i))
	dst.User, _ = a.userOf(dst.UserID)
	by := dst.CreatedBy
	switch {
	case by == uuid.Nil:
		return
	case by == last.ID:
		*creator = *last
	default:
		u, ok := a.userOf(by)
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
		i, ok := s.acc.members.get(memberKey{companyID, userID})
		if !ok {
			err = access.NotFound(access.CodeMembershipNotFound)
			return
		}
		s.acc.member(&out, i, new(access.UserSummary), &access.UserSummary{})
	}); rerr != nil {
		return access.Member{}, rerr
	}
	return out, err
}

// companyMemberRefs is the sorted index a company's member listing walks.
func (a *accessTables) companyMemberRefs(companyID uuid.UUID, active *bool) *refList {
	if active == nil {
		return a.companyMembers[companyID]
	}
	return a.companyByFlag[flagKey{companyID, *active}]
}

// fillMembers fills a page of members, in place; their creators share one
// array.
func (a *accessTables) fillMembers(refs []ref) []access.Member {
	out := make([]access.Member, len(refs))
	creators := make([]access.UserSummary, len(refs))
	var last access.UserSummary
	for i, r := range refs {
		a.member(&out[i], r, &creators[i], &last)
	}
	return out
}

// ListMembers implements access.Store. It is the listing hosts page most.
func (s *Store) ListMembers(ctx context.Context, companyID uuid.UUID, active *bool, c access.Cursor) (out []access.Member, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		var buf [access.DefaultPageLimit]ref
		out = a.fillMembers(a.companyMemberRefs(companyID, active).appendAfter(buf[:0], c.After, limitOf(c), a.idOf))
	})
	return out, err
}

// ListMembersAt implements access.Store: the offset is a slice bound of the
// sorted index, so page 1,000 costs what page 1 does.
func (s *Store) ListMembersAt(ctx context.Context, companyID uuid.UUID, active *bool, offset, limit int) (out []access.Member, err error) {
	err = s.read(ctx, func() {
		var buf [access.DefaultPageLimit]ref
		out = s.acc.fillMembers(s.acc.companyMemberRefs(companyID, active).appendAt(buf[:0], offset, pageLimit(limit)))
	})
	return out, err
}

// ListUserCompanies implements access.Store.
func (s *Store) ListUserCompanies(ctx context.Context, userID uuid.UUID, active *bool, c access.Cursor) (out []access.UserCompany, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		u, ok := a.userByID.get(userID)
		if !ok {
			out = []access.UserCompany{}
			return
		}
		refs := a.userRows.at(u).links.after(active, c.After, limitOf(c), a.idOf)
		out = make([]access.UserCompany, 0, len(refs))
		for _, i := range refs {
			m := cloneMembership(a.membership(i))
			out = append(out, access.UserCompany{Membership: m, Company: cloneCompany(a.companies[m.CompanyID])})
		}
	})
	return out, err
}
