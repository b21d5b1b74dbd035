package invite

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// Get returns an invitation of the principal's company; needs USER_VIEW.
// Another company's invitation is ErrNotFound.
func (s *Service) Get(ctx context.Context, p access.Principal, id uuid.UUID) (Invitation, error) {
	if _, err := s.acc.Authorize(ctx, p, access.UserView); err != nil {
		return Invitation{}, err
	}
	inv, err := s.st.GetInvitation(ctx, p.CompanyID, id)
	if err != nil {
		return Invitation{}, err
	}
	return inv.public(s.acc.Now()), nil
}

// ListPending lists the pending (not expired) invitations the principal's
// company sent, one keyset page at a time; needs USER_VIEW. It is List
// with f.Status StatusPending.
func (s *Service) ListPending(ctx context.Context, p access.Principal, f ListFilter) (access.Page[Invitation], error) {
	f.Status = StatusPending
	return s.List(ctx, p, f)
}

// List lists the invitations the principal's company sent in the status of
// f.Status (pending when empty, every status with AnyStatus), as their
// status reads now, one keyset page at a time; needs USER_VIEW. Errors:
// ErrInvalid (field "kind", "status", "limit" or "cursor"); ErrForbidden.
func (s *Service) List(ctx context.Context, p access.Principal, f ListFilter) (access.Page[Invitation], error) {
	c, err := f.Page.Cursor()
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	if f.Kind != "" && f.Kind != KindMember && f.Kind != KindConnection {
		return access.Page[Invitation]{}, access.Invalid("kind", "kind must be %q or %q", KindMember, KindConnection)
	}
	switch f.Status {
	case "":
		f.Status = StatusPending
	case AnyStatus:
		f.Status = ""
	case StatusPending, StatusAccepted, StatusRejected, StatusRevoked, StatusExpired:
	default:
		return access.Page[Invitation]{}, access.Invalid("status", "status must be one of pending, accepted, rejected, revoked, expired or %s", AnyStatus)
	}
	if _, err := s.acc.Authorize(ctx, p, access.UserView); err != nil {
		return access.Page[Invitation]{}, err
	}
	now := s.acc.Now()
	limit := c.Limit
	c.Limit++
	var rows []Invitation
	if f.Status == StatusPending {
		rows, err = s.st.ListPendingInvitations(ctx, p.CompanyID, f.Kind, now, c)
	} else {
		rows, err = s.st.ListInvitations(ctx, p.CompanyID, Query{Kind: f.Kind, Status: f.Status, Now: now}, c)
	}
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	return pageOf(rows, limit, now), nil
}

// ListForEmail lists the pending (not expired) invitations of every company
// to an e-mail (seed 001's pending invitations by e-mail): for the user
// with that e-mail, or the system. Errors: ErrInvalid (field "email");
// ErrForbidden for anyone else.
func (s *Service) ListForEmail(ctx context.Context, p access.Principal, email string, pr access.PageRequest) (access.Page[Invitation], error) {
	norm, err := access.NormalizeEmail(email)
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	c, err := pr.Cursor()
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	switch p.Kind {
	case access.PrincipalSystem:
	case access.PrincipalUser:
		if p.SessionConfined {
			// Invitations from other companies are out of a provisioned
			// session's sight, as the companies are.
			return access.Page[Invitation]{}, access.Forbidden("a provisioned session does not list its user's invitations")
		}
		u, err := s.acc.GetUser(ctx, p, p.UserID)
		if err != nil && !errors.Is(err, access.ErrNotFound) {
			return access.Page[Invitation]{}, err
		}
		if err != nil || u.Email != norm {
			return access.Page[Invitation]{}, access.Forbidden("only the invited user may list their invitations")
		}
	case access.PrincipalToken:
		return access.Page[Invitation]{}, access.Forbidden("only the invited user may list their invitations")
	default:
		return access.Page[Invitation]{}, access.Unauthenticated("no principal")
	}
	now := s.acc.Now()
	limit := c.Limit
	c.Limit++
	rows, err := s.st.ListPendingByEmail(ctx, norm, now, c)
	if err != nil {
		return access.Page[Invitation]{}, err
	}
	return pageOf(rows, limit, now), nil
}

// pageOf cuts a store result fetched with limit+1 rows into a page.
func pageOf(rows []Invitation, limit int, now time.Time) access.Page[Invitation] {
	out := access.Page[Invitation]{}
	if len(rows) > limit {
		rows = rows[:limit]
		out.Next = access.EncodeCursor(rows[len(rows)-1].ID)
	}
	out.Items = make([]Invitation, len(rows))
	for i, r := range rows {
		out.Items[i] = r.public(now)
	}
	return out
}

// Inbox is what seed 003's invitation listing shows a principal: the
// invitations its company sent (one page of List: the pending ones unless
// the filter names a status) and, for
// a user, the pending invitations to their own e-mail from any company
// (the first access.MaxPageLimit of them).
type Inbox struct {
	Sent     access.Page[Invitation]
	Received []Invitation
}

// Inbox lists the principal's sent and received invitations. Sending
// needs USER_VIEW, as List; a principal that is not a user receives none.
func (s *Service) Inbox(ctx context.Context, p access.Principal, f ListFilter) (Inbox, error) {
	sent, err := s.List(ctx, p, f)
	if err != nil {
		return Inbox{}, err
	}
	out := Inbox{Sent: sent, Received: []Invitation{}}
	if p.Kind != access.PrincipalUser || p.SessionConfined {
		return out, nil
	}
	u, err := s.acc.GetUser(ctx, p, p.UserID)
	if err != nil {
		return Inbox{}, err
	}
	got, err := s.ListForEmail(ctx, p, u.Email, access.PageRequest{Limit: access.MaxPageLimit})
	if err != nil {
		return Inbox{}, err
	}
	out.Received = got.Items
	return out, nil
}
