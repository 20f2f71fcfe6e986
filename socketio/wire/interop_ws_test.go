package wire_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
)

// wsSession speaks Engine.IO over a websocket to a reference server.
type wsSession struct {
	t    *testing.T
	v    wire.EngineVersion
	conn *websocket.Conn
}

func (w *wsSession) next() wire.Packet {
	w.t.Helper()
	_ = w.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	kind, frame, err := w.conn.ReadMessage()
	if err != nil {
		w.t.Fatal(err)
	}
	p, err := wire.DecodeFrame(w.v, frame, kind == websocket.BinaryMessage)
	if err != nil {
		w.t.Fatalf("decoding %q: %v", frame, err)
	}
	p.Data = slices.Clone(p.Data)
	return p
}

func (w *wsSession) send(p wire.Packet) {
	w.t.Helper()
	frame, binary := wire.AppendFrame(w.v, nil, p)
	kind := websocket.TextMessage
	if binary {
		kind = websocket.BinaryMessage
	}
	_ = w.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := w.conn.WriteMessage(kind, frame); err != nil {
		w.t.Fatal(err)
	}
}

func (w *wsSession) nextSocketPacket() (wire.SocketPacket, [][]byte) {
	w.t.Helper()
	next := func() wire.Packet {
		for {
			if p := w.next(); p.Type == wire.Message {
				return p
			}
		}
	}
	msg := next()
	sp, err := wire.DecodeSocketPacket(msg.Data)
	if err != nil || msg.Binary {
		w.t.Fatalf("decoding %q (binary %v): %v", msg.Data, msg.Binary, err)
	}
	var atts [][]byte
	for range sp.Attachments {
		att := next()
		if !att.Binary {
			w.t.Fatalf("text message %q where an attachment was expected", att.Data)
		}
		atts = append(atts, att.Data)
	}
	return sp, atts
}

func TestInteropWebsocket(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	tests := []struct {
		server refserver.Version
		v      wire.EngineVersion
	}{
		{refserver.V4, wire.EngineV4},
		{refserver.V2, wire.EngineV3},
	}
	for _, tt := range tests {
		t.Run(string(tt.server), func(t *testing.T) {
			s := refserver.Start(t, tt.server)
			url := fmt.Sprintf("ws://127.0.0.1:%d/socket.io/?EIO=%d&transport=websocket", s.Port, tt.v)
			dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
			conn, _, err := dialer.Dial(url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			w := &wsSession{t: t, v: tt.v, conn: conn}
			open := w.next()
			if _, err := wire.ParseHandshake(open.Data); open.Type != wire.Open || err != nil {
				t.Fatalf("first packet %+v: %v", open, err)
			}
			if tt.v == wire.EngineV4 {
				w.send(wire.Packet{Type: wire.Message, Data: []byte("0")})
			}
			if sp, _ := w.nextSocketPacket(); sp.Type != wire.Connect {
				t.Fatalf("got %+v, want CONNECT", sp)
			}
			event, atts, err := wire.AppendEventPacket(nil, "/", 3, "echo", echoArgs)
			if err != nil {
				t.Fatal(err)
			}
			w.send(wire.Packet{Type: wire.Message, Data: event})
			for _, a := range atts {
				w.send(wire.Packet{Type: wire.Message, Data: a, Binary: true})
			}
			ack, ackAtts := w.nextSocketPacket()
			if ack.Type != wire.BinaryAck || ack.ID != 3 {
				t.Fatalf("got %+v, want BINARY_ACK 3", ack)
			}
			got, err := wire.DecodeArgs(ack.Data, ackAtts, false)
			if err != nil || !reflect.DeepEqual(got, echoArgs) {
				t.Fatalf("echo acked %#v (%v), want %#v", got, err, echoArgs)
			}
			if tt.v == wire.EngineV3 {
				// The client pings in v3.
				w.send(wire.Packet{Type: wire.Ping})
				if p := w.next(); p.Type != wire.Pong {
					t.Fatalf("got %+v, want pong", p)
				}
			}
		})
	}
}
