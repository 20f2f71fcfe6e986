package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
)

// maxMailbox bounds the events a namespace keeps for waitFor steps; older
// ones are dropped past it, so a chatty server cannot grow a VU without
// bound.
const maxMailbox = 10000

// vuSocket is one namespace of a VU: the client socket, and the events kept
// for its waitFor steps.
type vuSocket struct {
	namespace string
	sock      *socketio.Socket
	// waits is true when emits wait for a lost connection to come back.
	waits bool
	own   *socketio.Manager // set when the socket has a connection of its own
	// watched is set once the socket's connection was handed to the
	// poller (see vu.watchConnections).
	watched bool
	offAny  func()
	mu      sync.Mutex
	mailbox map[string][]socketio.Message // nil until an event is kept
	// arrived is closed and cleared when an event is kept; nil until a
	// take waits.
	arrived chan struct{}
}

func (s *vuSocket) close() {
	if s.offAny != nil {
		s.offAny()
	}
	s.sock.Close()
	if s.own != nil {
		s.own.Close()
	}
}

// keep stores m for waitFor steps.
func (s *vuSocket) keep(m socketio.Message) {
	s.mu.Lock()
	q := s.mailbox[m.Event]
	if len(q) >= maxMailbox {
		q = q[1:]
	}
	if s.mailbox == nil {
		s.mailbox = map[string][]socketio.Message{}
	}
	s.mailbox[m.Event] = append(q, m)
	if s.arrived != nil {
		close(s.arrived)
		s.arrived = nil
	}
	s.mu.Unlock()
}

// errReconnected interrupts a wait for the VU's onReconnect steps.
var errReconnected = errors.New("reconnected")

// take removes and returns the first n events named event that match
// (every event when match is nil), waiting for them until ctx ends or a
// token arrives on reconnected (then errReconnected, with the events taken
// so far). Events that do not match are removed too, and counted in
// skipped.
func (s *vuSocket) take(ctx context.Context, event string, n int, match func(socketio.Message) bool, reconnected <-chan struct{}) (got []socketio.Message, skipped int, err error) {
	for {
		s.mu.Lock()
		q := s.mailbox[event]
		i := 0
		for ; i < len(q) && len(got) < n; i++ {
			if match == nil || match(q[i]) {
				got = append(got, q[i])
			} else {
				skipped++
			}
		}
		if len(q) > 0 {
			s.mailbox[event] = q[i:]
		}
		if len(got) == n {
			s.mu.Unlock()
			return got, skipped, nil
		}
		if s.arrived == nil {
			s.arrived = make(chan struct{})
		}
		arrived := s.arrived
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-reconnected:
			return got, skipped, errReconnected
		case <-ctx.Done():
			if match == nil {
				return nil, skipped, fmt.Errorf("%d of %d %q events arrived", len(got), n, event)
			}
			return nil, skipped, fmt.Errorf("%d of %d matching %q events arrived (%d did not match)", len(got), n, event, skipped)
		}
	}
}

// maxPendingResponses bounds the response events kept while a response
// step waits; past it they are dropped (counted as unmatched).
const maxPendingResponses = 1024

// responseWait collects the events a response step may be answered by,
// from before its emit is sent.
type responseWait struct {
	v       *vu
	event   string
	check   *scenario.Check
	concat  bool
	off     func()
	ch      chan socketio.Message
	dropped atomic.Int64
	skipped int
}

func (v *vu) expectResponse(s *vuSocket, r *scenario.Response) *responseWait {
	w := &responseWait{v: v, event: scenario.RenderString(r.Event, v.tctx), check: &r.Check, concat: r.Concat,
		ch: make(chan socketio.Message, maxPendingResponses)}
	w.off = s.sock.On(w.event, func(m socketio.Message) {
		select {
		case w.ch <- m:
		default:
			w.dropped.Add(1)
		}
	})
	return w
}

// wait returns the first response event that matches, skipping the others.
func (w *responseWait) wait(ctx context.Context) (socketio.Message, error) {
	match := w.v.matcher(w.check, w.concat)
	for {
		select {
		case m := <-w.ch:
			if match == nil || match(m) {
				return m, nil
			}
			w.skipped++
		case <-ctx.Done():
			return socketio.Message{}, ctx.Err()
		}
	}
}

