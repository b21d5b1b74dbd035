package httpadapter

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// Seed 003 (access management). Every route acts in the caller's company:
// an API token's own, a session's current one (see POST
// /access/switch-company). Seed 003 calls permission codes ("USER_VIEW")
// roles; so does this family, while "role" is the membership's level role.

// managed is seed 003's success envelope.
type managed[T any] struct {
	Status  string `json:"status" enum:"success"`
	Message string `json:"message"`
	Data    T      `json:"data"`
}

func ok[T any](data T) (managed[T], error) {
	return managed[T]{Status: "success", Message: "OK", Data: data}, nil
}

type (
	mgmtUser struct {
		ID        uuid.UUID `json:"id" doc:"the user id"`
		Email     string    `json:"email" format:"email"`
		FirstName string    `json:"first_name"`
		LastName  string    `json:"last_name"`
		Role      string    `json:"role" doc:"the membership's role: OWNER, ADMIN, VIEWER_PLUS, VIEWER or a host role"`
		Roles     []string  `json:"roles" doc:"the permission roles the user holds: the role's defaults and the extra ones"`
		IsActive  bool      `json:"is_active"`
		Editable  bool      `json:"editable" doc:"whether the caller may change or remove this user"`
	}
	mgmtUsers struct {
		Users      []mgmtUser `json:"users"`
		NextCursor string     `json:"next_cursor,omitempty" doc:"pass as cursor for the next page; absent on the last"`
	}
	mgmtAdd struct {
		Email string   `json:"email" required:"" format:"email" doc:"the person's e-mail: a user the caller can see is added, anyone else invited"`
		Role  string   `json:"role" doc:"the membership's role (default VIEWER)"`
		Roles []string `json:"roles" doc:"extra permission roles, e.g. USER_ADD"`
	}
	mgmtAdded struct {
		Outcome    string          `json:"outcome" enum:"added,invited" doc:"added: a user the caller could already see (one sharing a company with the caller) is a member now; invited: the e-mail was sent an invitation and joins by accepting it. The invited answer is the same whether or not the e-mail has an account"`
		ID         uuid.UUID       `json:"id,omitzero" doc:"added: the user id"`
		Email      string          `json:"email" format:"email"`
		FirstName  *string         `json:"first_name,omitempty" doc:"added only"`
		LastName   *string         `json:"last_name,omitempty" doc:"added only"`
		Role       string          `json:"role" doc:"the membership's role (invited: the role offered)"`
		Roles      []string        `json:"roles" doc:"the permission roles the user holds (invited: will hold)"`
		IsActive   bool            `json:"is_active" doc:"false while invited"`
		Editable   bool            `json:"editable" doc:"whether the caller may change or remove this user; false while invited"`
		Invitation *mgmtInvitation `json:"invitation,omitempty" doc:"invited only: the invitation; its token goes to the e-mail, never into this response"`
	}
	mgmtUserRef struct {
		UserID string `json:"user_id" required:"" format:"uuid"`
	}
	mgmtUserID struct {
		UserID uuid.UUID `json:"user_id"`
	}
	mgmtEdit struct {
		UserID      string   `json:"user_id" required:"" format:"uuid"`
		Role        *string  `json:"role" doc:"a new membership role"`
		AddRoles    []string `json:"add_roles" doc:"permission roles to add"`
		RemoveRoles []string `json:"remove_roles" doc:"permission roles to remove (with those that imply them)"`
		IsActive    *bool    `json:"is_active" doc:"activate or deactivate the membership"`
	}
	mgmtRole struct {
		Code        string `json:"code"`
		Description string `json:"description"`
		Assignable  bool   `json:"assignable" doc:"whether the caller holds it, and so may assign it"`
	}
	mgmtCategory struct {
		Category string     `json:"category"`
		Roles    []mgmtRole `json:"roles"`
	}
	mgmtLevel struct {
		ID         uuid.UUID `json:"id" doc:"the role's id (a company's own role: role_id of /access/roles/{role_id}/edit and /delete)"`
		Code       string    `json:"code"`
		Origin     string    `json:"origin" enum:"builtin,host,company" doc:"built in, the host's catalog, or the company's own"`
		Name       string    `json:"name"`
		Level      int       `json:"level"`
		Roles      []string  `json:"roles" doc:"its default permission roles"`
		Assignable bool      `json:"assignable"`
	}
	mgmtNewRole struct {
		Code  string   `json:"code" required:"" doc:"unique in the company and no catalog role's: a letter, then letters, digits or _ (at most 64), upper-cased"`
		Name  string   `json:"name" doc:"shown to people (default: the code)"`
		Level int      `json:"level" required:"" doc:"between 1 and 1000, at most the caller's own (1000, OWNER's, only for an OWNER)"`
		Roles []string `json:"roles" doc:"the role's permission roles, at most the caller's own (closed under implication)"`
	}
	mgmtRoleEdit struct {
		Name  *string   `json:"name" doc:"a new name"`
		Level *int      `json:"level" doc:"a new level"`
		Roles *[]string `json:"roles" doc:"replaces the role's permission roles"`
	}
	mgmtRoleDelete struct {
		Replacement string `json:"replacement" doc:"the role (code) to give the members holding it; without one, deleting a held role is 409 role_in_use"`
	}
	mgmtRoleDeleted struct {
		RoleID uuid.UUID `json:"role_id"`
		Moved  int       `json:"moved" doc:"how many members were given the replacement"`
	}
	mgmtRoles struct {
		Categories []mgmtCategory `json:"categories"`
		Levels     []mgmtLevel    `json:"levels" doc:"the membership roles: the built-in and host roles, then the company's own, highest first within each"`
	}
	mgmtInvite struct {
		Email       string   `json:"email" required:"" format:"email" doc:"the e-mail of a user of the other company, who may accept"`
		CompanyName string   `json:"company_name" doc:"the other company's name (required unless company_id is given)"`
		CompanyID   string   `json:"company_id" format:"uuid" doc:"pins the other company exactly"`
		Relation    string   `json:"relation" required:"" enum:"agency,customer" doc:"what the other company becomes"`
		Roles       []string `json:"roles" doc:"the agency's initial permission roles (relation agency only)"`
	}
	mgmtInvitation struct {
		ID          uuid.UUID `json:"id"`
		Kind        string    `json:"kind" enum:"member,connection"`
		Status      string    `json:"status" enum:"pending,accepted,rejected,revoked,expired"`
		CompanyID   uuid.UUID `json:"company_id" doc:"the inviting company"`
		Email       string    `json:"email" format:"email"`
		Role        string    `json:"role,omitempty" doc:"member invitations: the offered role"`
		Roles       []string  `json:"roles" doc:"member invitations: extra permission roles; connections: the agency's"`
		Relation    string    `json:"relation,omitempty" enum:"agency,customer"`
		CompanyName string    `json:"company_name,omitempty" doc:"connections: the invited company's name"`
		TargetID    uuid.UUID `json:"target_company_id,omitzero" doc:"connections: the invited company, once known"`
		ExpiresAt   time.Time `json:"expires_at"`
		SendCount   int       `json:"send_count"`
		LastSentAt  time.Time `json:"last_sent_at"`
		CreatedAt   time.Time `json:"created_at"`
		Connection  uuid.UUID `json:"connection_id,omitzero" doc:"the connection an accepted company invitation created"`
		ClosedAt    time.Time `json:"closed_at,omitzero"`
		Token       string    `json:"token,omitempty" doc:"only with the adapter option WithInvitationLinksInResponses (development): the invitation's secret, in the response of the call that created, refreshed or resent it"`
		AcceptURL   string    `json:"accept_url,omitempty" doc:"only with WithInvitationLinksInResponses (development) and invite.WithAcceptURL: the accept link"`
	}
	mgmtInvitations struct {
		Sent       []mgmtInvitation `json:"sent" doc:"invitations the company sent: pending ones, or those of the status asked for"`
		Received   []mgmtInvitation `json:"received" doc:"pending invitations to the caller's e-mail (users only)"`
		NextCursor string           `json:"next_cursor,omitempty" doc:"the next page of sent invitations"`
	}
	mgmtToken struct {
		Token string `json:"token" required:"" doc:"the token from the invitation e-mail"`
	}
	mgmtOptionalToken struct {
		Token string `json:"token" doc:"the invitation's token: the invited side rejects with it; without it the inviting side withdraws the invitation"`
	}
	mgmtAccepted struct {
		Kind         string    `json:"kind" enum:"member,connection" doc:"what was accepted: a person's invitation or a company connection"`
		InvitationID uuid.UUID `json:"invitation_id"`
		CompanyID    uuid.UUID `json:"company_id" doc:"member: the company joined; connection: the accepting company"`
		UserID       uuid.UUID `json:"user_id"`
		NewUser      bool      `json:"new_user" doc:"the acceptance created the user"`
		ConnectionID uuid.UUID `json:"connection_id,omitzero"`
	}
	mgmtAgency struct {
		ConnectionID uuid.UUID `json:"connection_id"`
		CustomerID   uuid.UUID `json:"customer_id"`
		AgencyID     uuid.UUID `json:"agency_id"`
		Roles        []string  `json:"roles" doc:"what the agency's ADMINs may do in the customer company"`
	}
	mgmtAgencyEdit struct {
		AddRoles    []string `json:"add_roles"`
		RemoveRoles []string `json:"remove_roles"`
	}
	mgmtNewToken struct {
		Name      string     `json:"name" required:""`
		Role      string     `json:"role" doc:"gives the token this role's level and permission roles"`
		Roles     []string   `json:"roles" doc:"permission roles on top of the role's (or alone); TOKENS_MANAGE lets the token manage tokens. With no role, roles or level the token gets its creator's current rights; roles [] asks for none"`
		Level     int        `json:"level" doc:"the token's level on resources when no role is given"`
		ExpiresAt *time.Time `json:"expires_at" doc:"when it stops working; never when absent"`
	}
	mgmtCreatedToken struct {
		ID        uuid.UUID `json:"id"`
		Name      string    `json:"name"`
		Token     string    `json:"token" doc:"the secret, shown this once: store it now"`
		Hint      string    `json:"hint" doc:"a non-secret reminder of the token, as listings show it"`
		Level     int       `json:"level"`
		Roles     []string  `json:"roles"`
		ExpiresAt time.Time `json:"expires_at,omitzero"`
		CreatedAt time.Time `json:"created_at"`
	}
	mgmtAuditEvent struct {
		ID      uuid.UUID         `json:"id"`
		Actor   string            `json:"actor" doc:"who acted: user:<id>, token:<id> or system"`
		Action  string            `json:"action" doc:"e.g. membership.role_changed"`
		Target  string            `json:"target" doc:"e.g. user:<id>"`
		Outcome string            `json:"outcome" enum:"success,denied"`
		Details map[string]string `json:"details"`
		At      time.Time         `json:"at"`
	}
	mgmtAudit struct {
		Events     []mgmtAuditEvent `json:"events" doc:"oldest first"`
		NextCursor string           `json:"next_cursor,omitempty" doc:"pass as cursor for the next page; absent on the last"`
	}
	mgmtSwitch struct {
		CompanyID   string `json:"company_id" format:"uuid"`
		CompanyName string `json:"company_name" doc:"an exact name (case-insensitive) or an unambiguous part of one"`
	}
	mgmtCompany struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
	}
	mgmtSwitched struct {
		Company mgmtCompany `json:"company"`
	}
)

