package target

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

func TestWebsocketHandshake(t *testing.T) {
	srv := startServer(t, Config{PingInterval: 3 * time.Second, PingTimeout: 2 * time.Second, MaxHTTPBufferSize: 5000})
	c := dialWebsocket(t, srv)
	want := wire.Handshake{SID: c.open.SID, Upgrades: []string{}, PingInterval: 3000, PingTimeout: 2000, MaxPayload: 5000}
	if c.open.SID == "" || !reflect.DeepEqual(c.open, want) {
		t.Fatalf("handshake %+v, want %+v", c.open, want)
	}
}

func TestNamespaces(t *testing.T) {
	tests := []struct {
		name       string
		namespaces []string
		connect    string
		wantType   wire.SocketPacketType
		wantData   string // substring of the answer's data
	}{
		{"main namespace", nil, "/", wire.Connect, `"sid":`},
		{"any namespace by default", nil, "/chat", wire.Connect, `"sid":`},
		{"listed namespace", []string{"/", "/chat"}, "/chat", wire.Connect, `"sid":`},
		{"unlisted namespace", []string{"/", "/chat"}, "/admin", wire.ConnectError, `"message":"Invalid namespace"`},
		{"main namespace always exists", []string{"/chat"}, "/", wire.Connect, `"sid":`},
	}
	for _, v := range versions {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("EIO%d/%s", v, tt.name), func(t *testing.T) {
				srv := startServer(t, Config{EngineVersion: v, Namespaces: tt.namespaces})
				c := dialWebsocket(t, srv)
				got := c.connect(tt.connect, nil)
				wantData := tt.wantData
				if v == wire.EngineV3 {
					// Protocol v4 answers CONNECT without data, and refuses
					// with a bare string.
					wantData = map[wire.SocketPacketType]string{wire.Connect: "", wire.ConnectError: `"Invalid namespace"`}[tt.wantType]
				}
				if got.Type != tt.wantType || got.Namespace != tt.connect || !bytes.Contains(got.Data, []byte(wantData)) {
					t.Fatalf("connect %s: got %v %s %s, want %v with %s", tt.connect, got.Type, got.Namespace, got.Data, tt.wantType, wantData)
				}
			})
		}
	}
}

func TestHandlersAck(t *testing.T) {
	blob := []byte{0, 1, 2, 0xff}
	tests := []struct {
		name  string
		nsp   string
		event string
		args  []any
		want  []any
	}{
		{"ping answers pong", "/", "ping", nil, []any{"pong"}},
		{"echo answers its arguments", "/", "echo", []any{"a", 1.0, map[string]any{"k": true}}, []any{"a", 1.0, map[string]any{"k": true}}},
		{"echo returns binary as binary", "/chat", "echo", []any{"file", blob, map[string]any{"nested": blob}}, []any{"file", blob, map[string]any{"nested": blob}}},
		{"push acks its count", "/", "push", []any{"item", 0.0}, []any{0.0}},
		{"join acks the room", "/chat", "join", []any{"r1"}, []any{"r1"}},
		{"broadcast acks true", "/", "broadcast", []any{"nobody", "news"}, []any{true}},
	}
	for _, v := range versions {
		t.Run(fmt.Sprintf("EIO%d", v), func(t *testing.T) {
			srv := startServer(t, Config{EngineVersion: v})
			c := dialWebsocket(t, srv)
			c.connect("/", nil)
			c.connect("/chat", nil)
			for i, tt := range tests {
				if got := c.call(tt.nsp, int64(i), tt.event, tt.args...); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("%s: ack %#v, want %#v", tt.name, got, tt.want)
				}
			}
			st := srv.Stats()
			want := map[string]map[string]int64{
				"/":     {"ping": 1, "echo": 1, "push": 1, "broadcast": 1},
				"/chat": {"echo": 1, "join": 1},
			}
			if !reflect.DeepEqual(st.Received, want) || st.Connections != 2 || st.AcksSent != int64(len(tests)) {
				t.Fatalf("stats %+v, want received %v, 2 connections, %d acks", st, want, len(tests))
			}
		})
	}
}

