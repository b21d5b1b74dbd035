package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// The invitations categories (run.go) cover package invite's Store, method by method.

// testInvitationList: ListInvitations filters by kind and by the status at
// Now (invite.Query.Matches), in ID order, page by page.
func testInvitationList(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, other := f.company(), f.company()
	var sent []invite.Invitation
	statuses := []invite.Status{invite.StatusPending, invite.StatusAccepted, invite.StatusRejected, invite.StatusRevoked, invite.StatusExpired}
	for i := range 20 {
		inv := f.invitation(c.ID, fmt.Sprintf("l%d@example.com", i), func(inv *invite.Invitation) {
			inv.Status = statuses[i%len(statuses)]
			if i%3 == 0 {
				inv.ExpiresAt = f.now.Add(-time.Minute) // lapsed while stored pending, for the pending ones
			}
			if i%4 == 0 {
				inv.Kind, inv.Relation, inv.TargetName = invite.KindConnection, invite.RelationAgency, "Pixel"
			}
		})
		sent = append(sent, inv)
		f.invitation(other.ID, fmt.Sprintf("l%d@example.com", i))
	}
	slices.SortFunc(sent, func(a, b invite.Invitation) int { return compareUUID(a.ID, b.ID) })
	for _, kind := range []invite.Kind{"", invite.KindMember, invite.KindConnection} {
		for _, st := range append([]invite.Status{""}, statuses...) {
			q := invite.Query{Kind: kind, Status: st, Now: f.now}
			want := []uuid.UUID{}
			for _, inv := range sent {
				if q.Matches(inv) {
					want = append(want, inv.ID)
				}
			}
			got := []uuid.UUID{}
			cur := access.Cursor{Limit: 2}
			for range len(sent) + 1 {
				page, err := f.s.ListInvitations(f.ctx, c.ID, q, cur)
				require.NoError(t, err)
				for _, inv := range page {
					got = append(got, inv.ID)
				}
				if len(page) < 2 {
					break
				}
				cur.After = page[len(page)-1].ID
			}
			assert.Equal(t, want, got, "kind %q status %q", kind, st)
		}
	}
	one, err := f.s.ListInvitations(f.ctx, c.ID, invite.Query{Now: f.now}, all())
	require.NoError(t, err)
	require.Len(t, one, len(sent))
	assert.Equal(t, normInvitation(sent[0]), normInvitation(one[0]))
}

// testInvitationReopen: RotateInvitation from StatusExpired makes the
// invitation pending again, only from that status and last send, and never
// as a second pending one of its company, kind and e-mail.
func testInvitationReopen(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c := f.company()
	inv := f.invitation(c.ID, "bob@example.com", func(i *invite.Invitation) {
		i.Status, i.ClosedAt = invite.StatusExpired, f.now
	})
	rot := invite.Rotation{ID: inv.ID, From: invite.StatusExpired, PrevSentAt: inv.LastSentAt,
		TokenHash: token.Hash("new-" + inv.ID.String()), ExpiresAt: f.now.Add(2 * time.Hour), SentAt: f.now.Add(time.Minute)}
	blocker := f.invitation(c.ID, "bob@example.com")
	assert.ErrorIs(t, f.s.RotateInvitation(f.ctx, rot), invite.ErrInvitationPending)
	require.NoError(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: blocker.ID, From: invite.StatusPending,
		To: invite.StatusRevoked, At: f.now}))
	pending := rot
	pending.From = invite.StatusPending
	assert.ErrorIs(t, f.s.RotateInvitation(f.ctx, pending), invite.ErrNotPending, "not from another status")
	require.NoError(t, f.s.RotateInvitation(f.ctx, rot))
	got, err := f.s.GetInvitation(f.ctx, c.ID, inv.ID)
	require.NoError(t, err)
	assert.Equal(t, invite.StatusPending, got.Status)
	assert.Zero(t, got.ClosedAt)
	assert.Equal(t, 2, got.SendCount)
	assert.Equal(t, rot.TokenHash, got.TokenHash)
	assert.True(t, got.ExpiresAt.Equal(rot.ExpiresAt))
	again, err := f.s.GetPendingInvitation(f.ctx, c.ID, invite.KindMember, "bob@example.com", "")
	require.NoError(t, err)
	assert.Equal(t, inv.ID, again.ID, "pending again, and found as such")
	assert.ErrorIs(t, f.s.RotateInvitation(f.ctx, rot), invite.ErrNotPending, "of two resends one wins")
	_, err = f.s.GetInvitationByHash(f.ctx, inv.TokenHash)
	assertNotFound(t, err, access.CodeInvitationNotFound)

	// Concurrently, from one expired invitation: exactly one reopens it.
	c2 := f.company()
	inv = f.invitation(c2.ID, "ann@example.com", func(i *invite.Invitation) { i.Status = invite.StatusExpired })
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			r := rot
			r.ID, r.PrevSentAt, r.TokenHash = inv.ID, inv.LastSentAt, token.Hash(fmt.Sprintf("race-%d-%s", i, inv.ID))
			errs[i] = f.s.RunInTx(f.ctx, func(ctx context.Context) error { return f.s.RotateInvitation(ctx, r) })
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			assert.ErrorIs(t, err, invite.ErrNotPending)
		}
	}
	assert.Equal(t, 1, won)
}

