package access

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// Membership is a user's access to a company (seed 001's user_access, seed
// 000's instance access): a role, extra permissions, and flags. A user has
// at most one membership per company.
type Membership struct {
	ID        uuid.UUID
	CompanyID uuid.UUID
	UserID    uuid.UUID
	Role      string   // role code from the Catalog
	Extra     []string // permissions on top of the role's, closed under implication
	// Withheld lists permissions of the role this member does not hold
	// (seed 003's remove_roles of a role's permission), closed the other
	// way: withholding X_VIEW withholds what implies it. Catalog.Effective
	// is what the member holds. Changing the role clears it: the new role
	// is given whole.
	Withheld []string
	Active   bool // an inactive member keeps role and permissions but fails every check
	Primary  bool // at most one primary membership per user
	// AllowSwitch lets the user make this company their active one (seed
	// 000's access_switch).
	AllowSwitch bool
	CreatedBy   uuid.UUID // the user who added this member, uuid.Nil if unknown
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Member is a membership joined with its user, as company listings show it.
type Member struct {
	Membership
	User User
	// CreatedByUser names the user who granted the access, when known.
	CreatedByUser *UserSummary
	// Editable says whether the caller may change or remove this member
	// (seed 003). Set by the service, not the store.
	Editable bool
}

// UserCompany is a membership joined with its company, as a user's listings
// show it.
type UserCompany struct {
	Membership
	Company Company
}

// MemberFilter narrows ListMembers and ListUserCompanies.
type MemberFilter struct {
	Active *bool // nil: both
	Page   PageRequest
}

// NewMember is the input of Service.AddMember and Service.ProvisionMember:
// a user named by exactly one of UserID and Email. Only a user the
// principal can already see (Service.SeesUser) joins without Consented.
type NewMember struct {
	UserID      uuid.UUID
	Email       string
	Role        string
	Permissions []string
	// Inactive adds the member deactivated. The zero value adds an active member.
	Inactive bool
	// NoSwitch forbids switching to this company. The zero value allows it.
	NoSwitch bool
	// Primary makes it the user's primary membership (unsetting any
	// other): only the user themself or the system choose that.
	Primary bool
	// CreateUser creates the user when Email is unknown, as accepting an
	// invitation and provisioning do. The zero value needs an existing user.
	CreateUser bool
	// NewUserID, with CreateUser, is the ID the created user gets (default:
	// a fresh one), for a caller that recorded it before the user existed
	// (an invitation's claim), having found no user with the e-mail: the
	// user is then created without looking again. If the e-mail's user
	// exists with another ID, AddMember fails with ErrConflict
	// (CodeEmailTaken); with this ID, it is that user.
	NewUserID uuid.UUID
	// Consented says the user agreed to join: AddMember then adds a user
	// the principal cannot see (SeesUser). Package invite sets it when the
	// invitee accepts an invitation; a host sets it only with the same
	// proof (the person acting on a link sent to the e-mail).
	// ProvisionMember ignores it: provisioning is never consent.
	Consented bool
	// GrantsFrom, if set, hands every grant this subject holds in the
	// company to the new member: only an invitation accepted for the
	// member's e-mail hands its grants (SubjectKind.HandsTo), so a token's
	// or another person's grants never pass. Where the member already
	// holds a grant on the same resource, the higher level stays.
	GrantsFrom Subject
}

// MemberUpdate changes a membership. Nil fields are left as they are.
// Errors name AddPermissions and RemovePermissions by the fields that
// carry them on the wire (FieldAddRoles, FieldRemoveRoles).
type MemberUpdate struct {
	Role              *string
	AddPermissions    []string
	RemovePermissions []string
	Active            *bool
	Primary           *bool
	AllowSwitch       *bool
}

// FieldAddRoles and FieldRemoveRoles are the fields errors name for the
// permissions a change adds and removes (MemberUpdate, AgencyUpdate): seed
// 003's add_roles and remove_roles, the wire names of the only routes that
// carry them, chosen here once so that every caller reports the same.
const (
	FieldAddRoles    = "add_roles"
	FieldRemoveRoles = "remove_roles"
)

// setRole gives m the role with code whole: nothing of it withheld.
func (m *Membership) setRole(code string) {
	if code != m.Role {
		m.Role, m.Withheld = code, nil
	}
}

// changePermissions adds permissions to m (closed under implication) and
// removes others, against m's role: a removed permission, with those
// implying it, leaves m.Extra and, where the role grants it, joins
// m.Withheld; an added one leaves m.Withheld and joins m.Extra. A removal
// wins over an addition of the same code. An OWNER holds its role whole
// (a withheld USER_EDIT could leave a company with no one able to restore
// it): withholding from an OWNER is ErrInvalid naming
// FieldRemoveRoles.
func (c *Catalog) changePermissions(m *Membership, add, remove []string) error {
	removed := func(code string) bool { return slices.Contains(remove, code) || slices.Contains(remove, implied(code)) }
	var withheld []string
	for _, code := range m.Withheld {
		if !slices.Contains(add, code) {
			withheld = append(withheld, code)
		}
	}
	if r, ok := c.roles[m.Role]; ok {
		for _, code := range r.Permissions {
			if !removed(code) {
				continue
			}
			if m.Role == RoleOwner {
				return Invalid(FieldRemoveRoles, "an OWNER holds every permission of the role (%s): change the role first", code)
			}
			withheld = append(withheld, code)
		}
	}
	slices.Sort(withheld)
	m.Withheld = slices.Compact(withheld)
	if len(m.Withheld) == 0 {
		m.Withheld = nil
	}
	m.Extra = applyPermissions(m.Extra, add, remove)
	return nil
}
