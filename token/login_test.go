package token_test

import (
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

func linkSecret(t *testing.T, p token.Provisioned) string {
	t.Helper()
	u, err := url.Parse(p.LoginURL.Reveal())
	require.NoError(t, err)
	return u.Query().Get("token")
}

func TestProvisionNewUser(t *testing.T) {
	e := newEnv(t, token.WithLoginURL("https://app.example.com/auth/magic?src=partner"))
	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: " New@Example.com ", Role: "admin", NoSwitch: true})
	require.NoError(t, err)
	assert.True(t, p.UserCreated)
	assert.Equal(t, "new@example.com", p.Member.User.Email)
	assert.Equal(t, access.RoleAdmin, p.Member.Role)
	assert.True(t, p.Member.Active)
	assert.False(t, p.Member.AllowSwitch)
	assert.Equal(t, e.owner.ID, p.Member.CreatedBy)
	assert.Equal(t, e.clock.Now().Add(token.DefaultLoginLinkTTL), p.LinkExpiresAt)
	u, err := url.Parse(p.LoginURL.Reveal())
	require.NoError(t, err)
	assert.Equal(t, "app.example.com", u.Host)
	assert.Equal(t, "/auth/magic", u.Path)
	assert.Equal(t, "partner", u.Query().Get("src"))
	secret := linkSecret(t, p)
	require.NoError(t, e.tok.Format().Parse(secret, token.KindLoginLink))

	login, err := e.tok.RedeemLoginLink(ctx, secret)
	require.NoError(t, err)
	assert.Equal(t, p.Member.UserID, login.User.ID)
	assert.Equal(t, e.company.ID, login.Company.ID)
	assert.Equal(t, e.company.ID, login.User.ActiveCompanyID, "the link logs the user into its company")
	assert.Nil(t, login.Session)

	_, err = e.tok.RedeemLoginLink(ctx, secret)
	assert.ErrorIs(t, err, token.ErrLinkUsed)
	assert.ErrorIs(t, err, access.ErrConflict)
	assert.Equal(t, access.CodeLinkUsed, access.CodeOf(err))
}

func TestProvisionExistingMember(t *testing.T) {
	e := newEnv(t)
	u, _ := e.member(t, "viewer", access.RoleViewer)
	_, err := e.acc.UpdateMember(ctx, e.asOwner, u.ID, access.MemberUpdate{Active: new(false)})
	require.NoError(t, err)
	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: u.Email, Role: access.RoleAdmin})
	require.NoError(t, err)
	assert.False(t, p.UserCreated)
	assert.Equal(t, access.RoleAdmin, p.Member.Role)
	assert.True(t, p.Member.Active, "provisioning reactivates")
	assert.True(t, p.Member.AllowSwitch)

	// Someone who exists but whom this company cannot see is not taken
	// without their consent.
	stranger := e.user(t, "stranger")
	_, err = e.tok.Provision(ctx, e.asOwner, token.Provision{Email: stranger.Email, Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrConsentRequired)
	_, err = e.st.GetMembership(ctx, e.company.ID, stranger.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)
}

