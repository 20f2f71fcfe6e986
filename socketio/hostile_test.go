package socketio

import (
	"context"
	"errors"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

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
