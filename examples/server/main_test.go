package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/examples/internal/pgstore"
	"github.com/gatehouse-go/gatehouse/store/bunstore/pgtest"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServer(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testServer(t, "") })
	// An empty database of its own, which the server migrates and
	// bootstraps as on a developer's first run.
	t.Run("postgres", func(t *testing.T) { testServer(t, pgtest.URL(t)) })
}

func testServer(t *testing.T, dbURL string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "bootstrap.json")
	var stdout bytes.Buffer
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, config{databaseURL: dbURL, bootstrapOut: out, pool: pgstore.DefaultPool}, ln, &stdout, slog.New(slog.NewTextHandler(logs, nil)))
	}()
	base := "http://" + ln.Addr().String()
	var boot struct{ CompanyID, UserID, APIToken string }
	booted := func() bool {
		b, err := os.ReadFile(out)
		return err == nil && json.Unmarshal(b, &struct {
			C *string `json:"company_id"`
			U *string `json:"user_id"`
			T *string `json:"api_token"`
		}{&boot.CompanyID, &boot.UserID, &boot.APIToken}) == nil
	}
	for deadline := time.After(10 * time.Second); !booted(); {
		select {
		case err := <-done: // a server that gave up never writes the file
			t.Fatalf("the server stopped before bootstrapping: %v\nlog: %s", err, logs.String())
		case <-deadline:
			t.Fatalf("no bootstrap file after 10s\nlog: %s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NotEmpty(t, boot.APIToken)

	do := func(method, path, body string) (int, []byte) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, base+path, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+boot.APIToken)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	code, body := do("GET", "/access", "")
	require.Equal(t, 200, code, "%s", body)
	assert.Contains(t, string(body), "owner@demo.example")
	code, body = do("GET", "/api/accounts/"+boot.CompanyID+"/account_accesses", "")
	assert.Equal(t, 200, code, "%s", body)
	code, body = do("POST", "/portal/instance/access/users/provision?merchant_id=demo", `{"email":"new@demo.example","role":"ADMIN"}`)
	require.Equal(t, 200, code, "%s", body)
	var prov struct {
		Result struct {
			LoginURL string `json:"login_url"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(body, &prov))
	require.True(t, strings.HasPrefix(prov.Result.LoginURL, base+"/portal/instance/access/login?token="))
	res, err := http.Get(prov.Result.LoginURL)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	res, err = http.Post(prov.Result.LoginURL, "application/x-www-form-urlencoded", nil)
	require.NoError(t, err)
	var signedIn struct {
		SessionToken string `json:"session_token"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&signedIn))
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	code, _ = do("GET", "/openapi.json", "")
	assert.Equal(t, 200, code)

	// The host's own /orders, behind Guard("ORDERS_VIEW"): 200 for the
	// owner, 403 for a token without the permission, 401 without one.
	code, body = do("GET", "/orders", "")
	require.Equal(t, 200, code, "%s", body)
	assert.Contains(t, string(body), boot.CompanyID)
	req, err := http.NewRequest("POST", base+"/access/add-api-token", strings.NewReader(`{"name":"users only","roles":["USER_VIEW"]}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+signedIn.SessionToken) // a token makes no tokens; a user does
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode, "%s", body)
	var limited struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &limited))
	req, err = http.NewRequest("GET", base+"/orders", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+limited.Data.Token)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 403, res.StatusCode)
	res, err = http.Get(base + "/orders")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 401, res.StatusCode)

	assert.Contains(t, stdout.String(), boot.APIToken, "the token is printed once, for the developer")
	assert.Contains(t, stdout.String(), "curl")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "graceful shutdown")
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not shut down")
	}
	// Request lines name routes, never URLs with tokens.
	secret := prov.Result.LoginURL[strings.Index(prov.Result.LoginURL, "token=")+len("token="):]
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "msg=request") {
			assert.NotContains(t, line, secret)
			assert.NotContains(t, line, boot.APIToken)
		}
	}
	assert.Contains(t, logs.String(), `route="POST /portal/instance/access/login"`)
}
