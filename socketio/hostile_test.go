package socketio

import (
	"context"
	"encoding/base64"
	"errors"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/internal/hostile"
)

// heapBytes is the live heap (objects) as the runtime counts it.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHostile(t *testing.T, cfg hostile.Config) *hostile.Server {
	t.Helper()
	srv, err := hostile.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestPingFloodIsBounded floods a client with pings on each transport: the
// client answers them with at most a couple of pong writers at a time, so
// goroutines and heap stay flat however many pings arrive.
func TestPingFloodIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a client for tens of thousands of pings")
	}
	for _, transports := range [][]string{{TransportWebsocket}, {TransportPolling}, {TransportPolling, TransportWebsocket}} {
		t.Run(transports[len(transports)-1]+"/"+transports[0], func(t *testing.T) {
			srv := startHostile(t, hostile.Config{Mode: hostile.PingFlood})
			runtime.GC()
			baseG, baseHeap := runtime.NumGoroutine(), heapBytes()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := Dial(ctx, srv.URL(), "/", Options{Transports: transports, DisableReconnection: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Manager().Close()
			const pings = 200_000
			maxG, maxHeap := 0, uint64(0)
			for e := s.m.engine(); e.beats.Load() < pings && ctx.Err() == nil; {
				maxG = max(maxG, runtime.NumGoroutine())
				maxHeap = max(maxHeap, heapBytes())
				runtime.Gosched()
			}
			if ctx.Err() != nil {
				t.Fatalf("fewer than %d pings answered in 30 s (%d)", pings, s.m.engine().beats.Load())
			}
			// A connection's own goroutines: reader, prober, pong writers,
			// net/http's and the server's; never one per ping.
			if extra := maxG - baseG; extra > 40 {
				t.Errorf("goroutines grew by %d under the flood; want at most 40", extra)
			}
			if grown := int64(maxHeap) - int64(baseHeap); grown > 64<<20 {
				t.Errorf("heap grew by %d MB under the flood; want at most 64 MB", grown>>20)
			}
		})
	}
}

// engine is the manager's open connection, nil when there is none.
func (m *Manager) engine() *engine {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.eng
}

// TestEndlessHandshakeHeadIsBounded: a websocket upgrade answered with a
// status line that never ends costs a bounded read and a clear error, on
// its own transport and as the upgrade of a polling session.
func TestEndlessHandshakeHeadIsBounded(t *testing.T) {
	srv := startHostile(t, hostile.Config{Mode: hostile.EndlessHead})
	runtime.GC()
	base := heapBytes()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Dial(ctx, srv.URL(), "/", Options{Transports: []string{TransportWebsocket}, DisableReconnection: true})
	if !errors.Is(err, errHandshakeTooLarge) {
		t.Fatalf("got %v, want the handshake refused as too large", err)
	}
	if grown := int64(heapBytes()) - int64(base); grown > 32<<20 {
		t.Errorf("heap grew by %d MB reading the handshake; want at most 32 MB", grown>>20)
	}
}

// TestCancelEndsAStalledConnect: a server that accepts TCP and never
// answers holds a connect only until its context is cancelled, on every
// transport, never until the connect timeout.
func TestCancelEndsAStalledConnect(t *testing.T) {
	for _, tt := range []struct {
		mode       hostile.Mode
		transports []string
	}{
		{hostile.SilentAccept, []string{TransportWebsocket}},
		{hostile.SilentAccept, []string{TransportPolling}},
		{hostile.SilentAccept, []string{TransportPolling, TransportWebsocket}},
	} {
		t.Run(string(tt.mode)+"/"+strings.Join(tt.transports, "+"), func(t *testing.T) {
			srv := startHostile(t, hostile.Config{Mode: tt.mode})
			ctx, cancel := context.WithCancel(context.Background())
			// The connect timeout is an hour: only the cancel can end it.
			time.AfterFunc(100*time.Millisecond, cancel)
			_, err := Dial(ctx, srv.URL(), "/", Options{Transports: tt.transports, ConnectTimeout: time.Hour, DisableReconnection: true})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want the connect cancelled", err)
			}
		})
	}
}

