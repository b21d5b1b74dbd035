package memstore

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

var _ access.Store = (*Store)(nil)

// memberKey addresses a membership: a user in a company.
type memberKey struct{ company, user uuid.UUID }

// flagKey files a membership under its company or user and its Active flag,
// so filtered listings are pages of their own index.
type flagKey struct {
	owner  uuid.UUID
	active bool
}

// grantKey is unique per grant: one subject, one resource, one company.
type grantKey struct {
	company  uuid.UUID
	subject  access.Subject
	resource access.Resource
}

// subjectKey files grants under their holder in one company.
type subjectKey struct {
	company uuid.UUID
	subject access.Subject
}

// pairKey is an unordered pair of companies (smaller ID first).
type pairKey struct{ a, b uuid.UUID }

func pairOf(x, y uuid.UUID) pairKey {
	if compareID(x, y) > 0 {
		x, y = y, x
	}
	return pairKey{x, y}
}

// accessTables holds the state of package access's Store. Rows are values;
// their slices are never changed in place (an update stores a new slice),
// so CheckAccess may read them without copying.
type accessTables struct {
	users       table[uuid.UUID, access.User]
	userByEmail table[string, uuid.UUID]
	userIDs     idIndex[struct{}]
	// usersActiveIn files users under their ActiveCompanyID, so deleting
	// a company clears it without a scan.
	usersActiveIn idIndex[uuid.UUID]

	companies       table[uuid.UUID, access.Company]
	companyByKey    table[string, uuid.UUID]
	companyByDomain table[string, uuid.UUID]

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

	grants         table[uuid.UUID, access.Grant]
	grantByKey     table[grantKey, uuid.UUID]
	companyGrants  idIndex[uuid.UUID]
	subjectGrants  idIndex[subjectKey]
	conns          table[uuid.UUID, access.Connection]
	connByPair     table[pairKey, uuid.UUID]
	companyConns   idIndex[uuid.UUID] // both sides
	customerConns  idIndex[uuid.UUID]
	audit          table[uuid.UUID, access.AuditEvent]
	companyAuditIx idIndex[uuid.UUID]
}

func (t *accessTables) init() {
	*t = accessTables{
		users: table[uuid.UUID, access.User]{}, userByEmail: table[string, uuid.UUID]{},
		userIDs: idIndex[struct{}]{}, usersActiveIn: idIndex[uuid.UUID]{},
		companies: table[uuid.UUID, access.Company]{}, companyByKey: table[string, uuid.UUID]{},
		companyByDomain: table[string, uuid.UUID]{},
		members:         table[memberKey, access.Membership]{}, memberByID: table[uuid.UUID, memberKey]{},
		checks:    table[memberKey, checkRow]{},
		primaryOf: table[uuid.UUID, uuid.UUID]{}, companyMembers: idIndex[uuid.UUID]{},
		companyByFlag: idIndex[flagKey]{}, userMembers: idIndex[uuid.UUID]{}, userByFlag: idIndex[flagKey]{},
		grants: table[uuid.UUID, access.Grant]{}, grantByKey: table[grantKey, uuid.UUID]{},
		companyGrants: idIndex[uuid.UUID]{}, subjectGrants: idIndex[subjectKey]{},
		conns: table[uuid.UUID, access.Connection]{}, connByPair: table[pairKey, uuid.UUID]{},
		companyConns: idIndex[uuid.UUID]{}, customerConns: idIndex[uuid.UUID]{},
		audit: table[uuid.UUID, access.AuditEvent]{}, companyAuditIx: idIndex[uuid.UUID]{},
	}
}

// idIndex keeps, per key, the IDs of the rows filed under it sorted by
// their bytes, so a keyset page is a binary search and a slice. Mutations
// happen under the write lock and are undoable like table's.
type idIndex[K comparable] map[K][]uuid.UUID

func compareID(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }

func (ix idIndex[K]) add(t *tx, k K, id uuid.UUID) {
	if ix.insert(k, id) {
		t.onUndo(func() { ix.remove(k, id) })
	}
}

func (ix idIndex[K]) del(t *tx, k K, id uuid.UUID) {
	if ix.remove(k, id) {
		t.onUndo(func() { ix.insert(k, id) })
	}
}

func (ix idIndex[K]) insert(k K, id uuid.UUID) bool {
	ids := ix[k]
	i, found := slices.BinarySearchFunc(ids, id, compareID)
	if found {
		return false
	}
	ix[k] = slices.Insert(ids, i, id)
	return true
}

