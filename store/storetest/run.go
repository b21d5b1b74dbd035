package storetest

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/store"
)

// Factory returns a new, empty store for one test. It registers its own
// clean-up with t.Cleanup.
type Factory func(t *testing.T) store.Store

// Run is the conformance suite every store.Store implementation passes:
// the store contract method by method, then the rules of the services on
// top of it (so every rule is proven on every store).
func Run(t *testing.T, newStore Factory) {
	t.Run("access", func(t *testing.T) { testAccessStore(t, newStore) })
	t.Run("invite", func(t *testing.T) { testInviteStore(t, newStore) })
	t.Run("token", func(t *testing.T) { testTokenStore(t, newStore) })
	t.Run("service", func(t *testing.T) { testServices(t, newStore) })
}
