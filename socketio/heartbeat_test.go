package socketio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// peer is a minimal Engine.IO server for the tests that need a server to
// misbehave or a fake clock. Reached over net.Pipe it runs inside a synctest
// bubble. It completes the handshake and the main namespace's CONNECT, then
// does what misbehave says: keep the heartbeat for beats cycles and go
// silent (while still reading), or break the protocol at once.
type peer struct {
	v            wire.EngineVersion
	beats        int // heartbeats honoured before going silent
	pingInterval time.Duration
	pingTimeout  time.Duration
	misbehave    string // "", "garbage", "close packet", "hang up", "huge message", "too big"
	// gate, if set, holds the misbehaviour until it is closed.
	gate chan struct{}

	mu    sync.Mutex
	pongs int // v4: client answers to our pings
	pings int // v3: client pings received
	acks  []string
}

func (p *peer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	client, server := net.Pipe()
	go p.servePipe(server)
	return client, nil
}

func (p *peer) servePipe(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	p.ServeHTTP(&hijacker{conn: c, rw: bufio.NewReadWriter(br, bufio.NewWriter(c)), header: http.Header{}}, req)
}

// ServeHTTP upgrades to websocket and speaks Engine.IO.
func (p *peer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ws, err := (&websocket.Upgrader{}).Upgrade(w, req, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	var wmu sync.Mutex
	send := func(typ wire.PacketType, data string) error {
		wmu.Lock()
		defer wmu.Unlock()
		frame, _ := wire.AppendFrame(p.v, nil, wire.Packet{Type: typ, Data: []byte(data)})
		return ws.WriteMessage(websocket.TextMessage, frame)
	}
	hs := fmt.Sprintf(`{"sid":"peer","upgrades":[],"pingInterval":%d,"pingTimeout":%d,"maxPayload":1000000}`,
		p.pingInterval.Milliseconds(), p.pingTimeout.Milliseconds())
	if send(wire.Open, hs) != nil {
		return
	}
	if p.v == wire.EngineV3 {
		send(wire.Message, "0") // socket.io 2.x joins the main namespace itself
	} else {
		done := make(chan struct{})
		defer close(done)
		go func() {
			for range p.beats {
				select {
				case <-time.After(p.pingInterval):
				case <-done:
					return
				}
				if send(wire.Ping, "") != nil {
					return
				}
			}
		}()
	}
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		pkt, err := wire.DecodeFrame(p.v, data, typ == websocket.BinaryMessage)
		if err != nil {
			return
		}
		p.mu.Lock()
		switch pkt.Type {
		case wire.Pong:
			p.pongs++
		case wire.Ping:
			p.pings++
			if p.pings <= p.beats {
				send(wire.Pong, "")
			}
		case wire.Message:
			if strings.HasPrefix(string(pkt.Data), "0") {
				send(wire.Message, `0{"sid":"socket"}`)
			}
			if strings.HasPrefix(string(pkt.Data), "3") {
				p.acks = append(p.acks, string(pkt.Data))
			}
			// The client emits "go" once connected: misbehave then.
			if strings.Contains(string(pkt.Data), `"go"`) && p.gate != nil {
				<-p.gate
			}
			if strings.Contains(string(pkt.Data), `"go"`) && !p.breakProtocol(ws, send) {
				p.mu.Unlock()
				return
			}
		}
		p.mu.Unlock()
	}
}

// breakProtocol does what misbehave says; false means hang up.
func (p *peer) breakProtocol(ws *websocket.Conn, send func(wire.PacketType, string) error) bool {
	switch p.misbehave {
	case "garbage":
		send(wire.Message, "9not a packet")
	case "close packet":
		send(wire.Close, "")
	case "hang up":
		return false
	case "ask":
		send(wire.Message, `21["ask",5]`) // an event that wants an ack, id 1
	case "huge message":
		send(wire.Message, `2["big","`+strings.Repeat("x", 4096)+`"]`)
	case "too big":
		// An event the client holds its reader on, then the close a
		// server sends for a message over its maxHttpBufferSize, which
		// waits for the reader.
		send(wire.Message, `2["hold"]`)
		go ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseMessageTooBig, ""), time.Now().Add(time.Minute))
	}
	return true
}

// hijacker hands the pipe to the websocket upgrader.
type hijacker struct {
	conn   net.Conn
	rw     *bufio.ReadWriter
	header http.Header
}

func (h *hijacker) Header() http.Header                          { return h.header }
func (h *hijacker) Write(b []byte) (int, error)                  { return h.conn.Write(b) }
func (h *hijacker) WriteHeader(int)                              {}
func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) { return h.conn, h.rw, nil }

// timeline records callbacks with their time since the start of a bubble.
type timeline struct {
	start  time.Time
	mu     sync.Mutex
	events []string
}

func (tl *timeline) add(format string, args ...any) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.events = append(tl.events, fmt.Sprintf("%v ", time.Since(tl.start))+fmt.Sprintf(format, args...))
}