// testInvitationSends: RecordSend counts a company's and an inviter's sends
// after Since, refuses at the limit with the send that makes room, appends
// nothing when it refuses, and is exact under concurrency.
func testInvitationSends(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c := f.company()
	alice, bob := newID(), newID()
	at := func(m int) time.Time { return f.now.Add(time.Duration(m) * time.Minute) }
	send := func(inviter uuid.UUID, m int, l invite.SendLimits) time.Time {
		t.Helper()
		room, err := f.s.RecordSend(f.ctx, invite.Send{CompanyID: c.ID, InviterID: inviter, InvitationID: newID(), SentAt: at(m)}, l)
		require.NoError(t, err)
		return room
	}
	lim := func(m int) invite.SendLimits { return invite.SendLimits{Since: at(m - 60), Company: 4, Inviter: 2} }
	assert.Zero(t, send(alice, 0, lim(0)))
	assert.Zero(t, send(alice, 10, lim(10)))
	assert.True(t, send(alice, 20, lim(20)).Equal(at(0)), "the inviter's window is full: its oldest send makes room")
	assert.Zero(t, send(bob, 20, lim(20)))
	assert.Zero(t, send(uuid.Nil, 25, lim(25)), "the system counts for the company only")
	assert.True(t, send(bob, 30, lim(30)).Equal(at(0)), "the company's window is full")
	assert.True(t, send(uuid.Nil, 30, lim(30)).Equal(at(0)))
	assert.Zero(t, send(alice, 60, lim(60)), "at(0) left the window (a send counts for exactly the window)")
	assert.True(t, send(bob, 61, lim(61)).Equal(at(10)), "company: the refused sends were not logged")
	assert.Zero(t, send(bob, 61, invite.SendLimits{Since: at(1), Company: 0, Inviter: 0}), "no limits")
	assert.True(t, send(bob, 62, invite.SendLimits{Since: at(2), Company: 2, Inviter: 0}).Equal(at(60)),
		"a lowered limit: the send whose leaving brings the count below it")
	_, err := f.s.RecordSend(f.ctx, invite.Send{CompanyID: newID(), SentAt: at(0)}, lim(0))
	assertNotFound(t, err, access.CodeCompanyNotFound)

	// Rolled back with its transaction.
	c2 := f.company()
	one := invite.SendLimits{Since: at(-60), Company: 1}
	err = f.s.RunInTx(f.ctx, func(ctx context.Context) error {
		room, err := f.s.RecordSend(ctx, invite.Send{CompanyID: c2.ID, InvitationID: newID(), SentAt: at(0)}, one)
		require.NoError(t, err)
		require.Zero(t, room)
		return errors.New("roll back")
	})
	require.Error(t, err)
	room, err := f.s.RecordSend(f.ctx, invite.Send{CompanyID: c2.ID, InvitationID: newID(), SentAt: at(0)}, one)
	require.NoError(t, err)
	assert.Zero(t, room, "the rolled-back send left no trace")

	// Concurrently, each in a transaction that goes on after it: exactly
	// the limit succeeds.
	c3 := f.company()
	const n, limit = 12, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded := 0
	for range n {
		wg.Go(func() {
			err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
				room, err := f.s.RecordSend(ctx, invite.Send{CompanyID: c3.ID, InviterID: alice, InvitationID: newID(), SentAt: at(0)},
					invite.SendLimits{Since: at(-60), Company: 100, Inviter: limit})
				if err == nil && room.IsZero() {
					mu.Lock()
					recorded++
					mu.Unlock()
				}
				return err
			})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, limit, recorded)
}

