package bunstore

import (
	"database/sql"
	"fmt"
	"reflect"
)

// A pool that keeps fewer idle connections than it may open churns: under
// a burst it opens a PostgreSQL session (a fork on the server, a few
// milliseconds) for most calls and closes it right after, because it may
// keep only a few. database/sql keeps 2 idle by default with no bound on
// open ones, so a host that sets nothing churns from 3 concurrent calls
// on. Measured on examples/server (issue 16): 666 req/s with p99 198 ms
// with the defaults, 1,562 req/s with p99 30 ms once the pool kept its
// connections. New warns about such a pool; it never changes the host's
// settings.

// defaultMaxIdle is database/sql's idle limit when the host sets none.
const defaultMaxIdle = 2

// poolChurn says how db's pool will churn, or "" if it keeps every
// connection it may open (MaxIdleConns >= MaxOpenConns, open bounded).
func poolChurn(db *sql.DB) string {
	open := db.Stats().MaxOpenConnections // 0: unbounded
	idle, known := maxIdle(db)
	if !known {
		return ""
	}
	switch {
	case open == 0:
		return fmt.Sprintf("MaxOpenConns is unbounded and MaxIdleConns is %d: a burst opens a PostgreSQL session per call beyond %d, and may exhaust the server's max_connections", idle, idle)
	case idle < open:
		return fmt.Sprintf("MaxIdleConns (%d) is below MaxOpenConns (%d): under load the pool opens and closes a PostgreSQL session for most calls", idle, open)
	}
	return ""
}

// maxIdle reads the idle limit of db, which database/sql does not report:
// its unexported maxIdleCount (0 means the default of 2, negative none),
// read by reflection because no other way exists. known is false if a Go
// release renamed the field; TestPoolChurnWarning fails then.
func maxIdle(db *sql.DB) (n int, known bool) {
	f := reflect.ValueOf(db).Elem().FieldByName("maxIdleCount")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return 0, false
	}
	switch v := int(f.Int()); {
	case v == 0:
		n = defaultMaxIdle
	case v < 0:
		n = 0
	default:
		n = v
	}
	if open := db.Stats().MaxOpenConnections; open > 0 && n > open {
		n = open
	}
	return n, true
}
