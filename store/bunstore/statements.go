package bunstore

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
)

// Every statement of the store but the two prepared reads (prepared.go)
// runs through these helpers: through run (retry.go) on the handle idb
// picks, through Bun (so hosts' query hooks see them), its error
// translated for entity, the thing the statement is about.

// scan runs a query through Bun and scans its rows into dest: a struct
// (sql.ErrNoRows, so entity's not found, if there is no row), a slice of
// structs, or scalars.
func (s *Store) scan(ctx context.Context, entity access.Code, dest any, query string, args ...any) error {
	return s.run(ctx, entity, func(db bun.IDB) error { return db.NewRaw(query, args...).Scan(ctx, dest) })
}

// exec runs a statement through Bun and reports how many rows it changed.
func (s *Store) exec(ctx context.Context, entity access.Code, query string, args ...any) (int, error) {
	var n int64
	err := s.run(ctx, entity, func(db bun.IDB) error {
		res, err := db.NewRaw(query, args...).Exec(ctx)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return int(n), err
}

// change runs an UPDATE or DELETE of one row: entity's not found if it
// matched none.
func (s *Store) change(ctx context.Context, entity access.Code, query string, args ...any) error {
	n, err := s.exec(ctx, entity, query, args...)
	return one(n, err, entity)
}

// update stores the columns cols of model, a pointer to a row struct with
// its table and primary key in bun tags, in the row of its key: entity's
// not found if there is none.
func (s *Store) update(ctx context.Context, entity access.Code, model any, cols ...string) error {
	var n int64
	err := s.run(ctx, entity, func(db bun.IDB) error {
		res, err := db.NewUpdate().Model(model).ModelTableExpr(modelTable).Column(cols...).WherePK().Exec(ctx)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return one(int(n), err, entity)
}

// one turns a statement that changed no row into entity's not found.
func one(n int, err error, entity access.Code) error {
	if err == nil && n == 0 {
		return access.NotFound(entity)
	}
	return err
}

// insert inserts the row of model, a pointer to a row struct with its
// table in a bun.BaseModel tag. A broken rule is its constraint's error.
//
// Inside a transaction a unique rule's refusal leaves the transaction
// usable, as in memstore: the row goes in with ON CONFLICT DO NOTHING, one
// statement that skips a conflicting row instead of failing. Only when it
// was skipped does the plain INSERT run again, in a savepoint, to learn
// from PostgreSQL which constraint refused it (so the rule stays written
// once, in the schema, with its error in constraintErrors).
func (s *Store) insert(ctx context.Context, entity access.Code, model any) error {
	skipped := false
	err := s.run(ctx, entity, func(db bun.IDB) error {
		if _, inTx := db.(bun.Tx); !inTx {
			_, err := db.NewInsert().Model(model).ModelTableExpr(modelTable).Exec(ctx)
			return err
		}
		res, err := db.NewInsert().Model(model).ModelTableExpr(modelTable).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		skipped = n == 0
		return err
	})
	if err != nil || !skipped {
		return err
	}
	return s.RunInTx(ctx, func(ctx context.Context) error {
		return s.run(ctx, entity, func(db bun.IDB) error {
			_, err := db.NewInsert().Model(model).ModelTableExpr(modelTable).Exec(ctx)
			return err
		})
	})
}

// each converts rows to the domain's values.
func each[R, T any](rows []R, conv func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = conv(r)
	}
	return out
}

// limitOf reads a cursor's limit; a non-positive one means the default,
// as in memstore.
func limitOf(c access.Cursor) int {
	if c.Limit <= 0 {
		return access.DefaultPageLimit
	}
	return c.Limit
}

// nilIfEmpty returns the empty slice as nil: PostgreSQL stores no
// difference between them.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// orEmpty stores a nil slice as the empty array of a NOT NULL column.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// nullBool is an optional filter as an argument: NULL for any.
func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}
