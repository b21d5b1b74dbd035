package httpadapter

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
)

// Seed 001 (REST API v1). Routes under /api/v1/companies/{company_id} act
// in that company; /api/v1/users/{user_id}/user_access acts in the body's
// company_id (POST, PUT), or in the caller's company (GET and DELETE of
// another user; a user's own memberships span all their companies).

type (
	v1Company struct {
		ID       uuid.UUID  `json:"id"`
		Name     string     `json:"name"`
		Default  bool       `json:"default" doc:"the company the caller acts in (a session's current company)"`
		ParentID *uuid.UUID `json:"parent_company_id" doc:"null for a top-level company"`
	}
	v1Access struct {
		ID     uuid.UUID `json:"id"`
		Name   string    `json:"name"`
		Code   string    `json:"code"`
		Origin string    `json:"origin,omitempty" enum:"builtin,host,company" doc:"built in, the host's catalog, or the company's own; absent for a role that no longer exists"`
	}
	v1User struct {
		ID          uuid.UUID `json:"id"`
		FirstName   string    `json:"first_name"`
		LastName    string    `json:"last_name"`
		Email       string    `json:"email" format:"email"`
		Status      string    `json:"status" enum:"active,disabled"`
		Lang        string    `json:"lang"`
		Theme       string    `json:"theme"`
		Currency    string    `json:"currency"`
		Birthdate   string    `json:"birthdate" doc:"YYYY-MM-DD or empty"`
		FullName    string    `json:"full_name"`
		AvatarRoute string    `json:"avatar_route"`
	}
	v1UserAccess struct {
		ID       uuid.UUID `json:"id" doc:"the user access (membership) id"`
		Primary  bool      `json:"primary"`
		IsActive bool      `json:"is_active"`
		Company  v1Company `json:"company"`
		Access   v1Access  `json:"access"`
		User     v1User    `json:"user"`
	}
	v1Meta struct {
		NextCursor string `json:"next_cursor,omitempty" doc:"pass as cursor for the next page; absent on the last"`
	}
	v1UserAccessBody struct {
		UserAccess v1UserAccess `json:"user_access"`
	}
	v1UserAccesses struct {
		UserAccesses []v1UserAccess `json:"user_accesses"`
		Meta         v1Meta         `json:"meta"`
	}
	v1NewUserAccess struct {
		UserID    string `json:"user_id" format:"uuid" doc:"optional; must equal the path's user_id"`
		CompanyID string `json:"company_id" required:"" format:"uuid"`
		Primary   bool   `json:"primary" doc:"make it the user's primary company (only the user themself may)"`
		AccessID  string `json:"access_id" required:"" format:"uuid" doc:"the access (role) to give, see GET /api/v1/accesses"`
	}
	v1UpdateUserAccess struct {
		CompanyID string `json:"company_id" required:"" format:"uuid"`
		AccessID  string `json:"access_id" format:"uuid"`
		Primary   *bool  `json:"primary"`
		IsActive  *bool  `json:"is_active"`
	}
	v1Accesses struct {
		Accesses []v1Access `json:"accesses"`
	}
	v1AccessBody struct {
		Access v1Access `json:"access"`
	}
	v1NewCompany struct {
		Name     string `json:"name" required:""`
		ParentID string `json:"parent_company_id" format:"uuid" doc:"a company the caller owns"`
	}
	v1CompanyBody struct {
		Company v1Company `json:"company"`
	}
	v1Companies struct {
		Companies []v1Company `json:"companies"`
		Meta      v1Meta      `json:"meta"`
	}
	v1CompanyUser struct {
		v1User
		UserAccessID uuid.UUID `json:"user_access_id"`
		Access       v1Access  `json:"access"`
		Primary      bool      `json:"primary"`
		IsActive     bool      `json:"is_active"`
	}
	v1CompanyUsers struct {
		Users []v1CompanyUser `json:"users"`
		Meta  v1Meta          `json:"meta"`
	}
	v1Invitation struct {
		ID          uuid.UUID `json:"id"`
		Kind        string    `json:"kind" enum:"member,connection"`
		Status      string    `json:"status" enum:"pending,accepted,rejected,revoked,expired"`
		CompanyID   uuid.UUID `json:"company_id" doc:"the inviting company"`
		Email       string    `json:"email" format:"email"`
		Access      *v1Access `json:"access,omitempty" doc:"member invitations: the offered access"`
		Permissions []string  `json:"permissions"`
		Relation    string    `json:"relation,omitempty" enum:"agency,customer"`
		CompanyName string    `json:"company_name,omitempty" doc:"connections: the invited company's name"`
		ExpiresAt   time.Time `json:"expires_at"`
		SendCount   int       `json:"send_count"`
		CreatedAt   time.Time `json:"created_at"`
	}
	v1InvitationBody struct {
		Invitation v1Invitation `json:"invitation"`
	}
	v1Invitations struct {
		Invitations []v1Invitation `json:"invitations"`
		Meta        v1Meta         `json:"meta"`
	}
	v1NewInvitation struct {
		Email       string   `json:"email" required:"" format:"email"`
		AccessID    string   `json:"access_id" required:"" format:"uuid"`
		Permissions []string `json:"permissions" doc:"extra permissions on top of the access's"`
	}
	v1Preview struct {
		ID          uuid.UUID `json:"id"`
		Kind        string    `json:"kind" enum:"member,connection"`
		Status      string    `json:"status" enum:"pending,accepted,rejected,revoked,expired"`
		Email       string    `json:"email" format:"email"`
		CompanyName string    `json:"company_name" doc:"the inviting company"`
		Access      *v1Access `json:"access,omitempty"`
		Permissions []string  `json:"permissions"`
		Relation    string    `json:"relation,omitempty" enum:"agency,customer"`
		TargetName  string    `json:"target_company_name,omitempty"`
		InviterName string    `json:"inviter_name"`
		ExpiresAt   time.Time `json:"expires_at"`
	}
	v1PreviewBody struct {
		Invitation v1Preview `json:"invitation"`
	}
)

