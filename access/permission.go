package access

import (
	"slices"
	"strings"
)

// Permission is a code in a category, e.g. USER_EDIT in USER. Codes that
// end in _EDIT, _ADD or _DELETE imply the _VIEW code of the same prefix.
type Permission struct {
	Code        string
	Category    string
	Description string
}

// The built-in permissions of seed 003's access management.
const (
	UserView   = "USER_VIEW"
	UserEdit   = "USER_EDIT"
	UserAdd    = "USER_ADD"
	UserDelete = "USER_DELETE"
)

var builtinPermissions = []Permission{
	{UserView, "USER", "view users and invitations"},
	{UserEdit, "USER", "change members' roles and permissions"},
	{UserAdd, "USER", "add users, create invitations and tokens"},
	{UserDelete, "USER", "remove users"},
}

// implied returns the _VIEW code that code implies, or "".
func implied(code string) string {
	for _, suffix := range []string{"_EDIT", "_ADD", "_DELETE"} {
		if p, ok := strings.CutSuffix(code, suffix); ok {
			return p + "_VIEW"
		}
	}
	return ""
}

// PermissionsFor is a convenience for hosts: the VIEW, EDIT, ADD and DELETE
// permissions of one category, e.g. PermissionsFor("ORDERS").
func PermissionsFor(category string) []Permission {
	c := strings.ToUpper(category)
	return []Permission{
		{c + "_VIEW", c, "view " + strings.ToLower(c)},
		{c + "_EDIT", c, "edit " + strings.ToLower(c)},
		{c + "_ADD", c, "add " + strings.ToLower(c)},
		{c + "_DELETE", c, "delete " + strings.ToLower(c)},
	}
}

// normalizePermissions validates codes against the catalog and closes the
// set under implication, sorted and without duplicates.
func (c *Catalog) normalizePermissions(field string, codes []string) ([]string, error) {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		if err := CheckText(field, code); err != nil {
			return nil, err
		}
		code = strings.ToUpper(strings.TrimSpace(code))
		if _, ok := c.perms[code]; !ok {
			return nil, Invalid(field, "unknown permission %q", code)
		}
		out = append(out, code)
		if v := implied(code); v != "" {
			if _, ok := c.perms[v]; ok {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// removals validates permission codes to remove. Unlike additions they are
// not closed under implication: removing USER_EDIT keeps USER_VIEW, while
// removing USER_VIEW also removes what implies it (applyPermissions).
func (c *Catalog) removals(field string, codes []string) ([]string, error) {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		if err := CheckText(field, code); err != nil {
			return nil, err
		}
		code = strings.ToUpper(strings.TrimSpace(code))
		if _, ok := c.perms[code]; !ok {
			return nil, Invalid(field, "unknown permission %q", code)
		}
		out = append(out, code)
	}
	return out, nil
}
