package socketio

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// Disconnect reasons, spelled as socket.io-client spells them. Every
// disconnect reported to Options.OnDisconnect carries one of them.
const (
	// ReasonServerDisconnect: the server disconnected the socket
	// (socket.disconnect() on the server). No reconnection follows.
	ReasonServerDisconnect = "io server disconnect"
	// ReasonClientDisconnect: Socket.Close or Manager.Close. No
	// reconnection follows.
	ReasonClientDisconnect = "io client disconnect"
	// ReasonPingTimeout: no heartbeat within pingInterval + pingTimeout.
	ReasonPingTimeout = "ping timeout"
	// ReasonTransportClose: the server or the network closed the
	// connection (this is also what a server restart looks like).
	ReasonTransportClose = "transport close"
	// ReasonTransportError: a read or write failed (including write
	// timeouts, refused polls and messages over MaxReadBytes).
	ReasonTransportError = "transport error"
	// ReasonParseError: the server sent something that is not Engine.IO or
	// Socket.IO.
	ReasonParseError = "parse error"
)

// Transport names, for Options.Transports.
const (
	TransportPolling   = "polling"
	TransportWebsocket = "websocket"
)

// Defaults applied to zero fields of Options; they are socket.io-client's
// where it has one.
const (
	DefaultPath                 = wire.DefaultPath
	DefaultConnectTimeout       = 20 * time.Second
	DefaultWriteTimeout         = 10 * time.Second
	DefaultReconnectionDelay    = time.Second
	DefaultReconnectionDelayMax = 5 * time.Second
	DefaultRandomizationFactor  = 0.5
	// DefaultMaxReadBytes bounds one received websocket message or polling
	// response: 16 times the server's own default inbound limit (1 MB),
	// and small enough that thousands of clients cannot be made to allocate
	// without bound.
	DefaultMaxReadBytes = 16 << 20
)

// Errors returned by the client; test with errors.Is.
var (
	// ErrNotConnected is returned by emits on a socket that is not
	// connected (never connected, disconnected, or reconnecting for longer
	// than Options.ReconnectWait).
	ErrNotConnected = errors.New("socketio: socket is not connected")
	// ErrReconnectWait is returned by an emit that waited
	// Options.ReconnectWait for the reconnection in vain; it matches
	// ErrNotConnected too.
	ErrReconnectWait = fmt.Errorf("%w: not reconnected within Options.ReconnectWait", ErrNotConnected)
	// ErrClosed is returned after Manager.Close.
	ErrClosed = errors.New("socketio: manager is closed")
	// ErrPayloadTooLarge matches *PayloadTooLargeError.
	ErrPayloadTooLarge = errors.New("socketio: payload exceeds the server's maxPayload")
	// ErrSessionUnknown matches an *EngineIOError for Engine.IO's 400
	// {"code":1,"message":"Session ID unknown"}: a request of an open
	// session reached a server that does not hold it. Behind a load
	// balancer it means the balancer is not sticky.
	ErrSessionUnknown = errors.New("socketio: the server does not know this Engine.IO session (Session ID unknown)")
)

// PayloadTooLargeError is returned, before anything is sent, by an emit whose
// encoded message is larger than the maxPayload the server announced in its
// handshake (Engine.IO v4). The connection stays up.
type PayloadTooLargeError struct {
	Size       int // bytes of the encoded message
	MaxPayload int // the server's limit
}

func (e *PayloadTooLargeError) Error() string {
	return fmt.Sprintf("socketio: message of %d bytes exceeds the server's maxPayload of %d bytes; "+
		"send less, or raise the server's maxHttpBufferSize option", e.Size, e.MaxPayload)
}

// Is makes errors.Is(err, ErrPayloadTooLarge) true.
func (e *PayloadTooLargeError) Is(target error) bool { return target == ErrPayloadTooLarge }

// NoAckError is returned by EmitWithAck when the event was sent but its
// ack never came: the context ended or the connection closed first. The
// emit happened; only its answer is missing.
type NoAckError struct {
	Event, Namespace string
	SentAt           time.Time // when the event was written
	Err              error     // why the wait ended
}

func (e *NoAckError) Error() string {
	return fmt.Sprintf("socketio: no ack for %q on %s: %v", e.Event, e.Namespace, e.Err)
}

func (e *NoAckError) Unwrap() error { return e.Err }

