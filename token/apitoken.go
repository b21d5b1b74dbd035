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

// ManageTokens is the permission of an API token to manage API tokens of
// its company: list and view them, create tokens, reset and revoke them,
// with what its creator may do as a member (USER_VIEW, USER_ADD,
// USER_DELETE), checked against the creator's current membership on every
// call. It is a token's own permission: no role implies it and no
// membership holds it; a member who may create tokens (USER_ADD) may give
// it, and a token holding it may pass it on. Inheriting rights never
// passes it on (NewToken). The tokens a token creates hold no more than it
// does, never outlive it, and stop when it stops (Token.Ancestors).
const ManageTokens = "TOKENS_MANAGE"

// maxLineage bounds how many tokens deep tokens create tokens.
const maxLineage = 8

// Create creates an API token of the principal's company and returns it
// with its secret, shown this once. The principal needs USER_ADD ("add
// users, create invitations and tokens"), or, for an API token,
// ManageTokens (and its creator USER_ADD); the token never holds a level,
// a permission or a resource grant its creator lacks. The creator is the
// acting user, the member whose token acts, or in.CreatorID when the
// system principal acts. Errors: ErrInvalid naming the field (an expiry
// not in the future: code CodeExpiryNotFuture); ErrForbidden; ErrNotFound
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
	manage := slices.Contains(in.Permissions, ManageTokens)
	asked := slices.DeleteFunc(slices.Clone(in.Permissions), func(c string) bool { return c == ManageTokens })
	level := in.Level
	var perms []string
	if in.Role != "" {
		r, err := s.acc.RoleIn(ctx, p.CompanyID, "role", in.Role)
		if err != nil {
			return Created{}, err
		}
		level, perms = r.Level, r.Permissions
	} else if level < 0 || level > access.LevelOwner {
		return Created{}, access.Invalid("level", "level must be between 0 and %d", access.LevelOwner)
	}
	extra, err := cat.ParsePermissions("permissions", asked)
	if err != nil {
		return Created{}, err
	}
	perms = append(perms, extra...)
	inherit := in.Role == "" && len(in.Permissions) == 0 && level == 0 && len(in.Grants) == 0 && !in.Bare
	now := s.now()
	expires, err := s.expiry(in.ExpiresAt, now)
	if err != nil {
		return Created{}, err
	}
	creator := p
	switch p.Kind {
	case access.PrincipalUser, access.PrincipalToken:
		// A token creates on its own behalf: its ceiling, capped by its
		// creator's, is the new token's.
	case access.PrincipalSystem:
		if in.CreatorID == uuid.Nil {
			return Created{}, access.Invalid("creator_id", "the system creates tokens on behalf of a member: creator_id is required")
		}
		creator = access.UserPrincipal(in.CreatorID, p.CompanyID)
	default:
		return Created{}, access.Unauthenticated("no principal")
	}
	secret := s.format.Generate(KindAPI)
	t := Token{ID: s.newID(), Kind: KindAPI, CompanyID: p.CompanyID, UserID: creator.UserID, Name: name,
		Level: level, Digest: Hash(secret.v), Hint: secret.Hint(), ExpiresAt: expires, CreatedAt: now}
	var grants []access.Grant
	err = s.acc.InTx(ctx, func(ctx context.Context) error {
		a, err := s.manager(ctx, p, access.UserAdd)
		if err != nil {
			return err
		}
		if p.Kind == access.PrincipalSystem {
			// The ceiling is the member the system acts for, who must be
			// an active member.
			if a, err = s.acc.Authorize(ctx, creator, ""); err != nil {
				return err
			}
		}
		if a.Agency() {
			// A token lives on its creator's membership of its company:
			// an agency's tokens are made in the agency and reach the
			// customer through the connection (access.Principal).
			return access.Forbidden("an agency creates API tokens in the agency, not in its customer: the agency's tokens act in the customer through the connection")
		}
		if p.Kind == access.PrincipalToken {
			if err := s.descend(ctx, p, &t); err != nil {
				return err
			}
		}
		if inherit {
			t.Level, perms = min(a.Level(), access.LevelOwner), a.Permissions()
		}
		slices.Sort(perms)
		perms = slices.Compact(perms)
		if err := a.CanGrant(t.Level, perms); err != nil {
			return err
		}
		if manage {
			// Whoever may create a token may give it ManageTokens (a token
			// creating one holds it itself).
			perms = append(perms, ManageTokens)
			slices.Sort(perms)
		}
		t.Permissions = slices.Clip(perms)
		if err := s.st.CreateToken(ctx, &t); err != nil {
			return err
		}
		for _, g := range in.Grants {
			made, err := s.acc.Grant(ctx, creator, access.NewGrant{Subject: access.Subject{Type: access.SubjectToken, ID: t.ID},
				Resource: g.Resource, Level: g.Level})
			if err != nil {
				return err
			}
			grants = append(grants, made)
		}
		details := map[string]string{
			"name": name, "level": strconv.Itoa(t.Level), "permissions": strings.Join(t.Permissions, ","),
			"expires_at": formatTime(t.ExpiresAt), "creator": creator.UserID.String(),
		}
		if len(t.Ancestors) > 0 {
			details["parent"] = t.Ancestors[0].String()
		}
		return s.acc.Audit(ctx, p, p.CompanyID, "token.created", auditTarget(t), details)
	})
	if err != nil {
		return Created{}, err
	}
	u, err := s.creatorOf(ctx, t)
	if err != nil {
		return Created{}, err
	}
	return Created{Token: t, Secret: secret, Grants: grants, Creator: u}, nil
}