func (h *Handler) mountManagement() {
	const fam = Management
	add(h, op{method: "GET", path: "/access", fam: fam, summary: "List the users of the company",
		description: "Needs USER_VIEW. Each user says whether the caller may edit it.",
		query:       pageParams}, h.mgmtList)
	add(h, op{method: "POST", path: "/access/add", fam: fam, summary: "Add a user to the company, or invite them",
		description: "Needs USER_ADD; never a role above the caller's own or a permission role the caller lacks. " +
			"No one joins without consent unless the caller can already see them: a user sharing a company with the caller (an API token: a member of its own company) is added at once (outcome added); " +
			"any other e-mail, unknown or of another company's user, gets an invitation (outcome invited, sent through the invitation notifier) and joins by accepting it. " +
			"The invited answer is the same for both, with no name or id of an existing account, so the route tells no one which addresses have accounts.",
		bodyRequired: true, statuses: []int{http.StatusTooManyRequests}}, h.mgmtAdd)
	add(h, op{method: "POST", path: "/access/delete", fam: fam, summary: "Remove a user from the company",
		description:  "Needs USER_DELETE (or is the user leaving); only an OWNER removes a member at or above their own level; the last OWNER stays.",
		bodyRequired: true}, h.mgmtDelete)
	add(h, op{method: "POST", path: "/access/edit", fam: fam, summary: "Change a user's role and permission roles",
		description: "Needs USER_EDIT and the rank rules.", bodyRequired: true}, h.mgmtEdit)
	add(h, op{method: "GET", path: "/access/roles", fam: fam, summary: "List the permission roles by category, and the membership roles",
		description: "Each says whether the caller may assign it; membership roles are marked by origin (builtin, host, or the company's own)."}, h.mgmtRoles)
	add(h, op{method: "POST", path: "/access/roles", fam: fam, summary: "Define a role of the company",
		description:  "Needs USER_EDIT as an OWNER or ADMIN of the company; the role's level and permission roles are at most the caller's own. 409 role_taken for a code the company already has.",
		bodyRequired: true}, h.mgmtCreateRole)
	add(h, op{method: "POST", path: "/access/roles/{role_id}/edit", fam: fam, summary: "Change a role of the company",
		description:  "Needs USER_EDIT as an OWNER or ADMIN, for the role as it is and as it becomes. Its holders' rights follow from their next request. 404 role_not_found for a catalog role or another company's.",
		bodyRequired: true}, h.mgmtEditRole)
	add(h, op{method: "POST", path: "/access/roles/{role_id}/delete", fam: fam, summary: "Delete a role of the company",
		description: "Needs USER_EDIT as an OWNER or ADMIN. While members hold it: 409 role_in_use naming how many, unless replacement names a role to give them instead (under the rank rules of granting it). Pending invitations to it fail when accepted."}, h.mgmtDeleteRole)
	add(h, op{method: "POST", path: "/access/invite", fam: fam, summary: "Invite another company to connect (customer or agency)",
		description:  "Needs USER_ADD and ADMIN. Inviting the same e-mail for the same company again refreshes the pending invitation once the resend cooldown has passed (409 resend_too_soon with next_allowed_at before); another company is another invitation. company_name is not looked up (no 404): the invitee accepts acting for a company of that name, one they may create. The token goes to the invitee through the invitation notifier, never into this response (unless the host set WithInvitationLinksInResponses, for development). Counts against the hourly invitation limits (429 with Retry-After).",
		bodyRequired: true, statuses: []int{http.StatusTooManyRequests}}, h.mgmtInvite)
	add(h, op{method: "GET", path: "/access/invite", fam: fam, summary: "List the company's invitations, sent and received",
		description: "Needs USER_VIEW. sent: the company's invitations in the status asked for (pending by default; any for every status); received: the pending invitations to the caller's e-mail.",
		query: append([]param{{name: "status", desc: "pending (default), accepted, rejected, revoked, expired or any"},
			{name: "kind", desc: "member or connection (default both)"}}, pageParams...)}, h.mgmtInvitations)
	add(h, op{method: "POST", path: "/access/invite/accept", fam: fam, auth: authOptional, summary: "Accept an invitation by its token",
		description:  "Takes the token of any invitation: a person's (no authentication needed; a signed-in user must be the invited e-mail's) or a company connection's (the invited user, signed in and acting for the invited company as ADMIN or above). Says which it accepted.",
		bodyRequired: true}, h.mgmtAccept)
	add(h, op{method: "POST", path: "/access/invite/{invitation_id}/reject", fam: fam, auth: authOptional, summary: "Reject an invitation, from either side",
		description: "The invited side sends the invitation's token (authentication optional); the inviting side, authenticated with USER_ADD, sends no token and withdraws it."}, h.mgmtReject)
	add(h, op{method: "POST", path: "/access/invite/{invitation_id}/resend", fam: fam, summary: "Resend a pending or expired invitation",
		description: "Needs USER_ADD; allowed once the cooldown (2 days by default) since the last send has passed; the old link stops working. " +
			"An expired invitation is pending again, with a new expiry (409 invitation_pending when the e-mail has another pending invitation by now). " +
			"Counts against the hourly invitation limits (429 with Retry-After).",
		statuses: []int{http.StatusTooManyRequests}}, h.mgmtResend)
	add(h, op{method: "GET", path: "/access/invite/{connection_id}/agency-roles", fam: fam, summary: "Show the agency's permission roles of a connection",
		description: "Needs USER_VIEW as a member of either side."}, h.mgmtAgencyRoles)
	add(h, op{method: "POST", path: "/access/invite/{connection_id}/agency-roles/edit", fam: fam, summary: "Change the agency's permission roles",
		description: "Only the customer side, with USER_EDIT and every added permission role.", bodyRequired: true}, h.mgmtAgencyEdit)
	add(h, op{method: "POST", path: "/access/add-api-token", fam: fam, summary: "Create an API token of the company",
		description:  "Needs USER_ADD (an API token: TOKENS_MANAGE, its creator holding USER_ADD); the token never holds more than its creator. With a name only it inherits its creator's current rights (seed 003), TOKENS_MANAGE excepted. The secret is in this response only.",
		bodyRequired: true}, h.mgmtAddToken)
	add(h, op{method: "GET", path: "/access/audit", fam: fam, summary: "List the company's audit trail",
		description: "Needs ADMIN or above in the caller's company. Oldest first, one keyset page at a time; every filter is optional and they combine.",
		query: append([]param{
			{name: "actor", desc: "who acted, exactly: user:<id>, token:<id> or system"},
			{name: "action", desc: "an action or a dotted prefix of whole segments: membership matches membership.created and membership.role_changed"},
			{name: "target", desc: "what was acted on, exactly, e.g. user:<id>"},
			{name: "outcome", desc: "success or denied"},
			{name: "since", desc: "RFC 3339 time: events at or after it"},
			{name: "until", desc: "RFC 3339 time: events before it"},
		}, pageParams...)}, h.mgmtAudit)
	add(h, op{method: "POST", path: "/access/switch-company", fam: fam, summary: "Switch the caller's active company",
		description:  "By company_id, or by company_name: an exact (case-insensitive) match first, then an unambiguous fuzzy one; otherwise 400 with the candidates. The calling session moves with the switch; the user's other sessions stay.",
		bodyRequired: true}, h.mgmtSwitch)
	h.mountSessions()
	h.mountConnections() // connections.go
	h.mountCompanies()   // companies.go
	h.mountAccount()     // account.go
}