// Kinds of UpgradeError besides "http_<status>" (the server, or a proxy,
// answered the websocket handshake with that HTTP status instead of 101).
const (
	UpgradeConnectionFailed = "connection_failed"
	UpgradeNoProbeAnswer    = "no_probe_answer"
	// UpgradeSessionUnknown: the websocket handshake reached a server
	// that does not hold the session (a balancer that is not sticky).
	UpgradeSessionUnknown = "session_unknown"
)

// UpgradeError is a failed upgrade from polling to websocket: the
// connection stays on polling. Kind is one of a small set (UpgradeNoProbeAnswer,
// UpgradeConnectionFailed, "http_<status>"), fit for a metric name; Err
// says more.
type UpgradeError struct {
	Kind string
	Err  error
}

func (e *UpgradeError) Error() string {
	return "upgrade to websocket failed (" + e.Kind + "): " + e.Err.Error()
}
func (e *UpgradeError) Unwrap() error { return e.Err }

// ConnectError is the server's refusal of a namespace (a CONNECT_ERROR
// packet, usually from a middleware: next(new Error("invalid token"))).
type ConnectError struct {
	Namespace string
	// Message is the server's message, e.g. "invalid token".
	Message string
	// Data is the error's data field as raw JSON (protocol v5), if any.
	Data []byte
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("socketio: server refused namespace %s: %s", e.Namespace, e.Message)
}

