package invite

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// listAccesses is the invitation kind's access.SubjectKind.List: the
// company's pending member invitations, as seed 002's Invite account
// accesses, at the level of the role they offer.
func (s *Service) listAccesses(ctx context.Context, companyID uuid.UUID, q access.SubjectQuery) ([]access.AccountAccess, error) {
	now := s.acc.Now()
	var rows []Invitation
	if q.IDs != nil {
		for _, id := range q.IDs {
			inv, err := s.st.GetInvitation(ctx, companyID, id)
			switch {
			case errors.Is(err, access.ErrNotFound):
				continue
			case err != nil:
				return nil, err
			}
			if inv.Kind == KindMember && inv.StatusAt(now) == StatusPending {
				rows = append(rows, inv)
			}
		}
	} else {
		var err error
		if rows, err = s.st.ListPendingInvitations(ctx, companyID, KindMember, now, access.Cursor{After: q.After, Limit: q.Limit}); err != nil {
			return nil, err
		}
	}
	out := make([]access.AccountAccess, len(rows))
	for i, inv := range rows {
		level, err := s.acc.RoleLevel(ctx, inv.CompanyID, inv.Role)
		if err != nil {
			return nil, err
		}
		out[i] = access.AccountAccess{ID: inv.ID, CompanyID: inv.CompanyID,
			Subject: access.Subject{Type: access.SubjectInvite, ID: inv.ID}, Role: inv.Role,
			Level: level, Active: true,
			Specifier: access.Specifier{Email: inv.Email, ExpiresAt: inv.ExpiresAt}}
	}
	return out, nil
}
