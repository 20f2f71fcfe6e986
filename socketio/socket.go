package socketio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// Socket is one namespace of a Manager's connection, like socket.io-client's
// Socket. All methods are safe for concurrent use. Handlers registered with
// On, Once and OnAny run on the goroutine reading the connection (the
// connection's own, or one of the poller's workers), one at a time and
// in arrival order: they must not block (an Emit from a handler is fine; it holds the
// reader for at most WriteTimeout).
type Socket struct {
	m   *Manager
	nsp string

	nextID atomic.Int64

	mu sync.Mutex
	// active: the socket wants to be connected (Connect called, and neither
	// Close, a server disconnect nor a refusal since). Reconnection re-joins
	// active sockets.
	active bool
	// joinEng is the connection the CONNECT went out on; joinDone is closed
	// when the server answered it or the connection died (joinErr says
	// which).
	joinEng      *engine
	joinDone     chan struct{}
	joinErr      error
	joinFinished bool
	connected    bool
	sid          string
	acks         pendingAcks
	// changed is closed (and cleared) when connected or active changes,
	// waking the emits waiting for a reconnection.
	changed chan struct{}

	hmu      sync.Mutex // serializes handler table updates
	handlers atomic.Pointer[handlerTable]
}

// Namespace is the socket's namespace, e.g. "/" or "/chat".
func (s *Socket) Namespace() string { return s.nsp }

// Manager is the Manager the socket belongs to.
func (s *Socket) Manager() *Manager { return s.m }

// Connected reports whether the socket is connected to its namespace.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

// ID is the socket id the server assigned, "" when not connected.
func (s *Socket) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sid
}

// Reconnecting reports whether the socket wants to be connected and is not
// (its connection was lost and reconnection is under way, or its first
// Connect has not finished).
func (s *Socket) Reconnecting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active && !s.connected
}

// notifyLocked wakes the emits waiting for the socket's state to change.
func (s *Socket) notifyLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// awaitConnected returns once the socket is connected. A socket that is
// reconnecting is waited for, up to Options.ReconnectWait and until ctx
// ends, as socket.io-client buffers emits while disconnected; any other
// socket that is not connected fails at once with ErrNotConnected.
func (s *Socket) awaitConnected(ctx context.Context) error {
	var expired <-chan time.Time
	for {
		s.mu.Lock()
		if s.connected {
			s.mu.Unlock()
			return nil
		}
		wait := s.m.cfg.ReconnectWait
		if !s.active || wait <= 0 || s.m.cfg.DisableReconnection {
			s.mu.Unlock()
			return ErrNotConnected
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		if expired == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-changed:
		case <-expired:
			return fmt.Errorf("%w (%v)", ErrReconnectWait, wait)
		case <-ctx.Done():
			return fmt.Errorf("%w: %w while reconnecting", ErrNotConnected, ctx.Err())
		}
	}
}

func (s *Socket) isActive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// Connect opens the Manager's connection if needed and joins the namespace,
// blocking until the server accepts (nil), refuses (a bare *ConnectError
// carrying its message), or ctx or ConnectTimeout expires. Connecting an
// already connected socket returns nil at once. A failed Connect does not
// start reconnection; a connected socket that later loses its connection
// reconnects as Options say.
func (s *Socket) Connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.m.cfg.ConnectTimeout)
	defer cancel()
	s.mu.Lock()
	if s.connected {
		s.mu.Unlock()
		return nil
	}
	s.active = true
	s.mu.Unlock()
	openCtx := ctx
	if readAcksInline {
		openCtx = withFirstReadInline(ctx)
	}
	e, err := s.m.engineFor(openCtx)
	if err != nil {
		s.abandon(err)
		return fmt.Errorf("socketio: connecting to %s: %w", s.m.cfg.base.Host, err)
	}
	done := s.join(e)
	if readAcksInline {
		// The answer is read as acks are: by the waiter itself.
		if ws, ok := e.current().(*wsTransport); ok {
			ws.readInline(ctx, inlineWait{joined: done})
		}
	}
	select {
	case <-done:
		s.mu.Lock()
		err := s.joinErr
		s.mu.Unlock()
		var refused *ConnectError
		switch {
		case errors.As(err, &refused):
			return refused // already names the namespace and the server's message
		case err != nil:
			return fmt.Errorf("socketio: joining namespace %s: %w", s.nsp, err)
		}
		return nil
	case <-ctx.Done():
		s.abandon(ctx.Err())
		return fmt.Errorf("socketio: joining namespace %s: %w", s.nsp, ctx.Err())
	}
}