// expiry validates an expiry asked for at now: zero (never) or in the
// future.
func (s *Service) expiry(at, now time.Time) (time.Time, error) {
	if at.IsZero() {
		return time.Time{}, nil
	}
	if at = at.UTC().Truncate(time.Microsecond); !at.After(now) {
		return time.Time{}, &access.Error{Kind: access.ErrInvalid, Code: access.CodeExpiryNotFuture, Field: "expires_at",
			Message: "expires_at must be in the future"}
	}
	return at, nil
}

// descend makes t a child of the token p acts as, which must stand with
// all its ancestors: t's Ancestors are the parent and the parent's, and t
// never outlives the parent.
func (s *Service) descend(ctx context.Context, p access.Principal, t *Token) error {
	parent, err := s.st.GetToken(ctx, p.CompanyID, p.TokenID)
	if errors.Is(err, access.ErrNotFound) {
		return access.NotFound(access.CodeTokenNotFound)
	}
	if err != nil {
		return err
	}
	now := s.now()
	if parent.Revoked() || parent.Expired(now) {
		return access.Forbidden("the token has stopped")
	}
	if _, err := s.ancestry(ctx, parent, now); err != nil {
		return access.Forbidden("a token that made this token has stopped")
	}
	if len(parent.Ancestors) >= maxLineage {
		return access.Forbidden("tokens create tokens at most %d deep", maxLineage)
	}
	t.Ancestors = append([]uuid.UUID{parent.ID}, parent.Ancestors...)
	if !parent.ExpiresAt.IsZero() && (t.ExpiresAt.IsZero() || t.ExpiresAt.After(parent.ExpiresAt)) {
		t.ExpiresAt = parent.ExpiresAt
	}
	return nil
}

// ancestry reads t's Ancestors in one look-up: rejectAncestor if one of
// them is gone, revoked or expired at now.
func (s *Service) ancestry(ctx context.Context, t Token, now time.Time) ([]Token, error) {
	if len(t.Ancestors) == 0 {
		return nil, nil
	}
	anc, err := s.st.GetTokens(ctx, t.CompanyID, t.Ancestors)
	if err != nil {
		return nil, err
	}
	if len(anc) != len(t.Ancestors) {
		return nil, rejectAncestor
	}
	for _, a := range anc {
		if a.Revoked() || a.Expired(now) {
			return nil, rejectAncestor
		}
	}
	return anc, nil
}

// within is t's ceiling as it acts: its own level and permissions, capped
// by those its ancestors hold now, so a child never holds more than a
// token that made it, even one narrowed since. Its resource grants were
// capped when they were given.
func within(t Token, anc []Token) (int, []string) {
	if len(anc) == 0 {
		return t.Level, t.Permissions
	}
	level := t.Level
	perms := make([]string, 0, len(t.Permissions))
	for _, a := range anc {
		level = min(level, a.Level)
	}
	for _, c := range t.Permissions {
		if !slices.ContainsFunc(anc, func(a Token) bool { return !slices.Contains(a.Permissions, c) }) {
			perms = append(perms, c)
		}
	}
	return level, perms
}

// manager resolves p, in the transaction of ctx, as a manager of API
// tokens with the member's right perm: a user (or the system) holding
// perm, or an API token holding ManageTokens whose creator holds perm
// now. The Actor is p's (a token's capped by its creator's), for the
// ceiling.
func (s *Service) manager(ctx context.Context, p access.Principal, perm string) (access.Actor, error) {
	if p.Kind != access.PrincipalToken {
		return s.acc.Authorize(ctx, p, perm)
	}
	a, err := s.acc.Authorize(ctx, p, "")
	if err != nil {
		return access.Actor{}, err
	}
	if !slices.Contains(p.TokenPermissions, ManageTokens) {
		return access.Actor{}, access.Forbidden("the token may not manage API tokens: it does not hold %s", ManageTokens)
	}
	if err := s.acc.Check(ctx, access.UserPrincipal(p.UserID, p.CompanyID), perm); err != nil {
		if errors.Is(err, access.ErrForbidden) {
			return access.Actor{}, access.Forbidden("the token's creator does not hold %s", perm)
		}
		return access.Actor{}, err
	}
	return a, nil
}

