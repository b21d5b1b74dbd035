// Package token holds the secrets of gatehouse: API tokens of a company,
// session tokens of a user, one-time magic login links (with seed 000's
// just-in-time provisioning), and the one format every secret shares,
// invitations included.
//
// # Format
//
// Every secret is
//
//	<product>_<kind>_<random><checksum>
//
// where:
//
//   - product is 2 to 16 lower-case letters and digits, starting with a
//     letter, naming the product to whoever finds a leaked secret (default
//     "gate", host-configurable with WithPrefix or NewFormat);
//   - kind is "api" (API token), "ses" (session token), "inv" (member
//     invitation), "cnx" (company-to-company invitation), "lnk" (login
//     link) or "rst" (password reset link), and a secret of one kind never
//     works as another;
//   - random is 43 characters of [0-9A-Za-z] drawn uniformly from
//     crypto/rand: 43·log2(62) ≈ 256.03 bits;
//   - checksum is the CRC-32 (IEEE) of everything before it, as 6 base62
//     characters (most significant first, zero-padded with "0").
//
// So an API token is "gate_api_" and 49 characters, 58 in all. (The
// default product is not a prefix that secret scanners already attribute
// to another vendor, as "gate_" would be GitHub's.)
// A mistyped or truncated secret fails the checksum and is refused without
// touching the store; secret scanners find leaked ones with
//
//	\bgate_(?:api|ses|inv|cnx|lnk|rst)_[0-9A-Za-z]{49}\b
//
// (Format.Pattern gives it for another product). Stores keep only the
// SHA-256 of the whole secret (Hash), looked up through a unique index and
// compared with crypto/subtle, plus a non-secret Hint ("gate_api_…x9Zq") for
// listings. The plaintext leaves the library once, in the result of the
// call that made it, as a Secret: a type that prints and encodes as
// "[REDACTED]" everywhere and yields its text only through Reveal.
//
// Generate, Parse and Hash are exported for the invitation package, which
// issues its secrets in the same format; Service.Format returns the Format
// of the host's prefix, whose Generate and Parse use it.
//
// # API tokens
//
// Service.Create makes a token of a company with a name, an optional expiry
// and a role, a level and permissions that never exceed what its creator
// holds. Service.Verify turns a token into the access.Principal the
// services accept: access.TokenPrincipal for an API token, whose rights the
// authorizer caps on every check by its creator's current membership (a
// demoted, deactivated or removed creator shrinks or stops the token at
// once). Tokens are subjects of resource grants (access.SubjectToken, seed
// 002's ApiToken). Revocation and expiry take effect on the very next
// request; the last use is recorded at most once a minute per token.
// With a name only (no role, permissions, level or grants) a token gets
// its creator's current rights; NewToken.Bare asks for none.
//
// A token manages tokens only with ManageTokens, a permission no role
// implies: it then lists, creates, resets (Service.Reset: a new secret,
// the same token) and revokes tokens as its creator could, never creates
// one above itself, and the tokens it creates record it in their
// Ancestors: Verify refuses them as soon as any ancestor is revoked,
// expired or gone, and caps their level and permissions by what the
// ancestors hold now. Checking at verification rather than revoking in
// cascade is exact under concurrency without locks: a child committed
// while its parent was being revoked stops on its next request all the
// same, and expiry needs no event at all.
//
// # Login links and sessions
//
// Service.Provision (access.Service.ProvisionMember, then a link) creates
// the user and the membership if needed and issues a login link (default
// lifetime 10 minutes), invalidating earlier unused links of that user for
// that company. RedeemLoginLink consumes a link exactly once, even under
// concurrent redemption, and returns the user, the company and the link's
// Origin; RedeemLoginLinkSession also mints a session token (default
// lifetime 12 hours) that acts as the user in the link's company, and
// moves only when switched through itself (SwitchSession, SwitchCompany):
// the user's other sessions stay where they are.
//
// # Where a session reaches
//
// Whoever holds a session token acts as its user, and the one who asked
// for its login link need not be that user: a partner that provisions a
// new e-mail can redeem the link itself and keep the session. So a session
// records where it came from (Token.Origin, HomeID, Companies) and reaches
// accordingly (access.Service.SwitchCompany holds the rule; Verify hands
// the scope over in the Principal):
//
//   - A provisioned session (OriginProvisioned: its link was issued by a
//     user or an API token of a company) is confined to its own
//     companies, the link's (its home) and those created through it
//     (Service.CreateCompany), and to the customers connected to them as
//     agency (where its user is an active member of the agency in an
//     agency role). It never reaches a company its user joined later
//     through others, nor one they joined before, nor a connected customer
//     where its user has a membership of their own. Switching there
//     answers exactly as switching into an unknown company: ErrNotFound
//     (CodeCompanyNotFound), and a name lists no such company among its
//     candidates. A company its user creates otherwise
//     (access.Service.CreateCompany directly, another session) is not
//     this session's.
//   - A signed-in session (OriginSignIn: its link was issued by the host,
//     the system principal, the way a host signs its own user in) follows
//     the user's memberships and reach, as the user does.
//   - A membership with switching disallowed (seed 000's access_switch:
//     false, Provision.NoSwitch) holds both ways: no session switches into
//     it, and a session minted for it (or acting in it) does not switch
//     out, whatever the target (ErrForbidden, the same for every target).
//
// A session with no recorded origin (one minted before origins were
// recorded) is treated as provisioned: the rule fails closed. A host that
// starts its own session from RedeemLoginLink should confine it likewise
// when Login.Origin is OriginProvisioned.
//
// # Passwords, resets and introspection
//
// Service.Login checks an e-mail and a password with
// access.Service.Authenticate (argon2id, the same answer and cost for an
// unknown e-mail, a per-account throttle; the password rules all live in
// access) and mints a session as a redeemed link does, of origin
// OriginSignIn: the user signed themself in, so it follows their
// memberships. It acts in the user's active company, else their primary
// one, else the first; a user in no company gets a session in none, from
// which they may create one.
//
// Service.RequestPasswordReset answers alike for every well-formed
// e-mail; for an active user's it issues a reset link (kind "rst", stored
// as its digest among the login links, no company, 30 minutes by default:
// WithResetTTL, WithResetURL), which ends the user's earlier open ones,
// and hands it to the Notifier only (a PasswordReset event).
// Service.CompletePasswordReset consumes the link exactly once and sets the
// password (access.Service.SetPassword as the system) in one transaction.
// Whenever a password is set (a reset, Service.ChangePassword, the host's
// own SetPassword), every session of its user ends in the same
// transaction, but the one that asked for it when the user changed their
// own, and so do their open reset links.
//
// Service.Introspect tells whether a bearer credential works now and
// whose it is (RFC 7662's answer: Active false for anything that does
// not verify), with the cost of Verify. Service.LogoutPrincipal ends the
// session of a request.
//
// # A user's sessions
//
// Service.ListSessions lists a user's live sessions (keyset pages by ID)
// with where each acts, its origin, its times and the ClientInfo the host
// recorded when it was minted: a host puts one in the context of Login or
// RedeemLoginLinkSession with WithClientInfo (a printable user agent and
// an IP address, cleaned and bounded; never a secret). No secret or digest
// leaves the service. Service.RevokeSession ends one of them by ID,
// EndSessions all but the asking one, SignOutEverywhere all; each is the
// user's own (or the system's). Service.RevokeMemberSessions lets an admin
// with USER_DELETE who outranks the member (access.Actor.CanManage) end
// the member's sessions acting in the admin's company; the ones acting
// elsewhere stay. A session acts with its user's current membership on
// every check, so a removed or deactivated membership stops every session
// acting in that company at once, without revoking any.
//
// # Wiring and notices
//
// token.NewService(acc) takes acc's store, which must implement Store
// (both stores do); invite.NewService takes the token Service in turn. One
// Notifier type (Notifier, with NopNotifier, NotifierFunc and LogNotifier)
// serves the whole library: it hears invite.Event, Granted and
// PasswordReset.
//
// Every change writes an audit event in its transaction; none holds a
// secret.
package token
