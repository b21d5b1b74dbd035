package httpadapter

import (
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// Connections of the caller's company, in the management family (seed 003
// names them only through agency-roles; these routes list and end them).

type (
	mgmtConnection struct {
		ConnectionID uuid.UUID `json:"connection_id"`
		Side         string    `json:"side" enum:"customer,agency" doc:"the caller's company's side: customer (the agency acts in it) or agency (it acts in the customer)"`
		CustomerID   uuid.UUID `json:"customer_id"`
		AgencyID     uuid.UUID `json:"agency_id"`
		Roles        []string  `json:"roles" doc:"what the agency may do in the customer company, at most (its members' and tokens' own rights cap it again)"`
		CreatedAt    time.Time `json:"created_at"`
		UpdatedAt    time.Time `json:"updated_at"`
	}
	mgmtConnections struct {
		Connections []mgmtConnection `json:"connections"`
		NextCursor  string           `json:"next_cursor,omitempty" doc:"pass as cursor for the next page; absent on the last"`
	}
	mgmtConnectionRemoved struct {
		ConnectionID uuid.UUID `json:"connection_id" doc:"the connection that no longer exists"`
	}
)

func (h *Handler) mountConnections() {
	const fam = Management
	add(h, op{method: "GET", path: "/access/connections", fam: fam, summary: "List the company's connections, as customer and as agency",
		description: "Needs USER_VIEW as a member of the company (an agency acting in it through a connection lists none). Each says the company's side.",
		query:       pageParams}, h.mgmtConnections)
	add(h, op{method: "GET", path: "/access/connections/{connection_id}", fam: fam, summary: "Show one connection of the company",
		description: "Needs USER_VIEW as a member of either side; any other connection is 404."}, h.mgmtConnection)
	add(h, op{method: "POST", path: "/access/connections/{connection_id}/remove", fam: fam, summary: "End a connection, from either side",
		description: "Needs USER_DELETE and ADMIN or above as a member of either side. From the next request on, the agency's users and API tokens act in the customer no more. " +
			"Memberships the agency created in the customer while connected are ordinary memberships and stay."}, h.mgmtRemoveConnection)
}

func mgmtConnectionOf(company uuid.UUID, c access.Connection) mgmtConnection {
	side := "customer"
	if c.AgencyID == company {
		side = "agency"
	}
	return mgmtConnection{ConnectionID: c.ID, Side: side, CustomerID: c.CustomerID, AgencyID: c.AgencyID,
		Roles: nonNil(c.Permissions), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (h *Handler) mgmtConnections(x *exchange, _ *noBody) (managed[mgmtConnections], error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return managed[mgmtConnections]{}, err
	}
	page, err := h.svc.Access.ListConnections(x.ctx(), x.p, pr)
	if err != nil {
		return managed[mgmtConnections]{}, err
	}
	out := mgmtConnections{Connections: make([]mgmtConnection, len(page.Items)), NextCursor: page.Next}
	for i, c := range page.Items {
		out.Connections[i] = mgmtConnectionOf(x.p.CompanyID, c)
	}
	return ok(out)
}

func (h *Handler) mgmtConnection(x *exchange, _ *noBody) (managed[mgmtConnection], error) {
	cid, err := pathID(x, "connection_id")
	if err != nil {
		return managed[mgmtConnection]{}, err
	}
	c, err := h.svc.Access.GetConnection(x.ctx(), x.p, cid)
	if err != nil {
		return managed[mgmtConnection]{}, err
	}
	return ok(mgmtConnectionOf(x.p.CompanyID, c))
}

func (h *Handler) mgmtRemoveConnection(x *exchange, _ *noBody) (managed[mgmtConnectionRemoved], error) {
	cid, err := pathID(x, "connection_id")
	if err != nil {
		return managed[mgmtConnectionRemoved]{}, err
	}
	if err := h.svc.Access.RemoveConnection(x.ctx(), x.p, cid); err != nil {
		return managed[mgmtConnectionRemoved]{}, err
	}
	return ok(mgmtConnectionRemoved{ConnectionID: cid})
}
