package invite

import "github.com/gatehouse-go/gatehouse/access"

// Store is what the invite Service needs from storage: the access Store
// (memberships, users, connections, audit, one shared transaction) and the
// invitations themselves.
type Store interface {
	access.Store
}
