package memstore

import (
	"context"
	"slices"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// CheckAccess implements access.Store. It is the hot path: map look-ups,
// a membership's row and shape, scans of short immutable slices, no
// allocation.
func (s *Store) CheckAccess(ctx context.Context, q access.AccessQuery) (f access.AccessFacts, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		// A token reaching its customer (q.Agency) acts through the
		// connection only, never through its creator's membership there.
		if i, ok := a.members.get(memberKey{q.CompanyID, q.UserID}); ok && q.Agency == uuid.Nil {
			r := a.rows.at(i)
			sh := &a.shapes.list[r.shape]
			f.Member, f.Active, f.Role, f.MemberSince = true, r.active(), sh.role, a.since(i, r)
			f.HasExtra = q.Permission != "" && slices.Contains(sh.extra, q.Permission)
			f.Withheld = q.Permission != "" && slices.Contains(sh.withheld, q.Permission)
			// A role the company defined: its row as it is now.
			if cr, ok := a.roles[roleKey{q.CompanyID, sh.role}]; ok {
				f.CompanyRole, f.RoleLevel = true, cr.Level
				f.RoleHas = q.Permission != "" && slices.Contains(cr.Permissions, q.Permission)
			}
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
		// Several agencies may connect the user (access.AccessFacts says
		// which one answers): the connection holding the asked permission
		// first, then the agency membership not withholding it, then the
		// lowest ID (customerConns is in ID order: the first of the best
		// rank wins).
		best := -1
		for _, id := range a.customerConns[q.CompanyID] {
			c := a.conns[id]
			if q.Agency != uuid.Nil && c.AgencyID != q.Agency {
				continue
			}
			i, ok := a.members.get(memberKey{c.AgencyID, q.UserID})
			if !ok {
				continue
			}
			r := a.rows.at(i)
			sh := &a.shapes.list[r.shape]
			if !r.active() || !slices.Contains(q.AgencyRoles, sh.role) {
				continue
			}
			has := q.Permission != "" && slices.Contains(c.Permissions, q.Permission)
			withheld := q.Permission != "" && slices.Contains(sh.withheld, q.Permission)
			rank := 0
			if has {
				rank += 2
			}
			if !withheld {
				rank++
			}
			if rank > best {
				best = rank
				f.Connected, f.ConnectionID, f.ConnectionHas, f.AgencySince = true, c.ID, has, a.since(i, r)
				f.AgencyRole, f.AgencyWithheld = sh.role, withheld
				f.AgencyHasExtra = q.Permission != "" && slices.Contains(sh.extra, q.Permission)
			}
			if rank == 3 {
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
