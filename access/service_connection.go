package access

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// NewConnection is the input of Connect.
type NewConnection struct {
	// ID is the connection's ID (default: a fresh one), for a caller that
	// recorded it before (an invitation's claim).
	ID         uuid.UUID
	CustomerID uuid.UUID
	AgencyID   uuid.UUID
	// Permissions are what the agency may do in the customer company (at
	// most; its members' own rights in the agency cap them again).
	Permissions []string
}

// Connect connects a customer company with an agency: from the next check
// on, the agency's members and API tokens reach into the customer with at
// most in.Permissions. Both sides consent: p and consent are each an
// active member (or the system), with USER_ADD and at least ADMIN, of one
// of the two companies. An accepted company invitation passes its
// inviter as consent, and the invited user as p. The permissions never
// exceed what the customer side holds. Recorded in both companies' audit.
// Errors: ErrInvalid (a company connected to itself), ErrForbidden (for p),
// ErrConsentRefused (for consent), ErrConflict (CodeAlreadyConnected).
func (s *Service) Connect(ctx context.Context, p, consent Principal, in NewConnection) (Connection, error) {
	if in.CustomerID == in.AgencyID {
		return Connection{}, Invalid("agency_id", "a company cannot be connected to itself")
	}
	perms, err := s.catalog.normalizePermissions("permissions", in.Permissions)
	if err != nil {
		return Connection{}, err
	}
	if perms == nil {
		perms = []string{}
	}
	now := s.Now()
	if in.ID == uuid.Nil {
		in.ID = s.newID()
	}
	c := Connection{ID: in.ID, CustomerID: in.CustomerID, AgencyID: in.AgencyID, Permissions: perms,
		CreatedAt: now, UpdatedAt: now}
	err = s.InTx(ctx, func(ctx context.Context) error {
		sides := map[uuid.UUID]bool{in.CustomerID: false, in.AgencyID: false}
		for i, q := range []Principal{p, consent} {
			a, err := s.connectActor(ctx, q, in)
			if err == nil && (q.Kind == PrincipalSystem || q.CompanyID == in.CustomerID) {
				err = a.CanGrant(LevelAdmin, perms)
			}
			if i == 1 && err != nil && (errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthenticated)) {
				return ErrConsentRefused
			}
			if err != nil {
				return err
			}
			if q.Kind != PrincipalSystem {
				sides[q.CompanyID] = true
			}
		}
		if p.Kind != PrincipalSystem && consent.Kind != PrincipalSystem && !(sides[in.CustomerID] && sides[in.AgencyID]) {
			return Forbidden("a connection needs the consent of both companies")
		}
		if err := s.store.CreateConnection(ctx, &c); err != nil {
			return err
		}
		return s.auditConnection(ctx, p, "connection.created", c)
	})
	if err != nil {
		return Connection{}, err
	}
	return c, nil
}

// connectActor authorizes one side of a new connection.
func (s *Service) connectActor(ctx context.Context, p Principal, in NewConnection) (Actor, error) {
	if p.Kind != PrincipalSystem && p.CompanyID != in.CustomerID && p.CompanyID != in.AgencyID {
		return Actor{}, Forbidden("a connection is made by members of its two companies")
	}
	a, err := s.memberActor(ctx, p, UserAdd)
	if err != nil {
		return Actor{}, err
	}
	if a.level < LevelAdmin {
		return Actor{}, Forbidden("connecting companies needs ADMIN or above")
	}
	return a, nil
}

// memberActor authorizes perm for a member of p's company, not an agency
// acting in it through a connection: connections are managed by their
// companies' own members.
func (s *Service) memberActor(ctx context.Context, p Principal, perm string) (Actor, error) {
	a, err := s.Authorize(ctx, p, perm)
	if err != nil {
		return Actor{}, err
	}
	if !a.IsMember() {
		return Actor{}, Forbidden("only members of the company manage its connections")
	}
	return a, nil
}

func (s *Service) auditConnection(ctx context.Context, p Principal, action string, c Connection) error {
	details := map[string]string{"customer_id": c.CustomerID.String(), "agency_id": c.AgencyID.String(),
		"permissions": strings.Join(c.Permissions, ",")}
	for _, id := range []uuid.UUID{c.CustomerID, c.AgencyID} {
		if err := s.Audit(ctx, p, id, action, "connection:"+c.ID.String(), details); err != nil {
			return err
		}
	}
	return nil
}

