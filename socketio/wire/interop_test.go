package wire_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
)

// pollingSession speaks Engine.IO long-polling to a reference server with
// nothing but net/http and this package, so that the codecs are checked
// against the official implementation rather than against themselves.
type pollingSession struct {
	t      *testing.T
	v      wire.EngineVersion
	base   string // URL with EIO, transport and (after the handshake) sid
	client *http.Client
	queue  []wire.Packet // packets received but not yet consumed
	// binaryPosts sends v3 POSTs in the binary payload form
	// (application/octet-stream), as a client that supports binary may.
	binaryPosts bool
}

func openPolling(t *testing.T, s *refserver.Server, v wire.EngineVersion, query string) (*pollingSession, wire.Handshake) {
	t.Helper()
	p := &pollingSession{
		t:      t,
		v:      v,
		base:   fmt.Sprintf("%s/socket.io/?EIO=%d&transport=polling%s", s.URL, v, query),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	open := p.next()
	if open.Type != wire.Open {
		t.Fatalf("first packet is %v, want open", open.Type)
	}
	h, err := wire.ParseHandshake(open.Data)
	if err != nil {
		t.Fatal(err)
	}
	p.base += "&sid=" + h.SID
	return p, h
}

// next returns the next packet from the server, polling when none is queued.
func (p *pollingSession) next() wire.Packet {
	p.t.Helper()
	for len(p.queue) == 0 {
		resp, err := p.client.Get(p.base)
		if err != nil {
			p.t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			p.t.Fatalf("poll: status %d, %v: %s", resp.StatusCode, err, body)
		}
		err = wire.DecodePayload(p.v, body, 0, func(pk wire.Packet) error {
			pk.Data = slices.Clone(pk.Data)
			p.queue = append(p.queue, pk)
			return nil
		})
		if err != nil {
			p.t.Fatalf("decoding %q: %v", body, err)
		}
	}
	pk := p.queue[0]
	p.queue = p.queue[1:]
	return pk
}

// nextMessage skips heartbeats and noops.
func (p *pollingSession) nextMessage() wire.Packet {
	p.t.Helper()
	for {
		pk := p.next()
		if pk.Type == wire.Message {
			return pk
		}
	}
}

func (p *pollingSession) send(packets ...wire.Packet) {
	p.t.Helper()
	body, ctype := wire.AppendPayload(p.v, nil, packets), "text/plain;charset=UTF-8"
	if p.binaryPosts && p.v == wire.EngineV3 {
		body, ctype = wire.AppendBinaryPayloadV3(nil, packets), "application/octet-stream"
	}
	resp, err := p.client.Post(p.base, ctype, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("sending %q: status %d: %s", body, resp.StatusCode, reply)
	}
}

// nextSocketPacket returns the next Socket.IO packet with its attachments.
func (p *pollingSession) nextSocketPacket() (wire.SocketPacket, [][]byte) {
	p.t.Helper()
	msg := p.nextMessage()
	if msg.Binary {
		p.t.Fatalf("binary message %x where a packet was expected", msg.Data)
	}
	sp, err := wire.DecodeSocketPacket(msg.Data)
	if err != nil {
		p.t.Fatalf("decoding %q: %v", msg.Data, err)
	}
	var atts [][]byte
	for range sp.Attachments {
		att := p.nextMessage()
		if !att.Binary {
			p.t.Fatalf("text message %q where an attachment was expected", att.Data)
		}
		atts = append(atts, att.Data)
	}
	return sp, atts
}

func textMessage(b []byte) wire.Packet { return wire.Packet{Type: wire.Message, Data: b} }

// echoArgs exercise what the lengths and encodings are fussy about: text
// outside the BMP (two UTF-16 units), escapes, numbers and binary.
var echoArgs = []any{
	"héllo 😀 wörld \"quoted\" \n",
	1.5,
	map[string]any{"list": []any{true, nil, "€"}, "n": -7.0},
	[]byte{0, 1, 2, 0xfe, 0xff},
}

func TestInteropPolling(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	tests := []struct {
		name    string
		server  refserver.Version
		v       wire.EngineVersion
		query   string
		connect bool // the client must CONNECT to the main namespace (protocol v5)
		// binaryPosts sends POSTs in the v3 binary payload form.
		binaryPosts bool
	}{
		{"socket.io 4", refserver.V4, wire.EngineV4, "", true, false},
		{"socket.io 2 base64", refserver.V2, wire.EngineV3, "&b64=1", false, false},
		{"socket.io 2 binary payloads", refserver.V2, wire.EngineV3, "", false, false},
		{"socket.io 2 binary payloads both ways", refserver.V2, wire.EngineV3, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := refserver.Start(t, tt.server, "--namespaces", "/,/chat")
			p, h := openPolling(t, s, tt.v, tt.query)
			p.binaryPosts = tt.binaryPosts
			if h.PingInterval <= 0 || len(h.Upgrades) == 0 {
				t.Fatalf("handshake %+v", h)
			}
			if tt.v == wire.EngineV4 && h.MaxPayload <= 0 {
				t.Fatalf("v4 handshake without maxPayload: %+v", h)
			}
			if tt.connect {
				connect, err := wire.AppendConnectPacket(nil, "/", nil)
				if err != nil {
					t.Fatal(err)
				}
				p.send(textMessage(connect))
			}
			sp, _ := p.nextSocketPacket()
			if sp.Type != wire.Connect || sp.Namespace != "/" {
				t.Fatalf("got %+v, want CONNECT to /", sp)
			}
			if sid, err := wire.ConnectSID(sp.Data); err != nil || (tt.connect && sid == "") {
				t.Fatalf("ConnectSID(%s) = %q, %v", sp.Data, sid, err)
			}

			// A binary event to a namespace, acked with the same arguments.
			nsp := "/chat"
			connect, _ := wire.AppendConnectPacket(nil, nsp, nil)
			p.send(textMessage(connect))
			if sp, _ = p.nextSocketPacket(); sp.Type != wire.Connect || sp.Namespace != nsp {
				t.Fatalf("got %+v, want CONNECT to %s", sp, nsp)
			}
			event, atts, err := wire.AppendEventPacket(nil, nsp, 7, "echo", echoArgs)
			if err != nil {
				t.Fatal(err)
			}
			packets := []wire.Packet{textMessage(event)}
			for _, a := range atts {
				packets = append(packets, wire.Packet{Type: wire.Message, Data: a, Binary: true})
			}
			p.send(packets...)
			ack, ackAtts := p.nextSocketPacket()
			if ack.Type != wire.BinaryAck || ack.ID != 7 || ack.Namespace != nsp {
				t.Fatalf("got %+v, want BINARY_ACK 7 on %s", ack, nsp)
			}
			got, err := wire.DecodeArgs(ack.Data, ackAtts, false)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, echoArgs) {
				t.Fatalf("echo acked %#v, want %#v", got, echoArgs)
			}

			// A plain event with a long non-ASCII text, answered by an event.
			long := strings.Repeat("😀é€a", 300)
			event, _, _ = wire.AppendEventPacket(nil, "/", wire.NoID, "echo-event", []any{long})
			ping, _, _ := wire.AppendEventPacket(nil, "/", 8, "ping", nil)
			p.send(textMessage(event), textMessage(ping))
			for range 2 {
				sp, _ := p.nextSocketPacket()
				switch sp.Type {
				case wire.Event:
					name, err := wire.EventName(sp.Data)
					args, err2 := wire.DecodeArgs(sp.Data, nil, true)
					if err != nil || err2 != nil || name != "echo" || !reflect.DeepEqual(args, []any{long}) {
						t.Fatalf("event %q %v: %v %v", name, args, err, err2)
					}
				case wire.Ack:
					args, err := wire.DecodeArgs(sp.Data, nil, false)
					if err != nil || sp.ID != 8 || !reflect.DeepEqual(args, []any{"pong"}) {
						t.Fatalf("ack %+v: %v %v", sp, args, err)
					}
				default:
					t.Fatalf("unexpected %+v", sp)
				}
			}
			if st := s.Stats(); st.Received[nsp]["echo"] != 1 || st.Received["/"]["echo-event"] != 1 {
				t.Fatalf("server counted %v", st.Received)
			}
		})
	}
}

