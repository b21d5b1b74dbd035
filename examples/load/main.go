// Command load runs many instances of a gatehouse server against one
// PostgreSQL database and measures them: a read-heavy and a write-heavy
// mix of requests, for a fixed time per mix and instance count, then the
// invariants checked with SQL.
//
//	go run ./examples/load -database-url 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
//	go run ./examples/load -instances 1,2,4 -duration 10s -clients 16 -db-conns 8
//
// It creates a database of its own next to the one the URL names (its
// user must be allowed to CREATE DATABASE), and drops it at the end.
//
// The instances are in-process: each one its own http.Server on a loopback
// port with its own *sql.DB pool, bunstore.Store and services, exactly as
// separate processes would build them, sharing nothing but the database.
// That keeps the program one command that stops by itself, with no binary
// to build or child to reap, and lets a test run it; what it measures is
// what instances share in production, the database, its row locks and
// its sessions. (Child processes would add a Go runtime each, which on a
// machine of a few cores only competes for the same CPUs.)
//
// Each mix runs -clients concurrent clients, each sending its next request
// when the last one answered, to an instance picked at random:
//
//   - verified: GET /api/v1/companies/{id} with an API token (verify,
//     check, read);
//   - page: GET /access?limit=50, a page of the company's 50 members;
//   - invite+accept: POST /access/add of a new e-mail with a random role,
//     by the OWNER's or the ADMIN's token of a company (an ADMIN offering
//     OWNER is refused), then the invitation accepted twice at once on two
//     instances: exactly one may succeed;
//   - role change: POST /access/edit on one shared company, by one of its
//     four OWNERs' tokens, to a random member or OWNER and a random role:
//     the last-OWNER rule and the rank rules under contention.
//
// It prints requests, throughput and p50/p95/p99 latency per mix and
// instance count, then checks with SQL: every company with members has an
// active OWNER, no membership exists twice, no invitation was accepted
// twice, no membership or grant is above the member who granted it. It
// exits non-zero if an invariant broke or a request failed unexpectedly
// (a 5xx, a transport error, a status no rule explains).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	databaseURL string
	instances   []int
	duration    time.Duration
	clients     int
	dbConns     int
	companies   int
	members     int
}

func main() {
	c := config{}
	var instances string
	flag.StringVar(&c.databaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL server to create the load database on (its user may CREATE DATABASE)")
	flag.StringVar(&instances, "instances", "1,4", "comma-separated instance counts, one run of each mix per count")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long each mix runs per instance count")
	flag.IntVar(&c.clients, "clients", 16, "concurrent clients, spread over the instances")
	flag.IntVar(&c.dbConns, "db-conns", 8, "PostgreSQL connections of each instance (open = idle); 0: database/sql's defaults, to see them churn")
	flag.IntVar(&c.companies, "companies", 10, "companies that invite, each with -members members")
	flag.IntVar(&c.members, "members", 50, "members per company (a page is 50 of them)")
	flag.Parse()
	var err error
	if c.instances, err = parseCounts(instances); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(ctx, c, os.Stdout, logger); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// parseCounts reads "1,4" into [1 4].
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 64 {
			return nil, fmt.Errorf("-instances: %q is not a count from 1 to 64", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// run creates the load database, seeds it, runs every mix at every
// instance count, prints the table, checks the invariants and drops the
// database.
func run(ctx context.Context, c config, out io.Writer, logger *slog.Logger) (err error) {
	if c.clients < 1 || c.duration <= 0 || c.companies < 1 || c.members < 1 {
		return fmt.Errorf("need at least one client, company and member and a positive duration")
	}
	dbURL, drop, err := createDatabase(ctx, c.databaseURL)
	if err != nil {
		return err
	}
	defer func() {
		if derr := drop(); derr != nil && err == nil {
			err = derr
		}
	}()
	max := 0
	for _, n := range c.instances {
		max = maxInt(max, n)
	}
	fleet, err := startInstances(ctx, dbURL, max, c.dbConns, logger)
	if err != nil {
		return err
	}
	defer fleet.stop()
	w, err := seedWorld(ctx, fleet.instances[0], c)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(out, "%d companies of %d members, a shared company of 4 OWNERs and 16 members; %d clients, %s per cell, %d connections per instance\n\n",
		c.companies, c.members, c.clients, c.duration, c.dbConns)
	fmt.Fprintf(out, "| mix | instances | requests | req/s | p50 | p95 | p99 | refused by a rule | failed | sessions opened |\n|---|---|---|---|---|---|---|---|---|---|\n")
	var failed []string
	for _, m := range mixes {
		for _, n := range c.instances {
			if err := ctx.Err(); err != nil {
				return err
			}
			before := sessions(ctx, fleet.admin)
			r := drive(ctx, fleet.urls(n), w, m, c.clients, c.duration)
			fmt.Fprintf(out, "%s %s |\n", r.row(m.name, n), sessions(ctx, fleet.admin).since(before))
			failed = append(failed, r.failures...)
		}
	}
	fmt.Fprintln(out)
	report, broken, err := checkInvariants(ctx, fleet.admin)
	if err != nil {
		return fmt.Errorf("invariants: %w", err)
	}
	fmt.Fprint(out, report)
	if len(failed) > 0 {
		return fmt.Errorf("%d requests failed unexpectedly, e.g. %s", len(failed), failed[0])
	}
	if broken > 0 {
		return fmt.Errorf("%d invariants broken", broken)
	}
	return nil
}

// sessionCount is PostgreSQL's count of sessions opened on the load
// database so far (pg_stat_database.sessions, PostgreSQL 14 and later;
// its statistics lag by up to a second), or -1 if unknown.
type sessionCount int64

func sessions(ctx context.Context, db *sql.DB) sessionCount {
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT sessions FROM pg_stat_database WHERE datname = current_database()").Scan(&n); err != nil {
		return -1
	}
	return sessionCount(n)
}

// since is how many sessions were opened after before, as a table cell.
func (s sessionCount) since(before sessionCount) string {
	if s < 0 || before < 0 {
		return "-"
	}
	return strconv.FormatInt(int64(s-before), 10)
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