func (h *Handler) mountV1() {
	const fam = V1
	add(h, op{method: "POST", path: "/api/v1/users/{user_id}/user_access", fam: fam, status: http.StatusCreated,
		summary:      "Create a user_access for a user",
		description:  "Gives an existing user access to company_id. Needs USER_ADD there and the rank rules; the user must be visible to the caller: themself, or a member of any company where the caller holds USER_VIEW (else 404, as an unknown user). Only the user themself may set primary.",
		bodyRequired: true}, h.v1CreateUserAccess)
	add(h, op{method: "GET", path: "/api/v1/users/{user_id}/user_access", fam: fam, summary: "Show the user_accesses of a user",
		description: "The caller's own: all their companies. Another user's: their access in company_id (default: the caller's company), with USER_VIEW.",
		query:       append([]param{{name: "company_id", desc: "for another user: the company to look in"}}, pageParams...)}, h.v1ListUserAccess)
	add(h, op{method: "PUT", path: "/api/v1/users/{user_id}/user_access", fam: fam, summary: "Update a user's user_access in a company",
		description: "Access and activation need USER_EDIT and the rank rules; primary only the user themself.", bodyRequired: true}, h.v1UpdateUserAccess)
	add(h, op{method: "DELETE", path: "/api/v1/users/{user_id}/user_access/{id}", fam: fam, status: http.StatusNoContent,
		summary:     "Remove a user_access",
		description: "A user may leave any of their companies; removing another user needs USER_DELETE in the caller's company (or company_id) and the rank rules. The last OWNER stays.",
		query:       []param{{name: "company_id", desc: "for another user: the company to act in"}}}, h.v1DeleteUserAccess)
	add(h, op{method: "GET", path: "/api/v1/accesses", fam: fam, summary: "List all available accesses (roles)",
		description: "The built-in and host roles, then the company's own, each marked by origin."}, h.v1ListAccesses)
	add(h, op{method: "GET", path: "/api/v1/accesses/{id}", fam: fam, summary: "Show an access by id",
		description: "A built-in or host role, or one of the company's own (404 for another company's)."}, h.v1GetAccess)
	add(h, op{method: "POST", path: "/api/v1/companies", fam: fam, status: http.StatusCreated, summary: "Create a company",
		description: "A signed-in user creates a company and becomes its OWNER. API tokens cannot.", bodyRequired: true}, h.v1CreateCompany)
	add(h, op{method: "GET", path: "/api/v1/companies", fam: fam, summary: "List the caller's companies",
		query: pageParams}, h.v1ListCompanies)
	add(h, op{method: "GET", path: "/api/v1/companies/{company_id}", fam: fam, summary: "Get a company"}, h.v1GetCompany)
	add(h, op{method: "GET", path: "/api/v1/companies/{company_id}/users", fam: fam, summary: "Get the users of a company",
		description: "Needs USER_VIEW there.", query: pageParams}, h.v1CompanyUsers)
	add(h, op{method: "GET", path: "/api/v1/companies/{company_id}/invitations", fam: fam, summary: "Get the pending invitations of a company",
		description: "Needs USER_VIEW there.", query: pageParams}, h.v1CompanyInvitations)
	add(h, op{method: "POST", path: "/api/v1/companies/{company_id}/invitations", fam: fam, status: http.StatusCreated,
		summary:      "Create a user invitation",
		description:  "Needs USER_ADD there; never an access above the caller's own. Re-inviting a pending e-mail refreshes that invitation once the resend cooldown since its last send has passed (409 resend_too_soon with next_allowed_at before, as resend). The code goes to the invitee through the invitation notifier, never into this response.",
		bodyRequired: true}, h.v1CreateInvitation)
	add(h, op{method: "DELETE", path: "/api/v1/companies/{company_id}/invitations/{id}", fam: fam, status: http.StatusNoContent,
		summary: "Delete (withdraw) an invitation", description: "Needs USER_ADD there; the record stays, revoked."}, h.v1DeleteInvitation)
	add(h, op{method: "GET", path: "/api/v1/invitations/code/{code}", fam: fam, auth: authNone, summary: "Get an invitation by code (no auth required)",
		description: "Shows what the invitation offers to whoever holds its code."}, h.v1InvitationByCode)
	add(h, op{method: "GET", path: "/api/v1/invitations", fam: fam, summary: "Get the pending invitations of an e-mail",
		description: "For the user with that e-mail only.",
		query:       append([]param{{name: "email", desc: "the invited e-mail", required: true}}, pageParams...)}, h.v1InvitationsByEmail)
	h.mountV1Users()
}

