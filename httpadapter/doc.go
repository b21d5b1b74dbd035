// Package httpadapter serves the four documented route families of
// gatehouse (see shared/seeds) from one http.Handler, backed by the
// access, invite and token services:
//
//	st := memstore.New()
//	acc := access.NewService(st)
//	tok := token.NewService(acc, token.WithNotifier(mailer), // provisioning's notices
//		token.WithLoginURL("https://api.example.com"+httpadapter.LoginPath))
//	inv := invite.NewService(tok, invite.WithNotifier(mailer)) // invitations' notices
//	h := httpadapter.New(httpadapter.Services{Access: acc, Invite: inv, Token: tok})
//	mux.Handle("/", h) // behind the host's own middleware
//
// The adapter holds no business rule and opens no transaction: each route
// decodes, makes one service call with the caller's access.Principal, and
// encodes. Authorization, the rank rules, the last OWNER, tenant isolation,
// the links and the notices live in the services. Most routes first resolve
// the company the request names with access.Service.FindCompany (see
// "Choosing the company" below).
//
// # Routes
//
// Go's ServeMux patterns, no router. {…} are UUIDs unless noted. Auth: T is
// a token (Authorization: Bearer or Api-Token), "-" none, "opt" optional.
//
//	method path                                                    auth  service call
//	Partner (seed 000): company by ?merchant_id= (external key, else ID) or ?domain_id=
//	GET    /portal/instance/access/users                           T     access.ListMembersNumbered (page, per_page)
//	POST   /portal/instance/access/users                           T     invite.Grant (token.Provision with Notify, or an invitation)
//	POST   /portal/instance/access/users/provision                 T     token.Provision (answers login_url)
//	GET    /portal/instance/access/users/{userId}                  T     access.GetMember
//	PUT    /portal/instance/access/users/{userId}                  T     access.UpdateMember
//	DELETE /portal/instance/access/users/{userId}                  T     access.RemoveMember
//	GET    /portal/instance/access/login?token=                    -     none: an HTML confirmation page
//	POST   /portal/instance/access/login?token=                    -     token.RedeemLoginLinkSession
//	V1 (seed 001): /companies/{company_id}/… act in that company
//	POST   /api/v1/users/{user_id}/user_access                     T     access.AddMember (by user ID, with Primary)
//	GET    /api/v1/users/{user_id}/user_access                     T     access.GetUser + ListMyCompanies | GetMember
//	PUT    /api/v1/users/{user_id}/user_access                     T     access.UpdateMember
//	DELETE /api/v1/users/{user_id}/user_access/{id}                T     access.RemoveMembership
//	GET    /api/v1/accesses                                        T     access.Roles (catalog and company roles)
//	GET    /api/v1/accesses/{id}                                   T     access.GetRole
//	POST   /api/v1/companies                                       T     token.CreateCompany
//	GET    /api/v1/companies                                       T     access.ListMyCompanies
//	GET    /api/v1/companies/{company_id}                          T     access.GetCompany
//	GET    /api/v1/companies/{company_id}/users                    T     access.ListMembers
//	GET    /api/v1/companies/{company_id}/invitations              T     invite.ListPending
//	POST   /api/v1/companies/{company_id}/invitations              T     invite.Invite
//	DELETE /api/v1/companies/{company_id}/invitations/{id}         T     invite.Revoke
//	GET    /api/v1/invitations/code/{code}                         -     invite.Preview ({code} is the token)
//	GET    /api/v1/invitations?email=                              T     invite.ListForEmail
//	POST   /api/v1/users                                           -     access.SignUp (only with WithPublicSignUp)
//	GET    /api/v1/users?email=                                    T     access.GetUserByEmail (one item or none)
//	GET    /api/v1/users                                           T     access.ListUsers
//	GET    /api/v1/users/{user_id}                                 T     access.GetUser
//	PUT    /api/v1/users/{user_id}                                 T     access.UpdateUser
//	POST   /api/v1/users/login                                     -     token.Login
//	POST   /api/v1/users/logout                                    T     token.LogoutPrincipal (the calling session)
//	POST   /api/v1/users/password/reset                            -     token.RequestPasswordReset (always 202)
//	PUT    /api/v1/users/password/reset                            -     token.CompletePasswordReset
//	PUT    /api/v1/users/password                                  T     token.ChangePassword
//	POST   /api/v1/users/validate_token                            -     token.Introspect
//	Accounts (seed 002): {account_id} is the company
//	GET    /api/accounts                                           T     access.ListAccounts
//	GET    /api/accounts/{account_id}/account_accesses             T     access.ListAccountAccesses
//	DELETE /api/accounts/{account_id}/account_accesses/{account_access_id}
//	                                                               T     access.RemoveAccountAccess
//	PUT    /api/accounts/{account_id}/account_accesses/{account_access_id}/permissions/bulk
//	                                                               T     access.UpdateAccessPermissions
//	GET    /api/accounts/{account_id}/permissions/resources        T     access.ListAccountResources
//	GET    /api/accounts/{account_id}/api_tokens                   T     token.DescribeList
//	POST   /api/accounts/{account_id}/api_tokens                   T     token.Create
//	GET    /api/accounts/{account_id}/api_tokens/{api_token_id}    T     token.Describe
//	DELETE /api/accounts/{account_id}/api_tokens/{api_token_id}    T     token.Revoke (204)
//	POST   /api/accounts/{account_id}/api_tokens/{api_token_id}/reset
//	                                                               T     token.Reset
//	Management (seed 003): the caller's company (a token's own, a session's current one)
//	GET    /access                                                 T     access.ListMembers
//	POST   /access/add                                             T     invite.Add (access.AddMember, or an invitation)
//	POST   /access/delete                                          T     access.RemoveMember
//	POST   /access/edit                                            T     access.UpdateMember
//	GET    /access/roles                                           T     access.Roles (marked by origin)
//	POST   /access/roles                                           T     access.CreateRole (a company role)
//	POST   /access/roles/{role_id}/edit                            T     access.UpdateRole
//	POST   /access/roles/{role_id}/delete                          T     access.DeleteRole (replacement moves its holders)
//	POST   /access/invite                                          T     invite.InviteCompany
//	GET    /access/invite?status=&kind=                            T     invite.Inbox (sent: pending, a status, or any)
//	POST   /access/invite/accept                                   opt   invite.Accept (any invitation)
//	POST   /access/invite/{invitation_id}/reject                   opt   invite.RejectByID (with token) | invite.Revoke
//	POST   /access/invite/{invitation_id}/resend                   T     invite.Resend (pending or expired)
//	GET    /access/invite/{connection_id}/agency-roles             T     invite.GetConnection
//	POST   /access/invite/{connection_id}/agency-roles/edit        T     invite.UpdateAgencyPermissions
//	POST   /access/add-api-token                                   T     token.Create
//	GET    /access/audit?actor=&action=&target=&outcome=&since=&until=
//	                                                               T     access.QueryAudit (ADMIN or above)
//	POST   /access/switch-company                                  T     token.SwitchCompany (moves the calling session)
//	GET    /access/connections                                     T     access.ListConnections (both sides)
//	GET    /access/connections/{connection_id}                     T     access.GetConnection
//	POST   /access/connections/{connection_id}/remove              T     access.RemoveConnection (either side)
//	GET    /access/sessions                                        T     token.ListSessions (the caller's own, live)
//	POST   /access/sessions/{session_id}/revoke                    T     token.RevokeSession (one of the caller's)
//	POST   /access/sessions/revoke-all                             T     token.SignOutEverywhere | EndSessions (keep_current)
//	POST   /access/users/{user_id}/sessions/revoke                 T     token.RevokeMemberSessions (USER_DELETE, rank rule)
//	GET    /access/company                                         T     access.GetCompany (the caller's company)
//	POST   /access/company/edit                                    T     access.UpdateCompany (OWNER or ADMIN)
//	POST   /access/company/leave                                   T     access.LeaveCompany (the calling user; not the last OWNER)
//	POST   /access/company/transfer-ownership                      T     access.TransferOwnership (OWNER, to an active member)
//	POST   /access/company/delete                                  T     access.DeleteCompany (OWNER; everything of it goes)
//	POST   /access/account/disable                                 T     access.DisableUser (the calling user themself)
//	POST   /access/account/erase                                   T     access.EraseUser (the calling user; not a last OWNER)
//	GET    /openapi.json                                           -     the OpenAPI 3.1 document of the mounted routes
//
// # Envelopes, statuses, errors
//
// Each family keeps its seed's envelope: partner {"result": …} (lists add
// {"meta": {current_page, next_page, prev_page}}); v1 {"user_access": …},
// {"companies": […], "meta": {"next_cursor"}} and the like; accounts bare
// objects and arrays; management {"status": "success", "message": "OK",
// "data": …}. Errors: partner and v1 {"error": {"code", "message",
// "field"}}; accounts {"error": "…", "code"} and, for 403, {"errors": "…",
// "code"} as seed 002 shows; management {"status": "error", "message",
// "data": {"code", "message", "field"}}.
//
// One table (kinds in errors.go) maps error kinds to statuses: invalid
// input 400 (422 in the v1 family, as seed 001 lists, and for an expiry
// in the past in the accounts family: familyCodes), unauthenticated 401
// (with WWW-Authenticate), forbidden 403, not found 404 (also for another
// tenant's IDs: the services make them indistinguishable), conflict 409
// (last owner, duplicates, a used invitation, a resend within the
// cooldown), a used, expired or replaced login link 410, too many
// invitations sent within the hour (invite.WithHourlyLimits; code
// rate_limited) 429 with Retry-After. A used, expired or replaced password
// reset link is 410 too, and a throttled sign-in (*access.ThrottledError,
// code login_throttled) 429 with Retry-After (both 429s also say
// retry_after, in seconds, in the error body). Anything else is a
// 500 whose body says only "internal error"; the cause, with the route
// pattern and never the URL, goes to the host's *slog.Logger (WithLogger);
// a panic is one too. An error of a kind without a code of its own shows the
// kind's code (invalid_input, unauthenticated, forbidden). Success is 200,
// and 201 for the v1 creations and 204 for the v1 deletions.
//
// Under each mounted family's prefix (/portal/instance/access, /api/v1,
// /api/accounts, /access) what no route serves answers in the family's
// error envelope, not as ServeMux's text/plain: a path no route has 404
// (code route_not_found), a method the path's routes do not take 405
// (method_not_allowed) with Allow (HEAD comes with GET). Paths outside the
// mounted families are the host's.
//
// # The OpenAPI document
//
// GET /openapi.json is an OpenAPI 3.1 document generated from the mounted
// routes and the Go types they decode and encode, meant for standard
// validators and generators: every response is keyed by its status;
// limit, page and per_page are integers with their ranges; the headers
// clients act on are documented (Link on the listings that page with it,
// WWW-Authenticate on every 401, Retry-After on 429); HTML answers (the
// login link's page, and its 400 page for a link without its token) are
// text/html; the top-level tags list names the families (and "openapi",
// the tag of the document's own operation, which it describes too). The
// 404 and 405 above answer no operation and are not in it. The adapter's
// tests validate the document (libopenapi-validator's document
// validation) and every response they see against it.
//
// Bodies are JSON only (415 otherwise), at most WithMaxBodyBytes (413),
// one object without unknown fields or trailing data (400 naming the field
// when there is one). A path ID that is not a UUID in its canonical
// 8-4-4-4-12 form is 400. All of this is checked before any service call,
// so a refused request changes nothing.
//
// # Authentication
//
// TokenAuthenticator is the default: an API or session token in
// Authorization: Bearer or Api-Token (two different ones are refused),
// verified with token.Service.Verify, or a principal a host middleware put
// in the context with access.WithPrincipal. WithAuthenticator plugs the
// host's own session lookup; an authenticator may never hand out the
// system principal (the adapter answers 500 and logs it). A session
// token's principal names its session (Principal.SessionID), so POST
// /access/switch-company moves that session along; a host's own principals
// switch through access alone.
// A host records the client of the sessions its users sign in with
// (GET /access/sessions lists it) by wrapping the handler to put a
// token.ClientInfo in the request's context (token.WithClientInfo): the
// adapter never guesses a client address behind the host's proxies.
//
// # Login links
//
// The token service builds login links (token.WithLoginURL, default
// relative "/login"): a host serving this handler at base sets
// token.WithLoginURL(base + httpadapter.LoginPath), so the links in
// provisioning's login_url and in the token.Granted notices open this
// handler's page. login_url is the token service's link as is. A GET of
// LoginPath has no side effect (mail scanners follow links): it answers a
// small HTML page whose form, without an action, POSTs to the same URL. The
// POST redeems the link once and answers {"session_token", "user_id",
// "company_id", "expires_at"}; a second POST, or one after expiry, is 410.
// Both send Referrer-Policy: no-referrer and Cache-Control: no-store. The
// adapter never logs a URL; a host's request log should record LogPath(r)
// (the matched route pattern), never r.URL: login links and
// /api/v1/invitations/code/{code} carry secrets.
//
// # Users and passwords
//
// Seed 001's Users group (see the route table; the sign-in routes are
// mounted when Services.Token is given: a host with sessions of its own
// may leave it out). Every rule is access's or token's: the passwords'
// policy and hashing, the throttle, the equal answers, which sessions a
// change ends.
//
//   - Creating a user is the system's decision. WithPublicSignUp(true)
//     mounts POST /api/v1/users for anyone, without credentials (sent ones
//     are ignored): email and password (both required), names and
//     profile. The account belongs to no company (its login acts in none;
//     it may create a company or accept an invitation), through
//     access.Service.SignUp (a password is required), the host having
//     opted in. Without
//     the option the route is not mounted (POST answers 405 and the
//     document does not list it): an Authenticator never hands out the
//     system principal, so no HTTP caller is trusted enough, and the host
//     creates users from Go (access.Service.CreateUser as the system). A
//     taken e-mail is 409 email_taken: sign-up, unlike login and reset,
//     tells whether an address has an account.
//   - POST /api/v1/users/login {email, password} answers {session_token,
//     token_type "Bearer", expires_at, user, company}: a session token as
//     a login link's, acting in the user's active company (company null
//     for a user of none). Wrong credentials, an unknown e-mail, a user
//     without a password and a disabled one are one 401
//     invalid_credentials with one body; too many failures of an account
//     are 429 login_throttled with Retry-After, even for the right
//     password. The throttle counts per account; a host adds a per-client
//     limit with access.WithLoginHook (a *access.ThrottledError it returns
//     is a 429 too).
//   - POST /api/v1/users/logout ends the session the request carries
//     (204). A request through an API token or a host's own principal
//     carries none: 401 invalid_token.
//   - POST /api/v1/users/password/reset {email} is 202 with one body for
//     every well-formed e-mail; the link goes only to the host's notifier
//     (token.PasswordReset; token.WithResetURL names the host's page,
//     which PUTs it back). PUT /api/v1/users/password/reset {token,
//     new_password} sets the password and ends every session of the user
//     (204); the link works once (410 after, and when expired or
//     replaced), an unknown one is 401 invalid_link, a refused password
//     422 naming new_password, which leaves the link usable. PUT
//     /api/v1/users/password {current_password, new_password} is a
//     signed-in user's own change (a wrong current password is 422
//     wrong_password, throttled as logins are), ending their other
//     sessions; an API token's is 403.
//   - "Validate JWT": gatehouse issues no JWTs (its tokens are opaque, so
//     a revocation takes effect at once). POST
//     /api/v1/users/validate_token {token} is RFC 7662 introspection in
//     JSON: {active, kind (api or session), user_id, company_id, token_id,
//     permissions and level (an API token's own ceiling; a session has
//     none, it acts with its user's membership), expires_at and exp
//     (absent: never)}. A token that does not work, for whatever reason,
//     is 200 {"active": false} and nothing else. It takes no credentials
//     of its own: the token asked about is the credential, and guessing a
//     256-bit secret is hopeless.
//   - Passwords never appear in a response, an error or a log line; the
//     validation errors name the field (password, new_password,
//     current_password), never the value.
//   - The unauthenticated routes (sign-up, login, reset) take no limit
//     per client of their own: a host limits them per address in its
//     middleware (or, for login, with access.WithLoginHook).
//
// # Consent
//
// No one joins a company without their consent unless the caller can
// already see them (access.Service.SeesUser): a member of the company acted
// in, the caller itself, or a user with whom the caller's own user shares
// a company where it is an active member with USER_VIEW; an API token sees
// only the members of its own company; the system sees everyone. POST
// /access/add and the partner grant take such a user at once. Any other
// e-mail, whether nobody registered it or it belongs to another company's
// user (or to a user of no company), gets an invitation, and the answer is
// the same for both: 200, outcome "invited", the e-mail, the offered role
// and the invitation, never a name or ID of an existing account; neither
// becomes a member, so the listings do not tell them apart either. The
// person joins by accepting (POST /access/invite/accept, or the host's
// own page calling invite.Service.Accept: the link is invite.WithAcceptURL's;
// a host mounting the partner family alone serves that page itself). The
// partner grant therefore creates no account for a new e-mail: the account
// is made when its owner accepts. The one route that still tells an
// existing account from a new e-mail is provisioning (POST
// /portal/instance/access/users/provision), which creates the users it
// does not find and refuses the ones it may not take with 403
// consent_required: the documented price of just-in-time links. Routes
// naming a user by ID (v1 user_access, the partner's GET, PUT and DELETE,
// /access/edit and /access/delete) answer a user who is not the caller's
// to see exactly as an unknown ID (404).
//
// # Seed decisions and deviations
//
//   - Reach (seeds 000 and 003): a connection (customer = merchant, agency
//     = partner) lets the agency act in the customer. An agency user acts
//     there with the connection's permissions ∩ what their own agency
//     membership holds (role + extra − withheld), while an active member
//     of the agency in an agency role (ADMIN or above); an API token of
//     the agency with the connection's permissions ∩ its own ∩ its
//     creator's agency membership, while its creator is such a member
//     since before the token was made (access.Principal.TokenCompanyID
//     keeps the token's own company; CompanyID is where it acts). A user
//     in several agencies connected to one customer acts through one
//     connection per check (access.AccessFacts says which), never mixing
//     one agency's connection with another's membership. Only its own company's connection
//     counts: never a membership its creator holds in the customer, never
//     another agency of its creator, never a second level. Narrowing or
//     removing a connection, or the agency membership, takes effect on
//     the next request. The agency
//     acts at ADMIN rank: it grants ADMIN at most (a partner's OWNER grant
//     is 403) and manages members below OWNER, never the company itself,
//     its connections, its audit trail or resource levels (seed 002 routes
//     answer 404 to an agency). It makes no tokens of the customer (403):
//     its own tokens reach the customer. merchant_id and domain_id (and
//     every company a request names) resolve among the companies the
//     caller may act in, own or connected; any other is 404 exactly as an
//     unknown one. Every event an agency writes in its customer names the
//     principal (actor) and details agency_id and connection_id.
//   - /access/switch-company matches by ID or name (exact, then fuzzy) among
//     the caller's own companies and the customers connected to its
//     agencies where it has no membership of its own.
//   - Connections: GET /access/connections lists both sides, each item with
//     "side" (customer or agency); a member of either side with USER_VIEW
//     reads, with USER_DELETE and ADMIN removes. Memberships an agency
//     created in the customer are ordinary memberships: they stay when the
//     connection goes.
//   - A parent company (parent_company_id) has no reach into its children:
//     its members and tokens get 404 there. To act in a child, connect it.
//   - IDs are UUID strings everywhere, where seeds 001 and 002 show
//     integers; resource IDs of seed 002 are the host's strings.
//   - Choosing the company: seed 000 by merchant_id (access.CompanyRef's
//     Merchant: the external key, else the company ID) or domain_id, never
//     both; seed 001's
//     /companies/{company_id}/… in that company, user_access POST and PUT in
//     the body's company_id, GET and DELETE of another user in ?company_id=
//     or the caller's company; seed 002 by {account_id}; seed 003 in the
//     caller's company. Every company a request names is resolved with
//     access.Service.FindCompany (GetCompany for GET /api/v1/companies/{id}),
//     so an API token acts only in its own company and the customers
//     connected to it, even when its creator belongs to another one; the
//     nil UUID is 404.
//   - Seed 000: roles in requests are OWNER or ADMIN (400 otherwise);
//     listings show other roles as they are. Pages are numbered (page from
//     1, per_page 1 to access.MaxPageLimit), one offset query in the store;
//     a page may start at most access.MaxPageOffset (10,000) members in,
//     deeper is 400 naming page (the cursor listings of the other families
//     reach every member). next_page and prev_page are absent at the ends;
//     a page past the end is empty. Grant is invite.Grant (see "Consent"
//     above): for a user the caller can already see it is token.Provision
//     with Notify, which gives the role (changing an existing member's
//     under the rank rules, and setting access_switch true) and sends a
//     token.Granted event through the token Notifier (token.WithNotifier)
//     after the commit, with a login link unless the user belongs to other
//     companies (they sign in on their own): outcome "granted". Any other
//     e-mail is invited: outcome "invited". The response never carries a
//     link. Provision answers the link as login_url; for a user of other
//     companies it is 403, consent_required when the caller cannot see
//     them, user_has_other_companies when it can. PUT answers the updated
//     access, DELETE {"result": {}}.
//   - Seed 001, designed from the endpoint names: the access catalogue is
//     the role catalogue (id, name, code); company "default" is true for the
//     company the caller acts in; company users are users with their
//     user_access_id, access, primary and is_active; invitations live under
//     /companies/{company_id}/invitations (list, create with email and
//     access_id, DELETE withdraws), by code at /invitations/code/{code}
//     without authentication, by e-mail at /invitations?email=. Lists are
//     paged with limit and cursor, the next cursor in meta.next_cursor.
//     Creating a user_access names the user by ID: access adds them only
//     for a caller that can see them (see "Consent"; else 404, as an
//     unknown user). "primary" can be set only by the user themself
//     (403 otherwise, also on creation). DELETE of a user_access without
//     company_id acts as the caller: their own membership in any of their
//     companies (leaving), another user's in the caller's company.
//   - Seed 001's Users group, designed from its endpoint names (see
//     "Users and passwords" below for signing in): a user is the
//     user_access's user object, {"user": …} alone, {"users": […],
//     "meta": {"next_cursor"}} in lists. GET /api/v1/users?email= is a
//     filter of the listing: the user with that e-mail when access shows
//     them to the caller (themself, or a user of the company acted in with
//     USER_VIEW), else an empty list, the same for an unknown e-mail and
//     for a user the caller cannot see, so addresses cannot be probed; a
//     malformed e-mail is 422. GET /api/v1/users without email is
//     access.ListUsers as the caller: with USER_VIEW the users of its
//     company's members, in keyset pages, else only itself. GET
//     and PUT of /api/v1/users/{user_id} answer a user the caller may not
//     see exactly as an unknown ID (404); PUT (access.UpdateUser) changes
//     the caller's own profile (first_name, last_name, lang, theme,
//     currency, birthdate; absent fields stay), or, for a caller with
//     USER_EDIT who outranks the member in its company, that member's
//     names only (anything else 403); never the e-mail.
//     Avatars (seed 001's upload and remove) are media storage, not
//     access control: out of scope, no route; avatar_route shows what
//     the host stored (access.UserUpdate.AvatarURL, from Go).
//   - Seed 002, as Mailtrap's public API and SDKs use it: an account access
//     is one specifier's access to the account (access.AccountAccess), not
//     a grant. A member's is their membership (its id is the membership's,
//     seed 001's user_access id; the specifier's id is the user's), a
//     pending member invitation's is the invitation, an API token's the
//     token (revoked and expired ones are none). "resources" lists every
//     permission: {"resource_type": "account", "resource_id": the account's
//     id, "access_level": the role's level (an invitation's offered role, a
//     token's own level)} first, then each resource grant in the order it
//     was made; permissions are access.DerivePermissions of the account
//     level. A member never holds a grant on the account (their role is
//     that access; access.Grant refuses it). The list shows User and
//     Invite specifiers, as the seed says; specifier_types (User, Invite,
//     ApiToken; repeated, [] or comma-separated) chooses others. Resource
//     filters keep the accesses holding a grant on one of the resources
//     (an ADMIN of the account reaches every resource through the role
//     but is listed by a filter only with a grant of its own there);
//     project_ids, inbox_ids, and domain_ids or domain_uuids (the name
//     Mailtrap's SDKs send) for sending_domain resources. Pages: limit and
//     cursor, ordered by ID across the kinds, the next page in a Link
//     header (rel="next"), as the body is a bare array. The ApiToken
//     specifier's "token" is the non-secret hint, never the secret;
//     two_factor_authentication_enabled is false. Every route needs ADMIN
//     or above on the account (the seed's "admin/owner permissions").
//   - DELETE of a User access removes the membership with its grants (the
//     rank rules; the last active OWNER is 409 last_owner), of an Invite
//     withdraws it, of an ApiToken revokes it, each with its grants;
//     answers {"id"}. An ID that is no standing access is 404.
//   - PUT .../permissions/bulk takes {"permissions": [{resource_type,
//     resource_id, access_level, _destroy}]}, as Mailtrap's Node SDK 4.10
//     sends it, and also the camelCase resourceType, resourceId and
//     accessLevel that its earlier releases sent; resource_id and access_level as strings or numbers, _destroy
//     as a boolean or "true"/"false". access_level is 1000, 100, 50, 10 or
//     owner, admin, viewer_plus, viewer, and is required unless _destroy
//     (400 naming permissions[i].access_level: the Node SDK before 4.10
//     dropped _destroy unless the caller passed both _destroy and
//     destroy). All items or
//     none, in one transaction; each error names its item
//     (permissions[i].field, or "permissions[i]: " before a 403's
//     message). The account item of a User is their role (the built-in
//     role of that level; a host role of the same level stays), under
//     UpdateMember's rules; its resource_id must be the account's own id
//     (or empty); it cannot be destroyed (DELETE the access). An Invite's or
//     ApiToken's account level is fixed when it is made (400). Destroying
//     a permission not held changes nothing. Answers the updated access.
//   - GET /api/accounts: the accounts the caller can act in, its own
//     first: an API token its own account, a user every company where
//     they are an active member (a confined session: those in its scope);
//     then the customers it reaches through a connection: a token's those
//     connected to its company, a user's those connected to a company
//     where they are an active OWNER or ADMIN, unless they are a member
//     there (a confined session: through its own companies). Each
//     {"id", "name", "access_levels": [the caller's account level]}: its
//     level in its own accounts; in a reached customer the rank the
//     agency acts at, 100 (ADMIN), for a token at most its own level (the
//     rank access.Service.Authorize gives, which bounds what it may grant;
//     what it may do there is the connection's permissions). A reached
//     customer is listed to be acted in with seeds 000 and 003 (by
//     merchant_id, or switched into); its seed 002 routes stay 404 to the
//     agency, as said under Reach. GET .../permissions/resources: for an ADMIN or
//     OWNER of the account, the account node (named after the company)
//     holding every resource on which a grant is held; for others, the
//     resources they administer; each {"id", "name", "type",
//     "access_level" (the caller's), "resources"}. Gatehouse keeps no names
//     of a host's resources: "name" is the resource's id. Both are paged
//     as the list (limit, cursor, Link); the resources' cursor walks the
//     granted resources by type and id.
//   - Seed 002's API tokens, which the seed names nowhere, are what
//     Mailtrap's SDKs call (apiTokens.getList, create, get, reset,
//     delete; the tests replay their requests): a token is {"id", "name",
//     "last_4_digits", "created_by" (the e-mail of the member whose rights
//     cap it), "expires_at" (null: never), "resources", "permissions"};
//     "token", the secret, only in the answers of create and reset. Its
//     resources are its level on the account ({"resource_type":
//     "account", "resource_id": the account's id}, absent at level 0),
//     then its resource grants. Creating takes "resources" (the account
//     item sets the level, its resource_id must be the account's, any
//     other item is a grant made in the same transaction) and, as
//     gatehouse's own, "permissions" (TOKENS_MANAGE, USER_VIEW…). Without
//     resources and permissions the token gets its creator's current
//     rights (as seed 003's tokens "inherit"); "resources": [] asks for
//     none. expires_at absent or null never expires (Mailtrap's server
//     default is being changed to a year; ours stays none); a date that is
//     not in the future is 422 (code expiry_not_future), the only 422 of
//     the family: its other invalid input stays 400. Reset keeps the
//     token's id, rights, grants and the tokens it made, and replaces the
//     secret (the old one stops at once) and the expiry (absent or null:
//     never); a revoked or expired token, or one whose parent stopped, is
//     409, as is a reset that lost to a concurrent one (token_reset).
//     DELETE revokes (204, no body, as the SDK expects): the token stops on
//     the next request, with the tokens it made, and stays listed as
//     gatehouse lists revoked tokens. Listing pages with limit and cursor,
//     the next page in a Link header. A token manages tokens only with
//     TOKENS_MANAGE (token.ManageTokens), see package token.
//   - Seed 003: "roles" are permission codes (USER_VIEW…), as the seed
//     calls them; "role" is the membership's level role (default VIEWER
//     for /access/add). /access/add is invite.Add (see "Consent" above):
//     outcome "added" with the member, or "invited" with the invitation,
//     sent through the invitation Notifier. /access/invite creates company-to-company
//     invitations; /access/invite/accept takes any invitation's token and
//     says in data.kind whether it joined a person ("member") or connected
//     a company ("connection"). Rejecting from the invited side takes the
//     invitation's token in the body, which must be that invitation's (404
//     otherwise); without a token the inviting side withdraws it (401
//     without credentials). GET /access/invite
//     lists the pending invitations the company sent and, for a signed-in
//     user, those sent to their e-mail. Tokens, invitation codes and links
//     never appear in a response except the API token's secret, once, from
//     /access/add-api-token, and the partner provisioning's login_url.
//     /access/add-api-token with a name only gives the token its
//     creator's current rights (level and every permission; never
//     TOKENS_MANAGE, which is given explicitly), capped as ever; "roles":
//     [] asks for a token with no right of its own.
//   - Seed 003's /access/edit adds and removes what the member holds, not
//     only what was added on top of their role: remove_roles of a
//     permission the role grants withholds it (access.Membership.Withheld;
//     removing X_VIEW withholds what implies it), add_roles gives it back,
//     and "roles" in every answer (GET /access, /access/add, /access/edit)
//     is what the member holds (access.EffectiveOf of its role, a company
//     role too: access.Service.ResolveRoles), the set every
//     check grants from. A role and removals in one request apply in that
//     order; a new role is given whole (nothing withheld carries over). An
//     OWNER holds the role whole: withholding from one is 400.
//   - Seed 003's re-invitations: /access/add (and v1's invitation
//     creation) for an e-mail with a pending invitation refreshes it, and
//     /access/invite for the same e-mail and the same company (its ID, or
//     its name in any case) likewise, once the resend cooldown since its
//     last send has passed (2 days by default); before, 409
//     resend_too_soon with next_allowed_at, exactly as
//     /access/invite/{invitation_id}/resend answers, and nothing is sent.
//     /access/invite naming another company is a second invitation; the
//     pending one keeps its company. company_name is never looked up when
//     inviting: a name no company has is not 404 (that would tell any
//     inviter which names exist in other tenants); the invitee accepts
//     acting for a company of that name (403
//     invitation_company_mismatch otherwise), and one who has none creates
//     it (POST /api/v1/companies), switches to it and accepts.
//   - Seed 003 names no company routes: /access/company (GET reads the
//     caller's company; POST /access/company/edit, /leave,
//     /transfer-ownership {user_id} and /delete act on it) follow the
//     family's style, one verb per path as /access/add and /access/edit.
//     Edit takes name, external_key and domains, each optional (absent:
//     unchanged). Leaving is the calling user's own (an API token has no
//     membership to leave); the last OWNER transfers ownership or deletes
//     the company instead (409 last_owner).
package httpadapter
