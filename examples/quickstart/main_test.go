package main

import (
	"context"
	"github.com/gatehouse-go/gatehouse/examples/internal/pgstore"
	"testing"

	"github.com/gatehouse-go/gatehouse/store/bunstore/pgtest"
	"github.com/gatehouse-go/gatehouse/store/memstore"
)

// TestRun keeps the README's first command working, on both stores.
func TestRun(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		if err := run(context.Background(), memstore.New()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		st, closeDB, err := pgstore.Open(ctx, pgtest.URL(t), pgstore.DefaultPool)
		if err != nil {
			t.Fatal(err)
		}
		defer closeDB()
		if err := run(ctx, st); err != nil {
			t.Fatal(err)
		}
	})
}
