package socketio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// transport moves Engine.IO packets over websocket or HTTP long-polling.
type transport interface {
	name() string
	// write sends packets in order as one unit (consecutive websocket
	// messages, or one POST). The engine serializes calls.
	write(pkts []wire.Packet) (sentAt time.Time, err error)
	// read blocks for the next message or messages (websocket) or
	// response (polling) and calls fn for each packet in them. Only the
	// reader goroutine calls it (the poller reads a websocket on its
	// own). Packet data is valid only during fn.
	read(fn func(now time.Time, p wire.Packet) error) error
	// close releases the transport; it unblocks a pending read. Safe to call
	// concurrently with read and write, and more than once.
	close(graceful bool)
}

var (
	_ transport = (*wsTransport)(nil)
	_ transport = (*pollingTransport)(nil)
	_ receiver  = (*Manager)(nil)
)

// receiver is what the engine delivers to: the Manager.
type receiver interface {
	// onMessage is called by the connection's reader (its goroutine, or
	// one of the poller's workers: never two at once) for each Message
	// packet; an error closes the connection with ReasonParseError.
	onMessage(e *engine, now time.Time, p wire.Packet) error
	// onClose is called once, by the reader, after the last onMessage.
	onClose(e *engine, reason string, err error)
}

// closeError is an error that knows which disconnect reason it is.
type closeError struct {
	reason string
	err    error
}

func (e *closeError) Error() string {
	if e.err == nil {
		return e.reason
	}
	return e.reason + ": " + e.err.Error()
}
func (e *closeError) Unwrap() error { return e.err }

func closeErr(reason string, err error) error { return &closeError{reason: reason, err: err} }

// reasonOf classifies an error returned by a transport.
func reasonOf(err error) (string, error) {
	var ce *closeError
	if errors.As(err, &ce) {
		return ce.reason, ce.err
	}
	return ReasonTransportError, err
}

var errServerClosed = errors.New("the server closed the Engine.IO session")

// engine is one Engine.IO connection: handshake, transport (with the upgrade
// from polling to websocket), heartbeat and the single reader: a goroutine,
// or for a websocket the poller can watch, the poller (poll.go).
//
// Writes are serialized by wmu and bounded by WriteTimeout. The reader never
// writes while it could block: heartbeat answers are handed to a pong writer
// (v4) or written from the ping timer (v3), so a write stuck behind a slow
// peer can never stop the reader from draining the connection; at worst it
// times out and closes the connection. Pongs are coalesced: however fast a
// server pings, at most one pong is waiting to be written and one is being
// written, so a ping flood costs neither goroutines nor memory.
type engine struct {
	cfg  *config
	recv receiver
	jar  http.CookieJar
	http *http.Client // polling only; nil when the handshake used websocket
	hs   wire.Handshake
	// hsHeader is the header of the handshake's HTTP response, until
	// takeHandshakeHeader hands it over.
	hsHeader http.Header

	// ctx is cancelled on close; it bounds polling requests and the
	// upgrade. Only a session opened with polling has one (nil cancel
	// otherwise): a websocket session never used it, and its making and
	// cancelling were a share of the CPU of each connection.
	ctx    context.Context
	cancel context.CancelFunc

	mu sync.Mutex // guards tr, probe
	tr transport
	// probe is the websocket being probed for the upgrade, closed with the
	// engine if the engine closes first.
	probe transport

	wmu sync.Mutex // serializes writes
	// writeEnded is the error of a write that found the connection ended,
	// returned to later writes until the reader closes the connection
	// (guarded by wmu).
	writeEnded error

	// Upgrade hand-over between the probing goroutine and the reader,
	// made by the prober before it sets pausing.
	pausing atomic.Bool
	paused  chan struct{}
	resume  chan transport
	// upgrading is set while an upgrade is under way (see upgradeGates);
	// nil otherwise, so an idle connection holds nothing for it.
	upgrading atomic.Pointer[upgradeGates]
	// delivering is set while the polling reader hands a response's
	// packets over: a write from a handler on the reader does not wait
	// for the upgrade, which itself waits for the reader.
	delivering atomic.Bool

	liveness *time.Timer // closes with ReasonPingTimeout
	pinger   *time.Timer // v3: sends the next ping

	// early holds packets that arrived with the handshake, delivered first
	// by the reader.
	early    []wire.Packet
	openedAt time.Time
	// firstReadInline is set when the opener reads the connection first
	// itself (see withFirstReadInline).
	firstReadInline bool

	closeOnce sync.Once
	done      chan struct{}
	reason    string
	closeErr  error

	// root is the socket.io 2.x automatic CONNECT of the main namespace
	// (protocol v4), kept until a socket claims it.
	rootMu      sync.Mutex
	rootClaimed bool
	rootPacket  *wire.SocketPacket

	assembly assembly // binary packet being received (reader only)

	// beats counts heartbeats: pings answered (v4) or pongs received (v3).
	beats atomic.Int64
	// pongDue is set while a pong writer is scheduled and has not yet
	// begun its write; pings arriving meanwhile share its pong.
	pongDue atomic.Bool
}

