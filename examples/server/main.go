// Command server serves every route family of gatehouse's HTTP adapter on
// one address, on the in-memory store or on PostgreSQL.
//
//	go run ./examples/server                                   # memory, 127.0.0.1:8080
//	go run ./examples/server -database-url postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//	go run ./examples/server -bootstrap-out /tmp/gatehouse.json
//
// On PostgreSQL the instance keeps a pool of -db-conns connections (16),
// as many idle as open, so a burst reuses sessions instead of opening new
// ones (examples/internal/pgstore says why); every instance's -db-conns
// together stay below the server's max_connections.
//
// On an empty store it creates a demo company with an owner and prints an
// API token carrying the owner's full rights, with a few curl lines to try;
// -bootstrap-out also writes {"company_id","user_id","api_token"} to a file
// (mode 0600). Invitation and login links are logged by the logging
// notifiers, so they can be followed by hand: this is for development. It
// logs every request (method, route pattern, status, duration: never a URL
// that could carry a token) and shuts down gracefully on SIGINT or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/examples/internal/pgstore"
	"github.com/gatehouse-go/gatehouse/httpadapter"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/memstore"
	"github.com/gatehouse-go/gatehouse/token"
)

type config struct {
	addr         string
	databaseURL  string
	bootstrapOut string
	pool         pgstore.Pool
}

func main() {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	flag.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL; empty serves from memory")
	flag.StringVar(&c.bootstrapOut, "bootstrap-out", "", "write the demo company's IDs and API token as JSON to this file (mode 0600)")
	c.pool = pgstore.DefaultPool
	flag.IntVar(&c.pool.Conns, "db-conns", c.pool.Conns, "PostgreSQL connections of this instance, open and idle alike")
	flag.DurationVar(&c.pool.MaxLifetime, "db-conn-lifetime", c.pool.MaxLifetime, "retire a PostgreSQL connection after this long")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		logger.Error("listen", "error", err)
		os.Exit(1)
	}
	if err := run(ctx, c, ln, os.Stdout, logger); err != nil {
		logger.Error("server", "error", err)
		os.Exit(1)
	}
}

// run serves on ln until ctx ends, then shuts down gracefully.
func run(ctx context.Context, c config, ln net.Listener, out io.Writer, logger *slog.Logger) error {
	var st store.Store = memstore.New()
	if c.databaseURL != "" {
		pg, closeDB, err := pgstore.Open(ctx, c.databaseURL, c.pool)
		if err != nil {
			return err
		}
		defer closeDB()
		st = pg
		logger.Info("store: PostgreSQL (migrated)")
	} else {
		logger.Info("store: in memory")
	}
	base := "http://" + ln.Addr().String()
	notifier := token.LogNotifier{Logger: logger}
	// The host's own permissions: ORDERS_VIEW, _EDIT, _ADD, _DELETE (OWNER
	// and ADMIN hold all of them, VIEWER_PLUS view and edit, VIEWER view).
	catalog, err := access.NewCatalog(access.WithPermissions(access.PermissionsFor("ORDERS")...))
	if err != nil {
		return err
	}
	acc := access.NewService(st, access.WithCatalog(catalog))
	tok := token.NewService(acc, token.WithLoginURL(base+httpadapter.LoginPath), token.WithNotifier(notifier))
	inv := invite.NewService(tok, invite.WithNotifier(notifier))
	h := httpadapter.New(httpadapter.Services{Access: acc, Invite: inv, Token: tok},
		httpadapter.WithLogger(logger))

	if err := bootstrap(ctx, c, acc, tok, base, out); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	// A route of the host's own, guarded by the adapter's middleware.
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle("GET /orders", h.Guard("ORDERS_VIEW")(http.HandlerFunc(listOrders)))
	srv := &http.Server{Handler: logRequests(logger, mux), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("serving", "addr", base, "openapi", base+"/openapi.json")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listOrders is the host's own page: it runs only behind Guard, which put
// the caller in the context.
func listOrders(w http.ResponseWriter, r *http.Request) {
	p, _ := access.PrincipalFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"company_id": p.CompanyID, "orders": []string{}})
}

// bootstrap creates the demo company on an empty store and prints how to
// use it.
func bootstrap(ctx context.Context, c config, acc *access.Service, tok *token.Service, base string, out io.Writer) error {
	sys := access.SystemPrincipal()
	users, err := acc.ListUsers(ctx, sys, access.PageRequest{Limit: 1})
	if err != nil {
		return err
	}
	if len(users.Items) > 0 {
		fmt.Fprintln(out, "The store is not empty: no demo company created (API tokens are shown only once).")
		return nil
	}
	owner, err := acc.CreateUser(ctx, sys, access.NewUser{Email: "owner@demo.example", FirstName: "Demo", LastName: "Owner"})
	if err != nil {
		return err
	}
	company, err := acc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil),
		access.NewCompany{Name: "Demo Company", ExternalKey: "demo", Domains: []string{"demo.example"}})
	if err != nil {
		return err
	}
	created, err := tok.Create(ctx, access.UserPrincipal(owner.ID, company.ID), token.NewToken{Name: "bootstrap", Role: access.RoleOwner})
	if err != nil {
		return err
	}
	secret := created.Secret.Reveal()
	if c.bootstrapOut != "" {
		b, _ := json.MarshalIndent(map[string]string{"company_id": company.ID.String(), "user_id": owner.ID.String(), "api_token": secret}, "", "  ")
		if err := writeSecretFile(c.bootstrapOut, append(b, '\n')); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, `Demo company %q (%s), owner %s (%s).
API token with the owner's full rights (shown once):

  %s

Try:
  curl -s -H 'Authorization: Bearer %[5]s' %[6]s/access
  curl -s -H 'Api-Token: %[5]s' %[6]s/api/accounts/%[2]s/account_accesses
  curl -s -H 'Authorization: Bearer %[5]s' '%[6]s/portal/instance/access/users?merchant_id=demo'
  curl -s -X POST -H 'Authorization: Bearer %[5]s' -H 'Content-Type: application/json' \
       -d '{"email":"new@demo.example","role":"ADMIN"}' '%[6]s/portal/instance/access/users/provision?merchant_id=demo'
  curl -s %[6]s/openapi.json
`, company.Name, company.ID, owner.Email, owner.ID, secret, base)
	return nil
}

// writeSecretFile writes b to path, readable by its owner only.
func writeSecretFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil { // an existing file keeps its mode otherwise
		_ = f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// logRequests logs each request by its route pattern, never its URL: login
// links and invitation codes carry secrets in theirs.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("route", httpadapter.LogPath(r)), slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)))
	})
}
