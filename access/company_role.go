package access

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// RoleOrigin says where a role of a company's catalogue comes from.
type RoleOrigin string

// The origins of roles.
const (
	OriginBuiltin RoleOrigin = "builtin" // OWNER, ADMIN, VIEWER_PLUS, VIEWER
	OriginHost    RoleOrigin = "host"    // registered by the host with WithRoles
	OriginCompany RoleOrigin = "company" // defined by a company for itself (CompanyRole)
)

// CompanyRole is a role a company defined for itself at run time (issue
// 15): assignable only in that company, decided from its stored row on
// every check, so changing its permissions or level changes every
// holder's rights from the next check on. Its Code is unique in the
// company, never the code of a catalog role, and never changes (members
// hold roles by code); Name, Level and Permissions may change.
type CompanyRole struct {
	ID          uuid.UUID
	CompanyID   uuid.UUID
	Code        string
	Name        string
	Level       int
	Permissions []string // closed under implication, sorted
	CreatedBy   uuid.UUID
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Role returns r as a role of its company's catalogue.
func (r CompanyRole) Role() Role {
	return Role{ID: r.ID, Code: r.Code, Name: r.Name, Level: r.Level, Permissions: slices.Clone(r.Permissions),
		Origin: OriginCompany, CompanyID: r.CompanyID}
}

// CompanyRoleStore is the part of Store that keeps company roles. Errors
// as Store's: ErrNotFound (CodeRoleNotFound) for a role that does not
// exist in the company (also when it belongs to another one).
type CompanyRoleStore interface {
	// CreateCompanyRole inserts r. ErrConflict (CodeRoleTaken) if the
	// company has a role with r.Code; ErrNotFound (CodeCompanyNotFound)
	// if the company does not exist.
	CreateCompanyRole(ctx context.Context, r *CompanyRole) error
	// GetCompanyRole returns the company's role with code. With share,
	// inside a transaction, it holds a share lock of the role until the
	// transaction ends: the role cannot be changed or deleted meanwhile,
	// so giving it to someone and deleting it are serialised.
	GetCompanyRole(ctx context.Context, companyID uuid.UUID, code string, share bool) (CompanyRole, error)
	// GetCompanyRoleByID returns the company's role with id.
	GetCompanyRoleByID(ctx context.Context, companyID, id uuid.UUID) (CompanyRole, error)
	// LockCompanyRole returns the company's role with id, holding its
	// write lock until the transaction in ctx ends. Must be called inside
	// RunInTx.
	LockCompanyRole(ctx context.Context, companyID, id uuid.UUID) (CompanyRole, error)
	// UpdateCompanyRole stores Name, Level, Permissions and UpdatedAt of
	// the role (CompanyID, ID).
	UpdateCompanyRole(ctx context.Context, r *CompanyRole) error
	// DeleteCompanyRole removes the company's role with id.
	DeleteCompanyRole(ctx context.Context, companyID, id uuid.UUID) error
	// ListCompanyRoles lists the company's roles, ordered by ID.
	ListCompanyRoles(ctx context.Context, companyID uuid.UUID, c Cursor) ([]CompanyRole, error)
	// CountRoleHolders counts the company's memberships (active or not)
	// whose role is code.
	CountRoleHolders(ctx context.Context, companyID uuid.UUID, code string) (int, error)
	// ReplaceRole gives every membership of the company whose role is
	// from the role to instead (their extra and withheld permissions
	// stay), setting their UpdatedAt to at, and reports how many.
	ReplaceRole(ctx context.Context, companyID uuid.UUID, from, to string, at time.Time) (int, error)
}

// roleCodePattern is the shape of a company role's code: an upper-case
// identifier, as the catalog's codes are written.
var roleCodePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// companyRoleCode validates the code of a new company role: an upper-case
// identifier of at most 64 characters that is no catalog role's code.
func (c *Catalog) companyRoleCode(field, code string) (string, error) {
	if err := CheckText(field, code); err != nil {
		return "", err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if !roleCodePattern.MatchString(code) {
		return "", Invalid(field, "a role code is a letter then letters, digits or _ (at most 64), not %q", code)
	}
	if _, ok := c.roles[code]; ok {
		return "", Invalid(field, "%s is a role of the catalog; a company role needs a code of its own", code)
	}
	return code, nil
}
