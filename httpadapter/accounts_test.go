package httpadapter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

func TestAccountAccesses(t *testing.T) {
	onEachStore(t, func(t *testing.T, st backend) {
		e := newEnv(t, st)
		ctx := t.Context()
		viewer, viewerT := e.member("viewer", access.RoleViewer)
		iss, err := e.inv.Invite(ctx, e.ownerP, invite.NewInvitation{Email: "pending@example.com", Role: access.RoleViewer})
		require.NoError(t, err)
		ci, err := e.tok.Create(ctx, e.ownerP, token.NewToken{Name: "deploy", Role: access.RoleViewer})
		require.NoError(t, err)
		grant := func(sub access.Subject, typ, rid string, level int) access.Grant {
			g, err := e.acc.Grant(ctx, e.ownerP, access.NewGrant{Subject: sub, Resource: access.Resource{Type: typ, ID: rid}, Level: level})
			require.NoError(t, err)
			return g
		}
		gUser := grant(access.Subject{Type: access.SubjectUser, ID: viewer.ID}, "project", "p1", access.LevelAdmin)
		gInv := grant(access.Subject{Type: access.SubjectInvite, ID: iss.Invitation.ID}, "inbox", "i1", access.LevelViewer)
		gTok := grant(access.Subject{Type: access.SubjectToken, ID: ci.Token.ID}, "sending_domain", "d1", access.LevelViewerPlus)
		base := "/api/accounts/" + e.company.ID.String() + "/account_accesses"

		r := must(t, 200, e.call("GET", base, "", nil, "Api-Token", e.ownerT), "Api-Token header")
		byType := map[string]map[string]any{}
		for _, a := range r.JSON.([]any) {
			m := a.(map[string]any)
			byType[m["specifier_type"].(string)] = m
		}
		require.Len(t, byType, 3)
		assert.Equal(t, viewer.Email, byType["User"]["specifier"].(map[string]any)["email"])
		assert.Equal(t, map[string]any{"can_read": true, "can_update": true, "can_destroy": false, "can_leave": true}, byType["User"]["permissions"])
		assert.Equal(t, "pending@example.com", byType["Invite"]["specifier"].(map[string]any)["email"])
		tokSpec := byType["ApiToken"]["specifier"].(map[string]any)
		assert.Equal(t, "deploy", tokSpec["name"])
		assert.NotEqual(t, ci.Secret.Reveal(), tokSpec["token"], "never the secret")
		assert.Equal(t, "owner Test", tokSpec["author_name"])

		// Filters.
		r = must(t, 200, e.call("GET", base+"?project_ids[]=p1&inbox_ids=i1", e.ownerT, nil))
		assert.Len(t, r.JSON, 2)
		r = must(t, 200, e.call("GET", base+"?domain_ids=d1,d2", e.ownerT, nil))
		assert.Len(t, r.JSON, 1)
		// Paging through the Link header.
		r = must(t, 200, e.call("GET", base+"?limit=2", e.ownerT, nil))
		assert.Len(t, r.JSON, 2)
		assert.Contains(t, r.Header.Get("Link"), `rel="next"`)

		// Errors in seed 002's shapes.
		r = must(t, 401, e.call("GET", base, "", nil))
		assert.NotEmpty(t, r.str("error"))
		r = must(t, 403, e.call("GET", base, viewerT, nil))
		assert.NotEmpty(t, r.str("errors"), "403 says errors")
		other, _, otherT := e.otherCompany("Other")
		r = must(t, 404, e.call("GET", base, otherT, nil))
		assert.NotEmpty(t, r.str("error"))
		must(t, 404, e.call("DELETE", "/api/accounts/"+other.ID.String()+"/account_accesses/"+gUser.ID.String(), otherT, nil), "cross-tenant grant")

		// Delete: a User loses the grant only; an Invite and an ApiToken go too.
		r = must(t, 200, e.call("DELETE", base+"/"+gUser.ID.String(), e.ownerT, nil))
		assert.Equal(t, gUser.ID.String(), r.str("id"))
		must(t, 404, e.call("DELETE", base+"/"+gUser.ID.String(), e.ownerT, nil))
		must(t, 200, e.call("GET", "/access", viewerT, nil), "the user stays a member")
		must(t, 200, e.call("DELETE", base+"/"+gInv.ID.String(), e.ownerT, nil))
		got, err := e.inv.Get(ctx, e.ownerP, iss.Invitation.ID)
		require.NoError(t, err)
		assert.Equal(t, invite.StatusRevoked, got.Status)
		must(t, 200, e.call("GET", "/access", ci.Secret.Reveal(), nil))
		must(t, 200, e.call("DELETE", base+"/"+gTok.ID.String(), e.ownerT, nil))
		must(t, 401, e.call("GET", "/access", ci.Secret.Reveal(), nil), "revocation takes effect on the next request")
		must(t, 400, e.call("DELETE", base+"/1", e.ownerT, nil))
	})
}