func v1AccessOf(r access.Role) v1Access {
	return v1Access{ID: r.ID, Name: r.Name, Code: r.Code, Origin: string(r.Origin)}
}

// v1AccessIn is the access object of a role code in company cid, among
// the roles resolved for the response; an unknown (removed) role shows
// its code.
func v1AccessIn(rs access.RoleSet, cid uuid.UUID, code string) v1Access {
	if r, ok := rs.Role(cid, code); ok {
		return v1AccessOf(r)
	}
	return v1Access{Name: code, Code: code}
}

// v1AccessByCode is v1AccessIn for a single object.
func (h *Handler) v1AccessByCode(x *exchange, cid uuid.UUID, code string) (v1Access, error) {
	rs, err := h.svc.Access.ResolveRoles(x.ctx(), access.RoleRef{CompanyID: cid, Code: code})
	if err != nil {
		return v1Access{}, err
	}
	return v1AccessIn(rs, cid, code), nil
}

// v1Role parses an access_id into the code of a role assignable in
// company cid (the catalog's or the company's own).
func (h *Handler) v1Role(x *exchange, cid uuid.UUID, s string, required bool) (string, error) {
	if s == "" && !required {
		return "", nil
	}
	raw, err := requiredID("access_id", s)
	if err != nil {
		return "", err
	}
	r, err := h.svc.Access.RoleByIDIn(x.ctx(), cid, "access_id", raw)
	if err != nil {
		return "", err
	}
	return r.Code, nil
}

