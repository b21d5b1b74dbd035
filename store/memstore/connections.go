package memstore

import (
	"context"
	"slices"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// pairKey is an unordered pair of companies (smaller ID first).
type pairKey struct{ a, b uuid.UUID }

func pairOf(x, y uuid.UUID) pairKey {
	if compareID(x, y) > 0 {
		x, y = y, x
	}
	return pairKey{x, y}
}

// connTables holds the connections, unique per pair of companies.
type connTables struct {
	conns         table[uuid.UUID, access.Connection]
	connByPair    table[pairKey, uuid.UUID]
	companyConns  idIndex[uuid.UUID] // both sides
	customerConns idIndex[uuid.UUID]
}

func (t *connTables) init() {
	*t = connTables{conns: table[uuid.UUID, access.Connection]{}, connByPair: table[pairKey, uuid.UUID]{},
		companyConns: idIndex[uuid.UUID]{}, customerConns: idIndex[uuid.UUID]{}}
}

func cloneConnection(c access.Connection) access.Connection {
	c.Permissions = slices.Clone(c.Permissions)
	return c
}

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

// ListReachedCustomers implements access.Store: the user's active agency
// memberships, their connections as agency, their customers once each.
func (s *Store) ListReachedCustomers(ctx context.Context, q access.ReachQuery, c access.Cursor) (out []access.Company, err error) {
	err = s.read(ctx, func() {
		a := &s.acc
		out = []access.Company{}
		u, ok := a.userByID.get(q.UserID)
		if !ok || len(q.AgencyRoles) == 0 {
			return
		}
		seen := map[uuid.UUID]bool{}
		var ids []uuid.UUID
		active := true
		l := &a.userRows.at(u).links
		for _, i := range l.after(&active, uuid.Nil, len(l.members), a.idOf) {
			r := a.rows.at(i)
			agency := r.company
			if !slices.Contains(q.AgencyRoles, a.shapes.list[r.shape].role) || len(q.Agencies) > 0 && !slices.Contains(q.Agencies, agency) {
				continue
			}
			for _, id := range a.companyConns[agency] {
				cn := a.conns[id]
				if cn.AgencyID != agency || seen[cn.CustomerID] || compareID(cn.CustomerID, c.After) <= 0 {
					continue
				}
				seen[cn.CustomerID] = true
				if _, member := a.members.get(memberKey{cn.CustomerID, q.UserID}); !member {
					ids = append(ids, cn.CustomerID)
				}
			}
		}
		slices.SortFunc(ids, compareID)
		for _, id := range ids[:min(len(ids), limitOf(c))] {
			out = append(out, cloneCompany(a.companies[id]))
		}
	})
	return out, err
}
