package httpadapter

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// Seed 002 (account accesses). {account_id} is the company; the caller acts
// in it (an API token only in its own). One account access is one grant:
// a specifier holding a level on one resource, so "resources" has one item.

type (
	accountAccess struct {
		ID            uuid.UUID      `json:"id" doc:"the account access (grant) id"`
		SpecifierType string         `json:"specifier_type" enum:"User,Invite,ApiToken"`
		Specifier     specifier      `json:"specifier" doc:"a User (id, email, name, two_factor_authentication_enabled), an Invite (id, email) or an ApiToken (id, name, author_name, token, expires_at)"`
		Resources     []accountRes   `json:"resources"`
		Permissions   access.Derived `json:"permissions" doc:"derived from the access level"`
	}
	// specifier is the union of seed 002's three specifier shapes; each
	// type fills its own fields.
	specifier struct {
		ID         uuid.UUID `json:"id"`
		Email      string    `json:"email,omitempty" format:"email"`
		Name       string    `json:"name,omitempty"`
		TwoFactor  *bool     `json:"two_factor_authentication_enabled,omitempty" doc:"User: always false, gatehouse has no second factor"`
		AuthorName string    `json:"author_name,omitempty" doc:"ApiToken: its creator"`
		Token      string    `json:"token,omitempty" doc:"ApiToken: a non-secret hint of the token, never the secret"`
		ExpiresAt  time.Time `json:"expires_at,omitzero"`
	}
	accountRes struct {
		ResourceID   string `json:"resource_id" doc:"the host's resource id; empty for the account itself"`
		ResourceType string `json:"resource_type" doc:"account, billing, project, inbox, sending_domain, email_campaign_permission_scope or a host type"`
		AccessLevel  int    `json:"access_level" enum:"1000,100,50,10,1"`
	}
	accountDeleted struct {
		ID uuid.UUID `json:"id" doc:"the removed account access"`
	}
)

func (h *Handler) mountAccounts() {
	const fam = Accounts
	add(h, op{method: "GET", path: "/api/accounts/{account_id}/account_accesses", fam: fam,
		summary:     "List account accesses",
		description: "User, Invite and ApiToken specifiers with their resources and derived permissions. Needs ADMIN or above on the account. With project_ids, inbox_ids or domain_ids, only the accesses to those resources. Pages: limit and cursor; the next page is in the Link header (rel=\"next\").",
		query: append([]param{
			{name: "project_ids", desc: "project ids (repeat, project_ids[], or comma-separated)", array: true},
			{name: "inbox_ids", desc: "inbox ids", array: true},
			{name: "domain_ids", desc: "sending domain ids", array: true},
		}, pageParams...), link: true}, h.accountsList)
	add(h, op{method: "DELETE", path: "/api/accounts/{account_id}/account_accesses/{account_access_id}", fam: fam,
		summary:     "Remove an account access",
		description: "User: removes the permissions. Invite or ApiToken: removes the specifier too (withdraws a pending invitation, revokes the token; an invitation no longer pending stays as it is). Needs ADMIN or above on the resource."}, h.accountsDelete)
	h.mountAccountTokens()
}

// resourceFilters maps the query's id lists to resources.
var resourceFilters = []struct{ param, typ string }{
	{"project_ids", "project"}, {"inbox_ids", "inbox"}, {"domain_ids", "sending_domain"},
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

func (h *Handler) accountsList(x *exchange, _ *noBody) ([]accountAccess, error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return nil, err
	}
	var f access.GrantFilter
	q := x.r.URL.Query()
	for _, rf := range resourceFilters {
		for _, rid := range queryList(q, rf.param) {
			f.Resources = append(f.Resources, access.Resource{Type: rf.typ, ID: rid})
		}
	}
	f.Page = pr
	p, err := h.accountCompany(x)
	if err != nil {
		return nil, err
	}
	ctx := x.ctx()
	page, err := h.svc.Access.ListGrants(ctx, p, f)
	if err != nil {
		return nil, err
	}
	sp := specifiers{h: h, p: p, users: map[uuid.UUID]*access.User{}}
	out := make([]accountAccess, len(page.Items))
	for i, g := range page.Items {
		s, err := sp.of(ctx, g.Subject)
		if err != nil {
			return nil, err
		}
		out[i] = accountAccess{ID: g.ID, SpecifierType: string(g.Subject.Type), Specifier: s,
			Resources:   []accountRes{{ResourceID: g.Resource.ID, ResourceType: g.Resource.Type, AccessLevel: g.Level}},
			Permissions: access.DerivePermissions(g.Level)}
	}
	if page.Next != "" {
		next := *x.r.URL
		nq := next.Query()
		nq.Set("cursor", page.Next)
		next.RawQuery = nq.Encode()
		x.w.Header().Set("Link", "<"+next.RequestURI()+`>; rel="next"`)
	}
	return out, nil
}

// specifiers looks up the holders of grants, each user once.
type specifiers struct {
	h     *Handler
	p     access.Principal
	users map[uuid.UUID]*access.User
}

// user returns a user visible to the caller, nil when gone.
func (s *specifiers) user(ctx context.Context, uid uuid.UUID) (*access.User, error) {
	if u, ok := s.users[uid]; ok {
		return u, nil
	}
	u, err := s.h.svc.Access.GetUser(ctx, s.p, uid)
	if errors.Is(err, access.ErrNotFound) {
		s.users[uid] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.users[uid] = &u
	return &u, nil
}

func (s *specifiers) of(ctx context.Context, sub access.Subject) (specifier, error) {
	out := specifier{ID: sub.ID}
	switch sub.Type {
	case access.SubjectUser:
		u, err := s.user(ctx, sub.ID)
		if err != nil || u == nil {
			return out, err
		}
		no := false
		out.Email, out.Name, out.TwoFactor = u.Email, u.FullName(), &no
		if out.Name == "" {
			out.Name = u.Email
		}
	case access.SubjectInvite:
		inv, err := s.h.svc.Invite.Get(ctx, s.p, sub.ID)
		if errors.Is(err, access.ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out.Email = inv.Email
	case access.SubjectToken:
		if s.h.svc.Token == nil {
			return out, nil
		}
		t, err := s.h.svc.Token.Get(ctx, s.p, sub.ID)
		if errors.Is(err, access.ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out.Name, out.Token, out.ExpiresAt = t.Name, t.Hint, t.ExpiresAt
		if u, err := s.user(ctx, t.UserID); err != nil {
			return out, err
		} else if u != nil {
			out.AuthorName = u.FullName()
			if out.AuthorName == "" {
				out.AuthorName = u.Email
			}
		}
	}
	return out, nil
}

// accountsDelete removes an account access: access.Service.RemoveAccess
// revokes the grant and withdraws an Invite or ApiToken specifier with it
// (seed 002).
func (h *Handler) accountsDelete(x *exchange, _ *noBody) (accountDeleted, error) {
	gid, err := pathID(x, "account_access_id")
	if err != nil {
		return accountDeleted{}, err
	}
	p, err := h.accountCompany(x)
	if err != nil {
		return accountDeleted{}, err
	}
	if _, err := h.svc.Access.RemoveAccess(x.ctx(), p, gid); err != nil {
		return accountDeleted{}, err
	}
	return accountDeleted{ID: gid}, nil
}