func v1UserOf(u access.User) v1User {
	return v1User{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, Status: string(u.Status),
		Lang: u.Profile.Lang, Theme: u.Profile.Theme, Currency: u.Profile.Currency, Birthdate: u.Profile.Birthdate,
		FullName: u.FullName(), AvatarRoute: u.Profile.AvatarURL}
}

func (x *exchange) v1CompanyOf(c access.Company) v1Company {
	return v1Company{ID: c.ID, Name: c.Name, Default: c.ID == x.p.CompanyID, ParentID: nilIfZero(c.ParentID)}
}

func (h *Handler) v1UserAccessOf(x *exchange, rs access.RoleSet, m access.Membership, c access.Company, u access.User) v1UserAccess {
	return v1UserAccess{ID: m.ID, Primary: m.Primary, IsActive: m.Active, Company: x.v1CompanyOf(c),
		Access: v1AccessIn(rs, m.CompanyID, m.Role), User: v1UserOf(u)}
}

// v1OneUserAccessOf is v1UserAccessOf for a single membership.
func (h *Handler) v1OneUserAccessOf(x *exchange, m access.Membership, c access.Company, u access.User) (v1UserAccess, error) {
	rs, err := h.svc.Access.ResolveRoles(x.ctx(), access.RoleRef{CompanyID: m.CompanyID, Code: m.Role})
	if err != nil {
		return v1UserAccess{}, err
	}
	return h.v1UserAccessOf(x, rs, m, c, u), nil
}

// v1Target is the principal acting in company_id, for user_access routes:
// the given one, or the caller's own company when none is given.
func (h *Handler) v1Target(x *exchange, companyID uuid.UUID) (access.Principal, access.Company, error) {
	if companyID == uuid.Nil {
		companyID = x.p.CompanyID
	}
	return h.inCompany(x, access.CompanyRef{ID: companyID})
}

func (h *Handler) v1CreateUserAccess(x *exchange, in *v1NewUserAccess) (v1UserAccessBody, error) {
	uid, err := pathID(x, "user_id")
	if err != nil {
		return v1UserAccessBody{}, err
	}
	if bid, err := bodyID("user_id", in.UserID); err != nil {
		return v1UserAccessBody{}, err
	} else if bid != uuid.Nil && bid != uid {
		return v1UserAccessBody{}, access.Invalid("user_id", "user_id must equal the path's user_id")
	}
	cid, err := requiredID("company_id", in.CompanyID)
	if err != nil {
		return v1UserAccessBody{}, err
	}
	p, c, err := h.inCompany(x, access.CompanyRef{ID: cid})
	if err != nil {
		return v1UserAccessBody{}, err
	}
	role, err := h.v1Role(x, p.CompanyID, in.AccessID, true)
	if err != nil {
		return v1UserAccessBody{}, err
	}
	m, err := h.svc.Access.AddMember(x.ctx(), p, access.NewMember{UserID: uid, Role: role, Primary: in.Primary})
	if err != nil {
		return v1UserAccessBody{}, err
	}
	ua, err := h.v1OneUserAccessOf(x, m.Membership, c, m.User)
	return v1UserAccessBody{UserAccess: ua}, err
}

func (h *Handler) v1ListUserAccess(x *exchange, _ *noBody) (v1UserAccesses, error) {
	uid, err := pathID(x, "user_id")
	if err != nil {
		return v1UserAccesses{}, err
	}
	cid, err := queryID(x, "company_id")
	if err != nil {
		return v1UserAccesses{}, err
	}
	pr, err := h.pageRequest(x)
	if err != nil {
		return v1UserAccesses{}, err
	}
	out := v1UserAccesses{UserAccesses: []v1UserAccess{}}
	if x.p.Kind == access.PrincipalUser && x.p.UserID == uid && cid == uuid.Nil {
		u, err := h.svc.Access.GetUser(x.ctx(), x.p, uid)
		if err != nil {
			return v1UserAccesses{}, err
		}
		page, err := h.svc.Access.ListMyCompanies(x.ctx(), x.p, access.MemberFilter{Page: pr})
		if err != nil {
			return v1UserAccesses{}, err
		}
		refs := make([]access.RoleRef, len(page.Items))
		for i, uc := range page.Items {
			refs[i] = access.RoleRef{CompanyID: uc.CompanyID, Code: uc.Role}
		}
		rs, err := h.svc.Access.ResolveRoles(x.ctx(), refs...)
		if err != nil {
			return v1UserAccesses{}, err
		}
		for _, uc := range page.Items {
			out.UserAccesses = append(out.UserAccesses, h.v1UserAccessOf(x, rs, uc.Membership, uc.Company, u))
		}
		out.Meta.NextCursor = page.Next
		return out, nil
	}
	p, c, err := h.v1Target(x, cid)
	if err != nil {
		return v1UserAccesses{}, err
	}
	m, err := h.svc.Access.GetMember(x.ctx(), p, uid)
	if err != nil {
		return v1UserAccesses{}, err
	}
	ua, err := h.v1OneUserAccessOf(x, m.Membership, c, m.User)
	if err != nil {
		return v1UserAccesses{}, err
	}
	out.UserAccesses = append(out.UserAccesses, ua)
	return out, nil
}

