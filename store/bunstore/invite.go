package bunstore

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

var _ invite.Store = (*Store)(nil)

type invitationRow struct {
	ID           uuid.UUID    `bun:"id"`
	CompanyID    uuid.UUID    `bun:"company_id"`
	Kind         string       `bun:"kind"`
	Email        string       `bun:"email"`
	Role         string       `bun:"role"`
	Permissions  []string     `bun:"permissions,array"`
	Relation     string       `bun:"relation"`
	TargetName   string       `bun:"target_name"`
	TargetID     uuid.UUID    `bun:"target_id"`
	InvitedBy    uuid.UUID    `bun:"invited_by"`
	InvitedByTok uuid.UUID    `bun:"invited_by_token"`
	Status       string       `bun:"status"`
	TokenHash    []byte       `bun:"token_hash"`
	ExpiresAt    time.Time    `bun:"expires_at"`
	SendCount    int          `bun:"send_count"`
	LastSentAt   time.Time    `bun:"last_sent_at"`
	UserID       uuid.UUID    `bun:"user_id"`
	ConnectionID uuid.UUID    `bun:"connection_id"`
	ClosedAt     bun.NullTime `bun:"closed_at"`
	CreatedAt    time.Time    `bun:"created_at"`
	UpdatedAt    time.Time    `bun:"updated_at"`
}

const invitationCols = `i.id, i.company_id, i.kind, i.email, i.role, i.permissions, i.relation, i.target_name,
	i.target_id, i.invited_by, i.status, i.token_hash, i.expires_at, i.send_count, i.last_sent_at,
	i.user_id, i.connection_id, i.closed_at, i.created_at, i.updated_at, i.invited_by_token`

