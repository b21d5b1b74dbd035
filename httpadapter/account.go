package httpadapter

import (
	"github.com/google/uuid"
)

// The management family's routes of the caller's own account: disabling
// and erasing it (access.Service.DisableUser, EraseUser), the user acting
// on themself. Enabling a disabled account again is the host's (the system
// principal, from Go): a disabled user can no longer authenticate to ask.

type mgmtAccountChanged struct {
	UserID uuid.UUID `json:"user_id" doc:"the caller's user"`
}

func (h *Handler) mountAccount() {
	const fam = Management
	add(h, op{method: "POST", path: "/access/account/disable", fam: fam, summary: "Disable your own account",
		description: "The calling user only (an API token gets 404, as for an unknown account; a provisioned session 403). From the next call on, every session, login link and API token of the user stops, " +
			"and no company may add them; the host enables the account again."}, h.mgmtDisableAccount)
	add(h, op{method: "POST", path: "/access/account/erase", fam: fam, summary: "Erase your own account",
		description: "The calling user only. Refused (409 last_owner, naming the companies) while they are the last active OWNER of a company. " +
			"Otherwise the user, their memberships, grants, credentials, tokens, sessions, links and the invitations to their e-mail go, in one step; " +
			"the audit trail keeps its events with the person's e-mail and names replaced by a tombstone."}, h.mgmtEraseAccount)
}

func (h *Handler) mgmtDisableAccount(x *exchange, _ *noBody) (managed[mgmtAccountChanged], error) {
	if err := h.svc.Access.DisableUser(x.ctx(), x.p, x.p.UserID); err != nil {
		return managed[mgmtAccountChanged]{}, err
	}
	return ok(mgmtAccountChanged{UserID: x.p.UserID})
}

func (h *Handler) mgmtEraseAccount(x *exchange, _ *noBody) (managed[mgmtAccountChanged], error) {
	if err := h.svc.Access.EraseUser(x.ctx(), x.p, x.p.UserID); err != nil {
		return managed[mgmtAccountChanged]{}, err
	}
	return ok(mgmtAccountChanged{UserID: x.p.UserID})
}
