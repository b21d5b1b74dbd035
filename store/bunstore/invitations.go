package bunstore

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// invitationRow is an invitations row. Zero values of nullable columns
// are NULL.
type invitationRow struct {
	bun.BaseModel `bun:"table:invitations"`

	ID, CompanyID               uuid.UUID
	Kind, Email, Role, Status   string
	Permissions                 []string `bun:",array"`
	Relation, TargetName        string
	TargetKey                   string    // invite.Invitation.Target, written once
	TargetID, InvitedBy, UserID uuid.UUID `bun:",nullzero"`
	InvitedByTok                uuid.UUID `bun:"invited_by_token,nullzero"`
	ConnectionID                uuid.UUID `bun:",nullzero"`
	TokenHash                   []byte
	SendCount                   int
	ExpiresAt, LastSentAt       time.Time
	ClosedAt                    time.Time `bun:",nullzero"`
	CreatedAt, UpdatedAt        time.Time
}

const invitationCols = `i.id, i.company_id, i.kind, i.email, i.role, i.permissions, i.relation, i.target_name,
	i.target_id, i.invited_by, i.status, i.token_hash, i.expires_at, i.send_count, i.last_sent_at,
	i.user_id, i.connection_id, i.closed_at, i.created_at, i.updated_at, i.invited_by_token`

func newInvitationRow(inv *invite.Invitation) *invitationRow {
	return &invitationRow{
		ID: inv.ID, CompanyID: inv.CompanyID, Kind: string(inv.Kind), Email: inv.Email, Role: inv.Role,
		Permissions: orEmpty(inv.Permissions), Relation: string(inv.Relation), TargetName: inv.TargetName,
		TargetKey: inv.Target(), TargetID: inv.TargetID, InvitedBy: inv.InvitedBy, InvitedByTok: inv.InvitedByToken, Status: string(inv.Status),
		TokenHash: inv.TokenHash[:], ExpiresAt: inv.ExpiresAt, SendCount: inv.SendCount, LastSentAt: inv.LastSentAt,
		UserID: inv.UserID, ConnectionID: inv.ConnectionID, ClosedAt: inv.ClosedAt,
		CreatedAt: inv.CreatedAt, UpdatedAt: inv.UpdatedAt,
	}
}

