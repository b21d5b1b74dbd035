package access

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Store is what the access Service needs from storage. store.Store is the
// union of this and the other domain packages' Store interfaces;
// store/memstore and store/bunstore implement it, and store/storetest is the
// conformance suite they both pass.
//
// Transactions: RunInTx runs fn in one transaction and hands it a context
// that carries the transaction; every method called with that context joins
// it. fn's error is returned unchanged after rollback; nil commits. A
// RunInTx inside fn (called with fn's context) is a savepoint: its failure
// rolls back only its own work.
//
// Listings take a Cursor and return at most c.Limit rows whose ID is greater
// than c.After, ordered by ID. The services always pass 0 < c.Limit <=
// MaxPageLimit+1.
//
// Unless a method says otherwise, errors are: ErrNotFound (wrapped in a
// *Error) when the row does not exist, ErrConflict when a unique rule is
// broken, and any other error for storage failures.
type Store interface {
	RunInTx(ctx context.Context, fn func(ctx context.Context) error) error
	CompanyRoleStore // company_role.go

	// CreateUser inserts u. ErrConflict (code "email_taken") if the e-mail
	// is taken.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user. ErrNotFound if none.
	GetUser(ctx context.Context, id uuid.UUID) (User, error)
	// GetUsers returns the users among ids that exist, in ID order, in
	// one read whatever their number; an unknown ID is left out.
	GetUsers(ctx context.Context, ids []uuid.UUID) ([]User, error)
	// GetUserByEmail looks up a normalised e-mail. ErrNotFound if none.
	GetUserByEmail(ctx context.Context, email string) (User, error)
	// UpdateUser stores every field of u but ID, Email and CreatedAt.
	// ErrNotFound if none.
	UpdateUser(ctx context.Context, u *User) error
	// ListUsers lists all users.
	ListUsers(ctx context.Context, c Cursor) ([]User, error)
	// DeleteUser removes the user with their memberships, every grant
	// they hold as a user, their credentials, and what the other
	// packages' stores keep of them by user (tokens, sessions, login and
	// reset links, as PostgreSQL's cascades do). References to them kept
	// as history (created_by, invited_by) stay. ErrNotFound if none.
	DeleteUser(ctx context.Context, id uuid.UUID) error

	// Credentials (password hashes and sign-in throttles) are kept apart
	// from users: no read of users returns them, and only these three
	// methods touch them.
	//
	// GetCredentials returns the user's credentials. ErrNotFound (code
	// "credentials_not_found") if the user has none or does not exist.
	GetCredentials(ctx context.Context, userID uuid.UUID) (Credentials, error)
	// LockCredentials is GetCredentials holding the write lock of the
	// user's credentials until the transaction in ctx ends, also while
	// the user has none yet, so that reading the throttle, deciding and
	// writing it back is exact under concurrent sign-ins across
	// processes. Must be called inside RunInTx. ErrNotFound (code
	// "user_not_found") if the user does not exist, (code
	// "credentials_not_found") if they have no credentials: the lock is
	// held all the same.
	LockCredentials(ctx context.Context, userID uuid.UUID) (Credentials, error)
	// PutCredentials stores c as the credentials of c.UserID, replacing
	// any. ErrNotFound (code "user_not_found") if the user does not exist.
	PutCredentials(ctx context.Context, c *Credentials) error

	// CreateCompany inserts c. ErrConflict if its external key or a domain
	// is taken.
	CreateCompany(ctx context.Context, c *Company) error
	// GetCompany returns the company. ErrNotFound if none.
	GetCompany(ctx context.Context, id uuid.UUID) (Company, error)
	// GetCompanyByExternalKey returns the company. ErrNotFound if none.
	GetCompanyByExternalKey(ctx context.Context, key string) (Company, error)
	// GetCompanyByDomain returns the company owning a lower-case domain.
	// ErrNotFound if none.
	GetCompanyByDomain(ctx context.Context, domain string) (Company, error)
	// UpdateCompany stores Name, ParentID, ExternalKey, Domains, UpdatedAt.
	// ErrNotFound if none; ErrConflict as CreateCompany.
	UpdateCompany(ctx context.Context, c *Company) error
	// DeleteCompany removes the company with its memberships, grants and
	// connections (and the rows of the other packages' stores that belong
	// to it), and clears the active company of users acting in it.
	// ErrNotFound if none.
	DeleteCompany(ctx context.Context, id uuid.UUID) error
	// LockCompany takes the company's write lock until the transaction in
	// ctx ends, serialising rules that span its memberships (the last
	// OWNER). Must be called inside RunInTx. ErrNotFound if none.
	LockCompany(ctx context.Context, id uuid.UUID) error
	// LockUser takes the user's write lock until the transaction in ctx
	// ends: no membership or other row that refers to the user can be
	// added meanwhile (erasing a user reads their memberships under it).
	// Must be called inside RunInTx. ErrNotFound if none.
	LockUser(ctx context.Context, id uuid.UUID) error

	// CreateMembership inserts m. ErrConflict (code "already_member") if
	// the user already has a membership in the company, (code
	// "primary_taken") if m is primary and the user has a primary one;
	// ErrNotFound if the user or company does not exist.
	CreateMembership(ctx context.Context, m *Membership) error
	// GetMembership returns the user's membership in the company.
	// ErrNotFound if none.
	GetMembership(ctx context.Context, companyID, userID uuid.UUID) (Membership, error)
	// GetMembershipByID returns the membership with that ID in the
	// company. ErrNotFound (CodeMembershipNotFound) if none, also when it
	// belongs to another company.
	GetMembershipByID(ctx context.Context, companyID, id uuid.UUID) (Membership, error)
	// UpdateMembership stores Role, Extra, Withheld, Active, Primary,
	// AllowSwitch and UpdatedAt of the membership (CompanyID, UserID). ErrNotFound if none;
	// ErrConflict if it would give the user a second primary membership.
	UpdateMembership(ctx context.Context, m *Membership) error
	// UpdateMembershipAudited is UpdateMembership and AppendAudit of e, in
	// one round trip (one statement on PostgreSQL): a change with its
	// record. Errors as UpdateMembership's; on an error neither is kept
	// where it joins a transaction that rolls back.
	UpdateMembershipAudited(ctx context.Context, m *Membership, e *AuditEvent) error
	// ClearPrimary unsets Primary on every membership of the user.
	ClearPrimary(ctx context.Context, userID uuid.UUID) error
	// DeleteMembership removes the membership and every grant its user holds
	// in the company. ErrNotFound if none.
	DeleteMembership(ctx context.Context, companyID, userID uuid.UUID) error
	// CountActiveOwners counts the company's active memberships with role
	// OWNER whose user is not disabled (UserDisabled): the owners the
	// last-owner rule keeps, since a disabled user acts nowhere.
	CountActiveOwners(ctx context.Context, companyID uuid.UUID) (int, error)
	// GetMember returns one membership joined with its user (and the
	// creating user when known). ErrNotFound if none.
	GetMember(ctx context.Context, companyID, userID uuid.UUID) (Member, error)
	// GetMembers returns the memberships in the company of the users
	// among userIDs, each as GetMember returns it, in one round trip, in
	// no particular order; a user without one is left out.
	GetMembers(ctx context.Context, companyID uuid.UUID, userIDs []uuid.UUID) ([]Member, error)
	// ListMembers lists a company's memberships joined with their users,
	// in one query per page.
	ListMembers(ctx context.Context, companyID uuid.UUID, active *bool, c Cursor) ([]Member, error)
	// ListMembersAt is ListMembers skipping offset rows instead of
	// following a cursor: seed 000's numbered pages. The services bound
	// offset by MaxPageOffset.
	ListMembersAt(ctx context.Context, companyID uuid.UUID, active *bool, offset, limit int) ([]Member, error)
	// ListUserCompanies lists a user's memberships joined with their
	// companies.
	ListUserCompanies(ctx context.Context, userID uuid.UUID, active *bool, c Cursor) ([]UserCompany, error)

	// CheckAccess gathers in one round trip the facts an authorization
	// decision needs. A missing membership is not an error (Facts.Member is
	// false).
	CheckAccess(ctx context.Context, q AccessQuery) (AccessFacts, error)

	// CreateGrant inserts g. ErrConflict (code "grant_exists") if the
	// subject already holds a grant on that resource.
	CreateGrant(ctx context.Context, g *Grant) error
	// GetGrant returns a grant of the company. ErrNotFound if none (also
	// when it belongs to another company).
	GetGrant(ctx context.Context, companyID, id uuid.UUID) (Grant, error)
	// UpdateGrantLevel sets the level of a grant of the company.
	// ErrNotFound if none.
	UpdateGrantLevel(ctx context.Context, companyID, id uuid.UUID, level int) error
	// DeleteGrant removes a grant of the company. ErrNotFound if none.
	DeleteGrant(ctx context.Context, companyID, id uuid.UUID) error
	// DeleteSubjectGrants removes every grant of a subject in the company
	// and reports how many there were.
	DeleteSubjectGrants(ctx context.Context, companyID uuid.UUID, s Subject) (int, error)
	// SetGrantSubject hands a grant of the company to another subject.
	// ErrNotFound if none; ErrConflict (CodeGrantExists) if to already
	// holds a grant on that resource. (Which grant stays when two collide
	// is the Service's policy, not the store's.)
	SetGrantSubject(ctx context.Context, companyID, id uuid.UUID, to Subject) error
	// ListGrants lists a company's grants matching the filter.
	ListGrants(ctx context.Context, companyID uuid.UUID, f GrantQuery, c Cursor) ([]Grant, error)
	// ListGrantSubjects lists the IDs of the subjects of type t that hold
	// a grant in the company on one of resources (at least one), each
	// once, ordered by ID after the cursor.
	ListGrantSubjects(ctx context.Context, companyID uuid.UUID, t SubjectType, resources []Resource, c Cursor) ([]uuid.UUID, error)
	// ListMembersHolding is ListMembers (active and not) keeping only the
	// memberships whose user holds a grant in the company on one of
	// resources (at least one).
	ListMembersHolding(ctx context.Context, companyID uuid.UUID, resources []Resource, c Cursor) ([]Member, error)
	// ListGrantResources lists the distinct resources, the account aside,
	// on which the company's grants are held, ordered by type then ID
	// (byte order), after the resource after (zero: from the start), at
	// most limit.
	ListGrantResources(ctx context.Context, companyID uuid.UUID, after Resource, limit int) ([]Resource, error)

	// GetConnection returns a connection by ID where companyID is either
	// side. ErrNotFound if none.
	GetConnection(ctx context.Context, companyID, id uuid.UUID) (Connection, error)
	// CreateConnection inserts c. ErrConflict (code "already_connected") if
	// the two companies are already connected, in either direction;
	// ErrInvalid (field "agency_id") for a company connected to itself.
	CreateConnection(ctx context.Context, c *Connection) error
	// UpdateConnectionPermissions stores c.Permissions and c.UpdatedAt.
	// ErrNotFound if none.
	UpdateConnectionPermissions(ctx context.Context, c *Connection) error
	// DeleteConnection removes a connection where companyID is either side.
	// ErrNotFound if none.
	DeleteConnection(ctx context.Context, companyID, id uuid.UUID) error
	// ListConnections lists the connections where companyID is either side.
	ListConnections(ctx context.Context, companyID uuid.UUID, c Cursor) ([]Connection, error)
	// ListReachedCustomers lists, once each, the customer companies of
	// the connections whose agency is a company where q.UserID is an
	// active member in one of q.AgencyRoles (only the agencies in
	// q.Agencies, when set), leaving out the customers where the user
	// holds a membership of their own (of any state), ordered by company
	// ID after c.After, at most c.Limit. Empty AgencyRoles: none.
	ListReachedCustomers(ctx context.Context, q ReachQuery, c Cursor) ([]Company, error)

	// AppendAudit inserts an event.
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// AppendAudits inserts events (none: nothing), in one round trip, all
	// or none. ErrConflict (CodeIDTaken) as AppendAudit's.
	AppendAudits(ctx context.Context, events []AuditEvent) error
	// ScrubAudit rewrites every event, of any company, that sc.Apply
	// changes, in place (ID, company, action, outcome and time stay), and
	// reports how many. It reads the whole trail: an erasure's cost.
	ScrubAudit(ctx context.Context, sc AuditScrub) (int, error)
	// ListAudit lists a company's events, oldest first: QueryAudit with
	// an empty query.
	ListAudit(ctx context.Context, companyID uuid.UUID, c Cursor) ([]AuditEvent, error)
	// QueryAudit lists a company's events that pass q (AuditQuery.Matches),
	// ordered by At, then ID (not by ID alone: a time range is then one
	// index range), after the event c.After (uuid.Nil: from the start; an
	// unknown ID: nothing).
	QueryAudit(ctx context.Context, companyID uuid.UUID, q AuditQuery, c Cursor) ([]AuditEvent, error)
}