func (ix idIndex[K]) remove(k K, id uuid.UUID) bool {
	ids := ix[k]
	i, found := slices.BinarySearchFunc(ids, id, compareID)
	if !found {
		return false
	}
	if ids = slices.Delete(ids, i, i+1); len(ids) == 0 {
		delete(ix, k)
	} else {
		ix[k] = ids
	}
	return true
}

// after returns the IDs under k greater than after. The result aliases the
// index: clone it before mutating the index while iterating.
func (ix idIndex[K]) after(k K, after uuid.UUID) []uuid.UUID {
	ids := ix[k]
	i, found := slices.BinarySearchFunc(ids, after, compareID)
	if found {
		i++
	}
	return ids[i:]
}

// limitOf reads a cursor's limit; a non-positive one means the default.
func limitOf(c access.Cursor) int {
	if c.Limit <= 0 {
		return access.DefaultPageLimit
	}
	return c.Limit
}

// page maps the IDs under k after the cursor to rows, keeping those for
// which row reports true, until the limit.
func page[K comparable, T any](ix idIndex[K], k K, c access.Cursor, row func(uuid.UUID) (T, bool)) []T {
	limit := limitOf(c)
	ids := ix.after(k, c.After)
	out := make([]T, 0, min(limit, len(ids)))
	for _, id := range ids {
		if len(out) == limit {
			break
		}
		if v, ok := row(id); ok {
			out = append(out, v)
		}
	}
	return out
}

func cloneCompany(c access.Company) access.Company {
	c.Domains = slices.Clone(c.Domains)
	return c
}

func cloneMembership(m access.Membership) access.Membership {
	m.Extra = slices.Clone(m.Extra)
	return m
}

func cloneConnection(c access.Connection) access.Connection {
	c.Permissions = slices.Clone(c.Permissions)
	return c
}

func cloneEvent(e access.AuditEvent) access.AuditEvent {
	e.Details = maps.Clone(e.Details)
	return e
}

// Users.

// CreateUser implements access.Store.
func (s *Store) CreateUser(ctx context.Context, u *access.User) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if _, ok := a.users[u.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "user %s exists", u.ID)
		}
		if _, ok := a.userByEmail[u.Email]; ok {
			return access.Conflict(access.CodeEmailTaken, "the e-mail is taken")
		}
		a.users.put(t, u.ID, *u)
		a.userByEmail.put(t, u.Email, u.ID)
		a.userIDs.add(t, struct{}{}, u.ID)
		if u.ActiveCompanyID != uuid.Nil {
			a.usersActiveIn.add(t, u.ActiveCompanyID, u.ID)
		}
		return nil
	})
}

// GetUser implements access.Store.
func (s *Store) GetUser(ctx context.Context, id uuid.UUID) (u access.User, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		if u, ok = s.acc.users[id]; !ok {
			err = access.NotFound(access.CodeUserNotFound)
		}
	}); rerr != nil {
		return access.User{}, rerr
	}
	return u, err
}

// GetUserByEmail implements access.Store.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (u access.User, err error) {
	if rerr := s.read(ctx, func() {
		id, ok := s.acc.userByEmail[email]
		if !ok {
			err = access.NotFound(access.CodeUserNotFound)
			return
		}
		u = s.acc.users[id]
	}); rerr != nil {
		return access.User{}, rerr
	}
	return u, err
}

// UpdateUser implements access.Store.
func (s *Store) UpdateUser(ctx context.Context, u *access.User) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		old, ok := a.users[u.ID]
		if !ok {
			return access.NotFound(access.CodeUserNotFound)
		}
		nu := *u
		nu.Email, nu.CreatedAt = old.Email, old.CreatedAt
		a.users.put(t, u.ID, nu)
		if old.ActiveCompanyID != nu.ActiveCompanyID {
			if old.ActiveCompanyID != uuid.Nil {
				a.usersActiveIn.del(t, old.ActiveCompanyID, u.ID)
			}
			if nu.ActiveCompanyID != uuid.Nil {
				a.usersActiveIn.add(t, nu.ActiveCompanyID, u.ID)
			}
		}
		return nil
	})
}

// ListUsers implements access.Store.
func (s *Store) ListUsers(ctx context.Context, c access.Cursor) (out []access.User, err error) {
	err = s.read(ctx, func() {
		out = page(s.acc.userIDs, struct{}{}, c, func(id uuid.UUID) (access.User, bool) {
			return s.acc.users[id], true
		})
	})
	return out, err
}

