package storetest

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
)

// WriteFixture is one company, of any size, for MembershipWrites: each
// store's benchmark builds it its own (fast) way and runs the same writes.
type WriteFixture struct {
	Service *access.Service
	Owner   access.Principal // an active OWNER user acting in the company
	Viewer  uuid.UUID        // an active VIEWER member
	CoOwner uuid.UUID        // a second active OWNER
	Joiner  uuid.UUID        // an active user who is not a member
}

// MembershipWrites runs every membership write through the service as the
// OWNER, one sub-benchmark each; the size of the company is the caller's
// sub-benchmark around it, so one run shows the writes' cost at every size
// side by side. Each iteration leaves the company as it found it:
//
//   - role-change: the VIEWER becomes VIEWER_PLUS, or back (one change);
//   - demote-promote: the second OWNER becomes ADMIN and OWNER again (two
//     changes, the first consulting the last-owner rule);
//   - add-remove: the joiner is added as a VIEWER and removed (two writes);
//   - deactivate-reactivate: the VIEWER is deactivated and reactivated.
func MembershipWrites(b *testing.B, f WriteFixture) {
	ctx := context.Background()
	run := func(name string, f func(b *testing.B)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs() // allocations per write: the same at every size, whatever the machine's load
			f(b)
		})
	}
	update := func(b *testing.B, id uuid.UUID, up access.MemberUpdate) {
		if _, err := f.Service.UpdateMember(ctx, f.Owner, id, up); err != nil {
			b.Fatal(err)
		}
	}
	run("role-change", func(b *testing.B) {
		roles := []string{access.RoleViewerPlus, access.RoleViewer}
		for i := 0; b.Loop(); i++ {
			update(b, f.Viewer, access.MemberUpdate{Role: &roles[i%2]})
		}
		if b.N%2 == 1 {
			update(b, f.Viewer, access.MemberUpdate{Role: &roles[1]})
		}
	})
	run("demote-promote", func(b *testing.B) {
		admin, owner := access.RoleAdmin, access.RoleOwner
		for b.Loop() {
			update(b, f.CoOwner, access.MemberUpdate{Role: &admin})
			update(b, f.CoOwner, access.MemberUpdate{Role: &owner})
		}
	})
	run("add-remove", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.Service.AddMember(ctx, f.Owner, access.NewMember{
				UserID: f.Joiner, Role: access.RoleViewer, Consented: true}); err != nil {
				b.Fatal(err)
			}
			if err := f.Service.RemoveMember(ctx, f.Owner, f.Joiner); err != nil {
				b.Fatal(err)
			}
		}
	})
	run("deactivate-reactivate", func(b *testing.B) {
		off, on := false, true
		for b.Loop() {
			update(b, f.Viewer, access.MemberUpdate{Active: &off})
			update(b, f.Viewer, access.MemberUpdate{Active: &on})
		}
	})
}