// AccessQuery asks CheckAccess about one user in one company.
type AccessQuery struct {
	CompanyID uuid.UUID
	UserID    uuid.UUID
	// Permission, if set, is looked up in the membership's extra and
	// withheld permissions (Facts.HasExtra, Facts.Withheld), in an
	// agency connection's permissions (Facts.ConnectionHas) and in the
	// extra and withheld permissions of the agency membership that
	// connection rests on (Facts.AgencyHasExtra, Facts.AgencyWithheld).
	Permission string
	// Resource, if its Type is set, asks for the highest level the user
	// holds through a grant on it or on the company's "account" resource
	// (Facts.GrantLevel). A value, not a pointer: checks must not allocate.
	Resource Resource
	// TokenID, if set together with Resource, also asks for the highest
	// grant level the token holds on Resource or the account
	// (Facts.TokenGrantLevel).
	TokenID uuid.UUID
	// AgencyRoles lists the role codes of agency members that may act
	// through a connection. Empty: connections are not consulted.
	AgencyRoles []string
	// Agency, if set, restricts reach to the connection from that agency
	// and skips the membership in CompanyID (Facts.Member stays false): a
	// token of Agency acting in its customer, which never acts through a
	// membership its creator holds there nor through another agency.
	Agency uuid.UUID
}

