package socketio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// Manager is one Engine.IO connection and the namespaces multiplexed over it,
// as socket.io-client's Manager: Sockets of the same Manager share the
// connection (unless Options.ForceNew), and the Manager reconnects it and
// re-joins their namespaces after an unexpected disconnect.
//
// The connection is opened by the first Socket.Connect and closed when no
// socket wants it any more (after Socket.Close or a server disconnect of the
// last one) or by Close. All methods are safe for concurrent use.
type Manager struct {
	cfg      *config
	jar      http.CookieJar // kept across reconnections, as a browser keeps cookies
	forceNew bool

	mu       sync.Mutex
	sockets  []*Socket  // by namespace, in the order made; a Manager has few
	children []*Manager // with ForceNew, one per Socket
	eng      *engine
	opening  *openOp
	closed   bool
	backoff  backoff
	// reconnectTimer runs the next attempt when reconnectPending: made at
	// the first loss and reset for each attempt after it, so that a
	// reconnection wave makes no timer per attempt.
	reconnectTimer   *time.Timer
	reconnectPending bool
}

// openOp is an Engine.IO connection being opened; concurrent Connects wait
// for the same one.
type openOp struct {
	done chan struct{}
	eng  *engine
	err  error
}

// NewManager returns an idle Manager for the server at serverURL
// (http://, https://, ws:// or wss://host[:port]; the path is ignored: use
// Options.Path for the Engine.IO path and Socket for namespaces).
func NewManager(serverURL string, opts Options) (*Manager, error) {
	cfg, err := newConfig(serverURL, opts)
	if err != nil {
		return nil, err
	}
	return newManager(cfg, cfg.ForceNew), nil
}

func newManager(cfg *config, forceNew bool) *Manager {
	jar := cfg.Jar
	if jar == nil {
		jar = NewJar()
	}
	return &Manager{
		cfg:      cfg,
		jar:      jar,
		forceNew: forceNew,
		backoff: backoff{
			min:    cfg.ReconnectionDelay,
			max:    cfg.ReconnectionDelayMax,
			jitter: cfg.RandomizationFactor,
		},
	}
}

