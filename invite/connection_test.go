package invite_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
)

// agency is a second company, "Agency Co", with an ADMIN alice who will
// accept for it.
type agency struct {
	id    uuid.UUID
	owner access.Principal
	alice access.Principal
}

func (e *env) agency(t *testing.T) agency {
	t.Helper()
	id, owner := e.newCompany(t, "Agency Co", "boss@agency.example")
	alice := e.member(t, id, "alice@agency.example", access.RoleAdmin)
	return agency{id: id, owner: access.UserPrincipal(owner, id), alice: alice}
}

func (e *env) inviteAgency(t *testing.T, perms ...string) invite.Issued {
	t.Helper()
	is, err := e.svc.InviteCompany(e.ctx, e.owner, invite.NewConnectionInvitation{
		Email: "alice@agency.example", Relation: invite.RelationAgency, CompanyName: "agency co", Permissions: perms})
	require.NoError(t, err)
	return is
}

func TestConnectCustomerInvitesAgency(t *testing.T) {
	e := newEnv(t)
	ag := e.agency(t)
	is := e.inviteAgency(t, access.UserView)
	assert.Equal(t, invite.KindConnection, is.Invitation.Kind)
	assert.Contains(t, is.Token.Reveal(), "_cnx_")

	pv, err := e.svc.Preview(e.ctx, is.Token.Reveal())
	require.NoError(t, err)
	assert.Equal(t, invite.RelationAgency, pv.Relation)
	assert.Equal(t, "agency co", pv.TargetName)

	res, err := e.svc.Accept(e.ctx, ag.alice, is.Token.Reveal())
	require.NoError(t, err)
	assert.Equal(t, ag.id, res.CompanyID)
	assert.Equal(t, ag.id, res.Invitation.TargetID)
	conn, err := e.acc.GetConnection(e.ctx, e.owner, res.ConnectionID)
	require.NoError(t, err)
	assert.Equal(t, e.company, conn.CustomerID)
	assert.Equal(t, ag.id, conn.AgencyID)
	assert.Equal(t, []string{access.UserView}, conn.Permissions)
	_, err = e.acc.GetConnection(e.ctx, ag.owner, res.ConnectionID)
	assert.NoError(t, err, "either side sees it")

	// Alice (ADMIN of the agency) acts in the customer with at most the
	// connection's permissions, through the same check as memberships.
	inCustomer := access.UserPrincipal(ag.alice.UserID, e.company)
	assert.NoError(t, e.acc.Check(e.ctx, inCustomer, access.UserView))
	assert.ErrorIs(t, e.acc.Check(e.ctx, inCustomer, access.UserEdit), access.ErrForbidden)

	assert.Subset(t, actions(e.audit(t, e.company)), []string{"invitation.created", "connection.created", "invitation.accepted"})
	assert.Contains(t, actions(e.audit(t, ag.id)), "connection.created")
	assert.Equal(t, []invite.EventType{invite.EventCreated, invite.EventAccepted}, e.notes.types())
}

func TestConnectAgencyInvitesCustomer(t *testing.T) {
	e := newEnv(t)
	ag := e.agency(t)
	is, err := e.svc.InviteCompany(e.ctx, ag.owner, invite.NewConnectionInvitation{
		Email: "owner@acme.example", Relation: invite.RelationCustomer, CompanyID: e.company})
	require.NoError(t, err)
	_, err = e.svc.InviteCompany(e.ctx, ag.owner, invite.NewConnectionInvitation{
		Email: "x@acme.example", Relation: invite.RelationCustomer, CompanyName: "Acme", Permissions: []string{access.UserView}})
	assert.ErrorIs(t, err, access.ErrInvalid, "only the customer offers permissions")

	res, err := e.svc.Accept(e.ctx, e.owner, is.Token.Reveal())
	require.NoError(t, err)
	conn, err := e.acc.GetConnection(e.ctx, e.owner, res.ConnectionID)
	require.NoError(t, err)
	assert.Equal(t, e.company, conn.CustomerID)
	assert.Equal(t, ag.id, conn.AgencyID)
	assert.Empty(t, conn.Permissions, "the customer sets them")
}

