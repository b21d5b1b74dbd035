package access

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// SubjectType names who holds a resource grant (seed 002's specifier_type).
type SubjectType string

// Subject types.
const (
	SubjectUser   SubjectType = "User"
	SubjectInvite SubjectType = "Invite"
	SubjectToken  SubjectType = "ApiToken"
)

// Subject is the holder of a grant.
type Subject struct {
	Type SubjectType
	ID   uuid.UUID
}

// ResourceAccount is the resource type of the company itself.
const ResourceAccount = "account"

// Resource is one resource of a company: a project, an inbox, billing ...
// The company itself is Resource{Type: "account"} with a nil ID.
type Resource struct {
	Type string
	ID   string // host-defined, "" for the account
}

// Grant gives a subject an access level on one resource of a company.
type Grant struct {
	ID        uuid.UUID
	CompanyID uuid.UUID
	Subject   Subject
	Resource  Resource
	Level     int
	CreatedBy uuid.UUID
	CreatedAt time.Time
}

// Derived is seed 002's permissions object, computed from a level; it is
// never stored.
type Derived struct {
	CanRead    bool `json:"can_read"`
	CanUpdate  bool `json:"can_update"`
	CanDestroy bool `json:"can_destroy"`
	CanLeave   bool `json:"can_leave"`
}

// DerivePermissions maps a level to can_read/can_update/can_destroy/can_leave:
// viewers read, viewer+ and admins update, owners destroy; anyone who is not
// the owner may leave (an owner must hand over first).
func DerivePermissions(level int) Derived {
	return Derived{
		CanRead:    level >= LevelViewer,
		CanUpdate:  level >= LevelViewerPlus,
		CanDestroy: level >= LevelOwner,
		CanLeave:   level >= LevelIndeterminate && level < LevelOwner,
	}
}

// GrantFilter narrows ListGrants: with Resources set, only grants on those
// resources (any of them) are listed.
type GrantFilter struct {
	Resources   []Resource
	SubjectType SubjectType // "" for all
	Subject     *Subject    // nil for all; else only this subject's grants
	Subjects    []Subject   // if set, only the grants of one of them
	Page        PageRequest
}

// NewGrant is the input of Service.Grant.
type NewGrant struct {
	Subject  Subject
	Resource Resource
	Level    int
}

var validLevels = map[int]bool{LevelOwner: true, LevelAdmin: true, LevelViewerPlus: true, LevelViewer: true, LevelIndeterminate: true}

func (r Resource) normalize() (Resource, error) {
	if err := CheckText("resource_type", r.Type); err != nil {
		return r, err
	}
	if err := CheckText("resource_id", r.ID); err != nil {
		return r, err
	}
	r.Type = strings.ToLower(strings.TrimSpace(r.Type))
	r.ID = strings.TrimSpace(r.ID)
	if r.Type == "" || len(r.Type) > 64 {
		return r, Invalid("resource_type", "resource type is required (at most 64 characters)")
	}
	if r.Type == ResourceAccount {
		r.ID = ""
	} else if r.ID == "" || len(r.ID) > 200 {
		return r, Invalid("resource_id", "resource id is required for resource type %q", r.Type)
	}
	return r, nil
}
