package invite

import (
	"context"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
	"github.com/google/uuid"
)

// Store is what the invite Service needs from storage: its own table, the
// invitations, and the shared transaction (RunInTx, as access.Store
// declares it). Users, memberships, grants and connections are read and
// changed only through access.Service. Invitations are stored with their stored
// Status; expiry is the Service's business, computed from ExpiresAt.
//
// Unless a method says otherwise, ErrNotFound (code "invitation_not_found")
// when the invitation does not exist, and any other error for storage
// failures.
type Store interface {
	RunInTx(ctx context.Context, fn func(ctx context.Context) error) error

	// CreateInvitation inserts inv. ErrConflict with code
	// "invitation_pending" (ErrInvitationPending) when the company already
	// has an invitation of the same kind and Target for the e-mail whose
	// stored status is pending, expired or not; ErrNotFound (code "company_not_found") if
	// the company does not exist; ErrConflict if the token hash is taken.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// DeleteInvitationsTo deletes every invitation to the normalised
	// e-mail, of any kind and status, and returns those of companies that
	// still exist (so that their grants can go too). None is not an error.
	DeleteInvitationsTo(ctx context.Context, email string) ([]Invitation, error)
	// GetInvitation returns an invitation of the company. ErrNotFound if
	// none, also when it belongs to another company.
	GetInvitation(ctx context.Context, companyID, id uuid.UUID) (Invitation, error)
	// GetInvitationByHash returns the invitation whose token hash is hash.
	// ErrNotFound if none.
	GetInvitationByHash(ctx context.Context, hash token.Digest) (Invitation, error)
	// GetPendingInvitation returns the invitation of the company, kind,
	// e-mail and target (Invitation.Target) whose stored status is pending
	// (it may have expired). ErrNotFound if none.
	GetPendingInvitation(ctx context.Context, companyID uuid.UUID, kind Kind, email, target string) (Invitation, error)
	// ClaimInvitation applies t as one conditional write: only if the
	// stored status is t.From and, unless t.To is StatusExpired, the
	// invitation has not expired at t.At (ExpiresAt > t.At). Of concurrent
	// claims of one invitation exactly one succeeds. ErrConflict with
	// code "invitation_not_pending" (ErrNotPending) when the condition
	// fails; ErrNotFound if none.
	ClaimInvitation(ctx context.Context, t Transition) error
	// RotateInvitation gives an invitation a new token hash and expiry,
	// increments its send count and sets its last send time, only if its
	// stored status is still r.From (StatusPending when empty) and its
	// last send time is still r.PrevSentAt (so of two concurrent resends
	// one wins). From StatusExpired it reopens the invitation: pending
	// again, ClosedAt cleared. ErrConflict (ErrNotPending) when the
	// condition fails; ErrConflict (ErrInvitationPending) when reopening
	// would give the company a second pending invitation of the kind,
	// e-mail and target; ErrNotFound if none.
	RotateInvitation(ctx context.Context, r Rotation) error
	// RefreshInvitation stores Role, Permissions, Relation, TargetName,
	// TargetID, InvitedBy, InvitedByToken, ExpiresAt and UpdatedAt of inv,
	// only if its stored status is pending. inv's Target is the stored
	// one's (the service refreshes only the invitation of its target). ErrConflict
	// (ErrNotPending) when it is not; ErrNotFound if none.
	RefreshInvitation(ctx context.Context, inv *Invitation) error
	// ListPendingInvitations lists the company's pending invitations that
	// have not expired at now (ExpiresAt > now), of kind (all kinds when
	// ""), ordered by ID after the cursor.
	ListPendingInvitations(ctx context.Context, companyID uuid.UUID, kind Kind, now time.Time, c access.Cursor) ([]Invitation, error)
	// ListPendingByEmail lists the pending invitations of every company
	// to a normalised e-mail that have not expired at now, ordered by ID
	// after the cursor.
	ListPendingByEmail(ctx context.Context, email string, now time.Time, c access.Cursor) ([]Invitation, error)
	// ListInvitations lists the company's invitations that pass q, in any
	// status, ordered by ID after the cursor.
	ListInvitations(ctx context.Context, companyID uuid.UUID, q Query, c access.Cursor) ([]Invitation, error)

	// RecordSend appends s to the company's send log, only if fewer than
	// l.Company sends of s.CompanyID, and (unless s.InviterID is uuid.Nil)
	// fewer than l.Inviter sends of s.InviterID in that company, are
	// logged after l.Since; a limit <= 0 is no limit. The count and
	// the append are one step for every process sharing the store (under
	// the company's lock until the transaction in ctx ends), so exactly
	// the limit succeeds. Refused, it appends nothing and returns the
	// SentAt of the logged send whose leaving the window makes room (the
	// oldest that counts); recorded, the zero time. It may prune sends
	// logged at or before l.Since. ErrNotFound (code "company_not_found") if the
	// company does not exist.
	RecordSend(ctx context.Context, s Send, l SendLimits) (time.Time, error)
}

// Query is the store-level invitation filter (Store.ListInvitations).
type Query struct {
	Kind Kind // "" for both kinds
	// Status is the status at Now, as Invitation.StatusAt computes it
	// (StatusPending: stored pending and ExpiresAt > Now; StatusExpired:
	// stored expired, or stored pending and ExpiresAt <= Now); "" for
	// all.
	Status Status
	Now    time.Time
}

// Matches reports whether inv passes q: the definition both stores follow.
func (q Query) Matches(inv Invitation) bool {
	return (q.Kind == "" || inv.Kind == q.Kind) && (q.Status == "" || inv.StatusAt(q.Now) == q.Status)
}

// Send is one invitation sent (created, refreshed or resent), as the hourly
// limits count it (see Store.RecordSend).
type Send struct {
	CompanyID    uuid.UUID
	InviterID    uuid.UUID // the inviting user (an API token's creator)
	InvitationID uuid.UUID
	SentAt       time.Time
}

// SendLimits are the bounds Store.RecordSend checks.
type SendLimits struct {
	Since   time.Time // the window's start: sends at or before it do not count
	Company int       // per company; <= 0: none
	Inviter int       // per inviter in the company; <= 0: none
}

// Transition is one conditional status change (see Store.ClaimInvitation).
type Transition struct {
	ID   uuid.UUID
	From Status
	To   Status
	At   time.Time // stored as ClosedAt and UpdatedAt
	// UserID, TargetID and ConnectionID record the outcome of an
	// acceptance; uuid.Nil leaves the stored value.
	UserID       uuid.UUID
	TargetID     uuid.UUID
	ConnectionID uuid.UUID
}

// Rotation is a resend's change (see Store.RotateInvitation).
type Rotation struct {
	ID         uuid.UUID
	From       Status // the stored status it must have: StatusPending ("") or StatusExpired
	PrevSentAt time.Time
	TokenHash  token.Digest
	ExpiresAt  time.Time
	SentAt     time.Time // the new LastSentAt, also UpdatedAt
}