func TestConnectionAcceptRules(t *testing.T) {
	e := newEnv(t)
	ag := e.agency(t)
	viewer := e.member(t, ag.id, "vic@agency.example", access.RoleViewer)
	is := e.inviteAgency(t)
	tok := is.Token.Reveal()

	_, err := e.svc.Accept(e.ctx, anon(), tok)
	assert.ErrorIs(t, err, access.ErrUnauthenticated, "the invited user must be signed in")
	_, err = e.svc.Accept(e.ctx, ag.owner, tok)
	assert.ErrorIs(t, err, invite.ErrEmailMismatch)
	_, err = e.svc.Accept(e.ctx, access.UserPrincipal(ag.alice.UserID, e.company), tok)
	assert.ErrorIs(t, err, invite.ErrSelfConnection)
	third, _ := e.newCompany(t, "Third", "t@third.example")
	e.member(t, third, "alice2@agency.example", access.RoleAdmin)
	_, err = e.svc.Accept(e.ctx, access.UserPrincipal(ag.alice.UserID, third), tok)
	assert.Error(t, err, "alice is no member of Third")

	_, err = e.svc.InviteCompany(e.ctx, e.owner, invite.NewConnectionInvitation{
		Email: "vic@agency.example", Relation: invite.RelationAgency, CompanyName: "Agency Co"})
	require.NoError(t, err)
	vicTok := e.notes.last().Token.Reveal()
	_, err = e.svc.Accept(e.ctx, viewer, vicTok)
	assert.ErrorIs(t, err, access.ErrForbidden, "ADMIN or above in the invited company")

	// A company of another name.
	wrong, err := e.svc.InviteCompany(e.ctx, e.owner, invite.NewConnectionInvitation{
		Email: "boss@agency.example", Relation: invite.RelationAgency, CompanyName: "Someone Else"})
	require.NoError(t, err)
	_, err = e.svc.Accept(e.ctx, ag.owner, wrong.Token.Reveal())
	assert.ErrorIs(t, err, invite.ErrCompanyMismatch)

	assert.Equal(t, invite.StatusPending, e.stored(t, is.Invitation.ID).Status, "failures leave it pending")
	conns, err := e.acc.ListConnections(e.ctx, e.owner, access.PageRequest{})
	require.NoError(t, err)
	assert.Empty(t, conns.Items)

	// A member token does not work as a connection token and back.
	m := e.invite(t, "alice@agency.example", access.RoleViewer)
	_, err = e.svc.Accept(e.ctx, ag.alice, m.Token.Reveal())
	require.NoError(t, err, "a member invitation for alice")
	_, err = e.svc.Accept(e.ctx, ag.alice, tok)
	require.NoError(t, err)
}

func TestInviteCompanyRules(t *testing.T) {
	e := newEnv(t)
	viewerPlus := e.member(t, e.company, "vp@acme.example", access.RoleViewerPlus, access.UserAdd)
	for _, tc := range []struct {
		in    invite.NewConnectionInvitation
		field string
	}{
		{invite.NewConnectionInvitation{Email: "x", Relation: invite.RelationAgency, CompanyName: "A"}, "email"},
		{invite.NewConnectionInvitation{Email: "x@example.com", Relation: "partner", CompanyName: "A"}, "relation"},
		{invite.NewConnectionInvitation{Email: "x@example.com", Relation: invite.RelationAgency}, "company_name"},
		{invite.NewConnectionInvitation{Email: "x@example.com", Relation: invite.RelationAgency, CompanyName: "A", Permissions: []string{"NOPE"}}, "permissions"},
		{invite.NewConnectionInvitation{Email: "x@example.com", Relation: invite.RelationAgency, CompanyID: e.company}, "company"},
	} {
		_, err := e.svc.InviteCompany(e.ctx, e.owner, tc.in)
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, tc.field, access.FieldOf(err))
	}
	_, err := e.svc.InviteCompany(e.ctx, viewerPlus, invite.NewConnectionInvitation{
		Email: "x@example.com", Relation: invite.RelationAgency, CompanyName: "A"})
	assert.ErrorIs(t, err, access.ErrForbidden, "the agency acts at ADMIN rank: the inviter needs it")
}

