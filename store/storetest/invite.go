package storetest

import "testing"

// testInviteStore covers package invite's Store.
func testInviteStore(t *testing.T, newStore Factory) {}