func (h *Handler) v1UpdateUserAccess(x *exchange, in *v1UpdateUserAccess) (v1UserAccessBody, error) {
	uid, err := pathID(x, "user_id")
	if err != nil {
		return v1UserAccessBody{}, err
	}
	cid, err := requiredID("company_id", in.CompanyID)
	if err != nil {
		return v1UserAccessBody{}, err
	}
	p, c, err := h.inCompany(x, access.CompanyRef{ID: cid})
	if err != nil {
		return v1UserAccessBody{}, err
	}
	role, err := h.v1Role(x, p.CompanyID, in.AccessID, false)
	if err != nil {
		return v1UserAccessBody{}, err
	}
	up := access.MemberUpdate{Primary: in.Primary, Active: in.IsActive}
	if role != "" {
		up.Role = &role
	}
	m, err := h.svc.Access.UpdateMember(x.ctx(), p, uid, up)
	if err != nil {
		return v1UserAccessBody{}, err
	}
	ua, err := h.v1OneUserAccessOf(x, m.Membership, c, m.User)
	return v1UserAccessBody{UserAccess: ua}, err
}

func (h *Handler) v1DeleteUserAccess(x *exchange, _ *noBody) (noBody, error) {
	uid, err := pathID(x, "user_id")
	if err != nil {
		return noBody{}, err
	}
	mid, err := pathID(x, "id")
	if err != nil {
		return noBody{}, err
	}
	cid, err := queryID(x, "company_id")
	if err != nil {
		return noBody{}, err
	}
	// Without company_id: the caller's own principal, so that a user
	// leaving names a membership in any of their companies.
	p := x.p
	if cid != uuid.Nil {
		if p, _, err = h.inCompany(x, access.CompanyRef{ID: cid}); err != nil {
			return noBody{}, err
		}
	}
	return noBody{}, h.svc.Access.RemoveMembership(x.ctx(), p, uid, mid)
}

func (h *Handler) v1ListAccesses(x *exchange, _ *noBody) (v1Accesses, error) {
	roles, err := h.svc.Access.Roles(x.ctx(), x.p)
	if err != nil {
		return v1Accesses{}, err
	}
	out := v1Accesses{Accesses: make([]v1Access, len(roles))}
	for i, r := range roles {
		out.Accesses[i] = v1AccessOf(r)
	}
	return out, nil
}

func (h *Handler) v1GetAccess(x *exchange, _ *noBody) (v1AccessBody, error) {
	rid, err := pathID(x, "id")
	if err != nil {
		return v1AccessBody{}, err
	}
	r, err := h.svc.Access.GetRole(x.ctx(), x.p, rid)
	if errors.Is(err, access.ErrNotFound) {
		return v1AccessBody{}, access.NotFound(access.CodeAccessNotFound)
	}
	if err != nil {
		return v1AccessBody{}, err
	}
	return v1AccessBody{Access: v1AccessOf(r)}, nil
}

