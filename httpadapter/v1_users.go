package httpadapter

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
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
	v1Credentials struct {
		Email    string `json:"email" required:"" format:"email"`
		Password string `json:"password" required:"" format:"password"`
	}
	v1LoginBody struct {
		SessionToken string     `json:"session_token" doc:"the new session's bearer token, shown this once"`
		TokenType    string     `json:"token_type" enum:"Bearer"`
		ExpiresAt    time.Time  `json:"expires_at"`
		User         v1User     `json:"user"`
		Company      *v1Company `json:"company" doc:"the company the session acts in; null for a user of no company yet"`
	}
	v1ResetRequest struct {
		Email string `json:"email" required:"" format:"email"`
	}
	v1ResetAccepted struct {
		Message string `json:"message" doc:"the same for every e-mail, with an account or not"`
	}
	v1ResetComplete struct {
		Token       string `json:"token" required:"" doc:"the reset link's secret (its token parameter)"`
		NewPassword string `json:"new_password" required:"" format:"password"`
	}
	v1PasswordChange struct {
		CurrentPassword string `json:"current_password" required:"" format:"password"`
		NewPassword     string `json:"new_password" required:"" format:"password"`
	}
	v1TokenRef struct {
		Token string `json:"token" required:"" doc:"an API or session token"`
	}
	v1Introspection struct {
		Active      bool       `json:"active" doc:"whether the token works now; when false, no other field is present"`
		Kind        string     `json:"kind,omitempty" enum:"api,session"`
		UserID      *uuid.UUID `json:"user_id,omitempty" doc:"a session's user, or the creator of an API token"`
		CompanyID   *uuid.UUID `json:"company_id,omitempty" doc:"an API token's company, or the one a session acts in; absent for a session in no company"`
		TokenID     *uuid.UUID `json:"token_id,omitempty"`
		Permissions []string   `json:"permissions,omitempty" doc:"an API token's own permissions, narrowed to its creator's current rights on every check; absent for a session, which acts with its user's membership"`
		Level       int        `json:"level,omitempty" doc:"an API token's own access level ceiling on resources"`
		ExpiresAt   *time.Time `json:"expires_at,omitempty" doc:"absent for a token that never expires"`
		Exp         int64      `json:"exp,omitempty" doc:"expires_at as RFC 7662's exp: seconds since the epoch"`
	}
)

// resetAccepted is the one answer to every reset request.
var resetAccepted = v1ResetAccepted{Message: "If the e-mail belongs to an account, a password reset link is on its way to it."}

func (h *Handler) mountV1Users() {
	const fam = V1
	if h.cfg.signUp {
		add(h, op{method: "POST", path: "/api/v1/users", fam: fam, status: http.StatusCreated, auth: authNone,
			summary:      "Create a user (public sign-up)",
			description:  "Mounted only with WithPublicSignUp(true): anyone may create an account with a password. It belongs to no company until it creates one or accepts an invitation. Credentials sent along are ignored. A taken e-mail is 409 email_taken.",
			bodyRequired: true}, h.v1CreateUser)
	}
	add(h, op{method: "GET", path: "/api/v1/users", fam: fam, summary: "Show all users, or find a user by e-mail",
		description: "With email: the user with that e-mail if the caller may already see them (one item), else an empty list, the same for an unknown e-mail and an unseen user. Without: the users the caller may see, in keyset pages.",
		query:       append([]param{{name: "email", desc: "find the user with this e-mail"}}, pageParams...)}, h.v1ListUsers)
	add(h, op{method: "GET", path: "/api/v1/users/{user_id}", fam: fam, summary: "Show a user",
		description: "The caller itself, or a user of the caller's company with USER_VIEW there; anyone else is 404, as an unknown ID."}, h.v1GetUser)
	add(h, op{method: "PUT", path: "/api/v1/users/{user_id}", fam: fam, summary: "Update a user's profile",
		description:  "The user themself, any field; a caller with USER_EDIT who outranks the member in its company, the names only (403 otherwise); a user the caller cannot see is 404. Absent fields stay as they are. The e-mail and the avatar are not changed here.",
		bodyRequired: true}, h.v1UpdateUser)
	if h.svc.Token != nil {
		h.mountV1SignIn()
	}
}

