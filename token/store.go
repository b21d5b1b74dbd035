package token

import "github.com/gatehouse-go/gatehouse/access"

// Store is what the token Service needs from storage: the access Store and
// the tokens and login links themselves.
type Store interface {
	access.Store
}