func (h *Handler) v1CreateCompany(x *exchange, in *v1NewCompany) (v1CompanyBody, error) {
	parent, err := bodyID("parent_company_id", in.ParentID)
	if err != nil {
		return v1CompanyBody{}, err
	}
	create := h.svc.Access.CreateCompany
	if h.svc.Token != nil {
		// A company created through a session is that session's too.
		create = h.svc.Token.CreateCompany
	}
	c, err := create(x.ctx(), x.p, access.NewCompany{Name: in.Name, ParentID: parent})
	if err != nil {
		return v1CompanyBody{}, err
	}
	return v1CompanyBody{Company: x.v1CompanyOf(c)}, nil
}

func (h *Handler) v1ListCompanies(x *exchange, _ *noBody) (v1Companies, error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return v1Companies{}, err
	}
	page, err := h.svc.Access.ListMyCompanies(x.ctx(), x.p, access.MemberFilter{Page: pr})
	if err != nil {
		return v1Companies{}, err
	}
	out := v1Companies{Companies: make([]v1Company, len(page.Items)), Meta: v1Meta{NextCursor: page.Next}}
	for i, uc := range page.Items {
		out.Companies[i] = x.v1CompanyOf(uc.Company)
	}
	return out, nil
}

func (h *Handler) v1GetCompany(x *exchange, _ *noBody) (v1CompanyBody, error) {
	cid, err := pathID(x, "company_id")
	if err != nil {
		return v1CompanyBody{}, err
	}
	c, err := h.svc.Access.GetCompany(x.ctx(), x.p, cid)
	if err != nil {
		return v1CompanyBody{}, err
	}
	return v1CompanyBody{Company: x.v1CompanyOf(c)}, nil
}

// v1Company is x's principal acting in the path's company_id.
func (h *Handler) v1Company(x *exchange) (access.Principal, error) {
	cid, err := pathID(x, "company_id")
	if err != nil {
		return access.Principal{}, err
	}
	p, _, err := h.inCompany(x, access.CompanyRef{ID: cid})
	return p, err
}

func (h *Handler) v1CompanyUsers(x *exchange, _ *noBody) (v1CompanyUsers, error) {
	p, err := h.v1Company(x)
	if err != nil {
		return v1CompanyUsers{}, err
	}
	pr, err := h.pageRequest(x)
	if err != nil {
		return v1CompanyUsers{}, err
	}
	page, err := h.svc.Access.ListMembers(x.ctx(), p, access.MemberFilter{Page: pr})
	if err != nil {
		return v1CompanyUsers{}, err
	}
	refs := make([]access.RoleRef, len(page.Items))
	for i, m := range page.Items {
		refs[i] = access.RoleRef{CompanyID: m.CompanyID, Code: m.Role}
	}
	rs, err := h.svc.Access.ResolveRoles(x.ctx(), refs...)
	if err != nil {
		return v1CompanyUsers{}, err
	}
	out := v1CompanyUsers{Users: make([]v1CompanyUser, len(page.Items)), Meta: v1Meta{NextCursor: page.Next}}
	for i, m := range page.Items {
		out.Users[i] = v1CompanyUser{v1User: v1UserOf(m.User), UserAccessID: m.ID, Access: v1AccessIn(rs, m.CompanyID, m.Role),
			Primary: m.Primary, IsActive: m.Active}
	}
	return out, nil
}

func v1InvitationOf(rs access.RoleSet, inv invite.Invitation) v1Invitation {
	out := v1Invitation{ID: inv.ID, Kind: string(inv.Kind), Status: string(inv.Status), CompanyID: inv.CompanyID,
		Email: inv.Email, Permissions: nonNil(inv.Permissions), Relation: string(inv.Relation), CompanyName: inv.TargetName,
		ExpiresAt: inv.ExpiresAt, SendCount: inv.SendCount, CreatedAt: inv.CreatedAt}
	if inv.Kind == invite.KindMember {
		a := v1AccessIn(rs, inv.CompanyID, inv.Role)
		out.Access = &a
	}
	return out
}