func TestAgencyPermissionsAndRemoval(t *testing.T) {
	e := newEnv(t)
	ag := e.agency(t)
	is := e.inviteAgency(t, access.UserView)
	res, err := e.svc.Accept(e.ctx, ag.alice, is.Token.Reveal())
	require.NoError(t, err)
	inCustomer := access.UserPrincipal(ag.alice.UserID, e.company)

	_, err = e.acc.UpdateAgencyPermissions(e.ctx, ag.owner, res.ConnectionID, access.AgencyUpdate{Add: []string{access.UserEdit}})
	assert.ErrorIs(t, err, access.ErrForbidden, "the agency does not set its own permissions")
	_, err = e.acc.UpdateAgencyPermissions(e.ctx, inCustomer, res.ConnectionID, access.AgencyUpdate{Add: []string{access.UserEdit}})
	assert.ErrorIs(t, err, access.ErrForbidden, "nor through the connection")
	limited := e.member(t, e.company, "ed@acme.example", access.RoleAdmin)
	r := access.RoleViewerPlus
	_, err = e.acc.UpdateMember(e.ctx, e.owner, limited.UserID, access.MemberUpdate{Role: &r})
	require.NoError(t, err)
	_, err = e.acc.UpdateAgencyPermissions(e.ctx, limited, res.ConnectionID, access.AgencyUpdate{Add: []string{access.UserDelete}})
	assert.ErrorIs(t, err, access.ErrForbidden, "never more than the editor holds")
	_, err = e.acc.UpdateAgencyPermissions(e.ctx, e.owner, res.ConnectionID, access.AgencyUpdate{Add: []string{"NOPE"}})
	assert.ErrorIs(t, err, access.ErrInvalid)

	conn, err := e.acc.UpdateAgencyPermissions(e.ctx, e.owner, res.ConnectionID, access.AgencyUpdate{Add: []string{access.UserEdit}})
	require.NoError(t, err)
	assert.Equal(t, []string{access.UserEdit, access.UserView}, conn.Permissions)
	assert.NoError(t, e.acc.Check(e.ctx, inCustomer, access.UserEdit), "takes effect on the next check")
	conn, err = e.acc.UpdateAgencyPermissions(e.ctx, e.owner, res.ConnectionID, access.AgencyUpdate{Remove: []string{access.UserEdit}})
	require.NoError(t, err)
	assert.ErrorIs(t, e.acc.Check(e.ctx, inCustomer, access.UserEdit), access.ErrForbidden)
	assert.Contains(t, actions(e.audit(t, e.company)), "connection.updated")
	_ = conn

	viewer := e.member(t, e.company, "viewer@acme.example", access.RoleViewer)
	assert.ErrorIs(t, e.acc.RemoveConnection(e.ctx, viewer, res.ConnectionID), access.ErrForbidden)
	other, otherOwner := e.newCompany(t, "Other", "o@other.example")
	assert.ErrorIs(t, e.acc.RemoveConnection(e.ctx, access.UserPrincipal(otherOwner, other), res.ConnectionID), access.ErrNotFound)

	_, err = e.acc.UpdateMember(e.ctx, e.owner, ag.alice.UserID, access.MemberUpdate{})
	assert.Error(t, err) // alice is no member of Acme
	require.NoError(t, e.acc.Check(e.ctx, inCustomer, access.UserView))
	require.NoError(t, e.acc.RemoveConnection(e.ctx, ag.owner, res.ConnectionID), "either side may end it")
	assert.ErrorIs(t, e.acc.Check(e.ctx, inCustomer, access.UserView), access.ErrNotFound, "ends the moment it is removed")
	assert.Contains(t, actions(e.audit(t, e.company)), "connection.removed")
	assert.Contains(t, actions(e.audit(t, ag.id)), "connection.removed")
	_, err = e.acc.GetConnection(e.ctx, e.owner, res.ConnectionID)
	assert.ErrorIs(t, err, access.ErrNotFound)
}

func TestBothCompaniesInviteEachOther(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		e := newEnv(t)
		ag := e.agency(t)
		toAgency := e.inviteAgency(t)
		toCustomer, err := e.svc.InviteCompany(e.ctx, ag.alice, invite.NewConnectionInvitation{
			Email: "owner@acme.example", Relation: invite.RelationCustomer, CompanyName: "Acme"})
		require.NoError(t, err)

		var wg sync.WaitGroup
		errs := make([]error, 2)
		accept := func(i int, p access.Principal, tok string) {
			defer wg.Done()
			_, errs[i] = e.svc.Accept(e.ctx, p, tok)
		}
		wg.Add(2)
		if concurrent {
			go accept(0, ag.alice, toAgency.Token.Reveal())
			go accept(1, e.owner, toCustomer.Token.Reveal())
		} else {
			accept(0, ag.alice, toAgency.Token.Reveal())
			accept(1, e.owner, toCustomer.Token.Reveal())
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				assert.ErrorIs(t, err, access.ErrConflict)
				assert.Equal(t, access.CodeAlreadyConnected, access.CodeOf(err))
			}
		}
		assert.Equal(t, 1, ok)
		conns, err := e.acc.ListConnections(e.ctx, e.owner, access.PageRequest{})
		require.NoError(t, err)
		assert.Len(t, conns.Items, 1, "one connection per pair")
	}
}

func TestConnectionInvitationResendAndExpiry(t *testing.T) {
	e := newEnv(t)
	ag := e.agency(t)
	is := e.inviteAgency(t)
	e.clock.Advance(2 * 24 * time.Hour)
	again, err := e.svc.Resend(e.ctx, e.owner, is.Invitation.ID)
	require.NoError(t, err)
	_, err = e.svc.Accept(e.ctx, ag.alice, is.Token.Reveal())
	assert.ErrorIs(t, err, access.ErrNotFound)
	e.clock.Advance(7 * 24 * time.Hour)
	_, err = e.svc.Accept(e.ctx, ag.alice, again.Token.Reveal())
	assertState(t, err, invite.StatusExpired)
	rej := e.inviteAgency(t)
	_, err = e.svc.Reject(e.ctx, ag.alice, rej.Token.Reveal())
	require.NoError(t, err)
}
