package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
	"github.com/google/uuid"
)

var _ invite.Store = (*Store)(nil)

// pendingKey is unique among pending invitations: PostgreSQL's partial
// unique index on (company_id, kind, email, target_key) WHERE status =
// 'pending'.
type pendingKey struct {
	company uuid.UUID
	kind    invite.Kind
	email   string
	target  string // invite.Invitation.Target
}

// inviteTables holds the state of package invite's Store. Invitations of a
// deleted company stay behind but are invisible (every read checks the
// company), as PostgreSQL's ON DELETE CASCADE would have removed them.
type inviteTables struct {
	invs           table[uuid.UUID, invite.Invitation]
	byHash         table[token.Digest, uuid.UUID]
	pendingBy      table[pendingKey, uuid.UUID]
	companyPending idIndex[uuid.UUID]
	emailPending   idIndex[string]
	companyInvs    idIndex[uuid.UUID] // every invitation, by company
	// sends is each company's send log (RecordSend), oldest first. A
	// slice is never changed in place: a change stores a new one.
	sends table[uuid.UUID, []invite.Send]
}

func (t *inviteTables) init() {
	*t = inviteTables{
		invs: table[uuid.UUID, invite.Invitation]{}, byHash: table[token.Digest, uuid.UUID]{},
		pendingBy: table[pendingKey, uuid.UUID]{}, companyPending: idIndex[uuid.UUID]{},
		emailPending: idIndex[string]{}, companyInvs: idIndex[uuid.UUID]{}, sends: table[uuid.UUID, []invite.Send]{},
	}
}

func cloneInvitation(i invite.Invitation) invite.Invitation {
	i.Permissions = slices.Clone(i.Permissions)
	return i
}

func pendingKeyOf(i invite.Invitation) pendingKey {
	return pendingKey{i.CompanyID, i.Kind, i.Email, i.Target()}
}

// invitation returns a live invitation: its company still exists.
func (s *Store) invitation(id uuid.UUID) (invite.Invitation, bool) {
	i, ok := s.inv.invs[id]
	if !ok {
		return i, false
	}
	_, ok = s.acc.companies[i.CompanyID]
	return i, ok
}

func (t *inviteTables) indexPending(tx *tx, i invite.Invitation) {
	t.pendingBy.put(tx, pendingKeyOf(i), i.ID)
	t.companyPending.add(tx, i.CompanyID, i.ID)
	t.emailPending.add(tx, i.Email, i.ID)
}

func (t *inviteTables) unindexPending(tx *tx, i invite.Invitation) {
	t.pendingBy.del(tx, pendingKeyOf(i))
	t.companyPending.del(tx, i.CompanyID, i.ID)
	t.emailPending.del(tx, i.Email, i.ID)
}

// CreateInvitation implements invite.Store.
func (s *Store) CreateInvitation(ctx context.Context, inv *invite.Invitation) error {
	return s.write(ctx, func(t *tx) error {
		v := &s.inv
		if _, ok := s.acc.companies[inv.CompanyID]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		if _, ok := v.invs[inv.ID]; ok {
			return access.Conflict(access.CodeIDTaken, "invitation %s exists", inv.ID)
		}
		if _, ok := v.byHash[inv.TokenHash]; ok {
			return access.Conflict(access.CodeTokenTaken, "the token hash is taken")
		}
		if inv.Status == invite.StatusPending {
			if old, ok := v.pendingBy[pendingKeyOf(*inv)]; ok {
				if _, live := s.invitation(old); live {
					return invite.ErrInvitationPending
				}
				// Left behind by a deleted company with the same ID: gone.
				v.unindexPending(t, v.invs[old])
			}
		}
		n := cloneInvitation(*inv)
		v.invs.put(t, n.ID, n)
		v.byHash.put(t, n.TokenHash, n.ID)
		v.companyInvs.add(t, n.CompanyID, n.ID)
		if n.Status == invite.StatusPending {
			v.indexPending(t, n)
		}
		return nil
	})
}

func (s *Store) getInvitation(ctx context.Context, lookup func() (uuid.UUID, bool)) (out invite.Invitation, err error) {
	if rerr := s.read(ctx, func() {
		id, ok := lookup()
		if ok {
			out, ok = s.invitation(id)
		}
		if !ok {
			err = access.NotFound(access.CodeInvitationNotFound)
			return
		}
		out = cloneInvitation(out)
	}); rerr != nil {
		return invite.Invitation{}, rerr
	}
	return out, err
}

// GetInvitation implements invite.Store.
func (s *Store) GetInvitation(ctx context.Context, companyID, id uuid.UUID) (invite.Invitation, error) {
	return s.getInvitation(ctx, func() (uuid.UUID, bool) {
		i, ok := s.inv.invs[id]
		return id, ok && i.CompanyID == companyID
	})
}