func (r invitationRow) invitation() invite.Invitation {
	return invite.Invitation{
		ID: r.ID, CompanyID: r.CompanyID, Kind: invite.Kind(r.Kind), Email: r.Email,
		Role: r.Role, Permissions: nilIfEmpty(r.Permissions),
		Relation: invite.Relation(r.Relation), TargetName: r.TargetName, TargetID: r.TargetID,
		InvitedBy: r.InvitedBy, InvitedByToken: r.InvitedByTok, Status: invite.Status(r.Status), TokenHash: token.Digest(r.TokenHash),
		ExpiresAt: r.ExpiresAt.UTC(), SendCount: r.SendCount, LastSentAt: r.LastSentAt.UTC(),
		UserID: r.UserID, ConnectionID: r.ConnectionID, ClosedAt: utcOrZero(r.ClosedAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// translateInvite is translate with the invitations table's constraints: a
// race that slips past a method's checks (two Invites of one e-mail at
// once) still ends as the documented conflict.
func translateInvite(ctx context.Context, err error) error {
	if code, constraint, ok := pgError(err); ok {
		switch {
		case code == "23505" && constraint == "invitations_pending_key":
			return invite.ErrInvitationPending
		case code == "23505" && constraint == "invitations_pkey":
			return access.Conflict(access.CodeIDTaken, "invitation %s exists", "")
		case code == "23505" && constraint == "invitations_token_hash_key":
			return access.Conflict(access.CodeTokenTaken, "the invitation token hash is taken")
		case code == "23503" && constraint == "invitations_company_id_fkey":
			return access.NotFound(access.CodeCompanyNotFound)
		}
	}
	return translate(ctx, err, access.CodeInvitationNotFound)
}

// inviteChecks is what CreateInvitation found before inserting.
type inviteChecks struct {
	Taken        bool `bun:"taken"`
	Pending      bool `bun:"pending"`
	CompanyFound bool `bun:"company_found"`
}

// CreateInvitation implements invite.Store. It checks before it inserts,
// so the documented conflicts do not abort the caller's transaction; the
// partial unique index invitations_pending_key holds the rule under races.
func (s *Store) CreateInvitation(ctx context.Context, inv *invite.Invitation) error {
	var chk inviteChecks
	err := s.idb(ctx).NewRaw(`WITH chk AS (SELECT
		EXISTS (SELECT 1 FROM invitations WHERE id = ?0 OR token_hash = ?11) AS taken,
		(?10 = 'pending' AND EXISTS (SELECT 1 FROM invitations
			WHERE company_id = ?1 AND kind = ?2 AND email = ?3 AND status = 'pending')) AS pending,
		EXISTS (SELECT 1 FROM companies WHERE id = ?1) AS company_found
	), ins AS (
		INSERT INTO invitations (id, company_id, kind, email, role, permissions, relation, target_name,
			target_id, invited_by, status, token_hash, expires_at, send_count, last_sent_at,
			user_id, connection_id, closed_at, created_at, updated_at, invited_by_token)
		SELECT ?0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20 FROM chk
		WHERE company_found AND NOT taken AND NOT pending
	)
	SELECT * FROM chk`,
		inv.ID, inv.CompanyID, string(inv.Kind), inv.Email, inv.Role, pgdialect.Array(orEmpty(inv.Permissions)),
		string(inv.Relation), inv.TargetName, nullUUID(inv.TargetID), nullUUID(inv.InvitedBy), string(inv.Status),
		inv.TokenHash[:], inv.ExpiresAt, inv.SendCount, inv.LastSentAt, nullUUID(inv.UserID), nullUUID(inv.ConnectionID),
		nullTime(inv.ClosedAt), inv.CreatedAt, inv.UpdatedAt, nullUUID(inv.InvitedByToken),
	).Scan(ctx, &chk)
	switch {
	case err != nil:
		return translateInvite(ctx, err)
	case !chk.CompanyFound:
		return access.NotFound(access.CodeCompanyNotFound)
	case chk.Taken:
		return access.Conflict(access.CodeIDTaken, "the invitation exists")
	case chk.Pending:
		return invite.ErrInvitationPending
	}
	return nil
}

func (s *Store) getInvitation(ctx context.Context, where string, args ...any) (invite.Invitation, error) {
	var r invitationRow
	if err := s.idb(ctx).NewRaw(`SELECT `+invitationCols+` FROM invitations i WHERE `+where, args...).Scan(ctx, &r); err != nil {
		return invite.Invitation{}, translateInvite(ctx, err)
	}
	return r.invitation(), nil
}

// GetInvitation implements invite.Store.
func (s *Store) GetInvitation(ctx context.Context, companyID, id uuid.UUID) (invite.Invitation, error) {
	return s.getInvitation(ctx, `i.id = ? AND i.company_id = ?`, id, companyID)
}

// GetInvitationByHash implements invite.Store: one lookup through the
// unique index on token_hash.
func (s *Store) GetInvitationByHash(ctx context.Context, hash token.Digest) (invite.Invitation, error) {
	return s.getInvitation(ctx, `i.token_hash = ?`, hash[:])
}

// GetPendingInvitation implements invite.Store.
func (s *Store) GetPendingInvitation(ctx context.Context, companyID uuid.UUID, kind invite.Kind, email string) (invite.Invitation, error) {
	return s.getInvitation(ctx, `i.company_id = ? AND i.kind = ? AND i.email = ? AND i.status = 'pending'`,
		companyID, string(kind), email)
}

// conditional runs one conditional UPDATE of invitation id, given as
// "UPDATE invitations SET ... WHERE id = ?0 AND <condition> RETURNING id",
// and tells a failed condition (ErrNotPending) from a missing row. Of two
// concurrent ones, the second waits for the first's row lock, re-checks
// its condition on the committed row, and matches nothing.
func (s *Store) conditional(ctx context.Context, update string, args ...any) error {
	var res struct {
		Updated bool `bun:"updated"`
		Found   bool `bun:"found"`
	}
	err := s.idb(ctx).NewRaw(`WITH u AS (`+update+`)
	SELECT EXISTS (SELECT 1 FROM u) AS updated, EXISTS (SELECT 1 FROM invitations WHERE id = ?0) AS found`,
		args...).Scan(ctx, &res)
	switch {
	case err != nil:
		return translateInvite(ctx, err)
	case res.Updated:
		return nil
	case !res.Found:
		return access.NotFound(access.CodeInvitationNotFound)
	}
	return invite.ErrNotPending
}

// ClaimInvitation implements invite.Store in one conditional UPDATE.
func (s *Store) ClaimInvitation(ctx context.Context, t invite.Transition) error {
	return s.conditional(ctx, `UPDATE invitations SET status = ?2, closed_at = ?3, updated_at = ?3,
		user_id = coalesce(?4::uuid, user_id), target_id = coalesce(?5::uuid, target_id),
		connection_id = coalesce(?6::uuid, connection_id)
	WHERE id = ?0 AND status = ?1 AND (?2 = 'expired' OR expires_at > ?3) RETURNING id`,
		t.ID, string(t.From), string(t.To), t.At, nullUUID(t.UserID), nullUUID(t.TargetID), nullUUID(t.ConnectionID))
}

// RotateInvitation implements invite.Store in one conditional UPDATE.
func (s *Store) RotateInvitation(ctx context.Context, r invite.Rotation) error {
	return s.conditional(ctx, `UPDATE invitations SET token_hash = ?2, expires_at = ?3, last_sent_at = ?4,
		updated_at = ?4, send_count = send_count + 1
	WHERE id = ?0 AND status = 'pending' AND last_sent_at = ?1 RETURNING id`,
		r.ID, r.PrevSentAt, r.TokenHash[:], r.ExpiresAt, r.SentAt)
}

// RefreshInvitation implements invite.Store in one conditional UPDATE.
func (s *Store) RefreshInvitation(ctx context.Context, inv *invite.Invitation) error {
	return s.conditional(ctx, `UPDATE invitations SET role = ?1, permissions = ?2, relation = ?3, target_name = ?4,
		target_id = ?5, invited_by = ?6, expires_at = ?7, updated_at = ?8, invited_by_token = ?9
	WHERE id = ?0 AND status = 'pending' RETURNING id`,
		inv.ID, inv.Role, pgdialect.Array(orEmpty(inv.Permissions)), string(inv.Relation), inv.TargetName,
		nullUUID(inv.TargetID), nullUUID(inv.InvitedBy), inv.ExpiresAt, inv.UpdatedAt, nullUUID(inv.InvitedByToken))
}

func (s *Store) listInvitations(ctx context.Context, where string, args ...any) ([]invite.Invitation, error) {
	var rows []invitationRow
	if err := s.idb(ctx).NewRaw(`SELECT `+invitationCols+` FROM invitations i WHERE `+where, args...).Scan(ctx, &rows); err != nil {
		return nil, translateInvite(ctx, err)
	}
	out := make([]invite.Invitation, len(rows))
	for i, r := range rows {
		out[i] = r.invitation()
	}
	return out, nil
}

// ListPendingInvitations implements invite.Store: one page of the partial
// index invitations_company_pending_idx.
func (s *Store) ListPendingInvitations(ctx context.Context, companyID uuid.UUID, kind invite.Kind, now time.Time, c access.Cursor) ([]invite.Invitation, error) {
	return s.listInvitations(ctx, `i.company_id = ?0 AND i.status = 'pending' AND i.expires_at > ?1
		AND (?2 = '' OR i.kind = ?2) AND i.id > ?3 ORDER BY i.id LIMIT ?4`,
		companyID, now, string(kind), c.After, limitOf(c))
}

// ListPendingByEmail implements invite.Store: one page of the partial index
// invitations_email_pending_idx.
func (s *Store) ListPendingByEmail(ctx context.Context, email string, now time.Time, c access.Cursor) ([]invite.Invitation, error) {
	return s.listInvitations(ctx, `i.email = ?0 AND i.status = 'pending' AND i.expires_at > ?1
		AND i.id > ?2 ORDER BY i.id LIMIT ?3`, email, now, c.After, limitOf(c))
}
