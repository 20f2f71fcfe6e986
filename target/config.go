package target

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// DefaultAddr is where the target listens unless told otherwise.
const DefaultAddr = "127.0.0.1:3000"

// DefaultPath is the Engine.IO request path, as in socket.io.
const DefaultPath = wire.DefaultPath

// Config holds the target's knobs. The zero value is usable: every zero field
// takes the default named in its comment.
type Config struct {
	// Addr is the host:port to listen on (default DefaultAddr; port 0 picks a
	// free port). Hosts other than loopback are refused unless AllowRemote.
	Addr string
	// AllowRemote permits listening on a non-loopback address.
	AllowRemote bool
	// ReusePort sets SO_REUSEPORT on the listener, so that several
	// processes serve one port and the kernel spreads new connections over
	// them: a target can then hold more connections than one process may
	// open files.
	ReusePort bool
	// Path is the Engine.IO request path (default DefaultPath).
	Path string
	// EngineVersion is 4 (socket.io 3.x/4.x, the default) or 3 (socket.io
	// 2.x). A server speaks one generation, as the Node servers do.
	EngineVersion wire.EngineVersion
	// Namespaces lists the namespaces accepted besides the main one ("/",
	// which socket.io servers always have); empty accepts every one.
	Namespaces []string
	// AuthToken, when set, refuses namespace connections that do not
	// present it (auth.token in protocol v5, a token query parameter in
	// v4) with CONNECT_ERROR "invalid token", as the Node reference
	// server's --auth-token does.
	AuthToken string
	// Cookie makes the handshake set the cookie io=<sid> (Path=/,
	// HttpOnly, SameSite=Lax), as socket.io's cookie option does, for
	// tests of sticky sessions behind load balancers.
	Cookie bool
	// PingInterval and PingTimeout drive the heartbeat (defaults 25s and
	// 20s, socket.io 4's). In v4 the server pings every PingInterval and
	// closes a session with no pong within PingTimeout; in v3 the client
	// pings and the server closes a session silent for PingInterval +
	// PingTimeout.
	PingInterval time.Duration
	PingTimeout  time.Duration
	// MaxHTTPBufferSize is socket.io's maxHttpBufferSize: the largest
	// websocket message or polling request body accepted, in bytes (default
	// 1e6). Larger ones close the session, as socket.io does.
	MaxHTTPBufferSize int
	// MaxConnections caps the open Engine.IO sessions (0: no cap). New
	// sessions beyond it are refused with HTTP 503.
	MaxConnections int
	// PushInterval, when set, makes every connected socket receive a "tick"
	// event with a counter at this interval, as the Node server's
	// --push-interval does.
	PushInterval time.Duration
	// AckDelay delays every acknowledgement (zero: none). It models a
	// handler's own latency and costs no capacity.
	AckDelay Delay
	// Capacity is the number of events handled per second (0: unlimited).
	// Events beyond it wait in a queue; see QueueLimit.
	Capacity int
	// Burst is how many events may start at once, above the rate, after a
	// quiet spell (default Capacity/10, at least 1): a client's quick
	// succession of emits below capacity does not wait. It does not move
	// the breaking point: sustained, the target handles Capacity events
	// per second.
	Burst int
	// QueueLimit is how many events may wait when Capacity is set (default:
	// Capacity, one second of work). An event arriving at a full queue is
	// shed: an event with an ack id is answered with an error ack
	// ({"error":"overloaded"}), and counted in Stats.Shed either way.
	QueueLimit int
	// WriteTimeout bounds every write to a client (default 10s); a client
	// that does not read within it is disconnected.
	WriteTimeout time.Duration
	// ConnectTimeout closes an Engine.IO session in which no namespace has
	// been joined within it (default 45s, socket.io's connectTimeout), so
	// a client that answers pings but never connects does not stay.
	ConnectTimeout time.Duration
	// ProtocolSuite adds the handlers the official Socket.IO protocol test
	// suite expects of a server: each socket is sent "auth" with its
	// handshake's auth payload on connect, "message" is emitted back as
	// "message-back" with its arguments, and "message-with-ack" is acked
	// with its arguments.
	ProtocolSuite bool
	// EngineOnly serves Engine.IO alone, as the official Engine.IO test
	// suite expects: every message packet is echoed back as it came (text
	// or binary), and nothing is read as Socket.IO.
	EngineOnly bool
}

