package access

import (
	"errors"
	"fmt"
	"strings"
)

// The error kinds. Every error returned by gatehouse wraps exactly one of
// them, so callers (and the HTTP adapter's status table) decide with
// errors.Is and never with message text.
var (
	// ErrNotFound: the thing does not exist, or it belongs to another
	// company and the caller may not know that it exists.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change collides with stored state (a duplicate, a
	// state transition that is no longer possible, the last owner).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is malformed; nothing was changed.
	ErrInvalid = errors.New("invalid input")
	// ErrUnauthenticated: no caller, or credentials that do not verify.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden: a known caller without the right to do this.
	ErrForbidden = errors.New("forbidden")
)

// Code is a stable, machine-readable error code. Every code gatehouse
// returns is one of the constants below: this block is the whole
// vocabulary, shared by the services, both stores and the HTTP adapter
// (which maps codes to statuses by value).
type Code string

// Codes of the kinds themselves.
const (
	CodeInternal        Code = "internal"        // not a gatehouse error
	CodeInvalid         Code = "invalid_input"   // malformed input; Error.Field names it
	CodeForbidden       Code = "forbidden"       // the caller may not do this
	CodeUnauthenticated Code = "unauthenticated" // no caller, or no valid credentials
	CodeNotFound        Code = "not_found"       // a bare ErrNotFound (a host's error); gatehouse's own name the thing
	CodeConflict        Code = "conflict"        // a bare ErrConflict (a host's error); gatehouse's own name the rule
)

// Not found, one code per kind of thing.
const (
	CodeUserNotFound       Code = "user_not_found"
	CodeCompanyNotFound    Code = "company_not_found"
	CodeMemberNotFound     Code = "member_not_found"
	CodeMembershipNotFound Code = "membership_not_found"
	CodeGrantNotFound      Code = "grant_not_found"
	CodeConnectionNotFound Code = "connection_not_found"
	CodeInvitationNotFound Code = "invitation_not_found"
	CodeTokenNotFound      Code = "token_not_found"
	CodeLoginLinkNotFound  Code = "login_link_not_found"
	CodeSessionNotFound    Code = "session_not_found" // not a session of the user (token.Service.RevokeSession)
	CodeUserAccessNotFound Code = "user_access_not_found"
	CodeAccessNotFound     Code = "access_not_found"
	CodeRoleNotFound       Code = "role_not_found" // a company role (CompanyRole) of the company

	// A store's answer: the user has no password hash and no throttle.
	CodeCredentialsNotFound Code = "credentials_not_found"
)

// Conflicts with stored state. Both stores return the same code for the
// same broken rule; store/storetest asserts it.
const (
	CodeIDTaken          Code = "id_taken"           // a row with this ID exists
	CodeEmailTaken       Code = "email_taken"        // another user has the e-mail
	CodeExternalKeyTaken Code = "external_key_taken" // another company has the key
	CodeDomainTaken      Code = "domain_taken"       // another company has a domain
	CodeAlreadyMember    Code = "already_member"     // the user has a membership there
	CodePrimaryTaken     Code = "primary_taken"      // the user has a primary membership
	CodeGrantExists      Code = "grant_exists"       // the subject holds a grant on the resource
	CodeAlreadyConnected Code = "already_connected"  // the companies are connected
	CodeTokenTaken       Code = "token_taken"        // a secret's digest is taken
	CodeLastOwner        Code = "last_owner"         // the company would lose its last OWNER
	CodeMemberInactive   Code = "member_inactive"    // the membership is deactivated
	CodeUnknownRole      Code = "unknown_role"       // a stored role no longer exists
	CodeTokenRevoked     Code = "token_revoked"
	CodeTokenExpired     Code = "token_expired"
	CodeTokenReset       Code = "token_reset" // the token's secret was reset meanwhile (token.Service.Reset)
	CodeLinkUsed         Code = "link_used"
	CodeLinkExpired      Code = "link_expired"
	CodeLinkRevoked      Code = "link_revoked"
	CodeOutsideTx        Code = "outside_transaction" // a store call inside RunInTx without its context
	CodeConsentRefused   Code = "consent_refused"     // Connect: the other company's consent does not hold
	CodeConsentRequired  Code = "consent_required"    // the user is one the caller cannot see: they join by invitation
	CodeUserDisabled     Code = "user_disabled"       // the user is disabled: they join no company until enabled
	CodeRoleTaken        Code = "role_taken"          // the company has a role with this code
	CodeRoleInUse        Code = "role_in_use"         // members hold the role being deleted

	// A transaction kept colliding with concurrent ones (serialization
	// failures, deadlocks): the store ran it again, then gave up.
	CodeTxConflict Code = "transaction_conflict"
)

// Invitations and connections (package invite).
const (
	CodeInvitationPending         Code = "invitation_pending"
	CodeInvitationNotPending      Code = "invitation_not_pending"
	CodeInvitationAccepted        Code = "invitation_accepted"
	CodeInvitationRejected        Code = "invitation_rejected"
	CodeInvitationRevoked         Code = "invitation_revoked"
	CodeInvitationExpired         Code = "invitation_expired"
	CodeInvitationEmailMismatch   Code = "invitation_email_mismatch"
	CodeInvitationCompanyMismatch Code = "invitation_company_mismatch"
	CodeInviterNotAuthorized      Code = "inviter_not_authorized"
	CodeResendTooSoon             Code = "resend_too_soon"
	CodeRateLimited               Code = "rate_limited" // too many invitations sent in the window (invite.RateLimitedError)
	CodeSelfConnection            Code = "self_connection"
)

