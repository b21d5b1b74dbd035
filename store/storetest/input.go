package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// The input categories (run.go) prove, on every store, that text the library refuses
// (access.CheckText: control characters and invalid UTF-8) is refused the
// same way by both: ErrInvalid naming the field, nothing stored, never a
// storage error (PostgreSQL refuses NUL and invalid UTF-8 with an error of
// its own; memory would keep them). And that an external key never
// shadows a company ID.

// badTexts are the refused values each field is tried with, by what they
// hold: NUL, other C0 controls, DEL, a C1 control, invalid UTF-8.
var badTexts = map[string]string{
	"NUL":     "\x00",
	"ESC":     "\x1b",
	"LF":      "\n",
	"DEL":     "\x7f",
	"NEL":     "\u0085",
	"badUTF8": "\xff",
}

func testControlCharacters(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t), WithCompany(access.NewCompany{Name: "Acme", ExternalKey: "acme-1", Domains: []string{"acme.example"}}))
	sys := access.SystemPrincipal()
	str := func(s string) *string { return &s }
	project := func(typ, id string) access.Resource { return access.Resource{Type: typ, ID: id} }
	owner := access.Subject{Type: access.SubjectUser, ID: w.Owner.ID}

	// Each case sets field to a value holding bad and calls the service.
	cases := []struct {
		what, field string
		call        func(bad string) error
	}{
		{"CreateUser", "email", func(b string) error {
			_, err := w.Access.CreateUser(ctx, sys, access.NewUser{Email: "bob" + b + "@example.com"})
			return err
		}},
		{"CreateUser", "email", func(b string) error { // a trailing control is refused, not trimmed away
			_, err := w.Access.CreateUser(ctx, sys, access.NewUser{Email: "bob@example.com" + b})
			return err
		}},
		{"CreateUser", "first_name", func(b string) error {
			_, err := w.Access.CreateUser(ctx, sys, access.NewUser{Email: "bob@example.com", FirstName: "B" + b + "ob"})
			return err
		}},
		{"CreateUser", "last_name", func(b string) error {
			_, err := w.Access.CreateUser(ctx, sys, access.NewUser{Email: "bob@example.com", LastName: "B" + b})
			return err
		}},
		{"CreateUser", "lang", func(b string) error {
			_, err := w.Access.CreateUser(ctx, sys, access.NewUser{Email: "bob@example.com", Profile: access.Profile{Lang: "en" + b}})
			return err
		}},
		{"CreateUser", "theme", func(b string) error {
			_, err := w.Access.CreateUser(ctx, sys, access.NewUser{Email: "bob@example.com", Profile: access.Profile{Theme: b + "dark"}})
			return err
		}},
		{"CreateUser", "currency", func(b string) error {
			_, err := w.Access.CreateUser(ctx, sys, access.NewUser{Email: "bob@example.com", Profile: access.Profile{Currency: "EU" + b}})
			return err
		}},
		{"CreateUser", "birthdate", func(b string) error {
			_, err := w.Access.CreateUser(ctx, sys, access.NewUser{Email: "bob@example.com", Profile: access.Profile{Birthdate: "2000-01-01" + b}})
			return err
		}},
		{"CreateUser", "avatar_url", func(b string) error {
			_, err := w.Access.CreateUser(ctx, sys, access.NewUser{Email: "bob@example.com", Profile: access.Profile{AvatarURL: "https://a.example/" + b}})
			return err
		}},
		{"UpdateUser", "first_name", func(b string) error {
			_, err := w.Access.UpdateUser(ctx, w.AsOwner, w.Owner.ID, access.UserUpdate{FirstName: str("O" + b)})
			return err
		}},
		{"UpdateUser", "last_name", func(b string) error {
			_, err := w.Access.UpdateUser(ctx, w.AsOwner, w.Owner.ID, access.UserUpdate{LastName: str(b)})
			return err
		}},
		{"UpdateUser", "lang", func(b string) error {
			_, err := w.Access.UpdateUser(ctx, w.AsOwner, w.Owner.ID, access.UserUpdate{Lang: str("de" + b)})
			return err
		}},
		{"UpdateUser", "theme", func(b string) error {
			_, err := w.Access.UpdateUser(ctx, w.AsOwner, w.Owner.ID, access.UserUpdate{Theme: str("light" + b)})
			return err
		}},
		{"UpdateUser", "currency", func(b string) error {
			_, err := w.Access.UpdateUser(ctx, w.AsOwner, w.Owner.ID, access.UserUpdate{Currency: str(b + "USD")})
			return err
		}},
		{"UpdateUser", "birthdate", func(b string) error {
			_, err := w.Access.UpdateUser(ctx, w.AsOwner, w.Owner.ID, access.UserUpdate{Birthdate: str(b)})
			return err
		}},
		{"UpdateUser", "avatar_url", func(b string) error {
			_, err := w.Access.UpdateUser(ctx, w.AsOwner, w.Owner.ID, access.UserUpdate{AvatarURL: str("https://a.example/x" + b)})
			return err
		}},
		{"GetUserByEmail", "email", func(b string) error {
			_, err := w.Access.GetUserByEmail(ctx, w.AsOwner, strings.Replace(w.Owner.Email, "@", b+"@", 1))
			return err
		}},
		{"CreateCompany", "name", func(b string) error {
			_, err := w.Access.CreateCompany(ctx, w.AsOwner, access.NewCompany{Name: "Glo" + b + "bex"})
			return err
		}},
		{"CreateCompany", "external_key", func(b string) error {
			_, err := w.Access.CreateCompany(ctx, w.AsOwner, access.NewCompany{Name: "Globex", ExternalKey: "globex" + b})
			return err
		}},
		{"CreateCompany", "domains", func(b string) error {
			_, err := w.Access.CreateCompany(ctx, w.AsOwner, access.NewCompany{Name: "Globex", Domains: []string{"globex.example", "glo" + b + "bex.example"}})
			return err
		}},
		{"UpdateCompany", "name", func(b string) error {
			_, err := w.Access.UpdateCompany(ctx, w.AsOwner, access.CompanyUpdate{Name: str("Acme" + b)})
			return err
		}},
		{"UpdateCompany", "external_key", func(b string) error {
			_, err := w.Access.UpdateCompany(ctx, w.AsOwner, access.CompanyUpdate{Name: str("Acme 2"), ExternalKey: str(b + "acme-2")})
			return err
		}},
		{"UpdateCompany", "domains", func(b string) error {
			_, err := w.Access.UpdateCompany(ctx, w.AsOwner, access.CompanyUpdate{Domains: &[]string{"acme" + b + ".example"}})
			return err
		}},
		{"FindCompany", "external_key", func(b string) error {
			_, err := w.Access.FindCompany(ctx, w.AsOwner, access.CompanyRef{ExternalKey: "acme-1" + b})
			return err
		}},
		{"FindCompany", "domain_id", func(b string) error {
			_, err := w.Access.FindCompany(ctx, w.AsOwner, access.CompanyRef{Domain: "acme" + b + ".example"})
			return err
		}},
		{"FindCompany", "merchant_id", func(b string) error {
			_, err := w.Access.FindCompany(ctx, w.AsOwner, access.CompanyRef{Merchant: "acme-1" + b})
			return err
		}},
		{"FindCompany", "merchant_id", func(b string) error { // an ID with a control character is no ID
			_, err := w.Access.FindCompany(ctx, w.AsOwner, access.CompanyRef{Merchant: w.Company.ID.String()[:35] + b})
			return err
		}},
		{"Grant", "resource_type", func(b string) error {
			_, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: owner, Resource: project("proj"+b, "p1"), Level: access.LevelViewer})
			return err
		}},
		{"Grant", "resource_id", func(b string) error {
			_, err := w.Access.Grant(ctx, w.AsOwner, access.NewGrant{Subject: owner, Resource: project("project", "p"+b+"1"), Level: access.LevelViewer})
			return err
		}},
		{"CheckLevel", "resource_id", func(b string) error {
			return w.Access.CheckLevel(ctx, w.AsOwner, project("project", b), access.LevelViewer)
		}},
		{"ListGrants", "resource_type", func(b string) error {
			_, err := w.Access.ListGrants(ctx, w.AsOwner, access.GrantFilter{Resources: []access.Resource{project(b+"project", "p1")}})
			return err
		}},
		{"CreateToken", "name", func(b string) error {
			_, err := w.Token.Create(ctx, w.AsOwner, token.NewToken{Name: "ci" + b, Role: access.RoleViewer})
			return err
		}},
		{"Invite", "email", func(b string) error {
			_, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: "carol@exa" + b + "mple.com", Role: access.RoleViewer})
			return err
		}},
		{"Invite", "role", func(b string) error {
			_, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: "carol@example.com", Role: "VIEWER" + b})
			return err
		}},
		{"Invite", "permissions", func(b string) error {
			_, err := w.Invite.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: "carol@example.com", Role: access.RoleViewer, Permissions: []string{"USER_" + b + "EDIT"}})
			return err
		}},
		{"InviteCompany", "company_name", func(b string) error {
			_, err := w.Invite.InviteCompany(ctx, w.AsOwner, invite.NewConnectionInvitation{Email: "dave@example.com",
				Relation: invite.RelationAgency, CompanyName: "Initech" + b})
			return err
		}},
		{"InviteCompany", "email", func(b string) error {
			_, err := w.Invite.InviteCompany(ctx, w.AsOwner, invite.NewConnectionInvitation{Email: b + "dave@example.com",
				Relation: invite.RelationAgency, CompanyName: "Initech"})
			return err
		}},
		{"AddMember", "email", func(b string) error {
			_, err := w.Access.AddMember(ctx, w.AsOwner, access.NewMember{Email: "erin" + b + "@example.com", Role: access.RoleViewer})
			return err
		}},
	}

	before := snapshot(t, w)
	for _, c := range cases {
		for what, b := range badTexts {
			err := c.call(b)
			name := fmt.Sprintf("%s %s with %s", c.what, c.field, what)
			if assert.ErrorIs(t, err, access.ErrInvalid, name) {
				assert.Equal(t, c.field, access.FieldOf(err), name)
				assert.Equal(t, access.CodeInvalid, access.CodeOf(err), name)
			}
		}
	}
	assert.Equal(t, before, snapshot(t, w), "nothing was stored")
}