// Companies.

// checkCompanyKeys reports a conflict if c's external key or a domain
// belongs to another company.
func (a *accessTables) checkCompanyKeys(c *access.Company) error {
	if c.ExternalKey != "" {
		if id, ok := a.companyByKey[c.ExternalKey]; ok && id != c.ID {
			return access.Conflict(access.CodeExternalKeyTaken, "the external key is taken")
		}
	}
	for _, d := range c.Domains {
		if id, ok := a.companyByDomain[d]; ok && id != c.ID {
			return access.Conflict(access.CodeDomainTaken, "the domain %s is taken", d)
		}
	}
	return nil
}

func (a *accessTables) indexCompanyKeys(t *tx, c access.Company) {
	if c.ExternalKey != "" {
		a.companyByKey.put(t, c.ExternalKey, c.ID)
	}
	for _, d := range c.Domains {
		a.companyByDomain.put(t, d, c.ID)
	}
}

func (a *accessTables) unindexCompanyKeys(t *tx, c access.Company) {
	if c.ExternalKey != "" {
		a.companyByKey.del(t, c.ExternalKey)
	}
	for _, d := range c.Domains {
		a.companyByDomain.del(t, d)
	}
}

// CreateCompany implements access.Store.
func (s *Store) CreateCompany(ctx context.Context, c *access.Company) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if _, ok := a.companies[c.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "company %s exists", c.ID)
		}
		if err := a.checkCompanyKeys(c); err != nil {
			return err
		}
		nc := cloneCompany(*c)
		a.companies.put(t, c.ID, nc)
		a.indexCompanyKeys(t, nc)
		return nil
	})
}

func (s *Store) getCompany(ctx context.Context, lookup func() (uuid.UUID, bool)) (c access.Company, err error) {
	if rerr := s.read(ctx, func() {
		id, ok := lookup()
		if ok {
			c, ok = s.acc.companies[id]
		}
		if !ok {
			err = access.NotFound(access.CodeCompanyNotFound)
			return
		}
		c = cloneCompany(c)
	}); rerr != nil {
		return access.Company{}, rerr
	}
	return c, err
}

// GetCompany implements access.Store.
func (s *Store) GetCompany(ctx context.Context, id uuid.UUID) (access.Company, error) {
	return s.getCompany(ctx, func() (uuid.UUID, bool) { return id, true })
}

// GetCompanyByExternalKey implements access.Store.
func (s *Store) GetCompanyByExternalKey(ctx context.Context, key string) (access.Company, error) {
	return s.getCompany(ctx, func() (uuid.UUID, bool) {
		id, ok := s.acc.companyByKey[key]
		return id, ok && key != ""
	})
}

// GetCompanyByDomain implements access.Store.
func (s *Store) GetCompanyByDomain(ctx context.Context, domain string) (access.Company, error) {
	return s.getCompany(ctx, func() (uuid.UUID, bool) {
		id, ok := s.acc.companyByDomain[domain]
		return id, ok
	})
}

// UpdateCompany implements access.Store.
func (s *Store) UpdateCompany(ctx context.Context, c *access.Company) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		old, ok := a.companies[c.ID]
		if !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		if err := a.checkCompanyKeys(c); err != nil {
			return err
		}
		nc := old
		nc.Name, nc.ParentID, nc.ExternalKey, nc.UpdatedAt = c.Name, c.ParentID, c.ExternalKey, c.UpdatedAt
		nc.Domains = slices.Clone(c.Domains)
		a.unindexCompanyKeys(t, old)
		a.indexCompanyKeys(t, nc)
		a.companies.put(t, c.ID, nc)
		return nil
	})
}

// DeleteCompany implements access.Store.
func (s *Store) DeleteCompany(ctx context.Context, id uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		c, ok := a.companies[id]
		if !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		for _, mid := range slices.Clone(a.companyMembers[id]) {
			a.deleteMembership(t, a.memberByID[mid])
		}
		for _, gid := range slices.Clone(a.companyGrants[id]) {
			a.deleteGrant(t, a.grants[gid])
		}
		for _, cid := range slices.Clone(a.companyConns[id]) {
			a.deleteConnection(t, a.conns[cid])
		}
		for _, uid := range slices.Clone(a.usersActiveIn[id]) {
			u := a.users[uid]
			u.ActiveCompanyID = uuid.Nil
			a.users.put(t, uid, u)
			a.usersActiveIn.del(t, id, uid)
		}
		a.unindexCompanyKeys(t, c)
		a.companies.del(t, id)
		s.inv.deleteCompany(t, id)
		s.tok.deleteCompany(t, id)
		return nil
	})
}

