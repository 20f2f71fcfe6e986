package socketio

import (
	"context"
	"io"
	"maps"
	"net"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
)

// TestPollingSessionsLeaveNoTraceInServerLogs runs polling sessions as a
// load test's VUs do (connect, emit, acknowledged emits, close) against the
// Node servers and checks that the server refused none of their requests:
// a "Session ID unknown" in a server's log is how operators spot a
// balancer that is not sticky, so the client must never cause one itself.
func TestPollingSessionsLeaveNoTraceInServerLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	for _, tc := range []nodeCase{
		{refserver.V4, wire.EngineV4, []string{TransportPolling}},
		{refserver.V2, wire.EngineV3, []string{TransportPolling}},
		{refserver.V4, wire.EngineV4, nil},
		{refserver.V2, wire.EngineV3, nil},
	} {
		t.Run(tc.name(), func(t *testing.T) {
			srv := refserver.Start(t, tc.v, "--namespaces", "/,/chat")
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					m, err := NewManager(srv.URL, Options{EngineVersion: tc.engine, Transports: tc.transports})
					if err != nil {
						t.Error(err)
						return
					}
					defer m.Close()
					s := m.Socket("/")
					if err := s.Connect(ctx); err != nil {
						t.Error(err)
						return
					}
					chat := m.Socket("/chat")
					if i%2 == 0 {
						if err := chat.Connect(ctx); err != nil {
							t.Error(err)
							return
						}
					}
					for range 3 {
						if _, err := s.EmitWithAck(ctx, "ping"); err != nil {
							t.Error(err)
						}
						_ = s.Emit("hello", i)
					}
					if i%3 == 0 {
						chat.Close()
					}
				}()
			}
			wg.Wait()
			time.Sleep(300 * time.Millisecond) // the last requests reach the server's log
			if errs := srv.Stats().EngineErrors; len(errs) > 0 {
				t.Errorf("the server refused %d requests, e.g.:\n%s", len(errs), errs[0])
			}
		})
	}
}

// nodeCase is a Node reference server with the client's protocol and
// transports (nil: the default, polling then the upgrade).
type nodeCase struct {
	v          refserver.Version
	engine     wire.EngineVersion
	transports []string
}

func (c nodeCase) name() string {
	if len(c.transports) == 0 {
		return string(c.v) + "/default"
	}
	return string(c.v) + "/" + c.transports[0]
}

