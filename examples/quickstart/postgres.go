package main

import (
	"context"
	"errors"

	"github.com/gatehouse-go/gatehouse/store"
)

// openPostgres is replaced once store/bunstore lands.
func openPostgres(ctx context.Context, url string) (store.Store, func(), error) {
	return nil, nil, errors.New("PostgreSQL support is not built yet")
}
