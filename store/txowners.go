package store

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gatehouse-go/gatehouse/access"
)

// TxOwners is how both stores keep one promise: a store method called,
// while a transaction opened by RunInTx runs, from the goroutine running
// that transaction's fn but with a context that does not carry the
// transaction (the caller's context instead of fn's) fails at once with
// access.ErrOutsideTx. Without it the memory store would wait for its own
// lock forever, and PostgreSQL would run the call outside the transaction
// (or wait for the transaction's own row locks forever).
//
// Calls from other goroutines are not affected: they join the transaction
// if their context carries it, and otherwise wait for it (memory) or run
// beside it (PostgreSQL), as before. The zero value is ready to use.
type TxOwners struct {
	open   atomic.Int64 // transactions open; 0 makes Check free
	mu     sync.Mutex
	owners map[uint64]int // goroutine → open transactions it runs
}

// Enter records that the calling goroutine runs an open transaction's fn,
// until the returned function is called.
func (o *TxOwners) Enter() (leave func()) {
	g := goroutineID()
	o.mu.Lock()
	if o.owners == nil {
		o.owners = map[uint64]int{}
	}
	o.owners[g]++
	o.mu.Unlock()
	o.open.Add(1)
	return func() {
		o.open.Add(-1)
		o.mu.Lock()
		if o.owners[g]--; o.owners[g] == 0 {
			delete(o.owners, g)
		}
		o.mu.Unlock()
	}
}

// Open reports whether any transaction is open: while none is, no call can
// be one that forgot its transaction, and a store may take its locks
// without asking Check. One atomic load.
func (o *TxOwners) Open() bool { return o.open.Load() != 0 }

// Check returns access.ErrOutsideTx if the calling goroutine runs the fn
// of an open transaction. A store calls it for a method called with a
// context that carries no transaction; it costs one atomic load while no
// transaction is open.
func (o *TxOwners) Check() error {
	if o.open.Load() == 0 {
		return nil
	}
	g := goroutineID()
	o.mu.Lock()
	_, owner := o.owners[g]
	o.mu.Unlock()
	if owner {
		return access.ErrOutsideTx
	}
	return nil
}

// goroutineID reads the calling goroutine's number from the first line of
// its stack trace ("goroutine 18 [running]:"). Go exposes no other way;
// it is used only to recognise a goroutine, never to store state for it.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
