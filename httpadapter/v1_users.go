package httpadapter

import (
	"github.com/gatehouse-go/gatehouse/access"
)

// Seed 001's Users group: accounts, their profiles and, with
// Services.Token, signing in with a password. Every route is one call of
// access or token, which decide from the caller; see the package
// documentation's route table and "Users and passwords".

type (
	v1UserBody struct {
		User v1User `json:"user"`
	}
	v1Users struct {
		Users []v1User `json:"users"`
		Meta  v1Meta   `json:"meta"`
	}
	v1NewUser struct {
		Email     string `json:"email" required:"" format:"email"`
		Password  string `json:"password" required:"" format:"password" doc:"the account's password; never echoed"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Lang      string `json:"lang"`
		Theme     string `json:"theme"`
		Currency  string `json:"currency"`
		Birthdate string `json:"birthdate" doc:"YYYY-MM-DD"`
	}
	v1UserUpdate struct {
		FirstName *string `json:"first_name"`
		LastName  *string `json:"last_name"`
		Lang      *string `json:"lang"`
		Theme     *string `json:"theme"`
		Currency  *string `json:"currency"`
		Birthdate *string `json:"birthdate" doc:"YYYY-MM-DD, or empty to clear it"`
	}
)

func (h *Handler) mountV1Users() {
	const fam = V1
	add(h, op{method: "GET", path: "/api/v1/users", fam: fam, summary: "Show all users, or find a user by e-mail",
		description: "With email: the user with that e-mail if the caller may already see them (one item), else an empty list, the same for an unknown e-mail and an unseen user. Without: the users the caller may see, in keyset pages.",
		query:       append([]param{{name: "email", desc: "find the user with this e-mail"}}, pageParams...)}, h.v1ListUsers)
	add(h, op{method: "GET", path: "/api/v1/users/{user_id}", fam: fam, summary: "Show a user",
		description: "The caller itself, or a user of the caller's company with USER_VIEW there; anyone else is 404, as an unknown ID."}, h.v1GetUser)
	add(h, op{method: "PUT", path: "/api/v1/users/{user_id}", fam: fam, summary: "Update a user's profile",
		description:  "The user themself; anyone else is 404. Absent fields stay as they are. The e-mail and the avatar are not changed here.",
		bodyRequired: true}, h.v1UpdateUser)
}

func (h *Handler) v1ListUsers(x *exchange, _ *noBody) (v1Users, error) {
	out := v1Users{Users: []v1User{}}
	if email := x.r.URL.Query().Get("email"); email != "" {
		u, err := h.svc.Access.GetUserByEmail(x.ctx(), x.p, email)
		switch {
		case access.CodeOf(err) == access.CodeUserNotFound:
			// A filter that matches no one the caller may see.
			return out, nil
		case err != nil:
			return v1Users{}, err
		}
		out.Users = append(out.Users, v1UserOf(u))
		return out, nil
	}
	pr, err := h.pageRequest(x)
	if err != nil {
		return v1Users{}, err
	}
	page, err := h.svc.Access.ListUsers(x.ctx(), x.p, pr)
	if err != nil {
		return v1Users{}, err
	}
	for _, u := range page.Items {
		out.Users = append(out.Users, v1UserOf(u))
	}
	out.Meta.NextCursor = page.Next
	return out, nil
}

func (h *Handler) v1GetUser(x *exchange, _ *noBody) (v1UserBody, error) {
	uid, err := pathID(x, "user_id")
	if err != nil {
		return v1UserBody{}, err
	}
	u, err := h.svc.Access.GetUser(x.ctx(), x.p, uid)
	if err != nil {
		return v1UserBody{}, err
	}
	return v1UserBody{User: v1UserOf(u)}, nil
}

func (h *Handler) v1UpdateUser(x *exchange, in *v1UserUpdate) (v1UserBody, error) {
	uid, err := pathID(x, "user_id")
	if err != nil {
		return v1UserBody{}, err
	}
	u, err := h.svc.Access.UpdateUser(x.ctx(), x.p, uid, access.UserUpdate{FirstName: in.FirstName, LastName: in.LastName,
		Lang: in.Lang, Theme: in.Theme, Currency: in.Currency, Birthdate: in.Birthdate})
	if err != nil {
		return v1UserBody{}, err
	}
	return v1UserBody{User: v1UserOf(u)}, nil
}
