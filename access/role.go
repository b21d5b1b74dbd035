package access

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// The built-in role codes and their levels (seed 002's access levels).
const (
	RoleOwner      = "OWNER"
	RoleAdmin      = "ADMIN"
	RoleViewerPlus = "VIEWER_PLUS"
	RoleViewer     = "VIEWER"

	LevelOwner         = 1000
	LevelAdmin         = 100
	LevelViewerPlus    = 50
	LevelViewer        = 10
	LevelIndeterminate = 1
)

// Role is a named level with a default permission set ("accesses" in seed
// 001: id, name, code). IDs are stable: derived from the code.
type Role struct {
	ID          uuid.UUID
	Code        string
	Name        string
	Level       int
	Permissions []string // default permissions, closed under implication
	// Origin is where the role comes from: built in, the host's
	// catalog, or a company's own (then CompanyID is that company).
	Origin    RoleOrigin
	CompanyID uuid.UUID
}

// RoleSpec registers a host role. Permissions nil means "every VIEW
// permission"; list them to choose.
type RoleSpec struct {
	Code        string
	Name        string
	Level       int
	Permissions []string
}

// roleNamespace derives stable role IDs from role codes.
var roleNamespace = uuid.MustParse("5f0c8a52-3c1e-4d0b-9c8e-6d2b7a1e4f10")

// RoleID is the stable ID of the role with code.
func RoleID(code string) uuid.UUID { return uuid.NewSHA1(roleNamespace, []byte(code)) }

// Catalog is the immutable set of roles and permissions a Service knows. It
// is built once at start-up with NewCatalog; unknown codes fail closed.
type Catalog struct {
	perms    map[string]Permission
	permList []Permission
	roles    map[string]*Role
	roleList []*Role
	roleByID map[uuid.UUID]*Role
	// permRoles has, per permission, a bit per role (by index in
	// roleCodes) that holds it: the check's one hashed look-up.
	permRoles map[string]uint64
	roleCodes []string
}

// maxRoles bounds the catalog so a role fits in permRoles' bit set.
const maxRoles = 64

// CatalogOption extends the built-in catalog.
type CatalogOption func(*catalogSpec)

type catalogSpec struct {
	perms []Permission
	roles []RoleSpec
}

// WithPermissions registers host permissions, e.g. PermissionsFor("ORDERS")...
func WithPermissions(p ...Permission) CatalogOption {
	return func(s *catalogSpec) { s.perms = append(s.perms, p...) }
}

// WithRoles registers host roles besides OWNER, ADMIN, VIEWER_PLUS, VIEWER.
func WithRoles(r ...RoleSpec) CatalogOption {
	return func(s *catalogSpec) { s.roles = append(s.roles, r...) }
}