// stop stops collecting and counts what was skipped.
func (w *responseWait) stop() {
	w.off()
	if n := int64(w.skipped) + w.dropped.Load(); n > 0 {
		if c, ok := w.v.r.unmatched.counter(w.event); ok {
			c.Add(n)
		}
	}
}

// socket returns the VU's socket for namespace, connecting it on first use
// with the scenario's options.
func (v *vu) socket(ctx context.Context, namespace string) (*vuSocket, error) {
	if s := v.socketOf(namespace); s != nil {
		if !s.sock.Connected() && !(s.waits && s.sock.Reconnecting()) {
			return nil, failf("not connected", "namespace %s is not connected (the connection was lost)", namespace)
		}
		return s, nil
	}
	if v.manager == nil {
		m, err := v.newManager(&v.scenario.SocketIO)
		if err != nil {
			return nil, err
		}
		v.manager = m
	}
	return v.connect(ctx, v.manager, namespace, nil, v.reconnectWait(&v.scenario.SocketIO) > 0)
}

// readsItsOwnConnection reports whether st needs nobody but itself to
// read the VU's connection, which then stays off the poller
// (socketio.Options.DeferWatch): an acknowledged emit reads its
// connection itself as it waits for the ack, and a log or a loop's
// opening takes no time. Every other step (a think, a waitFor, a
// response, an HTTP call, a plain emit) leaves the connection unread
// meanwhile, its heartbeats unanswered; so do listeners, and with more
// than one socket an ack's wait would read only its own.
func (v *vu) readsItsOwnConnection(st scenario.Step) bool {
	if len(v.sockets) > 1 || len(v.scenario.Listen) > 0 {
		return false
	}
	switch st := st.(type) {
	case *scenario.EmitStep:
		return st.Acknowledge != nil && st.Response == nil
	case *scenario.LogStep, *scenario.LoopStep:
		return true
	}
	return false
}

// watchConnections hands every socket's connection not handed yet to the
// poller, which reads it from then on.
func (v *vu) watchConnections() {
	for _, s := range v.sockets {
		if !s.watched {
			s.sock.Watch()
			s.watched = true
		}
	}
}

// socketOf is the VU's socket of namespace, nil when it has none.
func (v *vu) socketOf(namespace string) *vuSocket {
	for _, s := range v.sockets {
		if s.namespace == namespace {
			return s
		}
	}
	return nil
}

// connect joins namespace on manager and records the connect time. own is
// the manager when it belongs to this socket alone.
// waits says whether its emits wait for a lost connection to come back.
func (v *vu) connect(ctx context.Context, m *socketio.Manager, namespace string, own *socketio.Manager, waits bool) (*vuSocket, error) {
	s := &vuSocket{namespace: namespace, sock: m.Socket(namespace), own: own}
	waited := v.r.waitedEvents(v.scenario)
	listeners := v.listeners(namespace)
	s.offAny = s.sock.OnAny(func(msg socketio.Message) {
		v.r.m.messages.Inc()
		v.r.m.bytes.Add(int64(msg.Size()))
		if c, ok := v.r.events.counter(msg.Event); ok {
			c.Inc()
		}
		if v.r.traces != nil && listeners.traced(msg.Event) {
			v.traceReceived(msg)
		}
		listeners.hear(msg)
		if waited.has(namespace, msg.Event) {
			s.keep(msg)
		}
	})
	start := time.Now()
	if err := s.sock.Connect(ctx); err != nil {
		s.close()
		return nil, connectFailure(v.r.cfg.Script.Config.Target, namespace, err)
	}
	took := time.Since(start)
	v.rec.Record(v.r.m.connectTime, took)
	if h, ok := v.r.connectTimeOf(m.Transport()); ok {
		v.rec.Record(h, took)
	}
	s.waits = waits
	v.sockets = append(v.sockets, s)
	return s, nil
}

