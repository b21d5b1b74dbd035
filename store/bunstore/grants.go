package bunstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
)

// grantRow is a grants row.
type grantRow struct {
	bun.BaseModel `bun:"table:grants"`

	ID                       uuid.UUID `bun:",pk"`
	CompanyID, SubjectID     uuid.UUID
	SubjectType              string
	ResourceType, ResourceID string
	Level                    int
	CreatedBy                uuid.UUID `bun:",nullzero"`
	CreatedAt                time.Time
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

// CreateGrant implements access.Store. grants_subject_resource_key holds
// the rule of one grant per subject and resource.
func (s *Store) CreateGrant(ctx context.Context, g *access.Grant) error {
	return s.insert(ctx, access.CodeGrantNotFound, &grantRow{
		ID: g.ID, CompanyID: g.CompanyID, SubjectType: string(g.Subject.Type), SubjectID: g.Subject.ID,
		ResourceType: g.Resource.Type, ResourceID: g.Resource.ID, Level: g.Level, CreatedBy: g.CreatedBy,
		CreatedAt: g.CreatedAt,
	})
}

// GetGrant implements access.Store.
func (s *Store) GetGrant(ctx context.Context, companyID, id uuid.UUID) (access.Grant, error) {
	var r grantRow
	if err := s.scan(ctx, access.CodeGrantNotFound, &r,
		`SELECT `+grantCols+` FROM ?schema.grants g WHERE g.id = ? AND g.company_id = ?`, id, companyID); err != nil {
		return access.Grant{}, err
	}
	return r.grant(), nil
}

// UpdateGrantLevel implements access.Store.
func (s *Store) UpdateGrantLevel(ctx context.Context, companyID, id uuid.UUID, level int) error {
	return s.change(ctx, access.CodeGrantNotFound, `UPDATE ?schema.grants SET level = ? WHERE id = ? AND company_id = ?`,
		level, id, companyID)
}

// SetGrantSubject implements access.Store: the grant changes hands and
// keeps its ID. grants_subject_resource_key refuses a subject that already
// holds a grant on the resource.
func (s *Store) SetGrantSubject(ctx context.Context, companyID, id uuid.UUID, to access.Subject) error {
	return s.change(ctx, access.CodeGrantNotFound,
		`UPDATE ?schema.grants SET subject_type = ?, subject_id = ? WHERE id = ? AND company_id = ?`,
		string(to.Type), to.ID, id, companyID)
}

// DeleteGrant implements access.Store.
func (s *Store) DeleteGrant(ctx context.Context, companyID, id uuid.UUID) error {
	return s.change(ctx, access.CodeGrantNotFound, `DELETE FROM ?schema.grants WHERE id = ? AND company_id = ?`, id, companyID)
}

// DeleteSubjectGrants implements access.Store.
func (s *Store) DeleteSubjectGrants(ctx context.Context, companyID uuid.UUID, subj access.Subject) (int, error) {
	return s.exec(ctx, access.CodeGrantNotFound,
		`DELETE FROM ?schema.grants WHERE company_id = ? AND subject_type = ? AND subject_id = ?`,
		companyID, string(subj.Type), subj.ID)
}

// ListGrants implements access.Store. The subject filters are fixed SQL
// with NULL meaning "any"; a resource filter adds one condition.
func (s *Store) ListGrants(ctx context.Context, companyID uuid.UUID, f access.GrantQuery, c access.Cursor) ([]access.Grant, error) {
	var subjType, subjID any
	if f.SubjectType != "" {
		subjType = string(f.SubjectType)
	}
	if f.Subject != nil {
		subjID = f.Subject.ID
	}
	var where strings.Builder
	args := []any{companyID, c.After, subjType, subjID}
	if f.Subject != nil {
		where.WriteString(` AND g.subject_type = ?` + fmt.Sprint(len(args)))
		args = append(args, string(f.Subject.Type))
	}
	if len(f.Resources) > 0 {
		types := make([]string, len(f.Resources))
		ids := make([]string, len(f.Resources))
		for i, r := range f.Resources {
			types[i], ids[i] = r.Type, r.ID
		}
		fmt.Fprintf(&where, ` AND EXISTS (SELECT 1 FROM unnest(?%d::text[], ?%d::text[]) AS r(type, id)
			WHERE g.resource_type = r.type AND (r.type = 'account' OR g.resource_id = r.id))`, len(args), len(args)+1)
		args = append(args, pgdialect.Array(types), pgdialect.Array(ids))
	}
	if f.Subjects != nil {
		types := make([]string, len(f.Subjects))
		ids := make([]string, len(f.Subjects))
		for i, sub := range f.Subjects {
			types[i], ids[i] = string(sub.Type), sub.ID.String()
		}
		fmt.Fprintf(&where, ` AND (g.subject_type, g.subject_id) IN (SELECT * FROM unnest(?%d::text[], ?%d::uuid[]))`, len(args), len(args)+1)
		args = append(args, pgdialect.Array(types), pgdialect.Array(ids))
	}
	fmt.Fprintf(&where, ` ORDER BY g.id LIMIT ?%d`, len(args))
	args = append(args, limitOf(c))

	var rows []grantRow
	if err := s.scan(ctx, access.CodeGrantNotFound, &rows, `SELECT `+grantCols+` FROM ?schema.grants g
	WHERE g.company_id = ?0 AND g.id > ?1
	AND (?2::text IS NULL OR g.subject_type = ?2) AND (?3::uuid IS NULL OR g.subject_id = ?3)`+where.String(),
		args...); err != nil {
		return nil, err
	}
	return each(rows, grantRow.grant), nil
}
