package access_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/access"
)

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"", true},
		{"Acme GmbH", true},
		{"Ünïcødé 東京 ☃ 🚀", true},
		{"\uFFFD", true}, // the replacement character written out is text
		{"a\u00a0b", true},
		{"a\x00b", false},
		{"\x01", false},
		{"a\tb", false},
		{"acme\n", false},
		{"\r", false},
		{"\x1f", false},
		{"\x7f", false},
		{"a\u0085b", false}, // NEL, a C1 control
		{"\u009f", false},
		{"\xff", false},
		{"a\xc3", false},        // truncated sequence
		{"\xed\xa0\x80", false}, // an encoded surrogate
		{"\xc0\x80", false},     // overlong NUL
	} {
		err := access.CheckText("name", tc.in)
		if tc.ok {
			assert.NoError(t, err, "%q", tc.in)
			continue
		}
		if assert.ErrorIs(t, err, access.ErrInvalid, "%q", tc.in) {
			assert.Equal(t, "name", access.FieldOf(err), "%q", tc.in)
			assert.NotContains(t, err.Error(), tc.in, "the value is not echoed")
		}
	}
}
