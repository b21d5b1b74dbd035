package httpadapter

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// Seed 002 (account management, as Mailtrap serves it). {account_id} is
// the company; the caller acts in it (an API token only in its own). An
// account access is one specifier's access to the account
// (access.AccountAccess): a member, a pending invitation or an API token,
// with every permission it holds in "resources", the account first.

type (
	accountAccess struct {
		ID            uuid.UUID      `json:"id" doc:"the account access: the membership's ID (seed 001's user_access id), the invitation's or the token's"`
		SpecifierType string         `json:"specifier_type" enum:"User,Invite,ApiToken"`
		Specifier     specifier      `json:"specifier" doc:"a User (id, email, name, two_factor_authentication_enabled), an Invite (id, email) or an ApiToken (id, name, author_name, token, expires_at)"`
		Resources     []accountRes   `json:"resources" doc:"every permission held: the account first, then each resource grant"`
		Permissions   access.Derived `json:"permissions" doc:"derived from the account-level access"`
	}
	// specifier is the union of seed 002's three specifier shapes; each
	// type fills its own fields.
	specifier struct {
		ID         uuid.UUID `json:"id" doc:"the user's, the invitation's or the token's ID"`
		Email      string    `json:"email,omitempty" format:"email"`
		Name       string    `json:"name,omitempty"`
		TwoFactor  *bool     `json:"two_factor_authentication_enabled,omitempty" doc:"User: always false, gatehouse has no second factor"`
		AuthorName string    `json:"author_name,omitempty" doc:"ApiToken: its creator"`
		Token      string    `json:"token,omitempty" doc:"ApiToken: a non-secret hint of the token, never the secret"`
		ExpiresAt  time.Time `json:"expires_at,omitzero" doc:"ApiToken: its expiry; absent: never"`
	}
	accountRes struct {
		ResourceID   string `json:"resource_id" doc:"the host's resource id; the account's own ID for the account"`
		ResourceType string `json:"resource_type" doc:"account, billing, project, inbox, sending_domain, email_campaign_permission_scope or a host type"`
		AccessLevel  int    `json:"access_level" enum:"1000,100,50,10,1"`
	}
	accountDeleted struct {
		ID uuid.UUID `json:"id" doc:"the removed account access"`
	}
	// accountSummary is one item of GET /api/accounts.
	accountSummary struct {
		ID           uuid.UUID `json:"id"`
		Name         string    `json:"name"`
		AccessLevels []int     `json:"access_levels" doc:"the caller's account-level access there: its own level, or in a customer reached through a connection the agency's rank (100; a token at most its own level)"`
	}
	// resourceNode is one item of GET .../permissions/resources.
	resourceNode struct {
		ID          string         `json:"id" doc:"the resource's ID; the account's ID for the account"`
		Name        string         `json:"name" doc:"the account's name; a host resource is named by its ID"`
		Type        string         `json:"type" doc:"account or the resource's type"`
		AccessLevel int            `json:"access_level" enum:"1000,100,50,10,1" doc:"the caller's level on it"`
		Resources   []resourceNode `json:"resources" doc:"the resources it holds (the account holds the others)"`
	}
	// bulkBody is seed 002's permissions/bulk request.
	bulkBody struct {
		Permissions []bulkItem `json:"permissions" required:"" doc:"the permissions to create, update or (with _destroy) remove, all or none"`
	}
	// bulkItem is one permission. Mailtrap's Node SDK before 4.10 sent
	// resourceType and accessLevel (camelCase) beside resource_id: both
	// spellings are read.
	bulkItem struct {
		ResourceType      looseString `json:"resource_type" doc:"account, project, inbox, sending_domain ... (or resourceType)"`
		ResourceTypeCamel looseString `json:"resourceType" doc:"as resource_type (Mailtrap's Node SDK before 4.10)"`
		ResourceID        looseString `json:"resource_id" doc:"the resource's ID, a string or a number; for the account, its ID (or empty)"`
		ResourceIDCamel   looseString `json:"resourceId" doc:"as resource_id"`
		AccessLevel       looseString `json:"access_level" doc:"1000, 100, 50, 10 or owner, admin, viewer_plus, viewer; required unless _destroy"`
		AccessLevelCamel  looseString `json:"accessLevel" doc:"as access_level (Mailtrap's Node SDK before 4.10)"`
		Destroy           looseBool   `json:"_destroy" doc:"true (or \"true\"): remove the permission instead"`
	}
)

