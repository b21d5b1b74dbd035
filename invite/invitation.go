package invite

import (
	"github.com/gatehouse-go/gatehouse/token"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/google/uuid"
)

// Kind says what accepting an invitation does.
type Kind string

// Invitation kinds.
const (
	// KindMember makes the invited person a member of the company.
	KindMember Kind = "member"
	// KindConnection connects the invited person's company with the
	// inviting company.
	KindConnection Kind = "connection"
)

// Status is where an invitation is in its life. Pending is the only state
// that changes, and only once, into one of the others.
type Status string

// Invitation statuses.
const (
	StatusPending  Status = "pending"
	StatusAccepted Status = "accepted"
	StatusRejected Status = "rejected"
	StatusRevoked  Status = "revoked"
	StatusExpired  Status = "expired"
)

// Terminal reports whether s is a final state.
func (s Status) Terminal() bool { return s != StatusPending }

// Relation is what the invited company becomes in a connection.
type Relation string

// Relations.
const (
	// RelationAgency: a customer invites its agency, which will act in the
	// customer company.
	RelationAgency Relation = "agency"
	// RelationCustomer: an agency invites a customer, in which the agency
	// will act once the customer set its permissions.
	RelationCustomer Relation = "customer"
)

// Invitation is an offer to an e-mail address, bound server-side to the
// inviting company, the terms and the inviter. Nothing in it is read from
// the token.
type Invitation struct {
	ID        uuid.UUID
	CompanyID uuid.UUID // the inviting company
	Kind      Kind
	Email     string // normalised (access.NormalizeEmail)

	// Role and Permissions are the terms of a KindMember invitation: the
	// role and the extra permissions of the membership it creates.
	Role        string
	Permissions []string

	// Relation, TargetName and TargetID describe a KindConnection
	// invitation: what the invited company becomes, its name as the
	// inviter gave it, and its ID when the inviter gave one (always set
	// once accepted). Permissions then are the agency's initial
	// permissions in the customer company (only when the inviting company
	// is the customer).
	Relation   Relation
	TargetName string
	TargetID   uuid.UUID

	// InvitedBy is the inviting user (an API token's creator), uuid.Nil
	// when the system invited. Accepting re-checks this user's rights.
	InvitedBy uuid.UUID
	// InvitedByToken is the API token that invited, uuid.Nil otherwise.
	// Accepting re-checks it too: revoked or expired, it no longer
	// vouches for the invitation, and its ceiling still applies.
	InvitedByToken uuid.UUID

	// Status is the stored status as the store returns it; the Service
	// returns invitations with Status computed at read time (a pending
	// invitation past ExpiresAt is StatusExpired). See StatusAt.
	Status Status
	// TokenHash is the SHA-256 of the token. Only stores use it; the
	// Service never returns it.
	TokenHash token.Digest `json:"-"`
	ExpiresAt time.Time
	// SendCount counts the notifications with a link (the first one and
	// every resend); LastSentAt is the time of the latest.
	SendCount  int
	LastSentAt time.Time

	// UserID is the member an accepted KindMember invitation created (or
	// found); ConnectionID the connection an accepted KindConnection
	// invitation created.
	UserID       uuid.UUID
	ConnectionID uuid.UUID
	// ClosedAt is when the invitation left StatusPending by an explicit
	// change (zero while pending, and for one that merely expired).
	ClosedAt time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
}

// StatusAt is the invitation's status at now: the stored status, except
// that a pending invitation is expired from ExpiresAt on.
func (i Invitation) StatusAt(now time.Time) Status {
	if i.Status == StatusPending && !now.Before(i.ExpiresAt) {
		return StatusExpired
	}
	return i.Status
}

// Target is what the rule of one pending invitation per company, kind and
// e-mail also compares: for a KindConnection invitation the other company
// it names (its ID when given, else its name, case-insensitively, as
// accepting compares it), so inviting the same person to connect a
// different company is a second invitation, never a retargeted one; ""
// for KindMember. Stores key pending invitations on (CompanyID, Kind,
// Email, Target()) and store it as the invitation is created.
func (i Invitation) Target() string {
	switch {
	case i.Kind != KindConnection:
		return ""
	case i.TargetID != uuid.Nil:
		return "id:" + i.TargetID.String()
	}
	return "name:" + strings.ToLower(strings.TrimSpace(i.TargetName))
}

// clone returns a copy that shares no slice with i.
func (i Invitation) clone() Invitation {
	i.Permissions = slices.Clone(i.Permissions)
	return i
}

// public strips what the Service never hands out and computes the status.
func (i Invitation) public(now time.Time) Invitation {
	i = i.clone()
	i.TokenHash = token.Digest{}
	i.Status = i.StatusAt(now)
	return i
}

// Preview is the public view of an invitation for whoever holds its token
// (seed 001's "get invitation by code", no authentication): what it offers
// and from whom. It never holds the token nor anything about other
// invitations.
type Preview struct {
	ID          uuid.UUID
	Kind        Kind
	Status      Status
	Email       string
	CompanyName string
	Role        string   // KindMember
	Permissions []string // KindMember: extra permissions
	// CompanyID is the inviting company, which resolves a company role
	// (access.Service.ResolveRoles); the adapter does not show it.
	CompanyID   uuid.UUID
	Relation    Relation // KindConnection
	TargetName  string   // KindConnection
	InviterName string   // the inviter's full name, or e-mail when it has none; "" for the system
	ExpiresAt   time.Time
}

// NewInvitation is the input of Service.Invite.
type NewInvitation struct {
	Email       string
	Role        string
	Permissions []string
}

// NewConnectionInvitation is the input of Service.InviteCompany.
type NewConnectionInvitation struct {
	// Email is the address of the user of the other company who may
	// accept.
	Email string
	// Relation is what the other company becomes.
	Relation Relation
	// CompanyName names the other company; the accepting user must act
	// for a company of that name (case-insensitive).
	CompanyName string
	// CompanyID optionally pins the other company exactly.
	CompanyID uuid.UUID
	// Permissions are the agency's initial permissions in the inviting
	// company; only with RelationAgency, and never more than the inviter
	// holds.
	Permissions []string
}

// Issued is the result of creating or resending an invitation. Token is the
// plaintext secret, present only here and in the Notifier's event; it is
// empty when Invite returned an existing pending invitation (whose link,
// sent before, still works: use Resend for a new one).
type Issued struct {
	Invitation Invitation
	Token      token.Secret
	// URL is the accept link (WithAcceptURL plus the token), when a base
	// was configured and there is a token.
	URL token.Secret
	// Existing is true when Invite refreshed a pending invitation instead
	// of creating one.
	Existing bool
}

// Acceptance is the result of Accept.
type Acceptance struct {
	Invitation Invitation
	// UserID is the invited e-mail's user; NewUser says it was created by
	// this acceptance. Set for KindMember.
	UserID  uuid.UUID
	NewUser bool
	// CompanyID is the company the user joined (KindMember), or the
	// accepting company (KindConnection).
	CompanyID uuid.UUID
	// ConnectionID is the new connection (KindConnection).
	ConnectionID uuid.UUID
}

// ListFilter narrows List, ListPending and Inbox.
type ListFilter struct {
	Kind Kind // "" for both kinds
	// Status is the status at read time (Invitation.StatusAt) to list:
	// "" for StatusPending, AnyStatus for every status. ListPending
	// ignores it.
	Status Status
	Page   access.PageRequest
}

// AnyStatus in ListFilter.Status lists invitations in every status.
const AnyStatus Status = "any"
