package memstore

import (
	"context"
	"sync"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/store"
)

var _ access.Store = (*Store)(nil)

// Store is the in-memory store. The zero value is not usable; call New.
//
// Concurrency: one sync.RWMutex guards all state. A transaction holds the
// write lock from RunInTx until it ends, so transactions are serializable
// and readers never see uncommitted work. Every mutation made inside a
// transaction records its inverse; a failed or panicking function (or a
// context cancelled by the time it returns) replays them backwards, so it
// leaves no trace.
type Store struct {
	mu     sync.RWMutex
	owners store.TxOwners // who runs an open transaction (ErrOutsideTx)
	acc    accessTables
	inv    inviteTables
	tok    tokenTables
}

// accessTables holds the state of package access's Store, one struct per
// aggregate (in the file of that aggregate). Rows are values; their slices
// are never changed in place (an update stores a new slice), so CheckAccess
// may read them without copying.
type accessTables struct {
	userTables
	companyTables
	memberTables
	grantTables
	connTables
	auditTables
	roleTables
}

func (a *accessTables) init() {
	a.userTables.init()
	a.companyTables.init()
	a.memberTables.init()
	a.grantTables.init()
	a.connTables.init()
	a.auditTables.init()
	a.roleTables.init()
}

// New returns an empty store.
func New() *Store {
	s := &Store{}
	s.acc.init()
	s.inv.init()
	s.tok.init()
	return s
}

type txKey struct{}

// tx is an open transaction: the undo log of its mutations.
type tx struct {
	s    *Store
	undo []func()
	done bool
}

// onUndo records how to reverse a mutation just made.
func (t *tx) onUndo(f func()) { t.undo = append(t.undo, f) }

func (t *tx) rollbackTo(mark int) {
	for i := len(t.undo) - 1; i >= mark; i-- {
		t.undo[i]()
	}
	t.undo = t.undo[:mark]
}

func (s *Store) txFrom(ctx context.Context) *tx {
	t, _ := ctx.Value(txKey{}).(*tx)
	if t == nil || t.s != s || t.done {
		return nil
	}
	return t
}

// RunInTx runs fn in a transaction. Called with the context of an open
// transaction it is a savepoint: on failure only fn's own work is undone.
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t := s.txFrom(ctx); t != nil {
		mark := len(t.undo)
		defer func() {
			if r := recover(); r != nil {
				t.rollbackTo(mark)
				panic(r)
			}
			if err != nil {
				t.rollbackTo(mark)
			}
		}()
		return fn(ctx)
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	defer s.owners.Enter()()
	t := &tx{s: s}
	defer func() {
		if r := recover(); r != nil {
			t.rollbackTo(0)
			t.done = true
			panic(r)
		}
		if err == nil {
			// A real database refuses to commit on a cancelled context.
			err = ctx.Err()
		}
		if err != nil {
			t.rollbackTo(0)
		}
		t.done = true
	}()
	return fn(context.WithValue(ctx, txKey{}, t))
}

// read runs f under the read lock, or directly inside a transaction.
func (s *Store) read(ctx context.Context, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.mu.TryRLock() {
		// No transaction holds the write lock, so none is open: not in
		// ctx either (a transaction is done before it unlocks).
		defer s.mu.RUnlock()
		f()
		return nil
	}
	if s.txFrom(ctx) != nil {
		f()
		return nil
	}
	if !s.owners.Open() {
		s.mu.RLock()
	} else if !s.mu.TryRLock() {
		// A transaction holds the lock: if this goroutine runs it, the
		// call forgot the transaction's context and would wait forever.
		if err := s.owners.Check(); err != nil {
			return err
		}
		s.mu.RLock()
	}
	defer s.mu.RUnlock()
	f()
	return nil
}

// lock takes the write lock, or fails with access.ErrOutsideTx where
// waiting for it would wait for the calling goroutine's own transaction.
func (s *Store) lock() error {
	if s.mu.TryLock() {
		return nil
	}
	if err := s.owners.Check(); err != nil {
		return err
	}
	s.mu.Lock()
	return nil
}

// write runs f in the transaction of ctx, or in a transaction of its own.
// f must check everything before its first mutation, or return an error
// after it (which undoes it).
func (s *Store) write(ctx context.Context, f func(t *tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t := s.txFrom(ctx); t != nil {
		return f(t)
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	t := &tx{s: s}
	err := f(t)
	if err != nil {
		t.rollbackTo(0)
	}
	t.done = true
	return err
}

// table is a map whose mutations inside a transaction can be undone.
type table[K comparable, V any] map[K]V

func (m table[K, V]) put(t *tx, k K, v V) {
	old, had := m[k]
	m[k] = v
	t.onUndo(func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

func (m table[K, V]) del(t *tx, k K) {
	old, had := m[k]
	if !had {
		return
	}
	delete(m, k)
	t.onUndo(func() { m[k] = old })
}