var pageParams = []param{
	{name: "limit", desc: "page size, 1 to " + strconv.Itoa(access.MaxPageLimit), integer: true, min: 1, max: access.MaxPageLimit},
	{name: "cursor", desc: "the next_cursor of the previous page"},
}

// rolePerms caches, for one response, the permissions of members whose
// role is whole and holds nothing extra, so a listing computes each
// role's set once; the roles themselves (catalog or the company's own)
// are resolved once for the page (access.Service.ResolveRoles).
type rolePerms struct {
	roles access.RoleSet
	cache map[access.RoleRef][]string
}

func (rp *rolePerms) of(m *access.Membership) []string {
	if len(m.Extra) > 0 || len(m.Withheld) > 0 {
		return nonNil(rp.roles.Effective(m.CompanyID, m.Role, m.Extra, m.Withheld))
	}
	ref := access.RoleRef{CompanyID: m.CompanyID, Code: m.Role}
	if p, ok := rp.cache[ref]; ok {
		return p
	}
	if rp.cache == nil {
		rp.cache = map[access.RoleRef][]string{}
	}
	p := nonNil(rp.roles.Effective(m.CompanyID, m.Role, nil, nil))
	rp.cache[ref] = p
	return p
}

func mgmtUserOf(m *access.Member, perms []string) mgmtUser {
	return mgmtUser{ID: m.UserID, Email: m.User.Email, FirstName: m.User.FirstName, LastName: m.User.LastName,
		Role: m.Role, Roles: perms, IsActive: m.Active, Editable: m.Editable}
}