// v1Invitations is a page of invitations, their roles resolved once.
func (h *Handler) v1Invitations(x *exchange, page access.Page[invite.Invitation]) (v1Invitations, error) {
	refs := make([]access.RoleRef, 0, len(page.Items))
	for _, inv := range page.Items {
		if inv.Kind == invite.KindMember {
			refs = append(refs, access.RoleRef{CompanyID: inv.CompanyID, Code: inv.Role})
		}
	}
	rs, err := h.svc.Access.ResolveRoles(x.ctx(), refs...)
	if err != nil {
		return v1Invitations{}, err
	}
	out := v1Invitations{Invitations: make([]v1Invitation, len(page.Items)), Meta: v1Meta{NextCursor: page.Next}}
	for i, inv := range page.Items {
		out.Invitations[i] = v1InvitationOf(rs, inv)
	}
	return out, nil
}

func (h *Handler) v1CompanyInvitations(x *exchange, _ *noBody) (v1Invitations, error) {
	p, err := h.v1Company(x)
	if err != nil {
		return v1Invitations{}, err
	}
	pr, err := h.pageRequest(x)
	if err != nil {
		return v1Invitations{}, err
	}
	page, err := h.svc.Invite.ListPending(x.ctx(), p, invite.ListFilter{Page: pr})
	if err != nil {
		return v1Invitations{}, err
	}
	return h.v1Invitations(x, page)
}

func (h *Handler) v1CreateInvitation(x *exchange, in *v1NewInvitation) (v1InvitationBody, error) {
	p, err := h.v1Company(x)
	if err != nil {
		return v1InvitationBody{}, err
	}
	role, err := h.v1Role(x, p.CompanyID, in.AccessID, true)
	if err != nil {
		return v1InvitationBody{}, err
	}
	iss, err := h.svc.Invite.Invite(x.ctx(), p, invite.NewInvitation{Email: in.Email, Role: role, Permissions: in.Permissions})
	if err != nil {
		return v1InvitationBody{}, err
	}
	rs, err := h.svc.Access.ResolveRoles(x.ctx(), access.RoleRef{CompanyID: iss.Invitation.CompanyID, Code: iss.Invitation.Role})
	if err != nil {
		return v1InvitationBody{}, err
	}
	return v1InvitationBody{Invitation: v1InvitationOf(rs, iss.Invitation)}, nil
}

func (h *Handler) v1DeleteInvitation(x *exchange, _ *noBody) (noBody, error) {
	iid, err := pathID(x, "id")
	if err != nil {
		return noBody{}, err
	}
	p, err := h.v1Company(x)
	if err != nil {
		return noBody{}, err
	}
	_, err = h.svc.Invite.Revoke(x.ctx(), p, iid)
	return noBody{}, err
}

func (h *Handler) v1InvitationByCode(x *exchange, _ *noBody) (v1PreviewBody, error) {
	pv, err := h.svc.Invite.Preview(x.ctx(), x.r.PathValue("code"))
	if err != nil {
		return v1PreviewBody{}, err
	}
	out := v1Preview{ID: pv.ID, Kind: string(pv.Kind), Status: string(pv.Status), Email: pv.Email,
		CompanyName: pv.CompanyName, Permissions: nonNil(pv.Permissions), Relation: string(pv.Relation),
		TargetName: pv.TargetName, InviterName: pv.InviterName, ExpiresAt: pv.ExpiresAt}
	if pv.Kind == invite.KindMember {
		a, err := h.v1AccessByCode(x, pv.CompanyID, pv.Role)
		if err != nil {
			return v1PreviewBody{}, err
		}
		out.Access = &a
	}
	return v1PreviewBody{Invitation: out}, nil
}

func (h *Handler) v1InvitationsByEmail(x *exchange, _ *noBody) (v1Invitations, error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return v1Invitations{}, err
	}
	page, err := h.svc.Invite.ListForEmail(x.ctx(), x.p, x.r.URL.Query().Get("email"), pr)
	if err != nil {
		return v1Invitations{}, err
	}
	return h.v1Invitations(x, page)
}

// nilIfZero is nil for uuid.Nil: a top-level company's parent_company_id
// is null.
func nilIfZero(v uuid.UUID) *uuid.UUID {
	if v == uuid.Nil {
		return nil
	}
	return &v
}
