package target

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

var versions = []wire.EngineVersion{wire.EngineV4, wire.EngineV3}

// pollHTTP bounds every GET, so a poll the server never releases fails the
// test instead of hanging it.
var pollHTTP = &http.Client{Timeout: ioTimeout}

type pollClient struct {
	t    *testing.T
	srv  *Server
	v    wire.EngineVersion
	open wire.Handshake
}

func (c *pollClient) url() string {
	u := engineURL(c.srv, "http", c.v, "polling", c.open.SID)
	if c.v == wire.EngineV3 {
		u += "&b64=1"
	}
	return u
}

// openPolling performs the polling handshake.
func openPolling(t *testing.T, srv *Server) *pollClient {
	t.Helper()
	c := &pollClient{t: t, srv: srv, v: srv.Config().EngineVersion}
	packets := c.get()
	if len(packets) == 0 || packets[0].Type != wire.Open {
		t.Fatalf("handshake: %v", packets)
	}
	var err error
	if c.open, err = wire.ParseHandshake(packets[0].Data); err != nil {
		t.Fatal(err)
	}
	if c.v == wire.EngineV3 && (len(packets) != 2 || string(packets[1].Data) != "0") {
		t.Fatalf("v3 handshake: %v, want open then the main namespace's CONNECT", packets)
	}
	return c
}

// get polls once and returns the packets received.
func (c *pollClient) get() []wire.Packet {
	c.t.Helper()
	packets, status := c.getStatus()
	if status != http.StatusOK {
		c.t.Fatalf("GET: HTTP %d", status)
	}
	return packets
}

func (c *pollClient) getStatus() ([]wire.Packet, int) {
	c.t.Helper()
	packets, status, err := c.fetch()
	if err != nil {
		c.t.Fatal(err)
	}
	return packets, status
}

// fetch polls once; it may run on any goroutine.
func (c *pollClient) fetch() ([]wire.Packet, int, error) {
	resp, err := pollHTTP.Get(c.url())
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, err
	}
	var packets []wire.Packet
	err = wire.DecodePayload(c.v, body, 0, func(p wire.Packet) error {
		p.Data = bytes.Clone(p.Data)
		packets = append(packets, p)
		return nil
	})
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("GET body %q: %w", body, err)
	}
	return packets, resp.StatusCode, nil
}

// getAsync starts a GET and returns a function that waits for its packets.
func (c *pollClient) getAsync() func() []wire.Packet {
	type result struct {
		packets []wire.Packet
		status  int
		err     error
	}
	done := make(chan result, 1)
	go func() {
		packets, status, err := c.fetch()
		done <- result{packets, status, err}
	}()
	return func() []wire.Packet {
		c.t.Helper()
		r := <-done
		if r.err != nil || r.status != http.StatusOK {
			c.t.Fatalf("GET: HTTP %d, %v", r.status, r.err)
		}
		return r.packets
	}
}

// waitPolling waits until the session's GET is waiting on the server.
func waitPolling(t *testing.T, srv *Server, sid string) {
	t.Helper()
	waitFor(t, "the GET to wait", func() bool {
		sess := srv.session(sid)
		if sess == nil {
			return false
		}
		sess.mu.Lock()
		defer sess.mu.Unlock()
		return sess.polling
	})
}

