package invite

import (
	"fmt"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
)

// Specific errors; each wraps one of access's kinds, so errors.Is(err,
// access.ErrForbidden) and friends hold, and compares by code with
// errors.Is(err, ErrEmailMismatch).
var (
	// ErrEmailMismatch: a signed-in user whose e-mail is not the invited
	// one presented the token. The invitation stays pending.
	ErrEmailMismatch = &access.Error{Kind: access.ErrForbidden, Code: access.CodeInvitationEmailMismatch,
		Message: "the invitation is for another e-mail address"}
	// ErrCompanyMismatch: the user accepting a company invitation does not
	// act for the invited company. The invitation stays pending.
	ErrCompanyMismatch = &access.Error{Kind: access.ErrForbidden, Code: access.CodeInvitationCompanyMismatch,
		Message: "the invitation is for another company"}
	// ErrInviterNotAuthorized: at accept time the inviter may no longer
	// grant what the invitation offers (removed, deactivated, demoted).
	ErrInviterNotAuthorized = &access.Error{Kind: access.ErrConflict, Code: access.CodeInviterNotAuthorized,
		Message: "the inviter may no longer grant this invitation"}
	// ErrInvitationPending: the store already holds a pending invitation
	// of the company, kind and e-mail (a store-level conflict the Service
	// resolves by refreshing that invitation).
	ErrInvitationPending = &access.Error{Kind: access.ErrConflict, Code: access.CodeInvitationPending,
		Message: "a pending invitation exists for this e-mail"}
	// ErrNotPending: a conditional change found the invitation no longer
	// pending (a store-level conflict; the Service reports a *StateError).
	ErrNotPending = &access.Error{Kind: access.ErrConflict, Code: access.CodeInvitationNotPending,
		Message: "the invitation is no longer pending"}
	// ErrSelfConnection: a company cannot connect to itself.
	ErrSelfConnection = &access.Error{Kind: access.ErrInvalid, Code: access.CodeSelfConnection, Field: "company",
		Message: "a company cannot connect to itself"}
)

// StateError refuses a transition out of a state that is not pending: the
// invitation is already accepted, rejected, revoked or expired. It wraps
// access.ErrConflict with code "invitation_<status>".
type StateError struct {
	Status Status
}

func (e *StateError) Error() string { return "conflict: the invitation is " + string(e.Status) }

// Unwrap exposes the kind and code.
func (e *StateError) Unwrap() error {
	return access.Conflict(stateCodes[e.Status], "the invitation is %s", e.Status)
}

// stateCodes are the codes of the states a transition cannot leave.
var stateCodes = map[Status]access.Code{
	StatusAccepted: access.CodeInvitationAccepted,
	StatusRejected: access.CodeInvitationRejected,
	StatusRevoked:  access.CodeInvitationRevoked,
	StatusExpired:  access.CodeInvitationExpired,
	StatusPending:  access.CodeInvitationPending,
}

// ResendTooSoonError refuses a resend within the cooldown. It wraps
// access.ErrConflict with code "resend_too_soon".
type ResendTooSoonError struct {
	NextAllowedAt time.Time
}

func (e *ResendTooSoonError) Error() string {
	return fmt.Sprintf("conflict: the invitation can be resent from %s", e.NextAllowedAt.UTC().Format(time.RFC3339))
}

// Unwrap exposes the kind and code.
func (e *ResendTooSoonError) Unwrap() error {
	return access.Conflict(access.CodeResendTooSoon, "the invitation can be resent from %s", e.NextAllowedAt.UTC().Format(time.RFC3339))
}

// RateLimitedError refuses an invitation (created, refreshed or resent)
// beyond the hourly limits (WithHourlyLimits): the company, or the inviter
// in it, sent as many as allowed within the last SendWindow. RetryAfter is
// how long until one more is allowed. It wraps access.ErrConflict with code
// "rate_limited" (a conflict with the stored send log; the HTTP adapter
// answers 429 with Retry-After).
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("conflict: too many invitations sent; retry after %s", e.RetryAfter)
}

// Unwrap exposes the kind and code.
func (e *RateLimitedError) Unwrap() error {
	return access.Conflict(access.CodeRateLimited, "too many invitations were sent in the last hour; retry in %d seconds",
		e.RetrySeconds())
}

// RetrySeconds is RetryAfter in whole seconds, rounded up (at least 1), as
// a Retry-After header states it.
func (e *RateLimitedError) RetrySeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}