// snapshot is what the World's store holds that the cases could change:
// users, the owner's companies, Acme's row, grants, tokens, pending
// invitations and audit trail, and the companies' audit trails.
func snapshot(t *testing.T, w *World) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	users, err := w.Store.ListUsers(ctx, all())
	require.NoError(t, err)
	for _, u := range users {
		fmt.Fprintf(&b, "user %v\n", normUser(u))
	}
	ucs, err := w.Store.ListUserCompanies(ctx, w.Owner.ID, nil, all())
	require.NoError(t, err)
	for _, uc := range ucs {
		fmt.Fprintf(&b, "company %v %q\n", uc.Company.ID, uc.Company.Name)
		evs, err := w.Store.ListAudit(ctx, uc.Company.ID, all())
		require.NoError(t, err)
		fmt.Fprintf(&b, "  audit %d\n", len(evs))
	}
	c, err := w.Store.GetCompany(ctx, w.Company.ID)
	require.NoError(t, err)
	fmt.Fprintf(&b, "acme %v\n", normCompany(c))
	gs, err := w.Store.ListGrants(ctx, w.Company.ID, access.GrantQuery{}, all())
	require.NoError(t, err)
	fmt.Fprintf(&b, "grants %v\n", grantIDs(gs))
	ts, err := w.Store.ListTokens(ctx, w.Company.ID, all())
	require.NoError(t, err)
	fmt.Fprintf(&b, "tokens %d\n", len(ts))
	for _, k := range []invite.Kind{invite.KindMember, invite.KindConnection} {
		invs, err := w.Store.ListPendingInvitations(ctx, w.Company.ID, k, w.Clock.Now(), all())
		require.NoError(t, err)
		fmt.Fprintf(&b, "invitations %s %v\n", k, invIDs(invs))
	}
	return b.String()
}