// abandon gives up a Connect that failed before the namespace answered.
func (s *Socket) abandon(err error) {
	s.mu.Lock()
	if s.connected {
		s.mu.Unlock()
		return
	}
	s.active = false
	s.joinEng = nil
	s.finishJoinLocked(err)
	s.notifyLocked()
	s.mu.Unlock()
	s.m.releaseIfIdle()
}

func (s *Socket) finishJoinLocked(err error) {
	if s.joinDone != nil && !s.joinFinished {
		s.joinErr = err
		s.joinFinished = true
		close(s.joinDone)
		// Any closed channel says the same; the shared one lets a
		// connected socket drop its own.
		s.joinDone = closedChan
	}
}

// closedChan is a closed channel, for waits that are over.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// join sends the namespace CONNECT on e unless already sent there, and
// returns the channel closed when it is answered.
func (s *Socket) join(e *engine) <-chan struct{} {
	s.mu.Lock()
	if !s.active && s.joinDone == nil {
		s.joinDone, s.joinFinished = make(chan struct{}), false
		s.finishJoinLocked(ErrNotConnected)
	}
	if s.joinEng == e || !s.active {
		// Already sent there, or the attempt is over (refused or closed
		// meanwhile): joinErr says how.
		d := s.joinDone
		s.mu.Unlock()
		return d
	}
	s.joinEng, s.connected, s.sid = e, false, ""
	s.joinDone, s.joinErr, s.joinFinished = make(chan struct{}), nil, false
	done := s.joinDone
	s.mu.Unlock()

	if s.m.cfg.EngineVersion == wire.EngineV3 && s.nsp == "/" {
		// socket.io 2.x connects the main namespace by itself once per
		// connection; only a later re-join sends CONNECT.
		if first, pkt := e.claimRoot(); first {
			if pkt != nil {
				_ = s.onPacket(e, time.Now(), *pkt, nil, true)
			}
			return done
		}
	}
	if err := s.sendConnect(e); err != nil {
		s.mu.Lock()
		if s.joinEng == e {
			s.joinEng = nil
			s.finishJoinLocked(err)
		}
		s.mu.Unlock()
	}
	return done
}

func (s *Socket) sendConnect(e *engine) error {
	// Protocol v4 (Engine.IO v3) CONNECT packets carry none; without
	// Auth the packet is "40", as socket.io-client's, not "40{}".
	var auth any
	if s.m.cfg.EngineVersion == wire.EngineV4 && s.m.cfg.Auth != nil {
		auth = s.m.cfg.Auth
	}
	text, err := wire.AppendConnectPacket(nil, s.nsp, auth)
	if err != nil {
		return fmt.Errorf("socketio: encoding Options.Auth: %w", err)
	}
	_, err = e.send([]wire.Packet{{Type: wire.Message, Data: text}})
	return err
}

// onPacket handles a packet for this namespace on the reader goroutine.
// owned tells whether sp.Data may be kept (else it aliases a read buffer).
func (s *Socket) onPacket(e *engine, now time.Time, sp wire.SocketPacket, atts [][]byte, owned bool) error {
	switch sp.Type {
	case wire.Connect:
		s.onConnect(e, sp.Data)
	case wire.ConnectError:
		s.onConnectError(e, sp.Data)
	case wire.Disconnect:
		s.onServerDisconnect(e)
	case wire.Event, wire.BinaryEvent:
		return s.onEvent(now, sp, atts, owned)
	case wire.Ack, wire.BinaryAck:
		s.onAck(now, sp, atts, owned)
	default:
		return fmt.Errorf("unknown Socket.IO packet type %d", sp.Type)
	}
	return nil
}