func newEngine(cfg *config, recv receiver, jar http.CookieJar) *engine {
	return &engine{
		cfg: cfg, recv: recv, jar: jar,
		done: make(chan struct{}),
	}
}

// openEngine performs the Engine.IO handshake with the first configured
// transport. The engine is returned idle: start begins reading.
func openEngine(ctx context.Context, cfg *config, recv receiver, jar http.CookieJar) (*engine, error) {
	e := newEngine(cfg, recv, jar)
	var err error
	if cfg.Transports[0] == TransportWebsocket {
		err = e.openWebsocket(ctx)
	} else {
		err = e.openPolling(ctx)
	}
	if err != nil {
		if e.cancel != nil {
			e.cancel()
		}
		return nil, err
	}
	e.openedAt = time.Now()
	e.firstReadInline = firstReadInline(ctx)
	e.hs.PingInterval = atLeast(e.hs.PingInterval, defaultPingInterval)
	e.hs.PingTimeout = atLeast(e.hs.PingTimeout, defaultPingTimeout)
	e.armHeartbeat()
	return e, nil
}

// Engine.IO's defaults, used when a handshake gives no usable value (a zero
// interval would make a v3 client ping without pause).
const (
	defaultPingInterval = 25000 // milliseconds
	defaultPingTimeout  = 20000
)

func atLeast(ms, def int) int {
	if ms <= 0 {
		return def
	}
	return ms
}

// armHeartbeat starts the liveness timer (and, in v3, the client's pings)
// from the handshake, as engine.io-client does.
func (e *engine) armHeartbeat() {
	// The timers' callbacks read these fields under e.mu: they may fire
	// before the assignments below complete.
	e.mu.Lock()
	defer e.mu.Unlock()
	e.liveness = time.AfterFunc(e.livenessTimeout(), func() {
		e.shutdown(ReasonPingTimeout, fmt.Errorf("no heartbeat from the server within %v", e.livenessTimeout()), false)
	})
	if e.cfg.EngineVersion == wire.EngineV3 {
		e.pinger = time.AfterFunc(e.pingInterval(), e.ping)
	}
}

func (e *engine) openWebsocket(ctx context.Context) error {
	ws, stop, err := dialWebsocketArmed(ctx, e.cfg, e.jar, "")
	if err != nil {
		return err
	}
	err = ws.readArmed(ctx, stop, func(_ time.Time, p wire.Packet) error {
		if p.Type != wire.Open {
			return fmt.Errorf("expected the Engine.IO open packet, got type %d", p.Type)
		}
		var err error
		e.hs, err = wire.ParseHandshake(p.Data)
		return err
	})
	if err != nil {
		ws.close(false)
		return fmt.Errorf("socketio: websocket handshake with %s: %w", e.cfg.base.Host, err)
	}
	ws.maxPayload = e.hs.MaxPayload
	e.tr = ws
	e.hsHeader, ws.header = ws.header, nil
	return nil
}

