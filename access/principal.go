package access

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// PrincipalKind says who is acting.
type PrincipalKind uint8

// Principal kinds. The zero value is no principal and is denied everything.
const (
	PrincipalNone PrincipalKind = iota
	// PrincipalUser is a user acting in a company.
	PrincipalUser
	// PrincipalToken is an API token of a company, acting with at most its
	// own permissions and at most its creator's current rights.
	PrincipalToken
	// PrincipalSystem is the host itself (migrations, provisioning jobs,
	// tests): trusted, checked by nobody. Never hand it to a client.
	PrincipalSystem
)

// Principal is the acting party every service method takes. Build it with
// UserPrincipal, TokenPrincipal or SystemPrincipal; it holds no secret.
type Principal struct {
	Kind      PrincipalKind
	UserID    uuid.UUID // the user, or the token's creator
	CompanyID uuid.UUID // the company acted in
	TokenID   uuid.UUID // for PrincipalToken
	// TokenCompanyID is the token's own company (TokenPrincipal and
	// token.Service.Verify set it; uuid.Nil reads as CompanyID). While
	// CompanyID names it, the token acts through its creator's membership
	// there. When CompanyID names another company, the token acts there
	// only as the agency TokenCompanyID through their connection (never
	// through a membership its creator holds there, nor through another
	// agency its creator belongs to), with the connection's permissions
	// ∩ the token's own ∩ its creator's membership of TokenCompanyID,
	// while its creator is an active member there in an agency role
	// since before the token was issued.
	// Move a principal with In, which keeps it.
	TokenCompanyID uuid.UUID
	// TokenPermissions and TokenLevel are the token's own ceiling; the
	// creator's current membership caps them again on every check.
	TokenPermissions []string
	TokenLevel       int
	// TokenIssuedAt is when the token was made: a token older than its
	// creator's current membership (the creator was removed and added
	// again) does not come back to life.
	TokenIssuedAt time.Time
	// SessionID and the Session fields below are set by
	// token.Service.Verify for a user acting through a session token; a
	// host that builds principals itself leaves them zero (it is trusted
	// with every field of a Principal, as with SystemPrincipal).
	//
	// SessionID, for a user acting through a session token, is that
	// session (token.Service.Verify sets it), so switching the company
	// moves the very session that asked (token.Service.SwitchCompany).
	SessionID uuid.UUID
	// SessionHome is the company of the login link the session was minted
	// from: a membership there that forbids switching keeps the session
	// where it is (SwitchCompany).
	SessionHome uuid.UUID
	// SessionConfined marks a session minted from a login link someone
	// else asked for (provisioning): it switches only to SessionHome, to
	// the companies in SessionCompanies, and to the customers connected to
	// them as agency, never to a company its user joined through others.
	// A session its user obtained themselves is not confined: it follows
	// their memberships.
	SessionConfined bool
	// SessionCompanies are the companies the session created
	// (token.Service.CreateCompany). It may be shared with the store:
	// treat it as read-only.
	SessionCompanies []uuid.UUID
}

// UserPrincipal is userID acting in companyID.
func UserPrincipal(userID, companyID uuid.UUID) Principal {
	return Principal{Kind: PrincipalUser, UserID: userID, CompanyID: companyID}
}

// TokenPrincipal is an API token of companyID created by creatorID at
// issuedAt, holding at most perms and level.
func TokenPrincipal(tokenID, creatorID, companyID uuid.UUID, perms []string, level int, issuedAt time.Time) Principal {
	return Principal{Kind: PrincipalToken, UserID: creatorID, CompanyID: companyID, TokenID: tokenID, TokenCompanyID: companyID,
		TokenPermissions: slices.Clone(perms), TokenLevel: level, TokenIssuedAt: issuedAt}
}

// In returns p acting in companyID (the company FindCompany resolved, a
// connected customer): a token keeps its own company (TokenCompanyID),
// so that it acts there through its company's connection only.
func (p Principal) In(companyID uuid.UUID) Principal {
	if p.Kind == PrincipalToken && p.TokenCompanyID == uuid.Nil {
		p.TokenCompanyID = p.CompanyID
	}
	p.CompanyID = companyID
	return p
}

// reachAgency is the agency through which p, a token acting outside its
// own company, acts in p.CompanyID; uuid.Nil for every other principal.
// By reference: the check asks it, and a Principal is large to copy.
func (p *Principal) reachAgency() uuid.UUID {
	if p.Kind == PrincipalToken && p.TokenCompanyID != uuid.Nil && p.TokenCompanyID != p.CompanyID {
		return p.TokenCompanyID
	}
	return uuid.Nil
}

// SystemPrincipal is the trusted host.
func SystemPrincipal() Principal { return Principal{Kind: PrincipalSystem} }

// InSessionScope reports whether p may reach companyID through its user's
// membership there: always, unless p is a confined session
// (SessionConfined) and the company is not one of the session's own
// (SessionHome, SessionCompanies). Reach through connections is
// SwitchCompany's to decide.
func (p Principal) InSessionScope(companyID uuid.UUID) bool {
	return !p.SessionConfined || companyID == p.SessionHome || slices.Contains(p.SessionCompanies, companyID)
}

// IsZero reports whether p is no principal at all.
func (p Principal) IsZero() bool { return p.Kind == PrincipalNone }

// String renders the principal for audit events and logs.
func (p Principal) String() string {
	switch p.Kind {
	case PrincipalUser:
		return "user:" + p.UserID.String()
	case PrincipalToken:
		return "token:" + p.TokenID.String()
	case PrincipalSystem:
		return "system"
	}
	return "anonymous"
}

type principalKey struct{}

// WithPrincipal returns a context carrying p, for hosts that pass the caller
// through middleware.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal stored by WithPrincipal.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok && !p.IsZero()
}
