package token_test

import (
	"hash/crc32"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/token"
)

// docPattern is the regular expression the package documentation gives.
const docPattern = `\bgate_(?:api|ses|inv|cnx|lnk|rst)_[0-9A-Za-z]{49}\b`

var kinds = []token.Kind{token.KindAPI, token.KindSession, token.KindInvitation, token.KindConnectionInvitation, token.KindLoginLink, token.KindPasswordReset}

func TestGenerateAndParse(t *testing.T) {
	re := regexp.MustCompile(docPattern)
	assert.Equal(t, docPattern, token.Format{}.Pattern())
	seen := map[string]bool{}
	for _, k := range kinds {
		for range 50 {
			s := token.Generate(k).Reveal()
			require.False(t, seen[s], "secrets are unique")
			seen[s] = true
			assert.True(t, strings.HasPrefix(s, "gate_"+k.String()+"_"), s)
			assert.Len(t, s, len("gate_api_")+49)
			assert.True(t, re.MatchString("leaked: "+s+"."), "the documented pattern finds it")
			product, got, err := token.Parse(s)
			require.NoError(t, err)
			assert.Equal(t, "gate", product)
			assert.Equal(t, k, got)
			assert.NoError(t, token.Format{}.Parse(s, k))
		}
	}
}

func TestRandomPartIsUniform(t *testing.T) {
	// 43 characters from 62 symbols: every symbol shows up, none dominates.
	counts := map[rune]int{}
	for range 2000 {
		s := token.Generate(token.KindAPI).Reveal()
		for _, c := range s[len("gate_api_") : len("gate_api_")+43] {
			counts[c]++
		}
	}
	assert.Len(t, counts, 62)
	for c, n := range counts {
		assert.InDelta(t, 2000*43/62, n, 2000*43/62*0.25, "symbol %c", c)
	}
}

func TestParseRejects(t *testing.T) {
	good := token.Generate(token.KindAPI).Reveal()
	flip := func(i int) string {
		b := []byte(good)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	other, err := token.NewFormat("acme")
	require.NoError(t, err)
	for name, s := range map[string]string{
		"empty":              "",
		"truncated":          good[:len(good)-1],
		"extended":           good + "0",
		"random part typo":   flip(10),
		"checksum typo":      flip(len(good) - 1),
		"kind changed":       strings.Replace(good, "_api_", "_ses_", 1),
		"unknown kind":       strings.Replace(good, "_api_", "_xyz_", 1),
		"upper-case product": strings.Replace(good, "gate_", "GATE_", 1),
		"no separator":       strings.Replace(good, "gate_", "gate-", 1),
		"space inside":       good[:20] + " " + good[21:],
		"non-ascii":          good[:20] + "é" + good[22:],
		"too long product":   strings.Repeat("a", 17) + good[2:],
		"one-letter product": good[1:],
		"other product":      other.Generate(token.KindAPI).Reveal(),
	} {
		if name == "other product" {
			_, _, err := token.Parse(s)
			assert.NoError(t, err, "Parse accepts any product")
			assert.ErrorIs(t, token.Format{}.Parse(s, token.KindAPI), token.ErrMalformed, name)
			continue
		}
		_, _, err := token.Parse(s)
		assert.ErrorIs(t, err, token.ErrMalformed, name)
		assert.ErrorIs(t, err, access.ErrUnauthenticated, name)
	}
	assert.ErrorIs(t, token.Format{}.Parse(good, token.KindSession), token.ErrMalformed, "one kind never passes as another")
}

func TestNewFormat(t *testing.T) {
	for _, p := range []string{"gate", "acme", "a1", "abcdefghijklmnop"} {
		f, err := token.NewFormat(p)
		require.NoError(t, err, p)
		s := f.Generate(token.KindSession).Reveal()
		assert.True(t, strings.HasPrefix(s, p+"_ses_"))
		assert.True(t, regexp.MustCompile(f.Pattern()).MatchString(s))
		assert.NoError(t, f.Parse(s, token.KindSession))
	}
	for _, p := range []string{"", "g", "1a", "Gh", "g_h", "g-h", "abcdefghijklmnopq"} {
		_, err := token.NewFormat(p)
		assert.ErrorIs(t, err, access.ErrInvalid, p)
		assert.Panics(t, func() { token.NewService(access.NewService(memstore.New()), token.WithPrefix(p)) }, p)
	}
}

func TestHash(t *testing.T) {
	s := token.Generate(token.KindAPI).Reveal()
	assert.Equal(t, token.Hash(s), token.Hash(s))
	assert.NotEqual(t, token.Hash(s), token.Hash(token.Generate(token.KindAPI).Reveal()))
	long := strings.Repeat("x", 500)
	assert.Equal(t, token.Hash(long), token.Hash(long), "any length hashes")
}

func TestParseAllocatesNothing(t *testing.T) {
	s := token.Generate(token.KindAPI).Reveal()
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := token.Parse(s); err != nil {
			t.Fatal(err)
		}
		_ = token.Hash(s)
	})
	assert.Zero(t, allocs)
}

func TestChecksumIsCRC32(t *testing.T) {
	// The documented checksum: CRC-32 (IEEE) of everything before it, in
	// six base62 digits.
	s := token.Generate(token.KindLoginLink).Reveal()
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	sum := crc32.ChecksumIEEE([]byte(s[:len(s)-6]))
	var want [6]byte
	for i := 5; i >= 0; i-- {
		want[i] = alphabet[sum%62]
		sum /= 62
	}
	assert.Equal(t, string(want[:]), s[len(s)-6:])
}