func (e *engine) openPolling(ctx context.Context) error {
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.http = newHTTPClient(e.cfg, e.jar)
	hs, early, at, err := pollHandshake(ctx, e.cfg, e.http, &e.hsHeader)
	if err != nil {
		e.http.CloseIdleConnections()
		return err
	}
	e.hs, e.early = hs, early
	// The session lives where the handshake was answered.
	base := *e.cfg.base
	base.Scheme, base.Host = at.Scheme, at.Host
	e.tr = newPolling(e.ctx, e.cfg, e.http, &base, hs.SID, e.maxPayload())
	return nil
}

// takeHandshakeHeader returns the handshake response's header once and
// forgets it: an idle connection should not keep half a kilobyte of headers
// nobody reads again.
func (e *engine) takeHandshakeHeader() http.Header {
	h := e.hsHeader
	e.hsHeader = nil
	return h
}

// maxPayload is the server's inbound limit, 0 when unknown (Engine.IO v3).
func (e *engine) maxPayload() int { return e.hs.MaxPayload }

// start begins reading, on the poller for a websocket it can watch and on
// a reader goroutine otherwise, and, when allowed, the upgrade to
// websocket.
func (e *engine) start() {
	if ws, ok := e.current().(*wsTransport); ok && ws.raw != nil {
		if e.firstReadInline && ws.startPollingAfterRead(e, e.cfg.DeferWatch) || !e.firstReadInline && ws.startPolling(e) {
			return
		}
	}
	go e.run()
	if e.current().name() == TransportPolling && e.cfg.allows(TransportWebsocket) && slices.Contains(e.hs.Upgrades, TransportWebsocket) {
		go e.upgrade()
	}
}

func (e *engine) pingInterval() time.Duration {
	return time.Duration(e.hs.PingInterval) * time.Millisecond
}

func (e *engine) livenessTimeout() time.Duration {
	return time.Duration(e.hs.PingInterval+e.hs.PingTimeout) * time.Millisecond
}

func (e *engine) current() transport {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tr
}

// transportName is the name of the transport in use.
func (e *engine) transportName() string { return e.current().name() }

// run is the reader goroutine of a connection the poller does not read (or
// not yet: after an upgrade, the websocket goes to the poller). It is split
// in small functions so that the stack it idles on stays small enough for
// the garbage collector to shrink it.
func (e *engine) run() {
	err := e.deliverEarly()
	if err == nil {
		err = e.readLoop()
	}
	if err == errOnPoller {
		return // the poller reads on and finishes
	}
	e.finish(err)
}

// errOnPoller ends the reader goroutine of a connection upgraded to a
// websocket that the poller reads from then on.
var errOnPoller = errors.New("handed to the poller")

// deliverEarly hands over the packets that came with the handshake.
func (e *engine) deliverEarly() error {
	early := e.early
	e.early = nil
	for _, p := range early {
		if err := e.receive(e.openedAt, p); err != nil {
			return err
		}
	}
	return nil
}

func (e *engine) readLoop() error {
	tr := e.current()
	receive := e.receive
	if tr.name() == TransportPolling {
		receive = e.receivePolled
	}
	for {
		err := tr.read(receive)
		if err == nil && tr.name() == TransportPolling {
			e.awaitProbe()
		}
		if err == nil && e.pausing.Load() {
			tr, err = e.pauseIfPolling(tr)
			if ws, ok := tr.(*wsTransport); ok && err == nil && ws.raw != nil && ws.startPolling(e) {
				return errOnPoller
			}
		}
		if err != nil {
			return err
		}
	}
}

