//go:build linux

package socketio

import (
	"context"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
)

// TestConnectWatchesTheSocketOnceAnswered checks the poller's part in a
// websocket Connect: the socket is added to the poller once, as Connect's
// own read of the namespace's answer hands the connection back, with no
// change of its registration before (no watch to disarm for that read);
// after it the poller reads the connection, so a server's push arrives.
func TestConnectWatchesTheSocketOnceAnswered(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	if thePoller() == nil || goroutineReaderOnly || !readAcksInline {
		t.Skip("Connect reads inline only on the poller")
	}
	srv := refserver.Start(t, refserver.V4)
	var mu sync.Mutex
	ops := map[*wsTransport][]int{}
	seen := func(t *wsTransport, op int) {
		mu.Lock()
		ops[t] = append(ops[t], op)
		mu.Unlock()
	}
	epollCtlSeen.Store(&seen)
	t.Cleanup(func() { epollCtlSeen.Store(nil) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Dial(ctx, srv.URL, "/", Options{Transports: []string{TransportWebsocket}, DisableReconnection: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.m.mu.Lock()
	ws, _ := s.m.eng.current().(*wsTransport)
	s.m.mu.Unlock()
	if ws == nil || ws.raw == nil {
		t.Skip("the connection is not on the poller")
	}
	// The hand-back may come just after Connect returns.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := slices.Clone(ops[ws])
		mu.Unlock()
		if len(got) > 0 || time.Now().After(deadline) {
			if !slices.Equal(got, []int{syscall.EPOLL_CTL_ADD}) {
				t.Fatalf("epoll_ctl of the connection through Connect: %v, want one EPOLL_CTL_ADD (%d)", got, syscall.EPOLL_CTL_ADD)
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	// Read by the poller from then on: the server's answer to an emit
	// without an ack is a push the connection must read.
	got := s.Expect("echo", 1)
	if err := s.Emit("echo-event", "hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := got.Wait(ctx); err != nil {
		t.Fatalf("the server's push after Connect: %v", err)
	}
}
