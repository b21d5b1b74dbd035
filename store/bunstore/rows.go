package bunstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// The row types are what statements scan into; they convert to and from
// the access types at the boundary. Column lists are written by hand (the
// selects are joins with prefixed columns), so rows carry no table model.

type userRow struct {
	ID              uuid.UUID `bun:"id"`
	Email           string    `bun:"email"`
	FirstName       string    `bun:"first_name"`
	LastName        string    `bun:"last_name"`
	Status          string    `bun:"status"`
	Lang            string    `bun:"lang"`
	Theme           string    `bun:"theme"`
	Currency        string    `bun:"currency"`
	Birthdate       string    `bun:"birthdate"`
	AvatarURL       string    `bun:"avatar_url"`
	ActiveCompanyID uuid.UUID `bun:"active_company_id"`
	CreatedAt       time.Time `bun:"created_at"`
	UpdatedAt       time.Time `bun:"updated_at"`
}

// userCols selects the users row aliased a, its columns prefixed by p.
func userCols(a, p string) string {
	return prefixed(a, p, "id", "email", "first_name", "last_name", "status", "lang", "theme",
		"currency", "coalesce(to_char(%s.birthdate, 'YYYY-MM-DD'), '') AS %sbirthdate", "avatar_url",
		"active_company_id", "created_at", "updated_at")
}

func (r userRow) user() access.User {
	return access.User{
		ID: r.ID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
		Status: access.UserStatus(r.Status),
		Profile: access.Profile{
			Lang: r.Lang, Theme: r.Theme, Currency: r.Currency, Birthdate: r.Birthdate, AvatarURL: r.AvatarURL,
		},
		ActiveCompanyID: r.ActiveCompanyID,
		CreatedAt:       r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type companyRow struct {
	ID          uuid.UUID `bun:"id"`
	Name        string    `bun:"name"`
	ParentID    uuid.UUID `bun:"parent_id"`
	ExternalKey string    `bun:"external_key"`
	Domains     []string  `bun:"domains,array"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// companyCols selects the companies row aliased a with its domains (one
// array subquery, in their stored order), its columns prefixed by p.
func companyCols(a, p string) string {
	return prefixed(a, p, "id", "name", "parent_id",
		"coalesce(%s.external_key, '') AS %sexternal_key",
		"(SELECT array_agg(d.domain ORDER BY d.position) FROM company_domains d WHERE d.company_id = %s.id) AS %sdomains",
		"created_at", "updated_at")
}

func (r companyRow) company() access.Company {
	return access.Company{
		ID: r.ID, Name: r.Name, ParentID: r.ParentID, ExternalKey: r.ExternalKey, Domains: nilIfEmpty(r.Domains),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type membershipRow struct {
	ID          uuid.UUID `bun:"id"`
	CompanyID   uuid.UUID `bun:"company_id"`
	UserID      uuid.UUID `bun:"user_id"`
	Role        string    `bun:"role"`
	Extra       []string  `bun:"extra,array"`
	IsActive    bool      `bun:"is_active"`
	IsPrimary   bool      `bun:"is_primary"`
	AllowSwitch bool      `bun:"allow_switch"`
	CreatedBy   uuid.UUID `bun:"created_by"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

const membershipCols = `m.id, m.company_id, m.user_id, m.role, m.extra, m.is_active, m.is_primary,
	m.allow_switch, m.created_by, m.created_at, m.updated_at`

func (r membershipRow) membership() access.Membership {
	return access.Membership{
		ID: r.ID, CompanyID: r.CompanyID, UserID: r.UserID, Role: r.Role, Extra: nilIfEmpty(r.Extra),
		Active: r.IsActive, Primary: r.IsPrimary, AllowSwitch: r.AllowSwitch, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type userCompanyRow struct {
	membershipRow
	C companyRow `bun:"embed:c_"`
}

type grantRow struct {
	ID           uuid.UUID `bun:"id"`
	CompanyID    uuid.UUID `bun:"company_id"`
	SubjectType  string    `bun:"subject_type"`
	SubjectID    uuid.UUID `bun:"subject_id"`
	ResourceType string    `bun:"resource_type"`
	ResourceID   string    `bun:"resource_id"`
	Level        int       `bun:"level"`
	CreatedBy    uuid.UUID `bun:"created_by"`
	CreatedAt    time.Time `bun:"created_at"`
}

const grantCols = `g.id, g.company_id, g.subject_type, g.subject_id, g.resource_type, g.resource_id,
	g.level, g.created_by, g.created_at`

func (r grantRow) grant() access.Grant {
	return access.Grant{
		ID: r.ID, CompanyID: r.CompanyID,
		Subject:  access.Subject{Type: access.SubjectType(r.SubjectType), ID: r.SubjectID},
		Resource: access.Resource{Type: r.ResourceType, ID: r.ResourceID},
		Level:    r.Level, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(),
	}
}

type connectionRow struct {
	ID          uuid.UUID `bun:"id"`
	CustomerID  uuid.UUID `bun:"customer_id"`
	AgencyID    uuid.UUID `bun:"agency_id"`
	Permissions []string  `bun:"permissions,array"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

const connectionCols = `cn.id, cn.customer_id, cn.agency_id, cn.permissions, cn.created_at, cn.updated_at`

func (r connectionRow) connection() access.Connection {
	return access.Connection{
		ID: r.ID, CustomerID: r.CustomerID, AgencyID: r.AgencyID, Permissions: nilIfEmpty(r.Permissions),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type auditRow struct {
	ID        uuid.UUID `bun:"id"`
	CompanyID uuid.UUID `bun:"company_id"`
	Actor     string    `bun:"actor"`
	Action    string    `bun:"action"`
	Target    string    `bun:"target"`
	Outcome   string    `bun:"outcome"`
	Details   []byte    `bun:"details"`
	At        time.Time `bun:"at"`
}

func (r auditRow) event() (access.AuditEvent, error) {
	e := access.AuditEvent{
		ID: r.ID, CompanyID: r.CompanyID, Actor: r.Actor, Action: r.Action, Target: r.Target,
		Outcome: r.Outcome, At: r.At.UTC(),
	}
	if err := json.Unmarshal(r.Details, &e.Details); err != nil {
		return access.AuditEvent{}, fmt.Errorf("bunstore: audit event %s: details: %w", r.ID, err)
	}
	return e, nil
}

// prefixed renders a select list of the columns of table alias a as
// p-prefixed names. A column holding %s is an expression with the alias and
// the prefix to fill in.
func prefixed(a, p string, cols ...string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		if strings.Contains(c, "%s") {
			fmt.Fprintf(&b, c, a, p)
		} else {
			fmt.Fprintf(&b, "%s.%s AS %s%s", a, c, p, c)
		}
	}
	return b.String()
}

// nilIfEmpty returns the empty slice as nil: PostgreSQL stores no
// difference between them.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// nullUUID stores uuid.Nil as NULL.
func nullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

// orEmpty stores a nil slice as the empty array of a NOT NULL column.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// limitOf reads a cursor's limit; a non-positive one means the default,
// as in memstore.
func limitOf(c access.Cursor) int {
	if c.Limit <= 0 {
		return access.DefaultPageLimit
	}
	return c.Limit
}
