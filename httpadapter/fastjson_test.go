package httpadapter

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// TestAppendersMatchEncodingJSON: the hand-written encoders produce exactly
// what encoding/json produces for the same values.
func TestAppendersMatchEncodingJSON(t *testing.T) {
	tricky := []string{"", "plain", `quote " back \ slash`, "<b>&amp;</b>", "tab\tnew\nline\x01\x7f", "ünï 😀", "\u2028\u2029", "bad \xff utf8"}
	uid := id{0x01, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x70, 0x00, 0x80, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	var values []any
	for i, s := range tricky {
		parent := &uid
		if i%2 == 0 {
			parent = nil
		}
		values = append(values,
			&v1CompanyBody{Company: v1Company{ID: uid, Name: s, Default: i%3 == 0, ParentID: parent}},
			&managed[mgmtUsers]{Status: "success", Message: s, Data: mgmtUsers{NextCursor: s, Users: []mgmtUser{
				{ID: uid, Email: s, FirstName: s, LastName: s, Role: s, Roles: []string{s, "USER_VIEW"}, IsActive: true},
				{Roles: nil, Editable: true},
			}}},
			&managed[mgmtUsers]{Data: mgmtUsers{}},
			&managed[mgmtUsers]{Status: "success", Data: mgmtUsers{NextCursor: s, perms: &rolePerms{cat: access.DefaultCatalog()},
				members: []access.Member{
					{Membership: access.Membership{UserID: uuid.UUID(uid), Role: access.RoleViewer, Active: true},
						User: access.User{Email: s, FirstName: s, LastName: s}, Editable: true},
					{Membership: access.Membership{Role: access.RoleAdmin, Extra: []string{"USER_VIEW"}}},
					{Membership: access.Membership{Role: s}},
				}}},
			&managed[mgmtUsers]{Data: mgmtUsers{members: []access.Member{}}},
			&managedError{Status: "error", Message: s, Data: problem{Code: s, Message: s, Field: s}},
			&errorBody{Error: problem{Code: "c", Message: s}},
		)
	}
	for _, v := range values {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(v); err != nil {
			t.Fatal(err)
		}
		got := append(v.(jsonAppender).appendJSON(nil), '\n')
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendJSON differs:\n got %s\nwant %s", got, want.Bytes())
		}
	}
	// Types the appenders leave to encoding/json say so.
	if (&managed[mgmtRoles]{}).appendJSON(nil) != nil {
		t.Error("managed[mgmtRoles] is not a hot type")
	}
	tm := time.Now()
	if (&managedError{Data: problem{NextAllowedAt: &tm}}).appendJSON(nil) != nil {
		t.Error("a problem with details goes through encoding/json")
	}
}

func BenchmarkAppendMembers(b *testing.B) {
	var l managed[mgmtUsers]
	for i := range 100 {
		l.Data.Users = append(l.Data.Users, mgmtUser{ID: id{byte(i)}, Email: "member" + string(rune('a'+i%26)) + "@example.com",
			FirstName: "First", LastName: "Last", Role: "VIEWER", Roles: []string{"USER_VIEW"}, IsActive: true})
	}
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 1<<16)
		for b.Loop() {
			buf = l.appendJSON(buf[:0])
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		// The same document through encoding/json's reflection, from a
		// mirror without mgmtUsers' MarshalJSON.
		var plain struct {
			Status  string `json:"status"`
			Message string `json:"message"`
			Data    struct {
				Users      []mgmtUser `json:"users"`
				NextCursor string     `json:"next_cursor,omitempty"`
			} `json:"data"`
		}
		plain.Data.Users = l.Data.Users
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for b.Loop() {
			buf.Reset()
			_ = enc.Encode(&plain)
		}
	})
}

// TestNeedsEscape: the word-at-a-time test agrees with the byte table for
// every byte value at every position of strings of several lengths.
func TestNeedsEscape(t *testing.T) {
	for n := 1; n <= 19; n++ {
		for pos := range n {
			for c := range 256 {
				s := []byte(strings.Repeat("a", n))
				s[pos] = byte(c)
				if got, want := needsEscape(string(s)), !plainJSON[c]; got != want {
					t.Fatalf("needsEscape(%q) = %v, want %v", s, got, want)
				}
			}
		}
	}
	if needsEscape("") || needsEscape("plain ascii text, 0-9 ~") {
		t.Error("plain strings need no escaping")
	}
}