// looseString is a JSON string or number, kept as its text: seed 002's
// clients send IDs and levels either way, and access reads them.
type looseString string

func (s *looseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = looseString(v)
	case bytes.Equal(b, []byte("null")):
		*s = ""
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return badRequest(access.CodeInvalid, "permissions", "resource ids and access levels are strings or numbers")
		}
		*s = looseString(n)
	}
	return nil
}

func (looseString) jsonSchema() *schema {
	return &schema{AnyOf: []*schema{{Type: "string"}, {Type: "integer"}, {Type: "null"}}}
}

// looseBool is a JSON boolean, "true"/"false", 1/0 or "1"/"0"; null and
// "" are false.
type looseBool bool

func (v *looseBool) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true", `"true"`, `"1"`, "1":
		*v = true
	case "false", `"false"`, `"0"`, "0", "null", `""`:
		*v = false
	default:
		return badRequest(access.CodeInvalid, "_destroy", "_destroy must be true or false")
	}
	return nil
}

func (looseBool) jsonSchema() *schema {
	return &schema{AnyOf: []*schema{{Type: "boolean"}, {Type: "string", Enum: []any{"true", "false", "1", "0", ""}},
		{Type: "integer", Enum: []any{1, 0}}, {Type: "null"}}}
}

func (h *Handler) mountAccounts() {
	const fam = Accounts
	add(h, op{method: "GET", path: "/api/accounts", fam: fam,
		summary: "List the accounts the caller can act in",
		description: "First the caller's own accounts (an API token: its own account; a user: the companies where they are an active member), " +
			"then the customers it reaches through a connection (a user: those connected to a company where they are an active OWNER or ADMIN, unless they are a member there; " +
			"an API token: those connected to its own company). Each with the caller's account-level access: its own level in its own accounts, " +
			"the rank the agency acts at in a reached customer (100, ADMIN; a token at most its own level). Pages: limit and cursor, the next in the Link header.",
		query: pageParams, link: true}, h.accountsMine)
	add(h, op{method: "GET", path: "/api/accounts/{account_id}/account_accesses", fam: fam,
		summary: "List account accesses",
		description: "The account's members (User) and pending member invitations (Invite), with specifier_types=ApiToken (or User,Invite,ApiToken) its API tokens, " +
			"each with every permission it holds (the account first) and the permissions derived from its account level. Needs ADMIN or above on the account. " +
			"With project_ids, inbox_ids, domain_ids or domain_uuids, only the accesses holding a permission on one of those resources (domains are sending_domain resources). " +
			"Lists may be repeated, sent as name[] or comma-separated. Pages: limit and cursor, ordered by ID; the next page is in the Link header (rel=\"next\").",
		query: append([]param{
			{name: "specifier_types", desc: "User, Invite, ApiToken (default User and Invite)", array: true},
			{name: "project_ids", desc: "project ids (repeat, project_ids[], or comma-separated)", array: true},
			{name: "inbox_ids", desc: "inbox ids", array: true},
			{name: "domain_ids", desc: "sending domain ids", array: true},
			{name: "domain_uuids", desc: "sending domain ids, as Mailtrap's SDKs name them", array: true},
		}, pageParams...), link: true}, h.accountsList)
	add(h, op{method: "DELETE", path: "/api/accounts/{account_id}/account_accesses/{account_access_id}", fam: fam,
		summary: "Remove an account access",
		description: "User: the member loses all access to the account (membership and grants; the last active OWNER cannot be removed: 409). " +
			"Invite: the invitation is withdrawn. ApiToken: the token is revoked. Needs ADMIN or above on the account, and the rank rules."}, h.accountsDelete)
	add(h, op{method: "PUT", path: "/api/accounts/{account_id}/account_accesses/{account_access_id}/permissions/bulk", fam: fam,
		bodyRequired: true,
		summary:      "Create, update or remove permissions of an account access",
		description: "Each item sets the specifier's access_level on a resource (created if absent) or with _destroy removes it; all in one transaction, all or nothing. " +
			"access_level is a number (1000, 100, 50, 10) or a name (owner, admin, viewer_plus, viewer). The account item of a User changes their role (the last active OWNER stays: 409); " +
			"an Invite's or ApiToken's account level is fixed when it is made. The rank rules apply to every item. Answers the updated account access."}, h.accountsBulk)
	add(h, op{method: "GET", path: "/api/accounts/{account_id}/permissions/resources", fam: fam,
		summary: "List the resources the caller administers",
		description: "For an ADMIN or OWNER of the account: the account, holding every resource on which a permission is held; for anyone else the resources they administer. " +
			"Each with the caller's level. Gatehouse keeps no names of the host's resources: a resource is named by its ID. Pages of the resources: limit and cursor, the next in the Link header.",
		query: pageParams, link: true}, h.accountsResources)
	h.mountAccountTokens()
}