func testInvitationCreateGet(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, other := f.company(), f.company()
	member := f.invitation(c.ID, "bob@example.com")
	conn := f.invitation(c.ID, "ada@example.com", func(i *invite.Invitation) {
		i.Kind, i.Role, i.Permissions = invite.KindConnection, "", []string{}
		i.Relation, i.TargetName, i.TargetID, i.InvitedBy = invite.RelationAgency, "Pixel", other.ID, uuid.Nil
	})
	for _, want := range []invite.Invitation{member, conn} {
		got, err := f.s.GetInvitation(f.ctx, c.ID, want.ID)
		require.NoError(t, err)
		assert.Equal(t, normInvitation(want), normInvitation(got))
		got, err = f.s.GetInvitationByHash(f.ctx, want.TokenHash)
		require.NoError(t, err)
		assert.Equal(t, normInvitation(want), normInvitation(got))
		got, err = f.s.GetPendingInvitation(f.ctx, c.ID, want.Kind, want.Email, want.Target())
		require.NoError(t, err)
		assert.Equal(t, want.ID, got.ID)
	}
	_, err := f.s.GetInvitation(f.ctx, other.ID, member.ID)
	assertNotFound(t, err, access.CodeInvitationNotFound, "another company's invitation")
	_, err = f.s.GetInvitation(f.ctx, c.ID, newID())
	assertNotFound(t, err, access.CodeInvitationNotFound)
	h := token.Hash("unknown")
	_, err = f.s.GetInvitationByHash(f.ctx, h)
	assertNotFound(t, err, access.CodeInvitationNotFound)
	_, err = f.s.GetPendingInvitation(f.ctx, c.ID, invite.KindMember, "nobody@example.com", "")
	assertNotFound(t, err, access.CodeInvitationNotFound)
	_, err = f.s.GetPendingInvitation(f.ctx, other.ID, invite.KindMember, "bob@example.com", "")
	assertNotFound(t, err, access.CodeInvitationNotFound)

	// The copy handed out is not the stored row.
	got, err := f.s.GetInvitation(f.ctx, c.ID, member.ID)
	require.NoError(t, err)
	got.Permissions[0] = "CHANGED"
	got.TokenHash[0] ^= 0xff
	again, err := f.s.GetInvitation(f.ctx, c.ID, member.ID)
	require.NoError(t, err)
	assert.Equal(t, normInvitation(member), normInvitation(again))

	bad := member
	bad.ID, bad.CompanyID, bad.Email = newID(), newID(), "x@example.com"
	bad.TokenHash = token.Digest([]byte("0123456789abcdef0123456789abcdef"))
	assertNotFound(t, f.s.CreateInvitation(f.ctx, &bad), access.CodeCompanyNotFound, "unknown company")
	dupHash := member
	dupHash.ID, dupHash.Email = newID(), "other@example.com"
	assertConflict(t, f.s.CreateInvitation(f.ctx, &dupHash), access.CodeTokenTaken)
	dupID := member
	dupID.Email, dupID.TokenHash = "third@example.com", token.Hash("third")
	assertConflict(t, f.s.CreateInvitation(f.ctx, &dupID), access.CodeIDTaken)
	for _, refused := range []invite.Invitation{dupHash, dupID} {
		_, err = f.s.GetPendingInvitation(f.ctx, c.ID, invite.KindMember, refused.Email, "")
		assertNotFound(t, err, access.CodeInvitationNotFound, "a refused invitation was stored")
	}
}