// TestCredentialsInTheURL: user:password@ in the target travels as a Basic
// Authorization header on every transport.
func TestCredentialsInTheURL(t *testing.T) {
	srv := startHostile(t, hostile.Config{Mode: hostile.NoAcks})
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:p@ss word"))
	for _, transports := range [][]string{{TransportWebsocket}, {TransportPolling}} {
		u := strings.Replace(srv.URL(), "://", "://user:p%40ss%20word@", 1)
		s, err := Dial(context.Background(), u, "/", Options{Transports: transports, DisableReconnection: true})
		if err != nil {
			t.Fatalf("%v: %v", transports, err)
		}
		s.Manager().Close()
		if got := srv.Authorization(); got != want {
			t.Errorf("%v: the server saw Authorization %q, want %q", transports, got, want)
		}
	}
}

// TestRedirects: polling follows a redirect within the target's host only,
// says where a refused one pointed, and stops a loop.
func TestRedirects(t *testing.T) {
	other, err := hostile.Start(hostile.Config{Mode: hostile.NoAcks, Addr: "127.0.0.2:0"})
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	t.Cleanup(other.Close)
	cross := startHostile(t, hostile.Config{Mode: hostile.CrossHostRedirect, RedirectTo: other.URL()})
	loop := startHostile(t, hostile.Config{Mode: hostile.RedirectLoop})
	polling := []string{TransportPolling}
	for _, tt := range []struct {
		name     string
		url      string
		opts     Options
		want     string // in the error; "" for success
		sessions int64  // on the other host
	}{
		{"cross-host refused", cross.URL(), Options{Transports: polling}, "redirected to another host, " + other.URL() + "/socket.io/", 0},
		{"cross-host allowed", cross.URL(), Options{Transports: polling, AllowCrossHostRedirects: true}, "", 1},
		{"websocket not followed", cross.URL(), Options{Transports: []string{TransportWebsocket}}, "a redirect to " + other.URL(), 1},
		{"loop", loop.URL(), Options{Transports: polling}, "stopped after 10 redirects", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.DisableReconnection = true
			s, err := Dial(context.Background(), tt.url, "/", tt.opts)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if err == nil {
				s.Manager().Close()
			}
			if got := other.Sessions(); got != tt.sessions {
				t.Errorf("the other host has %d sessions, want %d", got, tt.sessions)
			}
		})
	}
}

// TestLargeMessagesAreBounded: a 200 MB message is refused by MaxReadBytes,
// or by the read budget when MaxReadBytes would take it, without the heap
// growing past the bound either sets.
func TestLargeMessagesAreBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("a server sends 200 MB")
	}
	for _, tt := range []struct {
		name       string
		transports []string
		opts       Options
		want       error
		bound      int64
	}{
		{"MaxReadBytes/websocket", []string{TransportWebsocket}, Options{}, websocket.ErrReadLimit, 64 << 20},
		{"budget/websocket", []string{TransportWebsocket}, Options{MaxReadBytes: 1 << 30, ReadBudget: NewReadBudget(8 << 20)}, ErrReadBudget, 32 << 20},
		{"budget/polling", []string{TransportPolling}, Options{MaxReadBytes: 1 << 30, ReadBudget: NewReadBudget(8 << 20)}, ErrReadBudget, 32 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startHostile(t, hostile.Config{Mode: hostile.HugeMessage})
			runtime.GC()
			base := heapBytes()
			closed := make(chan error, 1)
			tt.opts.Transports, tt.opts.DisableReconnection = tt.transports, true
			tt.opts.OnDisconnect = func(_, _ string, err error) { closed <- err }
			peak := make(chan uint64)
			stop := make(chan struct{})
			go func() {
				var p uint64
				for {
					select {
					case <-stop:
						peak <- p
						return
					default:
						p = max(p, heapBytes())
						runtime.Gosched()
					}
				}
			}()
			s, err := Dial(context.Background(), srv.URL(), "/", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Manager().Close()
			err = <-closed
			close(stop)
			if !errors.Is(err, tt.want) {
				t.Errorf("closed by %v, want %v", err, tt.want)
			}
			if grown := int64(<-peak) - int64(base); grown > tt.bound {
				t.Errorf("heap grew by %d MB, want at most %d MB", grown>>20, tt.bound>>20)
			}
		})
	}
}
