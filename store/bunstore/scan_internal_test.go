package bunstore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTextArray(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`{}`, nil},
		{`{USER_VIEW}`, []string{"USER_VIEW"}},
		{`{USER_ADD,USER_VIEW}`, []string{"USER_ADD", "USER_VIEW"}},
		{`{"",x}`, []string{"", "x"}},
		{`{"a,b","c d","say \"hi\"","back\\slash"}`, []string{"a,b", "c d", `say "hi"`, `back\slash`}},
		{`{NULL,"NULL",x}`, []string{"NULL", "x"}},
		{`{x,NULL}`, []string{"x"}},
	} {
		got, err := parseTextArray(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{``, `{`, `x`, `{"open}`, `{"a"b}`, `{"a\}`} {
		_, err := parseTextArray(bad)
		assert.Error(t, err, bad)
	}
}

func TestTextListScan(t *testing.T) {
	var l textList
	require.NoError(t, l.Scan([]byte(`{A,B}`)))
	assert.Equal(t, textList{"A", "B"}, l)
	require.NoError(t, l.Scan(nil))
	assert.Nil(t, l)
	assert.Error(t, l.Scan(42))
}