func testInvitationPendingUnique(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, other := f.company(), f.company()
	first := f.invitation(c.ID, "bob@example.com")
	dup := first
	dup.ID = newID()
	h := token.Hash(dup.ID.String())
	dup.TokenHash = h
	err := f.s.CreateInvitation(f.ctx, &dup)
	assertConflict(t, err, access.CodeInvitationPending)
	assert.ErrorIs(t, err, invite.ErrInvitationPending)

	// Another kind, another company, another e-mail: fine.
	f.invitation(c.ID, "bob@example.com", func(i *invite.Invitation) { i.Kind = invite.KindConnection })
	f.invitation(other.ID, "bob@example.com")
	f.invitation(c.ID, "carol@example.com")

	// A company invitation's target (Invitation.Target) is part of the key:
	// another company named, another pending invitation.
	connect := func(name string, id uuid.UUID) func(i *invite.Invitation) {
		return func(i *invite.Invitation) { i.Kind, i.TargetName, i.TargetID = invite.KindConnection, name, id }
	}
	foo := f.invitation(c.ID, "dan@example.com", connect("Foo", uuid.Nil))
	bar := f.invitation(c.ID, "dan@example.com", connect("Bar", uuid.Nil))
	byID := f.invitation(c.ID, "dan@example.com", connect("Foo", other.ID))
	for _, want := range []invite.Invitation{foo, bar, byID} {
		got, err := f.s.GetPendingInvitation(f.ctx, c.ID, invite.KindConnection, "dan@example.com", want.Target())
		require.NoError(t, err)
		assert.Equal(t, want.ID, got.ID, want.Target())
	}
	fooAgain := foo
	fooAgain.ID, fooAgain.TargetName = newID(), "FOO"
	fooAgain.TokenHash = token.Hash(fooAgain.ID.String())
	assertConflict(t, f.s.CreateInvitation(f.ctx, &fooAgain), access.CodeInvitationPending, "the same company, in another case")
	_, err = f.s.GetPendingInvitation(f.ctx, c.ID, invite.KindConnection, "dan@example.com", "name:baz")
	assertNotFound(t, err, access.CodeInvitationNotFound)

	// Expired but still stored pending: it blocks until closed.
	expired := f.invitation(c.ID, "old@example.com", func(i *invite.Invitation) { i.ExpiresAt = f.now.Add(-time.Hour) })
	blocked := expired
	blocked.ID = newID()
	h = token.Hash(blocked.ID.String())
	blocked.TokenHash = h
	assertConflict(t, f.s.CreateInvitation(f.ctx, &blocked), access.CodeInvitationPending)
	require.NoError(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: expired.ID, From: invite.StatusPending, To: invite.StatusExpired, At: f.now}))
	require.NoError(t, f.s.CreateInvitation(f.ctx, &blocked), "a terminal invitation never blocks")

	// Every terminal state frees the e-mail.
	for _, to := range []invite.Status{invite.StatusAccepted, invite.StatusRejected, invite.StatusRevoked} {
		cur, err := f.s.GetPendingInvitation(f.ctx, c.ID, invite.KindMember, "bob@example.com", "")
		require.NoError(t, err)
		require.NoError(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: cur.ID, From: invite.StatusPending, To: to, At: f.now}))
		_, err = f.s.GetPendingInvitation(f.ctx, c.ID, invite.KindMember, "bob@example.com", "")
		assertNotFound(t, err, access.CodeInvitationNotFound)
		f.invitation(c.ID, "bob@example.com")
	}
}

