package storetest

import "testing"

// testServices runs the services' rules on top of the store.
func testServices(t *testing.T, newStore Factory) {}