// uuidForms are the spellings of id that uuid.Parse accepts.
func uuidForms(id uuid.UUID) []string {
	s := id.String()
	return []string{s, strings.ToUpper(s), "{" + s + "}", "urn:uuid:" + s, strings.ReplaceAll(s, "-", "")}
}

// testExternalKeyNotUUID: an external key that reads as a UUID, in any
// form, is refused on create and on update, naming external_key.
func testExternalKeyNotUUID(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t), WithCompany(access.NewCompany{Name: "Acme", ExternalKey: "acme-1"}))
	other, _ := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other-owner"))
	_, asAdmin := w.Member(t, "admin", access.RoleAdmin)
	before := snapshot(t, w)
	for _, id := range []uuid.UUID{other.ID, w.Company.ID, uuid.New()} {
		for _, key := range uuidForms(id) {
			_, err := w.Access.CreateCompany(ctx, w.AsOwner, access.NewCompany{Name: "Shadow", ExternalKey: key})
			if assert.ErrorIs(t, err, access.ErrInvalid, "create %s", key) {
				assert.Equal(t, "external_key", access.FieldOf(err), key)
			}
			_, err = w.Access.UpdateCompany(ctx, asAdmin, access.CompanyUpdate{ExternalKey: &key})
			if assert.ErrorIs(t, err, access.ErrInvalid, "update %s", key) {
				assert.Equal(t, "external_key", access.FieldOf(err), key)
			}
		}
	}
	assert.Equal(t, before, snapshot(t, w), "nothing was stored")

	// Keys that merely look like hex or hold dashes are keys.
	for _, key := range []string{"merchant-42", other.ID.String()[:35], "x" + other.ID.String()} {
		_, err := w.Access.UpdateCompany(ctx, asAdmin, access.CompanyUpdate{ExternalKey: &key})
		require.NoError(t, err, key)
		c, err := w.Access.FindCompany(ctx, asAdmin, access.CompanyRef{Merchant: key})
		require.NoError(t, err, key)
		assert.Equal(t, w.Company.ID, c.ID, key)
	}
}

