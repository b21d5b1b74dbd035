package access_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

// cheap are argon2id parameters for tests that hash many passwords; the
// production minimum is tested on its own.
var cheap = access.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPasswordEncoding(t *testing.T) {
	h, err := access.HashPassword("correct horse battery staple", access.MinPasswordParams)
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`), h)

	p, salt, key, err := access.DecodeHash(h)
	require.NoError(t, err)
	assert.Equal(t, access.MinPasswordParams, p, "the parameters travel with the hash")
	assert.Len(t, salt, 16)
	assert.Len(t, key, 32)

	ok, outdated, err := access.VerifyPassword(h, "correct horse battery staple", access.MinPasswordParams)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.False(t, outdated)
	ok, _, err = access.VerifyPassword(h, "correct horse battery stapl", access.MinPasswordParams)
	require.NoError(t, err)
	assert.False(t, ok)

	again, err := access.HashPassword("correct horse battery staple", access.MinPasswordParams)
	require.NoError(t, err)
	assert.NotEqual(t, h, again, "every hash has its own salt")

	stronger := access.MinPasswordParams
	stronger.Memory *= 2
	_, outdated, err = access.VerifyPassword(h, "correct horse battery staple", stronger)
	require.NoError(t, err)
	assert.True(t, outdated, "a hash with less memory than asked is outdated")
}

func TestPasswordNotTruncated(t *testing.T) {
	long := strings.Repeat("a", 255) + "b"
	h, err := access.HashPassword(long, cheap)
	require.NoError(t, err)
	for _, other := range []string{strings.Repeat("a", 255) + "c", strings.Repeat("a", 72), strings.Repeat("a", 255)} {
		ok, _, err := access.VerifyPassword(h, other, cheap)
		require.NoError(t, err)
		assert.False(t, ok, "a password differing after byte 72 or 255 must not match")
	}
}

func TestDecodeHashRefusesMalformed(t *testing.T) {
	good, err := access.HashPassword("password1", cheap)
	require.NoError(t, err)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":      "",
		"argon2i":    strings.Replace(good, "argon2id", "argon2i", 1),
		"version 16": strings.Replace(good, "v=19", "v=16", 1),
		"no params":  strings.Join([]string{"", parts[1], parts[2], "", parts[4], parts[5]}, "$"),
		"zero time":  strings.Replace(good, "t=1", "t=0", 1),
		"huge mem":   strings.Replace(good, "m=64", "m=99999999", 1),
		"bad salt":   strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"short key":  strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"extra part": good + "$x",
	} {
		_, _, _, err := access.DecodeHash(h)
		assert.Error(t, err, name)
		_, _, err = access.VerifyPassword(h, "password1", cheap)
		assert.Error(t, err, name)
		assert.NotContains(t, fmt.Sprint(err), parts[5], "%s: the error quotes the hash", name)
	}
}

func TestPasswordPolicy(t *testing.T) {
	ctx := context.Background()
	sys := access.SystemPrincipal()
	n := 0
	create := func(svc *access.Service, pw string) error {
		n++
		_, err := svc.CreateUser(ctx, sys, access.NewUser{Email: fmt.Sprintf("p%d@example.com", n), Password: pw})
		return err
	}
	svc := access.NewService(memstore.New(), access.WithTestPasswordParams(cheap))
	for _, tc := range []struct {
		name, pw string
		ok       bool
	}{
		{"7 characters", "1234567", false},
		{"8 characters", "12345678", true},
		{"7 code points in 14 bytes", "ééééééé", false},
		{"8 code points", "éééééééé", true},
		{"8 code points of 4 bytes", strings.Repeat("🔑", 8), true},
		{"spaces only", "        ", true},
		{"no composition rules", "aaaaaaaa", true},
		{"control characters are allowed", "tab\there\x01\x7f", true},
		{"256 bytes", strings.Repeat("x", 256), true},
		{"257 bytes", strings.Repeat("x", 257), false},
		{"64 four-byte code points", strings.Repeat("🔑", 64), true},
		{"65 four-byte code points", strings.Repeat("🔑", 65), false},
		{"NUL", "password\x00", false},
		{"invalid UTF-8", "password\xff", false},
	} {
		err := create(svc, tc.pw)
		if tc.ok {
			assert.NoError(t, err, tc.name)
			continue
		}
		assert.ErrorIs(t, err, access.ErrInvalid, tc.name)
		assert.Equal(t, "password", access.FieldOf(err), tc.name)
		assert.NotContains(t, err.Error(), tc.pw, tc.name)
	}

	t.Run("configured minimum", func(t *testing.T) {
		svc := access.NewService(memstore.New(), access.WithTestPasswordParams(cheap),
			access.WithPasswordPolicy(access.PasswordPolicy{MinLength: 12}))
		assert.ErrorIs(t, create(svc, "12345678901"), access.ErrInvalid)
		assert.NoError(t, create(svc, "123456789012"))
		low := access.NewService(memstore.New(), access.WithTestPasswordParams(cheap),
			access.WithPasswordPolicy(access.PasswordPolicy{MinLength: 4}))
		assert.ErrorIs(t, create(low, "1234567"), access.ErrInvalid, "NIST's 8 is the floor")
	})

	t.Run("the host's check", func(t *testing.T) {
		st := memstore.New()
		var asked []string
		svc := access.NewService(st, access.WithTestPasswordParams(cheap),
			access.WithPasswordPolicy(access.PasswordPolicy{Reject: func(_ context.Context, pw string) error {
				asked = append(asked, pw)
				switch pw {
				case "password123":
					return &access.Error{Kind: access.ErrInvalid, Code: access.CodeInvalid, Message: "this password appears in a breach"}
				case "iloveyou1":
					return access.ErrInvalid
				case "offline!!":
					return errors.New("breach service unreachable")
				}
				return nil
			}}))
		err := create(svc, "password123")
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, "password", access.FieldOf(err))
		assert.Contains(t, err.Error(), "appears in a breach")
		err = create(svc, "iloveyou1")
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, "password", access.FieldOf(err))
		err = create(svc, "offline!!")
		require.Error(t, err)
		assert.NotErrorIs(t, err, access.ErrInvalid, "a check that could not be made is not the user's fault")
		assert.NoError(t, create(svc, "fine-password"))
		assert.NotContains(t, asked, "short", "too short is refused before the hook")
		_ = create(svc, "short")
		assert.NotContains(t, asked, "short")
		us, err := svc.ListUsers(ctx, sys, access.PageRequest{})
		require.NoError(t, err)
		assert.Len(t, us.Items, 1, "refused passwords created no user")
	})
}

// TestPasswordRedacted: no fmt verb, log handler or JSON encoding of a
// type holding a password (or a hash) shows it.
func TestPasswordRedacted(t *testing.T) {
	const secret = "hunter2-very-secret"
	values := []any{
		access.NewUser{Email: "a@example.com", FirstName: "Ada", Password: secret},
		access.PasswordChange{Current: secret, New: secret + "-new"},
		access.Credentials{Hash: "$argon2id$v=19$m=64,t=1,p=1$" + secret + "$" + secret, Failures: 2},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T %v"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, secret, "%s of %T", verb, v)
		}
		assert.Contains(t, fmt.Sprintf("%+v", v), "[redacted]", "%T", v)
		j, err := json.Marshal(v)
		require.NoError(t, err)
		assert.NotContains(t, string(j), secret, "JSON of %T", v)
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("input", "v", v)
			assert.NotContains(t, buf.String(), secret, "slog of %T", v)
		}
	}
	assert.Contains(t, fmt.Sprintf("%+v", values[0]), "a@example.com", "the rest of a NewUser still prints")
	assert.NotContains(t, fmt.Sprintf("%+v %v", &access.NewUser{Password: secret}, &access.PasswordChange{New: secret}), secret)
	assert.NotContains(t, fmt.Sprintf("%+v", struct{ In access.NewUser }{access.NewUser{Password: secret}}), secret,
		"nested in another value")
}
