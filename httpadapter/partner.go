package httpadapter

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// Seed 000 (partner instance access). The company is chosen on every route
// by merchant_id (the company's external key, or its ID) or domain_id (one
// of its domains), resolved with access.Service.FindCompany.

// LoginPath is where the login links of provisioning point (relative to
// the login base URL, see WithLoginBaseURL).
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
		LoginURL string    `json:"login_url" format:"uri" doc:"a one-time magic link (10 minutes by default); GET shows a confirmation page, POST signs in"`
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
	const base = "/portal/instance/access/users"
	add(h, op{method: "GET", path: base, fam: fam, summary: "Get access: the users of the merchant's company",
		description: "Needs USER_VIEW. Numbered pages of per_page users.",
		query:       append(companyParams[:2:2], param{name: "page", desc: "page number, from 1"}, param{name: "per_page", desc: "page size, 1 to 500"})}, h.partnerList)
	add(h, op{method: "POST", path: base, fam: fam, summary: "Grant access",
		description: "Creates the user if the e-mail is new, gives them the role (or changes an existing member's, under the rank rules), and notifies them with a one-time login link. Needs USER_ADD.",
		query:       companyParams, bodyRequired: true}, h.partnerGrant)
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

	page := &op{method: "GET", path: LoginPath, fam: fam, auth: authNone, html: true,
		summary:     "Login link: confirmation page",
		description: "Has no side effect (mail scanners follow links): answers a small HTML page whose form POSTs to the same URL.",
		query:       []param{{name: "token", desc: "the login secret", required: true}}}
	h.mount(page, h.loginPage)
	redeem := &op{method: "POST", path: LoginPath, fam: fam, auth: authNone, status: http.StatusOK,
		summary:     "Login link: sign in",
		description: "Redeems the link once and answers a session token. A second POST, or one after expiry, answers 410. The body, if any, is ignored.",
		query:       []param{{name: "token", desc: "the login secret", required: true}}}
	redeem.out = typeOf[loginResult]()
	h.mount(redeem, h.loginRedeem)
}