// Dial connects to namespace on the server at serverURL over a connection of
// its own and returns the connected socket. Socket.Close releases the
// connection.
func Dial(ctx context.Context, serverURL, namespace string, opts Options) (*Socket, error) {
	m, err := NewManager(serverURL, opts)
	if err != nil {
		return nil, err
	}
	s := m.Socket(namespace)
	if err := s.Connect(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return s, nil
}

// Socket returns the Socket for namespace ("/" when empty), creating it
// idle. Without ForceNew, the same namespace gives the same Socket. With
// ForceNew, every call returns a new Socket on a connection of its own (its
// Manager method returns a private Manager, which m.Close closes too).
func (m *Manager) Socket(namespace string) *Socket {
	namespace = normalizeNamespace(namespace)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.forceNew {
		child := newManager(m.cfg, false)
		child.closed = m.closed
		m.children = append(m.children, child)
		m = child // not yet shared: no need for its lock
	}
	if s := m.socketLocked(namespace); s != nil {
		return s
	}
	s := &Socket{m: m, nsp: namespace}
	m.sockets = append(m.sockets, s)
	return s
}

func normalizeNamespace(ns string) string {
	if !strings.HasPrefix(ns, "/") {
		ns = "/" + ns
	}
	return ns
}

// Transport names the transport in use ("polling" or "websocket"), or ""
// when not connected.
func (m *Manager) Transport() string {
	m.mu.Lock()
	e := m.eng
	m.mu.Unlock()
	if e == nil {
		return ""
	}
	return e.transportName()
}

// Cookie returns the value of the cookie named name that the Manager's
// jar would send to the server (a sticky balancer's cookie names the
// backend), "" when there is none.
func (m *Manager) Cookie(name string) string {
	for _, c := range m.jar.Cookies(m.cfg.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Close disconnects every socket ("io client disconnect"), closes the
// connection and stops reconnecting. It does not block on the network
// beyond a brief close handshake.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.stopReconnectLocked()
	sockets := m.socketsLocked()
	children := m.children
	e := m.eng
	m.eng = nil
	m.mu.Unlock()
	for _, s := range sockets {
		s.Close()
	}
	if e != nil {
		e.shutdown(ReasonClientDisconnect, nil, true)
	}
	for _, c := range children {
		c.Close()
	}
	return nil
}

func (m *Manager) socketsLocked() []*Socket {
	return slices.Clone(m.sockets)
}

func (m *Manager) socket(namespace string) *Socket {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.socketLocked(namespace)
}

func (m *Manager) socketLocked(namespace string) *Socket {
	for _, s := range m.sockets {
		if s.nsp == namespace {
			return s
		}
	}
	return nil
}

func (m *Manager) anyActiveLocked() bool {
	for _, s := range m.sockets {
		if s.isActive() {
			return true
		}
	}
	return false
}

func (m *Manager) stopReconnectLocked() {
	if m.reconnectPending {
		m.reconnectTimer.Stop()
		m.reconnectPending = false
	}
}

// engineFor returns the open connection, opening it (or waiting for the
// opening under way) if there is none. An explicit connect cuts short a
// pending reconnection delay.
func (m *Manager) engineFor(ctx context.Context) (*engine, error) {
	m.mu.Lock()
	for {
		switch {
		case m.closed:
			m.mu.Unlock()
			return nil, ErrClosed
		case m.eng != nil:
			e := m.eng
			m.mu.Unlock()
			return e, nil
		case m.opening != nil:
			op := m.opening
			m.mu.Unlock()
			select {
			case <-op.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if op.err != nil {
				return nil, op.err
			}
			m.mu.Lock()
			continue
		}
		m.stopReconnectLocked()
		op := &openOp{done: make(chan struct{})}
		m.opening = op
		m.mu.Unlock()
		e, err := openEngine(ctx, m.cfg, m, m.jar)
		return m.finishOpen(op, e, err, nil)
	}
}

// finishOpen installs a newly opened connection, starts it, calls opened (if
// not nil) and sends the CONNECT of every socket that wants to be connected.
func (m *Manager) finishOpen(op *openOp, e *engine, err error, opened func()) (*engine, error) {
	m.mu.Lock()
	m.opening = nil
	if err == nil && m.closed {
		e.shutdown(ReasonClientDisconnect, nil, true)
		e, err = nil, ErrClosed
	}
	if err == nil {
		m.eng = e
	}
	op.eng, op.err = e, err
	close(op.done)
	sockets := m.socketsLocked()
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	header := e.takeHandshakeHeader()
	if cb := m.cfg.OnOpen; cb != nil {
		cb(e.transportName(), header)
	}
	e.start()
	if opened != nil {
		opened()
	}
	for _, s := range sockets {
		if s.isActive() {
			s.join(e)
		}
	}
	return e, nil
}

// releaseIfIdle closes the connection when no socket wants it, as
// socket.io-client does when its last socket disconnects.
func (m *Manager) releaseIfIdle() {
	m.mu.Lock()
	if m.anyActiveLocked() {
		m.mu.Unlock()
		return
	}
	m.stopReconnectLocked()
	m.backoff.reset()
	e := m.eng
	m.eng = nil
	m.mu.Unlock()
	if e != nil {
		e.shutdown(ReasonClientDisconnect, nil, true)
	}
}

// leaveIfIdle closes e after writing pkts, its last packets, when e is
// the open connection and no socket wants it any more (see releaseIfIdle),
// and reports whether it did.
func (m *Manager) leaveIfIdle(e *engine, pkts []wire.Packet) bool {
	m.mu.Lock()
	if m.eng != e || m.anyActiveLocked() {
		m.mu.Unlock()
		return false
	}
	m.stopReconnectLocked()
	m.backoff.reset()
	m.eng = nil
	m.mu.Unlock()
	e.leave(pkts)
	return true
}

// onMessage reassembles binary packets and routes Socket.IO packets to
// their namespace. It runs on the reader goroutine.
func (m *Manager) onMessage(e *engine, now time.Time, p wire.Packet) error {
	a := &e.assembly
	if p.Binary {
		if a.pkt == nil {
			return errors.New("binary message outside a binary packet")
		}
		a.size += int64(len(p.Data))
		if a.size > m.cfg.MaxReadBytes {
			return fmt.Errorf("binary attachments exceed MaxReadBytes (%d)", m.cfg.MaxReadBytes)
		}
		a.atts = append(a.atts, bytes.Clone(p.Data))
		if len(a.atts) < a.pkt.Attachments {
			return nil
		}
		sp, atts := *a.pkt, a.atts
		*a = assembly{}
		return m.dispatch(e, now, sp, atts, true)
	}
	if a.pkt != nil {
		return fmt.Errorf("text message while %d binary attachments are pending", a.pkt.Attachments-len(a.atts))
	}
	sp, err := wire.DecodeSocketPacket(p.Data)
	if err != nil {
		return err
	}
	if (sp.Type == wire.BinaryEvent || sp.Type == wire.BinaryAck) && sp.Attachments > 0 {
		pending := sp // a copy, so that sp itself does not escape
		pending.Data = bytes.Clone(sp.Data)
		a.pkt = &pending
		return nil
	}
	return m.dispatch(e, now, sp, nil, false)
}

// assembly is a binary packet waiting for its attachments (reader only).
type assembly struct {
	pkt  *wire.SocketPacket
	atts [][]byte
	size int64
}

func (m *Manager) dispatch(e *engine, now time.Time, sp wire.SocketPacket, atts [][]byte, owned bool) error {
	if m.cfg.EngineVersion == wire.EngineV3 && sp.Namespace == "/" &&
		(sp.Type == wire.Connect || sp.Type == wire.ConnectError) && !e.offerRoot(sp) {
		return nil // kept for the main namespace's socket to claim
	}
	s := m.socket(sp.Namespace)
	if s == nil {
		return nil
	}
	return s.onPacket(e, now, sp, atts, owned)
}

// onClose runs on the reader goroutine when the connection is gone: sockets
// learn why, and reconnection starts if some still want to be connected.
func (m *Manager) onClose(e *engine, reason string, err error) {
	m.mu.Lock()
	if m.eng == e {
		m.eng = nil
	}
	sockets := m.socketsLocked()
	m.mu.Unlock()
	for _, s := range sockets {
		s.onEngineClose(e, reason, err)
	}
	m.mu.Lock()
	after := func() {}
	if !m.closed && !m.cfg.DisableReconnection && m.eng == nil && m.opening == nil &&
		!m.reconnectPending && m.anyActiveLocked() {
		after = m.scheduleReconnectLocked()
	}
	m.mu.Unlock()
	after()
}

// scheduleReconnectLocked arms the next attempt after the backoff delay, or
// gives up when the attempts are exhausted. It returns what to call once
// m.mu is released.
func (m *Manager) scheduleReconnectLocked() (after func()) {
	if n := m.cfg.ReconnectionAttempts; n > 0 && m.backoff.attempts >= n {
		m.backoff.reset()
		if cb := m.cfg.OnReconnectFailed; cb != nil {
			return cb
		}
		return func() {}
	}
	// The timer is stopped or has fired: nothing is pending whenever an
	// attempt is scheduled. A callback still running from before finds
	// the attempt under way, or none wanted, as one of a timer made per
	// attempt would.
	if m.reconnectTimer == nil {
		m.reconnectTimer = time.AfterFunc(m.backoff.next(), m.reconnect)
	} else {
		m.reconnectTimer.Reset(m.backoff.next())
	}
	m.reconnectPending = true
	return func() {}
}

// reconnect is one reconnection attempt, on the timer's goroutine.
func (m *Manager) reconnect() {
	m.mu.Lock()
	m.reconnectPending = false
	if m.closed || m.eng != nil || m.opening != nil || !m.anyActiveLocked() {
		m.mu.Unlock()
		return
	}
	attempt := m.backoff.attempts
	op := &openOp{done: make(chan struct{})}
	m.opening = op
	m.mu.Unlock()
	if cb := m.cfg.OnReconnectAttempt; cb != nil {
		cb(attempt)
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ConnectTimeout)
	e, err := openEngine(ctx, m.cfg, m, m.jar)
	cancel()
	// Reported before the namespaces are joined again, as socket.io-client
	// emits "reconnect" before its sockets' "connect".
	reconnected := func() {
		m.mu.Lock()
		m.backoff.reset()
		m.mu.Unlock()
		if cb := m.cfg.OnReconnect; cb != nil {
			cb(attempt)
		}
	}
	if _, err = m.finishOpen(op, e, err, reconnected); err != nil {
		if cb := m.cfg.OnReconnectError; cb != nil {
			cb(attempt, err)
		}
		m.mu.Lock()
		after := func() {}
		if !m.closed && m.eng == nil && m.opening == nil && !m.reconnectPending && m.anyActiveLocked() {
			after = m.scheduleReconnectLocked()
		}
		m.mu.Unlock()
		after()
	}
}