// ReachQuery asks ListReachedCustomers for the customers a user's
// agencies reach.
type ReachQuery struct {
	UserID      uuid.UUID
	AgencyRoles []string
	Agencies    []uuid.UUID // if set, only these agencies
}

// AccessFacts is what CheckAccess found.
type AccessFacts struct {
	Member bool // a membership exists
	// MemberSince is the membership's CreatedAt (zero without one).
	MemberSince time.Time
	Active      bool   // and it is active
	Role        string // its role code
	HasExtra    bool   // its extra permissions hold the asked permission
	Withheld    bool   // its withheld permissions hold the asked permission
	GrantLevel  int    // highest grant level on the resource or account, 0 if none
	// Connected: the user is an active member, in one of AgencyRoles, of an
	// agency connected to the company. ConnectionHas: that connection's
	// permissions hold the asked permission. Both are only looked up when
	// the user has no membership in the company (a membership wins).
	//
	// When several agencies connect the user, the store answers for ONE
	// connection, chosen by facts alone: one whose permissions hold the
	// asked permission first, then one whose agency membership does not
	// withhold it, then the lowest connection ID. Every fact below is of that connection and of
	// the user's membership in its agency; another agency's membership
	// never adds to it (store/storetest pins the choice).
	Connected     bool
	ConnectionHas bool
	ConnectionID  uuid.UUID
	// AgencySince is the CreatedAt of the agency membership Connected
	// rests on (zero when not Connected), for a token's standing.
	AgencySince time.Time
	// AgencyRole is that agency membership's role code; AgencyHasExtra
	// and AgencyWithheld: its extra and its withheld permissions hold the
	// asked permission. Reach holds a permission only when the connection
	// and this membership both hold it (package access decides).
	AgencyRole     string
	AgencyHasExtra bool
	AgencyWithheld bool
	// TokenGrantLevel is the highest grant level of the token subject on
	// Resource or the account, 0 if none.
	TokenGrantLevel int
	// CompanyRole: the membership's role is a role its company defined
	// (the CompanyRole of CompanyID and Role, read in the same round trip,
	// never from a cache); RoleLevel is that role's level and RoleHas
	// whether its permissions hold the asked permission. All zero for a
	// catalog role or without a membership.
	CompanyRole bool
	RoleLevel   int
	RoleHas     bool
}

// GrantQuery is the store-level grant filter; its conditions all hold.
// A resource of type "account" matches the account whatever its ID.
type GrantQuery struct {
	Resources   []Resource // any of them
	SubjectType SubjectType
	Subject     *Subject
	Subjects    []Subject // any of them
}