// LockCompany implements access.Store. The transaction already holds the
// store's write lock, so only the existence check is left.
func (s *Store) LockCompany(ctx context.Context, id uuid.UUID) error {
	return s.write(ctx, func(*tx) error {
		if _, ok := s.acc.companies[id]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		return nil
	})
}

// Memberships.

// checkRow is what CheckAccess reads of a membership. extra is the
// membership's immutable slice (updates replace it).
type checkRow struct {
	role   string
	extra  []string
	since  time.Time // CreatedAt
	active bool
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

// GetMembership implements access.Store.
func (s *Store) GetMembership(ctx context.Context, companyID, userID uuid.UUID) (m access.Membership, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		if m, ok = s.acc.members[memberKey{companyID, userID}]; !ok {
			err = access.NotFound(access.CodeMembershipNotFound)
			return
		}
		m = cloneMembership(m)
	}); rerr != nil {
		return access.Membership{}, rerr
	}
	return m, err
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

// ListMembers implements access.Store. It is the listing hosts page most:
// the members are filled in place and their creators share one array.
func (s *Store) ListMembers(ctx context.Context, companyID uuid.UUID, active *bool, c access.Cursor) (out []access.Member, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		var ids []uuid.UUID
		if active == nil {
			ids = a.companyMembers.after(companyID, c.After)
		} else {
			ids = a.companyByFlag.after(flagKey{companyID, *active}, c.After)
		}
		ids = ids[:min(len(ids), limitOf(c))]
		out = make([]access.Member, len(ids))
		creators := make([]access.UserSummary, len(ids))
		var last access.UserSummary
		for i, id := range ids {
			a.member(&out[i], a.memberByID[id], &creators[i], &last)
		}
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

// CheckAccess implements access.Store. It is the hot path: map lookups and
// scans of short immutable slices, no allocation.
func (s *Store) CheckAccess(ctx context.Context, q access.AccessQuery) (f access.AccessFacts, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		if m, ok := a.checks[memberKey{q.CompanyID, q.UserID}]; ok {
			f.Member, f.Active, f.Role, f.MemberSince = true, m.active, m.role, m.since
			f.HasExtra = q.Permission != "" && slices.Contains(m.extra, q.Permission)
		}
		if q.Resource.Type != "" {
			f.GrantLevel = a.grantLevel(q.CompanyID, access.Subject{Type: access.SubjectUser, ID: q.UserID}, q.Resource)
			if q.TokenID != uuid.Nil {
				f.TokenGrantLevel = a.grantLevel(q.CompanyID, access.Subject{Type: access.SubjectToken, ID: q.TokenID}, q.Resource)
			}
		}
		if f.Member || len(q.AgencyRoles) == 0 {
			return // a membership wins over connections
		}
		// Several agencies may connect the user; prefer one whose
		// permissions hold the asked one.
		for _, id := range a.customerConns[q.CompanyID] {
			c := a.conns[id]
			m, ok := a.members[memberKey{c.AgencyID, q.UserID}]
			if !ok || !m.Active || !slices.Contains(q.AgencyRoles, m.Role) {
				continue
			}
			has := q.Permission != "" && slices.Contains(c.Permissions, q.Permission)
			if !f.Connected || has {
				f.Connected, f.ConnectionID, f.ConnectionHas = true, c.ID, has
			}
			if has {
				break
			}
		}
	})
	return f, err
}

// grantLevel is the highest level s holds on r or on the company's account.
func (a *accessTables) grantLevel(companyID uuid.UUID, s access.Subject, r access.Resource) int {
	if len(a.subjectGrants[subjectKey{companyID, s}]) == 0 {
		return 0 // the common case: one small look-up instead of two
	}
	lvl := 0
	if id, ok := a.grantByKey[grantKey{companyID, s, r}]; ok {
		lvl = a.grants[id].Level
	}
	if id, ok := a.grantByKey[grantKey{companyID, s, access.Resource{Type: access.ResourceAccount}}]; ok {
		lvl = max(lvl, a.grants[id].Level)
	}
	return lvl
}

// Grants.

func keyOf(g access.Grant) grantKey { return grantKey{g.CompanyID, g.Subject, g.Resource} }

