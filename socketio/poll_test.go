package socketio

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// endCounter is a receiver that counts the ends an engine reports.
type endCounter struct {
	mu      sync.Mutex
	reasons []string
	ended   chan struct{}
	// onEvent runs for each message, on the reader.
	onEvent func(e *engine, data string) error
}

func (c *endCounter) onMessage(e *engine, _ time.Time, p wire.Packet) error {
	if c.onEvent != nil {
		return c.onEvent(e, string(p.Data))
	}
	return nil
}

func (c *endCounter) onClose(_ *engine, reason string, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reasons = append(c.reasons, reason)
	if len(c.reasons) == 1 {
		close(c.ended)
	}
}

// TestPollerReportsEachEndOnce: a connection on the poller reports its end
// exactly once, with the reason of what ended it, whether that happened
// while it waited for the poller (a ping timeout, the client's close) or
// while a read was delivering (the server hanging up, a close packet,
// garbage, a message over MaxReadBytes, a close from a handler).
func TestPollerReportsEachEndOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for ping timeouts of 400 ms")
	}
	if thePoller() == nil || goroutineReaderOnly {
		t.Skip("no poller on this system, or the run asked for goroutine readers")
	}
	closeNow := func(e *engine) { e.shutdown(ReasonClientDisconnect, nil, true) }
	for _, tt := range []struct {
		name      string
		misbehave string // the peer's, once the client sends "go"
		beats     int
		idleClose bool // the client closes while waiting for the poller
		want      string
	}{
		{"ping timeout while idle", "", 1, false, ReasonPingTimeout},
		{"client close while idle", "", 100, true, ReasonClientDisconnect},
		{"server hangs up", "hang up", 100, false, ReasonTransportClose},
		{"close packet", "close packet", 100, false, ReasonTransportClose},
		{"garbage", "garbage", 100, false, ReasonParseError},
		{"over MaxReadBytes", "huge message", 100, false, ReasonTransportError},
		{"client close from a handler", "ask", 100, false, ReasonClientDisconnect},
	} {
		for _, v := range []wire.EngineVersion{wire.EngineV4, wire.EngineV3} {
			t.Run(fmt.Sprintf("EIO%d %s", v, tt.name), func(t *testing.T) {
				p := &peer{v: v, beats: tt.beats, pingInterval: 200 * time.Millisecond, pingTimeout: 200 * time.Millisecond, misbehave: tt.misbehave}
				srv := httptest.NewServer(p)
				defer srv.Close()
				cfg, err := newConfig(srv.URL, Options{EngineVersion: v, Transports: []string{TransportWebsocket}, MaxReadBytes: 1024})
				if err != nil {
					t.Fatal(err)
				}
				c := &endCounter{ended: make(chan struct{}), onEvent: func(e *engine, data string) error {
					switch {
					case strings.Contains(data, `"ask"`):
						closeNow(e)
					case strings.HasPrefix(data, "9"):
						return errors.New("not a packet")
					}
					return nil
				}}
				e, err := openEngine(testContext(t), cfg, c, newJar())
				if err != nil {
					t.Fatal(err)
				}
				defer e.shutdown(ReasonClientDisconnect, nil, false)
				ws, ok := e.current().(*wsTransport)
				if !ok || ws.raw == nil {
					t.Fatal("the websocket is not read by the poller")
				}
				e.start()
				eventually(t, "the connection waiting for the poller", func() bool { return ws.poll.state.Load() == pollArmed })
				if tt.idleClose {
					closeNow(e)
				}
				if tt.misbehave != "" {
					go_ := wire.Packet{Type: wire.Message, Data: []byte(`2["go"]`)}
					if v == wire.EngineV4 {
						// The peer answers a namespace CONNECT first.
						e.send([]wire.Packet{{Type: wire.Message, Data: []byte("0")}})
					}
					if _, err := e.send([]wire.Packet{go_}); err != nil {
						t.Fatal(err)
					}
				}
				select {
				case <-c.ended:
				case <-time.After(testTimeout):
					t.Fatal("the end was never reported")
				}
				eventually(t, "the poller's state closed", func() bool { return ws.poll.state.Load() == pollClosed })
				c.mu.Lock()
				defer c.mu.Unlock()
				if len(c.reasons) != 1 || c.reasons[0] != tt.want {
					t.Errorf("ends reported %v, want [%s]", c.reasons, tt.want)
				}
			})
		}
	}
}