// finish closes the connection after the reader's last packet and reports
// why.
func (e *engine) finish(err error) {
	reason, cause := reasonOf(err)
	e.shutdown(reason, cause, false)
	e.recv.onClose(e, e.reason, e.closeErr)
}

// pauseIfPolling hands the reader over to the upgrading goroutine once the
// last poll has returned, and resumes on the websocket it hands back.
//
//go:noinline
func (e *engine) pauseIfPolling(tr transport) (transport, error) {
	if tr.name() != TransportPolling {
		return tr, nil
	}
	select {
	case e.paused <- struct{}{}:
	case <-e.done:
		return nil, closeErr(e.reason, e.closeErr)
	}
	select {
	case tr := <-e.resume:
		return tr, nil
	case <-e.done:
		return nil, closeErr(e.reason, e.closeErr)
	}
}

// receivePolled is receive for the packets of a polling response, marked
// as delivered by the reader (see delivering).
func (e *engine) receivePolled(now time.Time, p wire.Packet) error {
	if g := e.upgrading.Load(); g != nil && !passed(g.probed) {
		g.holding.Store(true) // the reader will hold its next poll (awaitProbe)
	}
	e.delivering.Store(true)
	defer e.delivering.Store(false)
	return e.receive(now, p)
}

// receive handles one packet on the reader goroutine.
func (e *engine) receive(now time.Time, p wire.Packet) error {
	v3 := e.cfg.EngineVersion == wire.EngineV3
	if v3 {
		// Engine.IO v3 clients count any packet as a sign of life.
		e.liveness.Reset(e.livenessTimeout())
	}
	switch p.Type {
	case wire.Message:
		if err := e.recv.onMessage(e, now, p); err != nil {
			return closeErr(ReasonParseError, err)
		}
	case wire.Ping:
		if !v3 {
			e.liveness.Reset(e.livenessTimeout())
			e.beats.Add(1)
			e.queuePong()
		}
	case wire.Pong:
		if v3 {
			e.beats.Add(1)
			e.pinger.Reset(e.pingInterval())
		}
	case wire.Close:
		return closeErr(ReasonTransportClose, errServerClosed)
	}
	return nil
}

// ping sends the v3 client heartbeat; the server must answer within
// pingTimeout.
func (e *engine) ping() {
	select {
	case <-e.done:
		return
	default:
	}
	e.mu.Lock()
	e.liveness.Reset(time.Duration(e.hs.PingTimeout) * time.Millisecond)
	e.mu.Unlock()
	e.sendControl(wire.Packet{Type: wire.Ping})
}

// queuePong schedules the answer to a ping. A pong already scheduled and
// not yet being written answers this ping too (a server needs one pong per
// interval, not one per ping), so the reader never starts more than one
// writer however many pings arrive.
func (e *engine) queuePong() {
	if e.pongDue.CompareAndSwap(false, true) {
		go e.writePong()
	}
}

func (e *engine) writePong() {
	pkts := [1]wire.Packet{{Type: wire.Pong}}
	e.waitUpgrade()
	e.wmu.Lock()
	defer e.wmu.Unlock()
	// From here a new ping needs a pong of its own: this one may be on the
	// wire before that ping arrives.
	e.pongDue.Store(false)
	_, _ = e.sendLocked(pkts[:])
}

// sendControl writes a heartbeat packet; a failure closes the connection.
func (e *engine) sendControl(p wire.Packet) {
	pkts := [1]wire.Packet{p}
	_, _ = e.send(pkts[:])
}

// send writes packets as one unit. A failed write is returned and ends the
// connection (see writeFailed); a PayloadTooLargeError leaves it open.
func (e *engine) send(pkts []wire.Packet) (time.Time, error) {
	e.waitUpgrade()
	e.wmu.Lock()
	defer e.wmu.Unlock()
	return e.sendLocked(pkts)
}