func (a *accessTables) putGrant(t *tx, g access.Grant) {
	a.grants.put(t, g.ID, g)
	a.grantByKey.put(t, keyOf(g), g.ID)
	a.companyGrants.add(t, g.CompanyID, g.ID)
	a.subjectGrants.add(t, subjectKey{g.CompanyID, g.Subject}, g.ID)
}

func (a *accessTables) deleteGrant(t *tx, g access.Grant) {
	a.grants.del(t, g.ID)
	a.grantByKey.del(t, keyOf(g))
	a.companyGrants.del(t, g.CompanyID, g.ID)
	a.subjectGrants.del(t, subjectKey{g.CompanyID, g.Subject}, g.ID)
}

// grantOf returns a grant of the company.
func (a *accessTables) grantOf(companyID, id uuid.UUID) (access.Grant, error) {
	g, ok := a.grants[id]
	if !ok || g.CompanyID != companyID {
		return access.Grant{}, access.NotFound(access.CodeGrantNotFound)
	}
	return g, nil
}

// CreateGrant implements access.Store.
func (s *Store) CreateGrant(ctx context.Context, g *access.Grant) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if _, ok := a.companies[g.CompanyID]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		if _, ok := a.grants[g.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "grant %s exists", g.ID)
		}
		if _, ok := a.grantByKey[keyOf(*g)]; ok {
			return access.Conflict(access.CodeGrantExists, "the subject already holds a grant on this resource")
		}
		a.putGrant(t, *g)
		return nil
	})
}

// GetGrant implements access.Store.
func (s *Store) GetGrant(ctx context.Context, companyID, id uuid.UUID) (g access.Grant, err error) {
	if rerr := s.read(ctx, func() { g, err = s.acc.grantOf(companyID, id) }); rerr != nil {
		return access.Grant{}, rerr
	}
	return g, err
}

// UpdateGrantLevel implements access.Store.
func (s *Store) UpdateGrantLevel(ctx context.Context, companyID, id uuid.UUID, level int) error {
	return s.write(ctx, func(t *tx) error {
		g, err := s.acc.grantOf(companyID, id)
		if err != nil {
			return err
		}
		g.Level = level
		s.acc.grants.put(t, id, g)
		return nil
	})
}

// DeleteGrant implements access.Store.
func (s *Store) DeleteGrant(ctx context.Context, companyID, id uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		g, err := s.acc.grantOf(companyID, id)
		if err != nil {
			return err
		}
		s.acc.deleteGrant(t, g)
		return nil
	})
}

// DeleteSubjectGrants implements access.Store.
func (s *Store) DeleteSubjectGrants(ctx context.Context, companyID uuid.UUID, subj access.Subject) (n int, err error) {
	err = s.write(ctx, func(t *tx) error {
		ids := slices.Clone(s.acc.subjectGrants[subjectKey{companyID, subj}])
		for _, id := range ids {
			s.acc.deleteGrant(t, s.acc.grants[id])
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// MoveSubjectGrants implements access.Store. Moved grants keep their IDs.
func (s *Store) MoveSubjectGrants(ctx context.Context, companyID uuid.UUID, from, to access.Subject) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		if from == to {
			return nil
		}
		for _, id := range slices.Clone(a.subjectGrants[subjectKey{companyID, from}]) {
			g := a.grants[id]
			a.deleteGrant(t, g)
			if oid, ok := a.grantByKey[grantKey{companyID, to, g.Resource}]; ok {
				if o := a.grants[oid]; g.Level > o.Level {
					o.Level = g.Level
					a.grants.put(t, oid, o)
				}
				continue
			}
			g.Subject = to
			a.putGrant(t, g)
		}
		return nil
	})
}

// ListGrants implements access.Store.
func (s *Store) ListGrants(ctx context.Context, companyID uuid.UUID, f access.GrantQuery, c access.Cursor) (out []access.Grant, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		row := func(id uuid.UUID) (access.Grant, bool) {
			g := a.grants[id]
			if f.SubjectType != "" && g.Subject.Type != f.SubjectType {
				return g, false
			}
			if len(f.Resources) > 0 && !slices.ContainsFunc(f.Resources, func(r access.Resource) bool {
				return r.Type == g.Resource.Type && (r.Type == access.ResourceAccount || r.ID == g.Resource.ID)
			}) {
				return g, false
			}
			return g, true
		}
		if f.Subject != nil {
			out = page(a.subjectGrants, subjectKey{companyID, *f.Subject}, c, row)
		} else {
			out = page(a.companyGrants, companyID, c, row)
		}
	})
	return out, err
}

// Connections.