func TestProvisionRules(t *testing.T) {
	e := newEnv(t)
	admin, asAdmin := e.member(t, "admin", access.RoleAdmin)
	_, viewer := e.member(t, "viewer", access.RoleViewer)
	other, _ := e.member(t, "admin2", access.RoleAdmin)
	low, _ := e.member(t, "low", access.RoleViewer)

	_, err := e.tok.Provision(ctx, viewer, token.Provision{Email: "x@example.com", Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrForbidden, "USER_ADD is needed")
	_, err = e.tok.Provision(ctx, asAdmin, token.Provision{Email: "x@example.com", Role: access.RoleOwner})
	assert.ErrorIs(t, err, access.ErrForbidden, "never above one's own level")
	_, err = e.tok.Provision(ctx, asAdmin, token.Provision{Email: other.Email, Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrForbidden, "only an OWNER changes an equal member")
	_, err = e.tok.Provision(ctx, asAdmin, token.Provision{Email: e.owner.Email, Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrForbidden)
	_, err = e.tok.Provision(ctx, asAdmin, token.Provision{Email: low.Email, Role: access.RoleAdmin})
	assert.NoError(t, err, "an ADMIN manages a lower member, up to ADMIN")
	_, err = e.tok.Provision(ctx, asAdmin, token.Provision{Email: admin.Email, Role: access.RoleAdmin})
	assert.NoError(t, err, "a login link for oneself")
	_, err = e.tok.Provision(ctx, e.asOwner, token.Provision{Email: e.owner.Email, Role: access.RoleAdmin})
	assert.ErrorIs(t, err, access.ErrLastOwner)
	stranger := e.user(t, "stranger")
	_, err = e.tok.Provision(ctx, access.UserPrincipal(stranger.ID, e.company.ID), token.Provision{Email: "y@example.com", Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrNotFound)
	_, err = e.tok.Provision(ctx, access.UserPrincipal(e.owner.ID, uuid.New()), token.Provision{Email: "y@example.com", Role: access.RoleViewer})
	assert.ErrorIs(t, err, access.ErrNotFound)

	// A token holding USER_ADD provisions within its own ceiling (seed
	// 000's partner API key).
	c := e.create(t, e.asOwner, token.NewToken{Role: access.RoleAdmin})
	tp, err := e.tok.Verify(ctx, c.Secret.Reveal())
	require.NoError(t, err)
	_, err = e.tok.Provision(ctx, tp, token.Provision{Email: "z@example.com", Role: access.RoleOwner})
	assert.ErrorIs(t, err, access.ErrForbidden)
	_, err = e.tok.Provision(ctx, tp, token.Provision{Email: "z@example.com", Role: access.RoleAdmin})
	assert.NoError(t, err)

	// The system provisions in the company its principal names.
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company.ID}
	prov, err := e.tok.Provision(ctx, sys, token.Provision{Email: "sys@example.com", Role: access.RoleOwner})
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, prov.Member.CreatedBy)
	_, err = e.tok.Provision(ctx, access.SystemPrincipal(), token.Provision{Email: "sys@example.com", Role: access.RoleOwner})
	assert.ErrorIs(t, err, access.ErrNotFound, "no company named")

	// Bad input names its field and changes nothing.
	for field, in := range map[string]token.Provision{
		"email": {Email: "nope", Role: access.RoleViewer},
		"role":  {Email: "w@example.com", Role: "EMPEROR"},
	} {
		_, err := e.tok.Provision(ctx, e.asOwner, in)
		assert.ErrorIs(t, err, access.ErrInvalid)
		assert.Equal(t, field, access.FieldOf(err))
	}
	_, err = e.acc.GetUserByEmail(ctx, access.SystemPrincipal(), "w@example.com")
	assert.ErrorIs(t, err, access.ErrNotFound)
}

func TestProvisionIsOneTransaction(t *testing.T) {
	e := newEnv(t)
	// The last-owner rule fails after the user lookup and the membership
	// change: nothing of it remains, no link either.
	_, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: e.owner.Email, Role: access.RoleViewer})
	require.ErrorIs(t, err, access.ErrLastOwner)
	m, err := e.acc.GetMember(ctx, e.asOwner, e.owner.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleOwner, m.Role)
	_, err = e.acc.GetUserByEmail(ctx, access.SystemPrincipal(), "late@example.com")
	assert.ErrorIs(t, err, access.ErrNotFound)
}

func TestLoginLinkExpiry(t *testing.T) {
	e := newEnv(t, token.WithLoginLinkTTL(time.Minute))
	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	e.clock.Advance(time.Minute) // now == expires_at
	_, err = e.tok.RedeemLoginLink(ctx, linkSecret(t, p))
	assert.ErrorIs(t, err, token.ErrLinkExpired)
	assert.Equal(t, access.CodeLinkExpired, access.CodeOf(err))

	p, err = e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	e.clock.Advance(time.Minute - time.Microsecond)
	_, err = e.tok.RedeemLoginLink(ctx, linkSecret(t, p))
	assert.NoError(t, err)
}

func TestReissueInvalidatesEarlierLinks(t *testing.T) {
	e := newEnv(t)
	first, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	second, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	_, err = e.tok.RedeemLoginLink(ctx, linkSecret(t, first))
	assert.ErrorIs(t, err, token.ErrLinkRevoked)
	_, err = e.tok.RedeemLoginLink(ctx, linkSecret(t, second))
	assert.NoError(t, err)
}

