package httpadapter

import (
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// Seed 002's API tokens of an account, as Mailtrap's SDKs call them
// (apiTokens.getList, create, get, reset, delete). A token's "resources"
// are its level on the account (its Level, the account item) and its
// resource grants; the rules are token.Service's.

type (
	apiToken struct {
		ID          uuid.UUID         `json:"id"`
		Name        string            `json:"name"`
		Last4       string            `json:"last_4_digits" doc:"the last four characters of the secret"`
		CreatedBy   string            `json:"created_by" doc:"the e-mail of the member whose current rights cap the token (also for a token another token created)"`
		ExpiresAt   *time.Time        `json:"expires_at" doc:"when it stops working; null: never"`
		Resources   []apiTokenResItem `json:"resources" doc:"the account item (resource_type account, the token's level there) first, then each resource grant"`
		Permissions []string          `json:"permissions" doc:"gatehouse: the token's own permission codes; TOKENS_MANAGE lets it manage API tokens"`
	}
	apiTokenWithSecret struct {
		apiToken
		Token string `json:"token" doc:"the secret, shown in this answer only: store it now"`
	}
	apiTokenResItem struct {
		ResourceType string `json:"resource_type" doc:"account, project, inbox, sending_domain, billing or a host's type"`
		ResourceID   string `json:"resource_id" doc:"the resource's id; for the account, the account's id"`
		AccessLevel  int    `json:"access_level" enum:"1000,100,50,10,1"`
	}
	apiTokenNew struct {
		Name      string            `json:"name" required:""`
		ExpiresAt *time.Time        `json:"expires_at" doc:"an RFC 3339 date-time in the future (a past one: 422); absent or null: never expires"`
		Resources []apiTokenResItem `json:"resources" doc:"the token's rights: an account item (resource_id the account's id) gives its level on the account, any other item a resource grant; never above the creator's. Absent: the creator's current rights. []: none"`
		// Permissions is gatehouse's: the rights of seed 003's model,
		// TOKENS_MANAGE among them.
		Permissions []string `json:"permissions" doc:"gatehouse: permission codes of the token's own, e.g. TOKENS_MANAGE (it may then manage tokens) or USER_VIEW"`
	}
	apiTokenReset struct {
		ExpiresAt *time.Time `json:"expires_at" doc:"the new secret's expiry, in the future (a past one: 422); absent or null: never expires"`
	}
)

func (h *Handler) mountAccountTokens() {
	const fam = Accounts
	const base = "/api/accounts/{account_id}/api_tokens"
	invalid := []int{http.StatusUnprocessableEntity}
	add(h, op{method: "GET", path: base, fam: fam, summary: "List the API tokens of the account",
		description: "Without secrets. Needs USER_VIEW (an API token: USER_VIEW, or TOKENS_MANAGE with its creator holding USER_VIEW). Pages: limit and cursor; the next page is in the Link header (rel=\"next\").",
		query:       pageParams}, h.apiTokensList)
	add(h, op{method: "POST", path: base, fam: fam, summary: "Create an API token of the account",
		description:  "Needs USER_ADD (an API token: TOKENS_MANAGE, its creator holding USER_ADD; what it creates never holds more than itself, never outlives it and stops when it stops). The token never holds more than its creator; with no resources and no permissions it gets its creator's current rights. The secret is in this answer only.",
		bodyRequired: true, statuses: invalid}, h.apiTokensCreate)
	add(h, op{method: "GET", path: base + "/{api_token_id}", fam: fam, summary: "Get an API token of the account",
		description: "Without its secret. Needs what listing needs."}, h.apiTokensGet)
	add(h, op{method: "DELETE", path: base + "/{api_token_id}", fam: fam, status: http.StatusNoContent,
		summary:     "Delete (revoke) an API token",
		description: "Effective on the next request, also for the tokens it created. Its creator, the token itself and the tokens that made it may; anyone else needs USER_DELETE above its level."}, h.apiTokensDelete)
	add(h, op{method: "POST", path: base + "/{api_token_id}/reset", fam: fam, summary: "Reset an API token's secret",
		description: "The old secret stops at once; the new one, with the same rights, grants and id, is in this answer only. Needs what creating and deleting it need. A revoked or expired token is not reset (409).",
		statuses:    invalid}, h.apiTokensReset)
}

func (h *Handler) apiTokensList(x *exchange, _ *noBody) ([]apiToken, error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return nil, err
	}
	p, err := h.accountCompany(x)
	if err != nil {
		return nil, err
	}
	page, err := h.svc.Token.DescribeList(x.ctx(), p, pr)
	if err != nil {
		return nil, err
	}
	out := make([]apiToken, len(page.Items))
	for i, d := range page.Items {
		out[i] = apiTokenOf(d)
	}
	if page.Next != "" {
		next := *x.r.URL
		q := next.Query()
		q.Set("cursor", page.Next)
		next.RawQuery = q.Encode()
		x.w.Header().Set("Link", "<"+next.RequestURI()+`>; rel="next"`)
	}
	return out, nil
}

