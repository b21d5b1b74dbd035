package memstore

// inviteTables holds the state of package invite's Store.
type inviteTables struct{}

func (t *inviteTables) init() {}
