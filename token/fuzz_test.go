package token_test

import (
	"regexp"
	"testing"

	"github.com/gatehouse-go/gatehouse/token"
)

// FuzzParse: Parse never panics, and whatever it accepts is a well-formed
// secret of a known kind that the documented pattern matches.
func FuzzParse(f *testing.F) {
	for _, k := range kinds {
		f.Add(token.Generate(k).Reveal())
	}
	f.Add("")
	f.Add("gate_api_")
	re := regexp.MustCompile(`^[a-z][a-z0-9]{1,15}_(?:api|ses|inv|cnx|lnk|rst)_[0-9A-Za-z]{49}$`)
	f.Fuzz(func(t *testing.T, s string) {
		product, k, err := token.Parse(s)
		if err != nil {
			return
		}
		if !re.MatchString(s) {
			t.Fatalf("Parse accepted %q", s)
		}
		if k.String() == "unknown" || product != s[:len(product)] {
			t.Fatalf("Parse returned kind %v product %q for %q", k, product, s)
		}
		f, ferr := token.NewFormat(product)
		if ferr != nil || f.Parse(s, k) != nil {
			t.Fatalf("Format(%q).Parse refused what Parse accepted: %q", product, s)
		}
	})
}
