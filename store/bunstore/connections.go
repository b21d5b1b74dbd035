package bunstore

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
)

// connectionRow is a connections row.
type connectionRow struct {
	bun.BaseModel `bun:"table:connections"`

	ID                   uuid.UUID `bun:",pk"`
	CustomerID, AgencyID uuid.UUID
	Permissions          []string `bun:",array"`
	CreatedAt, UpdatedAt time.Time
}

const connectionCols = `cn.id, cn.customer_id, cn.agency_id, cn.permissions, cn.created_at, cn.updated_at`

func (r connectionRow) connection() access.Connection {
	return access.Connection{
		ID: r.ID, CustomerID: r.CustomerID, AgencyID: r.AgencyID, Permissions: nilIfEmpty(r.Permissions),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// GetConnection implements access.Store.
func (s *Store) GetConnection(ctx context.Context, companyID, id uuid.UUID) (access.Connection, error) {
	var r connectionRow
	if err := s.scan(ctx, access.CodeConnectionNotFound, &r, `SELECT `+connectionCols+` FROM ?schema.connections cn
		WHERE cn.id = ?0 AND (cn.customer_id = ?1 OR cn.agency_id = ?1)`, id, companyID); err != nil {
		return access.Connection{}, err
	}
	return r.connection(), nil
}

// CreateConnection implements access.Store. Both companies must exist;
// connections_pair_key holds the rule of one connection per pair, in
// either direction, and connections_distinct_check refuses a company
// connected to itself.
func (s *Store) CreateConnection(ctx context.Context, c *access.Connection) error {
	return s.insert(ctx, access.CodeConnectionNotFound, &connectionRow{
		ID: c.ID, CustomerID: c.CustomerID, AgencyID: c.AgencyID, Permissions: orEmpty(c.Permissions),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	})
}

// UpdateConnectionPermissions implements access.Store.
func (s *Store) UpdateConnectionPermissions(ctx context.Context, c *access.Connection) error {
	return s.change(ctx, access.CodeConnectionNotFound, `UPDATE ?schema.connections SET permissions = ?, updated_at = ? WHERE id = ?`,
		pgdialect.Array(orEmpty(c.Permissions)), c.UpdatedAt, c.ID)
}

// DeleteConnection implements access.Store.
func (s *Store) DeleteConnection(ctx context.Context, companyID, id uuid.UUID) error {
	return s.change(ctx, access.CodeConnectionNotFound,
		`DELETE FROM ?schema.connections WHERE id = ?0 AND (customer_id = ?1 OR agency_id = ?1)`, id, companyID)
}

// ListConnections implements access.Store.
func (s *Store) ListConnections(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]access.Connection, error) {
	var rows []connectionRow
	if err := s.scan(ctx, access.CodeConnectionNotFound, &rows, `SELECT `+connectionCols+` FROM ?schema.connections cn
	WHERE (cn.customer_id = ?0 OR cn.agency_id = ?0) AND cn.id > ?1
	ORDER BY cn.id LIMIT ?2`, companyID, c.After, limitOf(c)); err != nil {
		return nil, err
	}
	return each(rows, connectionRow.connection), nil
}

// ListReachedCustomers implements access.Store in one statement: the
// user's agency memberships (memberships by user), their connections as
// agency (connections_agency_id_idx), each customer once, by its key.
func (s *Store) ListReachedCustomers(ctx context.Context, q access.ReachQuery, c access.Cursor) ([]access.Company, error) {
	if len(q.AgencyRoles) == 0 {
		return []access.Company{}, nil
	}
	agencies := make([]string, len(q.Agencies))
	for i, id := range q.Agencies {
		agencies[i] = id.String()
	}
	var rows []companyRow
	if err := s.scan(ctx, access.CodeCompanyNotFound, &rows, selectCompany+` WHERE c.id IN (
		SELECT cn.customer_id FROM ?schema.memberships am
		JOIN ?schema.connections cn ON cn.agency_id = am.company_id
		WHERE am.user_id = ?0 AND am.is_active AND am.role = ANY(?1::text[])
			AND (cardinality(?2::uuid[]) = 0 OR am.company_id = ANY(?2::uuid[]))
			AND cn.customer_id > ?3
			AND NOT EXISTS (SELECT 1 FROM ?schema.memberships o WHERE o.company_id = cn.customer_id AND o.user_id = ?0))
	ORDER BY c.id LIMIT ?4`, q.UserID, pgdialect.Array(q.AgencyRoles), pgdialect.Array(agencies), c.After, limitOf(c)); err != nil {
		return nil, err
	}
	return each(rows, companyRow.company), nil
}
