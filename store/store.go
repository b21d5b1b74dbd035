package store

import (
	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// Store is everything gatehouse keeps: the union of the domain packages'
// Store interfaces. Their RunInTx methods are identical, so they merge.
type Store interface {
	access.Store
	invite.Store
	token.Store
}
