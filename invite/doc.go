// Package invite invites people into a company by e-mail and connects two
// companies (a customer and its agency), on top of package access.
//
// A Service is built on a token.Service, itself built on an access.Service,
// over one store that keeps all three packages' tables (store/memstore,
// store/bunstore) and shares their transactions:
//
//	acc := access.NewService(memstore.New())
//	tok := token.NewService(acc)
//	inv := invite.NewService(tok, invite.WithNotifier(myMailer)) // a token.Notifier
//	issued, err := inv.Invite(ctx, admin, invite.NewInvitation{Email: "bob@example.com", Role: access.RoleViewer})
//	// issued.Token is shown once, and handed to the Notifier for the e-mail.
//	res, err := inv.Accept(ctx, access.Principal{}, issued.Token.Reveal())
//
// Invitations are this package's; the users, memberships, grants and
// connections an accepted invitation makes are changed only through the
// access.Service's checked operations (AddMember, Connect), under its rules.
//
// The rules, each of which has a test:
//
//   - An invitation is created by a principal holding USER_ADD, never for a
//     role above the inviter's level or a permission the inviter lacks. An
//     existing member cannot be invited (ErrConflict, code
//     "already_member"); inviting an e-mail that already has a pending
//     invitation returns that one, refreshed (new terms, renewed expiry, a
//     new link: the old one stops working), never a second one: the store
//     allows one pending invitation per company, kind, e-mail and target
//     (Invitation.Target). Refreshing sends a link, so it waits for the
//     resend cooldown as Resend does (*ResendTooSoonError). A company
//     invitation naming another company than the pending one is a second
//     invitation, never a retargeted one. A company is named, never looked
//     up, when invited: a name no company has is not an error (a lookup
//     would tell any inviter which names exist elsewhere); the invitee
//     accepts acting for a company of that name, one they may create.
//   - No one joins without consent unless the caller can already see them
//     (access.Service.SeesUser: they share a company with the caller's own
//     user, or are a member of the company acted in; an API token sees
//     only its own company's members). Add (seed 003's add by e-mail) adds
//     such a user at once with access.Service.AddMember, and Grant (seed
//     000's grant) provisions them with token.Service.Provision and a
//     notice; everyone else, an e-mail nobody registered and the user of
//     other companies alike, is invited instead, with the same result for
//     both and nothing of an existing account in it. Accepting is the
//     consent: AddMember with Consented, under the inviter's authority.
//   - The token has 256 bits from crypto/rand; its plaintext is returned
//     once (Issued.Token) and handed to the Notifier; only its SHA-256 is
//     stored, looked up through a unique index and compared in constant
//     time. Preview shows what an invitation offers to whoever holds the
//     token, and nothing else.
//   - States: pending, then exactly one of accepted, rejected, revoked or
//     expired. Expiry is computed at read time from ExpiresAt with the
//     access Service's clock (now >= ExpiresAt is expired). Every other
//     transition is a *StateError.
//   - Accept runs in one transaction: it claims the invitation with a
//     conditional write (so of two concurrent accepts exactly one
//     succeeds), re-checks that the inviter may still grant the role,
//     creates the user if the e-mail is new, creates the membership, and
//     moves the grants the invitation held to the new member. The
//     membership always goes to the invited e-mail's user: a signed-in
//     user with another e-mail gets ErrEmailMismatch and the invitation
//     stays pending.
//   - Resend works on a pending invitation only, after a cooldown (2 days
//     by default) since the last send; it rotates the token (the old link
//     dies) and renews the expiry. Too early is a *ResendTooSoonError that
//     says when it becomes possible.
//   - A company invites another one (InviteCompany) naming the relation,
//     the other company's name and the e-mail of a user there. That user,
//     signed in and acting for that company with at least ADMIN, accepts
//     and the two companies are connected (one connection per pair). The
//     customer side sets what the agency may do in it (agency
//     permissions); the agency's ADMINs act in the customer company with
//     at most those, until access.Service.RemoveConnection.
//   - Every change writes an audit event (never a secret) in its
//     transaction; the Notifier hears of every status change after the
//     transaction committed, never from inside it.
package invite
