package token

import (
	"fmt"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// Token is a stored API or session token. It holds no secret: only the
// SHA-256 Digest of one and a non-secret Hint for listings.
type Token struct {
	ID   uuid.UUID
	Kind Kind // KindAPI or KindSession
	// CompanyID is the company of an API token, or the company a session
	// acts in: the login link's, then wherever SwitchSession moved it.
	// A session never follows its user's other sessions or the user's
	// active company: whoever holds it reaches only where it was sent.
	CompanyID uuid.UUID
	// UserID is the creator of an API token (whose current membership caps
	// it), or the user of a session.
	UserID uuid.UUID
	Name   string
	// UserStatus is the Status of UserID (the creator of an API token,
	// the user of a session) as GetTokenByHash read it with the token, in
	// the same lookup; other reads leave it empty.
	UserStatus access.UserStatus
	// Permissions and Level are an API token's own ceiling. ManageTokens
	// among the Permissions lets it manage API tokens.
	Permissions []string
	Level       int
	// Ancestors are the API tokens that made this one (ManageTokens),
	// its parent first, then the parent's parent and so on; nil for a
	// token a user or the system made. It works only while every one of
	// them does (neither revoked nor expired), and within their rights:
	// a parent that stops stops its children on their next request.
	// May be shared with the store: treat it as read-only.
	Ancestors []uuid.UUID
	// Origin, HomeID and Companies are a session's scope (zero for an
	// API token). Origin says how it was obtained; HomeID is its login
	// link's company, where it started; Companies are the companies
	// created through it (Service.CreateCompany), in order. A
	// provisioned session reaches only HomeID, Companies and the
	// customers connected to them (access.Service.SwitchCompany).
	// Companies may be shared with the store and must not be modified.
	Origin    Origin
	HomeID    uuid.UUID
	Companies []uuid.UUID
	// Client is what the host recorded of a session's client when it was
	// minted (WithClientInfo); zero for an API token.
	Client     ClientInfo
	Digest     Digest
	Hint       string    // e.g. "gate_api_…x9Zq"
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time // zero: never used; updated at most once a minute
	RevokedAt  time.Time // zero: not revoked
	CreatedAt  time.Time
}

// Origin is how a session was obtained, which decides where it reaches.
type Origin uint8

// Origins of a session. The zero value is no session's (an API token's),
// and a session with any origin but OriginSignIn is confined.
const (
	// OriginProvisioned: minted from a login link someone else asked for,
	// a user or an API token of a company provisioning the user
	// (Service.Provision). Confined to its own companies.
	OriginProvisioned Origin = iota + 1
	// OriginSignIn: minted from a login link the host itself issued (the
	// system principal), the way a host signs its own user in. It follows
	// the user's memberships.
	OriginSignIn
)

var originCodes = [...]string{OriginProvisioned: "provisioned", OriginSignIn: "signin"}

// String is the origin's stored code: "provisioned", "signin", or "" for
// none.
func (o Origin) String() string {
	if int(o) < len(originCodes) {
		return originCodes[o]
	}
	return ""
}

// OriginOf is the Origin of a stored code, 0 for an unknown one.
func OriginOf(code string) Origin {
	for o := OriginProvisioned; int(o) < len(originCodes); o++ {
		if originCodes[o] == code {
			return o
		}
	}
	return 0
}

// Expired reports whether t has expired at now (now >= ExpiresAt).
func (t Token) Expired(now time.Time) bool { return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) }

// LastFour is the last four characters of the token's secret, from its
// Hint (seed 002's last_4_digits); "" without a hint.
func (t Token) LastFour() string {
	if len(t.Hint) < 4 {
		return ""
	}
	return t.Hint[len(t.Hint)-4:]
}

// Revoked reports whether t was revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// LoginLink is a stored one-time link: a magic login link for a user in a
// company, or a password reset link of a user (Kind).
type LoginLink struct {
	ID uuid.UUID
	// Kind is the kind of the link's secret: KindLoginLink, or
	// KindPasswordReset for a reset link, which belongs to no company
	// (CompanyID is uuid.Nil) and never signs anyone in.
	Kind      Kind
	CompanyID uuid.UUID
	UserID    uuid.UUID
	Digest    Digest
	CreatedBy uuid.UUID // the provisioning user, uuid.Nil for the system
	ExpiresAt time.Time
	UsedAt    time.Time // zero: not redeemed
	RevokedAt time.Time // zero: not superseded by a newer link (nor ended)
	CreatedAt time.Time
}

// Origin is the origin of the sessions the link mints: OriginSignIn for a
// link the host issued (CreatedBy is uuid.Nil), OriginProvisioned for one
// a user or an API token of a company asked for.
func (l LoginLink) Origin() Origin {
	if l.CreatedBy == uuid.Nil {
		return OriginSignIn
	}
	return OriginProvisioned
}

