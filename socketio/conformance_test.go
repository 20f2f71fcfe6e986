package socketio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
)

// The conformance tests run every feature against both reference servers
// (socket.io 4.x and 2.x) and the built-in target in both of its generations
// (servers_test.go), over each way of connecting.

type transportCase struct {
	name       string
	transports []string
	// final is the transport in use once connected and settled.
	final string
	// goroutineReader has a goroutine read the websocket, as on systems
	// without the poller and over TLS, instead of the poller.
	goroutineReader bool
}

var transportCases = []transportCase{
	{"websocket", []string{TransportWebsocket}, TransportWebsocket, false},
	{"polling", []string{TransportPolling}, TransportPolling, false},
	{"upgrade", nil, TransportWebsocket, false}, // the default: polling, then websocket
	{"websocket-goroutine-reader", []string{TransportWebsocket}, TransportWebsocket, true},
	{"upgrade-goroutine-reader", nil, TransportWebsocket, true},
}

// options sets o's transports, and its dialer for a goroutine reader.
func (tc transportCase) options(o Options) Options {
	o.Transports = tc.transports
	if tc.goroutineReader {
		o.DialContext = goroutineReaderDialer(o.DialContext)
	}
	return o
}

func engineVersionOf(v refserver.Version) wire.EngineVersion {
	if v == refserver.V2 {
		return wire.EngineV3
	}
	return wire.EngineV4
}

const testTimeout = 10 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// events records what the Options callbacks report.
type events struct {
	mu          sync.Mutex
	disconnects []disconnect
	connects    map[string]int
	attempts    int
	reconnects  int
	dials       atomic.Int64
}

type disconnect struct {
	namespace, reason string
	err               error
}

// options returns o with the callbacks wired to ev and a dialer that counts
// TCP connections.
func (ev *events) options(o Options) Options {
	ev.connects = map[string]int{}
	o.OnConnect = func(ns string) {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		ev.connects[ns]++
	}
	o.OnDisconnect = func(ns, reason string, err error) {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		ev.disconnects = append(ev.disconnects, disconnect{ns, reason, err})
	}
	o.OnReconnectAttempt = func(int) {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		ev.attempts++
	}
	o.OnReconnect = func(int) {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		ev.reconnects++
	}
	var d net.Dialer
	o.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ev.dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}
	return o
}

func (ev *events) snapshot() (disconnects []disconnect, attempts, reconnects int) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return append([]disconnect(nil), ev.disconnects...), ev.attempts, ev.reconnects
}

func (ev *events) connectCount(ns string) int {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return ev.connects[ns]
}

// eventually fails the test unless cond becomes true within testTimeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connect returns a connected socket on namespace, closed at the end.
func connect(t *testing.T, srv *testServer, tc transportCase, namespace string, o Options) *Socket {
	t.Helper()
	o.EngineVersion = srv.Engine
	o = tc.options(o)
	m, err := NewManager(srv.URL, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	s := m.Socket(namespace)
	if err := s.Connect(testContext(t)); err != nil {
		t.Fatalf("Connect(%s): %v", namespace, err)
	}
	return s
}

func ackArgs(t *testing.T, s *Socket, event string, args ...any) []any {
	t.Helper()
	ack, err := s.EmitWithAck(testContext(t), event, args...)
	if err != nil {
		t.Fatalf("EmitWithAck(%q): %v", event, err)
	}
	if ack.ReceivedAt.Before(ack.SentAt) || ack.SentAt.IsZero() {
		t.Errorf("ack stamped at %v, before its emit at %v", ack.ReceivedAt, ack.SentAt)
	}
	got, err := ack.Args()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	for _, k := range serverKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			// Heartbeats every 200 ms; the 1 s pingTimeout keeps a loaded
			// CI machine from turning scheduling delays into ping timeouts.
			main := k.start(t, serverOptions{
				namespaces:   []string{"/", "/chat"},
				pingInterval: 200 * time.Millisecond, pingTimeout: time.Second,
				maxHTTPBufferSize: 20000, cookie: true,
			})
			auth := k.start(t, serverOptions{namespaces: []string{"/", "/chat"}, authToken: "secret", path: "/rt"})
			for _, tc := range transportCases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					conformance(t, main, auth, tc)
				})
			}
		})
	}
}