// GetInvitationByHash implements invite.Store.
func (s *Store) GetInvitationByHash(ctx context.Context, hash token.Digest) (invite.Invitation, error) {
	return s.getInvitation(ctx, func() (uuid.UUID, bool) {
		id, ok := s.inv.byHash[hash]
		return id, ok && hash != token.Digest{}
	})
}

// GetPendingInvitation implements invite.Store.
func (s *Store) GetPendingInvitation(ctx context.Context, companyID uuid.UUID, kind invite.Kind, email, target string) (invite.Invitation, error) {
	return s.getInvitation(ctx, func() (uuid.UUID, bool) {
		id, ok := s.inv.pendingBy[pendingKey{companyID, kind, email, target}]
		return id, ok
	})
}

// update applies change to a live invitation under the write lock,
// re-indexing it when it leaves the pending state.
func (s *Store) update(ctx context.Context, id uuid.UUID, change func(i *invite.Invitation) error) error {
	return s.write(ctx, func(t *tx) error {
		v := &s.inv
		old, ok := s.invitation(id)
		if !ok {
			return access.NotFound(access.CodeInvitationNotFound)
		}
		n := cloneInvitation(old)
		if err := change(&n); err != nil {
			return err
		}
		rehash := old.TokenHash != n.TokenHash
		if _, taken := v.byHash[n.TokenHash]; rehash && taken {
			return access.Conflict(access.CodeTokenTaken, "the token hash is taken")
		}
		reopen := old.Status != invite.StatusPending && n.Status == invite.StatusPending
		if other, ok := v.pendingBy[pendingKeyOf(n)]; reopen && ok {
			if _, live := s.invitation(other); live {
				return invite.ErrInvitationPending
			}
			v.unindexPending(t, v.invs[other])
		}
		// Checked everything: from here on, only mutations.
		if old.Status == invite.StatusPending && n.Status != invite.StatusPending {
			v.unindexPending(t, old)
		}
		if reopen {
			v.indexPending(t, n)
		}
		if rehash {
			v.byHash.del(t, old.TokenHash)
			v.byHash.put(t, n.TokenHash, id)
		}
		v.invs.put(t, id, n)
		return nil
	})
}

// ClaimInvitation implements invite.Store.
func (s *Store) ClaimInvitation(ctx context.Context, tr invite.Transition) error {
	return s.update(ctx, tr.ID, func(i *invite.Invitation) error {
		if i.Status != tr.From || tr.To != invite.StatusExpired && !tr.At.Before(i.ExpiresAt) {
			return invite.ErrNotPending
		}
		i.Status, i.ClosedAt, i.UpdatedAt = tr.To, tr.At, tr.At
		if tr.UserID != uuid.Nil {
			i.UserID = tr.UserID
		}
		if tr.TargetID != uuid.Nil {
			i.TargetID = tr.TargetID
		}
		if tr.ConnectionID != uuid.Nil {
			i.ConnectionID = tr.ConnectionID
		}
		return nil
	})
}

// RotateInvitation implements invite.Store.
func (s *Store) RotateInvitation(ctx context.Context, r invite.Rotation) error {
	return s.update(ctx, r.ID, func(i *invite.Invitation) error {
		from := r.From
		if from == "" {
			from = invite.StatusPending
		}
		if i.Status != from || !i.LastSentAt.Equal(r.PrevSentAt) {
			return invite.ErrNotPending
		}
		i.Status, i.ClosedAt = invite.StatusPending, time.Time{}
		i.TokenHash = r.TokenHash
		i.ExpiresAt, i.LastSentAt, i.UpdatedAt = r.ExpiresAt, r.SentAt, r.SentAt
		i.SendCount++
		return nil
	})
}

// RefreshInvitation implements invite.Store.
func (s *Store) RefreshInvitation(ctx context.Context, inv *invite.Invitation) error {
	return s.update(ctx, inv.ID, func(i *invite.Invitation) error {
		if i.Status != invite.StatusPending {
			return invite.ErrNotPending
		}
		i.Role, i.Permissions = inv.Role, slices.Clone(inv.Permissions)
		i.Relation, i.TargetName, i.TargetID = inv.Relation, inv.TargetName, inv.TargetID
		i.InvitedBy, i.InvitedByToken, i.ExpiresAt, i.UpdatedAt = inv.InvitedBy, inv.InvitedByToken, inv.ExpiresAt, inv.UpdatedAt
		return nil
	})
}