// partnerCompany is x's principal acting in the company merchant_id or
// domain_id names. merchant_id is tried as an external key first, then as
// an ID.
func (h *Handler) partnerCompany(x *exchange) (access.Principal, access.Company, error) {
	q := x.r.URL.Query()
	m, d := q.Get("merchant_id"), q.Get("domain_id")
	switch {
	case m != "" && d != "":
		return access.Principal{}, access.Company{}, access.Invalid("merchant_id", "give either merchant_id or domain_id, not both")
	case d != "":
		return h.inCompany(x, access.CompanyRef{Domain: d})
	case m == "":
		return access.Principal{}, access.Company{}, access.Invalid("merchant_id", "either a merchant_id or a domain_id is required")
	}
	p, c, err := h.inCompany(x, access.CompanyRef{ExternalKey: m})
	if raw, ok := parseID(m); ok && errors.Is(err, access.ErrNotFound) {
		return h.inCompany(x, access.CompanyRef{ID: raw})
	}
	return p, c, err
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
	q := x.r.URL.Query()
	num := func(name string, def int) (int, error) {
		s := q.Get(name)
		if s == "" {
			return def, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || name == "per_page" && n > access.MaxPageLimit {
			return 0, access.Invalid(name, "%s must be a number from 1 (per_page at most %d)", name, access.MaxPageLimit)
		}
		return n, nil
	}
	pageNo, err := num("page", 1)
	if err != nil {
		return partnerList{}, err
	}
	perPage, err := num("per_page", h.cfg.pageSize)
	if err != nil {
		return partnerList{}, err
	}
	p, _, err := h.partnerCompany(x)
	if err != nil {
		return partnerList{}, err
	}
	// Numbered pages over a keyset listing: skip the earlier pages in
	// chunks, then read the page asked for.
	ctx, acc := x.ctx(), h.svc.Access
	var cursor string
	for skip := (pageNo - 1) * perPage; skip > 0; {
		n := min(skip, access.MaxPageLimit)
		pg, err := acc.ListMembers(ctx, p, access.MemberFilter{Page: access.PageRequest{Limit: n, After: cursor}})
		if err != nil {
			return partnerList{}, err
		}
		skip -= len(pg.Items)
		cursor = pg.Next
		if cursor == "" {
			break
		}
	}
	out := partnerList{Meta: partnerPage{CurrentPage: pageNo}, Result: []partnerUser{}}
	if pageNo > 1 {
		out.Meta.PrevPage = pageNo - 1
	}
	if pageNo > 1 && cursor == "" {
		return out, nil // past the end
	}
	pg, err := acc.ListMembers(ctx, p, access.MemberFilter{Page: access.PageRequest{Limit: perPage, After: cursor}})
	if err != nil {
		return partnerList{}, err
	}
	out.Result = make([]partnerUser, len(pg.Items))
	for i, m := range pg.Items {
		out.Result[i] = partnerUserOf(m)
	}
	if pg.Next != "" {
		out.Meta.NextPage = pageNo + 1
	}
	return out, nil
}

func (h *Handler) partnerGrant(x *exchange, in *partnerGrant) (partnerResult[partnerUser], error) {
	if err := partnerRole(in.Role); err != nil {
		return partnerResult[partnerUser]{}, err
	}
	p, c, err := h.partnerCompany(x)
	if err != nil {
		return partnerResult[partnerUser]{}, err
	}
	pv, err := h.svc.Token.Provision(x.ctx(), p, token.Provision{Email: in.Email, Role: in.Role})
	if access.CodeOf(err) == access.CodeUserHasOtherCompanies {
		// The user has an account elsewhere and signs in on their own:
		// grant the access and notify without a link.
		pv, err = h.svc.Token.Provision(x.ctx(), p, token.Provision{Email: in.Email, Role: in.Role, NoLink: true})
	}
	if err != nil {
		return partnerResult[partnerUser]{}, err
	}
	var link string
	if pv.LoginURL.Reveal() != "" {
		if link, err = h.loginURL(pv.LoginURL); err != nil {
			return partnerResult[partnerUser]{}, err
		}
	}
	h.cfg.notifier.NotifyGrant(x.ctx(), Grant{Company: c, Member: pv.Member, NewUser: pv.UserCreated, GrantedBy: p,
		LoginURL: Link{link}, LinkExpiresAt: pv.LinkExpiresAt})
	return partnerResult[partnerUser]{Result: partnerUserOf(pv.Member)}, nil
}

func (h *Handler) partnerProvision(x *exchange, in *partnerProvision) (partnerResult[partnerProvisioned], error) {
	if err := partnerRole(in.Role); err != nil {
		return partnerResult[partnerProvisioned]{}, err
	}
	p, _, err := h.partnerCompany(x)
	if err != nil {
		return partnerResult[partnerProvisioned]{}, err
	}
	noSwitch := in.AccessSwitch != nil && !*in.AccessSwitch
	pv, err := h.svc.Token.Provision(x.ctx(), p, token.Provision{Email: in.Email, Role: in.Role, NoSwitch: noSwitch})
	if err != nil {
		return partnerResult[partnerProvisioned]{}, err
	}
	link, err := h.loginURL(pv.LoginURL)
	if err != nil {
		return partnerResult[partnerProvisioned]{}, err
	}
	m := pv.Member
	return partnerResult[partnerProvisioned]{Result: partnerProvisioned{ID: m.UserID, Email: m.User.Email,
		Role: m.Role, IsActive: m.Active, LoginURL: link}}, nil
}

// loginURL points a provisioned login link at this handler's login route:
// the token service puts the secret in the "token" query parameter of its
// own URL, and the adapter, which serves the page, owns the link.
func (h *Handler) loginURL(s token.Secret) (string, error) {
	u, err := url.Parse(s.Reveal())
	if err != nil {
		return "", errors.New("httpadapter: the token service's login URL does not parse")
	}
	secret := u.Query().Get("token")
	if secret == "" {
		return "", errors.New("httpadapter: the token service's login URL carries no token parameter")
	}
	return h.cfg.loginBase + LoginPath + "?token=" + url.QueryEscape(secret), nil
}

func (h *Handler) partnerGet(x *exchange, _ *noBody) (partnerResult[partnerUser], error) {
	uid, err := pathID(x, "userId")
	if err != nil {
		return partnerResult[partnerUser]{}, err
	}
	p, _, err := h.partnerCompany(x)
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
	p, _, err := h.partnerCompany(x)
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
	p, _, err := h.partnerCompany(x)
	if err != nil {
		return partnerResult[partnerDeleted]{}, err
	}
	if err := h.svc.Access.RemoveMember(x.ctx(), p, uid); err != nil {
		return partnerResult[partnerDeleted]{}, err
	}
	return partnerResult[partnerDeleted]{}, nil
}