// viewer checks that p may see the company's API tokens: USER_VIEW, or a
// token managing tokens (ManageTokens, its creator holding USER_VIEW).
func (s *Service) viewer(ctx context.Context, p access.Principal) error {
	if p.Kind == access.PrincipalToken && slices.Contains(p.TokenPermissions, ManageTokens) {
		_, err := s.manager(ctx, p, access.UserView)
		return err
	}
	return s.acc.Check(ctx, p, access.UserView)
}

// List lists the API tokens of the principal's company, revoked ones
// included, with their last use and without any secret. Needs USER_VIEW
// (a token: USER_VIEW or ManageTokens).
func (s *Service) List(ctx context.Context, p access.Principal, pr access.PageRequest) (access.Page[Token], error) {
	c, err := pr.Cursor()
	if err != nil {
		return access.Page[Token]{}, err
	}
	if err := s.viewer(ctx, p); err != nil {
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

// DescribeList is List with each token's resource grants and creator
// (seed 002's api_tokens listing). A page costs a bounded number of store
// reads whatever its size: the page, the grants of all its tokens at once
// (one read per MaxPageLimit grants) and all their creators at once.
func (s *Service) DescribeList(ctx context.Context, p access.Principal, pr access.PageRequest) (access.Page[Described], error) {
	page, err := s.List(ctx, p, pr)
	if err != nil {
		return access.Page[Described]{}, err
	}
	out := access.Page[Described]{Items: make([]Described, len(page.Items)), Next: page.Next}
	if len(page.Items) == 0 {
		return out, nil
	}
	subs := make([]access.Subject, len(page.Items))
	creators := make([]uuid.UUID, len(page.Items))
	for i, t := range page.Items {
		subs[i] = access.Subject{Type: access.SubjectToken, ID: t.ID}
		creators[i] = t.UserID
	}
	// The tokens are the principal's company's: the grants and creators
	// are read as that company's system, as Describe reads them.
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: page.Items[0].CompanyID}
	held, err := s.grantsOfAll(ctx, sys, subs)
	if err != nil {
		return access.Page[Described]{}, err
	}
	users, err := s.acc.GetUsers(ctx, sys, creators)
	if err != nil {
		return access.Page[Described]{}, err
	}
	for i, t := range page.Items {
		out.Items[i] = Described{Token: t, Grants: held[subs[i]], Creator: users[t.UserID]}
	}
	return out, nil
}

// grantsOf lists every resource grant the token holds. The caller has
// checked that the principal may see the token; the grants are read as
// the system of the token's company.
func (s *Service) grantsOf(ctx context.Context, t Token) ([]access.Grant, error) {
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: t.CompanyID}
	sub := access.Subject{Type: access.SubjectToken, ID: t.ID}
	held, err := s.grantsOfAll(ctx, sys, []access.Subject{sub})
	return held[sub], err
}

// grantsOfAll lists the grants of every subject of subs in sys's company,
// by subject, each in grant order, in pages of all of them at once.
func (s *Service) grantsOfAll(ctx context.Context, sys access.Principal, subs []access.Subject) (map[access.Subject][]access.Grant, error) {
	out := map[access.Subject][]access.Grant{}
	pr := access.PageRequest{Limit: access.MaxPageLimit}
	for {
		page, err := s.acc.ListGrants(ctx, sys, access.GrantFilter{Subjects: subs, Page: pr})
		if err != nil {
			return nil, err
		}
		for _, g := range page.Items {
			out[g.Subject] = append(out[g.Subject], g)
		}
		if page.Next == "" {
			return out, nil
		}
		pr.After = page.Next
	}
}

// creatorOf reads the member whose rights cap t, for a caller that may
// see t (the zero User if they are gone).
func (s *Service) creatorOf(ctx context.Context, t Token) (access.User, error) {
	u, err := s.acc.GetUser(ctx, access.Principal{Kind: access.PrincipalSystem, CompanyID: t.CompanyID}, t.UserID)
	if errors.Is(err, access.ErrNotFound) {
		return access.User{}, nil
	}
	return u, err
}

// Get returns an API token of the principal's company. Needs USER_VIEW
// (a token: USER_VIEW or ManageTokens); a token of another company is
// ErrNotFound, as an unknown one.
func (s *Service) Get(ctx context.Context, p access.Principal, id uuid.UUID) (Token, error) {
	if err := s.viewer(ctx, p); err != nil {
		return Token{}, err
	}
	t, err := s.st.GetToken(ctx, p.CompanyID, id)
	if errors.Is(err, access.ErrNotFound) {
		return Token{}, access.NotFound(access.CodeTokenNotFound)
	}
	return t, err
}