func conformance(t *testing.T, main, auth *testServer, tc transportCase) {
	t.Run("emit and ack", func(t *testing.T) {
		s := connect(t, main, tc, "/", Options{})
		want := []any{"hi", 42.0, map[string]any{"nested": []any{true, nil, "x"}}}
		if got := ackArgs(t, s, "echo", want...); !reflect.DeepEqual(got, want) {
			t.Errorf("echo ack = %#v, want %#v", got, want)
		}
		event := "plain-" + tc.name
		if err := s.Emit(event, 1); err != nil {
			t.Fatal(err)
		}
		// The server handles a socket's packets in order: once ping is
		// acked, the plain emit has been counted.
		if got := ackArgs(t, s, "ping"); !reflect.DeepEqual(got, []any{"pong"}) {
			t.Errorf("ping ack = %v", got)
		}
		if n := main.Stats().Received["/"][event]; n != 1 {
			t.Errorf("server counted %d %q events, want 1", n, event)
		}
		eventually(t, "the final transport", func() bool { return s.Manager().Transport() == tc.final })
		// Still working after the upgrade.
		if got := ackArgs(t, s, "echo", "after"); !reflect.DeepEqual(got, []any{"after"}) {
			t.Errorf("echo after settling = %v", got)
		}
	})

	t.Run("traffic while upgrading", func(t *testing.T) {
		// Emits and acks flow from the first moment, through the switch
		// from polling to websocket, and none is lost or reordered.
		s := connect(t, main, tc, "/", Options{})
		event := "counted-" + tc.name
		sent := 0
		for i := 0; s.Manager().Transport() != tc.final || i < 20; i++ {
			if err := s.Emit(event, i); err != nil {
				t.Fatal(err)
			}
			sent++
			if got := ackArgs(t, s, "echo", i); got[0] != float64(i) {
				t.Fatalf("echo %d came back as %v", i, got)
			}
			if i > 1000 {
				t.Fatal("never reached the final transport")
			}
		}
		if n := main.Stats().Received["/"][event]; n != sent {
			t.Errorf("server received %d of %d emits", n, sent)
		}
	})

	t.Run("binary", func(t *testing.T) {
		s := connect(t, main, tc, "/", Options{})
		blob := bytes.Repeat([]byte{0, 1, 2, 255}, 300)
		want := []any{"label", blob, map[string]any{"inner": []byte("xyz")}}
		if got := ackArgs(t, s, "echo", want...); !reflect.DeepEqual(got, want) {
			t.Errorf("binary ack = %#v, want %#v", got, want)
		}
		x := s.Expect("echo", 1)
		if err := s.Emit("echo-event", blob, "tail"); err != nil {
			t.Fatal(err)
		}
		msgs, err := x.Wait(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		got, err := msgs[0].Args()
		if err != nil || !reflect.DeepEqual(got, []any{blob, "tail"}) {
			t.Errorf("binary event args = %v, %v", got, err)
		}
		if msgs[0].Size() < len(blob) {
			t.Errorf("Size() = %d, want at least %d", msgs[0].Size(), len(blob))
		}
	})

	t.Run("server push", func(t *testing.T) {
		s := connect(t, main, tc, "/", Options{})
		x := s.Expect("tick-push", 5)
		var onAny atomic.Int64
		s.OnAny(func(Message) { onAny.Add(1) })
		var once atomic.Int64
		s.Once("tick-push", func(Message) { once.Add(1) })
		if got := ackArgs(t, s, "push", "tick-push", 5); !reflect.DeepEqual(got, []any{5.0}) {
			t.Errorf("push ack = %v", got)
		}
		msgs, err := x.Wait(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			args, _ := m.Args()
			if m.Event != "tick-push" || !reflect.DeepEqual(args, []any{float64(i)}) || m.ReceivedAt.IsZero() {
				t.Errorf("event %d = %q %v at %v", i, m.Event, args, m.ReceivedAt)
			}
			if i > 0 && m.ReceivedAt.Before(msgs[i-1].ReceivedAt) {
				t.Errorf("event %d stamped before event %d", i, i-1)
			}
		}
		if once.Load() != 1 || onAny.Load() != 5 {
			t.Errorf("Once handler ran %d times, OnAny %d; want 1 and 5", once.Load(), onAny.Load())
		}
	})

	t.Run("ack timeout", func(t *testing.T) {
		s := connect(t, main, tc, "/", Options{AckTimeout: 100 * time.Millisecond})
		if _, err := s.EmitWithAck(context.Background(), "noack"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("EmitWithAck without an answer = %v, want a deadline error", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.EmitWithAck(ctx, "noack"); !errors.Is(err, context.Canceled) {
			t.Errorf("EmitWithAck with a cancelled context = %v, want context.Canceled", err)
		}
		// A late or missing ack leaves the socket usable.
		if got := ackArgs(t, s, "ping"); got[0] != "pong" {
			t.Errorf("ping after ack timeouts = %v", got)
		}
		x := s.Expect("never", 1)
		short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if msgs, err := x.Wait(short); !errors.Is(err, context.DeadlineExceeded) || len(msgs) != 0 {
			t.Errorf("Wait for an event that never comes = %d messages, %v", len(msgs), err)
		}
	})

	t.Run("concurrent connects", func(t *testing.T) {
		m, err := NewManager(main.URL, tc.options(Options{EngineVersion: main.Engine}))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		namespaces := []string{"/", "/chat"}
		errs := make(chan error, len(namespaces))
		for _, ns := range namespaces {
			go func() { errs <- m.Socket(ns).Connect(testContext(t)) }()
		}
		for range namespaces {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		root, chat := m.Socket("/"), m.Socket("/chat")
		if root.connectedEngine() != chat.connectedEngine() {
			t.Error("concurrent connects opened two Engine.IO connections")
		}
		if root.ID() == "" || chat.ID() == "" || root.ID() == chat.ID() {
			t.Errorf("socket ids %q and %q, want two distinct ones", root.ID(), chat.ID())
		}
		x := chat.Expect("tick-chat", 2)
		chat.Emit("push", "tick-chat", 2)
		if msgs, err := x.Wait(testContext(t)); err != nil || msgs[1].Namespace != "/chat" {
			t.Errorf("events on /chat: %v, %v", msgs, err)
		}
	})

	t.Run("namespaces share the connection", func(t *testing.T) {
		var ev events
		root := connect(t, main, tc, "/", ev.options(Options{}))
		eventually(t, "the final transport", func() bool { return root.Manager().Transport() == tc.final })
		dials := ev.dials.Load()
		chat := root.Manager().Socket("/chat")
		if err := chat.Connect(testContext(t)); err != nil {
			t.Fatal(err)
		}
		if got := ackArgs(t, chat, "handshake"); got[0].(map[string]any)["namespace"] != "/chat" {
			t.Errorf("handshake on /chat = %v", got)
		}
		if got := ackArgs(t, root, "handshake"); got[0].(map[string]any)["namespace"] != "/" {
			t.Errorf("handshake on / = %v", got)
		}
		if root.connectedEngine() != chat.connectedEngine() {
			t.Error("/ and /chat use different Engine.IO connections")
		}
		// Over websocket the wire shows it too: one TCP connection.
		if d := ev.dials.Load(); tc.final == TransportWebsocket && tc.transports != nil && (d != 1 || dials != 1) {
			t.Errorf("websocket client dialed %d times, want 1", d)
		}
		// Leaving one namespace keeps the other.
		chat.Close()
		if got := ackArgs(t, root, "ping"); got[0] != "pong" {
			t.Errorf("ping after leaving /chat = %v", got)
		}
	})

	t.Run("force new", func(t *testing.T) {
		var ev events
		m, err := NewManager(main.URL, ev.options(Options{
			EngineVersion: main.Engine, Transports: []string{TransportWebsocket}, ForceNew: true,
		}))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		for _, ns := range []string{"/", "/chat"} {
			if err := m.Socket(ns).Connect(testContext(t)); err != nil {
				t.Fatal(err)
			}
		}
		if d := ev.dials.Load(); d != 2 {
			t.Errorf("ForceNew with two namespaces dialed %d times, want 2", d)
		}
	})

	t.Run("auth", func(t *testing.T) {
		namespaces := []string{"/", "/chat"}
		if auth.Engine == wire.EngineV3 {
			// socket.io 2.x joins other namespaces only after the main
			// one, which refuses the same token: it never answers /chat.
			namespaces = namespaces[:1]
		}
		for _, ns := range namespaces {
			credentials := func(token string) Options {
				if auth.Engine == wire.EngineV3 {
					return Options{Path: "/rt", Query: url.Values{"token": {token}}}
				}
				return Options{Path: "/rt", Auth: map[string]any{"token": token}}
			}
			s := connect(t, auth, tc, ns, credentials("secret"))
			if got := ackArgs(t, s, "ping"); got[0] != "pong" {
				t.Errorf("ping after auth = %v", got)
			}
			o := credentials("wrong")
			o.EngineVersion = auth.Engine
			o = tc.options(o)
			var ev events
			m, err := NewManager(auth.URL, ev.options(o))
			if err != nil {
				t.Fatal(err)
			}
			err = m.Socket(ns).Connect(testContext(t))
			ce, ok := err.(*ConnectError)
			if !ok || ce.Message != "invalid token" || ce.Namespace != ns {
				t.Errorf("Connect(%s) with a wrong token = %v, want the server's \"invalid token\"", ns, err)
			}
			m.Close()
		}
		if auth.Engine == wire.EngineV3 {
			// Options.Auth reaches socket.io 2.x middlewares through the query.
			s := connect(t, auth, tc, "/", Options{Path: "/rt", Auth: map[string]any{"token": "secret"}})
			if got := ackArgs(t, s, "ping"); got[0] != "pong" {
				t.Errorf("ping after auth = %v", got)
			}
		}
	})

	t.Run("server disconnect", func(t *testing.T) {
		var ev events
		s := connect(t, main, tc, "/", ev.options(Options{ReconnectionDelay: 10 * time.Millisecond}))
		pending := make(chan error, 1)
		go func() {
			_, err := s.EmitWithAck(context.Background(), "noack")
			pending <- err
		}()
		eventually(t, "the pending ack", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.acks.len() == 1
		})
		if err := s.Emit("disconnect-me"); err != nil {
			t.Fatal(err)
		}
		if err := <-pending; err == nil || !strings.Contains(err.Error(), ReasonServerDisconnect) {
			t.Errorf("pending EmitWithAck = %v, want an error naming %q", err, ReasonServerDisconnect)
		}
		eventually(t, "the disconnect", func() bool { d, _, _ := ev.snapshot(); return len(d) > 0 })
		// Give a reconnection (10 ms backoff) the time to wrongly happen.
		time.Sleep(100 * time.Millisecond)
		d, attempts, _ := ev.snapshot()
		if len(d) != 1 || d[0].reason != ReasonServerDisconnect || d[0].namespace != "/" {
			t.Errorf("disconnects = %v, want one %q", d, ReasonServerDisconnect)
		}
		if attempts != 0 || s.Connected() {
			t.Errorf("after a server disconnect: %d reconnection attempts, connected %v; want none", attempts, s.Connected())
		}
		if err := s.Emit("ping"); !errors.Is(err, ErrNotConnected) {
			t.Errorf("Emit after the server disconnect = %v, want ErrNotConnected", err)
		}
	})

	t.Run("client close", func(t *testing.T) {
		var ev events
		s := connect(t, main, tc, "/", ev.options(Options{ReconnectionDelay: 10 * time.Millisecond}))
		s.Close()
		time.Sleep(100 * time.Millisecond) // time for a wrong reconnection
		d, attempts, _ := ev.snapshot()
		if len(d) != 1 || d[0].reason != ReasonClientDisconnect || attempts != 0 {
			t.Errorf("disconnects %v and %d attempts, want one %q and none", d, attempts, ReasonClientDisconnect)
		}
		if tr := s.Manager().Transport(); tr != "" {
			t.Errorf("connection still open (%s) after its last socket closed", tr)
		}
		// A closed socket can connect again.
		if err := s.Connect(testContext(t)); err != nil {
			t.Fatal(err)
		}
		if got := ackArgs(t, s, "ping"); got[0] != "pong" {
			t.Errorf("ping after connecting again = %v", got)
		}
	})

	t.Run("query and headers", func(t *testing.T) {
		s := connect(t, main, tc, "/", Options{
			Query:        url.Values{"room": {"blue"}},
			ExtraHeaders: http.Header{"X-Load-Test": {"sockload"}},
		})
		hs := ackArgs(t, s, "handshake")[0].(map[string]any)
		query, headers := hs["query"].(map[string]any), hs["headers"].(map[string]any)
		if query["room"] != "blue" || headers["x-load-test"] != "sockload" {
			t.Errorf("server saw query %v and headers %v", query, headers)
		}
	})

	t.Run("read limit", func(t *testing.T) {
		var ev events
		s := connect(t, main, tc, "/", ev.options(Options{MaxReadBytes: 8000, DisableReconnection: true}))
		eventually(t, "the final transport", func() bool { return s.Manager().Transport() == tc.final })
		// 15000 bytes pass the server's 20000 limit; its echo exceeds ours.
		if err := s.Emit("echo-event", strings.Repeat("y", 15000)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the disconnect", func() bool { d, _, _ := ev.snapshot(); return len(d) > 0 })
		d, _, _ := ev.snapshot()
		if d[0].reason != ReasonTransportError || !strings.Contains(fmt.Sprint(d[0].err), "MaxReadBytes") {
			t.Errorf("disconnect %q (%v), want %q naming MaxReadBytes", d[0].reason, d[0].err, ReasonTransportError)
		}
	})

	t.Run("heartbeat", func(t *testing.T) {
		var ev events
		s := connect(t, main, tc, "/", ev.options(Options{}))
		m := s.Manager()
		m.mu.Lock()
		e := m.eng
		m.mu.Unlock()
		// pingInterval is 200 ms: wait for more than three cycles on the
		// same connection.
		eventually(t, "four heartbeats", func() bool { return e.beats.Load() >= 4 })
		if got := ackArgs(t, s, "ping"); got[0] != "pong" {
			t.Errorf("ping after heartbeats = %v", got)
		}
		if d, _, _ := ev.snapshot(); len(d) != 0 || !s.Connected() {
			t.Errorf("disconnects during heartbeats: %v", d)
		}
	})

	t.Run("cookies", func(t *testing.T) {
		if tc.final == TransportWebsocket && tc.transports != nil {
			// A direct websocket is the session's first request: there
			// is no cookie to send back yet.
			t.Skip("a direct websocket has no earlier response to take a cookie from")
		}
		s := connect(t, main, tc, "/", Options{})
		eventually(t, "the final transport", func() bool { return s.Manager().Transport() == tc.final })
		s.m.mu.Lock()
		sid := s.m.eng.hs.SID
		s.m.mu.Unlock()
		got := ackArgs(t, s, "cookie")
		if c, _ := got[0].(string); !strings.Contains(c, "io="+sid) {
			t.Errorf("server saw cookie %q, want io=%s", c, sid)
		}
	})

	t.Run("max payload", func(t *testing.T) {
		var ev events
		s := connect(t, main, tc, "/", ev.options(Options{DisableReconnection: true}))
		eventually(t, "the final transport", func() bool { return s.Manager().Transport() == tc.final })
		big := strings.Repeat("x", 30000) // the server's maxHttpBufferSize is 20000
		err := s.Emit("echo", big)
		if main.Engine == wire.EngineV4 {
			var tooBig *PayloadTooLargeError
			if !errors.As(err, &tooBig) || tooBig.MaxPayload != 20000 || tooBig.Size <= 30000 {
				t.Fatalf("Emit over maxPayload = %v, want a PayloadTooLargeError", err)
			}
			if !strings.Contains(err.Error(), "maxHttpBufferSize") {
				t.Errorf("error %q does not name the server option", err)
			}
			if got := ackArgs(t, s, "ping"); got[0] != "pong" {
				t.Errorf("ping after a refused emit = %v", got)
			}
			return
		}
		// socket.io 2.x announces no limit: the server drops the connection.
		eventually(t, "the disconnect", func() bool { d, _, _ := ev.snapshot(); return len(d) > 0 })
		d, _, _ := ev.snapshot()
		if d[0].err == nil || !strings.Contains(d[0].err.Error()+fmt.Sprint(err), "maxHttpBufferSize") {
			t.Errorf("disconnect %q (%v), emit error %v: want an explanation naming maxHttpBufferSize", d[0].reason, d[0].err, err)
		}
	})

	t.Run("max payload sent anyway", func(t *testing.T) {
		if main.Engine != wire.EngineV4 {
			t.Skip("socket.io 2.x announces no limit: every emit is sent")
		}
		var ev events
		s := connect(t, main, tc, "/", ev.options(Options{DisableReconnection: true, SendOverMaxPayload: true}))
		eventually(t, "the final transport", func() bool { return s.Manager().Transport() == tc.final })
		big := strings.Repeat("x", 30000) // the server's maxHttpBufferSize is 20000
		if err := s.Emit("echo", big); errors.Is(err, ErrPayloadTooLarge) {
			t.Fatalf("Emit with SendOverMaxPayload = %v, want it sent", err)
		}
		// The server's answer is to drop the connection.
		eventually(t, "the disconnect", func() bool { d, _, _ := ev.snapshot(); return len(d) > 0 })
	})
}

// TestReconnect restarts each server once with clients of every transport
// connected to two namespaces, and checks they all come back.
func TestReconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	for _, k := range serverKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			srv := k.start(t, serverOptions{namespaces: []string{"/", "/chat"}, cookie: true})
			type client struct {
				tc         transportCase
				ev         *events
				root, chat *Socket
			}
			var clients []client
			for _, tc := range transportCases {
				ev := new(events)
				o := ev.options(Options{ReconnectionDelay: 50 * time.Millisecond, ReconnectionDelayMax: 200 * time.Millisecond})
				root := connect(t, srv, tc, "/", o)
				chat := root.Manager().Socket("/chat")
				if err := chat.Connect(testContext(t)); err != nil {
					t.Fatal(err)
				}
				eventually(t, "the final transport", func() bool { return root.Manager().Transport() == tc.final })
				clients = append(clients, client{tc, ev, root, chat})
			}
			srv.Restart()
			for _, c := range clients {
				eventually(t, c.tc.name+" reconnection", func() bool {
					_, _, reconnects := c.ev.snapshot()
					return reconnects > 0 && c.root.Connected() && c.chat.Connected()
				})
				d, attempts, _ := c.ev.snapshot()
				if attempts == 0 || len(d) != 2 {
					t.Errorf("%s: %d attempts, disconnects %v; want attempts and one disconnect per namespace", c.tc.name, attempts, d)
				}
				for _, x := range d {
					if x.reason != ReasonTransportClose && x.reason != ReasonTransportError {
						t.Errorf("%s: disconnect reason %q, want transport close or error", c.tc.name, x.reason)
					}
				}
				if c.ev.connectCount("/chat") != 2 || c.ev.connectCount("/") != 2 {
					t.Errorf("%s: connects / %d, /chat %d; want 2 each", c.tc.name, c.ev.connectCount("/"), c.ev.connectCount("/chat"))
				}
				if c.tc.transports == nil || c.tc.transports[0] == TransportPolling {
					// The cookie set at the first handshake goes back
					// with the second one.
					hs := ackArgs(t, c.root, "handshake")[0].(map[string]any)
					if cookie, _ := hs["headers"].(map[string]any)["cookie"].(string); !strings.Contains(cookie, "io=") {
						t.Errorf("%s: the handshake after reconnection carried cookie %q, want io=...", c.tc.name, cookie)
					}
				}
				for _, s := range []*Socket{c.root, c.chat} {
					if got := ackArgs(t, s, "echo", c.tc.name); got[0] != c.tc.name {
						t.Errorf("%s %s: echo after reconnection = %v", c.tc.name, s.Namespace(), got)
					}
				}
			}
		})
	}
}