func testInvitationClaim(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, target := f.company(), f.company()
	inv := f.invitation(c.ID, "bob@example.com")
	at := f.now.Add(time.Minute)
	user, conn := newID(), newID()
	require.NoError(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: inv.ID, From: invite.StatusPending, To: invite.StatusAccepted,
		At: at, UserID: user, TargetID: target.ID, ConnectionID: conn}))
	got, err := f.s.GetInvitation(f.ctx, c.ID, inv.ID)
	require.NoError(t, err)
	want := inv
	want.Status, want.ClosedAt, want.UpdatedAt = invite.StatusAccepted, at, at
	want.UserID, want.TargetID, want.ConnectionID = user, target.ID, conn
	assert.Equal(t, normInvitation(want), normInvitation(got))

	for _, to := range []invite.Status{invite.StatusAccepted, invite.StatusRejected, invite.StatusRevoked, invite.StatusExpired} {
		err := f.s.ClaimInvitation(f.ctx, invite.Transition{ID: inv.ID, From: invite.StatusPending, To: to, At: at})
		assertConflict(t, err, access.CodeInvitationNotPending, to)
		assert.ErrorIs(t, err, invite.ErrNotPending)
	}
	assertNotFound(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: newID(), From: invite.StatusPending, To: invite.StatusRevoked, At: at}), access.CodeInvitationNotFound)

	// now >= expires_at is expired: only the move to expired is allowed.
	exp := f.invitation(c.ID, "exp@example.com")
	err = f.s.ClaimInvitation(f.ctx, invite.Transition{ID: exp.ID, From: invite.StatusPending, To: invite.StatusAccepted, At: exp.ExpiresAt})
	assert.ErrorIs(t, err, invite.ErrNotPending)
	require.NoError(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: exp.ID, From: invite.StatusPending, To: invite.StatusExpired, At: exp.ExpiresAt}))
	got, err = f.s.GetInvitation(f.ctx, c.ID, exp.ID)
	require.NoError(t, err)
	assert.Equal(t, invite.StatusExpired, got.Status)
	assert.Equal(t, uuid.Nil, got.UserID, "nil outcome fields leave the stored ones")

	// Concurrent claims: exactly one wins.
	race := f.invitation(c.ID, "race@example.com")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := []invite.Status{invite.StatusAccepted, invite.StatusRejected}[i%2]
			err := f.s.ClaimInvitation(f.ctx, invite.Transition{ID: race.ID, From: invite.StatusPending, To: to, At: at})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else {
				assert.ErrorIs(t, err, invite.ErrNotPending)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, wins)
}

func testInvitationRotate(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c := f.company()
	inv := f.invitation(c.ID, "bob@example.com")
	h := token.Hash("rotated")
	later := f.now.Add(48 * time.Hour)
	r := invite.Rotation{ID: inv.ID, PrevSentAt: inv.LastSentAt, TokenHash: h, ExpiresAt: later.Add(time.Hour), SentAt: later}
	require.NoError(t, f.s.RotateInvitation(f.ctx, r))
	got, err := f.s.GetInvitationByHash(f.ctx, h)
	require.NoError(t, err)
	want := inv
	want.TokenHash, want.ExpiresAt, want.LastSentAt, want.UpdatedAt, want.SendCount = h, later.Add(time.Hour), later, later, 2
	assert.Equal(t, normInvitation(want), normInvitation(got))
	_, err = f.s.GetInvitationByHash(f.ctx, inv.TokenHash)
	assertNotFound(t, err, access.CodeInvitationNotFound, "the old token stops working")

	taken := f.invitation(c.ID, "taken@example.com")
	clash := invite.Rotation{ID: inv.ID, PrevSentAt: later, TokenHash: taken.TokenHash, ExpiresAt: later.Add(time.Hour), SentAt: later}
	assertConflict(t, f.s.RotateInvitation(f.ctx, clash), access.CodeTokenTaken, "another invitation's token hash")
	got, err = f.s.GetInvitationByHash(f.ctx, h)
	require.NoError(t, err, "the refused rotation changed the token hash")
	assert.Equal(t, 2, got.SendCount)

	h2 := token.Hash("rotated again")
	stale := r
	stale.TokenHash = h2
	assertConflict(t, f.s.RotateInvitation(f.ctx, stale), access.CodeInvitationNotPending, "a concurrent resend won")
	fresh := stale
	fresh.PrevSentAt = later
	require.NoError(t, f.s.RotateInvitation(f.ctx, fresh))
	got, err = f.s.GetInvitation(f.ctx, c.ID, inv.ID)
	require.NoError(t, err)
	assert.Equal(t, 3, got.SendCount)

	require.NoError(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: inv.ID, From: invite.StatusPending, To: invite.StatusRevoked, At: later}))
	h3 := token.Hash("too late")
	assertConflict(t, f.s.RotateInvitation(f.ctx, invite.Rotation{ID: inv.ID, PrevSentAt: later, TokenHash: h3, ExpiresAt: later, SentAt: later}), access.CodeInvitationNotPending)
	assertNotFound(t, f.s.RotateInvitation(f.ctx, invite.Rotation{ID: newID(), TokenHash: h3, SentAt: later}), access.CodeInvitationNotFound)
}