// TestLeavingSaysDisconnect closes sockets as a leaving VU does and checks
// that the server saw each leave its namespace ("client namespace
// disconnect"), not merely lose its connection: the DISCONNECT that goes
// with the websocket's close frame in one write must reach the server
// first.
func TestLeavingSaysDisconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	for _, tc := range []nodeCase{
		{refserver.V4, wire.EngineV4, []string{TransportWebsocket}},
		{refserver.V2, wire.EngineV3, []string{TransportWebsocket}},
		{refserver.V4, wire.EngineV4, []string{TransportPolling}},
		{refserver.V4, wire.EngineV4, nil},
	} {
		t.Run(tc.name(), func(t *testing.T) {
			srv := refserver.Start(t, tc.v)
			const sockets = 10
			for range sockets {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				s, err := Dial(ctx, srv.URL, "/", Options{EngineVersion: tc.engine, Transports: tc.transports, DisableReconnection: true})
				if err != nil {
					cancel()
					t.Fatal(err)
				}
				if _, err := s.EmitWithAck(ctx, "ping"); err != nil {
					t.Error(err)
				}
				s.Close()
				cancel()
			}
			deadline := time.Now().Add(10 * time.Second)
			var got map[string]int
			for time.Now().Before(deadline) {
				got = srv.Stats().Disconnects
				n := 0
				for _, c := range got {
					n += c
				}
				if n >= sockets {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if want := map[string]int{"client namespace disconnect": sockets}; !maps.Equal(got, want) {
				t.Errorf("the server's disconnect reasons: %v, want %v", got, want)
			}
		})
	}
}

// TestLeavingClosesCleanly closes sockets as leaving VUs do, some right
// after a message, through a TCP relay to the Node servers that checks how
// each client socket ended: a client that closes its socket right after its
// close frame meets the server's close frame with a reset (ECONNRESET on
// the server, an error and its error path), which socket.io-client,
// waiting for the server's close frame, never causes. The relay sees the
// reset as the error of its socket to the client.
func TestLeavingClosesCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	if runtime.GOOS != "linux" {
		t.Skip("only Linux keeps a socket open for the server's close frame")
	}
	for _, tc := range []nodeCase{
		{refserver.V4, wire.EngineV4, []string{TransportWebsocket}},
		{refserver.V2, wire.EngineV3, []string{TransportWebsocket}},
		{refserver.V4, wire.EngineV4, nil},
		{refserver.V2, wire.EngineV3, nil},
	} {
		t.Run(tc.name(), func(t *testing.T) {
			srv := refserver.Start(t, tc.v)
			relay := startResetRelay(t, srv.URL)
			const sockets = 20
			var wg sync.WaitGroup
			for i := range sockets {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					s, err := Dial(ctx, relay.url, "/", Options{EngineVersion: tc.engine, Transports: tc.transports, DisableReconnection: true})
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := s.EmitWithAck(ctx, "ping"); err != nil {
						t.Error(err)
					}
					// A VU leaves after its session's work: a polling
					// session has upgraded by then (a close during the
					// upgrade is not the case here).
					for s.Manager().Transport() != TransportWebsocket && ctx.Err() == nil {
						time.Sleep(5 * time.Millisecond)
					}
					if i%2 == 0 {
						_ = s.Emit("hello", i)
					}
					s.Close()
				}()
			}
			wg.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			AwaitClosings(ctx)
			clean, reset := relay.wait(t)
			if reset > 0 {
				t.Errorf("%d of %d client sockets reset their connection, want none", reset, clean+reset)
			}
			if clean+reset == 0 {
				t.Error("the relay saw no connection")
			}
		})
	}
}

// resetRelay relays TCP connections to a server and counts the client
// sockets that ended with a reset rather than a FIN.
type resetRelay struct {
	url   string
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	clean int
	reset int
}

func startResetRelay(t *testing.T, target string) *resetRelay {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &resetRelay{url: "http://" + ln.Addr().String(), ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.wg.Add(1)
			go r.relay(c.(*net.TCPConn), u.Host)
		}
	}()
	return r
}

// relay copies both ways until both ends are done, then tells how the
// client ended. The client's FIN is not answered with the relay's own
// until then, so a reset that follows it is still seen: the socket's
// error (EPIPE, or ECONNRESET before the FIN) or a failed read or write.
func (r *resetRelay) relay(client *net.TCPConn, addr string) {
	defer r.wg.Done()
	defer client.Close()
	server, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer server.Close()
	var failed atomic.Bool
	up := make(chan struct{})
	go func() {
		defer close(up)
		if _, err := io.Copy(server, client); err != nil {
			failed.Store(true)
		}
		_ = server.(*net.TCPConn).CloseWrite()
	}()
	if _, err := io.Copy(client, server); err != nil {
		failed.Store(true)
	}
	<-up
	time.Sleep(50 * time.Millisecond) // a reset of the last bytes comes back
	if raw, err := client.SyscallConn(); err == nil {
		_ = raw.Control(func(fd uintptr) {
			if e, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR); err == nil && e != 0 {
				failed.Store(true)
			}
		})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if failed.Load() {
		r.reset++
	} else {
		r.clean++
	}
}

// wait stops accepting and returns the counts once every connection
// relayed has ended.
func (r *resetRelay) wait(t *testing.T) (clean, reset int) {
	t.Helper()
	r.ln.Close()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("relayed connections still open 20 s after the sockets closed")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clean, r.reset
}