func (s *Socket) onConnect(e *engine, data []byte) {
	sid := ""
	if s.m.cfg.EngineVersion == wire.EngineV4 {
		sid, _ = wire.ConnectSID(data)
	} else if s.nsp == "/" {
		sid = e.hs.SID
	} else {
		sid = s.nsp + "#" + e.hs.SID
	}
	s.mu.Lock()
	if s.joinEng != e || s.connected {
		s.mu.Unlock()
		return
	}
	s.connected, s.sid = true, sid
	s.finishJoinLocked(nil)
	s.notifyLocked()
	s.mu.Unlock()
	if cb := s.m.cfg.OnConnect; cb != nil {
		cb(s.nsp)
	}
}

func (s *Socket) onConnectError(e *engine, data []byte) {
	cerr := parseConnectError(s.nsp, data)
	s.mu.Lock()
	if s.joinEng != e {
		s.mu.Unlock()
		return
	}
	wasConnected := s.connected
	s.active, s.connected, s.joinEng, s.sid = false, false, nil, ""
	s.finishJoinLocked(cerr)
	s.notifyLocked()
	acks := s.takeAcksLocked()
	s.mu.Unlock()
	failAcks(acks, cerr)
	if cb := s.m.cfg.OnDisconnect; cb != nil && wasConnected {
		cb(s.nsp, ReasonServerDisconnect, cerr)
	}
	if cb := s.m.cfg.OnConnectError; cb != nil {
		cb(s.nsp, cerr)
	}
	s.m.releaseIfIdle()
}

func parseConnectError(nsp string, data []byte) *ConnectError {
	ce := &ConnectError{Namespace: nsp, Message: wire.ConnectErrorMessage(data)}
	var obj struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(data, &obj) == nil {
		ce.Data = obj.Data
	}
	if ce.Message == "" {
		ce.Message = string(data)
	}
	return ce
}

func (s *Socket) onServerDisconnect(e *engine) {
	s.mu.Lock()
	if s.joinEng != e || !s.connected {
		s.mu.Unlock()
		return
	}
	s.active, s.connected, s.joinEng, s.sid = false, false, nil, ""
	s.notifyLocked()
	acks := s.takeAcksLocked()
	s.mu.Unlock()
	failAcks(acks, closeErr(ReasonServerDisconnect, nil))
	if cb := s.m.cfg.OnDisconnect; cb != nil {
		cb(s.nsp, ReasonServerDisconnect, nil)
	}
	s.m.releaseIfIdle()
}

// onEngineClose learns that connection e is gone. The socket stays active,
// so reconnection re-joins it.
func (s *Socket) onEngineClose(e *engine, reason string, err error) {
	s.mu.Lock()
	if s.joinEng != e {
		s.mu.Unlock()
		return
	}
	wasConnected := s.connected
	s.connected, s.joinEng, s.sid = false, nil, ""
	cause := closeErr(reason, err)
	s.finishJoinLocked(cause)
	s.notifyLocked()
	acks := s.takeAcksLocked()
	s.mu.Unlock()
	failAcks(acks, cause)
	if cb := s.m.cfg.OnDisconnect; cb != nil && wasConnected {
		cb(s.nsp, reason, err)
	}
}

// Close leaves the namespace ("io client disconnect"): it sends DISCONNECT,
// fails pending acks, and closes the Manager's connection if no other
// socket uses it. The socket can Connect again later.
func (s *Socket) Close() error {
	s.mu.Lock()
	e, wasConnected := s.joinEng, s.connected
	s.active, s.connected, s.joinEng, s.sid = false, false, nil, ""
	s.finishJoinLocked(ErrNotConnected)
	s.notifyLocked()
	acks := s.takeAcksLocked()
	s.mu.Unlock()
	if e != nil && wasConnected {
		p := wire.SocketPacket{Type: wire.Disconnect, Namespace: s.nsp, ID: wire.NoID}
		bye := []wire.Packet{{Type: wire.Message, Data: wire.AppendSocketPacket(nil, &p)}}
		// The last socket of the connection leaves with it: the
		// DISCONNECT goes with the websocket's close frame.
		if !s.m.leaveIfIdle(e, bye) {
			_, _ = e.send(bye)
		}
	}
	failAcks(acks, closeErr(ReasonClientDisconnect, nil))
	if cb := s.m.cfg.OnDisconnect; cb != nil && wasConnected {
		cb(s.nsp, ReasonClientDisconnect, nil)
	}
	s.m.releaseIfIdle()
	return nil
}