func testInvitationRefresh(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c := f.company()
	inv := f.invitation(c.ID, "bob@example.com")
	later := f.now.Add(time.Hour)
	upd := inv
	upd.Role, upd.Permissions, upd.InvitedBy = access.RoleAdmin, []string{access.UserAdd, access.UserView}, newID()
	upd.ExpiresAt, upd.UpdatedAt = later.Add(24*time.Hour), later
	upd.Email, upd.SendCount = "ignored@example.com", 99 // not part of a refresh
	require.NoError(t, f.s.RefreshInvitation(f.ctx, &upd))
	got, err := f.s.GetInvitation(f.ctx, c.ID, inv.ID)
	require.NoError(t, err)
	want := upd
	want.Email, want.SendCount = inv.Email, inv.SendCount
	assert.Equal(t, normInvitation(want), normInvitation(got))

	require.NoError(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: inv.ID, From: invite.StatusPending, To: invite.StatusRejected, At: later}))
	assertConflict(t, f.s.RefreshInvitation(f.ctx, &upd), access.CodeInvitationNotPending)
	missing := upd
	missing.ID = newID()
	assertNotFound(t, f.s.RefreshInvitation(f.ctx, &missing), access.CodeInvitationNotFound)
}

func testInvitationListPending(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c, other := f.company(), f.company()
	var members, conns []uuid.UUID
	for i := range 5 {
		members = append(members, f.invitation(c.ID, fmt.Sprintf("m%d@example.com", i)).ID)
		if i%2 == 0 {
			conns = append(conns, f.invitation(c.ID, fmt.Sprintf("c%d@example.com", i), func(i *invite.Invitation) { i.Kind = invite.KindConnection }).ID)
		}
	}
	f.invitation(other.ID, "m0@example.com")
	f.invitation(c.ID, "expired@example.com", func(i *invite.Invitation) { i.ExpiresAt = f.now })
	closed := f.invitation(c.ID, "closed@example.com")
	require.NoError(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: closed.ID, From: invite.StatusPending, To: invite.StatusRevoked, At: f.now}))

	got, err := f.s.ListPendingInvitations(f.ctx, c.ID, invite.KindMember, f.now, all())
	require.NoError(t, err)
	assert.Equal(t, sortedIDs(members...), invIDs(got))
	got, err = f.s.ListPendingInvitations(f.ctx, c.ID, invite.KindConnection, f.now, all())
	require.NoError(t, err)
	assert.Equal(t, sortedIDs(conns...), invIDs(got))
	got, err = f.s.ListPendingInvitations(f.ctx, c.ID, "", f.now, all())
	require.NoError(t, err)
	want := sortedIDs(append(members, conns...)...)
	assert.Equal(t, want, invIDs(got))

	// Keyset pages, stable while rows are added.
	var paged []uuid.UUID
	cur := access.Cursor{Limit: 3}
	for {
		page, err := f.s.ListPendingInvitations(f.ctx, c.ID, "", f.now, cur)
		require.NoError(t, err)
		paged = append(paged, invIDs(page)...)
		if len(page) < cur.Limit {
			break
		}
		cur.After = page[len(page)-1].ID
	}
	assert.Equal(t, want, paged)

	got, err = f.s.ListPendingInvitations(f.ctx, c.ID, "", f.now.Add(2*time.Hour), all())
	require.NoError(t, err)
	assert.Empty(t, got, "all expired by then")
}