// connectStep connects a namespace with options of its own, over a
// connection of its own, replacing an earlier socket of that namespace.
func (v *vu) connectStep(ctx context.Context, st *scenario.ConnectStep) error {
	namespace := v.namespace(st.Namespace)
	if old := v.socketOf(namespace); old != nil {
		old.close()
		v.sockets = slices.DeleteFunc(v.sockets, func(s *vuSocket) bool { return s == old })
	}
	m, err := v.newManager(&st.Options)
	if err != nil {
		return err
	}
	_, err = v.connect(ctx, m, namespace, m, v.reconnectWait(&st.Options) > 0)
	return err
}

func connectFailure(target, namespace string, err error) error {
	var ce *socketio.ConnectError
	if errors.As(err, &ce) {
		msg := fmt.Sprintf("namespace %s refused: %s", namespace, ce.Message)
		if len(ce.Data) > 0 {
			msg += " (data: " + string(ce.Data) + ")"
		}
		return failf(CodeConnectError, "%s", msg)
	}
	code := classifyNetworkError(err)
	if code == CodeConnRefused {
		err = fmt.Errorf("nothing listens at %s: %w", targetAddr(target), err)
	}
	return &stepError{code: code, err: fmt.Errorf("connecting %s: %w", namespace, err)}
}

// targetAddr is the host:port of a target URL, for messages.
func targetAddr(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return target
	}
	if u.Port() == "" {
		if u.Scheme == "https" || u.Scheme == "wss" {
			return u.Host + ":443"
		}
		return u.Host + ":80"
	}
	return u.Host
}

// preparedClient is the client configuration of one scenario's options,
// shared by every VU that connects with them.
type preparedClient struct {
	p   *socketio.Prepared
	err error
}

// newManager returns a Manager for the VU with options o: their prepared
// configuration (made once per run) with what the VU renders of its own.
func (v *vu) newManager(o *scenario.SocketIOOptions) (*socketio.Manager, error) {
	conn, err := v.connOptions(o)
	if err != nil {
		return nil, err
	}
	p, err := v.r.preparedClient(o)
	if err != nil {
		return nil, err
	}
	return p.NewManager(conn), nil
}

// preparedClient returns the prepared client configuration of o, made on
// first use and shared by every VU: the same for all of them, since it
// holds nothing a VU renders.
func (r *Runner) preparedClient(o *scenario.SocketIOOptions) (*socketio.Prepared, error) {
	if c, ok := r.prepared.Load(o); ok {
		pc := c.(*preparedClient)
		return pc.p, pc.err
	}
	opts := r.clientOptions(o)
	// A VU's connection is read only by its ack waiters until a step
	// needs more (see vu.readsItsOwnConnection).
	opts.DeferWatch = true
	p, err := socketio.Prepare(r.cfg.Script.Config.Target, opts)
	if err != nil {
		err = failf("bad target", "%v", err)
	}
	c, _ := r.prepared.LoadOrStore(o, &preparedClient{p: p, err: err})
	pc := c.(*preparedClient)
	return pc.p, pc.err
}

// clientOptions are the scenario's options as every VU has them.
func (r *Runner) clientOptions(o *scenario.SocketIOOptions) socketio.Options {
	cfg := &r.cfg
	return socketio.Options{
		EngineVersion:           r.engineVersion(o),
		Transports:              o.Transports,
		Path:                    o.Path,
		ConnectTimeout:          o.ConnectTimeout,
		DisableReconnection:     !o.Reconnection,
		ReconnectionAttempts:    o.ReconnectionAttempts,
		ReconnectionDelay:       o.ReconnectionDelay,
		ReconnectionDelayMax:    o.ReconnectionDelayMax,
		RandomizationFactor:     o.RandomizationFactor,
		ForceNew:                o.ForceNew,
		SendOverMaxPayload:      o.SendOverMaxPayload,
		ReconnectWait:           reconnectWait(o, cfg.Script.Config.Timeout),
		InsecureSkipVerify:      cfg.InsecureSkipVerify || !cfg.Script.Config.TLS.RejectUnauthorized,
		DialContext:             cfg.DialContext,
		ReadBudget:              cfg.ReadBudget,
		AllowCrossHostRedirects: cfg.AllowCrossHostRedirects,
	}
}

