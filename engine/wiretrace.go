package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/socketio"
	"github.com/sockload/sockload/socketio/wire"
)

// WireTrace writes what the first VUs of a run do on the wire, one line an
// event: every HTTP request of the handshake and of polling with its
// status, every Engine.IO packet sent (→) or received (←) with its
// Socket.IO type, each with the time since the trace's first line. Values
// that may be secret are hidden unless Secrets is set: the query string's
// values (but Engine.IO's own EIO, transport, sid, t and b64) and every
// value of a CONNECT's auth payload. Cookies and headers are never printed.
// Safe for concurrent use.
type WireTrace struct {
	W io.Writer
	// VUs is how many VUs are traced, the first ones of the run (0: 1).
	VUs int
	// MaxBytes cuts each packet's data (0: 200).
	MaxBytes int
	// Secrets prints what is otherwise hidden.
	Secrets bool

	mu    sync.Mutex
	start time.Time
}

// redacted replaces a hidden value.
const redacted = "[redacted]"

// traces reports whether VU id is traced.
func (t *WireTrace) traces(id uint64) bool {
	return t != nil && id > 0 && id <= uint64(max(t.VUs, 1))
}

// hook returns the socketio trace hook of VU id.
func (t *WireTrace) hook(id uint64) func(socketio.TraceEvent) {
	return func(ev socketio.TraceEvent) {
		line := t.format(ev)
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.start.IsZero() {
			t.start = ev.At
		}
		fmt.Fprintf(t.W, "+%.3fs VU %d %s\n", ev.At.Sub(t.start).Seconds(), id, line)
	}
}

func (t *WireTrace) format(ev socketio.TraceEvent) string {
	dir := "←"
	if ev.Sent {
		dir = "→"
	}
	if !ev.IsPacket() {
		status := fmt.Sprint(ev.Status)
		if ev.Err != nil && ev.Status == 0 {
			status = "failed: " + ev.Err.Error()
		}
		return fmt.Sprintf("%s %s %s %s", dir, ev.Method, t.url(ev.URL), status)
	}
	return fmt.Sprintf("%s %s %s", dir, ev.Transport, t.packet(ev))
}

// engineQuery are the query parameters Engine.IO itself sends: never secret.
var engineQuery = map[string]bool{"EIO": true, "transport": true, "sid": true, "t": true, "b64": true}

func (t *WireTrace) url(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || t.Secrets {
		return raw
	}
	q := u.Query()
	for k, vs := range q {
		if !engineQuery[k] {
			for i := range vs {
				vs[i] = redacted
			}
		}
	}
	u.RawQuery = strings.ReplaceAll(q.Encode(), url.QueryEscape(redacted), redacted)
	return u.String()
}

var packetNames = map[wire.PacketType]string{
	wire.Open: "open", wire.Close: "close", wire.Ping: "ping", wire.Pong: "pong",
	wire.Message: "message", wire.Upgrade: "upgrade", wire.Noop: "noop",
}

// socketIONames are the Socket.IO packet types, by their digit.
var socketIONames = map[byte]string{
	'0': "CONNECT", '1': "DISCONNECT", '2': "EVENT", '3': "ACK",
	'4': "CONNECT_ERROR", '5': "BINARY_EVENT", '6': "BINARY_ACK",
}

func (t *WireTrace) packet(ev socketio.TraceEvent) string {
	name := packetNames[ev.Type]
	if ev.Binary {
		return fmt.Sprintf("%s <binary, %d bytes>", name, len(ev.Data))
	}
	data := string(ev.Data)
	if ev.Type == wire.Message && len(data) > 0 {
		if sio, ok := socketIONames[data[0]]; ok {
			name += " " + sio
			if data[0] == '0' && ev.Sent && !t.Secrets {
				data = redactConnect(data)
			}
		}
	}
	if data == "" {
		return name
	}
	return name + " " + metrics.Cut(data, max(t.MaxBytes, 1))
}

// redactConnect hides the values of a CONNECT's auth payload:
// 0/chat,{"token":"x"} becomes 0/chat,{"token":"[redacted]"}.
func redactConnect(data string) string {
	i := strings.IndexByte(data, '{')
	if i < 0 {
		return data
	}
	var auth map[string]any
	if json.Unmarshal([]byte(data[i:]), &auth) != nil {
		return data[:i] + redacted
	}
	for k := range auth {
		auth[k] = redacted
	}
	b, _ := json.Marshal(auth)
	return data[:i] + string(b)
}
