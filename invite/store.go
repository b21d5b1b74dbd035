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
	// has an invitation of the same kind for the e-mail whose stored status
	// is pending, expired or not; ErrNotFound (code "company_not_found") if
	// the company does not exist; ErrConflict if the token hash is taken.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// GetInvitation returns an invitation of the company. ErrNotFound if
	// none, also when it belongs to another company.
	GetInvitation(ctx context.Context, companyID, id uuid.UUID) (Invitation, error)
	// GetInvitationByHash returns the invitation whose token hash is hash.
	// ErrNotFound if none.
	GetInvitationByHash(ctx context.Context, hash token.Digest) (Invitation, error)
	// GetPendingInvitation returns the invitation of the company, kind and
	// e-mail whose stored status is pending (it may have expired).
	// ErrNotFound if none.
	GetPendingInvitation(ctx context.Context, companyID uuid.UUID, kind Kind, email string) (Invitation, error)
	// ClaimInvitation applies t as one conditional write: only if the
	// stored status is t.From and, unless t.To is StatusExpired, the
	// invitation has not expired at t.At (ExpiresAt > t.At). Of concurrent
	// claims of one invitation exactly one succeeds. ErrConflict with
	// code "invitation_not_pending" (ErrNotPending) when the condition
	// fails; ErrNotFound if none.
	ClaimInvitation(ctx context.Context, t Transition) error
	// RotateInvitation gives a pending invitation a new token hash and
	// expiry, increments its send count and sets its last send time, only
	// if it is still pending and its last send time is still
	// r.PrevSentAt (so of two concurrent resends one wins). ErrConflict
	// (ErrNotPending) when the condition fails; ErrNotFound if none.
	RotateInvitation(ctx context.Context, r Rotation) error
	// RefreshInvitation stores Role, Permissions, Relation, TargetName,
	// TargetID, InvitedBy, InvitedByToken, ExpiresAt and UpdatedAt of inv,
	// only if its stored status is pending. ErrConflict
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
	PrevSentAt time.Time
	TokenHash  token.Digest
	ExpiresAt  time.Time
	SentAt     time.Time // the new LastSentAt, also UpdatedAt
}
