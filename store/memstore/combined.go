package memstore

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// The methods that answer, for PostgreSQL's sake, in one round trip what
// other methods answer in several: here they are those methods, run
// together in one transaction.

// UpdateMembershipAudited implements access.Store: UpdateMembership and
// AppendAudit, all or nothing.
func (s *Store) UpdateMembershipAudited(ctx context.Context, m *access.Membership, e *access.AuditEvent) error {
	return s.RunInTx(ctx, func(ctx context.Context) error {
		if err := s.UpdateMembership(ctx, m); err != nil {
			return err
		}
		return s.AppendAudit(ctx, e)
	})
}

// AppendAudits implements access.Store: AppendAudit of each, all or
// nothing.
func (s *Store) AppendAudits(ctx context.Context, events []access.AuditEvent) error {
	return s.RunInTx(ctx, func(ctx context.Context) error {
		for i := range events {
			if err := s.AppendAudit(ctx, &events[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetMembers implements access.Store: GetMember of each user, as of one
// moment.
func (s *Store) GetMembers(ctx context.Context, companyID uuid.UUID, userIDs []uuid.UUID) ([]access.Member, error) {
	var out []access.Member
	err := s.RunInTx(ctx, func(ctx context.Context) error {
		out = out[:0]
		for _, id := range userIDs {
			if containsMember(out, id) {
				continue
			}
			m, err := s.GetMember(ctx, companyID, id)
			switch {
			case err == nil:
				out = append(out, m)
			case !errors.Is(err, access.ErrNotFound):
				return err
			}
		}
		return nil
	})
	return out, err
}

func containsMember(ms []access.Member, userID uuid.UUID) bool {
	for _, m := range ms {
		if m.UserID == userID {
			return true
		}
	}
	return false
}
