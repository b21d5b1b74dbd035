package access

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with argon2id and stored in the PHC string format,
// which carries the parameters and the salt with the hash:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<hash, base64>
//
// (standard base64 without padding, as the reference implementation
// writes it). A stored hash is verified with the parameters it names, so
// the Service's parameters can be raised at any time: a hash made with
// weaker ones is replaced at its user's next successful sign-in.
//
// A password is a secret: no error, log line, audit event or fmt output of
// gatehouse holds one. The types that carry one (NewUser, PasswordChange)
// print it as "[redacted]".

// PasswordParams are the argon2id parameters of new hashes.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // iterations
	Threads uint8  // lanes
	SaltLen uint32 // bytes of salt
	KeyLen  uint32 // bytes of hash
}

// MinPasswordParams is OWASP's minimum for argon2id (Password Storage
// Cheat Sheet): 19 MiB of memory, 2 iterations, 1 lane, with a 16-byte
// salt and a 32-byte hash. It is also the default. WithPasswordParams
// never goes below it.
var MinPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// atLeast returns p with every parameter raised to at least min's.
func (p PasswordParams) atLeast(min PasswordParams) PasswordParams {
	p.Memory = max(p.Memory, min.Memory)
	p.Time = max(p.Time, min.Time)
	p.Threads = max(p.Threads, min.Threads)
	p.SaltLen = max(p.SaltLen, min.SaltLen)
	p.KeyLen = max(p.KeyLen, min.KeyLen)
	return p
}

// Password length limits (NIST SP 800-63B): at least DefaultMinPasswordLength
// characters (Unicode code points), at most MaxPasswordBytes bytes. No
// composition rules.
const (
	DefaultMinPasswordLength = 8
	MaxPasswordBytes         = 256
)

// PasswordPolicy decides which new passwords are accepted. Every Unicode
// character is allowed (control characters too: CheckText's rule is for
// stored text, not secrets), but not invalid UTF-8 or NUL.
type PasswordPolicy struct {
	// MinLength is the least number of characters (code points). Zero, or
	// anything below DefaultMinPasswordLength, means
	// DefaultMinPasswordLength.
	MinLength int
	// Reject, if set, is asked about every new password that passed the
	// length rules (a breached-password check). An error wrapping
	// ErrInvalid refuses the password: the caller gets ErrInvalid naming
	// the password's field, with the *Error's message if it is one (it
	// must not hold the password). Any other error (the check could not
	// be made) is returned, wrapped, and nothing is changed.
	Reject func(ctx context.Context, password string) error
}

// passwordVersion is the argon2 version gatehouse writes and reads.
const passwordVersion = argon2.Version // 0x13 = 19

// Bounds on the parameters a stored hash may name: it is trusted, but a
// corrupt row must not make a verification allocate gigabytes.
const (
	maxStoredMemory = 4 * 1024 * 1024 // KiB: 4 GiB
	maxStoredTime   = 1 << 10
	maxStoredKeyLen = 1 << 10
)

var b64 = base64.RawStdEncoding

// hashPassword returns the encoded argon2id hash of password with a fresh
// salt from crypto/rand.
func hashPassword(password string, p PasswordParams) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("access: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodeHash(p, salt, key), nil
}