// NewToken is the input of Service.Create.
//
// With none of Role, Permissions, Level and Grants set the token inherits
// its creator's current rights (their level and every permission they
// hold; a token creating one: its own, as capped by its creator), unless
// Bare asks for a token with no right of its own. Either way it never holds
// more than its creator.
type NewToken struct {
	Name string
	// Role, if set, gives the token that role's level and permissions.
	Role string
	// Permissions are given on top of Role's (or alone). ManageTokens
	// among them lets the token manage API tokens; no role implies it and
	// inheriting never passes it on.
	Permissions []string
	// Level caps the token's access level on resources when no Role is set
	// (0: only what resource grants to the token give it).
	Level int
	// Grants are resource grants the token receives in the transaction
	// that creates it (seed 002's resources other than the account), each
	// under access.Service.Grant's rules for the creator.
	Grants []ResourceGrant
	// Bare creates a token with no right of its own when Role,
	// Permissions, Level and Grants are all empty, instead of inheriting.
	Bare bool
	// ExpiresAt is when the token stops working; zero for never. A token
	// another token creates never outlives its parent: its expiry is at
	// most the parent's.
	ExpiresAt time.Time
	// CreatorID is the member on whose behalf the system principal creates
	// the token (the token never holds more than they do). Ignored for
	// other principals, who create tokens on their own behalf.
	CreatorID uuid.UUID
}

// ResourceGrant is an access level on one resource, given to a token as
// it is created (NewToken.Grants).
type ResourceGrant struct {
	Resource access.Resource
	Level    int
}

// Described is an API token with the resource grants it holds
// (Service.Describe, DescribeList): seed 002's view of a token.
type Described struct {
	Token  Token
	Grants []access.Grant
	// Creator is the member whose rights cap the token (Token.UserID).
	Creator access.User
}

// Created is the result of Service.Create and Service.Reset: the stored
// token and its secret, shown this once, with the token's resource grants.
type Created struct {
	Token  Token
	Secret Secret
	Grants []access.Grant
	// Creator is the member whose rights cap the token (Token.UserID).
	Creator access.User
}

// Format prints c with its secret redacted.
func (c Created) Format(f fmt.State, verb rune) { formatView(f, verb, createdView(c)) }

type createdView Created

// Provision is the input of Service.Provision (seed 000's provision call).
type Provision struct {
	Email string
	Role  string
	// NoSwitch forbids the user to switch to the company (seed 000's
	// access_switch: false). The zero value allows it.
	NoSwitch bool
	// NoLink grants the access only and issues no login link (LoginURL
	// stays empty): for a user who signs in on their own.
	NoLink bool
	// Notify sends the person a Granted event through the Notifier, with
	// the login link when one is issued, instead of returning the link to
	// the caller: a user who belongs to other companies gets the notice
	// without a link.
	Notify bool
}

// Provisioned is the result of Service.Provision.
type Provisioned struct {
	Member      access.Member
	UserCreated bool // the user did not exist before
	// LoginURL is the magic link: the configured base URL with the login
	// secret in its "token" query parameter.
	LoginURL      Secret
	LinkExpiresAt time.Time
}

// Format prints p with its login URL redacted.
func (p Provisioned) Format(f fmt.State, verb rune) { formatView(f, verb, provisionedView(p)) }

type provisionedView Provisioned

// Login is the result of redeeming a login link: who logged in where, so
// the host can start its own session, or the session token minted for it.
type Login struct {
	User    access.User
	Company access.Company
	// Origin says whose link it was: OriginProvisioned for a link someone
	// else asked for, whose holder need not be the user (a host starting
	// its own session from it should confine it as Service.Verify does
	// the sessions it mints), OriginSignIn for one the host issued.
	Origin Origin
	// Session is set by RedeemLoginLinkSession.
	Session *Session
}

// Format prints l with any session secret redacted.
func (l Login) Format(f fmt.State, verb rune) { formatView(f, verb, loginView(l)) }

type loginView Login

// Session is a minted session token: a bearer token acting as its user in
// one company (Token.CompanyID), moved only by SwitchSession.
type Session struct {
	Token  Token
	Secret Secret
}

// Format prints s with its secret redacted.
func (s Session) Format(f fmt.State, verb rune) { formatView(f, verb, sessionView(s)) }

// String renders s with its secret redacted.
func (s Session) String() string { return fmt.Sprint(s) }

type sessionView Session

// String renders c with its secret redacted.
func (c Created) String() string { return fmt.Sprint(c) }

// String renders p with its login URL redacted.
func (p Provisioned) String() string { return fmt.Sprint(p) }

// String renders l with any session secret redacted.
func (l Login) String() string { return fmt.Sprint(l) }

// formatView prints a method-less copy of a secret-holding struct with the
// verb and flags asked for; its Secret fields redact themselves.
func formatView(f fmt.State, verb rune, v any) {
	if s, ok := v.(loginView); ok && s.Session != nil {
		// A pointer field would print as an address; show the session,
		// redacted, instead.
		type flat struct {
			User    access.User
			Company access.Company
			Origin  Origin
			Session sessionView
		}
		v = flat{s.User, s.Company, s.Origin, sessionView(*s.Session)}
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), v)
}
