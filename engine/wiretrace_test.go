package engine

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/socketio"
	"github.com/sockload/sockload/socketio/wire"
)

func TestWireTraceLines(t *testing.T) {
	at := time.Unix(100, 0)
	for _, tc := range []struct {
		name    string
		secrets bool
		ev      socketio.TraceEvent
		want    string
	}{
		{"polling request, a query secret hidden", false,
			socketio.TraceEvent{At: at, Sent: true, Transport: "polling", Method: "GET", URL: "http://h:1/socket.io/?EIO=4&transport=polling&t=3&token=abc", Status: 200},
			"+0.000s VU 1 → GET http://h:1/socket.io/?EIO=4&t=3&token=[redacted]&transport=polling 200"},
		{"shown when asked", true,
			socketio.TraceEvent{At: at, Sent: true, Method: "GET", URL: "http://h:1/socket.io/?token=abc", Status: 200},
			"+0.000s VU 1 → GET http://h:1/socket.io/?token=abc 200"},
		{"failed request", false,
			socketio.TraceEvent{At: at, Sent: true, Method: "POST", URL: "http://h:1/socket.io/?sid=x", Err: errors.New("connection refused")},
			"+0.000s VU 1 → POST http://h:1/socket.io/?sid=x failed: connection refused"},
		{"namespaced CONNECT with auth", false,
			socketio.TraceEvent{At: at, Sent: true, Transport: "websocket", Type: wire.Message, Data: []byte(`0/chat,{"token":"abc","user":"u"}`)},
			`+0.000s VU 1 → websocket message CONNECT 0/chat,{"token":"[redacted]","…`},
		{"a received CONNECT is the server's", false,
			socketio.TraceEvent{At: at, Transport: "websocket", Type: wire.Message, Data: []byte(`0{"sid":"s"}`)},
			`+0.000s VU 1 ← websocket message CONNECT 0{"sid":"s"}`},
		{"binary attachment", false,
			socketio.TraceEvent{At: at, Transport: "websocket", Type: wire.Message, Binary: true, Data: []byte{1, 2, 3}},
			"+0.000s VU 1 ← websocket message <binary, 3 bytes>"},
		{"ping without data", false,
			socketio.TraceEvent{At: at, Transport: "polling", Type: wire.Ping},
			"+0.000s VU 1 ← polling ping"},
		{"long payload cut", false,
			socketio.TraceEvent{At: at, Sent: true, Transport: "websocket", Type: wire.Message, Data: []byte(`2["x","` + strings.Repeat("a", 50) + `"]`)},
			`+0.000s VU 1 → websocket message EVENT 2["x","aaaaaaaaaaaaaaaaaaaaaaa…`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			tr := &WireTrace{W: &b, MaxBytes: 30, Secrets: tc.secrets}
			tr.hook(1)(tc.ev)
			if got := strings.TrimSuffix(b.String(), "\n"); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestWireTraceFollowsTheFirstVUs(t *testing.T) {
	tr := &WireTrace{VUs: 2}
	for id, want := range map[uint64]bool{0: false, 1: true, 2: true, 3: false} {
		if got := tr.traces(id); got != want {
			t.Errorf("traces(%d) = %v, want %v", id, got, want)
		}
	}
	var none *WireTrace
	if none.traces(1) {
		t.Error("a nil trace traces")
	}
}
