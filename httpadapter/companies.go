package httpadapter

import (
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// The management family's company routes: the caller's company, as every
// route of the family (an API token's own, a session's current one). Seed
// 003 names none of them; they follow its style (GET to read, POST
// /access/company/<verb> to act) and its envelope. Who may do what is
// access's: these only translate.

type (
	mgmtCompanyDetails struct {
		ID          uuid.UUID `json:"id"`
		Name        string    `json:"name"`
		ParentID    uuid.UUID `json:"parent_id,omitzero" doc:"the parent company, for a sub-company"`
		ExternalKey string    `json:"external_key" doc:"the host's key of the company (seed 000's merchant_id); empty when none"`
		Domains     []string  `json:"domains" doc:"the company's domains (seed 000's domain_id), lower case"`
		CreatedAt   time.Time `json:"created_at"`
		UpdatedAt   time.Time `json:"updated_at"`
	}
	mgmtCompanyEdit struct {
		Name        *string   `json:"name" doc:"a new name; absent: unchanged"`
		ExternalKey *string   `json:"external_key" doc:"a new external key, unique across companies and never a UUID; empty clears it; absent: unchanged"`
		Domains     *[]string `json:"domains" doc:"the company's domains, replacing the current ones; [] clears them; absent: unchanged"`
	}
	mgmtCompanyLeft struct {
		CompanyID uuid.UUID `json:"company_id" doc:"the company left"`
		UserID    uuid.UUID `json:"user_id" doc:"the caller's user, no longer a member"`
	}
	mgmtCompanyDeleted struct {
		CompanyID uuid.UUID `json:"company_id" doc:"the company deleted"`
	}
)

func (h *Handler) mountCompanies() {
	const fam = Management
	add(h, op{method: "GET", path: "/access/company", fam: fam, summary: "Show the company",
		description: "Any active member of the caller's company (or an agency acting in it)."}, h.mgmtCompany)
	add(h, op{method: "POST", path: "/access/company/edit", fam: fam, summary: "Change the company's name, external key or domains",
		description: "Needs a membership at ADMIN or above (OWNER or ADMIN; an API token only when it carries its creator's whole role). " +
			"Absent fields stay as they are. An external key that reads as a UUID is refused (400 naming external_key); one or a domain another company has is 409.",
		bodyRequired: true}, h.mgmtCompanyEdit)
	add(h, op{method: "POST", path: "/access/company/leave", fam: fam, summary: "Leave the company",
		description: "The calling user's own membership goes, with the grants they held there. An API token cannot leave (403). " +
			"The last active OWNER cannot (409 last_owner): transfer ownership or delete the company first."}, h.mgmtCompanyLeave)
	add(h, op{method: "POST", path: "/access/company/transfer-ownership", fam: fam, summary: "Make another member the OWNER",
		description: "Only an OWNER, as a user (403 otherwise). user_id must be an active member (404 when not a member, 409 member_inactive when deactivated). " +
			"In one step the member becomes OWNER and the caller ADMIN.",
		bodyRequired: true}, h.mgmtTransferOwnership)
	add(h, op{method: "POST", path: "/access/company/delete", fam: fam, summary: "Delete the company",
		description: "Only an OWNER. Everything that belongs to the company goes with it: memberships, grants, connections, API tokens, invitations. " +
			"Its users stay; a user whose active company it was acts in none. Its ID is unknown (404) from then on."}, h.mgmtCompanyDelete)
}

func mgmtCompanyOf(c access.Company) mgmtCompanyDetails {
	return mgmtCompanyDetails{ID: c.ID, Name: c.Name, ParentID: c.ParentID, ExternalKey: c.ExternalKey,
		Domains: nonNil(c.Domains), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (h *Handler) mgmtCompany(x *exchange, _ *noBody) (managed[mgmtCompanyDetails], error) {
	c, err := h.svc.Access.GetCompany(x.ctx(), x.p, x.p.CompanyID)
	if err != nil {
		return managed[mgmtCompanyDetails]{}, err
	}
	return ok(mgmtCompanyOf(c))
}

func (h *Handler) mgmtCompanyEdit(x *exchange, in *mgmtCompanyEdit) (managed[mgmtCompanyDetails], error) {
	c, err := h.svc.Access.UpdateCompany(x.ctx(), x.p, access.CompanyUpdate{Name: in.Name, ExternalKey: in.ExternalKey,
		Domains: in.Domains})
	if err != nil {
		return managed[mgmtCompanyDetails]{}, err
	}
	return ok(mgmtCompanyOf(c))
}

func (h *Handler) mgmtCompanyLeave(x *exchange, _ *noBody) (managed[mgmtCompanyLeft], error) {
	if err := h.svc.Access.LeaveCompany(x.ctx(), x.p); err != nil {
		return managed[mgmtCompanyLeft]{}, err
	}
	return ok(mgmtCompanyLeft{CompanyID: x.p.CompanyID, UserID: x.p.UserID})
}

func (h *Handler) mgmtTransferOwnership(x *exchange, in *mgmtUserRef) (managed[mgmtUserID], error) {
	uid, err := requiredID("user_id", in.UserID)
	if err != nil {
		return managed[mgmtUserID]{}, err
	}
	if err := h.svc.Access.TransferOwnership(x.ctx(), x.p, uid); err != nil {
		return managed[mgmtUserID]{}, err
	}
	return ok(mgmtUserID{UserID: uid})
}

func (h *Handler) mgmtCompanyDelete(x *exchange, _ *noBody) (managed[mgmtCompanyDeleted], error) {
	if err := h.svc.Access.DeleteCompany(x.ctx(), x.p); err != nil {
		return managed[mgmtCompanyDeleted]{}, err
	}
	return ok(mgmtCompanyDeleted{CompanyID: x.p.CompanyID})
}
