package bunstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
)

// Two kinds of failure leave nothing behind and may pass if the work runs
// again, so the store runs it again instead of answering them:
//
//   - a collision with concurrent transactions, a serialization failure
//     (40001) or a deadlock (40P01): PostgreSQL rolled the transaction back
//     and asks for it to be retried. It runs again at most maxTxAttempts
//     times in all, after a short jittered pause, then answers
//     access.ErrTxConflict.
//   - a lost session (lostSession): the server ended the connection (a
//     restart, a fail-over, pg_terminate_backend, idle_session_timeout) or
//     it broke. Every connection the pool held may be dead alike, and
//     database/sql finds out only by using each, so the work runs again at
//     once, at most once per connection the pool had open, which is
//     enough to reach a fresh one.
//
// What runs again is the whole outermost transaction (fn with it, whose
// effects were rolled back), or a statement run outside any transaction.
// A nested RunInTx (a savepoint) never retries on its own: the attempt is
// void as soon as one of its statements fails so, whatever fn does with
// the error, and the outermost RunInTx runs it again. A COMMIT whose
// session is lost is not run again: whether it took effect is unknown.

// maxTxAttempts bounds the runs of one transaction (or statement) that
// keeps colliding; the pauses between them add up to 30ms at most.
const maxTxAttempts = 5

// retryPause is the longest pause before run n+1 (n from 1): 2ms, 4ms,
// 8ms, 16ms, each drawn at random below it so colliding transactions
// spread out.
func retryPause(n int) time.Duration {
	ceiling := 2 * time.Millisecond << (n - 1)
	return rand.N(ceiling) + 1
}

// SQLSTATEs of what runs again.
const (
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	adminShutdown        = "57P01" // pg_terminate_backend, a fast or smart shutdown
	crashShutdown        = "57P02" // another backend crashed; the server restarts
	idleSessionTimeout   = "57P05"
)

// failure is why a run must be run again: none, a collision, or a lost
// session.
type failure int32

const (
	noFailure failure = iota
	collided
	lostConn
)

// failureOf classifies a driver error.
func failureOf(err error) failure {
	if err == nil {
		return noFailure
	}
	if code, _, ok := pgError(err); ok {
		switch code {
		case serializationFailure, deadlockDetected:
			return collided
		case adminShutdown, crashShutdown, idleSessionTimeout:
			if _, dialing := errors.AsType[*pgconn.ConnectError](err); !dialing {
				return lostConn
			}
		}
		return noFailure
	}
	if lostSession(err) {
		return lostConn
	}
	return noFailure
}

// lostSession reports an error of a connection that broke under a
// statement (as opposed to a server that refuses new ones, which running
// again would not help): database/sql's driver.ErrBadConn after its own
// retries, or a read or write on a closed or reset socket.
func lostSession(err error) bool {
	if _, dialing := errors.AsType[*pgconn.ConnectError](err); dialing {
		return false
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// attempt is one run of an outermost transaction, shared by its
// savepoints: the first failure of a statement of it that voids it.
type attempt struct {
	void atomic.Int32 // a failure
}

func (a *attempt) fail(f failure) {
	if f != noFailure {
		a.void.CompareAndSwap(int32(noFailure), int32(f))
	}
}

func (a *attempt) failure() failure { return failure(a.void.Load()) }

// retries counts the runs of one piece of work and decides whether a
// failure may run it again.
type retries struct {
	s          *Store
	collisions int
	losses     int
	lossBound  int
}

// again reports whether the work that just failed with f may run again,
// after waiting its turn (false if ctx ends first).
func (r *retries) again(ctx context.Context, f failure) bool {
	if ctx.Err() != nil {
		return false
	}
	switch f {
	case collided:
		r.collisions++
		if r.collisions >= maxTxAttempts {
			return false
		}
		t := time.NewTimer(retryPause(r.collisions))
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	case lostConn:
		if r.losses == 0 {
			// Read once: the dead connections are dropped as they are met.
			r.lossBound = r.s.db.Stats().OpenConnections + 1
		}
		r.losses++
		return r.losses <= r.lossBound
	}
	return false
}

// run runs op, one statement (or one prepared read and its scanning), on
// the handle idb picks, and translates its error for entity. In a
// transaction, a failure that voids it is noted for the outermost RunInTx
// to run it again; on the pool, the statement is its own transaction and
// runs again here.
func (s *Store) run(ctx context.Context, entity access.Code, op func(db bun.IDB) error) error {
	db, err := s.idb(ctx)
	if err != nil {
		return err
	}
	if _, inTx := db.(bun.Tx); inTx {
		err := op(db)
		if err != nil && ctx.Err() == nil {
			s.attemptOf(ctx).fail(failureOf(err))
		}
		return translate(ctx, err, entity)
	}
	r := retries{s: s}
	for {
		err := op(db)
		if err == nil || !r.again(ctx, failureOf(err)) {
			return translate(ctx, err, entity)
		}
	}
}

func (s *Store) attemptOf(ctx context.Context) *attempt {
	if v, ok := ctx.Value(txKey{}).(*txValue); ok && s.owns(v) {
		return v.attempt
	}
	return &attempt{}
}
