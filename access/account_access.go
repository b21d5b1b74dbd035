package access

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AccountAccess is one specifier's access to one account (seed 002): a
// member (SubjectUser), a pending member invitation (SubjectInvite) or an
// API token (SubjectToken). It is never stored as such: a member's access
// IS their membership (its role is the account level), an invitation's is
// the role it offers, a token's is its own level; the resource grants the
// specifier holds are listed under it.
type AccountAccess struct {
	// ID is stable: the membership's ID (seed 001's user_access id), the
	// invitation's or the token's.
	ID        uuid.UUID
	CompanyID uuid.UUID
	// Subject is the holder as grants name it: the member's user ID, the
	// invitation's or the token's ID.
	Subject Subject
	// Role is the membership's role or the role the invitation offers;
	// "" for an API token.
	Role string
	// Level is the account-level access: the role's level (a token's own
	// level), raised by a grant on the account where the subject holds
	// one, as Service.Level reads it.
	Level int
	// Active is false for a deactivated membership (it keeps its role but
	// fails every check).
	Active    bool
	Specifier Specifier
	// Resources lists every permission held: the account first, then each
	// resource grant in the order the grants were made.
	Resources []ResourceLevel
}

// Permissions are seed 002's derived permissions of the account-level
// access.
func (a AccountAccess) Permissions() Derived { return DerivePermissions(a.Level) }

// ResourceLevel is one permission of an account access: a level on a
// resource. GrantID is the grant holding it, uuid.Nil for the account
// level of a membership, invitation or token.
type ResourceLevel struct {
	Resource Resource
	Level    int
	GrantID  uuid.UUID
}

// Specifier describes who holds an account access, as far as the caller
// may see it: never a secret.
type Specifier struct {
	Email string // a member's or an invitee's e-mail
	// Name is a member's full name (their e-mail when they have none) or
	// a token's name.
	Name string
	// CreatedBy is a token's creator, AuthorName their name (or e-mail).
	CreatedBy  uuid.UUID
	AuthorName string
	Hint       string    // a token's non-secret hint
	ExpiresAt  time.Time // a token's or an invitation's expiry; zero: never
}

// SubjectQuery asks a SubjectKind's List for the account accesses of one
// company: with IDs, those of the IDs that stand (in ID order); otherwise
// those with an ID after After, at most Limit, ordered by ID.
type SubjectQuery struct {
	IDs   []uuid.UUID
	After uuid.UUID
	Limit int
}

// AccessFilter narrows ListAccountAccesses.
type AccessFilter struct {
	// Types are the specifier types listed; empty means User and Invite,
	// as seed 002 lists them (API tokens are asked for).
	Types []SubjectType
	// Resources, if set, keeps only the accesses holding a grant on one
	// of them (seed 002's project_ids, inbox_ids, domain_ids).
	Resources []Resource
	Page      PageRequest
}

// PermissionChange is one item of UpdateAccessPermissions (seed 002's
// permissions/bulk): set the specifier's level on Resource, or with
// Destroy remove it.
type PermissionChange struct {
	Resource Resource
	// Level is a number ("1000", "100", "50", "10") or a role's name
	// ("owner", "admin", "viewer_plus", "viewer"), as ParseAccessLevel
	// reads it; ignored with Destroy.
	Level   string
	Destroy bool
}

// Account is one account the caller can act in (GET /api/accounts): the
// company and the caller's level there.
type Account struct {
	Company Company
	Level   int
}

// AccountResource is one resource of an account the caller administers,
// with the caller's level on it; the account's own node holds the others.
type AccountResource struct {
	Resource  Resource
	Name      string
	Level     int
	Resources []AccountResource
}

// accessLevelNames are the names seed 002's clients send for the levels.
var accessLevelNames = map[string]int{
	"owner": LevelOwner, "admin": LevelAdmin, "viewer_plus": LevelViewerPlus, "viewer+": LevelViewerPlus, "viewer": LevelViewer,
}

// ParseAccessLevel reads an access level given as a number (1000, 100,
// 50, 10) or a name (owner, admin, viewer_plus, viewer; any case). The
// error names field.
func ParseAccessLevel(field, v string) (int, error) {
	v = strings.TrimSpace(v)
	if err := CheckText(field, v); err != nil {
		return 0, err
	}
	if n, err := strconv.Atoi(v); err == nil {
		switch n {
		case LevelOwner, LevelAdmin, LevelViewerPlus, LevelViewer:
			return n, nil
		}
	} else if n, ok := accessLevelNames[strings.ToLower(v)]; ok {
		return n, nil
	}
	return 0, Invalid(field, "access level %q is none of 1000 (owner), 100 (admin), 50 (viewer_plus), 10 (viewer)", v)
}

// resourceCursor encodes the position of a resource listing.
func resourceCursor(r Resource) string {
	return base64.RawURLEncoding.EncodeToString([]byte(r.Type + "\x00" + r.ID))
}

func parseResourceCursor(s string) (Resource, error) {
	if s == "" {
		return Resource{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	t, id, ok := strings.Cut(string(b), "\x00")
	if err != nil || !ok || t == "" {
		return Resource{}, Invalid("cursor", "cursor is malformed")
	}
	return Resource{Type: t, ID: id}, nil
}
