package storetest

import "testing"

// testTokenStore covers package token's Store.
func testTokenStore(t *testing.T, newStore Factory) {}