func encodeHash(p PasswordParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", passwordVersion, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errBadHash: a stored hash gatehouse cannot read. Its message names no
// part of the hash.
var errBadHash = errors.New("access: a stored password hash is not an argon2id hash in PHC format")

// decodeHash parses an encoded hash into its parameters, salt and key.
// The returned parameters' SaltLen and KeyLen are those of salt and key.
func decodeHash(encoded string) (PasswordParams, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(passwordVersion) {
		return PasswordParams{}, nil, nil, errBadHash
	}
	var p PasswordParams
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return PasswordParams{}, nil, nil, errBadHash
	}
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return PasswordParams{}, nil, nil, errBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return PasswordParams{}, nil, nil, errBadHash
		}
		switch name {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return PasswordParams{}, nil, nil, errBadHash
			}
			p.Threads = uint8(n)
		}
	}
	salt, err := b64.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return PasswordParams{}, nil, nil, errBadHash
	}
	key, err := b64.Strict().DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > maxStoredKeyLen {
		return PasswordParams{}, nil, nil, errBadHash
	}
	if p.Memory > maxStoredMemory || p.Time > maxStoredTime || p.Memory < 8*uint32(p.Threads) {
		return PasswordParams{}, nil, nil, errBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// verifyPassword reports whether password matches the encoded hash, by a
// constant-time comparison of the whole derived key, and whether the hash
// was made with parameters weaker than want (so it is to be replaced).
func verifyPassword(encoded, password string, want PasswordParams) (ok, outdated bool, err error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	ok = subtle.ConstantTimeCompare(got, key) == 1
	outdated = p.Memory < want.Memory || p.Time < want.Time || p.Threads < want.Threads ||
		p.SaltLen < want.SaltLen || p.KeyLen < want.KeyLen
	return ok, outdated, nil
}

// check applies the policy to a new password; the error names
// field and never holds the password.
func (pol PasswordPolicy) check(ctx context.Context, field, password string) error {
	if !utf8.ValidString(password) {
		return Invalid(field, "the password is not valid UTF-8")
	}
	if strings.IndexByte(password, 0) >= 0 {
		return Invalid(field, "the password contains a NUL character")
	}
	if len(password) > MaxPasswordBytes {
		return Invalid(field, "the password is longer than %d bytes", MaxPasswordBytes)
	}
	minLen := max(pol.MinLength, DefaultMinPasswordLength)
	if utf8.RuneCountInString(password) < minLen {
		return Invalid(field, "the password is shorter than %d characters", minLen)
	}
	if pol.Reject == nil {
		return nil
	}
	if err := pol.Reject(ctx, password); err != nil {
		if !errors.Is(err, ErrInvalid) {
			return fmt.Errorf("access: the password check failed: %w", err)
		}
		msg := "the password is not allowed: choose another"
		if e, ok := errors.AsType[*Error](err); ok && e.Message != "" {
			msg = e.Message
		}
		return &Error{Kind: ErrInvalid, Code: CodeInvalid, Field: field, Message: msg}
	}
	return nil
}

// redacted stands for a secret in fmt and log output.
const redacted = "[redacted]"

func redact(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// PasswordChange is the input of Service.SetPassword. It prints its
// passwords as "[redacted]".
type PasswordChange struct {
	// Current is the user's password, required when the user changes a
	// password they have; the system leaves it empty.
	Current string
	// New is the new password, checked by the Service's PasswordPolicy.
	New string
}

// Format prints the change with its passwords redacted, for every verb.
func (c PasswordChange) Format(f fmt.State, verb rune) {
	type plain PasswordChange // without the methods
	fmt.Fprintf(f, fmt.FormatString(f, verb), plain{Current: redact(c.Current), New: redact(c.New)})
}

// LogValue keeps the passwords out of log/slog output.
func (c PasswordChange) LogValue() slog.Value {
	return slog.GroupValue(slog.String("current", redact(c.Current)), slog.String("new", redact(c.New)))
}

// MarshalJSON keeps the passwords out of JSON.
func (c PasswordChange) MarshalJSON() ([]byte, error) {
	type plain PasswordChange
	return json.Marshal(plain{Current: redact(c.Current), New: redact(c.New)})
}

// Credentials are a user's password hash and the state of their sign-in
// throttle, kept by the store apart from the user (no read of users
// returns them). A user who never had a password and never failed to sign
// in has none.
type Credentials struct {
	UserID uuid.UUID
	// Hash is the encoded argon2id hash; "" for a user without a password
	// whose failed attempts are being counted.
	Hash string
	// Failures counts the failed sign-ins since the last successful one
	// (or the last password change); LastFailureAt is the latest (zero if
	// none).
	Failures      int
	LastFailureAt time.Time
	UpdatedAt     time.Time
}

// Format prints the credentials with the hash redacted: a hash is not the
// password, but it is what an offline guesser needs.
func (c Credentials) Format(f fmt.State, verb rune) {
	type plain Credentials
	p := plain(c)
	p.Hash = redact(c.Hash)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue keeps the hash out of log/slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user_id", c.UserID.String()), slog.String("hash", redact(c.Hash)),
		slog.Int("failures", c.Failures), slog.Time("last_failure_at", c.LastFailureAt), slog.Time("updated_at", c.UpdatedAt))
}

// MarshalJSON keeps the hash out of JSON.
func (c Credentials) MarshalJSON() ([]byte, error) {
	type plain Credentials
	p := plain(c)
	p.Hash = redact(c.Hash)
	return json.Marshal(p)
}

var (
	_ fmt.Formatter  = PasswordChange{}
	_ slog.LogValuer = PasswordChange{}
	_ fmt.Formatter  = NewUser{}
	_ slog.LogValuer = NewUser{}
	_ fmt.Formatter  = Credentials{}
	_ slog.LogValuer = Credentials{}
)
