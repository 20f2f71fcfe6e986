package socketio

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
)

// skipUnlessInline skips a test of the ack waiter's own read when the run
// does not use it.
func skipUnlessInline(t *testing.T) {
	t.Helper()
	if thePoller() == nil || goroutineReaderOnly || !readAcksInline {
		t.Skip("no poller on this system, or the run asked for goroutine readers or no inline ack reads")
	}
}

// countInlineReads counts the ack waiters that take their connection's
// read, for the test's duration.
func countInlineReads(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	inlineReadTaken = func() { n.Add(1) }
	t.Cleanup(func() { inlineReadTaken = nil })
	return &n
}

// websocketOf returns the socket's websocket, which must be on the poller.
func websocketOf(t *testing.T, s *Socket) *wsTransport {
	t.Helper()
	e := s.connectedEngine()
	if e == nil {
		t.Fatal("not connected")
	}
	ws, ok := e.current().(*wsTransport)
	if !ok || ws.raw == nil {
		t.Fatal("the websocket is not read by the poller")
	}
	return ws
}

// TestInlineReadReportsEachEndOnce: a connection that ends while an ack
// waiter reads it reports its end exactly once, with the reason of what
// ended it, and the waiter gets a NoAckError with that reason.
func TestInlineReadReportsEachEndOnce(t *testing.T) {
	skipUnlessInline(t)
	for _, tt := range []struct {
		misbehave string
		want      string
	}{
		{"hang up", ReasonTransportClose},
		{"close packet", ReasonTransportClose},
		{"huge message", ReasonTransportError},
	} {
		for _, v := range []wire.EngineVersion{wire.EngineV4, wire.EngineV3} {
			t.Run(fmt.Sprintf("EIO%d %s", v, tt.misbehave), func(t *testing.T) {
				taken := countInlineReads(t)
				gate := make(chan struct{})
				var once sync.Once
				inlineReadTaken = func() {
					taken.Add(1)
					once.Do(func() { close(gate) })
				}
				p := &peer{v: v, beats: 100, pingInterval: time.Minute, pingTimeout: time.Minute, misbehave: tt.misbehave, gate: gate}
				srv := httptest.NewServer(p)
				defer srv.Close()
				var mu sync.Mutex
				var reasons []string
				s, err := Dial(testContext(t), srv.URL, "/", Options{
					EngineVersion: v, Transports: []string{TransportWebsocket}, MaxReadBytes: 1024, DisableReconnection: true,
					OnDisconnect: func(_, reason string, _ error) {
						mu.Lock()
						defer mu.Unlock()
						reasons = append(reasons, reason)
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				ws := websocketOf(t, s)
				eventually(t, "the connection waiting for the poller", func() bool { return ws.poll.state.Load() == pollArmed })
				_, err = s.EmitWithAck(testContext(t), "go")
				var noAck *NoAckError
				if !errors.As(err, &noAck) {
					t.Fatalf("EmitWithAck returned %v, want a NoAckError", err)
				}
				if taken.Load() == 0 {
					t.Fatal("the ack waiter did not read the connection")
				}
				eventually(t, "the poller's state closed", func() bool { return ws.poll.state.Load() == pollClosed })
				eventually(t, "the disconnect reported", func() bool {
					mu.Lock()
					defer mu.Unlock()
					return len(reasons) > 0
				})
				mu.Lock()
				defer mu.Unlock()
				if len(reasons) != 1 || reasons[0] != tt.want {
					t.Errorf("ends reported %v, want [%s]", reasons, tt.want)
				}
				if got := reasonOfErr(noAck.Err); got != tt.want {
					t.Errorf("the NoAckError's reason is %q (%v), want %q", got, noAck.Err, tt.want)
				}
			})
		}
	}
}

// reasonOfErr is the disconnect reason an error carries.
func reasonOfErr(err error) string {
	var ce *closeError
	if errors.As(err, &ce) {
		return ce.reason
	}
	return ""
}

// TestInlineReadEndsWithTheWait: an ack waiter reading its connection stops
// at its context's deadline or cancellation with a NoAckError, leaves the
// connection up and to the poller again (no deadline left on it), and the
// next ack arrives.
func TestInlineReadEndsWithTheWait(t *testing.T) {
	skipUnlessInline(t)
	srv := refserver.Start(t, refserver.V4)
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			// Cancelled once the waiter reads: see inlineReadTaken below.
			return ctx, cancel
		}, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			taken := countInlineReads(t)
			ctx, cancel := tt.ctx()
			defer cancel()
			if tt.want == context.Canceled {
				inlineReadTaken = func() {
					taken.Add(1)
					go cancel()
				}
			}
			var disconnects atomic.Int64
			s, err := Dial(testContext(t), srv.URL, "/", Options{
				Transports: []string{TransportWebsocket}, DisableReconnection: true,
				OnDisconnect: func(string, string, error) { disconnects.Add(1) },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ws := websocketOf(t, s)
			eventually(t, "the connection waiting for the poller", func() bool { return ws.poll.state.Load() == pollArmed })
			_, err = s.EmitWithAck(ctx, "noack")
			var noAck *NoAckError
			if !errors.As(err, &noAck) || !errors.Is(noAck.Err, tt.want) {
				t.Fatalf("EmitWithAck returned %v, want a NoAckError for %v", err, tt.want)
			}
			if taken.Load() == 0 {
				t.Fatal("the ack waiter did not read the connection")
			}
			inlineReadTaken = func() { taken.Add(1) }
			if st := ws.poll.state.Load(); st == pollClosing || st == pollClosed {
				t.Fatalf("the connection ended (poll state %d)", st)
			}
			// Served by the poller's workers: no read deadline left.
			received := make(chan struct{}, 1)
			s.Once("echo", func(Message) { received <- struct{}{} })
			if err := s.Emit("echo-event", "after"); err != nil {
				t.Fatal(err)
			}
			select {
			case <-received:
			case <-time.After(testTimeout):
				t.Fatal("an event after the wait was never delivered")
			}
			for i := range 20 {
				if _, err := s.EmitWithAck(testContext(t), "echo", i); err != nil {
					t.Fatalf("ack %d after the wait: %v", i, err)
				}
			}
			if n := disconnects.Load(); n != 0 {
				t.Errorf("%d disconnects reported, want none", n)
			}
		})
	}
}

// TestInlineReadDeliversInOrder: events and pings that arrive while ack
// waiters read their connection are delivered in order, each once, before
// the ack that follows them, on both generations.
func TestInlineReadDeliversInOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of round trips with pings every 20 ms")
	}
	for _, v := range []refserver.Version{refserver.V4, refserver.V2} {
		t.Run(string(v), func(t *testing.T) {
			taken := countInlineReads(t)
			srv := refserver.Start(t, v, "--ping-interval", "20", "--ping-timeout", "5000")
			var disconnects atomic.Int64
			s, err := Dial(testContext(t), srv.URL, "/", Options{
				EngineVersion: engineVersionOf(v), Transports: []string{TransportWebsocket}, DisableReconnection: true,
				OnDisconnect: func(string, string, error) { disconnects.Add(1) },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var mu sync.Mutex
			var got []float64
			s.On("n", func(m Message) {
				args, err := m.Args()
				if err != nil || len(args) != 1 {
					t.Errorf("event n: %v %v", args, err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				got = append(got, args[0].(float64))
			})
			const rounds, per = 200, 5
			for r := range rounds {
				if _, err := s.EmitWithAck(testContext(t), "push", "n", per); err != nil {
					t.Fatalf("round %d: %v", r, err)
				}
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n != (r+1)*per {
					t.Fatalf("round %d: %d events delivered before its ack, want %d", r, n, (r+1)*per)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for i, x := range got {
				if int(x) != i%per {
					t.Fatalf("event %d carries %v, want %d (in order)", i, x, i%per)
				}
			}
			if disconnects.Load() != 0 {
				t.Error("the connection was lost")
			}
			if inline := thePoller() != nil && !goroutineReaderOnly && readAcksInline; inline && taken.Load() == 0 {
				t.Error("no ack waiter read its connection")
			}
		})
	}
}

// TestAckWhileAWorkerReads: an ack waiter whose connection a poll worker
// is reading (a handler holds it) does not read; the worker delivers the
// ack once the handler returns.
func TestAckWhileAWorkerReads(t *testing.T) {
	skipUnlessInline(t)
	taken := countInlineReads(t)
	srv := refserver.Start(t, refserver.V4)
	s, err := Dial(testContext(t), srv.URL, "/", Options{Transports: []string{TransportWebsocket}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	taken.Store(0) // the connect's wait for its namespace read it
	ws := websocketOf(t, s)
	entered, release := make(chan struct{}), make(chan struct{})
	s.Once("hold", func(Message) {
		close(entered)
		<-release
	})
	if err := s.Emit("push", "hold", 1); err != nil {
		t.Fatal(err)
	}
	<-entered
	if st := ws.poll.state.Load(); st != pollReading && st != pollAgain {
		t.Fatalf("poll state %d while a handler runs, want a read in progress", st)
	}
	acked := make(chan error, 1)
	go func() {
		_, err := s.EmitWithAck(testContext(t), "echo", "x")
		acked <- err
	}()
	// The ack arrives while the handler holds the worker: the waiter
	// waits on its channel.
	eventually(t, "the server's ack read", func() bool { return srv.Stats().Received["/"]["echo"] == 1 })
	select {
	case err := <-acked:
		t.Fatalf("the ack was delivered while the handler ran (%v)", err)
	default:
	}
	close(release)
	select {
	case err := <-acked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(testTimeout):
		t.Fatal("the ack was never delivered")
	}
	if n := taken.Load(); n != 0 {
		t.Errorf("%d ack waiters took the read while a worker had it", n)
	}
}

// TestConnectReadsItsAnswer: a Connect on a websocket on the poller reads
// the namespace's answer itself, as an ack waiter reads its ack, for every
// namespace joined on the connection.
func TestConnectReadsItsAnswer(t *testing.T) {
	skipUnlessInline(t)
	taken := countInlineReads(t)
	srv := refserver.Start(t, refserver.V4, "--namespaces", "/,/chat")
	m, err := NewManager(srv.URL, Options{Transports: []string{TransportWebsocket}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i, nsp := range []string{"/", "/chat"} {
		if err := m.Socket(nsp).Connect(testContext(t)); err != nil {
			t.Fatal(err)
		}
		if n := taken.Load(); n != int64(i+1) {
			t.Errorf("after joining %s, %d connects read their answer, want %d", nsp, n, i+1)
		}
	}
	if _, err := m.Socket("/chat").EmitWithAck(testContext(t), "ping"); err != nil {
		t.Fatal(err)
	}
}

// TestInlineReadAfterADeadlineLeftSet: an ack waiter leaves its wait's read
// deadline set; a later one whose context has neither deadline nor
// cancellation clears it rather than finding its wait over at once, and
// the poller's workers read past it (an event after the deadline).
func TestInlineReadAfterADeadlineLeftSet(t *testing.T) {
	skipUnlessInline(t)
	taken := countInlineReads(t)
	srv := refserver.Start(t, refserver.V4)
	s, err := Dial(testContext(t), srv.URL, "/", Options{Transports: []string{TransportWebsocket}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	taken.Store(0)
	bounded, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.EmitWithAck(bounded, "echo", "with a deadline"); err != nil {
		t.Fatal(err)
	}
	if !websocketOf(t, s).poll.deadlineSet {
		t.Fatal("the wait left no deadline set: the test tests nothing")
	}
	time.Sleep(2 * waitSlice) // the deadline left is past
	got := make(chan Message, 1)
	s.Once("pushed", func(m Message) { got <- m })
	if err := s.Emit("push", "pushed", 1); err != nil {
		t.Fatal(err)
	}
	<-got // read by a worker
	// The handler runs before the worker hands the read back: an ack
	// waited for before that is read by the worker, not inline.
	ws := websocketOf(t, s)
	eventually(t, "the worker to hand the read back", func() bool { return ws.poll.state.Load() == pollArmed })
	if _, err := s.EmitWithAck(context.Background(), "echo", "without"); err != nil {
		t.Fatal(err)
	}
	if taken.Load() != 2 {
		t.Errorf("%d inline reads, want 2", taken.Load())
	}
}
