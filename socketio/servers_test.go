package socketio

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
	"github.com/sockload/sockload/target"
)

// testServer is a server the conformance tests run against: a Node
// reference server, or sockload's built-in target speaking the same
// generation with the same handlers (testdata/node/server.js).
type testServer struct {
	// Engine is the server's Engine.IO version; wire.EngineV3 is a
	// socket.io 2.x server (or the target behaving as one).
	Engine wire.EngineVersion
	// URL is the base address, http://127.0.0.1:<port>; it stays the same
	// across Restart.
	URL string

	stats   func() refserver.Stats
	restart func()
}

// Stats returns the events the server received, per namespace and event.
func (s *testServer) Stats() refserver.Stats { return s.stats() }

// Restart replaces the server with a fresh one on the same port: connected
// clients lose their connection, as in a deployment.
func (s *testServer) Restart() { s.restart() }

// serverOptions configures a test server, in the terms of server.js's flags.
type serverOptions struct {
	namespaces        []string
	authToken         string
	path              string
	pingInterval      time.Duration
	pingTimeout       time.Duration
	maxHTTPBufferSize int
	cookie            bool
}

// serverKind is one implementation the conformance tests cover.
type serverKind struct {
	name   string
	engine wire.EngineVersion
	start  func(t *testing.T, o serverOptions) *testServer
}

// serverKinds lists the Node reference servers (the authority on the
// protocol) and the built-in target in both of its generations.
var serverKinds = []serverKind{
	{"v4", wire.EngineV4, nodeServer(refserver.V4)},
	{"v2", wire.EngineV3, nodeServer(refserver.V2)},
	{"target-EIO4", wire.EngineV4, targetServer(wire.EngineV4)},
	{"target-EIO3", wire.EngineV3, targetServer(wire.EngineV3)},
}

func nodeServer(v refserver.Version) func(*testing.T, serverOptions) *testServer {
	return func(t *testing.T, o serverOptions) *testServer {
		t.Helper()
		srv := refserver.Start(t, v, o.flags()...)
		return &testServer{
			Engine:  engineVersionOf(v),
			URL:     srv.URL,
			stats:   srv.Stats,
			restart: srv.Restart,
		}
	}
}

// flags spells o as server.js's command-line flags.
func (o serverOptions) flags() []string {
	var f []string
	add := func(name, value string) { f = append(f, name, value) }
	if len(o.namespaces) > 0 {
		add("--namespaces", strings.Join(o.namespaces, ","))
	}
	if o.authToken != "" {
		add("--auth-token", o.authToken)
	}
	if o.path != "" {
		add("--path", o.path)
	}
	if o.pingInterval > 0 {
		add("--ping-interval", strconv.FormatInt(o.pingInterval.Milliseconds(), 10))
	}
	if o.pingTimeout > 0 {
		add("--ping-timeout", strconv.FormatInt(o.pingTimeout.Milliseconds(), 10))
	}
	if o.maxHTTPBufferSize > 0 {
		add("--max-http-buffer-size", strconv.Itoa(o.maxHTTPBufferSize))
	}
	if o.cookie {
		f = append(f, "--cookie")
	}
	return f
}

// targetServer starts the built-in target in this process. Every instance
// listens with SO_REUSEPORT, so that Restart binds the new one before
// closing the old: the port is never free for another process to take.
func targetServer(v wire.EngineVersion) func(*testing.T, serverOptions) *testServer {
	return func(t *testing.T, o serverOptions) *testServer {
		t.Helper()
		cfg := target.Config{
			Addr:              "127.0.0.1:0",
			ReusePort:         true,
			EngineVersion:     v,
			Path:              o.path,
			Namespaces:        o.namespaces,
			AuthToken:         o.authToken,
			Cookie:            o.cookie,
			PingInterval:      o.pingInterval,
			PingTimeout:       o.pingTimeout,
			MaxHTTPBufferSize: o.maxHTTPBufferSize,
		}
		var mu sync.Mutex // guards srv, replaced by Restart
		srv := startTarget(t, cfg)
		current := func() *target.Server {
			mu.Lock()
			defer mu.Unlock()
			return srv
		}
		ts := &testServer{Engine: v, URL: srv.URL()}
		ts.stats = func() refserver.Stats { return statsOf(current().Stats()) }
		ts.restart = func() {
			old := current()
			cfg.Addr = old.Addr()
			next := startTarget(t, cfg)
			mu.Lock()
			srv = next
			mu.Unlock()
			old.Close()
		}
		return ts
	}
}

func startTarget(t *testing.T, cfg target.Config) *target.Server {
	t.Helper()
	srv, err := target.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("starting the built-in target: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// statsOf gives the target's counters the reference server's shape.
func statsOf(st target.Stats) refserver.Stats {
	out := refserver.Stats{Connections: int(st.Connections), Received: map[string]map[string]int{}}
	for ns, events := range st.Received {
		out.Received[ns] = make(map[string]int, len(events))
		for ev, n := range events {
			out.Received[ns][ev] = int(n)
		}
	}
	return out
}