// TestV3ConnectQuery checks that a protocol v4 CONNECT's query reaches the
// handshake, as socket.io 2.x merges it.
func TestV3ConnectQuery(t *testing.T) {
	srv := startServer(t, Config{EngineVersion: wire.EngineV3})
	c := dialWebsocket(t, srv)
	if sp := c.connect("/chat?token=abc", nil); sp.Type != wire.Connect || sp.Namespace != "/chat" {
		t.Fatalf("connect: %+v", sp)
	}
	got := c.call("/chat", 1, "handshake")
	hs, _ := got[0].(map[string]any)
	query, _ := hs["query"].(map[string]any)
	if query["token"] != "abc" || query["EIO"] != "3" || hs["auth"] != nil {
		t.Fatalf("handshake: %v", got)
	}
}

func TestHandlersEvents(t *testing.T) {
	srv := startServer(t, Config{})
	a := dialWebsocket(t, srv)
	b := dialWebsocket(t, srv)
	for _, c := range []*wsClient{a, b} {
		c.connect("/", nil)
		c.call("/", 1, "join", "room")
	}

	a.emit("/", wire.NoID, "push", "item", 3.0)
	for i := range 3 {
		sp, _ := a.readSocket()
		args, _ := wire.DecodeArgs(sp.Data, nil, false)
		if sp.Type != wire.Event || !reflect.DeepEqual(args, []any{"item", float64(i)}) {
			t.Fatalf("push %d: got %v %s", i, sp.Type, sp.Data)
		}
	}

	a.emit("/", wire.NoID, "broadcast", "room", "news", "hi", []byte{7})
	for _, c := range []*wsClient{a, b} {
		sp, attachments := c.readSocket()
		args, _ := wire.DecodeArgs(sp.Data, attachments, false)
		if sp.Type != wire.BinaryEvent || !reflect.DeepEqual(args, []any{"news", "hi", []byte{7}}) {
			t.Fatalf("broadcast: got %v %s %v", sp.Type, sp.Data, attachments)
		}
	}

	a.emit("/", wire.NoID, "echo-event", 1.0)
	if sp, _ := a.readSocket(); sp.Type != wire.Event || string(sp.Data) != `["echo",1]` {
		t.Fatalf("echo-event: got %v %s", sp.Type, sp.Data)
	}

	// hello is accepted and counted, never answered: the next packet is
	// ping's ack.
	a.emit("/", 5, "hello", "world")
	if got := a.call("/", 6, "ping"); !reflect.DeepEqual(got, []any{"pong"}) {
		t.Fatalf("ping after hello: %v", got)
	}

	got := a.call("/", 7, "handshake")
	hs, _ := got[0].(map[string]any)
	query, _ := hs["query"].(map[string]any)
	if hs["namespace"] != "/" || query["EIO"] != "4" || hs["headers"] == nil {
		t.Fatalf("handshake: %v", got)
	}

	st := getStats(t, srv)
	want := map[string]int64{"join": 2, "push": 1, "broadcast": 1, "echo-event": 1, "hello": 1, "ping": 1, "handshake": 1}
	if !reflect.DeepEqual(st.Received["/"], want) || st.OpenSessions != 2 {
		t.Fatalf("stats %+v, want received %v and 2 open sessions", st, want)
	}
}

func TestHandshakeAuth(t *testing.T) {
	srv := startServer(t, Config{})
	c := dialWebsocket(t, srv)
	c.connect("/chat", map[string]any{"token": "secret"})
	got := c.call("/chat", 1, "handshake")
	hs, _ := got[0].(map[string]any)
	if !reflect.DeepEqual(hs["auth"], map[string]any{"token": "secret"}) || hs["namespace"] != "/chat" {
		t.Fatalf("handshake: %v", got)
	}
}

