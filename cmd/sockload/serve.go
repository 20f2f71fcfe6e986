package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockload/sockload/socketio/wire"
	"github.com/sockload/sockload/target"
)

// serveFlags are the command-line knobs of `sockload serve`; toConfig turns
// them into a target.Config.
type serveFlags struct {
	addr              string
	allowRemote       bool
	reusePort         bool
	path              string
	eio               int
	namespaces        string
	authToken         string
	cookie            bool
	pingInterval      time.Duration
	pingTimeout       time.Duration
	maxHTTPBufferSize int
	maxConnections    int
	pushInterval      time.Duration
	connectTimeout    time.Duration
	protocolSuite     bool
	engineOnly        bool
	ackDelay          string
	capacity          int
	burst             int
	queue             int
}

func newServeCommand(pio *processIO) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the built-in Socket.IO target",
		Long: `Run the built-in Socket.IO target: a real Socket.IO server to point a
scenario at, with nothing else installed. It speaks Engine.IO v4 (socket.io
3.x/4.x clients) or, with --eio 3, Engine.IO v3 (socket.io 2.x clients),
over websocket and HTTP long-polling with upgrade.

Its handlers are those of the project's reference server: "ping" acks
"pong", "echo" acks its arguments (binary included), "echo-event" emits
"echo" back, "push" (event, count) emits count events, "join" (room) and
"broadcast" (room, event, args...), "handshake" acks what the server saw,
"disconnect-me" closes the connection; any other event (such as "hello")
is counted and not acknowledged. GET /__stats returns the counters.

--capacity N makes it handle N events per second (short bursts of --burst
start at once): faster arrivals wait in a queue (latency grows) and, past
--queue waiting events, are shed with an error ack {"error":"overloaded"}.
Its breaking point is N events/s.

--ack-delay takes a fixed duration (20ms), a uniform range
(uniform:10ms-50ms) or an exponential mean (exp:20ms).

It listens on loopback only unless --allow-remote is given, and runs until
interrupted (Ctrl-C), then exits 0.`,
		Example: `  sockload serve
  sockload serve --capacity 500 --ack-delay uniform:5ms-20ms
  sockload serve --eio 3 --addr 127.0.0.1:4000 --push-interval 1s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.toConfig()
			if err != nil {
				return withExit(exitInvalid, err)
			}
			return runServe(pio, cfg)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", target.DefaultAddr, "address to listen on (host:port; port 0 picks a free one)")
	fl.BoolVar(&f.allowRemote, "allow-remote", false, "allow listening on a non-loopback address")
	fl.BoolVar(&f.reusePort, "reuse-port", false, "share the port with other sockload serve processes (SO_REUSEPORT), to hold more connections than one process may open files")
	fl.StringVar(&f.path, "path", target.DefaultPath, "Engine.IO request path")
	fl.IntVar(&f.eio, "eio", 4, "Engine.IO protocol: 4 (socket.io 3.x/4.x) or 3 (socket.io 2.x)")
	fl.StringVar(&f.namespaces, "namespaces", "", "comma-separated namespaces to accept (default: any)")
	fl.StringVar(&f.authToken, "auth-token", "", "refuse namespace connections without this token (auth.token, or a token query parameter)")
	fl.BoolVar(&f.cookie, "cookie", false, "set the io=<sid> cookie on the handshake, as socket.io's cookie option does")
	fl.DurationVar(&f.pingInterval, "ping-interval", 25*time.Second, "heartbeat interval")
	fl.DurationVar(&f.pingTimeout, "ping-timeout", 20*time.Second, "heartbeat timeout")
	fl.IntVar(&f.maxHTTPBufferSize, "max-http-buffer-size", 1_000_000, "largest message or polling body accepted, in bytes; larger ones close the connection")
	fl.IntVar(&f.maxConnections, "max-connections", 0, "most connections open at once; more are refused with HTTP 503 (0: no limit)")
	fl.DurationVar(&f.pushInterval, "push-interval", 0, `emit "tick" to every socket at this interval (0: never)`)
	fl.DurationVar(&f.connectTimeout, "connect-timeout", 45*time.Second, "close a connection that joins no namespace within this time")
	fl.BoolVar(&f.protocolSuite, "protocol-suite", false, `the handlers the official Socket.IO protocol test suite expects: "auth" sent on connect, "message" emitted back as "message-back", "message-with-ack" acked`)
	fl.BoolVar(&f.engineOnly, "engine-only", false, "serve Engine.IO alone, echoing every message, as the official Engine.IO test suite expects")
	fl.StringVar(&f.ackDelay, "ack-delay", "0", "delay before each ack: 20ms, uniform:10ms-50ms or exp:20ms")
	fl.IntVar(&f.capacity, "capacity", 0, "events handled per second; beyond it they queue, then are shed (0: unlimited)")
	fl.IntVar(&f.burst, "burst", 0, "events that may start at once above the rate after a quiet spell (default: a tenth of --capacity)")
	fl.IntVar(&f.queue, "queue", 0, "events that may wait for capacity before shedding (default: one second's worth)")
	return cmd
}

func (f *serveFlags) toConfig() (target.Config, error) {
	if f.eio != 3 && f.eio != 4 {
		return target.Config{}, fmt.Errorf("--eio %d: use 4 (socket.io 3.x and 4.x) or 3 (socket.io 2.x)", f.eio)
	}
	delay, err := target.ParseDelay(f.ackDelay)
	if err != nil {
		return target.Config{}, fmt.Errorf("--ack-delay: %w", err)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--ping-interval", f.pingInterval}, {"--ping-timeout", f.pingTimeout}} {
		if d.v <= 0 {
			return target.Config{}, fmt.Errorf("%s %v: give a positive duration", d.flag, d.v)
		}
	}
	for _, n := range []struct {
		flag string
		v    int
	}{{"--max-http-buffer-size", f.maxHTTPBufferSize}, {"--max-connections", f.maxConnections}, {"--capacity", f.capacity}, {"--burst", f.burst}, {"--queue", f.queue}} {
		if n.v < 0 {
			return target.Config{}, fmt.Errorf("%s %d: give zero or more", n.flag, n.v)
		}
	}
	if f.pushInterval < 0 {
		return target.Config{}, fmt.Errorf("--push-interval %v: give a positive duration, or 0 for none", f.pushInterval)
	}
	var namespaces []string
	for _, ns := range strings.Split(f.namespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			namespaces = append(namespaces, ns)
		}
	}
	return target.Config{
		Addr:              f.addr,
		AllowRemote:       f.allowRemote,
		ReusePort:         f.reusePort,
		Path:              f.path,
		EngineVersion:     wire.EngineVersion(f.eio),
		Namespaces:        namespaces,
		AuthToken:         f.authToken,
		Cookie:            f.cookie,
		PingInterval:      f.pingInterval,
		PingTimeout:       f.pingTimeout,
		MaxHTTPBufferSize: f.maxHTTPBufferSize,
		MaxConnections:    f.maxConnections,
		PushInterval:      f.pushInterval,
		ConnectTimeout:    f.connectTimeout,
		ProtocolSuite:     f.protocolSuite,
		EngineOnly:        f.engineOnly,
		AckDelay:          delay,
		Capacity:          f.capacity,
		Burst:             f.burst,
		QueueLimit:        f.queue,
	}, nil
}

// runServe runs the target until a signal arrives.
func runServe(pio *processIO, cfg target.Config) error {
	signals, stop := pio.signals()
	defer stop()
	srv, err := target.Start(context.Background(), cfg)
	if errors.Is(err, target.ErrNotLoopback) {
		return withExit(exitInvalid, err)
	}
	if err != nil {
		return withExit(exitRunError, err)
	}
	defer srv.Close()
	printServing(pio.stdout, srv)
	<-signals
	srv.Close()
	st := srv.Stats()
	var received int64
	for _, byEvent := range st.Received {
		for _, n := range byEvent {
			received += n
		}
	}
	fmt.Fprintf(pio.stdout, "stopped: %d socket connections, %d events received, %d acks sent, %d shed, %d connections refused\n",
		st.Connections, received, st.AcksSent, st.Shed, st.Refused)
	return nil
}

func printServing(w io.Writer, srv *target.Server) {
	cfg := srv.Config()
	protocol := "Engine.IO v4, for socket.io 3.x/4.x clients"
	if cfg.EngineVersion == wire.EngineV3 {
		protocol = "Engine.IO v3, for socket.io 2.x clients"
	}
	fmt.Fprintf(w, "Socket.IO target listening on %s (path %s, %s)\n", srv.URL(), cfg.Path, protocol)
	capacity := "unlimited"
	if cfg.Capacity > 0 {
		capacity = fmt.Sprintf("%d events/s (bursts of %d), queue %d", cfg.Capacity, cfg.Burst, cfg.QueueLimit)
	}
	limit := "none"
	if cfg.MaxConnections > 0 {
		limit = fmt.Sprint(cfg.MaxConnections)
	}
	delay := cfg.AckDelay.String()
	if cfg.AckDelay.IsZero() {
		delay = "none"
	}
	fmt.Fprintf(w, "capacity %s; ack delay %s; connection limit %s; counters at %s/__stats\n", capacity, delay, limit, srv.URL())
	fmt.Fprintf(w, "Point a scenario at it: sockload run -t %s examples/my-scenario.yml\n", srv.URL())
	fmt.Fprintln(w, "Stop with Ctrl-C.")
}