// resourceFilters maps the query's id lists to resources.
var resourceFilters = []struct{ param, typ string }{
	{"project_ids", "project"}, {"inbox_ids", "inbox"}, {"domain_ids", "sending_domain"}, {"domain_uuids", "sending_domain"},
}

func queryList(q url.Values, name string) []string {
	var out []string
	for _, key := range []string{name, name + "[]"} {
		for _, v := range q[key] {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func (h *Handler) accountCompany(x *exchange) (access.Principal, error) {
	cid, err := pathID(x, "account_id")
	if err != nil {
		return access.Principal{}, err
	}
	p, _, err := h.inCompany(x, access.CompanyRef{ID: cid})
	return p, err
}

// setNextLink points the Link header at the page after this one.
func setNextLink(x *exchange, next string) {
	if next == "" {
		return
	}
	u := *x.r.URL
	q := u.Query()
	q.Set("cursor", next)
	u.RawQuery = q.Encode()
	x.w.Header().Set("Link", "<"+u.RequestURI()+`>; rel="next"`)
}

func (h *Handler) accountsMine(x *exchange, _ *noBody) ([]accountSummary, error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return nil, err
	}
	page, err := h.svc.Access.ListAccounts(x.ctx(), x.p, pr)
	if err != nil {
		return nil, err
	}
	out := make([]accountSummary, len(page.Items))
	for i, a := range page.Items {
		out[i] = accountSummary{ID: a.Company.ID, Name: a.Company.Name, AccessLevels: []int{a.Level}}
	}
	setNextLink(x, page.Next)
	return out, nil
}

func (h *Handler) accountsList(x *exchange, _ *noBody) ([]accountAccess, error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return nil, err
	}
	f := access.AccessFilter{Page: pr}
	q := x.r.URL.Query()
	for _, t := range queryList(q, "specifier_types") {
		f.Types = append(f.Types, access.SubjectType(t))
	}
	for _, rf := range resourceFilters {
		for _, rid := range queryList(q, rf.param) {
			f.Resources = append(f.Resources, access.Resource{Type: rf.typ, ID: rid})
		}
	}
	p, err := h.accountCompany(x)
	if err != nil {
		return nil, err
	}
	page, err := h.svc.Access.ListAccountAccesses(x.ctx(), p, f)
	if err != nil {
		return nil, err
	}
	out := make([]accountAccess, len(page.Items))
	for i, a := range page.Items {
		out[i] = accountAccessOf(a)
	}
	setNextLink(x, page.Next)
	return out, nil
}

// accountAccessOf renders an account access in seed 002's shape.
func accountAccessOf(a access.AccountAccess) accountAccess {
	sp := specifier{ID: a.Subject.ID}
	switch a.Subject.Type {
	case access.SubjectUser:
		no := false
		sp.Email, sp.Name, sp.TwoFactor = a.Specifier.Email, a.Specifier.Name, &no
	case access.SubjectInvite:
		sp.Email = a.Specifier.Email
	case access.SubjectToken:
		sp.Name, sp.AuthorName, sp.Token, sp.ExpiresAt = a.Specifier.Name, a.Specifier.AuthorName, a.Specifier.Hint, a.Specifier.ExpiresAt
	}
	out := accountAccess{ID: a.ID, SpecifierType: string(a.Subject.Type), Specifier: sp,
		Resources: make([]accountRes, len(a.Resources)), Permissions: a.Permissions()}
	for i, r := range a.Resources {
		id := r.Resource.ID
		if r.Resource.Type == access.ResourceAccount {
			id = a.CompanyID.String()
		}
		out.Resources[i] = accountRes{ResourceID: id, ResourceType: r.Resource.Type, AccessLevel: r.Level}
	}
	return out
}

func (h *Handler) accountsDelete(x *exchange, _ *noBody) (accountDeleted, error) {
	id, err := pathID(x, "account_access_id")
	if err != nil {
		return accountDeleted{}, err
	}
	p, err := h.accountCompany(x)
	if err != nil {
		return accountDeleted{}, err
	}
	if _, err := h.svc.Access.RemoveAccountAccess(x.ctx(), p, id); err != nil {
		return accountDeleted{}, err
	}
	return accountDeleted{ID: id}, nil
}

// firstOf is the snake_case spelling, else the camelCase one.
func firstOf(a, b looseString) string {
	if a != "" {
		return string(a)
	}
	return string(b)
}

func (h *Handler) accountsBulk(x *exchange, in *bulkBody) (accountAccess, error) {
	id, err := pathID(x, "account_access_id")
	if err != nil {
		return accountAccess{}, err
	}
	changes := make([]access.PermissionChange, len(in.Permissions))
	for i, it := range in.Permissions {
		changes[i] = access.PermissionChange{
			Resource: access.Resource{Type: firstOf(it.ResourceType, it.ResourceTypeCamel), ID: firstOf(it.ResourceID, it.ResourceIDCamel)},
			Level:    firstOf(it.AccessLevel, it.AccessLevelCamel), Destroy: bool(it.Destroy)}
	}
	p, err := h.accountCompany(x)
	if err != nil {
		return accountAccess{}, err
	}
	a, err := h.svc.Access.UpdateAccessPermissions(x.ctx(), p, id, changes)
	if err != nil {
		return accountAccess{}, err
	}
	return accountAccessOf(a), nil
}

func (h *Handler) accountsResources(x *exchange, _ *noBody) ([]resourceNode, error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return nil, err
	}
	p, err := h.accountCompany(x)
	if err != nil {
		return nil, err
	}
	page, err := h.svc.Access.ListAccountResources(x.ctx(), p, pr)
	if err != nil {
		return nil, err
	}
	setNextLink(x, page.Next)
	return resourceNodes(p.CompanyID, page.Items), nil
}

func resourceNodes(companyID uuid.UUID, rs []access.AccountResource) []resourceNode {
	out := make([]resourceNode, len(rs))
	for i, r := range rs {
		id := r.Resource.ID
		if r.Resource.Type == access.ResourceAccount {
			id = companyID.String()
		}
		out[i] = resourceNode{ID: id, Name: r.Name, Type: r.Resource.Type, AccessLevel: r.Level, Resources: resourceNodes(companyID, r.Resources)}
	}
	return out
}