// post sends packets and returns the HTTP status.
func (c *pollClient) post(packets ...wire.Packet) int {
	c.t.Helper()
	body := wire.AppendPayload(c.v, nil, packets)
	resp, err := http.Post(c.url(), "text/plain;charset=UTF-8", bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func (c *pollClient) emit(nsp string, id int64, event string, args ...any) {
	c.t.Helper()
	text, attachments, err := wire.AppendEventPacket(nil, nsp, id, event, args)
	if err != nil {
		c.t.Fatal(err)
	}
	packets := []wire.Packet{{Type: wire.Message, Data: text}}
	for _, a := range attachments {
		packets = append(packets, wire.Packet{Type: wire.Message, Data: a, Binary: true})
	}
	if status := c.post(packets...); status != http.StatusOK {
		c.t.Fatalf("POST: HTTP %d", status)
	}
}

// socketPackets decodes the Socket.IO packets in packets, with their
// attachments, skipping Engine.IO pings and noops.
func socketPackets(t *testing.T, packets []wire.Packet) (out []wire.SocketPacket, attachments [][][]byte) {
	t.Helper()
	for _, p := range packets {
		switch {
		case p.Type != wire.Message:
			continue
		case p.Binary:
			attachments[len(attachments)-1] = append(attachments[len(attachments)-1], p.Data)
			continue
		}
		sp, err := wire.DecodeSocketPacket(p.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sp)
		attachments = append(attachments, nil)
	}
	return out, attachments
}

func TestPollingExchange(t *testing.T) {
	for _, v := range versions {
		t.Run(fmt.Sprintf("EIO%d", v), func(t *testing.T) {
			srv := startServer(t, Config{EngineVersion: v, MaxHTTPBufferSize: 4000})
			c := openPolling(t, srv)
			wantMax := 4000
			if v == wire.EngineV3 {
				wantMax = 0
			}
			if !reflect.DeepEqual(c.open.Upgrades, []string{"websocket"}) || c.open.MaxPayload != wantMax {
				t.Fatalf("handshake %+v", c.open)
			}
			text, _ := wire.AppendConnectPacket(nil, "/chat", nil)
			c.post(wire.Packet{Type: wire.Message, Data: text})
			if sps, _ := socketPackets(t, c.get()); len(sps) != 1 || sps[0].Type != wire.Connect || sps[0].Namespace != "/chat" {
				t.Fatalf("connect /chat: %+v", sps)
			}

			// Binary travels base64 in polling payloads, both ways.
			blob := []byte{1, 2, 3, 0xfe}
			c.emit("/chat", 9, "echo", "x", blob)
			sps, attachments := socketPackets(t, c.get())
			if len(sps) != 1 || sps[0].Type != wire.BinaryAck || sps[0].ID != 9 {
				t.Fatalf("echo: %+v", sps)
			}
			args, err := wire.DecodeArgs(sps[0].Data, attachments[0], false)
			if err != nil || !reflect.DeepEqual(args, []any{"x", blob}) {
				t.Fatalf("echo ack %v (%v)", args, err)
			}

			// A GET waits until there is something to send.
			got := c.getAsync()
			waitPolling(t, srv, c.open.SID)
			c.emit("/chat", 10, "ping")
			sps, _ = socketPackets(t, got())
			if len(sps) != 1 || sps[0].ID != 10 || string(sps[0].Data) != `["pong"]` {
				t.Fatalf("ping over a waiting GET: %+v", sps)
			}
			if st := srv.Stats(); st.Received["/chat"]["echo"] != 1 || st.Received["/chat"]["ping"] != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestPollingIdleGetReturns(t *testing.T) {
	for _, v := range versions {
		t.Run(fmt.Sprintf("EIO%d", v), func(t *testing.T) {
			srv := startServer(t, Config{EngineVersion: v, PingInterval: 200 * time.Millisecond, PingTimeout: 5 * time.Second})
			c := openPolling(t, srv)
			packets := c.get()
			want := wire.Ping // v4: the server's ping ends the wait
			if v == wire.EngineV3 {
				want = wire.Noop // v3: nothing to send, the GET ends after the ping interval
			}
			if len(packets) != 1 || packets[0].Type != want {
				t.Fatalf("idle GET returned %v, want a %v", packets, want)
			}
		})
	}
}

func TestPollingMaxHTTPBufferSize(t *testing.T) {
	for _, v := range versions {
		t.Run(fmt.Sprintf("EIO%d", v), func(t *testing.T) {
			srv := startServer(t, Config{EngineVersion: v, MaxHTTPBufferSize: 100})
			c := openPolling(t, srv)
			big := bytes.Repeat([]byte("x"), 200)
			if status := c.post(wire.Packet{Type: wire.Message, Data: big}); status != http.StatusRequestEntityTooLarge {
				t.Fatalf("POST of 200 bytes: HTTP %d, want 413", status)
			}
			if _, status := c.getStatus(); status != http.StatusBadRequest {
				t.Fatalf("GET after the session closed: HTTP %d, want 400", status)
			}
		})
	}
}

func TestPollingErrors(t *testing.T) {
	srv := startServer(t, Config{})
	tests := []struct {
		name   string
		url    string
		status int
		body   string
	}{
		{"other protocol version", engineURL(srv, "http", wire.EngineV3, "polling", ""), 400, `"code":5`},
		{"unknown transport", engineURL(srv, "http", wire.EngineV4, "flash", ""), 400, `"code":0`},
		{"unknown session", engineURL(srv, "http", wire.EngineV4, "polling", "nope"), 400, `"code":1`},
		{"other path", srv.URL() + "/elsewhere", 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := httpGet(t, tt.url)
			if status != tt.status || !containsAll(body, tt.body) {
				t.Fatalf("HTTP %d %q, want %d with %q", status, body, tt.status, tt.body)
			}
		})
	}
}

func TestUpgrade(t *testing.T) {
	for _, v := range versions {
		t.Run(fmt.Sprintf("EIO%d", v), func(t *testing.T) {
			srv := startServer(t, Config{EngineVersion: v})
			pc := openPolling(t, srv)
			text, _ := wire.AppendConnectPacket(nil, "/", nil)
			if v == wire.EngineV4 {
				pc.post(wire.Packet{Type: wire.Message, Data: text})
				pc.get()
			}

			// The client keeps a GET waiting while it probes.
			waiting := pc.getAsync()
			waitPolling(t, srv, pc.open.SID)

			conn, _, err := websocket.DefaultDialer.Dial(engineURL(srv, "ws", v, "websocket", pc.open.SID), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ws := &wsClient{t: t, conn: conn, v: v}
			ws.write(wire.Packet{Type: wire.Ping, Data: []byte("probe")})
			if p := ws.read(); p.Type != wire.Pong || string(p.Data) != "probe" {
				t.Fatalf("probe answered with %v %q", p.Type, p.Data)
			}
			if got := waiting(); len(got) != 1 || got[0].Type != wire.Noop {
				t.Fatalf("the waiting GET got %v, want a noop", got)
			}
			// A client may poll once more before it notices the probe's
			// answer; that GET is released too, or the upgrade stalls.
			if got := pc.get(); len(got) != 1 || got[0].Type != wire.Noop {
				t.Fatalf("a GET during the upgrade got %v, want a noop", got)
			}
			ws.write(wire.Packet{Type: wire.Upgrade})

			if got := ws.call("/", 3, "ping"); !reflect.DeepEqual(got, []any{"pong"}) {
				t.Fatalf("ping over the upgraded websocket: %v", got)
			}
			if _, status := pc.getStatus(); status != http.StatusBadRequest {
				t.Fatalf("GET after the upgrade: HTTP %d, want 400", status)
			}
		})
	}
}
