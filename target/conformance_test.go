package target

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// (a) A client's close over POST while its GET waits: the GET is released
// with a noop, as engine.io releases it (v4 "6", v3 "1:6").
func TestClientCloseReleasesTheGETWithANoop(t *testing.T) {
	for _, v := range versions {
		srv := startServer(t, Config{EngineVersion: v})
		c := openPolling(t, srv)
		pending := c.getAsync()
		waitPolling(t, srv, c.open.SID)
		if status := c.post(wire.Packet{Type: wire.Close}); status != http.StatusOK {
			t.Fatalf("EIO%d: close POST: HTTP %d", v, status)
		}
		if got := pending(); len(got) != 1 || got[0].Type != wire.Noop {
			t.Errorf("EIO%d: the pending GET got %v, want one noop", v, got)
		}
	}
}

// (b) A second websocket for a session on websocket completes its
// handshake and is closed; the session goes on.
func TestSecondWebsocketIsClosedNotRefused(t *testing.T) {
	srv := startServer(t, Config{})
	c := dialWebsocket(t, srv)
	ws, resp, err := websocket.DefaultDialer.Dial(engineURL(srv, "ws", wire.EngineV4, "websocket", c.open.SID), nil)
	if err != nil {
		t.Fatalf("a second websocket for the session was refused (%v): %v", resp.Status, err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Error("the second websocket was kept open")
	}
	if got := c.connect("/", nil); got.Type != wire.Connect {
		t.Errorf("the session did not go on: %+v", got)
	}
}

// (c) Packets that break the protocol close the connection, as socket.io
// closes it.
func TestProtocolViolationsCloseTheConnection(t *testing.T) {
	for _, tt := range []struct {
		name    string
		connect bool
		packet  string
	}{
		{"event before CONNECT", false, `2["hello"]`},
		{"event to a namespace not joined", true, `2/other,["hello"]`},
		{"duplicate CONNECT", true, `0`},
		{"DISCONNECT of a namespace not joined", true, `1/other,`},
		{"empty event", true, `2[]`},
		{"event without a name", true, `2[{}]`},
		{"reserved event name", true, `2["disconnect"]`},
		{"CONNECT_ERROR from a client", true, `4{"message":"x"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, Config{})
			c := dialWebsocket(t, srv)
			if tt.connect {
				c.connect("/", nil)
			}
			c.write(wire.Packet{Type: wire.Message, Data: []byte(tt.packet)})
			for {
				p, err := c.readErr()
				if err != nil {
					return // closed
				}
				if p.Type != wire.Ping {
					t.Fatalf("after %s the connection stayed open and sent %v %s", tt.packet, p.Type, p.Data)
				}
			}
		})
	}
}

// (d) A session that joins no namespace within ConnectTimeout is closed,
// though it answers pings.
func TestConnectTimeoutClosesASessionThatNeverJoins(t *testing.T) {
	srv := startServer(t, Config{ConnectTimeout: 100 * time.Millisecond})
	c := dialWebsocket(t, srv)
	for {
		p, err := c.readErr()
		if err != nil {
			break
		}
		if p.Type == wire.Ping {
			c.write(wire.Packet{Type: wire.Pong})
		}
	}
	waitFor(t, "the session to end", func() bool { return srv.Stats().OpenSessions == 0 })
	if got := srv.Stats().Closed["connect timeout"]; got != 1 {
		t.Errorf("sessions closed by the connect timeout: %d, want 1 (%v)", got, srv.Stats().Closed)
	}
}

// (f) Engine.IO answers carry CORS headers, and a preflight is answered.
func TestCORS(t *testing.T) {
	srv := startServer(t, Config{})
	req, _ := http.NewRequest(http.MethodOptions, engineURL(srv, "http", wire.EngineV4, "polling", ""), nil)
	req.Header.Set("Origin", "http://example.test")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := pollHTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("preflight: HTTP %d, headers %v", resp.StatusCode, resp.Header)
	}
	resp, err = pollHTTP.Get(engineURL(srv, "http", wire.EngineV4, "polling", ""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("handshake without Access-Control-Allow-Origin: %v", resp.Header)
	}
}

// EngineOnly echoes every message, text and binary, and speaks no
// Socket.IO; ProtocolSuite adds the suite's handlers.
func TestEngineOnlyAndProtocolSuite(t *testing.T) {
	srv := startServer(t, Config{EngineOnly: true})
	c := dialWebsocket(t, srv)
	for _, p := range []wire.Packet{{Type: wire.Message, Data: []byte("hello")}, {Type: wire.Message, Data: []byte{1, 2, 3}, Binary: true}} {
		c.write(p)
		got := c.read()
		if got.Type != wire.Message || string(got.Data) != string(p.Data) || got.Binary != p.Binary {
			t.Errorf("echo of %v: got %v", p, got)
		}
	}

	srv = startServer(t, Config{ProtocolSuite: true})
	c = dialWebsocket(t, srv)
	c.connect("/", map[string]any{"token": "123"})
	if sp, _ := c.readSocket(); !strings.Contains(string(sp.Data), `["auth",{"token":"123"}]`) {
		t.Errorf("after CONNECT: %s, want the auth event", sp.Data)
	}
	c.write(wire.Packet{Type: wire.Message, Data: []byte(`2["message",1,"2"]`)})
	if sp, _ := c.readSocket(); string(sp.Data) != `["message-back",1,"2"]` {
		t.Errorf("message: got %s", sp.Data)
	}
	c.write(wire.Packet{Type: wire.Message, Data: []byte(`27["message-with-ack",1,"2"]`)})
	if sp, _ := c.readSocket(); sp.Type != wire.Ack || sp.ID != 7 || string(sp.Data) != `[1,"2"]` {
		t.Errorf("message-with-ack: got %+v %s", sp, sp.Data)
	}
}