// Watch has the process's poller read the socket's connection from now
// on, answering its heartbeats and delivering its events while nobody
// waits on it: needed only after a Connect with Options.DeferWatch, and
// harmless otherwise (a connection watched already, or none, is left as
// it is).
func (s *Socket) Watch() {
	if e := s.connectedEngine(); e != nil {
		if ws, ok := e.current().(*wsTransport); ok {
			ws.watchDeferred()
		}
	}
}

// connectedEngine is the connection to emit on, nil when not connected.
func (s *Socket) connectedEngine() *engine {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.connected {
		return nil
	}
	return s.joinEng
}

// Emit sends an event with args (any JSON-encodable values; []byte values,
// at any depth, travel as binary attachments). It returns once the message
// is written (websocket) or posted (polling). On a socket that is
// reconnecting it first waits up to Options.ReconnectWait for the
// connection to be back. It fails with ErrNotConnected when the socket is
// not connected (or not again in time) and with *PayloadTooLargeError when
// the message exceeds the server's maxPayload.
func (s *Socket) Emit(event string, args ...any) error {
	if err := s.awaitConnected(context.Background()); err != nil {
		return err
	}
	_, err := s.send(wire.Event, event, args, wire.NoID)
	return err
}

// EmitWithAck sends an event and waits for the server's acknowledgement,
// returned as a Message with ReceivedAt (stamped by the reader) and SentAt.
// On a socket that is reconnecting it first waits for the connection as
// Emit does (within ctx too). It gives up when ctx ends (or after
// Options.AckTimeout when ctx has no deadline) and when the socket
// disconnects before the ack.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Message, error) {
	if d := s.m.cfg.AckTimeout; d > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
	}
	if err := s.awaitConnected(ctx); err != nil {
		return Message{}, err
	}
	id := s.nextID.Add(1) - 1
	w := ackWaiterPool.Get().(*ackWaiter)
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		ackWaiterPool.Put(w)
		return Message{}, ErrNotConnected
	}
	s.acks.add(id, w)
	s.mu.Unlock()

	sentAt, err := s.send(wire.Event, event, args, id)
	if err != nil {
		if !s.removeAck(id) {
			// A disconnect failed it meanwhile: its reason is the cause.
			r := <-w.ch
			err = fmt.Errorf("socketio: no ack for %q on %s: %w", event, s.nsp, r.err)
		}
		ackWaiterPool.Put(w)
		return Message{}, err
	}
	if readAcksInline {
		s.readAckInline(ctx, w.ch)
	}
	var r ackResult
	select {
	case r = <-w.ch: // read inline: here already, no select of two
	default:
		select {
		case r = <-w.ch:
		case <-ctx.Done():
			if s.removeAck(id) {
				ackWaiterPool.Put(w)
				return Message{}, &NoAckError{Event: event, Namespace: s.nsp, SentAt: sentAt, Err: ctx.Err()}
			}
			r = <-w.ch // it arrived meanwhile
		}
	}
	ackWaiterPool.Put(w)
	if r.err != nil {
		return Message{}, &NoAckError{Event: event, Namespace: s.nsp, SentAt: sentAt, Err: r.err}
	}
	r.msg.SentAt = sentAt
	return r.msg, nil
}

// readAckInline reads the connection on the caller's goroutine until the
// ack is in done, if the connection waits for the poller (inline.go).
func (s *Socket) readAckInline(ctx context.Context, done chan ackResult) {
	if e := s.connectedEngine(); e != nil {
		if ws, ok := e.current().(*wsTransport); ok {
			ws.readInline(ctx, inlineWait{ack: done})
		}
	}
}

// send encodes and writes an event or ack packet.
func (s *Socket) send(typ wire.SocketPacketType, event string, args []any, id int64) (time.Time, error) {
	e := s.connectedEngine()
	if e == nil {
		return time.Time{}, ErrNotConnected
	}
	enc := encoderPool.Get().(*encoder)
	defer enc.release()
	var atts [][]byte
	var err error
	if typ == wire.Ack {
		enc.text, atts, err = wire.AppendAckPacket(enc.text[:0], s.nsp, id, args)
	} else {
		enc.text, atts, err = wire.AppendEventPacket(enc.text[:0], s.nsp, id, event, args)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("socketio: encoding the arguments of %q: %w", event, err)
	}
	enc.pkts = append(enc.pkts[:0], wire.Packet{Type: wire.Message, Data: enc.text})
	for _, a := range atts {
		enc.pkts = append(enc.pkts, wire.Packet{Type: wire.Message, Data: a, Binary: true})
	}
	sentAt, err := e.send(enc.pkts)
	if err != nil && !errors.Is(err, ErrNotConnected) && !errors.Is(err, ErrPayloadTooLarge) {
		err = fmt.Errorf("socketio: emitting %q: %w", event, err)
	}
	return sentAt, err
}

