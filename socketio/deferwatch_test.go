//go:build linux

package socketio

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
)

// epollCtlLog records the poller's changes of every connection's
// registration for the test's duration.
type epollCtlLog struct {
	mu  sync.Mutex
	ops map[*wsTransport][]int
}

func logEpollCtls(t *testing.T) *epollCtlLog {
	l := &epollCtlLog{ops: map[*wsTransport][]int{}}
	seen := func(ws *wsTransport, op int) {
		l.mu.Lock()
		l.ops[ws] = append(l.ops[ws], op)
		l.mu.Unlock()
	}
	epollCtlSeen.Store(&seen)
	t.Cleanup(func() { epollCtlSeen.Store(nil) })
	return l
}

func (l *epollCtlLog) of(ws *wsTransport) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ops[ws])
}

// deferWatchServer starts the reference server for these tests, or skips
// when the connection cannot be on the poller.
func deferWatchServer(t *testing.T, flags ...string) *refserver.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	if thePoller() == nil || goroutineReaderOnly || !readAcksInline {
		t.Skip("a watch is deferred only on the poller, with acks read inline")
	}
	return refserver.Start(t, refserver.V4, flags...)
}

// polledTransport is s's websocket, skipping the test when the poller
// cannot read it.
func polledTransport(t *testing.T, s *Socket) *wsTransport {
	t.Helper()
	s.m.mu.Lock()
	ws, _ := s.m.eng.current().(*wsTransport)
	s.m.mu.Unlock()
	if ws == nil || ws.raw == nil {
		t.Skip("the connection is not on the poller")
	}
	return ws
}

func dialDeferrable(t *testing.T, ctx context.Context, url string, opts Options) *Socket {
	t.Helper()
	opts.Transports = []string{TransportWebsocket}
	s, err := Dial(ctx, url, "/", opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An arrival that connects, awaits its acks and leaves with DeferWatch
// never changes the poller's registration of its socket; watched, every
// ack costs two changes (the waiter's disarm, the hand-back's re-arm)
// after the watch itself.
func TestAnAckedArrivalLeavesThePollerAlone(t *testing.T) {
	srv := deferWatchServer(t)
	for _, tc := range []struct {
		deferWatch bool
		want       []int
	}{
		{true, nil},
		{false, []int{syscall.EPOLL_CTL_ADD, syscall.EPOLL_CTL_MOD, syscall.EPOLL_CTL_MOD, syscall.EPOLL_CTL_MOD,
			syscall.EPOLL_CTL_MOD, syscall.EPOLL_CTL_MOD, syscall.EPOLL_CTL_MOD}},
	} {
		log := logEpollCtls(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s := dialDeferrable(t, ctx, srv.URL, Options{DisableReconnection: true, DeferWatch: tc.deferWatch})
		ws := polledTransport(t, s)
		for i := range 3 {
			if _, err := s.EmitWithAck(ctx, "echo", i); err != nil {
				t.Fatalf("DeferWatch %v: ack %d: %v", tc.deferWatch, i, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		cancel()
		// A hand-back may come just after the ack is delivered.
		time.Sleep(50 * time.Millisecond)
		if got := log.of(ws); !slices.Equal(got, tc.want) {
			t.Errorf("DeferWatch %v: epoll_ctl of the connection through Connect, 3 acks and Close: %v, want %v (ADD %d, MOD %d)",
				tc.deferWatch, got, tc.want, syscall.EPOLL_CTL_ADD, syscall.EPOLL_CTL_MOD)
		}
	}
}

// A deferred connection that Watch hands to the poller after an ack
// answers the server's pings while nobody waits on it, and receives its
// pushes; one left deferred does not, and is dropped for it.
func TestWatchAfterAnAckAnswersHeartbeatsAndDeliversPushes(t *testing.T) {
	srv := deferWatchServer(t, "--ping-interval", "300", "--ping-timeout", "200")
	log := logEpollCtls(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var watchedDrops, deferredDrops atomic.Int32
	watched := dialDeferrable(t, ctx, srv.URL, Options{DisableReconnection: true, DeferWatch: true,
		OnDisconnect: func(string, string, error) { watchedDrops.Add(1) }})
	defer watched.Close()
	deferred := dialDeferrable(t, ctx, srv.URL, Options{DisableReconnection: true, DeferWatch: true,
		OnDisconnect: func(string, string, error) { deferredDrops.Add(1) }})
	defer deferred.Close()
	ws := polledTransport(t, watched)
	for _, s := range []*Socket{watched, deferred} {
		if _, err := s.EmitWithAck(ctx, "echo", 1); err != nil {
			t.Fatal(err)
		}
	}
	watched.Watch()
	watched.Watch() // a second is nothing
	if got := log.of(ws); !slices.Equal(got, []int{syscall.EPOLL_CTL_ADD}) {
		t.Fatalf("epoll_ctl of the connection through an ack and two Watch: %v, want one ADD (%d)", got, syscall.EPOLL_CTL_ADD)
	}
	// Five heartbeats of 300 ms, each to be answered within 200 ms.
	time.Sleep(1500 * time.Millisecond)
	if n := watchedDrops.Load(); n != 0 {
		t.Fatalf("the watched connection disconnected %d times within five heartbeats", n)
	}
	pushed := watched.Expect("echo", 1)
	if err := watched.Emit("echo-event", "hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := pushed.Wait(ctx); err != nil {
		t.Fatalf("a push to the watched connection: %v", err)
	}
	if n := deferredDrops.Load(); n != 1 {
		t.Errorf("the connection left deferred disconnected %d times within five unanswered heartbeats, want 1", n)
	}
}

// Watch racing an ack waiter's read and the socket's close leaves the
// connection read by one party at a time (the race detector's part) and
// its end reported once.
func TestWatchRacesAcksAndClose(t *testing.T) {
	srv := deferWatchServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for round := range 40 {
		var drops atomic.Int32
		s := dialDeferrable(t, ctx, srv.URL, Options{DisableReconnection: true, DeferWatch: true,
			OnDisconnect: func(string, string, error) { drops.Add(1) }})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range 3 {
				if _, err := s.EmitWithAck(ctx, "echo", i); err != nil {
					return // closed meanwhile
				}
			}
		})
		wg.Go(func() {
			time.Sleep(time.Duration(round%8) * 100 * time.Microsecond)
			s.Watch()
		})
		time.Sleep(time.Duration(round%5) * 200 * time.Microsecond)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		deadline := time.Now().Add(5 * time.Second)
		for drops.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // a second report would come now
		if n := drops.Load(); n != 1 {
			t.Fatalf("round %d: the socket's end reported %d times, want 1", round, n)
		}
	}
}