// Describe is Get with the token's resource grants.
func (s *Service) Describe(ctx context.Context, p access.Principal, id uuid.UUID) (Described, error) {
	t, err := s.Get(ctx, p, id)
	if err != nil {
		return Described{}, err
	}
	g, err := s.grantsOf(ctx, t)
	if err != nil {
		return Described{}, err
	}
	u, err := s.creatorOf(ctx, t)
	if err != nil {
		return Described{}, err
	}
	return Described{Token: t, Grants: g, Creator: u}, nil
}

// mayChange applies the rule of changing someone's token (revoking,
// resetting): its creator may, as may the token itself and the tokens
// that made it; anyone else needs USER_DELETE (a token: ManageTokens with
// its creator holding USER_DELETE) and, for a token at or above their own
// level, to be an OWNER.
func (s *Service) mayChange(ctx context.Context, p access.Principal, a access.Actor, t Token) error {
	switch {
	case p.Kind == access.PrincipalUser && p.UserID == t.UserID,
		p.Kind == access.PrincipalToken && (p.TokenID == t.ID || slices.Contains(t.Ancestors, p.TokenID)):
		return nil
	}
	deny := access.Forbidden("changing another member's token needs USER_DELETE above its level")
	if !a.CanManage(t.Level) {
		return deny
	}
	if a.Has(access.UserDelete) {
		return nil
	}
	if p.Kind == access.PrincipalToken && slices.Contains(p.TokenPermissions, ManageTokens) {
		if _, err := s.manager(ctx, p, access.UserDelete); err != nil {
			if errors.Is(err, access.ErrForbidden) {
				return deny
			}
			return err
		}
		return nil
	}
	return deny
}

// Revoke revokes an API token of the principal's company, effective on the
// very next request, and removes the resource grants it held. The tokens
// it made stop with it (Token.Ancestors). Who may: see mayChange. Revoking
// a revoked token changes nothing. A token of another company is
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
		if err := s.mayChange(ctx, p, a, t); err != nil {
			return err
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

// Reset gives an API token of the principal's company a new secret,
// returned this once, and an expiry (zero: never): the old secret stops at
// once, the token keeps its ID, rights, resource grants and the tokens it
// made. It is creating the token again: the principal needs what Create
// needs and what Revoke needs (mayChange), and the token's rights must lie
// within its own. Of concurrent resets of one token exactly one succeeds.
// Errors: ErrNotFound (CodeTokenNotFound); ErrConflict with
// CodeTokenRevoked, CodeTokenExpired (a token that stopped, or a token
// that made it, is not reset) or CodeTokenReset (reset meanwhile);
// ErrInvalid (expires_at: CodeExpiryNotFuture); ErrForbidden.
func (s *Service) Reset(ctx context.Context, p access.Principal, id uuid.UUID, expiresAt time.Time) (Created, error) {
	now := s.now()
	expires, err := s.expiry(expiresAt, now)
	if err != nil {
		return Created{}, err
	}
	secret := s.format.Generate(KindAPI)
	var out Created
	err = s.acc.InTx(ctx, func(ctx context.Context) error {
		a, err := s.manager(ctx, p, access.UserAdd)
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
		if err := s.mayChange(ctx, p, a, t); err != nil {
			return err
		}
		switch {
		case t.Revoked():
			return access.Conflict(access.CodeTokenRevoked, "a revoked token cannot be reset")
		case t.Expired(now):
			return access.Conflict(access.CodeTokenExpired, "an expired token cannot be reset")
		}
		anc, err := s.ancestry(ctx, t, now)
		if err != nil {
			return access.Conflict(access.CodeTokenRevoked, "a token that made this token has stopped: it cannot be reset")
		}
		if err := a.CanGrant(t.Level, slices.DeleteFunc(slices.Clone(t.Permissions), func(c string) bool { return c == ManageTokens })); err != nil {
			return err
		}
		for _, up := range anc {
			if !up.ExpiresAt.IsZero() && (expires.IsZero() || expires.After(up.ExpiresAt)) {
				expires = up.ExpiresAt
			}
		}
		if out.Token, err = s.st.ResetToken(ctx, p.CompanyID, id, t.Digest, Hash(secret.v), secret.Hint(), expires); err != nil {
			return err
		}
		if out.Grants, err = s.grantsOf(ctx, out.Token); err != nil {
			return err
		}
		if out.Creator, err = s.creatorOf(ctx, out.Token); err != nil {
			return err
		}
		return s.acc.Audit(ctx, p, p.CompanyID, "token.reset", auditTarget(t),
			map[string]string{"name": t.Name, "expires_at": formatTime(expires)})
	})
	if err != nil {
		return Created{}, err
	}
	out.Secret = secret
	return out, nil
}