func testInvitationListByEmail(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	a, b := f.company(), f.company()
	x := f.invitation(a.ID, "bob@example.com")
	y := f.invitation(b.ID, "bob@example.com", func(i *invite.Invitation) { i.Kind = invite.KindConnection })
	f.invitation(a.ID, "carol@example.com")
	f.invitation(b.ID, "bob@example.com", func(i *invite.Invitation) { i.ExpiresAt = f.now.Add(-time.Second) })
	closed := f.invitation(a.ID, "bob@example.com", func(i *invite.Invitation) { i.Kind = invite.KindConnection })
	require.NoError(t, f.s.ClaimInvitation(f.ctx, invite.Transition{ID: closed.ID, From: invite.StatusPending, To: invite.StatusAccepted, At: f.now}))

	got, err := f.s.ListPendingByEmail(f.ctx, "bob@example.com", f.now, all())
	require.NoError(t, err)
	assert.Equal(t, sortedIDs(x.ID, y.ID), invIDs(got))
	got, err = f.s.ListPendingByEmail(f.ctx, "bob@example.com", f.now, access.Cursor{Limit: 1, After: got[0].ID})
	require.NoError(t, err)
	assert.Len(t, got, 1)
	got, err = f.s.ListPendingByEmail(f.ctx, "nobody@example.com", f.now, all())
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testInvitationRollback(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c := f.company()
	kept := f.invitation(c.ID, "kept@example.com")
	boom := errors.New("boom")
	var created invite.Invitation
	err := f.s.RunInTx(f.ctx, func(ctx context.Context) error {
		h := token.Hash("gone")
		created = kept
		created.ID, created.Email, created.TokenHash = newID(), "gone@example.com", h
		require.NoError(t, f.s.CreateInvitation(ctx, &created))
		require.NoError(t, f.s.ClaimInvitation(ctx, invite.Transition{ID: kept.ID, From: invite.StatusPending, To: invite.StatusAccepted, At: f.now}))
		h2 := token.Hash("gone2")
		require.ErrorIs(t, f.s.RotateInvitation(ctx, invite.Rotation{ID: kept.ID, PrevSentAt: kept.LastSentAt, TokenHash: h2, SentAt: f.now}), invite.ErrNotPending)
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = f.s.GetInvitation(f.ctx, c.ID, created.ID)
	assertNotFound(t, err, access.CodeInvitationNotFound)
	_, err = f.s.GetInvitationByHash(f.ctx, created.TokenHash)
	assertNotFound(t, err, access.CodeInvitationNotFound)
	got, err := f.s.GetInvitation(f.ctx, c.ID, kept.ID)
	require.NoError(t, err)
	assert.Equal(t, normInvitation(kept), normInvitation(got))
	// The pending slot of the rolled back invitation is free again.
	f.invitation(c.ID, "gone@example.com")
	// And the claim was undone with its index.
	_, err = f.s.GetPendingInvitation(f.ctx, c.ID, invite.KindMember, "kept@example.com", "")
	assert.NoError(t, err)
}

func testInvitationCompanyDeleted(t *testing.T, newStore Factory) {
	f := newRows(t, newStore)
	c := f.company()
	inv := f.invitation(c.ID, "bob@example.com")
	require.NoError(t, f.s.DeleteCompany(f.ctx, c.ID))
	_, err := f.s.GetInvitation(f.ctx, c.ID, inv.ID)
	assertNotFound(t, err, access.CodeInvitationNotFound)
	_, err = f.s.GetInvitationByHash(f.ctx, inv.TokenHash)
	assertNotFound(t, err, access.CodeInvitationNotFound)
	got, err := f.s.ListPendingByEmail(f.ctx, "bob@example.com", f.now, all())
	require.NoError(t, err)
	assert.Empty(t, got)
}

// testInviteFlows runs the invite Service's promises that depend on the
// store: one success of many concurrent accepts, one connection when two
// companies invite each other and accept at once, invitations that die
// with their company or their token.
func testInviteFlows(t *testing.T, newStore Factory) {
	t.Run("concurrent accepts", func(t *testing.T) { testInvitationConcurrentAccept(t, newStore) })
	t.Run("concurrent cross invitations", func(t *testing.T) { testInvitationCrossConnect(t, newStore) })
	t.Run("accept after company deleted", func(t *testing.T) { testAcceptAfterCompanyDeleted(t, newStore) })
	t.Run("token invitation needs its token", func(t *testing.T) { testTokenInvitationNeedsItsToken(t, newStore) })
	t.Run("reinvite", func(t *testing.T) { testReinvite(t, newStore) }) // reinvite.go
}

func testInvitationConcurrentAccept(t *testing.T, newStore Factory) {
	w := NewWorld(t, newStore(t))
	svc := w.Invite
	ctx := context.Background()
	email := fmt.Sprintf("bob-%s@example.com", uuid.NewString()[:8])
	is, err := svc.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: email, Role: access.RoleViewer})
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wins []invite.Acceptance
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := svc.Accept(ctx, access.Principal{}, is.Token.Reveal())
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins = append(wins, res)
				return
			}
			assert.ErrorIs(t, err, access.ErrConflict)
		}()
	}
	wg.Wait()
	require.Len(t, wins, 1, "exactly one success")
	u, err := w.Store.GetUserByEmail(ctx, email)
	require.NoError(t, err)
	assert.Equal(t, u.ID, wins[0].UserID)
	members, err := w.Store.ListMembers(ctx, w.Company.ID, nil, all())
	require.NoError(t, err)
	assert.Len(t, members, 2, "the owner and one new member")
	got, err := w.Store.GetInvitation(ctx, w.Company.ID, is.Invitation.ID)
	require.NoError(t, err)
	assert.Equal(t, invite.StatusAccepted, got.Status)
}

