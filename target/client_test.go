package target

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// The helpers below speak the protocol byte by byte with the wire codecs, so
// the tests see exactly what a client would.

// startServer starts a target on a free loopback port for the test.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	srv, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// ioTimeout bounds every read in the tests, so a missing packet fails the
// test instead of hanging it.
const ioTimeout = 5 * time.Second

type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	v    wire.EngineVersion
	open wire.Handshake
}

func engineURL(srv *Server, scheme string, v wire.EngineVersion, transport, sid string) string {
	u := fmt.Sprintf("%s://%s%s?EIO=%d&transport=%s", scheme, srv.Addr(), srv.Config().Path, v, transport)
	if sid != "" {
		u += "&sid=" + sid
	}
	return u
}

// dialWebsocket opens a session directly on websocket and reads its Open
// packet (and, in v3, the main namespace's CONNECT).
func dialWebsocket(t *testing.T, srv *Server) *wsClient {
	t.Helper()
	c, sp := dialWebsocketQuery(t, srv, "")
	if c.v == wire.EngineV3 && (sp.Type != wire.Connect || sp.Namespace != "/") {
		t.Fatalf("v3 session: got %+v, want the main namespace's CONNECT", sp)
	}
	return c
}

// dialWebsocketQuery opens a session with extra query parameters and reads
// its Open packet; in v3 it also returns the packet that follows (the main
// namespace's CONNECT or its refusal).
func dialWebsocketQuery(t *testing.T, srv *Server, query string) (*wsClient, wire.SocketPacket) {
	t.Helper()
	v := srv.Config().EngineVersion
	conn, resp, err := websocket.DefaultDialer.Dial(engineURL(srv, "ws", v, "websocket", "")+query, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	c := &wsClient{t: t, conn: conn, v: v}
	p := c.read()
	if p.Type != wire.Open {
		t.Fatalf("first packet %v, want open", p.Type)
	}
	if c.open, err = wire.ParseHandshake(p.Data); err != nil {
		t.Fatal(err)
	}
	var sp wire.SocketPacket
	if v == wire.EngineV3 {
		sp, _ = c.readSocket()
	}
	return c, sp
}

func (c *wsClient) write(p wire.Packet) {
	c.t.Helper()
	frame, binary := wire.AppendFrame(c.v, nil, p)
	kind := websocket.TextMessage
	if binary {
		kind = websocket.BinaryMessage
	}
	if err := c.conn.WriteMessage(kind, frame); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// readErr reads one Engine.IO packet.
func (c *wsClient) readErr() (wire.Packet, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	kind, data, err := c.conn.ReadMessage()
	if err != nil {
		return wire.Packet{}, err
	}
	return wire.DecodeFrame(c.v, data, kind == websocket.BinaryMessage)
}

func (c *wsClient) read() wire.Packet {
	c.t.Helper()
	p, err := c.readErr()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return p
}

// readSocket reads the next Socket.IO packet with its attachments,
// answering v4 pings on the way.
func (c *wsClient) readSocket() (wire.SocketPacket, [][]byte) {
	c.t.Helper()
	for {
		p := c.read()
		switch {
		case p.Type == wire.Ping:
			c.write(wire.Packet{Type: wire.Pong})
			continue
		case p.Type != wire.Message || p.Binary:
			c.t.Fatalf("got %v packet (binary %v), want a Socket.IO packet", p.Type, p.Binary)
		}
		sp, err := wire.DecodeSocketPacket(p.Data)
		if err != nil {
			c.t.Fatal(err)
		}
		var attachments [][]byte
		if sp.Type == wire.BinaryEvent || sp.Type == wire.BinaryAck {
			for range sp.Attachments {
				a := c.read()
				if !a.Binary {
					c.t.Fatalf("got %v, want an attachment", a.Type)
				}
				attachments = append(attachments, a.Data)
			}
		}
		return sp, attachments
	}
}

func (c *wsClient) sendSocket(text []byte, attachments [][]byte) {
	c.t.Helper()
	c.write(wire.Packet{Type: wire.Message, Data: text})
	for _, a := range attachments {
		c.write(wire.Packet{Type: wire.Message, Data: a, Binary: true})
	}
}

// connect joins nsp (v5: with auth) and returns the server's answer.
func (c *wsClient) connect(nsp string, auth any) wire.SocketPacket {
	c.t.Helper()
	text, err := wire.AppendConnectPacket(nil, nsp, auth)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendSocket(text, nil)
	sp, _ := c.readSocket()
	return sp
}

// emit sends an event, asking for an ack when id is not wire.NoID.
func (c *wsClient) emit(nsp string, id int64, event string, args ...any) {
	c.t.Helper()
	text, attachments, err := wire.AppendEventPacket(nil, nsp, id, event, args)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendSocket(text, attachments)
}

// call emits with ack id id and returns the decoded ack arguments.
func (c *wsClient) call(nsp string, id int64, event string, args ...any) []any {
	c.t.Helper()
	c.emit(nsp, id, event, args...)
	sp, attachments := c.readSocket()
	if (sp.Type != wire.Ack && sp.Type != wire.BinaryAck) || sp.ID != id || sp.Namespace != nsp {
		c.t.Fatalf("%s: got %v %s id %d %s, want the ack of id %d in %s", event, sp.Type, sp.Namespace, sp.ID, sp.Data, id, nsp)
	}
	got, err := wire.DecodeArgs(sp.Data, attachments, false)
	if err != nil {
		c.t.Fatal(err)
	}
	return got
}

// waitClosed reads until the server closes the connection, skipping what
// arrives before, and fails if it stays open for ioTimeout.
func (c *wsClient) waitClosed() error {
	c.t.Helper()
	for {
		_, err := c.readErr()
		if err == nil {
			continue
		}
		var netErr interface{ Timeout() bool }
		if errors.As(err, &netErr) && netErr.Timeout() {
			c.t.Fatalf("the server did not close the connection within %v", ioTimeout)
		}
		return err
	}
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func getStats(t *testing.T, srv *Server) Stats {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/__stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// waitFor polls cond every few milliseconds for up to ioTimeout: the
// server updates its counters after it answers, so a test that reads them
// right after an answer must wait for them to settle.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// websocketCloseCode reports whether err is a websocket close with code.
func websocketCloseCode(err error, code int) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code == code
}

// httpGet returns the status and body of a GET.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}