// runHooks are the client callbacks that count only run-wide metrics:
// made once per run, not per VU.
type runHooks struct {
	onUpgrade                       func(err *socketio.UpgradeError)
	onReconnectAttempt, onReconnect func(attempt int)
}

func newRunHooks(r *Runner) runHooks {
	return runHooks{
		onUpgrade: func(err *socketio.UpgradeError) {
			if err == nil {
				r.m.upgrades.Inc()
				return
			}
			r.cfg.Registry.Counter(MetricUpgradeFailed + MetricSuffix(err.Kind)).Inc()
		},
		onReconnectAttempt: func(int) { r.m.attempts.Inc() },
		onReconnect:        func(int) { r.m.reconnects.Inc() },
	}
}

// connOptions renders the options of o that are the VU's own (see
// socketio.Prepared.NewManager): its query, headers and auth, its cookie
// jar, its wire trace and the callbacks that count its connection's
// events.
func (v *vu) connOptions(o *scenario.SocketIOOptions) (socketio.Options, error) {
	cfg := &v.r.cfg
	opts := socketio.Options{
		Jar: v.cookieJar(),
		OnDisconnect: func(namespace, reason string, _ error) {
			// A VU closing its own sockets at its end is not news.
			if reason != socketio.ReasonClientDisconnect {
				cfg.Registry.Counter(MetricDisconnects + MetricSuffix(reason)).Inc()
			}
			// Rooms do not survive a lost connection.
			v.leaveGroups()
			v.connectionLost(namespace, reason)
			if b := v.currentBackend(); b != "" && reason != socketio.ReasonClientDisconnect {
				cfg.Registry.Counter(MetricBackendDisconnects + MetricSuffix(b)).Inc()
			}
		},
		OnConnect: v.joined,
		OnOpen: func(transport string, header http.Header) {
			v.r.countSession(transport)
			v.landedOn(o.Backend, header)
		},
		OnUpgrade:          v.r.hooks.onUpgrade,
		OnReconnectAttempt: v.r.hooks.onReconnectAttempt,
		OnReconnect:        v.r.hooks.onReconnect,
	}
	if len(o.Query) > 0 {
		opts.Query = url.Values{}
		for _, kv := range o.Query {
			opts.Query.Add(kv.Key, scenario.RenderString(kv.Value, v.tctx))
		}
	}
	if len(o.ExtraHeaders) > 0 {
		opts.ExtraHeaders = http.Header{}
		for _, kv := range o.ExtraHeaders {
			opts.ExtraHeaders.Add(kv.Key, scenario.RenderString(kv.Value, v.tctx))
		}
	}
	if o.Auth != nil {
		auth, ok := o.Auth.Render(v.tctx).(map[string]any)
		if !ok {
			return opts, failf("bad auth", "socketio auth (line %d) must render to an object, like auth: {token: \"{{ token }}\"}", o.Pos.Line)
		}
		opts.Auth = auth
	}
	if cfg.WireTrace.traces(v.id) {
		opts.Trace = cfg.WireTrace.hook(v.id)
	}
	return opts, nil
}

// namespace renders a step's namespace and joins it to the path written in
// the target, as Artillery's target + namespace does.
func (v *vu) namespace(t *scenario.Template) string {
	return v.r.cfg.Script.Config.Namespace(scenario.RenderString(t, v.tctx))
}

// reconnectWait is how long an emit waits for a lost connection to come
// back: config.timeout, unless the options say to fail at once.
func (v *vu) reconnectWait(o *scenario.SocketIOOptions) time.Duration {
	return reconnectWait(o, v.timeout)
}

// reconnectWait is vu.reconnectWait for a VU whose config.timeout is
// timeout.
func reconnectWait(o *scenario.SocketIOOptions, timeout time.Duration) time.Duration {
	if !o.Reconnection || o.FailWhileReconnecting {
		return 0
	}
	return timeout
}