func testInvitationCrossConnect(t *testing.T, newStore Factory) {
	w := NewWorld(t, newStore(t))
	svc := w.Invite
	ctx := context.Background()
	// The agency, with an ADMIN who accepts for it.
	boss := w.User(t, "boss")
	agency, err := w.Access.CreateCompany(ctx, access.UserPrincipal(boss.ID, uuid.Nil), access.NewCompany{Name: "Agency " + uuid.NewString()[:8]})
	require.NoError(t, err)
	asBoss := access.UserPrincipal(boss.ID, agency.ID)

	toAgency, err := svc.InviteCompany(ctx, w.AsOwner, invite.NewConnectionInvitation{
		Email: boss.Email, Relation: invite.RelationAgency, CompanyName: agency.Name, Permissions: []string{access.UserView}})
	require.NoError(t, err)
	toCustomer, err := svc.InviteCompany(ctx, asBoss, invite.NewConnectionInvitation{
		Email: w.Owner.Email, Relation: invite.RelationCustomer, CompanyID: w.Company.ID})
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); _, errs[0] = svc.Accept(ctx, asBoss, toAgency.Token.Reveal()) }()
	go func() { defer wg.Done(); _, errs[1] = svc.Accept(ctx, w.AsOwner, toCustomer.Token.Reveal()) }()
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assertConflict(t, err, access.CodeAlreadyConnected)
	}
	assert.Equal(t, 1, ok, "one acceptance wins")
	conns, err := w.Store.ListConnections(ctx, w.Company.ID, all())
	require.NoError(t, err)
	assert.Len(t, conns, 1, "one connection per pair")
}

// testAcceptAfterCompanyDeleted: an invitation of a deleted company is gone
// on every store, so accepting it is the ErrNotFound of an unknown token.
func testAcceptAfterCompanyDeleted(t *testing.T, newStore Factory) {
	w := NewWorld(t, newStore(t))
	svc := w.Invite
	ctx := context.Background()
	is, err := svc.Invite(ctx, w.AsOwner, invite.NewInvitation{Email: "late-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	require.NoError(t, w.Access.DeleteCompany(ctx, w.AsOwner))
	_, err = svc.Accept(ctx, access.SystemPrincipal(), is.Token.Reveal())
	assert.ErrorIs(t, err, access.ErrNotFound)
}

// testTokenInvitationNeedsItsToken: an invitation an API token made is
// accepted only while that token still stands (not revoked, not expired),
// and within the token's own ceiling.
func testTokenInvitationNeedsItsToken(t *testing.T, newStore Factory) {
	w := NewWorld(t, newStore(t))
	svc := w.Invite
	ctx := context.Background()
	tokens := w.Token
	made, err := tokens.Create(ctx, w.AsOwner, token.NewToken{Name: "inviter", Role: access.RoleAdmin})
	require.NoError(t, err)
	p, err := tokens.Verify(ctx, made.Secret.Reveal())
	require.NoError(t, err)
	first, err := svc.Invite(ctx, p, invite.NewInvitation{Email: "t1-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	second, err := svc.Invite(ctx, p, invite.NewInvitation{Email: "t2-" + uuid.NewString()[:8] + "@example.com", Role: access.RoleViewer})
	require.NoError(t, err)
	_, err = svc.Accept(ctx, access.SystemPrincipal(), first.Token.Reveal())
	require.NoError(t, err, "accepted while the token stands")

	_, err = tokens.Revoke(ctx, w.AsOwner, made.Token.ID)
	require.NoError(t, err)
	_, err = svc.Accept(ctx, access.SystemPrincipal(), second.Token.Reveal())
	assert.ErrorIs(t, err, invite.ErrInviterNotAuthorized, "a revoked token no longer vouches for its invitation")
}
