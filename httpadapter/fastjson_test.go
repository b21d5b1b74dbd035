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
	// Each case: what is appended, and the value encoding/json encodes as
	// the expectation (the same one, or for a page of members the users
	// written out here by hand).
	type tc struct{ got, want any }
	var cases []tc
	same := func(v any) tc { return tc{v, v} }
	for i, s := range tricky {
		parent := &uid
		if i%2 == 0 {
			parent = nil
		}
		members := []access.Member{
			{Membership: access.Membership{UserID: uuid.UUID(uid), Role: access.RoleViewer, Active: true},
				User: access.User{Email: s, FirstName: s, LastName: s}, Editable: true},
			{Membership: access.Membership{Role: access.RoleAdmin, Extra: []string{"USER_VIEW"}}},
			{Membership: access.Membership{Role: s}},
		}
		byHand := []mgmtUser{
			{ID: uid, Email: s, FirstName: s, LastName: s, Role: access.RoleViewer, Roles: []string{"USER_VIEW"},
				IsActive: true, Editable: true},
			{Role: access.RoleAdmin, Roles: []string{"USER_ADD", "USER_DELETE", "USER_EDIT", "USER_VIEW"}},
			{Role: s, Roles: []string{}},
		}
		cases = append(cases,
			same(&v1CompanyBody{Company: v1Company{ID: uid, Name: s, Default: i%3 == 0, ParentID: parent}}),
			same(&managed[mgmtUsers]{Status: "success", Message: s, Data: mgmtUsers{NextCursor: s, Users: []mgmtUser{
				{ID: uid, Email: s, FirstName: s, LastName: s, Role: s, Roles: []string{s, "USER_VIEW"}, IsActive: true},
				{Roles: nil, Editable: true},
			}}}),
			same(&managed[mgmtUsers]{Data: mgmtUsers{}}),
			tc{&managed[mgmtUsers]{Status: "success", Data: mgmtUsers{NextCursor: s, members: members,
				perms: &rolePerms{cat: access.DefaultCatalog()}}},
				&managed[mgmtUsers]{Status: "success", Data: mgmtUsers{NextCursor: s, Users: byHand}}},
			tc{&managed[mgmtUsers]{Data: mgmtUsers{members: []access.Member{}}},
				&managed[mgmtUsers]{Data: mgmtUsers{Users: []mgmtUser{}}}},
			same(&managedError{Status: "error", Message: s, Data: problem{Code: access.Code(s), Message: s, Field: s}}),
			same(&errorBody{Error: problem{Code: "c", Message: s}}),
		)
	}
	for _, c := range cases {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(c.want); err != nil {
			t.Fatal(err)
		}
		got := append(c.got.(jsonAppender).appendJSON(nil), '\n')
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendJSON differs:\n got %s\nwant %s", got, want.Bytes())
		}
		// encoding/json of the appended value (MarshalJSON for a page of
		// members) says the same.
		if again, err := json.Marshal(c.got); err != nil || !bytes.Equal(append(again, '\n'), want.Bytes()) {
			t.Errorf("encoding/json differs (%v):\n got %s\nwant %s", err, again, want.Bytes())
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

// BenchmarkAppendMembers: GET /access's document for 100 members, as the
// handler appends it from the listed members, against encoding/json of the
// same document from wire structs it already holds.
func BenchmarkAppendMembers(b *testing.B) {
	l := managed[mgmtUsers]{Status: "success", Message: "OK", Data: mgmtUsers{perms: &rolePerms{cat: access.DefaultCatalog()}}}
	for i := range 100 {
		l.Data.members = append(l.Data.members, access.Member{
			Membership: access.Membership{UserID: uuid.UUID{byte(i)}, Role: access.RoleViewer, Active: true},
			User:       access.User{Email: "member" + string(rune('a'+i%26)) + "@example.com", FirstName: "First", LastName: "Last"}})
	}
	l.Data.Users = l.Data.users()
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
		plain.Status, plain.Message, plain.Data.Users = l.Status, l.Message, l.Data.Users
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