// sendLocked is send with wmu held.
func (e *engine) sendLocked(pkts []wire.Packet) (time.Time, error) {
	select {
	case <-e.done:
		// Say why it ended: a CONNECT sent on a connection that died
		// at once (a refused poll) fails with that cause.
		return time.Time{}, fmt.Errorf("%w: %w", ErrNotConnected, closeErr(e.reason, e.closeErr))
	default:
	}
	if e.writeEnded != nil {
		// The connection is known to be over; the reader is closing it.
		return time.Time{}, e.writeEnded
	}
	sentAt, err := e.current().write(pkts)
	if err != nil && !errors.Is(err, ErrPayloadTooLarge) {
		err = e.writeFailed(err)
	}
	return sentAt, err
}

// writeFailed ends the connection after a failed write and returns the
// writer's error. It runs with wmu held.
//
// A write usually fails because the connection has already ended: the server
// closed or reset it, or the reader answered the server's close frame (or
// sent its own, for a message over MaxReadBytes), after which the websocket
// refuses writes. The reader then meets the same end with the server's own
// account of it (a close frame with its code, a close packet, the read
// limit), so it, not the writer, closes the connection and names the reason;
// the write's error closes it only if the reader has not within
// WriteTimeout (it may be held by a handler). Any other failure, a write
// timeout above all, closes the connection at once.
func (e *engine) writeFailed(err error) error {
	select {
	case <-e.done:
		// Closed during the write: that, not the write, is the cause,
		// unless the write explains the close.
		if errors.Is(err, errTooLargeLikely) {
			return fmt.Errorf("%w: %w", ErrNotConnected, err)
		}
		return fmt.Errorf("%w: %w", ErrNotConnected, closeErr(e.reason, e.closeErr))
	default:
	}
	reason, cause := reasonOf(err)
	if !foundEnded(cause) {
		e.shutdown(reason, cause, false)
		return err
	}
	e.writeEnded = err
	time.AfterFunc(e.cfg.WriteTimeout, func() { e.shutdown(reason, cause, false) })
	return err
}