// NewCatalog builds the catalog: the built-in USER permissions and the four
// built-in roles, plus what the options add. OWNER and ADMIN hold every
// permission, VIEWER_PLUS every VIEW and EDIT, VIEWER every VIEW.
func NewCatalog(opts ...CatalogOption) (*Catalog, error) {
	spec := catalogSpec{perms: slices.Clone(builtinPermissions)}
	for _, o := range opts {
		o(&spec)
	}
	c := &Catalog{
		perms:     map[string]Permission{},
		roles:     map[string]*Role{},
		roleByID:  map[uuid.UUID]*Role{},
		permRoles: map[string]uint64{},
	}
	for _, p := range spec.perms {
		p.Code = strings.ToUpper(p.Code)
		if p.Code == "" || p.Category == "" {
			return nil, fmt.Errorf("gatehouse: permission %q needs a code and a category", p.Code)
		}
		for _, f := range []struct{ name, v string }{{"code", p.Code}, {"category", p.Category}, {"description", p.Description}} {
			if err := CheckText(f.name, f.v); err != nil {
				return nil, fmt.Errorf("gatehouse: permission %q: %w", p.Code, err)
			}
		}
		if _, dup := c.perms[p.Code]; dup {
			continue
		}
		c.perms[p.Code] = p
		c.permList = append(c.permList, p)
	}
	sort.Slice(c.permList, func(i, j int) bool {
		a, b := c.permList[i], c.permList[j]
		return a.Category < b.Category || a.Category == b.Category && a.Code < b.Code
	})
	var all, viewEdit, view []string
	for _, p := range c.permList {
		all = append(all, p.Code)
		if strings.HasSuffix(p.Code, "_VIEW") {
			view = append(view, p.Code)
			viewEdit = append(viewEdit, p.Code)
		}
		if strings.HasSuffix(p.Code, "_EDIT") {
			viewEdit = append(viewEdit, p.Code)
		}
	}
	specs := append([]RoleSpec{
		{RoleOwner, "Owner", LevelOwner, all},
		{RoleAdmin, "Admin", LevelAdmin, all},
		{RoleViewerPlus, "Viewer+", LevelViewerPlus, viewEdit},
		{RoleViewer, "Viewer", LevelViewer, view},
	}, spec.roles...)
	for n, rs := range specs {
		code := strings.ToUpper(rs.Code)
		if code == "" || rs.Level < LevelIndeterminate || rs.Level > LevelOwner {
			return nil, fmt.Errorf("gatehouse: role %q needs a code and a level between 1 and 1000", rs.Code)
		}
		if err := CheckText("code", code); err != nil {
			return nil, fmt.Errorf("gatehouse: role %q: %w", code, err)
		}
		if err := CheckText("name", rs.Name); err != nil {
			return nil, fmt.Errorf("gatehouse: role %q: %w", code, err)
		}
		if _, dup := c.roles[code]; dup {
			return nil, fmt.Errorf("gatehouse: role %q registered twice", code)
		}
		if len(c.roleCodes) == maxRoles {
			return nil, fmt.Errorf("gatehouse: more than %d roles", maxRoles)
		}
		perms := rs.Permissions
		if perms == nil {
			perms = view
		}
		norm, err := c.normalizePermissions("permissions", perms)
		if err != nil {
			return nil, fmt.Errorf("gatehouse: role %q: %w", code, err)
		}
		name := rs.Name
		if name == "" {
			name = code
		}
		origin := OriginBuiltin
		if n >= 4 {
			origin = OriginHost
		}
		r := &Role{ID: RoleID(code), Code: code, Name: name, Level: rs.Level, Permissions: norm, Origin: origin}
		c.roles[code] = r
		c.roleByID[r.ID] = r
		c.roleList = append(c.roleList, r)
		bit := uint64(1) << len(c.roleCodes)
		c.roleCodes = append(c.roleCodes, code)
		for _, p := range norm {
			c.permRoles[p] |= bit
		}
	}
	sort.SliceStable(c.roleList, func(i, j int) bool { return c.roleList[i].Level > c.roleList[j].Level })
	return c, nil
}

var defaultCatalog = func() *Catalog {
	c, err := NewCatalog()
	if err != nil {
		panic(err)
	}
	return c
}()

// DefaultCatalog returns the built-in catalog.
func DefaultCatalog() *Catalog { return defaultCatalog }

// Roles lists the roles, highest level first.
func (c *Catalog) Roles() []Role {
	out := make([]Role, len(c.roleList))
	for i, r := range c.roleList {
		out[i] = *r
		out[i].Permissions = slices.Clone(r.Permissions)
	}
	return out
}

// Role returns the role with code (case-insensitive).
func (c *Catalog) Role(code string) (Role, bool) {
	r, ok := c.roles[strings.ToUpper(code)]
	if !ok {
		return Role{}, false
	}
	out := *r
	out.Permissions = slices.Clone(r.Permissions)
	return out, true
}

// RoleByID returns the role with id.
func (c *Catalog) RoleByID(id uuid.UUID) (Role, bool) {
	r, ok := c.roleByID[id]
	if !ok {
		return Role{}, false
	}
	return c.Role(r.Code)
}

// Permissions lists the permissions ordered by category and code.
func (c *Catalog) Permissions() []Permission { return slices.Clone(c.permList) }

