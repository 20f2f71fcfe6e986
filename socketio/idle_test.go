package socketio

import (
	"context"
	"net"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
)

// goroutineReaderDialer dials with dial (nil: a net.Dialer) a connection
// the poller cannot watch (it is not a *net.TCPConn), so that a goroutine
// reads it, as on systems without the poller and over TLS.
func goroutineReaderDialer(dial func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return struct{ net.Conn }{c}, nil
	}
}

// heapAndStacks is the heap's live objects and the goroutine stacks, after
// collecting garbage (several times: each may halve a stack that uses
// under a quarter of it).
func heapAndStacks() int64 {
	for range 4 {
		runtime.GC()
	}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64() + s[1].Value.Uint64())
}

// TestIdleClientsOnThePoller: idle websocket clients on the poller hold no
// goroutine of their own, and cost far less memory each than clients read
// by a goroutine, side by side against the same server.
func TestIdleClientsOnThePoller(t *testing.T) {
	if testing.Short() {
		t.Skip("connects 600 clients to a Node server")
	}
	if thePoller() == nil || goroutineReaderOnly {
		t.Skip("no poller on this system, or the run asked for goroutine readers")
	}
	const clients = 300
	srv := refserver.Start(t, refserver.V4)
	type figures struct{ goroutines, bytes int }
	// measure connects the clients; own is the goroutines each is expected
	// to keep.
	measure := func(dial func(context.Context, string, string) (net.Conn, error), own int) figures {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		goroutines, mem := runtime.NumGoroutine(), heapAndStacks()
		sockets := make([]*Socket, clients)
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < clients; i += 4 {
					s, err := Dial(ctx, srv.URL, "/", Options{Transports: []string{TransportWebsocket}, DialContext: dial})
					if err != nil {
						errs <- err
						return
					}
					sockets[i] = s
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		// Let the handshakes' short-lived goroutines end.
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine()-goroutines > own*clients+clients/10 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		f := figures{runtime.NumGoroutine() - goroutines, int(heapAndStacks()-mem) / clients}
		for _, s := range sockets {
			if !s.Connected() {
				t.Error("a client disconnected while idle")
			}
			s.Close()
		}
		return f
	}
	goroutine := measure(goroutineReaderDialer(nil), 1)
	polled := measure(nil, 0)
	t.Logf("per idle client: %d bytes on the poller, %d with a reader goroutine; goroutines: %d and %d for %d clients",
		polled.bytes, goroutine.bytes, polled.goroutines, goroutine.goroutines, clients)
	if goroutine.goroutines < clients {
		t.Errorf("%d goroutines for %d clients read by goroutines, want at least one each", goroutine.goroutines, clients)
	}
	if polled.goroutines > clients/10 {
		t.Errorf("%d goroutines for %d idle clients on the poller, want none of their own", polled.goroutines, clients)
	}
	if polled.bytes*3 > goroutine.bytes*2 {
		t.Errorf("%d bytes per idle client on the poller, want well under the %d with a reader goroutine", polled.bytes, goroutine.bytes)
	}
}