func (a *accessTables) connOf(companyID, id uuid.UUID) (access.Connection, bool) {
	c, ok := a.conns[id]
	return c, ok && (c.CustomerID == companyID || c.AgencyID == companyID)
}

func (a *accessTables) deleteConnection(t *tx, c access.Connection) {
	a.conns.del(t, c.ID)
	a.connByPair.del(t, pairOf(c.CustomerID, c.AgencyID))
	a.companyConns.del(t, c.CustomerID, c.ID)
	a.companyConns.del(t, c.AgencyID, c.ID)
	a.customerConns.del(t, c.CustomerID, c.ID)
}

// GetConnection implements access.Store.
func (s *Store) GetConnection(ctx context.Context, companyID, id uuid.UUID) (c access.Connection, err error) {
	if rerr := s.read(ctx, func() {
		var ok bool
		if c, ok = s.acc.connOf(companyID, id); !ok {
			err = access.NotFound(access.CodeConnectionNotFound)
			return
		}
		c = cloneConnection(c)
	}); rerr != nil {
		return access.Connection{}, rerr
	}
	return c, err
}

// CreateConnection implements access.Store.
func (s *Store) CreateConnection(ctx context.Context, c *access.Connection) error {
	return s.write(ctx, func(t *tx) error {
		a := &s.acc
		for _, id := range []uuid.UUID{c.CustomerID, c.AgencyID} {
			if _, ok := a.companies[id]; !ok {
				return access.NotFound(access.CodeCompanyNotFound)
			}
		}
		if c.CustomerID == c.AgencyID {
			return access.Invalid("agency_id", "a company cannot be connected to itself")
		}
		if _, ok := a.conns[c.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "connection %s exists", c.ID)
		}
		p := pairOf(c.CustomerID, c.AgencyID)
		if _, ok := a.connByPair[p]; ok {
			return access.Conflict(access.CodeAlreadyConnected, "the companies are already connected")
		}
		nc := cloneConnection(*c)
		a.conns.put(t, c.ID, nc)
		a.connByPair.put(t, p, c.ID)
		a.companyConns.add(t, c.CustomerID, c.ID)
		a.companyConns.add(t, c.AgencyID, c.ID)
		a.customerConns.add(t, c.CustomerID, c.ID)
		return nil
	})
}

// UpdateConnectionPermissions implements access.Store.
func (s *Store) UpdateConnectionPermissions(ctx context.Context, c *access.Connection) error {
	return s.write(ctx, func(t *tx) error {
		old, ok := s.acc.conns[c.ID]
		if !ok {
			return access.NotFound(access.CodeConnectionNotFound)
		}
		old.Permissions, old.UpdatedAt = slices.Clone(c.Permissions), c.UpdatedAt
		s.acc.conns.put(t, c.ID, old)
		return nil
	})
}

// DeleteConnection implements access.Store.
func (s *Store) DeleteConnection(ctx context.Context, companyID, id uuid.UUID) error {
	return s.write(ctx, func(t *tx) error {
		c, ok := s.acc.connOf(companyID, id)
		if !ok {
			return access.NotFound(access.CodeConnectionNotFound)
		}
		s.acc.deleteConnection(t, c)
		return nil
	})
}

// ListConnections implements access.Store.
func (s *Store) ListConnections(ctx context.Context, companyID uuid.UUID, c access.Cursor) (out []access.Connection, err error) {
	err = s.read(ctx, func() {
		out = page(s.acc.companyConns, companyID, c, func(id uuid.UUID) (access.Connection, bool) {
			return cloneConnection(s.acc.conns[id]), true
		})
	})
	return out, err
}

// Audit.

// AppendAudit implements access.Store.
func (s *Store) AppendAudit(ctx context.Context, e *access.AuditEvent) error {
	return s.write(ctx, func(t *tx) error {
		if _, ok := s.acc.audit[e.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "audit event %s exists", e.ID)
		}
		s.acc.audit.put(t, e.ID, cloneEvent(*e))
		s.acc.companyAuditIx.add(t, e.CompanyID, e.ID)
		return nil
	})
}

// ListAudit implements access.Store.
func (s *Store) ListAudit(ctx context.Context, companyID uuid.UUID, c access.Cursor) (out []access.AuditEvent, err error) {
	err = s.read(ctx, func() {
		out = page(s.acc.companyAuditIx, companyID, c, func(id uuid.UUID) (access.AuditEvent, bool) {
			return cloneEvent(s.acc.audit[id]), true
		})
	})
	return out, err
}