// ListConnections lists the connections of the principal's company, on
// either side; needs USER_VIEW as a member.
func (s *Service) ListConnections(ctx context.Context, p Principal, pr PageRequest) (Page[Connection], error) {
	c, err := pr.Cursor()
	if err != nil {
		return Page[Connection]{}, err
	}
	if _, err := s.memberActor(ctx, p, UserView); err != nil {
		return Page[Connection]{}, err
	}
	limit := c.Limit
	c.Limit++
	rows, err := s.store.ListConnections(ctx, p.CompanyID, c)
	if err != nil {
		return Page[Connection]{}, err
	}
	return pageOf(rows, limit, func(c Connection) uuid.UUID { return c.ID }), nil
}

// GetConnection returns a connection of the principal's company, on either
// side, with the agency's permissions in the customer company (seed 003's
// agency roles); needs USER_VIEW as a member. Any other ID is ErrNotFound.
func (s *Service) GetConnection(ctx context.Context, p Principal, id uuid.UUID) (Connection, error) {
	if _, err := s.memberActor(ctx, p, UserView); err != nil {
		return Connection{}, err
	}
	return s.store.GetConnection(ctx, p.CompanyID, id)
}

// AgencyUpdate changes the agency's permissions in the customer company;
// errors name Add and Remove FieldAddRoles and FieldRemoveRoles.
type AgencyUpdate struct {
	Add    []string
	Remove []string
}

// UpdateAgencyPermissions edits what the agency of a connection may do in
// the principal's company, which must be the connection's customer (seed
// 003's agency-roles/edit). Needs USER_EDIT as a member, at least ADMIN
// (the agency acts at ADMIN rank), and every added permission. Removing a
// permission removes the ones that imply it. Errors: ErrInvalid naming the
// field; ErrNotFound; ErrForbidden (also from the agency side).
func (s *Service) UpdateAgencyPermissions(ctx context.Context, p Principal, id uuid.UUID, up AgencyUpdate) (Connection, error) {
	add, err := s.catalog.normalizePermissions(FieldAddRoles, up.Add)
	if err != nil {
		return Connection{}, err
	}
	remove, err := s.catalog.removals(FieldRemoveRoles, up.Remove)
	if err != nil {
		return Connection{}, err
	}
	var out Connection
	err = s.InTx(ctx, func(ctx context.Context) error {
		a, err := s.memberActor(ctx, p, UserEdit)
		if err != nil {
			return err
		}
		c, err := s.store.GetConnection(ctx, p.CompanyID, id)
		if err != nil {
			return err
		}
		if c.CustomerID != p.CompanyID {
			return Forbidden("only the customer company sets the agency's permissions")
		}
		if err := a.CanGrant(LevelAdmin, add); err != nil {
			return err
		}
		c.Permissions, c.UpdatedAt = applyPermissions(c.Permissions, add, remove), s.Now()
		if err := s.store.UpdateConnectionPermissions(ctx, &c); err != nil {
			return err
		}
		out = c
		return s.auditConnection(ctx, p, "connection.updated", c)
	})
	return out, err
}

// RemoveConnection ends a connection of the principal's company, from
// either side: from the next check on, the agency's members act in the
// customer company no more. Needs USER_DELETE and at least ADMIN as a
// member. Errors: ErrNotFound; ErrForbidden.
func (s *Service) RemoveConnection(ctx context.Context, p Principal, id uuid.UUID) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		a, err := s.memberActor(ctx, p, UserDelete)
		if err != nil {
			return err
		}
		if a.level < LevelAdmin {
			return Forbidden("removing a connection needs ADMIN or above")
		}
		c, err := s.store.GetConnection(ctx, p.CompanyID, id)
		if err != nil {
			return err
		}
		if err := s.store.DeleteConnection(ctx, p.CompanyID, id); err != nil {
			return err
		}
		return s.auditConnection(ctx, p, "connection.removed", c)
	})
}

// applyPermissions adds and removes permission codes: removing one also
// removes those that imply it (removing USER_VIEW removes USER_EDIT), while
// removing USER_EDIT keeps the USER_VIEW it implied. The result is sorted
// and never nil.
func applyPermissions(have, add, remove []string) []string {
	out := slices.DeleteFunc(append(slices.Clone(have), add...), func(c string) bool {
		return slices.Contains(remove, c) || slices.Contains(remove, implied(c))
	})
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}