// Options configures a Manager. The zero value connects like
// socket.io-client with its defaults: Engine.IO v4, polling upgraded to
// websocket, path /socket.io/, 20 s connect timeout, reconnection with
// exponential backoff (1 s .. 5 s, factor 0.5 jitter) and no attempt limit.
//
// Callbacks are called from the client's goroutines (the connection's reader
// or a timer), never with a lock held; they must return quickly.
type Options struct {
	// EngineVersion is wire.EngineV4 (socket.io 3.x/4.x servers, the
	// default) or wire.EngineV3 (socket.io 2.x servers, Socket.IO protocol
	// v4).
	EngineVersion wire.EngineVersion
	// Transports lists the transports to use, the first one for the
	// handshake. The default, ["polling", "websocket"], opens with polling
	// and upgrades to websocket; ["websocket"] connects directly.
	Transports []string
	// Path is the server's Engine.IO path (default "/socket.io/").
	Path string
	// Query is added to every request's query string.
	Query url.Values
	// ExtraHeaders are sent with every polling request and with the
	// websocket handshake.
	ExtraHeaders http.Header
	// Auth is sent with each namespace CONNECT (protocol v5). socket.io 2.x
	// has no auth payload, so with EngineV3 its entries are added to the
	// query string instead, where 2.x middlewares read them
	// (socket.handshake.query).
	Auth map[string]any

	// ConnectTimeout bounds Socket.Connect and each reconnection attempt
	// (default 20 s).
	ConnectTimeout time.Duration
	// AckTimeout bounds EmitWithAck when its context has no deadline
	// (default: no bound beyond the context).
	AckTimeout time.Duration
	// WriteTimeout bounds every write (default 10 s); a write that times
	// out closes the connection with ReasonTransportError.
	WriteTimeout time.Duration

	// DisableReconnection turns reconnection off (socket.io-client's
	// reconnection: false).
	DisableReconnection bool
	// ReconnectionAttempts limits consecutive failed attempts (default 0:
	// no limit).
	ReconnectionAttempts int
	// ReconnectionDelay is the first backoff delay (default 1 s), doubled
	// after each failed attempt up to ReconnectionDelayMax (default 5 s).
	ReconnectionDelay, ReconnectionDelayMax time.Duration
	// RandomizationFactor is the backoff jitter (default 0.5); a negative
	// value means none.
	RandomizationFactor float64
	// ReconnectWait is how long an emit on a socket whose connection was
	// lost waits for the reconnection before it is sent, as
	// socket.io-client buffers emits while disconnected. 0 (the default)
	// fails such an emit at once with ErrNotConnected, so that a caller
	// may count it instead of sending it late.
	ReconnectWait time.Duration

	// ForceNew gives each Socket of the Manager its own Engine.IO
	// connection (socket.io-client's forceNew / multiplex: false).
	ForceNew bool

	// SendOverMaxPayload sends a message larger than the maxPayload the
	// server announced instead of failing it with a PayloadTooLargeError:
	// for a test of the server's own limit. The server then closes the
	// connection, and the disconnect says so (a websocket close 1009,
	// "message too big").
	SendOverMaxPayload bool

	// InsecureSkipVerify disables TLS certificate verification. Off by
	// default; only for targets with self-signed certificates.
	InsecureSkipVerify bool
	// MaxReadBytes bounds one received websocket message or polling
	// response body (default DefaultMaxReadBytes). A larger one closes the
	// connection with ReasonTransportError.
	MaxReadBytes int64
	// Jar holds the connection's cookies (the handshake sends them, and
	// keeps what the server sets). Nil gives the Manager a jar of its own;
	// share one jar with an HTTP client to make a session cookie set by a
	// login reach the handshake, as a browser does.
	Jar http.CookieJar
	// AllowCrossHostRedirects lets polling follow an HTTP redirect to
	// another host (scheme, name or port). By default only redirects
	// within the target's host are followed, at most 10, and never for a
	// POST (it would lose its body); a refused one fails the request and
	// says where it pointed.
	AllowCrossHostRedirects bool
	// ReadBudget, when set, bounds the memory that reads of large messages
	// may hold at once across every Manager sharing it (see ReadBudget).
	ReadBudget *ReadBudget
	// DeferWatch leaves a websocket connection that Socket.Connect opens
	// off the process's poller once Connect has read the namespace's
	// answer: until Socket.Watch, only the goroutines waiting on it for
	// acks (EmitWithAck) read it. That saves the poller's registration of
	// the connection and its two changes per ack (the disarm for the ack
	// waiter's read, the re-arm after it) for a client that connects,
	// awaits acks and leaves; but while nobody waits, nothing is read:
	// pings go unanswered and events undelivered. Call Watch before
	// anything else.
	// A reconnected connection is watched at once.
	DeferWatch bool
	// DialContext opens TCP connections (default net.Dialer). Set it to
	// choose the source address, e.g.
	// (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}).DialContext.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// OnConnect is called when a socket has joined its namespace, at first
	// and after each reconnection.
	OnConnect func(namespace string)
	// OnConnectError is called when the server refuses a namespace,
	// including a re-join after reconnection.
	OnConnectError func(namespace string, err error)
	// OnDisconnect is called when a connected socket disconnects, with one
	// of the Reason constants; err carries the cause when there is one.
	OnDisconnect func(namespace, reason string, err error)
	// OnReconnectAttempt is called before each reconnection attempt
	// (attempt counts from 1).
	OnReconnectAttempt func(attempt int)
	// OnReconnectError is called when an attempt fails.
	OnReconnectError func(attempt int, err error)
	// OnReconnect is called when the Engine.IO connection is back; the
	// namespaces are re-joined right after (see OnConnect).
	OnReconnect func(attempt int)
	// OnReconnectFailed is called when ReconnectionAttempts are exhausted.
	OnReconnectFailed func()
	// OnOpen is called when an Engine.IO connection opens (the first and
	// every reconnection), before its namespaces are joined, with the
	// transport of its handshake and the header of the handshake's HTTP
	// response (where a load balancer may name the backend).
	OnOpen func(transport string, header http.Header)
	// OnUpgrade is called once for each connection opened with polling
	// that tries to upgrade to websocket: with nil when it upgraded, with
	// the *UpgradeError when it stays on polling. A connection that closes
	// during its upgrade reports nothing.
	OnUpgrade func(err *UpgradeError)
	// Trace, when set, is called with every HTTP request of the handshake
	// and of polling (with its status) and every Engine.IO packet sent or
	// received, on the goroutine that sends or reads it; it must return
	// quickly and must not keep the event's Data. For tracing a few
	// connections: it is not meant for every VU of a load.
	Trace func(TraceEvent)
}

// config is Options with defaults applied and the server address parsed.
// The Options are shared by every config prepared from the same ones and
// never modified once made; the fields each connection may have of its own
// (see Prepared.NewManager) are config's, and shadow those of Options,
// which newConfig clears.
type config struct {
	*Options
	base *url.URL // scheme http or https, host, no path; never modified
	// basicAuth is the Authorization header of credentials written in the
	// server URL, "" when there are none.
	basicAuth string

	Query              url.Values
	ExtraHeaders       http.Header
	Auth               map[string]any
	Jar                http.CookieJar
	Trace              func(TraceEvent)
	OnConnect          func(namespace string)
	OnConnectError     func(namespace string, err error)
	OnDisconnect       func(namespace, reason string, err error)
	OnReconnectAttempt func(attempt int)
	OnReconnectError   func(attempt int, err error)
	OnReconnect        func(attempt int)
	OnReconnectFailed  func()
	OnOpen             func(transport string, header http.Header)
	OnUpgrade          func(err *UpgradeError)

	// requestPath is Path as a request's target writes it (escaped), and
	// wsOpenQuery the query of a websocket that opens a session: each
	// connection and reconnection writes them, so they are made once, by
	// newConfig and, as the query may change, by Prepared.NewManager.
	requestPath, wsOpenQuery string
}