func TestDisconnectMe(t *testing.T) {
	srv := startServer(t, Config{})
	c := dialWebsocket(t, srv)
	c.connect("/", nil)
	c.connect("/chat", nil)
	c.emit("/chat", wire.NoID, "disconnect-me")
	seen := map[string]bool{}
	for range 2 {
		sp, _ := c.readSocket()
		if sp.Type != wire.Disconnect {
			t.Fatalf("got %v %s, want DISCONNECT", sp.Type, sp.Namespace)
		}
		seen[sp.Namespace] = true
	}
	if !seen["/"] || !seen["/chat"] {
		t.Fatalf("DISCONNECT for %v, want / and /chat", seen)
	}
	c.waitClosed()
	waitFor(t, "the session to end", func() bool { return srv.Stats().OpenSessions == 0 })
	if got := srv.Stats().Closed; !reflect.DeepEqual(got, map[string]int64{"server disconnect": 1}) {
		t.Fatalf("closed by reason %v, want one server disconnect", got)
	}
}

// TestDisconnectMeDeliveredBeforePacketsThatCrossIt sends packets after
// "disconnect-me", as a client does that has not yet read the DISCONNECT:
// once closing, the session ignores them (engine.io does), so they neither
// cut the DISCONNECT's delivery short nor close the session as packets to
// a namespace not joined.
func TestDisconnectMeDeliveredBeforePacketsThatCrossIt(t *testing.T) {
	srv := startServer(t, Config{})
	c := dialWebsocket(t, srv)
	c.connect("/", nil)
	c.emit("/", wire.NoID, "disconnect-me")
	text, _, _ := wire.AppendEventPacket(nil, "/", wire.NoID, "hello", nil)
	hello, _ := wire.AppendFrame(c.v, nil, wire.Packet{Type: wire.Message, Data: text})
	for range 20 {
		// Fails once the server has closed, as it should once it is done.
		_ = c.conn.WriteMessage(websocket.TextMessage, hello)
	}
	if sp, _ := c.readSocket(); sp.Type != wire.Disconnect || sp.Namespace != "/" {
		t.Fatalf("got %v %s, want the DISCONNECT of /", sp.Type, sp.Namespace)
	}
	c.waitClosed()
	waitFor(t, "the session to end", func() bool { return srv.Stats().OpenSessions == 0 })
	if got := srv.Stats().Closed; !reflect.DeepEqual(got, map[string]int64{"server disconnect": 1}) {
		t.Fatalf("closed by reason %v, want one server disconnect", got)
	}
}

func TestWebsocketMaxHTTPBufferSize(t *testing.T) {
	// The large message is still being written when the server refuses it:
	// the client must read the close code, not a connection reset.
	for _, size := range []int{200, 4 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			srv := startServer(t, Config{MaxHTTPBufferSize: 100})
			c := dialWebsocket(t, srv)
			c.connect("/", nil)
			c.call("/", 1, "echo", string(bytes.Repeat([]byte("x"), 50)))
			text, _, _ := wire.AppendEventPacket(nil, "/", 2, "echo", []any{string(bytes.Repeat([]byte("x"), size))})
			frame, _ := wire.AppendFrame(c.v, nil, wire.Packet{Type: wire.Message, Data: text})
			_ = c.conn.WriteMessage(websocket.TextMessage, frame) // may fail once the server has refused it
			err := c.waitClosed()
			if !websocketCloseCode(err, 1009) {
				t.Fatalf("got %v, want close 1009 (message too big)", err)
			}
			c.conn.Close()
			waitFor(t, "the session to end", func() bool { return srv.Stats().OpenSessions == 0 })
			if got := srv.Stats().Closed; got["max payload exceeded"] != 1 {
				t.Fatalf("closed by reason %v, want one max payload exceeded", got)
			}
		})
	}
}

