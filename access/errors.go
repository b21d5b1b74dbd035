package access

import (
	"errors"
	"fmt"
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

// ErrLastOwner is returned when a change would leave a company that has
// members without an active OWNER. It is a conflict.
var ErrLastOwner = &Error{Kind: ErrConflict, Code: "last_owner", Message: "the company must keep at least one active OWNER"}

// Error is a gatehouse error: a kind, a stable machine-readable code, the
// field it concerns (for invalid input) and a message fit to show a client.
// Messages never contain secrets.
type Error struct {
	Kind    error  // one of ErrNotFound, ErrConflict, ErrInvalid, ErrUnauthenticated, ErrForbidden
	Code    string // stable snake_case code, e.g. "email_taken", "last_owner"
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

// Invalid returns an ErrInvalid error naming field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: ErrInvalid, Code: "invalid_" + field, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ErrNotFound error for the named entity.
func NotFound(entity string) *Error {
	return &Error{Kind: ErrNotFound, Code: entity + "_not_found", Message: entity + " not found"}
}

// Conflict returns an ErrConflict error with a code and message.
func Conflict(code, format string, args ...any) *Error {
	return &Error{Kind: ErrConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Forbidden returns an ErrForbidden error saying what was denied.
func Forbidden(format string, args ...any) *Error {
	return &Error{Kind: ErrForbidden, Code: "forbidden", Message: fmt.Sprintf(format, args...)}
}

// Unauthenticated returns an ErrUnauthenticated error.
func Unauthenticated(format string, args ...any) *Error {
	return &Error{Kind: ErrUnauthenticated, Code: "unauthenticated", Message: fmt.Sprintf(format, args...)}
}

// FieldOf returns the input field an error concerns, or "".
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// CodeOf returns the stable code of a gatehouse error, or "internal".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return "internal"
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
