package socketio

import (
	"net/http"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// TraceEvent is one thing a traced connection did on the wire (see
// Options.Trace): an HTTP request of the handshake or of polling, with its
// status, or one Engine.IO packet sent or received. The client only
// reports; what to print, cut or hide is the caller's choice.
type TraceEvent struct {
	At time.Time
	// Sent is true for what the client sent, false for what it received.
	Sent bool
	// Transport is "polling" or "websocket".
	Transport string

	// HTTP: Method and URL of a request, Status the response's code (0
	// when the request failed, with Err).
	Method, URL string
	Status      int
	Err         error

	// A packet (Method is ""): its Engine.IO type and data, valid only
	// during the call. Binary tells a binary attachment.
	Type   wire.PacketType
	Data   []byte
	Binary bool
}

// IsPacket reports whether the event is a packet rather than a request.
func (e TraceEvent) IsPacket() bool { return e.Method == "" }

// tracePackets reports packets to the trace hook, if there is one.
func (c *config) tracePackets(sent bool, transport string, pkts ...wire.Packet) {
	if c.Trace == nil {
		return
	}
	now := time.Now()
	for _, p := range pkts {
		c.Trace(TraceEvent{At: now, Sent: sent, Transport: transport, Type: p.Type, Data: p.Data, Binary: p.Binary})
	}
}

// traceRequest reports an HTTP request to the trace hook, if there is one.
func (c *config) traceRequest(transport, method, url string, resp *http.Response, err error) {
	if c.Trace == nil {
		return
	}
	ev := TraceEvent{At: time.Now(), Sent: true, Transport: transport, Method: method, URL: url, Err: err}
	if resp != nil {
		ev.Status = resp.StatusCode
	}
	c.Trace(ev)
}

// tracingRoundTripper reports every polling request.
type tracingRoundTripper struct {
	cfg  *config
	next http.RoundTripper
}

func (t *tracingRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	t.cfg.traceRequest(TransportPolling, req.Method, req.URL.String(), resp, err)
	return resp, err
}
