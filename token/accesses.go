package token

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// listAccesses is the token kind's access.SubjectKind.List: the
// company's API tokens that still work (neither revoked nor expired), as
// seed 002's ApiToken account accesses. A token's account level is its
// own level; its creator is named by access.
func (s *Service) listAccesses(ctx context.Context, companyID uuid.UUID, q access.SubjectQuery) ([]access.AccountAccess, error) {
	now := s.now()
	var out []access.AccountAccess
	keep := func(t Token) {
		if t.Kind == KindAPI && !t.Revoked() && !t.Expired(now) {
			out = append(out, access.AccountAccess{ID: t.ID, CompanyID: t.CompanyID,
				Subject: access.Subject{Type: access.SubjectToken, ID: t.ID}, Level: t.Level, Active: true,
				Specifier: access.Specifier{Name: t.Name, CreatedBy: t.UserID, Hint: t.Hint, ExpiresAt: t.ExpiresAt}})
		}
	}
	if q.IDs != nil {
		for _, id := range q.IDs {
			t, err := s.st.GetToken(ctx, companyID, id)
			switch {
			case errors.Is(err, access.ErrNotFound):
				continue
			case err != nil:
				return nil, err
			}
			keep(t)
		}
		return out, nil
	}
	// The store lists revoked tokens too: walk on until the page fills.
	c := access.Cursor{After: q.After, Limit: q.Limit}
	for {
		page, err := s.st.ListTokens(ctx, companyID, c)
		if err != nil {
			return nil, err
		}
		for _, t := range page {
			if len(out) < q.Limit {
				keep(t)
			}
		}
		if len(out) >= q.Limit || len(page) < c.Limit {
			return out, nil
		}
		c.After = page[len(page)-1].ID
	}
}