// encoder holds reusable encoding buffers.
type encoder struct {
	text []byte
	pkts []wire.Packet
}

var encoderPool = sync.Pool{New: func() any { return new(encoder) }}

func (enc *encoder) release() {
	clear(enc.pkts) // drop references to the caller's attachments
	enc.pkts = enc.pkts[:0]
	if cap(enc.text) > maxPooledBuffer {
		return
	}
	encoderPool.Put(enc)
}

type ackResult struct {
	msg Message
	err error
}

// ackWaiter is where the reader delivers one ack; pooled, since every
// EmitWithAck needs one.
type ackWaiter struct{ ch chan ackResult }

var ackWaiterPool = sync.Pool{New: func() any { return &ackWaiter{ch: make(chan ackResult, 1)} }}

// pendingAcks are a socket's acks waited for: the first in a field of its
// own, as an ack loop has one at a time (a map made and dropped at every
// emit was two allocations and its hashing per ack), the others in a map
// made when two are pending at once. An idle socket keeps no table of the
// acks it once waited for.
type pendingAcks struct {
	id   int64
	w    *ackWaiter // nil: no ack in the field
	more map[int64]*ackWaiter
}

func (a *pendingAcks) add(id int64, w *ackWaiter) {
	if a.w == nil {
		a.id, a.w = id, w
		return
	}
	if a.more == nil {
		a.more = make(map[int64]*ackWaiter)
	}
	a.more[id] = w
}

// len is how many acks are pending.
func (a *pendingAcks) len() int {
	n := len(a.more)
	if a.w != nil {
		n++
	}
	return n
}

// take forgets ack id and returns its waiter, nil if it was not pending.
func (a *pendingAcks) take(id int64) *ackWaiter {
	if a.w != nil && a.id == id {
		w := a.w
		a.w = nil
		return w
	}
	w, ok := a.more[id]
	if !ok {
		return nil
	}
	delete(a.more, id)
	if len(a.more) == 0 {
		a.more = nil
	}
	return w
}

// fail delivers err to every waiter of a.
func (a pendingAcks) fail(err error) {
	if a.w != nil {
		a.w.ch <- ackResult{err: err}
	}
	for _, w := range a.more {
		w.ch <- ackResult{err: err}
	}
}

// removeAck forgets a pending ack and reports whether it was still pending
// (if not, its result is on its way to the waiter's channel).
func (s *Socket) removeAck(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acks.take(id) != nil
}

func (s *Socket) takeAcksLocked() pendingAcks {
	acks := s.acks
	s.acks = pendingAcks{}
	return acks
}

func failAcks(acks pendingAcks, err error) { acks.fail(err) }

func (s *Socket) onAck(now time.Time, sp wire.SocketPacket, atts [][]byte, owned bool) {
	s.mu.Lock()
	w := s.acks.take(sp.ID)
	s.mu.Unlock()
	if w == nil {
		return // answered after its emit gave up
	}
	data := sp.Data
	if !owned {
		data = bytes.Clone(data)
	}
	w.ch <- ackResult{msg: Message{Namespace: s.nsp, ReceivedAt: now, data: data, attachments: atts, ackID: sp.ID}}
}

func (s *Socket) onEvent(now time.Time, sp wire.SocketPacket, atts [][]byte, owned bool) error {
	t := s.handlers.Load()
	if t == nil {
		return nil
	}
	name, err := wire.EventName(sp.Data)
	if err != nil {
		return err
	}
	named := t.events[name]
	if len(named) == 0 && len(t.any) == 0 {
		return nil
	}
	data := sp.Data
	if !owned {
		data = bytes.Clone(data)
	}
	msg := Message{Event: name, Namespace: s.nsp, ReceivedAt: now, data: data, attachments: atts,
		isEvent: true, ackID: sp.ID, socket: s}
	for _, h := range named {
		s.call(h, msg)
	}
	for _, h := range t.any {
		s.call(h, msg)
	}
	return nil
}

