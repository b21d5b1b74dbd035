package bunstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/store/bunstore"
)

// TestConstraintsTranslated: every constraint and unique index of the
// schema has its error in the store's one table, and the table names no
// constraint the schema lacks. A rule added to the migrations without its
// translation fails here, not as an anonymous error in production.
func TestConstraintsTranslated(t *testing.T) {
	_, db := freshStore(t, pgxCache)
	var inSchema []string
	require.NoError(t, db.NewRaw(`SELECT conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
		WHERE t.relnamespace = 'gatehouse'::regnamespace AND t.relname NOT LIKE 'gatehouse_migration%'
		AND c.contype IN ('p', 'u', 'f', 'c')
	UNION
	SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
		WHERE t.relnamespace = 'gatehouse'::regnamespace AND t.relname NOT LIKE 'gatehouse_migration%'
		AND x.indisunique`).Scan(context.Background(), &inSchema))
	require.NotEmpty(t, inSchema)
	assert.ElementsMatch(t, inSchema, bunstore.TranslatedConstraints())
}
