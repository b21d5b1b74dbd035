package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// The reads behind seed 002's account accesses: grant holders found
// through the resource index, so a filtered page costs the grants on the
// asked resources, never a walk over the company's members.

// grantsOn returns the IDs of the company's grants on any of resources
// (an "account" resource matches the account).
func (a *accessTables) grantsOn(companyID uuid.UUID, resources []access.Resource) []uuid.UUID {
	var ids []uuid.UUID
	for _, r := range resources {
		if r.Type == access.ResourceAccount {
			r.ID = ""
		}
		ids = append(ids, a.resourceGrants[resourceKey{companyID, r}]...)
	}
	return ids
}

// grantsOfSubjects returns the sorted IDs of the subjects' grants.
func (a *accessTables) grantsOfSubjects(companyID uuid.UUID, subs []access.Subject) []uuid.UUID {
	var ids []uuid.UUID
	for _, sub := range subs {
		ids = append(ids, a.subjectGrants[subjectKey{companyID, sub}]...)
	}
	return sortedUnique(ids)
}

func sortedUnique(ids []uuid.UUID) []uuid.UUID {
	slices.SortFunc(ids, compareID)
	return slices.Compact(ids)
}

// pageOfIDs is page over a sorted slice of IDs.
func pageOfIDs[T any](ids []uuid.UUID, c access.Cursor, row func(uuid.UUID) (T, bool)) []T {
	return page(idIndex[struct{}]{{}: ids}, struct{}{}, c, row)
}

// ListGrantSubjects implements access.Store.
func (s *Store) ListGrantSubjects(ctx context.Context, companyID uuid.UUID, t access.SubjectType, resources []access.Resource, c access.Cursor) (out []uuid.UUID, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		var subs []uuid.UUID
		for _, gid := range a.grantsOn(companyID, resources) {
			if g := a.grants[gid]; g.Subject.Type == t {
				subs = append(subs, g.Subject.ID)
			}
		}
		ids := idsAfter(sortedUnique(subs), c.After)
		out = slices.Clone(ids[:min(len(ids), limitOf(c))])
	})
	return out, err
}

// ListMembersHolding implements access.Store.
func (s *Store) ListMembersHolding(ctx context.Context, companyID uuid.UUID, resources []access.Resource, c access.Cursor) (out []access.Member, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		var refs []ref
		for _, gid := range a.grantsOn(companyID, resources) {
			g := a.grants[gid]
			if g.Subject.Type != access.SubjectUser {
				continue
			}
			if i, ok := a.members.get(memberKey{companyID, g.Subject.ID}); ok {
				refs = append(refs, i)
			}
		}
		slices.SortFunc(refs, func(x, y ref) int { return compareID(a.idOf(x), a.idOf(y)) })
		refs = refsAfter(slices.Compact(refs), c.After, a.idOf)
		out = a.fillMembers(refs[:min(len(refs), limitOf(c))])
	})
	return out, err
}

// ListGrantResources implements access.Store. The resource index has no
// order of its own: the company's grants are read and their resources
// sorted, an in-memory cost.
func (s *Store) ListGrantResources(ctx context.Context, companyID uuid.UUID, after access.Resource, limit int) (out []access.Resource, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		seen := map[access.Resource]bool{}
		for _, gid := range a.companyGrants[companyID] {
			r := a.grants[gid].Resource
			if r.Type == access.ResourceAccount || seen[r] || compareResource(r, after) <= 0 {
				continue
			}
			seen[r] = true
			out = append(out, r)
		}
		slices.SortFunc(out, compareResource)
		out = out[:min(len(out), pageLimit(limit))]
	})
	return out, err
}

// compareResource orders resources by type, then ID, bytewise (as
// PostgreSQL's COLLATE "C").
func compareResource(a, b access.Resource) int {
	if c := strings.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