// handler is one registered listener.
type handler struct {
	event string // "" for OnAny
	fn    func(Message)
	once  bool
	fired atomic.Bool
}

// handlerTable is immutable once published: the reader dispatches without
// locking or allocating, and registration copies it.
type handlerTable struct {
	events map[string][]*handler
	any    []*handler
}

func (s *Socket) call(h *handler, m Message) {
	if h.once {
		if !h.fired.CompareAndSwap(false, true) {
			return
		}
		s.remove(h)
	}
	h.fn(m)
}

// On calls fn for every event named event, on the connection's reader. It
// returns a function that removes the listener.
func (s *Socket) On(event string, fn func(Message)) (off func()) {
	return s.add(&handler{event: event, fn: fn})
}

// Once calls fn for the next event named event only.
func (s *Socket) Once(event string, fn func(Message)) (off func()) {
	return s.add(&handler{event: event, fn: fn, once: true})
}

// OnAny calls fn for every event, after the named listeners.
func (s *Socket) OnAny(fn func(Message)) (off func()) {
	return s.add(&handler{fn: fn})
}

func (s *Socket) add(h *handler) func() {
	s.update(func(t *handlerTable) {
		if h.event == "" {
			t.any = append(t.any, h)
		} else {
			if t.events == nil {
				t.events = make(map[string][]*handler)
			}
			t.events[h.event] = append(t.events[h.event], h)
		}
	})
	return func() { s.remove(h) }
}

func (s *Socket) remove(h *handler) {
	s.update(func(t *handlerTable) {
		del := func(x *handler) bool { return x == h }
		if h.event == "" {
			t.any = slices.DeleteFunc(t.any, del)
		} else if hs := slices.DeleteFunc(t.events[h.event], del); len(hs) > 0 {
			t.events[h.event] = hs
		} else {
			delete(t.events, h.event)
		}
	})
}

// update publishes a modified copy of the handler table.
func (s *Socket) update(change func(*handlerTable)) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	next := &handlerTable{}
	if cur := s.handlers.Load(); cur != nil {
		if len(cur.events) > 0 {
			// No map at all for a socket with only OnAny handlers.
			next.events = make(map[string][]*handler, len(cur.events))
		}
		for k, v := range cur.events {
			next.events[k] = slices.Clone(v)
		}
		next.any = slices.Clone(cur.any)
	}
	change(next)
	s.handlers.Store(next)
}

// Expectation collects the next n events of one name; see Socket.Expect.
type Expectation struct {
	n    int
	off  func()
	mu   sync.Mutex
	msgs []Message
	done chan struct{}
}

// Expect starts collecting the next n events named event. Register it before
// triggering the events, then Wait.
func (s *Socket) Expect(event string, n int) *Expectation {
	x := &Expectation{n: n, done: make(chan struct{})}
	if n <= 0 {
		close(x.done)
		x.off = func() {}
		return x
	}
	x.off = s.On(event, func(m Message) {
		x.mu.Lock()
		defer x.mu.Unlock()
		if len(x.msgs) >= x.n {
			return
		}
		x.msgs = append(x.msgs, m)
		if len(x.msgs) == x.n {
			close(x.done)
		}
	})
	return x
}

// Wait blocks until the n events arrived or ctx ends, then stops collecting.
// On ctx's end it returns the events received so far with an error.
func (x *Expectation) Wait(ctx context.Context) ([]Message, error) {
	defer x.off()
	select {
	case <-x.done:
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.msgs, nil
	case <-ctx.Done():
		x.mu.Lock()
		defer x.mu.Unlock()
		got := slices.Clone(x.msgs)
		return got, fmt.Errorf("socketio: received %d of %d events: %w", len(got), x.n, ctx.Err())
	}
}

// WaitFor waits for n events named event arriving from now on. To avoid
// missing events triggered before the call, use Expect.
func (s *Socket) WaitFor(ctx context.Context, event string, n int) ([]Message, error) {
	return s.Expect(event, n).Wait(ctx)
}