// setConnection sets the fields of conn that are each connection's own
// (Query, ExtraHeaders with the URL's credentials added, Auth, Jar, Trace
// and the callbacks).
func (c *config) setConnection(conn *Options) {
	c.Query, c.Auth, c.Jar, c.Trace = conn.Query, conn.Auth, conn.Jar, conn.Trace
	c.ExtraHeaders = withBasicAuth(conn.ExtraHeaders, c.basicAuth)
	c.OnConnect, c.OnConnectError, c.OnDisconnect = conn.OnConnect, conn.OnConnectError, conn.OnDisconnect
	c.OnReconnectAttempt, c.OnReconnectError, c.OnReconnect = conn.OnReconnectAttempt, conn.OnReconnectError, conn.OnReconnect
	c.OnReconnectFailed, c.OnOpen, c.OnUpgrade = conn.OnReconnectFailed, conn.OnOpen, conn.OnUpgrade
}

// Prepared is a server address and Options checked, parsed and completed
// with defaults once, for making many Managers of the same options cheaply
// (NewManager does all that on every call). It is immutable and safe for
// concurrent use.
type Prepared struct{ cfg config }

// Prepare checks serverURL and opts as NewManager does and returns them
// ready for Prepared.NewManager.
func Prepare(serverURL string, opts Options) (*Prepared, error) {
	c, err := newConfig(serverURL, opts)
	if err != nil {
		return nil, err
	}
	return &Prepared{cfg: *c}, nil
}

// NewManager returns an idle Manager with p's options, except the ones
// each connection may have of its own, which it takes from conn: Query,
// ExtraHeaders, Auth, Jar, Trace and the callbacks (OnConnect ..
// OnUpgrade). conn's other fields are not used. The result is the Manager
// NewManager would return for p's server URL and options with those fields
// replaced.
func (p *Prepared) NewManager(conn Options) *Manager {
	c := p.cfg
	c.setConnection(&conn)
	c.wsOpenQuery = c.engineQuery(c.base, TransportWebsocket, "")
	return newManager(&c, c.ForceNew)
}

// clearConnection clears the fields config has of its own, so that the
// shared Options hold none of the first connection's.
func (o *Options) clearConnection() {
	o.Query, o.ExtraHeaders, o.Auth, o.Jar, o.Trace = nil, nil, nil, nil, nil
	o.OnConnect, o.OnConnectError, o.OnDisconnect = nil, nil, nil
	o.OnReconnectAttempt, o.OnReconnectError, o.OnReconnect = nil, nil, nil
	o.OnReconnectFailed, o.OnOpen, o.OnUpgrade = nil, nil, nil
}

// withBasicAuth is h with the Authorization header auth added, unless
// auth is "" or h has one already; h itself is not modified.
func withBasicAuth(h http.Header, auth string) http.Header {
	if auth == "" || h.Get("Authorization") != "" {
		return h
	}
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Authorization", auth)
	return h
}

// defaultDialers are the net.Dialers of the default DialContext, one per
// connect timeout, shared by every config (a Dialer is not modified by
// dialing). They turn TCP keep-alive off: Engine.IO's heartbeat already
// finds a dead peer (the liveness timeout) and keeps a quiet connection's
// path busy more often than keep-alive probes would, and turning it on
// took four setsockopt calls per connection.
var defaultDialers sync.Map // time.Duration -> *net.Dialer

func defaultDialContext(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d, ok := defaultDialers.Load(timeout)
	if !ok {
		d, _ = defaultDialers.LoadOrStore(timeout, &net.Dialer{Timeout: timeout, KeepAlive: -1})
	}
	return d.(*net.Dialer).DialContext
}

