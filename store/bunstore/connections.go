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
