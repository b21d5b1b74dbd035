package memstore

// tokenTables holds the state of package token's Store.
type tokenTables struct{}

func (t *tokenTables) init() {}
