package bunstore

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
)

// The reads behind seed 002's account accesses. A resource filter is the
// pair of arrays (types, ids) unnested against grants_company_resource_idx.

// resourceArrays splits resources into the filter's two arrays.
func resourceArrays(resources []access.Resource) (any, any) {
	types := make([]string, len(resources))
	ids := make([]string, len(resources))
	for i, r := range resources {
		types[i], ids[i] = r.Type, r.ID
	}
	return pgdialect.Array(types), pgdialect.Array(ids)
}

// onResources is the condition that grant g is on one of the resources
// of the arrays ?%[1]d and ?%[2]d (an "account" resource matches the
// account whatever its ID).
const onResources = `EXISTS (SELECT 1 FROM unnest(?%d::text[], ?%d::text[]) AS r(type, id)
	WHERE g.resource_type = r.type AND (r.type = 'account' OR g.resource_id = r.id))`

// ListGrantSubjects implements access.Store: one statement.
func (s *Store) ListGrantSubjects(ctx context.Context, companyID uuid.UUID, t access.SubjectType, resources []access.Resource, c access.Cursor) ([]uuid.UUID, error) {
	types, ids := resourceArrays(resources)
	var out []uuid.UUID
	if err := s.scan(ctx, access.CodeGrantNotFound, &out, `SELECT DISTINCT g.subject_id FROM ?schema.grants g
	WHERE g.company_id = ?0 AND g.subject_type = ?1 AND g.subject_id > ?2 AND `+fmt.Sprintf(onResources, 3, 4)+`
	ORDER BY g.subject_id LIMIT ?5`, companyID, string(t), c.After, types, ids, limitOf(c)); err != nil {
		return nil, err
	}
	return out, nil
}

// ListMembersHolding implements access.Store: one statement per page,
// walking the (company_id, id) index of memberships.
func (s *Store) ListMembersHolding(ctx context.Context, companyID uuid.UUID, resources []access.Resource, c access.Cursor) ([]access.Member, error) {
	types, ids := resourceArrays(resources)
	return s.members(ctx, `m.company_id = ?0 AND m.id > ?1 AND EXISTS (SELECT 1 FROM ?schema.grants g
	WHERE g.company_id = m.company_id AND g.subject_type = 'User' AND g.subject_id = m.user_id AND `+fmt.Sprintf(onResources, 2, 3)+`)
	ORDER BY m.id LIMIT ?4`, companyID, c.After, types, ids, limitOf(c))
}

// ListGrantResources implements access.Store: one statement over
// grants_company_resource_idx, in byte order (COLLATE "C") as memstore
// orders.
func (s *Store) ListGrantResources(ctx context.Context, companyID uuid.UUID, after access.Resource, limit int) ([]access.Resource, error) {
	var rows []struct {
		ResourceType string
		ResourceID   string
	}
	if err := s.scan(ctx, access.CodeGrantNotFound, &rows, `SELECT DISTINCT g.resource_type COLLATE "C" AS resource_type,
		g.resource_id COLLATE "C" AS resource_id
	FROM ?schema.grants g
	WHERE g.company_id = ?0 AND g.resource_type <> 'account'
	AND (g.resource_type COLLATE "C", g.resource_id COLLATE "C") > (?1 COLLATE "C", ?2 COLLATE "C")
	ORDER BY 1, 2 LIMIT ?3`, companyID, after.Type, after.ID, limitOf(access.Cursor{Limit: limit})); err != nil {
		return nil, err
	}
	out := make([]access.Resource, len(rows))
	for i, r := range rows {
		out[i] = access.Resource{Type: r.ResourceType, ID: r.ResourceID}
	}
	return out, nil
}
