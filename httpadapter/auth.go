package httpadapter

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// Authenticator turns a request's credentials into the Principal the
// services check. It returns the zero Principal and a nil error when the
// request carries no credentials at all, and an error wrapping
// access.ErrUnauthenticated for credentials that do not verify; any other
// error is a failure of the host (500, logged). It must never return
// access.SystemPrincipal: the adapter refuses it.
type Authenticator interface {
	Authenticate(r *http.Request) (access.Principal, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (access.Principal, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *http.Request) (access.Principal, error) { return f(r) }

// TokenAuthenticator is the default Authenticator: an API or session token
// of tok in "Authorization: Bearer <token>" or "Api-Token: <token>" (seed
// 002), verified with token.Service.Verify. A principal a host middleware
// put in the request context (access.WithPrincipal) wins over both. Both
// headers with different values, or another Authorization scheme, are
// refused.
func TokenAuthenticator(tok *token.Service) Authenticator {
	return AuthenticatorFunc(func(r *http.Request) (access.Principal, error) {
		if p, ok := access.PrincipalFrom(r.Context()); ok {
			return p, nil
		}
		secret, err := Credentials(r)
		if err != nil || secret == "" {
			return access.Principal{}, err
		}
		return tok.Verify(r.Context(), secret)
	})
}

var (
	errBadScheme = &access.Error{Kind: access.ErrUnauthenticated, Code: access.CodeUnsupportedScheme,
		Message: "the Authorization header must use the Bearer scheme"}
	errTwoTokens = &access.Error{Kind: access.ErrUnauthenticated, Code: access.CodeAmbiguousCredentials,
		Message: "send the token in either Authorization or Api-Token, not two different ones"}
	errNoCredentials = &access.Error{Kind: access.ErrUnauthenticated, Code: access.CodeUnauthenticated,
		Message: "authentication is required: send a token in Authorization: Bearer or Api-Token"}
	errSystemPrincipal = errors.New("httpadapter: the authenticator returned the system principal, which is never handed to a client")
)

// Credentials returns the token a request carries in "Authorization:
// Bearer" or "Api-Token", "" when it carries none. It is for hosts that
// write their own Authenticator around the default headers.
func Credentials(r *http.Request) (string, error) {
	authz := r.Header.Get("Authorization")
	api := strings.TrimSpace(r.Header.Get("Api-Token"))
	var bearer string
	if authz != "" {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(authz), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", errBadScheme
		}
		bearer = strings.TrimSpace(rest)
	}
	switch {
	case bearer != "" && api != "" && bearer != api:
		return "", errTwoTokens
	case bearer != "":
		return bearer, nil
	}
	return api, nil
}

// authenticate runs the authenticator; without credentials it is
// errNoCredentials unless optional.
func (h *Handler) authenticate(r *http.Request, optional bool) (access.Principal, error) {
	p, err := h.cfg.auth.Authenticate(r)
	switch {
	case err != nil:
		return access.Principal{}, err
	case p.Kind == access.PrincipalSystem:
		return access.Principal{}, errSystemPrincipal
	case p.IsZero() && !optional:
		return access.Principal{}, errNoCredentials
	}
	return p, nil
}
