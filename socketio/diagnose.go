package socketio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// NotSocketIOError is an answer to an Engine.IO request that no Socket.IO
// server gives: a 404, an HTML page, a body that is not Engine.IO. The
// target is another kind of server, or config's path is wrong.
type NotSocketIOError struct {
	// Request is the request's method and path ("GET /socket.io/").
	Request string
	// Status is the HTTP status code (0: the request succeeded but the body
	// is not Engine.IO).
	Status      int
	ContentType string
	// Start is the first bytes of the body (at most 80), a copy.
	Start []byte
}

func (e *NotSocketIOError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "this is not a Socket.IO server: %s answered", e.Request)
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.ContentType != "" {
		fmt.Fprintf(&b, " (%s)", e.ContentType)
	}
	fmt.Fprintf(&b, " %q", e.Start)
	b.WriteString("; check the target's address and config.socketio.path")
	return b.String()
}

// EngineIOError is an Engine.IO server's refusal of a request: an HTTP 400
// or 403 whose body is {"code": N, "message": "..."}.
type EngineIOError struct {
	Status  int
	Code    int
	Message string
}

// Engine.IO's error codes, as its servers number them.
// Names are the servers' own messages, which operators find in their logs.
var engineIOErrors = []struct{ name, hint string }{
	0: {"Transport unknown", "the server does not allow this transport: change config.socketio.transports"},
	1: {"Session ID unknown", "the server does not know the session: it restarted, ended the session, or a load balancer sent the request to another node (make it sticky)"},
	2: {"Bad handshake method", "the server refused the handshake's method"},
	3: {"Bad request", "the server refused the request (its allowRequest or a middleware)"},
	4: {"Forbidden", "the server's allowRequest refused the request"},
	5: {"Unsupported protocol version", "the server speaks another Engine.IO version: set config.socketio.serverVersion (2 for socket.io 2.x servers)"},
}

// Name is the error's name, Engine.IO's own message for its code ("Session
// ID unknown"), or "engine.io error" for a code Engine.IO does not define.
func (e *EngineIOError) Name() string {
	if e.Code >= 0 && e.Code < len(engineIOErrors) {
		return engineIOErrors[e.Code].name
	}
	return "engine.io error"
}

// Is makes errors.Is(err, ErrSessionUnknown) true for code 1.
func (e *EngineIOError) Is(target error) bool { return target == ErrSessionUnknown && e.Code == 1 }

func (e *EngineIOError) Error() string {
	msg := fmt.Sprintf("Engine.IO refused the request: %s (code %d, %q, HTTP %d)", e.Name(), e.Code, e.Message, e.Status)
	if e.Code >= 0 && e.Code < len(engineIOErrors) {
		msg += ": " + engineIOErrors[e.Code].hint
	}
	return msg
}

// EngineIOErrorNames lists the names EngineIOError.Name may return.
func EngineIOErrorNames() []string {
	names := []string{"engine.io error"}
	for _, e := range engineIOErrors {
		names = append(names, e.name)
	}
	return names
}

// httpAnswerError explains a non-200 answer to an Engine.IO request: the
// server's Engine.IO refusal, or a server that is not Socket.IO's.
func httpAnswerError(method, path string, resp *http.Response, body []byte) error {
	body = bytes.TrimSpace(body)
	var ee struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &ee) == nil && ee.Code != nil {
		return &EngineIOError{Status: resp.StatusCode, Code: *ee.Code, Message: ee.Message}
	}
	return &NotSocketIOError{Request: method + " " + path, Status: resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"), Start: bytes.Clone(truncate(body, 80))}
}

// v3Payload matches the start of an Engine.IO v3 polling payload,
// "<length>:<packet>", as a socket.io 2.x server answers a handshake.
var v3Payload = regexp.MustCompile(`^[0-9]+:[0-6]`)

// ProbeResult is what Probe learnt of a server.
type ProbeResult struct {
	// EngineVersion is the version the server speaks.
	EngineVersion wire.EngineVersion
	// Transport is the transport of the handshake.
	Transport string
}

