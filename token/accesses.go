package token

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// listAccesses is the token kind's access.SubjectKind.List: the
// company's API tokens that still work (stands: not revoked, not expired,
// not made by a token that stopped), as
// seed 002's ApiToken account accesses. A token's account level is its
// own level; its creator is named by access.
func (s *Service) listAccesses(ctx context.Context, companyID uuid.UUID, q access.SubjectQuery) ([]access.AccountAccess, error) {
	var out []access.AccountAccess
	keep := func(t Token) error {
		if t.Kind != KindAPI {
			return nil
		}
		switch err := s.stands(ctx, t); {
		case errors.Is(err, access.ErrConflict):
			return nil
		case err != nil:
			return err
		}
		out = append(out, access.AccountAccess{ID: t.ID, CompanyID: t.CompanyID,
			Subject: access.Subject{Type: access.SubjectToken, ID: t.ID}, Level: t.Level, Active: true,
			Specifier: access.Specifier{Name: t.Name, CreatedBy: t.UserID, Hint: t.Hint, ExpiresAt: t.ExpiresAt}})
		return nil
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
			if err := keep(t); err != nil {
				return nil, err
			}
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
				if err := keep(t); err != nil {
					return nil, err
				}
			}
		}
		if len(out) >= q.Limit || len(page) < c.Limit {
			return out, nil
		}
		c.After = page[len(page)-1].ID
	}
}
