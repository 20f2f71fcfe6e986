package target

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/socketio"
	"github.com/sockload/sockload/socketio/wire"
)

// POST /login answers as the Node reference server does, and /private lets
// in the sockets that present its token or its session cookie only.
func TestLoginThenPrivateNamespace(t *testing.T) {
	srv := startServer(t, Config{EngineVersion: wire.EngineV4})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 5 * time.Second}
	post := func(contentType, body string) (int, map[string]string) {
		t.Helper()
		resp, err := client.Post(srv.URL()+"/login", contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	for _, c := range []struct {
		name, contentType, body string
		status                  int
	}{
		{"no user", "application/json", `{"password":"secret"}`, http.StatusBadRequest},
		{"wrong password", "application/json", `{"username":"ann","password":"nope"}`, http.StatusUnauthorized},
		{"not JSON", "text/plain", `username=ann`, http.StatusBadRequest},
		{"form", "application/x-www-form-urlencoded", `username=ann&password=secret`, http.StatusOK},
	} {
		if status, _ := post(c.contentType, c.body); status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, status, c.status)
		}
	}
	status, login := post("application/json", `{"username":"bea","password":"secret"}`)
	if status != http.StatusOK || !strings.HasPrefix(login["token"], "bea.") || login["user"] != "bea" {
		t.Fatalf("login: %d %v", status, login)
	}
	u, _ := url.Parse(srv.URL())
	if cs := jar.Cookies(u); len(cs) != 1 || cs[0].Name != SessionCookie || cs[0].Value != login["token"] {
		t.Errorf("the login set cookies %v, want %s=<token>", cs, SessionCookie)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	whoami := func(opts socketio.Options) (any, error) {
		opts.DisableReconnection = true
		s, err := socketio.Dial(ctx, srv.URL(), LoginNamespace, opts)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		ack, err := s.EmitWithAck(ctx, "whoami")
		if err != nil {
			return nil, err
		}
		args, err := ack.Args()
		if err != nil || len(args) != 1 {
			return nil, errors.New("bad ack")
		}
		return args[0], nil
	}
	for _, tr := range [][]string{{"websocket"}, {"polling"}} {
		if who, err := whoami(socketio.Options{Transports: tr, Auth: map[string]any{"token": login["token"]}}); err != nil || who != "bea" {
			t.Errorf("%v with the token: %v, %v; want bea", tr, who, err)
		}
		if who, err := whoami(socketio.Options{Transports: tr, Jar: jar}); err != nil || who != "ann" && who != "bea" {
			t.Errorf("%v with the session cookie: %v, %v", tr, who, err)
		}
		var ce *socketio.ConnectError
		if _, err := whoami(socketio.Options{Transports: tr, Auth: map[string]any{"token": "bea.0000000000000000"}}); !errors.As(err, &ce) || ce.Message != "login required" {
			t.Errorf("%v with a forged token: %v, want login required", tr, err)
		}
	}
	resp, err := client.Get(srv.URL() + "/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /me with the session cookie: %d", resp.StatusCode)
	}
}