func (h *Handler) mgmtList(x *exchange, _ *noBody) (managed[mgmtUsers], error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return managed[mgmtUsers]{}, err
	}
	page, err := h.svc.Access.ListMembers(x.ctx(), x.p, access.MemberFilter{Page: pr})
	if err != nil {
		return managed[mgmtUsers]{}, err
	}
	refs := make([]access.RoleRef, len(page.Items))
	for i := range page.Items {
		refs[i] = access.RoleRef{CompanyID: page.Items[i].CompanyID, Code: page.Items[i].Role}
	}
	roles, err := h.svc.Access.ResolveRoles(x.ctx(), refs...)
	if err != nil {
		return managed[mgmtUsers]{}, err
	}
	perms := rolePerms{roles: roles}
	out := mgmtUsers{Users: make([]mgmtUser, len(page.Items)), NextCursor: page.Next} // "users": [], not null
	for i := range page.Items {
		m := &page.Items[i]
		out.Users[i] = mgmtUserOf(m, perms.of(&m.Membership))
	}
	return ok(out)
}

func (h *Handler) mgmtAdd(x *exchange, in *mgmtAdd) (managed[mgmtAdded], error) {
	role := in.Role
	if role == "" {
		role = access.RoleViewer
	}
	a, err := h.svc.Invite.Add(x.ctx(), x.p, invite.NewInvitation{Email: in.Email, Role: role, Permissions: in.Roles})
	if err != nil {
		return managed[mgmtAdded]{}, err
	}
	if a.Invited {
		inv := a.Issued.Invitation
		mi := h.issuedOf(a.Issued)
		perms, err := h.svc.Access.EffectiveIn(x.ctx(), access.Membership{CompanyID: inv.CompanyID, Role: inv.Role, Extra: inv.Permissions})
		if err != nil {
			return managed[mgmtAdded]{}, err
		}
		return ok(mgmtAdded{Outcome: "invited", Email: inv.Email, Role: inv.Role,
			Roles: nonNil(perms), Invitation: &mi})
	}
	m := &a.Member
	perms, err := h.svc.Access.EffectiveIn(x.ctx(), m.Membership)
	if err != nil {
		return managed[mgmtAdded]{}, err
	}
	return ok(mgmtAdded{Outcome: "added", ID: m.UserID, Email: m.User.Email, FirstName: &m.User.FirstName,
		LastName: &m.User.LastName, Role: m.Role, Roles: nonNil(perms), IsActive: m.Active,
		Editable: m.Editable})
}