// testMerchantIDFirst: a merchant_id that is a canonical UUID names the
// company with that ID and nothing else, even where a company's stored key
// (written before keys were checked) is that very UUID. An ADMIN cannot
// make another company's ID resolve to their own.
func testMerchantIDFirst(t *testing.T, newStore Factory) {
	ctx := context.Background()
	w := NewWorld(t, newStore(t), WithCompany(access.NewCompany{Name: "Acme", ExternalKey: "acme-1"}))
	other, asOther := w.NewCompany(t, access.NewCompany{Name: "Other"}, w.User(t, "other-owner"))
	_, asAdmin := w.Member(t, "admin", access.RoleAdmin)

	key := other.ID.String()
	_, err := w.Access.UpdateCompany(ctx, asAdmin, access.CompanyUpdate{ExternalKey: &key})
	require.ErrorIs(t, err, access.ErrInvalid)

	// A key the store kept from before the rule: it shadows nothing.
	acme, err := w.Store.GetCompany(ctx, w.Company.ID)
	require.NoError(t, err)
	acme.ExternalKey = key
	require.NoError(t, w.Store.UpdateCompany(ctx, &acme))

	for _, ref := range uuidForms(other.ID)[:2] {
		_, err = w.Access.FindCompany(ctx, asAdmin, access.CompanyRef{Merchant: ref})
		assertNotFound(t, err, access.CodeCompanyNotFound, "the admin's merchant_id=%s names Other, which they cannot see", ref)
		c, err := w.Access.FindCompany(ctx, asOther, access.CompanyRef{Merchant: ref})
		require.NoError(t, err, ref)
		assert.Equal(t, other.ID, c.ID, "Other's owner finds Other by %s", ref)
		c, err = w.Access.FindCompany(ctx, access.SystemPrincipal(), access.CompanyRef{Merchant: ref})
		require.NoError(t, err, ref)
		assert.Equal(t, other.ID, c.ID, "the system finds Other by %s", ref)
	}
	c, err := w.Access.FindCompany(ctx, asAdmin, access.CompanyRef{Merchant: w.Company.ID.String()})
	require.NoError(t, err)
	assert.Equal(t, w.Company.ID, c.ID, "the admin's own ID still names Acme")
}
