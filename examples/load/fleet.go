package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/examples/internal/pgstore"
	"github.com/gatehouse-go/gatehouse/httpadapter"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// createDatabase creates an empty database on the server serverURL names
// and returns its URL and a function that drops it (WITH (FORCE), so a
// pool left open does not keep it).
func createDatabase(ctx context.Context, serverURL string) (string, func() error, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, errors.New("-database-url must be a postgres:// URL")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "gatehouse_load_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		return "", nil, err
	}
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+ident); err != nil {
		_ = admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() error {
		defer admin.Close()
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(dctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), drop, nil
}

// instance is one server: its own pool, store, services and listener.
type instance struct {
	acc   *access.Service
	tok   *token.Service
	url   string
	srv   *http.Server
	close func()
}

// fleet is the running instances and an admin pool for the checks.
type fleet struct {
	instances []*instance
	admin     *sql.DB
}

func (f *fleet) urls(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f.instances[i].url
	}
	return out
}

func (f *fleet) stop() {
	for _, in := range f.instances {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = in.srv.Shutdown(sctx)
		cancel()
		in.close()
	}
	if f.admin != nil {
		_ = f.admin.Close()
	}
}

// startInstances starts n instances over dbURL, each migrating at start-up
// as separate processes would (Migrate takes turns on its lock).
func startInstances(ctx context.Context, dbURL string, n, conns int, logger *slog.Logger) (*fleet, error) {
	f := &fleet{}
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, err
	}
	f.admin = admin
	pool := pgstore.DefaultPool
	pool.Conns = conns
	for range n {
		in, err := startInstance(ctx, dbURL, pool, logger)
		if err != nil {
			f.stop()
			return nil, err
		}
		f.instances = append(f.instances, in)
	}
	return f, nil
}

func startInstance(ctx context.Context, dbURL string, pool pgstore.Pool, logger *slog.Logger) (*instance, error) {
	st, closeDB, err := pgstore.Open(ctx, dbURL, pool)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeDB()
		return nil, err
	}
	acc := access.NewService(st)
	tok := token.NewService(acc)
	// No hourly invitation limits: the load invites far more than a
	// person would. No mail: the clients take the token from the response.
	inv := invite.NewService(tok, invite.WithHourlyLimits(0, 0), invite.WithNotifier(token.NopNotifier{}))
	h := httpadapter.New(httpadapter.Services{Access: acc, Invite: inv, Token: tok},
		httpadapter.WithLogger(logger),
		// The invitation's token in the response of the call that made
		// it, instead of an e-mail: the clients accept it.
		httpadapter.WithInvitationLinksInResponses())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	return &instance{acc: acc, tok: tok, url: "http://" + ln.Addr().String(), srv: srv, close: closeDB}, nil
}