func (h *Handler) mgmtDelete(x *exchange, in *mgmtUserRef) (managed[mgmtUserID], error) {
	uid, err := requiredID("user_id", in.UserID)
	if err != nil {
		return managed[mgmtUserID]{}, err
	}
	if err := h.svc.Access.RemoveMember(x.ctx(), x.p, uid); err != nil {
		return managed[mgmtUserID]{}, err
	}
	return ok(mgmtUserID{UserID: uid})
}

func (h *Handler) mgmtEdit(x *exchange, in *mgmtEdit) (managed[mgmtUser], error) {
	uid, err := requiredID("user_id", in.UserID)
	if err != nil {
		return managed[mgmtUser]{}, err
	}
	m, err := h.svc.Access.UpdateMember(x.ctx(), x.p, uid, access.MemberUpdate{
		Role: in.Role, AddPermissions: in.AddRoles, RemovePermissions: in.RemoveRoles, Active: in.IsActive})
	if err != nil {
		return managed[mgmtUser]{}, err
	}
	perms, err := h.svc.Access.EffectiveIn(x.ctx(), m.Membership)
	if err != nil {
		return managed[mgmtUser]{}, err
	}
	return ok(mgmtUserOf(&m, nonNil(perms)))
}

func (h *Handler) mgmtRoles(x *exchange, _ *noBody) (managed[mgmtRoles], error) {
	a, err := h.svc.Access.Authorize(x.ctx(), x.p, "")
	if err != nil {
		return managed[mgmtRoles]{}, err
	}
	cat := h.svc.Access.Catalog()
	roles, err := h.svc.Access.Roles(x.ctx(), x.p)
	if err != nil {
		return managed[mgmtRoles]{}, err
	}
	var out mgmtRoles
	for _, p := range cat.Permissions() {
		if n := len(out.Categories); n == 0 || out.Categories[n-1].Category != p.Category {
			out.Categories = append(out.Categories, mgmtCategory{Category: p.Category})
		}
		c := &out.Categories[len(out.Categories)-1]
		c.Roles = append(c.Roles, mgmtRole{Code: p.Code, Description: p.Description, Assignable: a.Has(p.Code)})
	}
	for _, r := range roles {
		out.Levels = append(out.Levels, mgmtLevelOf(r, a))
	}
	return ok(out)
}

