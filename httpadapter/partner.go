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

// Seed 000 (partner instance access). The company is chosen on every route
// by merchant_id (the company's external key, or its ID) or domain_id (one
// of its domains), resolved with access.Service.FindCompany.

// LoginPath is where the handler serves the page of provisioning's login
// links. The token service builds the links: a host serving this handler
// at base sets token.WithLoginURL(base + LoginPath), so that the links
// open this page.
const LoginPath = "/portal/instance/access/login"

type (
	partnerResult[T any] struct {
		Result T `json:"result"`
	}
	partnerPage struct {
		CurrentPage int `json:"current_page"`
		NextPage    int `json:"next_page,omitempty" doc:"absent on the last page"`
		PrevPage    int `json:"prev_page,omitempty" doc:"absent on the first page"`
	}
	partnerList struct {
		Meta   partnerPage   `json:"meta"`
		Result []partnerUser `json:"result"`
	}
	partnerRef struct {
		ID        uuid.UUID `json:"id"`
		Email     string    `json:"email" format:"email"`
		FirstName string    `json:"first_name"`
		LastName  string    `json:"last_name"`
	}
	partnerUser struct {
		ID        uuid.UUID   `json:"id" doc:"the user id"`
		Email     string      `json:"email" format:"email"`
		FirstName string      `json:"first_name"`
		LastName  string      `json:"last_name"`
		Role      string      `json:"role" doc:"OWNER or ADMIN; members given another role through another family show it as it is"`
		IsActive  bool        `json:"is_active"`
		CreatedBy *partnerRef `json:"created_by,omitempty" doc:"the user that granted access, when known"`
	}
	partnerGrant struct {
		Email string `json:"email" required:"" format:"email"`
		Role  string `json:"role" required:"" enum:"OWNER,ADMIN"`
	}
	partnerGranted struct {
		Outcome    string             `json:"outcome" enum:"granted,invited" doc:"granted: a user the caller could already see (one sharing a company with the caller; an API token: a member of its own company) has the role now and was notified; invited: the e-mail was sent an invitation and joins by accepting it. The invited answer is the same whether or not the e-mail has an account"`
		ID         uuid.UUID          `json:"id,omitzero" doc:"granted: the user id"`
		Email      string             `json:"email" format:"email"`
		FirstName  *string            `json:"first_name,omitempty" doc:"granted only"`
		LastName   *string            `json:"last_name,omitempty" doc:"granted only"`
		Role       string             `json:"role" enum:"OWNER,ADMIN" doc:"the role granted (invited: offered)"`
		IsActive   bool               `json:"is_active" doc:"false while invited"`
		CreatedBy  *partnerRef        `json:"created_by,omitempty" doc:"granted: the user that granted access, when known"`
		Invitation *partnerInvitation `json:"invitation,omitempty" doc:"invited only; its token goes to the e-mail, never into this response"`
	}
	partnerInvitation struct {
		ID        uuid.UUID `json:"id"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	partnerProvision struct {
		Email        string `json:"email" required:"" format:"email"`
		Role         string `json:"role" required:"" enum:"OWNER,ADMIN"`
		AccessSwitch *bool  `json:"access_switch" doc:"false forbids the user to switch to this company (default true)"`
	}
	partnerProvisioned struct {
		ID       uuid.UUID `json:"id" doc:"the provisioned user's id"`
		Email    string    `json:"email" format:"email"`
		Role     string    `json:"role" enum:"OWNER,ADMIN"`
		IsActive bool      `json:"is_active"`
		LoginURL string    `json:"login_url" format:"uri-reference" doc:"a one-time magic link (10 minutes by default), as the token service builds it (token.WithLoginURL; relative unless the host gives an absolute base); at the adapter's login path, GET shows a confirmation page, POST signs in"`
	}
	partnerUpdate struct {
		Role     *string `json:"role" enum:"OWNER,ADMIN"`
		IsActive *bool   `json:"is_active"`
	}
	partnerDeleted struct{}
	loginResult    struct {
		SessionToken string    `json:"session_token" doc:"a bearer token acting as the user in the link's company"`
		UserID       uuid.UUID `json:"user_id"`
		CompanyID    uuid.UUID `json:"company_id"`
		ExpiresAt    string    `json:"expires_at" format:"date-time"`
	}
)

var companyParams = []param{
	{name: "merchant_id", desc: "the company's external key or ID; this or domain_id is required"},
	{name: "domain_id", desc: "one of the company's domains"},
}

func (h *Handler) mountPartner() {
	const fam = Partner
	if h.svc.Invite == nil {
		// Granting access invites whom the caller cannot see.
		panic("httpadapter.New: Services.Invite is required by the partner family (granting access invites those the caller cannot see)")
	}
	const base = "/portal/instance/access/users"
	add(h, op{method: "GET", path: base, fam: fam, summary: "Get access: the users of the merchant's company",
		description: "Needs USER_VIEW. Numbered pages of per_page users; a page may start at most " + maxOffset + " users in (deeper pages: 400 naming page).",
		query: append(companyParams[:2:2],
			param{name: "page", desc: "page number, from 1; (page-1)*per_page at most " + maxOffset, integer: true, min: 1},
			param{name: "per_page", desc: "page size, 1 to " + strconv.Itoa(access.MaxPageLimit), integer: true, min: 1, max: access.MaxPageLimit})}, h.partnerList)
	add(h, op{method: "POST", path: base, fam: fam, summary: "Grant access",
		description: "Needs USER_ADD. No one joins without consent unless the caller can already see them: " +
			"a user sharing a company with the caller (an API token: a member of the merchant's company) gets the role at once (or an existing member's is changed, under the rank rules) and is notified through the token service's notifier, with a one-time login link unless they belong to other companies (outcome granted); " +
			"any other e-mail, unknown or of another company's user, is sent an invitation through the invitation notifier and joins by accepting it (outcome invited). " +
			"The invited answer is the same for both, with no name or id of an existing account.",
		query: companyParams, bodyRequired: true}, h.partnerGrant)
	add(h, op{method: "POST", path: base + "/provision", fam: fam, summary: "Provision access and return a magic login link",
		description: "Just-in-time creation or update of the user's access; needs USER_ADD. The link is in this response only.",
		query:       companyParams, bodyRequired: true}, h.partnerProvision)
	add(h, op{method: "GET", path: base + "/{userId}", fam: fam, summary: "Get a user's access",
		query: companyParams}, h.partnerGet)
	add(h, op{method: "PUT", path: base + "/{userId}", fam: fam, summary: "Update a user's access",
		description: "Needs USER_EDIT and the rank rules; the company keeps an active OWNER.",
		query:       companyParams, bodyRequired: true}, h.partnerUpdate)
	add(h, op{method: "DELETE", path: base + "/{userId}", fam: fam, summary: "Delete a user's access",
		description: "Needs USER_DELETE (or is the user leaving); the company keeps an active OWNER.",
		query:       companyParams}, h.partnerDelete)

	page := &op{method: "GET", path: LoginPath, fam: fam, auth: authNone, html: true, htmlStatuses: []int{http.StatusBadRequest},
		summary:     "Login link: confirmation page",
		description: "Has no side effect (mail scanners follow links): answers a small HTML page whose form POSTs to the same URL. A link without its token answers a 400 page saying the link is incomplete.",
		query:       []param{{name: "token", desc: "the login secret", required: true}}}
	h.mount(page, h.loginPage)
	redeem := &op{method: "POST", path: LoginPath, fam: fam, auth: authNone, status: http.StatusOK,
		summary:     "Login link: sign in",
		description: "Redeems the link once and answers a session token. A second POST, or one after expiry, answers 410. The body, if any, is ignored.",
		query:       []param{{name: "token", desc: "the login secret", required: true}}}
	redeem.out = typeOf[loginResult]()
	h.mount(redeem, h.loginRedeem)
}

// maxOffset is access.MaxPageOffset as the documents print it.
var maxOffset = strconv.Itoa(access.MaxPageOffset)

// partnerCompany is x's principal acting in the company merchant_id (the
// external key, else the ID: access.CompanyRef.Merchant) or domain_id
// names. Naming neither is access's ErrInvalid on merchant_id.
func (h *Handler) partnerCompany(x *exchange) (access.Principal, error) {
	q := x.r.URL.Query()
	ref := access.CompanyRef{Merchant: q.Get("merchant_id"), Domain: q.Get("domain_id")}
	if ref.Merchant != "" && ref.Domain != "" {
		return access.Principal{}, access.Invalid("merchant_id", "give either merchant_id or domain_id, not both")
	}
	p, _, err := h.actIn(x, ref)
	return p, err
}

func partnerUserOf(m access.Member) partnerUser {
	out := partnerUser{ID: m.UserID, Email: m.User.Email, FirstName: m.User.FirstName, LastName: m.User.LastName,
		Role: m.Role, IsActive: m.Active}
	if u := m.CreatedByUser; u != nil {
		out.CreatedBy = &partnerRef{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}
	}
	return out
}

// partnerRole checks that a role is one seed 000 knows.
func partnerRole(role string) error {
	if role != access.RoleOwner && role != access.RoleAdmin {
		return access.Invalid("role", "role must be OWNER or ADMIN")
	}
	return nil
}

func (h *Handler) partnerList(x *exchange, _ *noBody) (partnerList, error) {
	pageNo, err := queryInt(x, "page", 1)
	if err != nil {
		return partnerList{}, err
	}
	perPage, err := queryInt(x, "per_page", h.cfg.pageSize)
	if err != nil {
		return partnerList{}, err
	}
	p, err := h.partnerCompany(x)
	if err != nil {
		return partnerList{}, err
	}
	pg, err := h.svc.Access.ListMembersNumbered(x.ctx(), p, access.MemberFilter{}, pageNo, perPage)
	if err != nil {
		return partnerList{}, err
	}
	out := partnerList{Meta: partnerPage{CurrentPage: pg.Page}, Result: make([]partnerUser, len(pg.Items))}
	for i, m := range pg.Items {
		out.Result[i] = partnerUserOf(m)
	}
	if pg.Page > 1 {
		out.Meta.PrevPage = pg.Page - 1
	}
	if pg.HasNext {
		out.Meta.NextPage = pg.Page + 1
	}
	return out, nil
}

func (h *Handler) partnerGrant(x *exchange, in *partnerGrant) (partnerResult[partnerGranted], error) {
	if err := partnerRole(in.Role); err != nil {
		return partnerResult[partnerGranted]{}, err
	}
	p, err := h.partnerCompany(x)
	if err != nil {
		return partnerResult[partnerGranted]{}, err
	}
	// The links (login or accept) go to the person only, never here.
	a, err := h.svc.Invite.Grant(x.ctx(), p, invite.NewGrant{Email: in.Email, Role: in.Role})
	if err != nil {
		return partnerResult[partnerGranted]{}, err
	}
	if a.Invited {
		inv := a.Issued.Invitation
		return partnerResult[partnerGranted]{Result: partnerGranted{Outcome: "invited", Email: inv.Email, Role: inv.Role,
			Invitation: &partnerInvitation{ID: inv.ID, ExpiresAt: inv.ExpiresAt}}}, nil
	}
	u := partnerUserOf(a.Member)
	return partnerResult[partnerGranted]{Result: partnerGranted{Outcome: "granted", ID: u.ID, Email: u.Email,
		FirstName: &u.FirstName, LastName: &u.LastName, Role: u.Role, IsActive: u.IsActive, CreatedBy: u.CreatedBy}}, nil
}

func (h *Handler) partnerProvision(x *exchange, in *partnerProvision) (partnerResult[partnerProvisioned], error) {
	if err := partnerRole(in.Role); err != nil {
		return partnerResult[partnerProvisioned]{}, err
	}
	p, err := h.partnerCompany(x)
	if err != nil {
		return partnerResult[partnerProvisioned]{}, err
	}
	noSwitch := in.AccessSwitch != nil && !*in.AccessSwitch
	pv, err := h.svc.Token.Provision(x.ctx(), p, token.Provision{Email: in.Email, Role: in.Role, NoSwitch: noSwitch})
	if err != nil {
		return partnerResult[partnerProvisioned]{}, err
	}
	m := pv.Member
	return partnerResult[partnerProvisioned]{Result: partnerProvisioned{ID: m.UserID, Email: m.User.Email,
		Role: m.Role, IsActive: m.Active, LoginURL: pv.LoginURL.Reveal()}}, nil
}

func (h *Handler) partnerGet(x *exchange, _ *noBody) (partnerResult[partnerUser], error) {
	uid, err := pathID(x, "userId")
	if err != nil {
		return partnerResult[partnerUser]{}, err
	}
	p, err := h.partnerCompany(x)
	if err != nil {
		return partnerResult[partnerUser]{}, err
	}
	m, err := h.svc.Access.GetMember(x.ctx(), p, uid)
	if err != nil {
		return partnerResult[partnerUser]{}, err
	}
	return partnerResult[partnerUser]{Result: partnerUserOf(m)}, nil
}

func (h *Handler) partnerUpdate(x *exchange, in *partnerUpdate) (partnerResult[partnerUser], error) {
	uid, err := pathID(x, "userId")
	if err != nil {
		return partnerResult[partnerUser]{}, err
	}
	if in.Role != nil {
		if err := partnerRole(*in.Role); err != nil {
			return partnerResult[partnerUser]{}, err
		}
	}
	p, err := h.partnerCompany(x)
	if err != nil {
		return partnerResult[partnerUser]{}, err
	}
	m, err := h.svc.Access.UpdateMember(x.ctx(), p, uid, access.MemberUpdate{Role: in.Role, Active: in.IsActive})
	if err != nil {
		return partnerResult[partnerUser]{}, err
	}
	return partnerResult[partnerUser]{Result: partnerUserOf(m)}, nil
}

func (h *Handler) partnerDelete(x *exchange, _ *noBody) (partnerResult[partnerDeleted], error) {
	uid, err := pathID(x, "userId")
	if err != nil {
		return partnerResult[partnerDeleted]{}, err
	}
	p, err := h.partnerCompany(x)
	if err != nil {
		return partnerResult[partnerDeleted]{}, err
	}
	if err := h.svc.Access.RemoveMember(x.ctx(), p, uid); err != nil {
		return partnerResult[partnerDeleted]{}, err
	}
	return partnerResult[partnerDeleted]{}, nil
}