func (h *Handler) mountV1SignIn() {
	const fam = V1
	add(h, op{method: "POST", path: "/api/v1/users/login", fam: fam, auth: authNone, summary: "Log in with e-mail and password",
		description:  "Starts a session acting in the user's active company, as a login link does. Wrong credentials are 401 invalid_credentials, the same answer for an unknown e-mail; an account that failed too often is throttled: 429 login_throttled with Retry-After.",
		bodyRequired: true, statuses: []int{http.StatusUnauthorized, http.StatusTooManyRequests}}, h.v1Login)
	add(h, op{method: "POST", path: "/api/v1/users/logout", fam: fam, status: http.StatusNoContent, summary: "Log out",
		description: "Ends the session the request is authenticated with, at once. A request without one (an API token, a host's own principal) is 401 invalid_token."}, h.v1Logout)
	add(h, op{method: "POST", path: "/api/v1/users/password/reset", fam: fam, auth: authNone, status: http.StatusAccepted,
		summary:      "Reset user password: ask for a reset link",
		description:  "Always the same 202 answer, whether or not the e-mail has an account. The link (single use, 30 minutes, replaced by a newer request) travels only through the host's notifier.",
		bodyRequired: true}, h.v1RequestReset)
	add(h, op{method: "PUT", path: "/api/v1/users/password/reset", fam: fam, auth: authNone, status: http.StatusNoContent,
		summary:      "Reset user password: set a new one with the link's token",
		description:  "Sets the password and ends every session of the user. An unknown link is 401 invalid_link; a used, expired or replaced one 410. A refused password changes nothing: the link still works.",
		bodyRequired: true, statuses: []int{http.StatusUnauthorized, http.StatusGone}}, h.v1CompleteReset)
	add(h, op{method: "PUT", path: "/api/v1/users/password", fam: fam, status: http.StatusNoContent, summary: "Change the caller's password",
		description:  "A signed-in user gives the current password (wrong: 422 wrong_password, throttled as logins are: 429) and the new one; every other session of theirs ends. API tokens cannot: 403.",
		bodyRequired: true, statuses: []int{http.StatusTooManyRequests}}, h.v1ChangePassword)
	add(h, op{method: "POST", path: "/api/v1/users/validate_token", fam: fam, auth: authNone, summary: "Validate a token (introspection)",
		description:  "Seed 001's \"Validate JWT\". gatehouse's tokens are opaque and revocable, so this is RFC 7662 token introspection in JSON: whether the API or session token works now and whose it is, never the secret. A token that does not work is 200 {\"active\": false}, whatever the reason.",
		bodyRequired: true}, h.v1Introspect)
}

// v1CreateUser is public sign-up. The host opted in (WithPublicSignUp):
// creating accounts is the system's decision, so the account is created as
// the system creates one, from the fields of a sign-up only.
func (h *Handler) v1CreateUser(x *exchange, in *v1NewUser) (v1UserBody, error) {
	u, err := h.svc.Access.SignUp(x.ctx(), access.NewUser{
		Email: in.Email, Password: in.Password, FirstName: in.FirstName, LastName: in.LastName,
		Profile: access.Profile{Lang: in.Lang, Theme: in.Theme, Currency: in.Currency, Birthdate: in.Birthdate}})
	if err != nil {
		return v1UserBody{}, err
	}
	return v1UserBody{User: v1UserOf(u)}, nil
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

func (h *Handler) v1Login(x *exchange, in *v1Credentials) (v1LoginBody, error) {
	l, err := h.svc.Token.Login(x.ctx(), in.Email, in.Password)
	if err != nil {
		return v1LoginBody{}, err
	}
	out := v1LoginBody{SessionToken: l.Session.Secret.Reveal(), TokenType: "Bearer",
		ExpiresAt: l.Session.Token.ExpiresAt.UTC(), User: v1UserOf(l.User)}
	if l.Company.ID != uuid.Nil {
		out.Company = &v1Company{ID: l.Company.ID, Name: l.Company.Name, Default: true, ParentID: nilIfZero(l.Company.ParentID)}
	}
	return out, nil
}

func (h *Handler) v1Logout(x *exchange, _ *noBody) (noBody, error) {
	return noBody{}, h.svc.Token.LogoutPrincipal(x.ctx(), x.p)
}

func (h *Handler) v1RequestReset(x *exchange, in *v1ResetRequest) (v1ResetAccepted, error) {
	if err := h.svc.Token.RequestPasswordReset(x.ctx(), in.Email); err != nil {
		return v1ResetAccepted{}, err
	}
	return resetAccepted, nil
}

func (h *Handler) v1CompleteReset(x *exchange, in *v1ResetComplete) (noBody, error) {
	if in.Token == "" {
		return noBody{}, access.Invalid("token", "token is required")
	}
	return noBody{}, h.svc.Token.CompletePasswordReset(x.ctx(), in.Token, in.NewPassword)
}

func (h *Handler) v1ChangePassword(x *exchange, in *v1PasswordChange) (noBody, error) {
	return noBody{}, h.svc.Token.ChangePassword(x.ctx(), x.p, in.CurrentPassword, in.NewPassword)
}

func (h *Handler) v1Introspect(x *exchange, in *v1TokenRef) (v1Introspection, error) {
	if in.Token == "" {
		return v1Introspection{}, access.Invalid("token", "token is required")
	}
	ti, err := h.svc.Token.Introspect(x.ctx(), in.Token)
	if err != nil || !ti.Active {
		return v1Introspection{}, err
	}
	out := v1Introspection{Active: true, Kind: v1TokenKind(ti.Kind), UserID: nilIfZero(ti.UserID),
		CompanyID: nilIfZero(ti.CompanyID), TokenID: nilIfZero(ti.TokenID), Permissions: ti.Permissions, Level: ti.Level}
	if !ti.ExpiresAt.IsZero() {
		exp := ti.ExpiresAt.UTC()
		out.ExpiresAt, out.Exp = &exp, exp.Unix()
	}
	return out, nil
}

// v1TokenKind names a token kind as introspection shows it.
func v1TokenKind(k token.Kind) string {
	if k == token.KindSession {
		return "session"
	}
	return "api"
}