func (tl *timeline) options(o Options) Options {
	o.OnConnect = func(ns string) { tl.add("connect %s", ns) }
	o.OnDisconnect = func(ns, reason string, err error) { tl.add("disconnect %s %s", ns, reason) }
	o.OnReconnectAttempt = func(n int) { tl.add("attempt %d", n) }
	o.OnReconnectError = func(n int, err error) { tl.add("attempt %d failed", n) }
	o.OnReconnect = func(n int) { tl.add("reconnect %d", n) }
	o.OnReconnectFailed = func() { tl.add("gave up") }
	return o
}

func (tl *timeline) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return strings.Join(tl.events, "\n")
}

// TestPingTimeout: a server that stops its side of the heartbeat is detected
// pingInterval + pingTimeout after its last sign of life (v4: its last ping;
// v3: the last pong, then our unanswered ping waits pingTimeout).
func TestPingTimeout(t *testing.T) {
	for _, v := range []wire.EngineVersion{wire.EngineV4, wire.EngineV3} {
		t.Run(fmt.Sprintf("EIO%d", v), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &peer{v: v, beats: 3, pingInterval: time.Second, pingTimeout: 500 * time.Millisecond}
				tl := &timeline{start: time.Now()}
				m, err := NewManager("http://127.0.0.1:9", tl.options(Options{
					EngineVersion: v, Transports: []string{TransportWebsocket},
					DialContext: p.dial, DisableReconnection: true,
				}))
				if err != nil {
					t.Fatal(err)
				}
				s := m.Socket("/")
				if err := s.Connect(t.Context()); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Minute)
				// Three heartbeats at 1 s, 2 s and 3 s, then silence: the
				// timeout falls 1.5 s after the last one.
				want := "0s connect /\n4.5s disconnect / ping timeout"
				if got := tl.String(); got != want {
					t.Errorf("timeline:\n%s\nwant:\n%s", got, want)
				}
				p.mu.Lock()
				if v == wire.EngineV4 && p.pongs != 3 {
					t.Errorf("client answered %d pings, want 3", p.pongs)
				}
				if v == wire.EngineV3 && p.pings != 4 {
					t.Errorf("client sent %d pings, want 4", p.pings)
				}
				p.mu.Unlock()
				m.Close()
			})
		})
	}
}

// TestDisconnectReasons: each way a server can fail is reported with
// socket.io-client's reason.
func TestDisconnectReasons(t *testing.T) {
	tests := []struct {
		misbehave string
		want      string
	}{
		{"garbage", ReasonParseError},
		{"close packet", ReasonTransportClose},
		{"hang up", ReasonTransportClose},
		{"huge message", ReasonTransportError}, // over MaxReadBytes
	}
	for _, v := range []wire.EngineVersion{wire.EngineV4, wire.EngineV3} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("EIO%d %s", v, tt.misbehave), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := &peer{v: v, beats: 100, pingInterval: 2 * time.Second, pingTimeout: time.Second, misbehave: tt.misbehave}
					var mu sync.Mutex
					var got []string
					m, err := NewManager("http://127.0.0.1:9", Options{
						EngineVersion: v, Transports: []string{TransportWebsocket}, DialContext: p.dial,
						DisableReconnection: true, MaxReadBytes: 1024,
						OnDisconnect: func(ns, reason string, err error) {
							mu.Lock()
							defer mu.Unlock()
							got = append(got, reason)
						},
					})
					if err != nil {
						t.Fatal(err)
					}
					defer m.Close()
					s := m.Socket("/")
					if err := s.Connect(t.Context()); err != nil {
						t.Fatal(err)
					}
					if err := s.Emit("go"); err != nil {
						t.Fatal(err)
					}
					// Within a second (a blocked close handshake times out
					// after one) and before the first heartbeat is due.
					time.Sleep(1500 * time.Millisecond)
					mu.Lock()
					defer mu.Unlock()
					if len(got) != 1 || got[0] != tt.want {
						t.Errorf("disconnects %v, want [%s]", got, tt.want)
					}
					if s.Connected() {
						t.Error("still connected")
					}
				})
			})
		}
	}
}

// TestAckServerEvent: a handler answers an event the server emitted with a
// callback.
func TestAckServerEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &peer{v: wire.EngineV4, pingInterval: time.Minute, pingTimeout: time.Minute, misbehave: "ask"}
		s, err := Dial(t.Context(), "http://127.0.0.1:9", "/", Options{Transports: []string{TransportWebsocket}, DialContext: p.dial})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.On("ask", func(m Message) {
			args, _ := m.Args()
			if !m.WantsAck() {
				t.Error("WantsAck() = false for an event with an id")
			}
			if err := m.Ack("answer", args[0]); err != nil {
				t.Error(err)
			}
		})
		s.Emit("go")
		synctest.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		if want := []string{`31["answer",5]`}; !reflect.DeepEqual(p.acks, want) {
			t.Errorf("server received acks %q, want %q", p.acks, want)
		}
	})
}