// foundEnded reports whether a write failed only because the connection had
// already ended (closed or reset by the peer, or closed by the reader), as
// opposed to timing out or failing on its own.
func foundEnded(err error) bool {
	return errors.Is(err, websocket.ErrCloseSent) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// leave ends the connection from the client's side ("io client
// disconnect") after writing pkts, its last packets: on a websocket they
// go with the close frame in one write.
func (e *engine) leave(pkts []wire.Packet) {
	ws, ok := e.current().(*wsTransport)
	if !ok {
		_, _ = e.send(pkts)
		e.shutdown(ReasonClientDisconnect, nil, true)
		return
	}
	e.wmu.Lock()
	select {
	case <-e.done:
	default:
		if e.writeEnded == nil {
			_ = ws.writeLast(pkts)
		}
	}
	e.wmu.Unlock()
	ws.leaving.Store(true)
	// shutdown returns once the connection is closed, by this call or
	// another's: the end of the poller's connection may be due here.
	e.shutdown(ReasonClientDisconnect, nil, true)
	if ws.poll.endDue.CompareAndSwap(true, false) {
		ws.endPolling(errClosedIdle)
	}
}

// shutdown closes the connection with reason; the first reason wins. It does
// not wait for the reader.
func (e *engine) shutdown(reason string, err error, graceful bool) {
	e.closeOnce.Do(func() {
		e.reason, e.closeErr = reason, err
		close(e.done)
		e.mu.Lock()
		if e.liveness != nil {
			e.liveness.Stop()
		}
		if e.pinger != nil {
			e.pinger.Stop()
		}
		tr, probe := e.tr, e.probe
		e.mu.Unlock()
		tr.close(graceful)
		if probe != nil {
			probe.close(false)
		}
		if e.cancel != nil {
			e.cancel()
		}
		if e.http != nil {
			e.http.CloseIdleConnections()
		}
	})
}

// upgradeGates are the moments of an upgrade that the reader and the
// writers wait for, each a channel closed when it has passed.
//
// While the websocket is being opened and probed the reader does not poll
// again after a response: a poll sent then would be the one the upgrade has
// to wait for, and with nothing for the client the server answers it only
// when it forces a polling cycle, 100 ms after the probe (engine.io's
// upgrade check). While the reader holds, and from the probe's answer (as
// engine.io-client holds its write buffer while upgrading), writes wait for
// the switch and go over the websocket, instead of a POST whose answer the
// server would have to keep for the websocket anyway: a
// polling-first session then costs the server the handshake GET, the
// CONNECT's POST and one poll, as socket.io-client's does when its probe is
// quick. Every wait is bounded, so a probe or a pause that never ends costs
// a delay, not a stuck connection.
type upgradeGates struct {
	probed   chan struct{} // the probe was answered, or failed
	switched chan struct{} // the upgrade is over: switched, failed, or closed
	once     [2]sync.Once
	// holding is set from the moment the reader hands over a response
	// until it polls again, when it will hold that poll for the probe:
	// an answer to a write made meanwhile could only come on the
	// websocket, so the write waits for it too.
	holding atomic.Bool
}

func newUpgradeGates() *upgradeGates {
	return &upgradeGates{probed: make(chan struct{}), switched: make(chan struct{})}
}

func (g *upgradeGates) probeOver()  { g.once[0].Do(func() { close(g.probed) }) }
func (g *upgradeGates) switchOver() { g.once[1].Do(func() { close(g.switched) }) }

// passed reports whether ch is closed.
func passed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// maxProbeHold bounds how long the reader holds its next poll for a probe;
// a probe on a working server takes a few round trips.
const maxProbeHold = time.Second

// awaitProbe holds the reader's next poll while a probe is under way.
func (e *engine) awaitProbe() {
	g := e.upgrading.Load()
	if g == nil {
		return
	}
	defer g.holding.Store(false)
	if passed(g.probed) {
		return
	}
	t := time.NewTimer(min(maxProbeHold, e.cfg.ConnectTimeout))
	defer t.Stop()
	select {
	case <-g.probed:
	case <-e.done:
	case <-t.C:
	}
}

// waitUpgrade holds a write until the switch, from the probe's answer (at
// most WriteTimeout) or while the reader holds its poll for the probe (at
// most maxProbeHold), unless it comes from a handler on the polling reader.
func (e *engine) waitUpgrade() {
	g := e.upgrading.Load()
	if g == nil || e.delivering.Load() || passed(g.switched) {
		return
	}
	limit := e.cfg.WriteTimeout
	if !passed(g.probed) {
		if !g.holding.Load() {
			return // no probe yet and the reader polls: the write goes on polling
		}
		limit = maxProbeHold
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-g.switched:
	case <-e.done:
	case <-t.C:
	}
}

// upgrade probes a websocket on the polling session and switches to it:
// 2probe, 3probe, pause polling, 5 (as engine.io-client does). A failed
// probe leaves the connection on polling.
func (e *engine) upgrade() {
	g := newUpgradeGates()
	e.upgrading.Store(g)
	defer func() {
		e.upgrading.Store(nil)
		g.probeOver()
		g.switchOver()
	}()
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.ConnectTimeout)
	defer cancel()
	ws, err := dialWebsocket(ctx, e.cfg, e.jar, e.hs.SID)
	if err != nil {
		e.upgradeFailed(upgradeFailure(err))
		return
	}
	ws.maxPayload, ws.header = e.hs.MaxPayload, nil
	e.mu.Lock()
	closed := e.ctx.Err() != nil
	if !closed {
		e.probe = ws
	}
	e.mu.Unlock()
	if closed || !e.probe1(ctx, ws) {
		ws.close(false)
		e.upgradeFailed(&UpgradeError{Kind: UpgradeNoProbeAnswer, Err: errors.New("the server did not answer the websocket probe (2probe)")})
		return
	}
	e.paused, e.resume = make(chan struct{}), make(chan transport)
	e.pausing.Store(true)
	g.probeOver()
	select {
	case <-e.paused:
	case <-e.done:
		return
	}
	// The switch holds mu from the check of done to the new transport in
	// place, so a close either sees polling and no upgrade is sent (it
	// closes the probe), or sees the websocket after the 5: never a close
	// POST to a session the server has already moved to the websocket,
	// which engine.io refuses with 400 "Bad request".
	e.wmu.Lock()
	e.mu.Lock()
	select {
	case <-e.done: // shutdown closes done before it reads tr under mu
		e.mu.Unlock()
		e.wmu.Unlock()
		return
	default:
	}
	_, err = ws.write([]wire.Packet{{Type: wire.Upgrade}})
	var old transport
	if err == nil {
		old = e.tr
		e.tr, e.probe = ws, nil
	}
	e.mu.Unlock()
	if old != nil {
		old.close(false)
		e.http.CloseIdleConnections()
	}
	e.wmu.Unlock()
	g.switchOver()
	if err != nil {
		e.shutdown(ReasonTransportError, fmt.Errorf("upgrading to websocket: %w", err), false)
		return
	}
	if cb := e.cfg.OnUpgrade; cb != nil {
		cb(nil)
	}
	e.pausing.Store(false)
	select {
	case e.resume <- ws:
	case <-e.done:
	}
}