// mgmtLevelOf is a membership role as /access/roles shows it, assignable
// when a may grant it.
func mgmtLevelOf(r access.Role, a access.Actor) mgmtLevel {
	return mgmtLevel{ID: r.ID, Code: r.Code, Origin: string(r.Origin), Name: r.Name, Level: r.Level,
		Roles: nonNil(r.Permissions), Assignable: a.CanGrant(r.Level, r.Permissions) == nil}
}

func mgmtInvitationOf(inv invite.Invitation) mgmtInvitation {
	out := mgmtInvitation{ID: inv.ID, Kind: string(inv.Kind), Status: string(inv.Status), CompanyID: inv.CompanyID,
		Email: inv.Email, Role: inv.Role, Roles: nonNil(inv.Permissions), Relation: string(inv.Relation),
		CompanyName: inv.TargetName, ExpiresAt: inv.ExpiresAt, SendCount: inv.SendCount, LastSentAt: inv.LastSentAt,
		CreatedAt: inv.CreatedAt, TargetID: inv.TargetID, Connection: inv.ConnectionID, ClosedAt: inv.ClosedAt}
	return out
}

func (h *Handler) mgmtInvite(x *exchange, in *mgmtInvite) (managed[mgmtInvitation], error) {
	cid, err := bodyID("company_id", in.CompanyID)
	if err != nil {
		return managed[mgmtInvitation]{}, err
	}
	iss, err := h.svc.Invite.InviteCompany(x.ctx(), x.p, invite.NewConnectionInvitation{Email: in.Email,
		Relation: invite.Relation(in.Relation), CompanyName: in.CompanyName, CompanyID: cid, Permissions: in.Roles})
	if err != nil {
		return managed[mgmtInvitation]{}, err
	}
	return ok(h.issuedOf(iss))
}

func (h *Handler) mgmtInvitations(x *exchange, _ *noBody) (managed[mgmtInvitations], error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return managed[mgmtInvitations]{}, err
	}
	q := x.r.URL.Query()
	in, err := h.svc.Invite.Inbox(x.ctx(), x.p, invite.ListFilter{Page: pr, Status: invite.Status(q.Get("status")),
		Kind: invite.Kind(q.Get("kind"))})
	if err != nil {
		return managed[mgmtInvitations]{}, err
	}
	out := mgmtInvitations{Sent: make([]mgmtInvitation, len(in.Sent.Items)), Received: make([]mgmtInvitation, len(in.Received)),
		NextCursor: in.Sent.Next}
	for i, inv := range in.Sent.Items {
		out.Sent[i] = mgmtInvitationOf(inv)
	}
	for i, inv := range in.Received {
		out.Received[i] = mgmtInvitationOf(inv)
	}
	return ok(out)
}