func TestConnectionLimit(t *testing.T) {
	srv := startServer(t, Config{MaxConnections: 2})
	dialWebsocket(t, srv)
	dialWebsocket(t, srv)
	status, body := httpGet(t, engineURL(srv, "http", wire.EngineV4, "polling", ""))
	if status != 503 || !containsAll(body, "at most 2 connections", "--max-connections") {
		t.Fatalf("third session: HTTP %d %q, want 503 naming the limit", status, body)
	}
	if st := srv.Stats(); st.Refused != 1 || st.OpenSessions != 2 {
		t.Fatalf("stats %+v, want 1 refused and 2 open", st)
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		addr    string
		remote  bool
		wantErr bool
	}{
		{"127.0.0.1:0", false, false},
		{"localhost:0", false, false},
		{"[::1]:0", false, false},
		{"0.0.0.0:0", false, true},
		{":0", false, true},
		{"192.0.2.1:0", false, true},
		{"example.com:3000", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			_, err := Config{Addr: tt.addr, AllowRemote: tt.remote}.withDefaults()
			if (err != nil) != tt.wantErr {
				t.Fatalf("withDefaults(%q): %v, want error %v", tt.addr, err, tt.wantErr)
			}
			if err != nil && !containsAll(err.Error(), "--allow-remote") {
				t.Fatalf("error %q does not name the flag", err)
			}
		})
	}
	if _, err := Start(t.Context(), Config{Addr: "0.0.0.0:0"}); err == nil {
		t.Fatal("Start on 0.0.0.0 succeeded without AllowRemote")
	}
}

func TestAuthToken(t *testing.T) {
	tests := []struct {
		name    string
		v       wire.EngineVersion
		query   string // on the Engine.IO request
		connect string // namespace, with its query in v3
		auth    any
		ok      bool
	}{
		{"v4 auth token", wire.EngineV4, "", "/chat", map[string]any{"token": "s3"}, true},
		{"v4 wrong token", wire.EngineV4, "", "/chat", map[string]any{"token": "nope"}, false},
		{"v4 no token", wire.EngineV4, "", "/", nil, false},
		{"v4 token in the request query", wire.EngineV4, "&token=s3", "/", nil, true},
		{"v3 token on the namespace", wire.EngineV3, "&token=s3", "/chat?token=s3", nil, true},
		{"v3 wrong token on the namespace", wire.EngineV3, "&token=s3", "/chat?token=x", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, Config{EngineVersion: tt.v, AuthToken: "s3"})
			c, _ := dialWebsocketQuery(t, srv, tt.query)
			got := c.connect(tt.connect, tt.auth)
			want := wire.Connect
			if !tt.ok {
				want = wire.ConnectError
			}
			if got.Type != want || (!tt.ok && wire.ConnectErrorMessage(got.Data) != "invalid token") {
				t.Fatalf("got %v %s, want %v", got.Type, got.Data, want)
			}
		})
	}
	t.Run("v3 main namespace refused at open", func(t *testing.T) {
		srv := startServer(t, Config{EngineVersion: wire.EngineV3, AuthToken: "s3"})
		_, sp := dialWebsocketQuery(t, srv, "")
		if sp.Type != wire.ConnectError || sp.Namespace != "/" || wire.ConnectErrorMessage(sp.Data) != "invalid token" {
			t.Fatalf("got %+v, want the main namespace refused", sp)
		}
	})
}

func TestCookie(t *testing.T) {
	srv := startServer(t, Config{Cookie: true})
	resp, err := http.Get(engineURL(srv, "http", wire.EngineV4, "polling", ""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != "io" || cookies[0].Value == "" || !cookies[0].HttpOnly || cookies[0].Path != "/" {
		t.Fatalf("handshake cookies %v, want io=<sid>; Path=/; HttpOnly", cookies)
	}

	header := http.Header{"Cookie": {"io=abc; lb=node-2"}}
	conn, resp, err := websocket.DefaultDialer.Dial(engineURL(srv, "ws", wire.EngineV4, "websocket", ""), header)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(got, "io=") {
		t.Fatalf("websocket handshake Set-Cookie %q", got)
	}
	c := &wsClient{t: t, conn: conn, v: wire.EngineV4}
	c.read() // open
	c.connect("/", nil)
	if got := c.call("/", 1, "cookie"); !reflect.DeepEqual(got, []any{"io=abc; lb=node-2"}) {
		t.Fatalf("cookie handler answered %v", got)
	}
}