// withDefaults returns c with every zero field set to its default, or an
// error saying which field is invalid.
func (c Config) withDefaults() (Config, error) {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	c.Path = wire.EnginePath(c.Path)
	switch c.EngineVersion {
	case 0:
		c.EngineVersion = wire.EngineV4
	case wire.EngineV3, wire.EngineV4:
	default:
		return c, fmt.Errorf("engine version %d is not supported: use 3 (socket.io 2.x) or 4 (socket.io 3.x and 4.x)", c.EngineVersion)
	}
	if c.PingInterval == 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = 20 * time.Second
	}
	if c.MaxHTTPBufferSize == 0 {
		c.MaxHTTPBufferSize = 1_000_000
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 45 * time.Second
	}
	if c.Capacity > 0 && c.QueueLimit == 0 {
		c.QueueLimit = c.Capacity
	}
	if c.Capacity > 0 && c.Burst == 0 {
		c.Burst = max(c.Capacity/10, 1)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ping interval", c.PingInterval}, {"ping timeout", c.PingTimeout}, {"write timeout", c.WriteTimeout}, {"push interval", c.PushInterval}, {"connect timeout", c.ConnectTimeout}} {
		if d.v < 0 {
			return c, fmt.Errorf("%s %v is negative: give a positive duration", d.name, d.v)
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"max http buffer size", c.MaxHTTPBufferSize}, {"max connections", c.MaxConnections}, {"capacity", c.Capacity}, {"burst", c.Burst}, {"queue limit", c.QueueLimit}} {
		if n.v < 0 {
			return c, fmt.Errorf("%s %d is negative: give zero or more", n.name, n.v)
		}
	}
	namespaces := make([]string, 0, len(c.Namespaces))
	for _, ns := range c.Namespaces {
		if !strings.HasPrefix(ns, "/") {
			ns = "/" + ns
		}
		namespaces = append(namespaces, ns)
	}
	c.Namespaces = namespaces
	if !c.AllowRemote {
		if err := checkLoopback(c.Addr); err != nil {
			return c, err
		}
	}
	return c, nil
}

// ErrNotLoopback is returned by Start for an address other than loopback
// when Config.AllowRemote is not set.
var ErrNotLoopback = errors.New("the target listens on loopback only")

// checkLoopback accepts only addresses whose host is a loopback IP or
// "localhost". An empty host (every interface) is refused.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w (use host:port, e.g. %s)", addr, err, DefaultAddr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %q is not a loopback address; pass --allow-remote (Config.AllowRemote) to listen on it", ErrNotLoopback, addr)
}

// Delay is a distribution of durations: fixed, uniform over a range, or
// exponential with a mean. The zero value is no delay. It is immutable and
// safe for concurrent use.
type Delay struct {
	kind     delayKind
	min, max time.Duration // fixed: min; uniform: [min, max]; exp: mean in min
}

type delayKind int

const (
	delayFixed delayKind = iota
	delayUniform
	delayExp
)

// ParseDelay reads a delay distribution:
//
//	"" or "0"               no delay
//	"20ms"                  fixed
//	"uniform:10ms-50ms"     uniform between the two bounds
//	"exp:20ms"              exponential with mean 20ms (capped at 20 × mean)
func ParseDelay(s string) (Delay, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Delay{}, nil
	}
	kind, rest, hasKind := strings.Cut(s, ":")
	if !hasKind {
		d, err := parsePositive(s)
		return Delay{kind: delayFixed, min: d}, err
	}
	switch kind {
	case "uniform":
		lo, hi, ok := strings.Cut(rest, "-")
		if !ok {
			return Delay{}, fmt.Errorf("delay %q: write uniform:MIN-MAX, e.g. uniform:10ms-50ms", s)
		}
		min, err := parsePositive(lo)
		if err != nil {
			return Delay{}, fmt.Errorf("delay %q: %w", s, err)
		}
		max, err := parsePositive(hi)
		if err != nil {
			return Delay{}, fmt.Errorf("delay %q: %w", s, err)
		}
		if max < min {
			return Delay{}, fmt.Errorf("delay %q: the maximum is below the minimum", s)
		}
		return Delay{kind: delayUniform, min: min, max: max}, nil
	case "exp":
		mean, err := parsePositive(rest)
		if err != nil {
			return Delay{}, fmt.Errorf("delay %q: %w", s, err)
		}
		return Delay{kind: delayExp, min: mean}, nil
	}
	return Delay{}, fmt.Errorf("delay %q: unknown distribution %q; use a duration (20ms), uniform:10ms-50ms or exp:20ms", s, kind)
}

func parsePositive(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%w (write a duration such as 20ms)", err)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %v is negative", d)
	}
	return d, nil
}

// IsZero reports whether d never delays.
func (d Delay) IsZero() bool { return d.kind == delayFixed && d.min == 0 }

// Sample draws one duration from the distribution.
func (d Delay) Sample() time.Duration {
	switch d.kind {
	case delayUniform:
		if d.max == d.min {
			return d.min
		}
		return d.min + rand.N(d.max-d.min+1)
	case delayExp:
		v := time.Duration(rand.ExpFloat64() * float64(d.min))
		return min(v, 20*d.min)
	}
	return d.min
}

// String returns the form ParseDelay reads.
func (d Delay) String() string {
	switch d.kind {
	case delayUniform:
		return fmt.Sprintf("uniform:%v-%v", d.min, d.max)
	case delayExp:
		return fmt.Sprintf("exp:%v", d.min)
	}
	return d.min.String()
}