func (h *Handler) apiTokensCreate(x *exchange, in *apiTokenNew) (apiTokenWithSecret, error) {
	p, err := h.accountCompany(x)
	if err != nil {
		return apiTokenWithSecret{}, err
	}
	nt := token.NewToken{Name: in.Name, Permissions: in.Permissions, Bare: in.Resources != nil && len(in.Permissions) == 0}
	if in.ExpiresAt != nil {
		nt.ExpiresAt = *in.ExpiresAt
	}
	account := false
	for _, r := range in.Resources {
		if r.ResourceType != access.ResourceAccount {
			nt.Grants = append(nt.Grants, token.ResourceGrant{Resource: access.Resource{Type: r.ResourceType, ID: r.ResourceID}, Level: r.AccessLevel})
			continue
		}
		if account {
			return apiTokenWithSecret{}, access.Invalid("resources", "at most one account item")
		}
		if r.ResourceID != p.CompanyID.String() {
			return apiTokenWithSecret{}, access.Invalid("resource_id", "the account item's resource_id must be the account's id")
		}
		account, nt.Level = true, r.AccessLevel
	}
	c, err := h.svc.Token.Create(x.ctx(), p, nt)
	if err != nil {
		return apiTokenWithSecret{}, err
	}
	return apiTokenWithSecret{apiToken: apiTokenOf(token.Described{Token: c.Token, Grants: c.Grants, Creator: c.Creator}),
		Token: c.Secret.Reveal()}, nil
}

func (h *Handler) apiTokensGet(x *exchange, _ *noBody) (apiToken, error) {
	id, err := pathID(x, "api_token_id")
	if err != nil {
		return apiToken{}, err
	}
	p, err := h.accountCompany(x)
	if err != nil {
		return apiToken{}, err
	}
	d, err := h.svc.Token.Describe(x.ctx(), p, id)
	if err != nil {
		return apiToken{}, err
	}
	return apiTokenOf(d), nil
}

func (h *Handler) apiTokensDelete(x *exchange, _ *noBody) (noBody, error) {
	id, err := pathID(x, "api_token_id")
	if err != nil {
		return noBody{}, err
	}
	p, err := h.accountCompany(x)
	if err != nil {
		return noBody{}, err
	}
	_, err = h.svc.Token.Revoke(x.ctx(), p, id)
	return noBody{}, err
}

func (h *Handler) apiTokensReset(x *exchange, in *apiTokenReset) (apiTokenWithSecret, error) {
	id, err := pathID(x, "api_token_id")
	if err != nil {
		return apiTokenWithSecret{}, err
	}
	p, err := h.accountCompany(x)
	if err != nil {
		return apiTokenWithSecret{}, err
	}
	var exp time.Time
	if in.ExpiresAt != nil {
		exp = *in.ExpiresAt
	}
	c, err := h.svc.Token.Reset(x.ctx(), p, id, exp)
	if err != nil {
		return apiTokenWithSecret{}, err
	}
	return apiTokenWithSecret{apiToken: apiTokenOf(token.Described{Token: c.Token, Grants: c.Grants, Creator: c.Creator}),
		Token: c.Secret.Reveal()}, nil
}

// apiTokenOf is a token as seed 002's SDKs read it.
func apiTokenOf(d token.Described) apiToken {
	t := d.Token
	out := apiToken{ID: t.ID, Name: t.Name, Last4: t.LastFour(), CreatedBy: d.Creator.Email,
		Resources: []apiTokenResItem{}, Permissions: slices.Clip(append([]string{}, t.Permissions...))}
	if !t.ExpiresAt.IsZero() {
		e := t.ExpiresAt
		out.ExpiresAt = &e
	}
	if t.Level > 0 {
		out.Resources = append(out.Resources, apiTokenResItem{ResourceType: access.ResourceAccount, ResourceID: t.CompanyID.String(), AccessLevel: t.Level})
	}
	for _, g := range d.Grants {
		out.Resources = append(out.Resources, apiTokenResItem{ResourceType: g.Resource.Type, ResourceID: g.Resource.ID, AccessLevel: g.Level})
	}
	return out
}