// TestTLS: certificates are verified unless InsecureSkipVerify says
// otherwise.
func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(&peer{v: wire.EngineV4, pingInterval: time.Minute, pingTimeout: time.Minute})
	defer srv.Close()
	for _, insecure := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		s, err := Dial(ctx, srv.URL, "/", Options{Transports: []string{TransportWebsocket}, InsecureSkipVerify: insecure})
		cancel()
		switch {
		case insecure && err != nil:
			t.Errorf("with InsecureSkipVerify: %v", err)
		case !insecure && (err == nil || !strings.Contains(err.Error(), "certificate")):
			t.Errorf("self-signed certificate accepted by default (error %v)", err)
		}
		if s != nil {
			s.Close()
		}
	}
}

// TestReconnectionBackoff checks the attempt schedule (no jitter): delays of
// 1 s, 2 s, 4 s, then the 5 s cap; a success resets the backoff and re-joins
// the namespace; ReconnectionAttempts stops the attempts.
func TestReconnectionBackoff(t *testing.T) {
	tests := []struct {
		name     string
		failures int // dials refused after the first connection
		attempts int // Options.ReconnectionAttempts
		want     string
	}{
		{
			name:     "succeeds on the third attempt",
			failures: 2,
			want: `0s connect /
1.5s disconnect / ping timeout
2.5s attempt 1
2.5s attempt 1 failed
4.5s attempt 2
4.5s attempt 2 failed
8.5s attempt 3
8.5s reconnect 3
8.5s connect /`,
		},
		{
			name:     "delay capped at the maximum",
			failures: 4,
			want: `0s connect /
1.5s disconnect / ping timeout
2.5s attempt 1
2.5s attempt 1 failed
4.5s attempt 2
4.5s attempt 2 failed
8.5s attempt 3
8.5s attempt 3 failed
13.5s attempt 4
13.5s attempt 4 failed
18.5s attempt 5
18.5s reconnect 5
18.5s connect /`,
		},
		{
			name:     "gives up after ReconnectionAttempts",
			failures: 100,
			attempts: 2,
			want: `0s connect /
1.5s disconnect / ping timeout
2.5s attempt 1
2.5s attempt 1 failed
4.5s attempt 2
4.5s attempt 2 failed
4.5s gave up`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				silent := &peer{v: wire.EngineV4, pingInterval: time.Second, pingTimeout: 500 * time.Millisecond}
				// The last peer pings for longer than the test looks.
				alive := &peer{v: wire.EngineV4, beats: 1000, pingInterval: time.Second, pingTimeout: 500 * time.Millisecond}
				dials := 0
				dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
					dials++
					switch {
					case dials == 1:
						return silent.dial(ctx, network, addr)
					case dials <= 1+tt.failures:
						return nil, errors.New("connection refused")
					}
					return alive.dial(ctx, network, addr)
				}
				tl := &timeline{start: time.Now()}
				m, err := NewManager("http://127.0.0.1:9", tl.options(Options{
					Transports: []string{TransportWebsocket}, DialContext: dial,
					RandomizationFactor: -1, ReconnectionAttempts: tt.attempts,
				}))
				if err != nil {
					t.Fatal(err)
				}
				if err := m.Socket("/").Connect(t.Context()); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Second)
				if got := tl.String(); got != tt.want {
					t.Errorf("timeline:\n%s\nwant:\n%s", got, tt.want)
				}
				m.Close()
			})
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	const s = time.Second
	tests := []struct {
		attempt int
		r       float64
		jitter  float64
		want    time.Duration
	}{
		{0, 0.0, 0.5, 1 * s},                         // no deviation
		{0, 0.25, 0.5, 875 * time.Millisecond},       // ⌊2.5⌋ even: minus 0.125 s
		{0, 0.35, 0.5, 1175 * time.Millisecond},      // ⌊3.5⌋ odd: plus 0.175 s
		{1, 0.99, 0.5, 2990 * time.Millisecond},      // ⌊9.9⌋ odd: plus 0.99 s
		{2, 0.35, 0.5, 4700 * time.Millisecond},      // 4 s + 0.7 s
		{3, 0.0, 0.5, 5 * s},                         // 8 s capped
		{2, 0.35, 0, 4 * s},                          // jitter off
		{80, 0.5, 0.5, 5 * s},                        // huge exponent
		{1, 0.05, 1, 1900 * time.Millisecond},        // ⌊0.5⌋ even: minus 0.1 s
		{0, 0.15, 1, 1150 * time.Millisecond},        // ⌊1.5⌋ odd: plus 0.15 s
		{2, 0.999, 0.5, 5 * s},                       // plus 1.998 s, capped
		{1, 0.999999, 1, 3999998 * time.Microsecond}, // near doubling
	}
	for _, tt := range tests {
		got := backoffDelay(time.Second, 5*time.Second, tt.jitter, tt.attempt, tt.r)
		if got != tt.want {
			t.Errorf("backoffDelay(attempt %d, r %v, jitter %v) = %v, want %v", tt.attempt, tt.r, tt.jitter, got, tt.want)
		}
	}
}