// Credentials (package token and the HTTP adapter's authentication).
const (
	CodeInvalidToken          Code = "invalid_token"
	CodeMalformedToken        Code = "malformed_token"
	CodeInvalidLink           Code = "invalid_link"
	CodeUserHasOtherCompanies Code = "user_has_other_companies"
	CodeUnsupportedScheme     Code = "unsupported_scheme"
	CodeAmbiguousCredentials  Code = "ambiguous_credentials"
	CodeExpiryNotFuture       Code = "expiry_not_future" // an expiry asked for is not in the future (ErrInvalid, field expires_at)

	// Passwords (Service.Authenticate and Service.SetPassword).
	CodeInvalidCredentials Code = "invalid_credentials" // unknown e-mail, wrong password, disabled user: one answer
	CodeLoginThrottled     Code = "login_throttled"     // too many failures: *ThrottledError says when to retry
	CodeWrongPassword      Code = "wrong_password"      // SetPassword: the current password does not match
)

// Request bodies (the HTTP adapter).
const (
	CodeBodyTooLarge         Code = "body_too_large"
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	CodeUnreadableBody       Code = "unreadable_body"
	CodeBodyRequired         Code = "body_required"
	CodeInvalidJSON          Code = "invalid_json"
	CodeTrailingData         Code = "trailing_data"
	CodeUnknownField         Code = "unknown_field"
)

// Routes (the HTTP adapter): a path under a route family that no route
// serves, and a method the path's routes do not take.
const (
	CodeRouteNotFound    Code = "route_not_found"
	CodeMethodNotAllowed Code = "method_not_allowed"
)

// ErrLastOwner is returned when a change would leave a company that has
// members without an active OWNER. It is a conflict.
var ErrLastOwner = &Error{Kind: ErrConflict, Code: CodeLastOwner, Message: "the company must keep at least one active OWNER"}

// ErrConsentRefused is returned by Connect when the consenting principal
// (an accepted invitation's inviter) may not, or no longer, connect its
// company. It is forbidden.
var ErrConsentRefused = &Error{Kind: ErrForbidden, Code: CodeConsentRefused,
	Message: "the other company's consent to the connection does not hold"}

// ErrConsentRequired is returned by ProvisionMember (and AddMember with
// CreateUser) for an e-mail whose user exists but is one the principal
// cannot see (Service.SeesUser): they join only by their own consent, an
// accepted invitation. It is forbidden, and tells the caller that the
// address has an account: it is the documented price of just-in-time
// provisioning, which creates the users it does not find. AddMember
// without CreateUser answers ErrNotFound instead, as for an unknown
// e-mail.
var ErrConsentRequired = &Error{Kind: ErrForbidden, Code: CodeConsentRequired,
	Message: "the e-mail's user belongs to companies you cannot see: invite them, they join by accepting"}

// ErrOutsideTx is returned by a store method called, while a transaction
// opened by RunInTx is running, with the very context RunInTx was given
// instead of the one it handed to fn: such a call would run outside the
// transaction (and, in memory, wait for it forever).
var ErrOutsideTx = &Error{Kind: ErrConflict, Code: CodeOutsideTx,
	Message: "a store method was called inside RunInTx with the context of the caller instead of the transaction's"}

// ErrTxConflict is returned by a store whose transaction kept colliding
// with concurrent ones (a serialization failure or a deadlock) after it ran
// it again as often as it allows: nothing of it was committed, and trying
// again later may succeed. It is a conflict.
var ErrTxConflict = &Error{Kind: ErrConflict, Code: CodeTxConflict,
	Message: "the change collided with concurrent changes (a serialization failure or a deadlock) and was retried without success; nothing was changed, try again"}

// Error is a gatehouse error: a kind, a stable machine-readable code, the
// field it concerns (for invalid input) and a message fit to show a client.
// Messages never contain secrets.
type Error struct {
	Kind    error  // one of ErrNotFound, ErrConflict, ErrInvalid, ErrUnauthenticated, ErrForbidden
	Code    Code   // one of the Code constants
	Field   string // the offending input field, if any
	Message string // human readable, safe to return to a client
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Kind, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

// Unwrap lets errors.Is(err, ErrConflict) and friends see the kind.
func (e *Error) Unwrap() error { return e.Kind }

// Is makes errors.Is(err, ErrLastOwner) match any *Error with the same
// kind and code, so specific errors can be compared by identity even when
// they were built anew.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Code == e.Code && t.Code != ""
}

// Invalid returns an ErrInvalid error (CodeInvalid) naming field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: ErrInvalid, Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ErrNotFound error with one of the *_not_found codes;
// its message names the thing ("user not found").
func NotFound(code Code) *Error {
	thing := strings.ReplaceAll(strings.TrimSuffix(string(code), "_not_found"), "_", " ")
	return &Error{Kind: ErrNotFound, Code: code, Message: thing + " not found"}
}

// Conflict returns an ErrConflict error with a code and message.
func Conflict(code Code, format string, args ...any) *Error {
	return &Error{Kind: ErrConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Forbidden returns an ErrForbidden error saying what was denied.
func Forbidden(format string, args ...any) *Error {
	return &Error{Kind: ErrForbidden, Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

// Unauthenticated returns an ErrUnauthenticated error.
func Unauthenticated(format string, args ...any) *Error {
	return &Error{Kind: ErrUnauthenticated, Code: CodeUnauthenticated, Message: fmt.Sprintf(format, args...)}
}

// FieldOf returns the input field an error concerns, or "".
func FieldOf(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Field
	}
	return ""
}

// CodeOf returns the stable code of a gatehouse error, or CodeInternal.
func CodeOf(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok && e.Code != "" {
		return e.Code
	}
	return CodeInternal
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