func (r invitationRow) invitation() invite.Invitation {
	inv := invite.Invitation{
		ID: r.ID, CompanyID: r.CompanyID, Kind: invite.Kind(r.Kind), Email: r.Email,
		Role: r.Role, Permissions: nilIfEmpty(r.Permissions),
		Relation: invite.Relation(r.Relation), TargetName: r.TargetName, TargetID: r.TargetID,
		InvitedBy: r.InvitedBy, InvitedByToken: r.InvitedByTok, Status: invite.Status(r.Status),
		ExpiresAt: r.ExpiresAt.UTC(), SendCount: r.SendCount, LastSentAt: r.LastSentAt.UTC(),
		UserID: r.UserID, ConnectionID: r.ConnectionID, ClosedAt: utcOrZero(r.ClosedAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	inv.TokenHash = token.Digest(r.TokenHash)
	return inv
}

// CreateInvitation implements invite.Store. The company must exist;
// invitations_pending_key holds the rule of one pending invitation per
// company, kind, e-mail and target (invite.ErrInvitationPending), also
// under races.
func (s *Store) CreateInvitation(ctx context.Context, inv *invite.Invitation) error {
	return s.insert(ctx, access.CodeInvitationNotFound, newInvitationRow(inv))
}

func (s *Store) getInvitation(ctx context.Context, where string, args ...any) (invite.Invitation, error) {
	var r invitationRow
	if err := s.scan(ctx, access.CodeInvitationNotFound, &r,
		`SELECT `+invitationCols+` FROM ?schema.invitations i WHERE `+where, args...); err != nil {
		return invite.Invitation{}, err
	}
	return r.invitation(), nil
}

// GetInvitation implements invite.Store.
func (s *Store) GetInvitation(ctx context.Context, companyID, id uuid.UUID) (invite.Invitation, error) {
	return s.getInvitation(ctx, `i.id = ? AND i.company_id = ?`, id, companyID)
}

// GetInvitationByHash implements invite.Store: one look-up through the
// unique index on token_hash.
func (s *Store) GetInvitationByHash(ctx context.Context, hash token.Digest) (invite.Invitation, error) {
	return s.getInvitation(ctx, `i.token_hash = ?`, hash[:])
}

// GetPendingInvitation implements invite.Store.
func (s *Store) GetPendingInvitation(ctx context.Context, companyID uuid.UUID, kind invite.Kind, email, target string) (invite.Invitation, error) {
	return s.getInvitation(ctx, `i.company_id = ? AND i.kind = ? AND i.email = ? AND i.target_key = ? AND i.status = 'pending'`,
		companyID, string(kind), email, target)
}

// conditional runs one conditional UPDATE of invitation id, given as
// "UPDATE ?schema.invitations SET ... WHERE id = ?0 AND <condition> RETURNING id",
// and tells a failed condition (ErrNotPending) from a missing row. Of two
// concurrent ones, the second waits for the first's row lock, re-checks
// its condition on the committed row, and matches nothing.
func (s *Store) conditional(ctx context.Context, update string, args ...any) error {
	var res struct {
		Updated bool `bun:"updated"`
		Found   bool `bun:"found"`
	}
	err := s.scan(ctx, access.CodeInvitationNotFound, &res, `WITH u AS (`+update+`)
	SELECT EXISTS (SELECT 1 FROM u) AS updated, EXISTS (SELECT 1 FROM ?schema.invitations WHERE id = ?0) AS found`, args...)
	switch {
	case err != nil:
		return err
	case res.Updated:
		return nil
	case !res.Found:
		return access.NotFound(access.CodeInvitationNotFound)
	}
	return invite.ErrNotPending
}

// ClaimInvitation implements invite.Store in one conditional UPDATE.
func (s *Store) ClaimInvitation(ctx context.Context, t invite.Transition) error {
	return s.conditional(ctx, `UPDATE ?schema.invitations SET status = ?2, closed_at = ?3, updated_at = ?3,
		user_id = coalesce(?4::uuid, user_id), target_id = coalesce(?5::uuid, target_id),
		connection_id = coalesce(?6::uuid, connection_id)
	WHERE id = ?0 AND status = ?1 AND (?2 = 'expired' OR expires_at > ?3) RETURNING id`,
		t.ID, string(t.From), string(t.To), t.At, nullUUID(t.UserID), nullUUID(t.TargetID), nullUUID(t.ConnectionID))
}

// RotateInvitation implements invite.Store in one conditional UPDATE. A
// reopened invitation that would be a second pending one of its company,
// kind and e-mail breaks invitations_pending_key (ErrInvitationPending).
func (s *Store) RotateInvitation(ctx context.Context, r invite.Rotation) error {
	from := r.From
	if from == "" {
		from = invite.StatusPending
	}
	return s.conditional(ctx, `UPDATE ?schema.invitations SET token_hash = ?2, expires_at = ?3, last_sent_at = ?4,
		updated_at = ?4, send_count = send_count + 1, status = 'pending', closed_at = NULL
	WHERE id = ?0 AND status = ?5 AND last_sent_at = ?1 RETURNING id`,
		r.ID, r.PrevSentAt, r.TokenHash[:], r.ExpiresAt, r.SentAt, string(from))
}

// RefreshInvitation implements invite.Store in one conditional UPDATE.
func (s *Store) RefreshInvitation(ctx context.Context, inv *invite.Invitation) error {
	return s.conditional(ctx, `UPDATE ?schema.invitations SET role = ?1, permissions = ?2, relation = ?3, target_name = ?4,
		target_id = ?5, invited_by = ?6, expires_at = ?7, updated_at = ?8, invited_by_token = ?9
	WHERE id = ?0 AND status = 'pending' RETURNING id`,
		inv.ID, inv.Role, pgdialect.Array(orEmpty(inv.Permissions)), string(inv.Relation), inv.TargetName,
		nullUUID(inv.TargetID), nullUUID(inv.InvitedBy), inv.ExpiresAt, inv.UpdatedAt, nullUUID(inv.InvitedByToken))
}

func (s *Store) listInvitations(ctx context.Context, where string, args ...any) ([]invite.Invitation, error) {
	var rows []invitationRow
	if err := s.scan(ctx, access.CodeInvitationNotFound, &rows,
		`SELECT `+invitationCols+` FROM ?schema.invitations i WHERE `+where, args...); err != nil {
		return nil, err
	}
	return each(rows, invitationRow.invitation), nil
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

// ListInvitations implements invite.Store: one page of
// invitations_company_id_idx, or of invitations_company_status_idx for a
// status. Expired ones are two ranges of it (stored expired, and stored
// pending past their expiry), merged in ID order.
func (s *Store) ListInvitations(ctx context.Context, companyID uuid.UUID, q invite.Query, c access.Cursor) ([]invite.Invitation, error) {
	page := func(cond string) string {
		return `(SELECT ` + invitationCols + ` FROM ?schema.invitations i WHERE i.company_id = ?0 AND i.id > ?1
		AND (?2 = '' OR i.kind = ?2) AND ` + cond + ` ORDER BY i.id LIMIT ?3)`
	}
	var where string
	switch q.Status {
	case "":
		where = page("true")
	case invite.StatusPending:
		where = page("i.status = 'pending' AND i.expires_at > ?4")
	case invite.StatusExpired:
		where = page("i.status = 'expired'") + ` UNION ALL ` + page("i.status = 'pending' AND i.expires_at <= ?4")
	default:
		where = page("i.status = ?5")
	}
	var rows []invitationRow
	if err := s.scan(ctx, access.CodeInvitationNotFound, &rows, `SELECT * FROM (`+where+`) AS i ORDER BY i.id LIMIT ?3`,
		companyID, c.After, string(q.Kind), limitOf(c), q.Now, string(q.Status)); err != nil {
		return nil, err
	}
	return each(rows, invitationRow.invitation), nil
}

// RecordSend implements invite.Store in two statements of one transaction
// (the caller's, or its own): the first takes the
// company's row lock (FOR NO KEY UPDATE: it conflicts with another
// RecordSend and with LockCompany, not with the key-share locks of inserts
// that reference the company); the second, whose snapshot is taken once
// the lock is held, so that it sees every send committed before, prunes
// the company's sends older than the window, finds the send that makes
// room in each full window, and appends the send only if neither is full.
// Across processes exactly the limit succeeds under READ COMMITTED (the
// default) and SERIALIZABLE; under REPEATABLE READ the snapshot predates
// the lock and may miss a concurrent send.
func (s *Store) RecordSend(ctx context.Context, sn invite.Send, l invite.SendLimits) (time.Time, error) {
	run := s.RunInTx
	if _, inTx := s.txFrom(ctx); inTx {
		run = func(ctx context.Context, fn func(ctx context.Context) error) error { return fn(ctx) }
	}
	var room time.Time
	err := run(ctx, func(ctx context.Context) error {
		var n int
		err := s.scan(ctx, access.CodeCompanyNotFound, &n,
			`SELECT count(*) FROM (SELECT 1 FROM ?schema.companies WHERE id = ? FOR NO KEY UPDATE) AS c`, sn.CompanyID)
		if err = one(n, err, access.CodeCompanyNotFound); err != nil {
			return err
		}
		var res struct {
			Company  time.Time `bun:"company_room"`
			Inviter  time.Time `bun:"inviter_room"`
			Recorded bool      `bun:"recorded"`
		}
		if err := s.scan(ctx, "", &res, `WITH pruned AS (
			DELETE FROM ?schema.invitation_sends WHERE company_id = ?0 AND sent_at <= ?4
		), room AS (
			SELECT
				CASE WHEN ?5 > 0 THEN (SELECT sent_at FROM ?schema.invitation_sends WHERE company_id = ?0 AND sent_at > ?4
					ORDER BY sent_at DESC OFFSET greatest(?5 - 1, 0) LIMIT 1) END AS company_room,
				CASE WHEN ?6 > 0 AND ?1::uuid IS NOT NULL THEN (SELECT sent_at FROM ?schema.invitation_sends
					WHERE company_id = ?0 AND inviter_id = ?1 AND sent_at > ?4
					ORDER BY sent_at DESC OFFSET greatest(?6 - 1, 0) LIMIT 1) END AS inviter_room
		), ins AS (
			INSERT INTO ?schema.invitation_sends (company_id, inviter_id, invitation_id, sent_at)
			SELECT ?0, ?1, ?2, ?3 FROM room WHERE company_room IS NULL AND inviter_room IS NULL
			RETURNING 1
		)
		SELECT company_room, inviter_room, EXISTS (SELECT 1 FROM ins) AS recorded FROM room`,
			sn.CompanyID, nullUUID(sn.InviterID), sn.InvitationID, sn.SentAt, l.Since, l.Company, l.Inviter); err != nil {
			return err
		}
		if res.Recorded {
			return nil
		}
		room = utcOrZero(res.Company)
		if at := utcOrZero(res.Inviter); at.After(room) {
			room = at
		}
		return nil
	})
	return room, err
}

// utcOrZero reads a nullable timestamp: NULL is the zero time.
func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// DeleteInvitationsTo implements invite.Store, through
// invitations_email_idx. A deleted company's invitations went with it.
func (s *Store) DeleteInvitationsTo(ctx context.Context, email string) ([]invite.Invitation, error) {
	var rows []invitationRow
	if err := s.scan(ctx, access.CodeInvitationNotFound, &rows,
		`DELETE FROM ?schema.invitations i WHERE i.email = ? RETURNING `+invitationCols, email); err != nil {
		return nil, err
	}
	out := each(rows, invitationRow.invitation)
	slices.SortFunc(out, func(a, b invite.Invitation) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out, nil
}