func TestInteropConnectError(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	tests := []struct {
		server refserver.Version
		v      wire.EngineVersion
		query  string
	}{
		{refserver.V4, wire.EngineV4, ""},
		{refserver.V2, wire.EngineV3, "&b64=1"},
	}
	for _, tt := range tests {
		t.Run(string(tt.server), func(t *testing.T) {
			s := refserver.Start(t, tt.server, "--namespaces", "/,/chat", "--auth-token", "secret")
			p, _ := openPolling(t, s, tt.v, tt.query)
			if tt.v == wire.EngineV3 {
				// socket.io 2.x refuses the main namespace on its own, from
				// the handshake's (missing) token.
				sp, _ := p.nextSocketPacket()
				if sp.Type != wire.ConnectError || wire.ConnectErrorMessage(sp.Data) != "invalid token" {
					t.Fatalf("got %+v (%s), want ERROR invalid token", sp, sp.Data)
				}
				return
			}
			connect, _ := wire.AppendConnectPacket(nil, "/chat", map[string]any{"token": "wrong"})
			p.send(textMessage(connect))
			sp, _ := p.nextSocketPacket()
			if sp.Type != wire.ConnectError || sp.Namespace != "/chat" || wire.ConnectErrorMessage(sp.Data) != "invalid token" {
				t.Fatalf("got %+v (%s), want CONNECT_ERROR invalid token", sp, sp.Data)
			}
			connect, _ = wire.AppendConnectPacket(nil, "/chat", map[string]any{"token": "secret"})
			p.send(textMessage(connect))
			if sp, _ = p.nextSocketPacket(); sp.Type != wire.Connect || sp.Namespace != "/chat" {
				t.Fatalf("got %+v, want CONNECT", sp)
			}
		})
	}
}

func TestInteropV3NamespaceQuery(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	s := refserver.Start(t, refserver.V2, "--namespaces", "/,/chat", "--auth-token", "secret")
	p, _ := openPolling(t, s, wire.EngineV3, "&b64=1&token=secret")
	if sp, _ := p.nextSocketPacket(); sp.Type != wire.Connect {
		t.Fatalf("got %+v, want CONNECT to /", sp)
	}
	connect, _ := wire.AppendConnectPacket(nil, "/chat?token=secret&x=%C3%A9", nil)
	p.send(textMessage(connect))
	sp, _ := p.nextSocketPacket()
	if sp.Type != wire.Connect || sp.Namespace != "/chat" {
		t.Fatalf("got %+v (%s), want CONNECT to /chat", sp, sp.Data)
	}
	ask, _, _ := wire.AppendEventPacket(nil, "/chat", 1, "handshake", nil)
	p.send(textMessage(ask))
	ack, _ := p.nextSocketPacket()
	args, err := wire.DecodeArgs(ack.Data, nil, false)
	if err != nil || len(args) != 1 {
		t.Fatalf("handshake ack %s: %v", ack.Data, err)
	}
	query, _ := args[0].(map[string]any)["query"].(map[string]any)
	if query["x"] != "é" {
		t.Fatalf("server saw query %v", query)
	}
}
