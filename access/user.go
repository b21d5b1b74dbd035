package access

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
)

// UserStatus says whether a user may sign in at all. It is independent of
// the user's memberships, each of which can be deactivated on its own.
type UserStatus string

// User statuses.
const (
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
)

// User is a person. E-mail is unique across the store and compared
// case-insensitively; it is stored normalised (see NormalizeEmail).
type User struct {
	ID        uuid.UUID
	Email     string
	FirstName string
	LastName  string
	Status    UserStatus
	Profile   Profile
	// ActiveCompanyID is the company the user acts in by default
	// (uuid.Nil when none was chosen yet).
	ActiveCompanyID uuid.UUID
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// UserSummary names a user where a record refers to one (the creator of
// a membership): who it is, not the whole profile.
type UserSummary struct {
	ID        uuid.UUID
	Email     string
	FirstName string
	LastName  string
}

// Summary returns the user's identifying fields.
func (u User) Summary() UserSummary {
	return UserSummary{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}
}

// FullName joins first and last name.
func (u User) FullName() string {
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// Profile holds the optional profile fields of seed 001.
type Profile struct {
	Lang      string
	Theme     string
	Currency  string
	Birthdate string // ISO 8601 date, YYYY-MM-DD, or empty
	AvatarURL string
}

// NewUser is the input of Service.CreateUser. It prints its password as
// "[redacted]" (fmt, log/slog, JSON).
type NewUser struct {
	Email     string
	FirstName string
	LastName  string
	Profile   Profile
	// Password, if set, is the user's first password, checked by the
	// Service's PasswordPolicy (errors name the field "password") and
	// stored only as its argon2id hash. Empty: the user signs in by other
	// means (login links) until a password is set.
	Password string
}

// Format prints the new user with the password redacted, for every verb.
func (u NewUser) Format(f fmt.State, verb rune) {
	type plain NewUser // without the methods
	p := plain(u)
	p.Password = redact(u.Password)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue keeps the password out of log/slog output.
func (u NewUser) LogValue() slog.Value {
	return slog.GroupValue(slog.String("email", u.Email), slog.String("first_name", u.FirstName),
		slog.String("last_name", u.LastName), slog.String("password", redact(u.Password)))
}

// MarshalJSON keeps the password out of JSON.
func (u NewUser) MarshalJSON() ([]byte, error) {
	type plain NewUser
	p := plain(u)
	p.Password = redact(u.Password)
	return json.Marshal(p)
}

// UserUpdate changes a user's profile. Nil fields are left as they are.
type UserUpdate struct {
	FirstName *string
	LastName  *string
	Lang      *string
	Theme     *string
	Currency  *string
	Birthdate *string
	AvatarURL *string
}

// NormalizeEmail trims and lower-cases an address and checks that it is a
// bare addr-spec ("a@b.example", no display name). The error names the
// field "email"; an address with a control character is refused as given
// (CheckText), not trimmed into shape.
func NormalizeEmail(email string) (string, error) {
	if err := CheckText("email", email); err != nil {
		return "", err
	}
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", Invalid("email", "e-mail is required")
	}
	if len(e) > 254 {
		return "", Invalid("email", "e-mail is longer than 254 characters")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", Invalid("email", "%q is not a valid e-mail address", email)
	}
	return e, nil
}

func validateName(field, v string) error {
	if err := CheckText(field, v); err != nil {
		return err
	}
	if len(v) > 200 {
		return Invalid(field, "%s is longer than 200 characters", field)
	}
	return nil
}

// validate checks the fields the update sets, as validate checks a new
// user's, so a bad value is refused before the store is asked anything.
func (up UserUpdate) validate() error {
	val := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	if err := validateName("first_name", val(up.FirstName)); err != nil {
		return err
	}
	if err := validateName("last_name", val(up.LastName)); err != nil {
		return err
	}
	return Profile{Lang: val(up.Lang), Theme: val(up.Theme), Currency: val(up.Currency),
		Birthdate: val(up.Birthdate), AvatarURL: val(up.AvatarURL)}.validate()
}

func (p Profile) validate() error {
	for _, f := range []struct{ name, v string }{{"lang", p.Lang}, {"theme", p.Theme}, {"currency", p.Currency},
		{"birthdate", p.Birthdate}, {"avatar_url", p.AvatarURL}} {
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	if p.Birthdate != "" {
		if _, err := time.Parse(time.DateOnly, p.Birthdate); err != nil {
			return Invalid("birthdate", "birthdate %q is not a YYYY-MM-DD date", p.Birthdate)
		}
	}
	for _, f := range []struct{ name, v string }{{"lang", p.Lang}, {"theme", p.Theme}, {"currency", p.Currency}} {
		if len(f.v) > 32 {
			return Invalid(f.name, "%s is longer than 32 characters", f.name)
		}
	}
	if len(p.AvatarURL) > 2048 {
		return Invalid("avatar_url", "avatar_url is longer than 2048 characters")
	}
	return nil
}
