package httpadapter

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
)

// httpError is an error the adapter itself raises about the request (size,
// media type, syntax), with its status.
type httpError struct {
	status int
	err    *access.Error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func badRequest(code access.Code, field, msg string) error {
	return &httpError{http.StatusBadRequest, &access.Error{Kind: access.ErrInvalid, Code: code, Field: field, Message: msg}}
}

var (
	errTooLarge error = &httpError{http.StatusRequestEntityTooLarge, &access.Error{Kind: access.ErrInvalid,
		Code: access.CodeBodyTooLarge, Message: "the request body is too large"}}
	errMediaType error = &httpError{http.StatusUnsupportedMediaType, &access.Error{Kind: access.ErrInvalid,
		Code: access.CodeUnsupportedMediaType, Message: "the request body must be application/json"}}
	errInternal = errors.New("internal error")
)

// goneCodes are the conflicts that mean "this link is gone for good".
var goneCodes = map[access.Code]bool{access.CodeLinkUsed: true, access.CodeLinkExpired: true, access.CodeLinkRevoked: true}

// kinds is the status table: the one place that maps an error kind to a
// status, and the code an error of that kind shows when it carries none of
// its own (a host Authenticator's fmt.Errorf("%w", access.ErrUnauthenticated)).
// Only the v1 family answers 422 for invalid input, as seed 001 documents.
var kinds = []struct {
	kind   error
	status int
	code   access.Code
}{
	{access.ErrInvalid, http.StatusBadRequest, access.CodeInvalid},
	{access.ErrUnauthenticated, http.StatusUnauthorized, access.CodeUnauthenticated},
	{access.ErrForbidden, http.StatusForbidden, access.CodeForbidden},
	{access.ErrNotFound, http.StatusNotFound, ""},
	{access.ErrConflict, http.StatusConflict, ""},
}

// familyCodes are the codes a family answers with a status of its own:
// seed 002's SDKs (Mailtrap's api_tokens) expect 422 for an expiry in the
// past, while the family's other invalid input stays 400.
var familyCodes = map[Family]map[access.Code]int{
	Accounts: {access.CodeExpiryNotFuture: http.StatusUnprocessableEntity},
}

// statusOf is the status of err in family f: the adapter's own status for
// its request errors, 410 for the gone codes, else the kind's.
func statusOf(f Family, err error) int {
	if he, ok := errors.AsType[*httpError](err); ok {
		return he.status
	}
	if _, ok := errors.AsType[*access.ThrottledError](err); ok {
		// Unauthenticated by kind, but the credentials were never
		// verified: the answer is "wait", with Retry-After.
		return http.StatusTooManyRequests
	}
	if goneCodes[access.CodeOf(err)] {
		return http.StatusGone
	}
	if errors.Is(err, access.ErrConflict) && access.CodeOf(err) == access.CodeRateLimited {
		// Too many invitations sent (invite.RateLimitedError): "wait",
		// with Retry-After.
		return http.StatusTooManyRequests
	}
	if st, ok := familyCodes[f][access.CodeOf(err)]; ok {
		return st
	}
	for _, k := range kinds {
		if errors.Is(err, k.kind) {
			if k.kind == access.ErrInvalid && f == V1 {
				return http.StatusUnprocessableEntity
			}
			return k.status
		}
	}
	return http.StatusInternalServerError
}

// kindCode is the code of the kind err wraps, for an error without a code.
func kindCode(err error) access.Code {
	for _, k := range kinds {
		if errors.Is(err, k.kind) {
			return k.code
		}
	}
	return ""
}

// problem is what an error body says, whatever the family's envelope.
type problem struct {
	Code    access.Code `json:"code" doc:"stable machine-readable code, e.g. last_owner"`
	Message string      `json:"message" doc:"human readable, never a secret"`
	Field   string      `json:"field,omitempty" doc:"the offending input field"`
	// Candidates are the companies a switch may choose from (an ambiguous
	// or unknown name).
	Candidates []string `json:"candidates,omitempty" doc:"the company names to choose from (switch-company)"`
	// NextAllowedAt is when a resend becomes possible.
	NextAllowedAt *time.Time `json:"next_allowed_at,omitempty" doc:"when the invitation may be resent"`
	// RetryAfter is a throttled sign-in's wait, as in Retry-After.
	RetryAfter int `json:"retry_after,omitempty" doc:"throttled (429): seconds to wait, as the Retry-After header says"`
}

func describe(err error, status int) problem {
	if status == http.StatusInternalServerError {
		return problem{Code: access.CodeInternal, Message: "internal error"}
	}
	var pr problem
	if e, ok := errors.AsType[*access.Error](err); ok {
		pr = problem{Code: e.Code, Message: e.Message, Field: e.Field}
	}
	if amb, ok := errors.AsType[*access.AmbiguousError](err); ok {
		pr.Candidates = amb.Candidates
		if len(pr.Candidates) == 0 {
			pr.Candidates = []string{}
		}
	}
	if soon, ok := errors.AsType[*invite.ResendTooSoonError](err); ok {
		t := soon.NextAllowedAt.UTC()
		pr.NextAllowedAt = &t
	}
	if th, ok := errors.AsType[*access.ThrottledError](err); ok {
		pr.RetryAfter = th.RetryAfterSeconds()
	}
	if rl, ok := errors.AsType[*invite.RateLimitedError](err); ok {
		pr.RetryAfter = rl.RetrySeconds()
	}
	if pr.Code == "" {
		pr.Code = kindCode(err)
	}
	if pr.Code == "" {
		// No code exists yet for a bare not found or conflict; no gatehouse
		// error is one (each carries its code).
		pr.Code = access.Code(http.StatusText(status))
	}
	if pr.Message == "" {
		pr.Message = http.StatusText(status)
	}
	return pr
}

// The error envelopes of the families.
type (
	// errorBody is the partner and v1 families' error: {"error": {...}}.
	errorBody struct {
		Error problem `json:"error"`
	}
	// accountsError is seed 002's {"error": "..."}, with a code.
	accountsError struct {
		Error string      `json:"error" doc:"error message"`
		Code  access.Code `json:"code" doc:"stable machine-readable code"`
		Field string      `json:"field,omitempty" doc:"the offending input field"`
	}
	// accountsDenied is seed 002's 403 {"errors": "..."}, with a code.
	accountsDenied struct {
		Errors string      `json:"errors" doc:"error message"`
		Code   access.Code `json:"code" doc:"stable machine-readable code"`
	}
	// managedError is seed 003's envelope for an error.
	managedError struct {
		Status  string  `json:"status" enum:"error"`
		Message string  `json:"message"`
		Data    problem `json:"data"`
	}
)

// errorType is the body type an error of status takes in family f, for the
// OpenAPI document.
func errorType(f Family, status int) any {
	switch f {
	case Accounts:
		if status == http.StatusForbidden {
			return accountsDenied{}
		}
		return accountsError{}
	case Management:
		return managedError{}
	}
	return errorBody{}
}

// fail answers err in x's family. A 500 says only "internal error"; its
// cause goes to the host's logger, with the route pattern, never the URL.
func (h *Handler) fail(x *exchange, err error) {
	status := statusOf(x.o.fam, err)
	if status == http.StatusInternalServerError {
		h.cfg.logger.ErrorContext(x.r.Context(), "gatehouse http: internal error",
			slog.String("route", x.o.method+" "+x.o.path), slog.String("error", err.Error()))
	}
	if status == http.StatusUnauthorized {
		x.w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	pr := describe(err, status)
	if pr.RetryAfter > 0 {
		x.w.Header().Set("Retry-After", strconv.Itoa(pr.RetryAfter))
	}
	switch x.o.fam {
	case Accounts:
		if status == http.StatusForbidden {
			writeJSON(x.w, status, &accountsDenied{Errors: pr.Message, Code: pr.Code})
			return
		}
		writeJSON(x.w, status, &accountsError{Error: pr.Message, Code: pr.Code, Field: pr.Field})
	case Management:
		writeJSON(x.w, status, &managedError{Status: "error", Message: pr.Message, Data: pr})
	default:
		writeJSON(x.w, status, &errorBody{Error: pr})
	}
}