// Level returns a role's level, 0 for an unknown role (which fails every
// check).
func (c *Catalog) Level(role string) int {
	if r, ok := c.roles[role]; ok {
		return r.Level
	}
	return 0
}

// RoleHas reports whether role's default set holds perm.
func (c *Catalog) RoleHas(role, perm string) bool {
	bits := c.permRoles[perm]
	if bits == 0 {
		return false
	}
	for i, code := range c.roleCodes {
		if code == role {
			return bits&(1<<i) != 0
		}
	}
	return false
}

// HasPermission reports whether perm is registered.
func (c *Catalog) HasPermission(perm string) bool {
	_, ok := c.perms[perm]
	return ok
}

// roleCode validates a role code given as input.
func (c *Catalog) roleCode(field, code string) (*Role, error) {
	if err := CheckText(field, code); err != nil {
		return nil, err
	}
	r, ok := c.roles[strings.ToUpper(strings.TrimSpace(code))]
	if !ok {
		return nil, Invalid(field, "unknown role %q", code)
	}
	return r, nil
}

// Effective returns the permissions held with role, extra permissions on
// top of it and withheld permissions of it taken away (a membership's
// Role, Extra and Withheld; an invitation withholds nothing): each one
// for which holds says yes. GET /access, Authorize and the rank rules list
// what Check grants because all three ask holds. A role the catalog does
// not know (a company's own role) gives nil: resolve it first
// (Service.RoleIn) and ask EffectiveOf.
func (c *Catalog) Effective(role string, extra, withheld []string) []string {
	r, ok := c.roles[role]
	if !ok {
		return nil
	}
	return EffectiveOf(*r, extra, withheld)
}

// EffectiveOf is Effective for a role already resolved: a catalog role
// or a company's own (Service.RoleIn, Service.MemberRole).
func EffectiveOf(r Role, extra, withheld []string) []string {
	out := append(slices.Clone(r.Permissions), extra...)
	slices.Sort(out)
	return slices.DeleteFunc(slices.Compact(out), func(p string) bool {
		return !holds(slices.Contains(r.Permissions, p), slices.Contains(extra, p), slices.Contains(withheld, p))
	})
}

// holds is the one rule of what a membership holds: a permission of its
// role (roleHas) or of its extra permissions, unless it is withheld.
// Check asks it with the store's facts (roleHolds, AccessFacts.HasExtra,
// AccessFacts.Withheld), EffectiveOf with the membership's lists.
func holds(roleHas, inExtra, inWithheld bool) bool {
	return !inWithheld && (inExtra || roleHas)
}

// roleHolds reports whether the role of the membership CheckAccess found
// holds perm: a catalog role by its default set, a company's own role by
// the facts the store read from its row in the same round trip. A code
// the catalog knows is the catalog's (a company role never takes one).
func (c *Catalog) roleHolds(f *AccessFacts, perm string) bool {
	if _, ok := c.roles[f.Role]; ok {
		return c.RoleHas(f.Role, perm)
	}
	return f.CompanyRole && f.RoleHas
}

// roleLevel is the level of the role of the membership CheckAccess found,
// as roleHolds decides its permissions; 0 for a role that no longer
// exists (which fails closed).
func (c *Catalog) roleLevel(f *AccessFacts) int {
	if r, ok := c.roles[f.Role]; ok {
		return r.Level
	}
	if f.CompanyRole {
		return f.RoleLevel
	}
	return 0
}

// ParseRole validates a role code given as input; the error names field.
func (c *Catalog) ParseRole(field, code string) (Role, error) {
	r, err := c.roleCode(field, code)
	if err != nil {
		return Role{}, err
	}
	out := *r
	out.Permissions = slices.Clone(r.Permissions)
	return out, nil
}

// ParsePermissions validates permission codes given as input and closes
// them under implication; the error names field.
func (c *Catalog) ParsePermissions(field string, codes []string) ([]string, error) {
	return c.normalizePermissions(field, codes)
}