func newConfig(rawURL string, opts Options) (*config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("socketio: server URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "http"
	case "https", "wss":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("socketio: server URL %q: scheme must be http, https, ws or wss", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("socketio: server URL %q has no host", rawURL)
	}
	shared := opts
	c := &config{Options: &shared, base: u}
	if u.User != nil {
		// Credentials in the URL travel as a Basic Authorization header
		// on every transport (gorilla refuses such a URL) and never in
		// a URL that could end up in a message.
		pass, _ := u.User.Password()
		c.basicAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass))
		u.User = nil
	}
	c.setConnection(&opts)
	shared.clearConnection()
	if c.EngineVersion == 0 {
		c.EngineVersion = wire.EngineV4
	}
	if c.EngineVersion != wire.EngineV3 && c.EngineVersion != wire.EngineV4 {
		return nil, fmt.Errorf("socketio: Engine.IO version %d is not supported (use 3 or 4)", c.EngineVersion)
	}
	if len(c.Transports) == 0 {
		c.Transports = []string{TransportPolling, TransportWebsocket}
	}
	for _, t := range c.Transports {
		if t != TransportPolling && t != TransportWebsocket {
			return nil, fmt.Errorf("socketio: unknown transport %q (use %q or %q)", t, TransportPolling, TransportWebsocket)
		}
	}
	c.Path = wire.EnginePath(c.Path)
	c.ConnectTimeout = orDefault(c.ConnectTimeout, DefaultConnectTimeout)
	c.WriteTimeout = orDefault(c.WriteTimeout, DefaultWriteTimeout)
	c.ReconnectionDelay = orDefault(c.ReconnectionDelay, DefaultReconnectionDelay)
	c.ReconnectionDelayMax = orDefault(c.ReconnectionDelayMax, DefaultReconnectionDelayMax)
	switch {
	case c.RandomizationFactor == 0:
		c.RandomizationFactor = DefaultRandomizationFactor
	case c.RandomizationFactor < 0:
		c.RandomizationFactor = 0
	case c.RandomizationFactor > 1:
		c.RandomizationFactor = 1
	}
	if c.MaxReadBytes <= 0 {
		c.MaxReadBytes = DefaultMaxReadBytes
	}
	if c.DialContext == nil {
		c.DialContext = defaultDialContext(c.ConnectTimeout)
	}
	c.requestPath = (&url.URL{Path: c.Path}).EscapedPath()
	c.wsOpenQuery = c.engineQuery(c.base, TransportWebsocket, "")
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (c *config) allows(transport string) bool { return slices.Contains(c.Transports, transport) }

func (c *config) tlsConfig() *tls.Config {
	if c.InsecureSkipVerify {
		return &tls.Config{InsecureSkipVerify: true}
	}
	return nil
}

// engineURL is the Engine.IO endpoint for transport, with the session id when
// sid is not empty.
func (c *config) engineURL(transport, sid string) string {
	return c.engineURLAt(c.base, transport, sid)
}

// engineURLAt is engineURL on another host (where a followed cross-host
// redirect of the handshake led).
func (c *config) engineURLAt(base *url.URL, transport, sid string) string {
	u := *base
	u.Path = c.Path
	u.RawPath = ""
	u.RawQuery = c.engineQuery(base, transport, sid)
	if transport == TransportWebsocket {
		if u.Scheme == "https" {
			u.Scheme = "wss"
		} else {
			u.Scheme = "ws"
		}
	}
	return u.String()
}

// wsQuery is the query of the websocket handshake for the session sid
// ("" to open one).
func (c *config) wsQuery(sid string) string {
	if sid == "" && c.wsOpenQuery != "" {
		return c.wsOpenQuery
	}
	return c.engineQuery(c.base, TransportWebsocket, sid)
}

// engineQuery is the query string of engineURLAt: base's own query, Query,
// (in Engine.IO v3) Auth, and the Engine.IO parameters, encoded as
// url.Values does (sorted by key).
func (c *config) engineQuery(base *url.URL, transport, sid string) string {
	if base.RawQuery == "" && len(c.Query) == 0 && (c.EngineVersion != wire.EngineV3 || len(c.Auth) == 0) {
		// The parameters alone, in url.Values' order: "EIO" sorts before
		// "b64", "sid" and "transport".
		q := "EIO=" + strconv.Itoa(int(c.EngineVersion))
		if c.EngineVersion == wire.EngineV3 && transport == TransportPolling {
			q += "&b64=1"
		}
		if sid != "" {
			q += "&sid=" + url.QueryEscape(sid)
		}
		return q + "&transport=" + url.QueryEscape(transport)
	}
	q := url.Values{}
	for k, v := range base.Query() {
		q[k] = v
	}
	for k, v := range c.Query {
		q[k] = v
	}
	if c.EngineVersion == wire.EngineV3 {
		for k, v := range c.Auth {
			q.Set(k, fmt.Sprint(v))
		}
		if transport == TransportPolling {
			q.Set("b64", "1")
		}
	}
	q.Set("EIO", fmt.Sprint(int(c.EngineVersion)))
	q.Set("transport", transport)
	if sid != "" {
		q.Set("sid", sid)
	}
	return q.Encode()
}