func TestLoginLinkRefusals(t *testing.T) {
	e := newEnv(t)
	for _, s := range []string{"", token.Generate(token.KindLoginLink).Reveal(), token.Generate(token.KindAPI).Reveal()} {
		_, err := e.tok.RedeemLoginLink(ctx, s)
		assert.ErrorIs(t, err, token.ErrInvalidLink)
		assert.ErrorIs(t, err, access.ErrUnauthenticated)
	}
	// A member deactivated after the link was issued cannot use it; the
	// link stays unused.
	u, _ := e.member(t, "m", access.RoleViewer)
	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: u.Email, Role: access.RoleViewer})
	require.NoError(t, err)
	_, err = e.acc.UpdateMember(ctx, e.asOwner, u.ID, access.MemberUpdate{Active: new(false)})
	require.NoError(t, err)
	_, err = e.tok.RedeemLoginLink(ctx, linkSecret(t, p))
	assert.ErrorIs(t, err, token.ErrInvalidLink)
	_, err = e.acc.UpdateMember(ctx, e.asOwner, u.ID, access.MemberUpdate{Active: new(true)})
	require.NoError(t, err)
	_, err = e.tok.RedeemLoginLink(ctx, linkSecret(t, p))
	assert.NoError(t, err)
	// A login link's secret is no API or session token.
	_, err = e.tok.Verify(ctx, linkSecret(t, p))
	assert.ErrorIs(t, err, token.ErrInvalidToken)
}

func TestConcurrentRedemption(t *testing.T) {
	e := newEnv(t)
	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	s := linkSecret(t, p)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.tok.RedeemLoginLinkSession(ctx, s)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			assert.ErrorIs(t, err, token.ErrLinkUsed)
		}
	}
	assert.Equal(t, 1, ok)
}