// listPending pages the pending invitations filed under k that have not
// expired at now.
func listPending[K comparable](ctx context.Context, s *Store, ix idIndex[K], k K, kind invite.Kind, now time.Time, c access.Cursor) (out []invite.Invitation, err error) {
	err = s.read(ctx, func() {
		out = page(ix, k, c, func(id uuid.UUID) (invite.Invitation, bool) {
			i, ok := s.invitation(id)
			if !ok || !now.Before(i.ExpiresAt) || kind != "" && i.Kind != kind {
				return i, false
			}
			return cloneInvitation(i), true
		})
	})
	return out, err
}

// ListPendingInvitations implements invite.Store.
func (s *Store) ListPendingInvitations(ctx context.Context, companyID uuid.UUID, kind invite.Kind, now time.Time, c access.Cursor) ([]invite.Invitation, error) {
	return listPending(ctx, s, s.inv.companyPending, companyID, kind, now, c)
}

// ListPendingByEmail implements invite.Store.
func (s *Store) ListPendingByEmail(ctx context.Context, email string, now time.Time, c access.Cursor) ([]invite.Invitation, error) {
	return listPending(ctx, s, s.inv.emailPending, email, "", now, c)
}

// ListInvitations implements invite.Store.
func (s *Store) ListInvitations(ctx context.Context, companyID uuid.UUID, q invite.Query, c access.Cursor) (out []invite.Invitation, err error) {
	err = s.read(ctx, func() {
		out = page(s.inv.companyInvs, companyID, c, func(id uuid.UUID) (invite.Invitation, bool) {
			i, ok := s.invitation(id)
			if !ok || !q.Matches(i) {
				return i, false
			}
			return cloneInvitation(i), true
		})
	})
	return out, err
}

// RecordSend implements invite.Store: the write lock serialises it, as
// the company's row lock does in PostgreSQL.
func (s *Store) RecordSend(ctx context.Context, sn invite.Send, l invite.SendLimits) (oldest time.Time, err error) {
	err = s.write(ctx, func(t *tx) error {
		if _, ok := s.acc.companies[sn.CompanyID]; !ok {
			return access.NotFound(access.CodeCompanyNotFound)
		}
		log := s.inv.sends[sn.CompanyID]
		keep := slices.IndexFunc(log, func(x invite.Send) bool { return x.SentAt.After(l.Since) })
		if keep < 0 {
			keep = len(log)
		}
		window := log[keep:]
		var mine []invite.Send
		for _, x := range window {
			if sn.InviterID != uuid.Nil && x.InviterID == sn.InviterID {
				mine = append(mine, x)
			}
		}
		oldest = roomAt(window, l.Company)
		if sn.InviterID != uuid.Nil {
			if at := roomAt(mine, l.Inviter); at.After(oldest) {
				oldest = at
			}
		}
		if !oldest.IsZero() {
			return nil
		}
		n := append(slices.Clone(window), sn)
		slices.SortStableFunc(n, func(a, b invite.Send) int { return a.SentAt.Compare(b.SentAt) })
		s.inv.sends.put(t, sn.CompanyID, n)
		return nil
	})
	return oldest, err
}

// roomAt is, for a window of sends oldest first that has reached limit,
// the time of the send whose leaving it makes room for one more; the zero
// time while there is room (or no limit).
func roomAt(window []invite.Send, limit int) time.Time {
	if limit <= 0 || len(window) < limit {
		return time.Time{}
	}
	return window[len(window)-limit].SentAt
}

// deleteCompany drops the company's invitations, as PostgreSQL's cascade
// does. A scan: deleting a company is rare.
func (t *inviteTables) deleteCompany(tx *tx, companyID uuid.UUID) {
	t.sends.del(tx, companyID)
	for id, i := range t.invs {
		if i.CompanyID != companyID {
			continue
		}
		if i.Status == invite.StatusPending {
			t.unindexPending(tx, i)
		}
		t.byHash.del(tx, i.TokenHash)
		t.companyInvs.del(tx, i.CompanyID, id)
		t.invs.del(tx, id)
	}
}

// DeleteInvitationsTo implements invite.Store. It reads every
// invitation: an erasure's cost.
func (s *Store) DeleteInvitationsTo(ctx context.Context, email string) ([]invite.Invitation, error) {
	var out []invite.Invitation
	err := s.write(ctx, func(t *tx) error {
		v := &s.inv
		for id, i := range v.invs {
			if i.Email != email {
				continue
			}
			if _, live := s.acc.companies[i.CompanyID]; live {
				out = append(out, cloneInvitation(i))
			}
			if v.pendingBy[pendingKeyOf(i)] == id {
				v.pendingBy.del(t, pendingKeyOf(i))
			}
			v.companyPending.del(t, i.CompanyID, id)
			v.emailPending.del(t, i.Email, id)
			v.companyInvs.del(t, i.CompanyID, id)
			v.byHash.del(t, i.TokenHash)
			v.invs.del(t, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b invite.Invitation) int { return compareID(a.ID, b.ID) })
	return out, nil
}
