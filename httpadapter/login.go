package httpadapter

import (
	"html/template"
	"net/http"
	"reflect"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
)

// The login link's page. The form has no action: a browser posts it to the
// page's own URL, token included, so the token is never written into the
// page.
var loginPageHTML = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1.5rem}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Form}}<form method="post"><button type="submit">Sign in</button></form>{{end}}
</body></html>
`))

// loginHeaders are set on both the page and the redemption: no referrer
// leaks the token to another site, nothing is cached, nothing frames the
// page.
func loginHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

// loginPage answers the confirmation page. It reads nothing and changes
// nothing: mail scanners and link previews follow links.
func (h *Handler) loginPage(x *exchange) error {
	loginHeaders(x.w)
	x.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	data := struct {
		Title, Text string
		Form        bool
	}{"Sign in", "Press the button to sign in. The link works once.", true}
	status := http.StatusOK
	if x.r.URL.Query().Get("token") == "" {
		status = http.StatusBadRequest
		data.Title, data.Text, data.Form = "Incomplete link", "This login link is incomplete: copy the whole link from the message.", false
	}
	x.w.WriteHeader(status)
	return loginPageHTML.Execute(x.w, data)
}

// loginRedeem redeems the link once and answers the session.
func (h *Handler) loginRedeem(x *exchange) error {
	loginHeaders(x.w)
	secret := x.r.URL.Query().Get("token")
	if secret == "" {
		return access.Invalid("token", "the login link's token is missing")
	}
	l, err := h.svc.Token.RedeemLoginLinkSession(x.ctx(), secret)
	if err != nil {
		return err
	}
	s := l.Session
	writeJSON(x.w, http.StatusOK, &loginResult{SessionToken: s.Secret.Reveal(), UserID: l.User.ID,
		CompanyID: l.Company.ID, ExpiresAt: s.Token.ExpiresAt.UTC().Format(time.RFC3339)})
	return nil
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }
