package token

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// Create creates an API token of the principal's company and returns it
// with its secret, shown this once. The principal needs USER_ADD ("add
// users, create invitations and tokens"), and the token never holds a
// level or a permission its creator lacks. The creator is the acting user,
// or in.CreatorID when the system principal acts; a token cannot create
// tokens. Errors: ErrInvalid naming the field; ErrForbidden; ErrNotFound
// for a company the principal has no relation to.
func (s *Service) Create(ctx context.Context, p access.Principal, in NewToken) (Created, error) {
	if err := access.CheckText("name", in.Name); err != nil {
		return Created{}, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return Created{}, access.Invalid("name", "a token name of 1 to 200 characters is required")
	}
	cat := s.acc.Catalog()
	level := in.Level
	var perms []string
	if in.Role != "" {
		r, err := cat.ParseRole("role", in.Role)
		if err != nil {
			return Created{}, err
		}
		level, perms = r.Level, r.Permissions
	} else if level < 0 || level > access.LevelOwner {
		return Created{}, access.Invalid("level", "level must be between 0 and %d", access.LevelOwner)
	}
	extra, err := cat.ParsePermissions("permissions", in.Permissions)
	if err != nil {
		return Created{}, err
	}
	perms = append(perms, extra...)
	slices.Sort(perms)
	perms = slices.Clip(slices.Compact(perms))
	now := s.now()
	var expires time.Time
	if !in.ExpiresAt.IsZero() {
		if expires = in.ExpiresAt.UTC().Truncate(time.Microsecond); !expires.After(now) {
			return Created{}, access.Invalid("expires_at", "expires_at must be in the future")
		}
	}
	creator := p
	switch p.Kind {
	case access.PrincipalUser:
	case access.PrincipalSystem:
		if in.CreatorID == uuid.Nil {
			return Created{}, access.Invalid("creator_id", "the system creates tokens on behalf of a member: creator_id is required")
		}
		creator = access.UserPrincipal(in.CreatorID, p.CompanyID)
	case access.PrincipalToken:
		return Created{}, access.Forbidden("a token cannot create tokens")
	default:
		return Created{}, access.Unauthenticated("no principal")
	}
	secret := s.format.Generate(KindAPI)
	t := Token{ID: s.newID(), Kind: KindAPI, CompanyID: p.CompanyID, UserID: creator.UserID, Name: name,
		Permissions: perms, Level: level, Digest: Hash(secret.v), Hint: secret.Hint(),
		ExpiresAt: expires, CreatedAt: now}
	err = s.acc.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.acc.Authorize(ctx, p, access.UserAdd); err != nil {
			return err
		}
		// The ceiling is the creator's (for the system: the member it acts
		// for, who must be an active member).
		a, err := s.acc.Authorize(ctx, creator, "")
		if err != nil {
			return err
		}
		if err := a.CanGrant(level, perms); err != nil {
			return err
		}
		if err := s.st.CreateToken(ctx, &t); err != nil {
			return err
		}
		return s.acc.Audit(ctx, p, p.CompanyID, "token.created", auditTarget(t), map[string]string{
			"name": name, "level": strconv.Itoa(level), "permissions": strings.Join(perms, ","),
			"expires_at": formatTime(t.ExpiresAt), "creator": creator.UserID.String(),
		})
	})
	if err != nil {
		return Created{}, err
	}
	return Created{Token: t, Secret: secret}, nil
}

// List lists the API tokens of the principal's company, revoked ones
// included, with their last use and without any secret. Needs USER_VIEW.
func (s *Service) List(ctx context.Context, p access.Principal, pr access.PageRequest) (access.Page[Token], error) {
	c, err := pr.Cursor()
	if err != nil {
		return access.Page[Token]{}, err
	}
	if err := s.acc.Check(ctx, p, access.UserView); err != nil {
		return access.Page[Token]{}, err
	}
	limit := c.Limit
	c.Limit++
	rows, err := s.st.ListTokens(ctx, p.CompanyID, c)
	if err != nil {
		return access.Page[Token]{}, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		return access.Page[Token]{Items: rows, Next: access.EncodeCursor(rows[limit-1].ID)}, nil
	}
	return access.Page[Token]{Items: rows}, nil
}

// Get returns an API token of the principal's company. Needs USER_VIEW; a
// token of another company is ErrNotFound, as an unknown one.
func (s *Service) Get(ctx context.Context, p access.Principal, id uuid.UUID) (Token, error) {
	if err := s.acc.Check(ctx, p, access.UserView); err != nil {
		return Token{}, err
	}
	t, err := s.st.GetToken(ctx, p.CompanyID, id)
	if errors.Is(err, access.ErrNotFound) {
		return Token{}, access.NotFound(access.CodeTokenNotFound)
	}
	return t, err
}

// Revoke revokes an API token of the principal's company, effective on the
// very next request, and removes the resource grants it held. Its creator
// and the token itself may revoke it; anyone else needs USER_DELETE and,
// for a token at or above their own level, to be an OWNER. Revoking a
// revoked token changes nothing. A token of another company is
// ErrNotFound.
func (s *Service) Revoke(ctx context.Context, p access.Principal, id uuid.UUID) (Token, error) {
	var out Token
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		a, err := s.acc.Authorize(ctx, p, "")
		if err != nil {
			return err
		}
		t, err := s.st.GetToken(ctx, p.CompanyID, id)
		if errors.Is(err, access.ErrNotFound) {
			return access.NotFound(access.CodeTokenNotFound)
		}
		if err != nil {
			return err
		}
		own := p.Kind == access.PrincipalUser && p.UserID == t.UserID ||
			p.Kind == access.PrincipalToken && p.TokenID == t.ID
		if !own && !(a.Has(access.UserDelete) && a.CanManage(t.Level)) {
			return access.Forbidden("revoking another member's token needs USER_DELETE above its level")
		}
		if t.Revoked() {
			out = t
			return nil
		}
		if out, err = s.st.RevokeToken(ctx, p.CompanyID, id, s.now()); err != nil {
			return err
		}
		n, err := s.acc.RemoveSubjectGrants(ctx, p, access.Subject{Type: access.SubjectToken, ID: id})
		if err != nil {
			return err
		}
		return s.acc.Audit(ctx, p, p.CompanyID, "token.revoked", auditTarget(t),
			map[string]string{"name": t.Name, "grants_removed": strconv.Itoa(n)})
	})
	return out, err
}