// probe1 sends 2probe and waits for 3probe.
func (e *engine) probe1(ctx context.Context, ws *wsTransport) bool {
	if _, err := ws.write([]wire.Packet{{Type: wire.Ping, Data: []byte("probe")}}); err != nil {
		return false
	}
	ok := false
	err := ws.readWithin(ctx, func(_ time.Time, p wire.Packet) error {
		ok = p.Type == wire.Pong && string(p.Data) == "probe"
		return nil
	})
	return err == nil && ok
}

// claimRoot returns the server's automatic CONNECT (or CONNECT_ERROR) of the
// main namespace if it already arrived, and whether this claim is the first
// on this connection (protocol v4 only: later joins send CONNECT).
func (e *engine) claimRoot() (first bool, pkt *wire.SocketPacket) {
	e.rootMu.Lock()
	defer e.rootMu.Unlock()
	if e.rootClaimed {
		return false, nil
	}
	e.rootClaimed = true
	return true, e.rootPacket
}

// offerRoot records the automatic CONNECT of the main namespace and reports
// whether a socket already claimed it (then deliver it to that socket).
func (e *engine) offerRoot(p wire.SocketPacket) (claimed bool) {
	e.rootMu.Lock()
	defer e.rootMu.Unlock()
	if e.rootClaimed {
		return true
	}
	p.Data = append([]byte(nil), p.Data...)
	e.rootPacket = &p
	return false
}

func newJar() http.CookieJar {
	jar, _ := cookiejar.New(nil) // never fails without options
	return jar
}

// upgradeFailed reports a failed upgrade, unless the connection closed
// meanwhile (then the upgrade did not fail: the connection did).
func (e *engine) upgradeFailed(err *UpgradeError) {
	if cb := e.cfg.OnUpgrade; cb != nil && e.ctx.Err() == nil {
		cb(err)
	}
}

// upgradeFailure classifies a websocket handshake that failed.
func upgradeFailure(err error) *UpgradeError {
	if errors.Is(err, ErrSessionUnknown) {
		return &UpgradeError{Kind: UpgradeSessionUnknown, Err: err}
	}
	if status, ok := httpStatusOf(err); ok {
		return &UpgradeError{Kind: fmt.Sprintf("http_%d", status), Err: err}
	}
	return &UpgradeError{Kind: UpgradeConnectionFailed, Err: err}
}