// Probe opens one Engine.IO session with the server as opts describe
// (the first of opts.Transports), finds which Engine.IO version it speaks,
// and closes the session. It asks for version 4, which socket.io 2.x
// servers answer in version 3's format: over polling its payload is
// "<length>:<packet>"; over websocket its handshake has no maxPayload and
// the automatic CONNECT of the main namespace follows at once. It fails
// with a *NotSocketIOError, an *EngineIOError or the network's error.
// opts.EngineVersion is ignored.
func Probe(ctx context.Context, serverURL string, opts Options) (ProbeResult, error) {
	opts.EngineVersion = wire.EngineV4
	cfg, err := newConfig(serverURL, opts)
	if err != nil {
		return ProbeResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	if cfg.Transports[0] == TransportWebsocket {
		v, err := probeWebsocket(ctx, cfg)
		return ProbeResult{EngineVersion: v, Transport: TransportWebsocket}, err
	}
	v, err := probePolling(ctx, cfg)
	return ProbeResult{EngineVersion: v, Transport: TransportPolling}, err
}

func probePolling(ctx context.Context, cfg *config) (wire.EngineVersion, error) {
	client := newHTTPClient(cfg, newJar())
	defer client.CloseIdleConnections()
	body, _, err := pollGet(ctx, client, cfg, stampedURL(cfg.engineURL(TransportPolling, "")), nil)
	if err != nil {
		return 0, err
	}
	defer putBuffer(body)
	v := wire.EngineV4
	if v3Payload.Match(body.b) {
		v = wire.EngineV3
	}
	var hs wire.Handshake
	opened := false
	err = wire.DecodePayload(v, body.b, int(cfg.MaxReadBytes), func(p wire.Packet) error {
		if !opened {
			opened = true
			if p.Type != wire.Open {
				return fmt.Errorf("expected the Engine.IO open packet, got type %d", p.Type)
			}
			var err error
			hs, err = wire.ParseHandshake(p.Data)
			return err
		}
		return nil
	})
	if err != nil || !opened {
		return 0, notEngineIO("GET "+cfg.Path, body.b)
	}
	// End the session at once rather than let the server time it out.
	c := *cfg
	c.EngineVersion = v
	closeBody := wire.AppendPayload(v, nil, []wire.Packet{{Type: wire.Close}})
	if req, err := http.NewRequestWithContext(ctx, http.MethodPost, stampedURL(c.engineURL(TransportPolling, hs.SID)), bytes.NewReader(closeBody)); err == nil {
		addHeaders(req, cfg.ExtraHeaders)
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 512))
			resp.Body.Close()
		}
	}
	return v, nil
}

// rootConnectWait is how long a websocket probe waits for a socket.io 2.x
// server's automatic CONNECT after a handshake without maxPayload (older
// socket.io 3/4 servers send none either, and then nothing until the
// client's CONNECT).
const rootConnectWait = 500 * time.Millisecond

func probeWebsocket(ctx context.Context, cfg *config) (wire.EngineVersion, error) {
	ws, err := dialWebsocket(ctx, cfg, newJar(), "")
	if err != nil {
		return 0, err
	}
	defer ws.close(false)
	var hs wire.Handshake
	err = ws.readWithin(ctx, func(_ time.Time, p wire.Packet) error {
		if p.Type != wire.Open {
			return fmt.Errorf("expected the Engine.IO open packet, got type %d", p.Type)
		}
		var err error
		hs, err = wire.ParseHandshake(p.Data)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("socketio: websocket handshake with %s: %w", cfg.base.Host, err)
	}
	if hs.MaxPayload > 0 {
		return wire.EngineV4, nil
	}
	wait, cancel := context.WithTimeout(ctx, rootConnectWait)
	defer cancel()
	v := wire.EngineV4
	_ = ws.readWithin(wait, func(_ time.Time, p wire.Packet) error {
		if p.Type == wire.Message && string(p.Data) == "0" {
			v = wire.EngineV3
		}
		return nil
	})
	return v, nil
}

// notEngineIO is a 200 answer whose body is not Engine.IO.
func notEngineIO(request string, body []byte) error {
	return &NotSocketIOError{Request: request, Start: bytes.Clone(truncate(bytes.TrimSpace(body), 80))}
}

// wsHandshakeError explains a refused websocket handshake.
func wsHandshakeError(cfg *config, resp *http.Response, err error) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return fmt.Errorf("socketio: websocket handshake with %s: %w", cfg.base.Host, err)
	}
	return fmt.Errorf("socketio: websocket handshake with %s: %w", cfg.base.Host, httpAnswerError("GET", cfg.Path+" (websocket)", resp, body))
}

// ErrEngineV3 is returned by a handshake in Engine.IO 4 that a socket.io 2.x
// server answered in Engine.IO 3.
var ErrEngineV3 = errors.New("the server speaks Engine.IO 3 (socket.io 2.x): set config.socketio.serverVersion: 2, or leave serverVersion out to let sockload detect it")

// httpStatusOf returns the HTTP status of a request the server refused
// (an *EngineIOError or a *NotSocketIOError with a status).
func httpStatusOf(err error) (int, bool) {
	var ee *EngineIOError
	if errors.As(err, &ee) {
		return ee.Status, true
	}
	var ns *NotSocketIOError
	if errors.As(err, &ns) && ns.Status != 0 {
		return ns.Status, true
	}
	return 0, false
}
