package httpadapter

import (
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/token"
)

// The management family's session routes: the calling user's own sessions
// (token.Service.ListSessions, RevokeSession, EndSessions,
// SignOutEverywhere) and an admin's revocation of a member's sessions in
// the caller's company (token.Service.RevokeMemberSessions). No response
// holds a session's secret or digest.

type (
	mgmtClient struct {
		UserAgent string `json:"user_agent,omitempty" doc:"the User-Agent the host recorded at sign-in"`
		IP        string `json:"ip,omitempty" doc:"the client address the host recorded at sign-in"`
	}
	mgmtSession struct {
		ID         uuid.UUID  `json:"id"`
		CompanyID  uuid.UUID  `json:"company_id,omitzero" doc:"the company the session acts in; absent for a session in no company yet"`
		HomeID     uuid.UUID  `json:"home_company_id,omitzero" doc:"the company it was minted in"`
		Origin     string     `json:"origin" enum:"signin,provisioned" doc:"signin: the user signed in (it follows their memberships); provisioned: from a login link someone else asked for (confined to its own companies)"`
		Hint       string     `json:"hint" doc:"a non-secret reminder of the session token"`
		Current    bool       `json:"current" doc:"the session this request came with"`
		Client     mgmtClient `json:"client" doc:"what the host chose to record of the client when the session was minted; empty when it recorded nothing"`
		CreatedAt  time.Time  `json:"created_at"`
		LastUsedAt time.Time  `json:"last_used_at,omitzero" doc:"recorded at most once a minute; absent before the first use"`
		ExpiresAt  time.Time  `json:"expires_at,omitzero"`
		RevokedAt  time.Time  `json:"revoked_at,omitzero" doc:"set once revoked"`
	}
	mgmtSessions struct {
		Sessions   []mgmtSession `json:"sessions" doc:"the caller's live sessions, by id"`
		NextCursor string        `json:"next_cursor,omitempty" doc:"pass as cursor for the next page; absent on the last"`
	}
	mgmtRevokeAll struct {
		KeepCurrent bool `json:"keep_current" doc:"keep the session this request came with (default false: sign out everywhere, this session included)"`
	}
	mgmtRevoked struct {
		Revoked int `json:"revoked" doc:"how many sessions ended"`
	}
	mgmtMemberRevoked struct {
		UserID  uuid.UUID `json:"user_id"`
		Revoked int       `json:"revoked" doc:"how many of the member's sessions acting in the company ended"`
	}
)

// mountSessions mounts the session routes; the management family's mount
// calls it.
func (h *Handler) mountSessions() {
	const fam = Management
	add(h, op{method: "GET", path: "/access/sessions", fam: fam, summary: "List the caller's sessions",
		description: "The calling user's live sessions in every company, with where each acts, its origin, when it was created, last used and expires, and the client the host recorded at sign-in; current marks the asking one. " +
			"Never a secret. A user's own (an API token has none: 403).",
		query: pageParams}, h.mgmtSessions)
	add(h, op{method: "POST", path: "/access/sessions/{session_id}/revoke", fam: fam, summary: "Revoke one of the caller's sessions",
		description: "Ends it on the very next request; it may be the asking one. Another user's session is 404, as an unknown one; revoking a revoked session changes nothing."}, h.mgmtRevokeSession)
	add(h, op{method: "POST", path: "/access/sessions/revoke-all", fam: fam, summary: "Sign out everywhere",
		description: "Ends every session of the calling user, the asking one too unless keep_current is true. API tokens stay."}, h.mgmtRevokeAll)
	add(h, op{method: "POST", path: "/access/users/{user_id}/sessions/revoke", fam: fam, summary: "Revoke a member's sessions in the company",
		description: "Needs USER_DELETE; only an OWNER ends those of a member at or above their own level (a user may end their own, the asking one kept). " +
			"Ends the member's sessions acting in the caller's company; those acting elsewhere stay. A user who is not a member is 404."}, h.mgmtRevokeMemberSessions)
}

func (h *Handler) mgmtSessionOf(x *exchange, t token.Token) mgmtSession {
	return mgmtSession{ID: t.ID, CompanyID: t.CompanyID, HomeID: t.HomeID, Origin: originCode(t.Origin), Hint: t.Hint,
		Current: x.p.SessionID == t.ID, Client: mgmtClient{UserAgent: t.Client.UserAgent, IP: t.Client.IP},
		CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
}

// originCode is a session's origin as the document enumerates it: one
// without a recorded origin is confined, as a provisioned one is.
func originCode(o token.Origin) string {
	if o == token.OriginSignIn {
		return o.String()
	}
	return token.OriginProvisioned.String()
}

func (h *Handler) mgmtSessions(x *exchange, _ *noBody) (managed[mgmtSessions], error) {
	pr, err := h.pageRequest(x)
	if err != nil {
		return managed[mgmtSessions]{}, err
	}
	page, err := h.svc.Token.ListSessions(x.ctx(), x.p, x.p.UserID, pr)
	if err != nil {
		return managed[mgmtSessions]{}, err
	}
	out := mgmtSessions{Sessions: make([]mgmtSession, len(page.Items)), NextCursor: page.Next}
	for i, t := range page.Items {
		out.Sessions[i] = h.mgmtSessionOf(x, t)
	}
	return ok(out)
}

func (h *Handler) mgmtRevokeSession(x *exchange, _ *noBody) (managed[mgmtSession], error) {
	sid, err := pathID(x, "session_id")
	if err != nil {
		return managed[mgmtSession]{}, err
	}
	t, err := h.svc.Token.RevokeSession(x.ctx(), x.p, x.p.UserID, sid)
	if err != nil {
		return managed[mgmtSession]{}, err
	}
	return ok(h.mgmtSessionOf(x, t))
}

func (h *Handler) mgmtRevokeAll(x *exchange, in *mgmtRevokeAll) (managed[mgmtRevoked], error) {
	end := h.svc.Token.SignOutEverywhere
	if in.KeepCurrent {
		end = h.svc.Token.EndSessions
	}
	n, err := end(x.ctx(), x.p, x.p.UserID)
	if err != nil {
		return managed[mgmtRevoked]{}, err
	}
	return ok(mgmtRevoked{Revoked: n})
}

func (h *Handler) mgmtRevokeMemberSessions(x *exchange, _ *noBody) (managed[mgmtMemberRevoked], error) {
	uid, err := pathID(x, "user_id")
	if err != nil {
		return managed[mgmtMemberRevoked]{}, err
	}
	n, err := h.svc.Token.RevokeMemberSessions(x.ctx(), x.p, uid)
	if err != nil {
		return managed[mgmtMemberRevoked]{}, err
	}
	return ok(mgmtMemberRevoked{UserID: uid, Revoked: n})
}
