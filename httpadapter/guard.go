package httpadapter

import (
	"log/slog"
	"net/http"

	"github.com/gatehouse-go/gatehouse/access"
)

// Guard is middleware for the host's own routes. It authenticates the
// request the way the adapter's routes do (WithAuthenticator, by default
// an API or session token), requires perm in the caller's company
// (access.Service.Check; "" only authenticates), and calls next with the
// Principal in the request's context (access.PrincipalFrom). Otherwise it
// answers 401 (with WWW-Authenticate) or 403 or 404 (a company the caller
// has no relation to) as JSON, {"error": {"code", "message"}}, as the
// partner and v1 families do:
//
//	mux.Handle("GET /orders", h.Guard("ORDERS_VIEW")(orders))
func (h *Handler) Guard(perm string) func(http.Handler) http.Handler {
	return h.guard(func(r *http.Request, p access.Principal) error {
		if perm == "" {
			return nil
		}
		return h.svc.Access.Check(r.Context(), p, perm)
	})
}

// GuardLevel is Guard requiring at least level min on the resource that
// resource names for the request (access.Service.CheckLevel), e.g. the
// project in the path:
//
//	byPath := func(r *http.Request) access.Resource { return access.Resource{Type: "project", ID: r.PathValue("id")} }
//	mux.Handle("PUT /projects/{id}", h.GuardLevel(byPath, access.LevelAdmin)(update))
func (h *Handler) GuardLevel(resource func(*http.Request) access.Resource, min int) func(http.Handler) http.Handler {
	return h.guard(func(r *http.Request, p access.Principal) error {
		return h.svc.Access.CheckLevel(r.Context(), p, resource(r), min)
	})
}

func (h *Handler) guard(allow func(*http.Request, access.Principal) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := h.authenticate(r, false)
			if err == nil {
				err = allow(r, p)
			}
			if err != nil {
				h.refuse(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(access.WithPrincipal(r.Context(), p)))
		})
	}
}

// refuse answers err for a guarded host route.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(Partner, err)
	if status == http.StatusInternalServerError {
		h.cfg.logger.ErrorContext(r.Context(), "gatehouse http: internal error in a guard",
			slog.String("route", r.Pattern), slog.String("error", err.Error()))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	writeJSON(w, status, &errorBody{Error: describe(err, status)})
}