func (h *Handler) mgmtAccept(x *exchange, in *mgmtToken) (managed[mgmtAccepted], error) {
	if in.Token == "" {
		return managed[mgmtAccepted]{}, access.Invalid("token", "the invitation token is required")
	}
	a, err := h.svc.Invite.Accept(x.ctx(), x.p, in.Token)
	if err != nil {
		return managed[mgmtAccepted]{}, err
	}
	return ok(mgmtAccepted{Kind: string(a.Invitation.Kind), InvitationID: a.Invitation.ID, CompanyID: a.CompanyID,
		UserID: a.UserID, NewUser: a.NewUser, ConnectionID: a.ConnectionID})
}

func (h *Handler) mgmtReject(x *exchange, in *mgmtOptionalToken) (managed[mgmtInvitation], error) {
	iid, err := pathID(x, "invitation_id")
	if err != nil {
		return managed[mgmtInvitation]{}, err
	}
	var inv invite.Invitation
	if in.Token != "" {
		// The invited side: the token must be this invitation's.
		inv, err = h.svc.Invite.RejectByID(x.ctx(), x.p, iid, in.Token)
	} else {
		// The inviting side withdraws its own invitation; without a caller
		// the service answers unauthenticated.
		inv, err = h.svc.Invite.Revoke(x.ctx(), x.p, iid)
	}
	if err != nil {
		return managed[mgmtInvitation]{}, err
	}
	return ok(mgmtInvitationOf(inv))
}

func (h *Handler) mgmtResend(x *exchange, _ *noBody) (managed[mgmtInvitation], error) {
	iid, err := pathID(x, "invitation_id")
	if err != nil {
		return managed[mgmtInvitation]{}, err
	}
	iss, err := h.svc.Invite.Resend(x.ctx(), x.p, iid)
	if err != nil {
		return managed[mgmtInvitation]{}, err
	}
	return ok(h.issuedOf(iss))
}

// WithInvitationLinksInResponses puts the invitation's token and accept
// link into the management family's responses of the calls that create,
// refresh or resend an invitation (POST /access/add when it invites, POST
// /access/invite, POST /access/invite/{invitation_id}/resend). It is for
// development, with no notifier to deliver the links: anyone who may
// invite then holds the invitee's secret. Default off: a token goes to the
// invitee through the invitation notifier only.
func WithInvitationLinksInResponses() Option { return func(c *config) { c.invitationLinks = true } }

// issuedOf is the answer of a call that issued an invitation: with its link
// only under WithInvitationLinksInResponses.
func (h *Handler) issuedOf(iss invite.Issued) mgmtInvitation {
	out := mgmtInvitationOf(iss.Invitation)
	if h.cfg.invitationLinks {
		if !iss.Token.IsZero() {
			out.Token = iss.Token.Reveal()
		}
		if !iss.URL.IsZero() {
			out.AcceptURL = iss.URL.Reveal()
		}
	}
	return out
}

func (h *Handler) mgmtAudit(x *exchange, _ *noBody) (managed[mgmtAudit], error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return managed[mgmtAudit]{}, err
	}
	q := x.r.URL.Query()
	f := access.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"),
		Outcome: q.Get("outcome"), Page: pr}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := q.Get(t.name); s != "" {
			if *t.to, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return managed[mgmtAudit]{}, access.Invalid(t.name, "%s must be an RFC 3339 time", t.name)
			}
		}
	}
	page, err := h.svc.Access.QueryAudit(x.ctx(), x.p, f)
	if err != nil {
		return managed[mgmtAudit]{}, err
	}
	out := mgmtAudit{Events: make([]mgmtAuditEvent, len(page.Items)), NextCursor: page.Next}
	for i, e := range page.Items {
		d := e.Details
		if d == nil {
			d = map[string]string{}
		}
		out.Events[i] = mgmtAuditEvent{ID: e.ID, Actor: e.Actor, Action: e.Action, Target: e.Target, Outcome: e.Outcome,
			Details: d, At: e.At}
	}
	return ok(out)
}

func mgmtAgencyOf(c access.Connection) mgmtAgency {
	return mgmtAgency{ConnectionID: c.ID, CustomerID: c.CustomerID, AgencyID: c.AgencyID, Roles: nonNil(c.Permissions)}
}

func (h *Handler) mgmtAgencyRoles(x *exchange, _ *noBody) (managed[mgmtAgency], error) {
	cid, err := pathID(x, "connection_id")
	if err != nil {
		return managed[mgmtAgency]{}, err
	}
	c, err := h.svc.Access.GetConnection(x.ctx(), x.p, cid)
	if err != nil {
		return managed[mgmtAgency]{}, err
	}
	return ok(mgmtAgencyOf(c))
}

func (h *Handler) mgmtAgencyEdit(x *exchange, in *mgmtAgencyEdit) (managed[mgmtAgency], error) {
	cid, err := pathID(x, "connection_id")
	if err != nil {
		return managed[mgmtAgency]{}, err
	}
	c, err := h.svc.Access.UpdateAgencyPermissions(x.ctx(), x.p, cid, access.AgencyUpdate{Add: in.AddRoles, Remove: in.RemoveRoles})
	if err != nil {
		return managed[mgmtAgency]{}, err
	}
	return ok(mgmtAgencyOf(c))
}

func (h *Handler) mgmtAddToken(x *exchange, in *mgmtNewToken) (managed[mgmtCreatedToken], error) {
	nt := token.NewToken{Name: in.Name, Role: in.Role, Permissions: in.Roles, Level: in.Level, Bare: in.Roles != nil}
	if in.ExpiresAt != nil {
		nt.ExpiresAt = *in.ExpiresAt
	}
	c, err := h.svc.Token.Create(x.ctx(), x.p, nt)
	if err != nil {
		return managed[mgmtCreatedToken]{}, err
	}
	t := c.Token
	return ok(mgmtCreatedToken{ID: t.ID, Name: t.Name, Token: c.Secret.Reveal(), Hint: t.Hint, Level: t.Level,
		Roles: nonNil(t.Permissions), ExpiresAt: t.ExpiresAt, CreatedAt: t.CreatedAt})
}

func (h *Handler) mgmtSwitch(x *exchange, in *mgmtSwitch) (managed[mgmtSwitched], error) {
	cid, err := bodyID("company_id", in.CompanyID)
	if err != nil {
		return managed[mgmtSwitched]{}, err
	}
	// The management family always has a token service (New checks); it
	// moves the calling session along (Principal.SessionID), if any.
	c, err := h.svc.Token.SwitchCompany(x.ctx(), x.p, access.SwitchTarget{CompanyID: cid, Name: in.CompanyName})
	if err != nil {
		return managed[mgmtSwitched]{}, err
	}
	return ok(mgmtSwitched{Company: mgmtCompany{ID: c.ID, Name: c.Name}})
}

// requiredID parses a UUID body field that must be present.
func requiredID(field, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, access.Invalid(field, "%s is required", field)
	}
	return bodyID(field, s)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// mgmtRoleAnswer is a company role as /access/roles shows it, assignable
// as the caller may grant it.
func (h *Handler) mgmtRoleAnswer(x *exchange, r access.Role) (managed[mgmtLevel], error) {
	a, err := h.svc.Access.Authorize(x.ctx(), x.p, "")
	if err != nil {
		return managed[mgmtLevel]{}, err
	}
	return ok(mgmtLevelOf(r, a))
}

func (h *Handler) mgmtCreateRole(x *exchange, in *mgmtNewRole) (managed[mgmtLevel], error) {
	r, err := h.svc.Access.CreateRole(x.ctx(), x.p, access.NewRole{Code: in.Code, Name: in.Name, Level: in.Level, Permissions: in.Roles})
	if err != nil {
		return managed[mgmtLevel]{}, err
	}
	return h.mgmtRoleAnswer(x, r)
}

func (h *Handler) mgmtEditRole(x *exchange, in *mgmtRoleEdit) (managed[mgmtLevel], error) {
	rid, err := pathID(x, "role_id")
	if err != nil {
		return managed[mgmtLevel]{}, err
	}
	r, err := h.svc.Access.UpdateRole(x.ctx(), x.p, rid, access.RoleUpdate{Name: in.Name, Level: in.Level, Permissions: in.Roles})
	if err != nil {
		return managed[mgmtLevel]{}, err
	}
	return h.mgmtRoleAnswer(x, r)
}

func (h *Handler) mgmtDeleteRole(x *exchange, in *mgmtRoleDelete) (managed[mgmtRoleDeleted], error) {
	rid, err := pathID(x, "role_id")
	if err != nil {
		return managed[mgmtRoleDeleted]{}, err
	}
	moved, err := h.svc.Access.DeleteRole(x.ctx(), x.p, rid, in.Replacement)
	if err != nil {
		return managed[mgmtRoleDeleted]{}, err
	}
	return ok(mgmtRoleDeleted{RoleID: rid, Moved: moved})
}
