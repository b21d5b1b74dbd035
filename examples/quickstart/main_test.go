package main

import (
	"context"
	"testing"

	"github.com/gatehouse-go/gatehouse/store/memstore"
)

// TestRun keeps the README's first command working.
func TestRun(t *testing.T) {
	if err := run(context.Background(), memstore.New()); err != nil {
		t.Fatal(err)
	}
}