func TestSessions(t *testing.T) {
	e := newEnv(t, token.WithSessionTTL(time.Hour))
	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "a@example.com", Role: access.RoleAdmin})
	require.NoError(t, err)
	login, err := e.tok.RedeemLoginLinkSession(ctx, linkSecret(t, p))
	require.NoError(t, err)
	require.NotNil(t, login.Session)
	s := login.Session.Secret.Reveal()
	require.NoError(t, e.tok.Format().Parse(s, token.KindSession))
	assert.Equal(t, token.KindSession, login.Session.Token.Kind)
	assert.Equal(t, e.clock.Now().Add(time.Hour), login.Session.Token.ExpiresAt)

	pr, err := e.tok.Verify(ctx, s)
	require.NoError(t, err)
	want := access.UserPrincipal(login.User.ID, e.company.ID)
	want.SessionID, want.SessionHome, want.SessionConfined = login.Session.Token.ID, e.company.ID, true
	assert.Equal(t, want, pr, "the principal names its session, provisioned by the owner: confined")
	assert.Equal(t, token.OriginProvisioned, login.Origin)
	assert.NoError(t, e.acc.Check(ctx, pr, access.UserAdd))

	// A company the session creates is its own; one its user creates
	// otherwise is not. The user's own switch elsewhere does not move
	// this session.
	c2, err := e.tok.CreateCompany(ctx, pr, access.NewCompany{Name: "Second"})
	require.NoError(t, err)
	c3, err := e.acc.CreateCompany(ctx, access.UserPrincipal(login.User.ID, uuid.Nil), access.NewCompany{Name: "Third"})
	require.NoError(t, err)
	_, err = e.acc.SwitchCompany(ctx, access.UserPrincipal(login.User.ID, uuid.Nil), access.SwitchTarget{CompanyID: c2.ID})
	require.NoError(t, err)
	pr, err = e.tok.Verify(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, e.company.ID, pr.CompanyID)
	assert.Equal(t, []uuid.UUID{c2.ID}, pr.SessionCompanies)
	_, err = e.tok.SwitchSession(ctx, s, access.SwitchTarget{CompanyID: c3.ID})
	assert.ErrorIs(t, err, access.ErrNotFound, "a company the session did not create is not its own")
	var amb *access.AmbiguousError
	_, err = e.tok.SwitchSession(ctx, s, access.SwitchTarget{Name: "third"})
	require.ErrorAs(t, err, &amb)
	assert.NotContains(t, amb.Candidates, "Third", "nor a candidate by name")

	// Switching through the session moves it.
	c, err := e.tok.SwitchSession(ctx, s, access.SwitchTarget{Name: "second"})
	require.NoError(t, err)
	assert.Equal(t, c2.ID, c.ID)
	pr, err = e.tok.Verify(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, c2.ID, pr.CompanyID)
	_, err = e.tok.SwitchSession(ctx, s, access.SwitchTarget{CompanyID: uuid.New()})
	assert.ErrorIs(t, err, access.ErrNotFound, "only companies of the user")

	// Switching the verified principal moves its session back, and only it.
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company.ID}
	p2, err := e.tok.Provision(ctx, sys, token.Provision{Email: login.User.Email, Role: access.RoleAdmin})
	require.NoError(t, err)
	other, err := e.tok.RedeemLoginLinkSession(ctx, linkSecret(t, p2))
	require.NoError(t, err)
	pr, err = e.tok.Verify(ctx, s)
	require.NoError(t, err)
	c, err = e.tok.SwitchCompany(ctx, pr, access.SwitchTarget{CompanyID: e.company.ID})
	require.NoError(t, err)
	assert.Equal(t, e.company.ID, c.ID)
	pr, err = e.tok.Verify(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, e.company.ID, pr.CompanyID, "the session moved")
	_, err = e.tok.SwitchCompany(ctx, pr, access.SwitchTarget{CompanyID: c2.ID})
	require.NoError(t, err)
	op, err := e.tok.Verify(ctx, other.Session.Secret.Reveal())
	require.NoError(t, err)
	assert.Equal(t, e.company.ID, op.CompanyID, "the user's other session stays")
	_, err = e.tok.SwitchSession(ctx, typo(s), access.SwitchTarget{CompanyID: c2.ID})
	assert.ErrorIs(t, err, token.ErrInvalidToken)

	// A session is no API token, and an API token's text is no session.
	_, err = e.tok.Get(ctx, e.asOwner, login.Session.Token.ID)
	assert.ErrorIs(t, err, access.ErrNotFound)

	// Expiry, then logout.
	e.clock.Advance(time.Hour)
	_, err = e.tok.Verify(ctx, s)
	assert.Equal(t, token.ReasonExpired, token.ReasonOf(err))

	// a@ now belongs to a company of their own: a new user for the rest.
	login, err = e.tok.RedeemLoginLinkSession(ctx, linkSecret(t, mustProvision(t, e, "a2@example.com")))
	require.NoError(t, err)
	s = login.Session.Secret.Reveal()
	_, err = e.tok.Verify(ctx, s)
	require.NoError(t, err)
	require.NoError(t, e.tok.Logout(ctx, s))
	_, err = e.tok.Verify(ctx, s)
	assert.Equal(t, token.ReasonRevoked, token.ReasonOf(err), "logout is effective at once")
	assert.ErrorIs(t, e.tok.Logout(ctx, s), token.ErrInvalidToken)
	assert.ErrorIs(t, e.tok.Logout(ctx, token.Generate(token.KindSession).Reveal()), token.ErrInvalidToken)
}

func mustProvision(t *testing.T, e *env, email string) token.Provisioned {
	t.Helper()
	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: email, Role: access.RoleViewer})
	require.NoError(t, err)
	return p
}

