package socketio

import (
	"context"
	"maps"
	"sync"
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