// TestProvisionNeverHandsOutAStrangersLink: a company may provision any
// e-mail, but a login link for a user who belongs to other companies would
// let it sign in as them, so it gets none.
func TestProvisionNeverHandsOutAStrangersLink(t *testing.T) {
	e := newEnv(t)
	// A member here who also belongs to a company of their own.
	victim, _ := e.member(t, "victim", access.RoleViewer)
	_, err := e.acc.CreateCompany(ctx, access.UserPrincipal(victim.ID, uuid.Nil), access.NewCompany{Name: "Victim Inc"})
	require.NoError(t, err)

	_, err = e.tok.Provision(ctx, e.asOwner, token.Provision{Email: victim.Email, Role: access.RoleAdmin})
	assert.ErrorIs(t, err, access.ErrForbidden)
	assert.Equal(t, access.CodeUserHasOtherCompanies, access.CodeOf(err))
	m, err := e.st.GetMembership(ctx, e.company.ID, victim.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleViewer, m.Role, "the refusal changed nothing")

	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: victim.Email, Role: access.RoleAdmin, NoLink: true})
	require.NoError(t, err, "granting the access without a link is fine")
	assert.Empty(t, p.LoginURL.Reveal())
	assert.Equal(t, victim.ID, p.Member.UserID)

	// A user who belongs only here still gets a link, and so does the system.
	_, err = e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "local@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	p, err = e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "local@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	assert.NotEmpty(t, p.LoginURL.Reveal())
	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company.ID}
	p, err = e.tok.Provision(ctx, sys, token.Provision{Email: victim.Email, Role: access.RoleAdmin})
	require.NoError(t, err)
	assert.NotEmpty(t, p.LoginURL.Reveal())
}

// TestLinkForACompanylessUserReachesOnlyItsCompany: a partner provisions a
// new user and keeps the link; the user then makes a company of their own.
// The link's session acts only in the partner's company, never in the
// user's, and cannot switch there.
func TestLinkForACompanylessUserReachesOnlyItsCompany(t *testing.T) {
	e := newEnv(t)
	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "later@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	victim := p.Member.User
	own, err := e.acc.CreateCompany(ctx, access.UserPrincipal(victim.ID, uuid.Nil), access.NewCompany{Name: "Mine"})
	require.NoError(t, err)
	_, err = e.acc.SwitchCompany(ctx, access.UserPrincipal(victim.ID, uuid.Nil), access.SwitchTarget{CompanyID: own.ID})
	require.NoError(t, err)

	login, err := e.tok.RedeemLoginLinkSession(ctx, linkSecret(t, p))
	require.NoError(t, err)
	pr, err := e.tok.Verify(ctx, login.Session.Secret.Reveal())
	require.NoError(t, err)
	assert.Equal(t, e.company.ID, pr.CompanyID)
	assert.NotEqual(t, own.ID, pr.CompanyID, "the session never reaches the victim's own company")
	_, err = e.tok.SwitchCompany(ctx, pr, access.SwitchTarget{CompanyID: own.ID})
	assert.ErrorIs(t, err, access.ErrNotFound, "nor switches there")
}

func TestOriginCodes(t *testing.T) {
	for _, o := range []token.Origin{token.OriginProvisioned, token.OriginSignIn} {
		assert.Equal(t, o, token.OriginOf(o.String()), o.String())
	}
	assert.Equal(t, "", token.Origin(0).String())
	assert.Equal(t, "", token.Origin(200).String())
	assert.Zero(t, token.OriginOf(""), "none")
	assert.Zero(t, token.OriginOf("admin"), "an unknown code is none: confined")
}

// TestSessionOriginFollowsWhoAskedForTheLink: a link the owner asked for
// mints a confined session, one the host issued a signed-in one; the audit
// event says which.
func TestSessionOriginFollowsWhoAskedForTheLink(t *testing.T) {
	e := newEnv(t)
	p, err := e.tok.Provision(ctx, e.asOwner, token.Provision{Email: "o@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	login, err := e.tok.RedeemLoginLinkSession(ctx, linkSecret(t, p))
	require.NoError(t, err)
	assert.Equal(t, token.OriginProvisioned, login.Session.Token.Origin)
	assert.Equal(t, e.company.ID, login.Session.Token.HomeID)

	sys := access.Principal{Kind: access.PrincipalSystem, CompanyID: e.company.ID}
	p, err = e.tok.Provision(ctx, sys, token.Provision{Email: "o@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	login, err = e.tok.RedeemLoginLink(ctx, linkSecret(t, p))
	require.NoError(t, err)
	assert.Equal(t, token.OriginSignIn, login.Origin, "told to a host that starts its own session")
	assert.Nil(t, login.Session)

	var origins []string
	for _, ev := range *e.events {
		if ev.Action == "session.created" {
			origins = append(origins, ev.Details["origin"])
		}
	}
	assert.Equal(t, []string{"provisioned"}, origins)
}
