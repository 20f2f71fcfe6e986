package target

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// upgradeTimeout bounds the websocket probe of a polling session, as
// engine.io's upgradeTimeout does.
const upgradeTimeout = 10 * time.Second

// session is one Engine.IO connection. Outgoing packets are queued in out
// and drained by the transport: a waiting polling GET, or a flusher
// goroutine started on demand for websocket. Incoming packets are handled
// one at a time under inMu, whichever request carries them.
type session struct {
	srv     *Server
	id      string
	v       wire.EngineVersion
	query   url.Values
	headers http.Header
	// base64 is set when a v3 client asked for binary packets in base64
	// (a non-empty b64 query parameter in its handshake, as engine.io 3
	// reads it); otherwise a v3 poll that carries binary packets is
	// answered in the binary payload form.
	base64 bool

	mu        sync.Mutex
	websocket *websocket.Conn // set once the session runs on websocket
	probing   *websocket.Conn // the websocket of an upgrade under way
	out       []wire.Packet
	flushing  bool // a websocket flusher goroutine is running
	closing   bool // close once out is drained
	// closingReason is why the session is closing, counted when it closes.
	closingReason string
	closed        bool
	polling       bool // a GET is waiting
	upgrading     bool // a websocket probe is under way
	// upgradeEnded is closed when the upgrade under way ends, either way.
	upgradeEnded chan struct{}
	probed       bool // the probe was answered: GETs are released with a noop
	cookie       string
	pingTimer    *time.Timer // v4: sends the next ping
	deadTimer    *time.Timer // closes a session that went silent
	// liveUntil is when the session dies unless the client is heard: the
	// next pong is due (v4, from when the ping is due, not from when its
	// timer ran) or the next packet (v3). A request arriving later ends
	// the session and is refused, however late deadTimer runs on a
	// loaded machine.
	liveUntil time.Time
	// joinTimer closes a session in which no namespace was joined within
	// ConnectTimeout; nil once one was.
	joinTimer *time.Timer
	sockets   map[string]*socket
	// closeReason is why the session closed, set with closed.
	closeReason string
	wake        chan struct{} // wakes a waiting GET; capacity 1
	gone        chan struct{} // closed when the session is closed

	inMu    sync.Mutex // serializes incoming packets
	partial *partialBinary
}

// partialBinary is a binary event or ack waiting for its attachments.
type partialBinary struct {
	packet      wire.SocketPacket
	attachments [][]byte
}

func newSession(srv *Server, id string, r *http.Request) *session {
	s := &session{
		srv:     srv,
		id:      id,
		v:       srv.cfg.EngineVersion,
		query:   r.URL.Query(),
		headers: r.Header.Clone(),
		base64:  r.URL.Query().Get("b64") != "",
		cookie:  r.Header.Get("Cookie"),
		sockets: make(map[string]*socket),
		wake:    make(chan struct{}, 1),
		gone:    make(chan struct{}),
	}
	if !srv.cfg.EngineOnly {
		// socket.io closes the Engine.IO connection as any server close:
		// a polling client still gets the Close packet on its next GET.
		s.joinTimer = time.AfterFunc(srv.cfg.ConnectTimeout, func() { s.closeGracefully("connect timeout") })
	}
	return s
}

// closedByClient reports whether the client's close packet ended the
// session.
func (s *session) closedByClient() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeReason == "client close"
}

// joinedOnce stops the connect timeout: a namespace was joined. The caller
// holds mu.
func (s *session) joinedOnce() {
	if s.joinTimer != nil {
		s.joinTimer.Stop()
		s.joinTimer = nil
	}
}

func (s *session) recordCookie(r *http.Request) {
	s.mu.Lock()
	s.cookie = r.Header.Get("Cookie")
	s.mu.Unlock()
}

// openPackets returns what a new session sends first: the Open packet and,
// in v3, the CONNECT of the main namespace, which socket.io 2.x joins
// without being asked.
func (s *session) openPackets(upgrades []string) []wire.Packet {
	cfg := s.srv.cfg
	data := wire.AppendHandshake(nil, s.v, wire.Handshake{
		SID:          s.id,
		Upgrades:     upgrades,
		PingInterval: int(cfg.PingInterval.Milliseconds()),
		PingTimeout:  int(cfg.PingTimeout.Milliseconds()),
		MaxPayload:   cfg.MaxHTTPBufferSize,
	})
	packets := []wire.Packet{{Type: wire.Open, Data: data}}
	if s.v == wire.EngineV3 && !cfg.EngineOnly {
		packets = append(packets, s.connect("/", "", nil)...)
	}
	return packets
}

// startHeartbeat arms the timers: in v4 the server pings every
// PingInterval and the client has PingTimeout from then to answer; in v3
// the client pings and the server only watches for silence. Either way a
// client not heard from (v4: no pong) within PingInterval+PingTimeout is
// dropped, as engine.io drops it.
func (s *session) startHeartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.v == wire.EngineV4 {
		s.pingTimer = time.AfterFunc(s.srv.cfg.PingInterval, s.ping)
	}
	s.deadTimer = time.AfterFunc(s.srv.cfg.PingInterval+s.srv.cfg.PingTimeout, s.expire)
	s.extendLife()
}

// extendLife gives the client another PingInterval+PingTimeout from now.
// The caller holds mu.
func (s *session) extendLife() {
	d := s.srv.cfg.PingInterval + s.srv.cfg.PingTimeout
	s.liveUntil = time.Now().Add(d)
	if s.deadTimer != nil {
		s.deadTimer.Reset(d)
	}
}

// ping sends a v4 ping; the session's deadline already counts PingTimeout
// from when it was due.
func (s *session) ping() {
	s.send(wire.Packet{Type: wire.Ping})
}

// expire ends the session if its deadline has passed (a pong or packet
// may have moved it while the timer fired).
func (s *session) expire() {
	if s.overdue() {
		s.terminate("ping timeout")
	}
}

// overdue reports whether the open session's client was not heard from in
// time.
func (s *session) overdue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && !s.liveUntil.IsZero() && !time.Now().Before(s.liveUntil)
}

// timedOut ends an overdue session and reports whether it did: a request
// that arrives past the deadline finds the session closed, as it would
// have had the timer run on time.
func (s *session) timedOut() bool {
	if !s.overdue() {
		return false
	}
	s.terminate("ping timeout")
	return true
}

func (s *session) onPong() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.pingTimer == nil {
		return
	}
	s.extendLife()
	s.pingTimer.Reset(s.srv.cfg.PingInterval)
}

// heard notes that the client spoke (v3 liveness).
func (s *session) heard() {
	if s.v != wire.EngineV3 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed && s.deadTimer != nil {
		s.extendLife()
	}
}

// maxQueued bounds the packets waiting for a client that does not read
// (or poll); past it the session is closed rather than left to grow.
const maxQueued = 1 << 17

// send queues packets, in order and contiguously, for the client. It never
// blocks; packets sent after the session started closing are dropped.
func (s *session) send(packets ...wire.Packet) {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return
	}
	if len(s.out)+len(packets) > maxQueued {
		s.mu.Unlock()
		s.terminate("client too slow")
		return
	}
	s.out = append(s.out, packets...)
	s.kick()
	s.mu.Unlock()
}

// kick starts draining out. The caller holds mu.
func (s *session) kick() {
	if s.websocket != nil {
		if !s.flushing {
			s.flushing = true
			go s.flushWebsocket()
		}
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// flushWebsocket writes queued packets until none is left, each with a
// deadline; it is the only writer of data frames.
func (s *session) flushWebsocket() {
	var buf []byte
	for {
		s.mu.Lock()
		batch, ws, closing := s.out, s.websocket, s.closing
		s.out = nil
		if len(batch) == 0 {
			s.flushing = false
			s.mu.Unlock()
			if closing {
				deadline := time.Now().Add(time.Second)
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline)
				s.terminate(s.closingWhy())
			}
			return
		}
		s.mu.Unlock()
		for _, p := range batch {
			frame, binary := wire.AppendFrame(s.v, buf[:0], p)
			buf = frame
			kind := websocket.TextMessage
			if binary {
				kind = websocket.BinaryMessage
			}
			_ = ws.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
			if err := ws.WriteMessage(kind, frame); err != nil {
				s.mu.Lock()
				s.flushing = false
				s.mu.Unlock()
				s.terminate("transport error")
				return
			}
		}
	}
}

// closeGracefully delivers what is queued, then closes the session, as
// socket.io's disconnect(true) does; reason is counted when it closes.
// Until then a polling client's requests are answered as usual.
func (s *session) closeGracefully(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.closing {
		return
	}
	s.closing = true
	s.closingReason = reason
	if s.websocket == nil {
		// takeForPoll sends the Close packet in a response of its own
		// once out is drained, as engine.io does: clients handle the
		// packets before it on a later tick, and would otherwise see the
		// transport close first. A client that stops polling must not
		// keep the session open.
		time.AfterFunc(s.srv.cfg.PingTimeout, func() { s.terminate(reason) })
	}
	s.kick()
}

// isClosing reports whether the session is closing once what is queued
// is delivered.
func (s *session) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// closingWhy is the reason given to closeGracefully, "server disconnect"
// if none was.
func (s *session) closingWhy() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closingReason == "" {
		return "server disconnect"
	}
	return s.closingReason
}

// terminate closes the session at once: timers stop, the websocket closes,
// a waiting GET returns, sockets leave their rooms. The first call's reason
// is counted in Stats.Closed; later calls do nothing.
func (s *session) terminate(reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.closeReason = reason
	for _, t := range []*time.Timer{s.pingTimer, s.deadTimer, s.joinTimer} {
		if t != nil {
			t.Stop()
		}
	}
	conns := []*websocket.Conn{s.websocket, s.probing}
	sockets := s.sockets
	s.sockets = nil
	// A polling client's close with no GET waiting may have raced the
	// GET it sent just before (both in flight on two connections).
	raced := reason == "client close" && s.websocket == nil && !s.polling
	close(s.gone)
	s.mu.Unlock()

	// Counted before the session leaves the table, so a reader who sees
	// it gone sees its reason too.
	s.srv.stats.countClose(reason)
	s.srv.unregister(s)
	if raced {
		s.srv.rememberClientClose(s)
	}
	for _, ws := range conns {
		if ws != nil {
			_ = ws.Close()
		}
	}
	for _, sock := range sockets {
		sock.closed()
	}
}

// onPacket handles one incoming Engine.IO packet. The caller holds inMu.
func (s *session) onPacket(p wire.Packet) error {
	s.heard()
	if s.isClosing() {
		// engine.io ignores what arrives once its socket is closing: a
		// packet the client sent before it saw the server's DISCONNECT
		// must not cut short the delivery of that DISCONNECT.
		return nil
	}
	switch p.Type {
	case wire.Ping:
		if s.v == wire.EngineV3 {
			s.send(wire.Packet{Type: wire.Pong, Data: p.Data})
		}
	case wire.Pong:
		if s.v == wire.EngineV4 {
			s.onPong()
		}
	case wire.Message:
		if s.srv.cfg.EngineOnly {
			s.send(wire.Packet{Type: wire.Message, Binary: p.Binary, Data: bytes.Clone(p.Data)})
			return nil
		}
		if p.Binary {
			return s.onAttachment(p.Data)
		}
		return s.onSocketText(p.Data)
	case wire.Close:
		s.terminate("client close")
		return errSessionClosed
	}
	return nil
}

var errSessionClosed = errors.New("session closed")

// openPolling answers a polling handshake.
func (s *session) openPolling(w http.ResponseWriter, r *http.Request) {
	s.writePayload(w, s.openPackets([]string{"websocket"}))
	s.startHeartbeat()
}

// writePayload answers a poll with packets: in Engine.IO v3, to a client
// that did not ask for base64, in the binary form when a packet is binary
// (as engine.io 3 does), otherwise in the text form.
func (s *session) writePayload(w http.ResponseWriter, packets []wire.Packet) error {
	var body []byte
	if s.v == wire.EngineV3 && !s.base64 && wire.HasBinary(packets) {
		body = wire.AppendBinaryPayloadV3(nil, packets)
		w.Header().Set("Content-Type", "application/octet-stream")
	} else {
		body = wire.AppendPayload(s.v, nil, packets)
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	}
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(body)
	return err
}

// answerClosedPoll answers a GET that raced the client's own close: with
// the noop it would have had had it arrived first.
func (s *session) answerClosedPoll(w http.ResponseWriter) {
	_ = s.writePayload(w, []wire.Packet{{Type: wire.Noop}})
}

// servePoll answers a polling GET: it waits until there is something to
// send, or for at most pollWait (a noop then), and sends everything queued.
func (s *session) servePoll(w http.ResponseWriter, r *http.Request) {
	s.timedOut()
	held := s.awaitUpgrade(r)
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		// Found just before the client's close ended it.
		if s.srv.takeClientClosed(s.id) != nil {
			s.answerClosedPoll(w)
			return
		}
		engineError(w, http.StatusBadRequest, errUnknownSID, "Session ID unknown")
		return
	case s.websocket != nil:
		s.mu.Unlock()
		engineError(w, http.StatusBadRequest, errBadRequest, "Bad request: the session runs on websocket")
		return
	case s.polling:
		s.mu.Unlock()
		s.terminate("overlapping polls")
		engineError(w, http.StatusBadRequest, errBadRequest, "Bad request: overlapping polling requests")
		return
	}
	s.polling = true
	// A GET sent after the probe was answered is released with a noop
	// after a short wait, as engine.io releases every poll at 100 ms
	// intervals until the upgrade ends: the client may have polled again
	// before it saw the probe's answer, and waits for this GET to return
	// before it sends the upgrade packet.
	// A GET held during the upgrade has waited already: if the probe was
	// answered it is released at once.
	wait := s.pollWait()
	if s.probed && !held {
		wait = probeNoopDelay
	}
	s.mu.Unlock()

	idle := time.NewTimer(wait)
	defer idle.Stop()
	for {
		// The session stops counting this GET as waiting before its answer
		// is written: the client may send the next GET as soon as it has
		// read it, and must not be taken for an overlapping poll.
		packets, last := s.takeForPoll(wait == probeNoopDelay)
		if packets == nil {
			select {
			case <-s.wake:
				continue
			case <-s.gone:
				packets = []wire.Packet{{Type: wire.Close}}
				if s.closedByClient() {
					// The client knows: engine.io releases the GET with
					// a noop.
					packets = []wire.Packet{{Type: wire.Noop}}
				}
			case <-idle.C:
				packets = []wire.Packet{{Type: wire.Noop}}
			case <-r.Context().Done():
			}
			s.mu.Lock()
			s.polling = false
			s.mu.Unlock()
			if packets == nil {
				return
			}
		}
		err := s.writePayload(w, packets)
		if last || err != nil {
			s.terminate(s.closingWhy())
		}
		return
	}
}

// awaitUpgrade holds a GET that arrives while a websocket upgrade is under
// way until the upgrade ends or probeNoopDelay passes (engine.io releases
// such GETs every 100 ms), and reports whether it held it. A client that
// upgrades sends "2probe" and "5" on the websocket before any GET that
// follows them; here the two connections are read by two goroutines, and
// the hold lets the websocket's reader act on what it has received before
// the GET is answered, so that a GET sent after the upgrade is refused as
// it is once the session runs on websocket. (socket.io clients never poll
// after sending "5": they wait for their pending GET first.)
func (s *session) awaitUpgrade(r *http.Request) bool {
	s.mu.Lock()
	upgrading, ended := s.upgrading, s.upgradeEnded
	s.mu.Unlock()
	if !upgrading {
		return false
	}
	hold := time.NewTimer(probeNoopDelay)
	defer hold.Stop()
	select {
	case <-ended:
	case <-hold.C:
	case <-s.gone:
	case <-r.Context().Done():
	}
	return true
}

// pollWait is the longest a GET waits with nothing to send. In v3 that is
// the ping interval; in v4 the server's own ping ends the wait after the
// ping interval, so the limit only matters if that ping is lost.
func (s *session) pollWait() time.Duration {
	if s.v == wire.EngineV3 {
		return s.srv.cfg.PingInterval
	}
	return s.srv.cfg.PingInterval + s.srv.cfg.PingTimeout
}

// probeNoopDelay is how long a GET sent during an upgrade waits before its
// noop.
const probeNoopDelay = 100 * time.Millisecond

// takeForPoll returns what a waiting GET should send now (nil: keep
// waiting), and whether it ends the session. When it returns packets the
// GET no longer counts as waiting. A GET that was waiting when the probe
// was answered (!sentDuringProbe) is released at once.
func (s *session) takeForPoll(sentDuringProbe bool) (packets []wire.Packet, last bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if packets != nil {
			s.polling = false
		}
	}()
	if s.websocket != nil || (s.probed && !sentDuringProbe) {
		// The client is moving to websocket: release its GET.
		return []wire.Packet{{Type: wire.Noop}}, false
	}
	if len(s.out) > 0 {
		packets, s.out = s.out, nil
		return packets, false
	}
	if s.closing {
		return []wire.Packet{{Type: wire.Close}}, true
	}
	return nil, false
}

// serveData handles a polling POST: the client's packets.
func (s *session) serveData(w http.ResponseWriter, r *http.Request) {
	if s.timedOut() {
		engineError(w, http.StatusBadRequest, errUnknownSID, "Session ID unknown")
		return
	}
	limit := s.srv.cfg.MaxHTTPBufferSize
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.terminate("max payload exceeded")
			http.Error(w, "payload too large: the target's maxHttpBufferSize is "+strconv.Itoa(limit)+" bytes (--max-http-buffer-size)", http.StatusRequestEntityTooLarge)
			return
		}
		s.terminate("transport error")
		return
	}
	var packets []wire.Packet
	err = wire.DecodePayload(s.v, body, limit, func(p wire.Packet) error {
		packets = append(packets, p)
		return nil
	})
	if err != nil {
		s.terminate("parse error")
		engineError(w, http.StatusBadRequest, errBadRequest, "Bad request: "+err.Error())
		return
	}
	// Answer before handling: an answer to these packets may reach the
	// client on its waiting GET, and a client that reacts to it (by
	// closing, say) must not find its POST still in flight. With its
	// length known the response is complete once flushed (a chunked one
	// would end only when this handler returns). inMu is taken first, so
	// the client's next POST, sent once it reads "ok", is handled after
	// this one.
	s.inMu.Lock()
	defer s.inMu.Unlock()
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", "2")
	_, _ = io.WriteString(w, "ok")
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	for _, p := range packets {
		if err := s.onPacket(p); err != nil {
			if !errors.Is(err, errSessionClosed) {
				s.terminate("parse error")
			}
			return
		}
	}
}

// runWebsocket serves a session opened directly on websocket until it ends.
func (s *session) runWebsocket(ws *websocket.Conn) {
	ws.SetReadLimit(int64(s.srv.cfg.MaxHTTPBufferSize))
	s.mu.Lock()
	if s.closed { // the server closed while the handshake ran
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.websocket = ws
	s.mu.Unlock()
	if s.srv.cfg.EngineOnly {
		time.Sleep(suiteOpenDelay)
	}
	s.send(s.openPackets([]string{})...)
	s.startHeartbeat()
	s.readWebsocket(ws)
}

// suiteOpenDelay separates, in EngineOnly mode, the Open packet from the
// websocket handshake's response. The official Engine.IO suites' client
// (Node's ws) waits for its socket's "open" event and only then listens
// for messages; a frame that reaches it in the same read as the response
// is delivered before it listens, and lost (engine.io itself loses about a
// quarter of them so; a Go server, writing the frame at once, more).
const suiteOpenDelay = 20 * time.Millisecond

// serveUpgrade moves a polling session to websocket: the client probes
// (2probe), the server answers (3probe) and releases the waiting GET with a
// noop, the client sends the upgrade packet (5), and from then on every
// packet travels on the websocket.
func (s *session) serveUpgrade(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		engineError(w, http.StatusBadRequest, errBadRequest, "Bad request: the session cannot upgrade now")
		return
	}
	if s.websocket != nil || s.upgrading {
		// A second websocket for the session: engine.io completes its
		// handshake and closes it, leaving the session as it was.
		s.mu.Unlock()
		if ws, err := s.srv.upgrader.Upgrade(w, r, nil); err == nil {
			_ = ws.Close()
		}
		return
	}
	s.upgrading = true
	s.upgradeEnded = make(chan struct{})
	s.mu.Unlock()

	ws, err := s.srv.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.endUpgrade(nil)
		return
	}
	ws.SetReadLimit(int64(s.srv.cfg.MaxHTTPBufferSize))
	s.mu.Lock()
	s.probing = ws // terminate closes it, so a probe cannot outlive the session
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.endUpgrade(nil)
		_ = ws.Close()
		return
	}
	if err := s.probe(ws); err != nil {
		s.endUpgrade(nil)
		_ = ws.Close()
		return
	}
	s.endUpgrade(ws)
	s.srv.goRead(func() { s.readWebsocket(ws) })
}

// probe runs the upgrade handshake on ws.
func (s *session) probe(ws *websocket.Conn) error {
	_ = ws.SetReadDeadline(time.Now().Add(upgradeTimeout))
	p, err := readPacket(ws, s.v)
	if err != nil {
		return err
	}
	if p.Type != wire.Ping || string(p.Data) != "probe" {
		return errors.New("expected the probe ping")
	}
	frame, _ := wire.AppendFrame(s.v, nil, wire.Packet{Type: wire.Pong, Data: []byte("probe")})
	_ = ws.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		return err
	}
	s.mu.Lock()
	s.probed = true
	s.kick()
	s.mu.Unlock()
	for {
		p, err := readPacket(ws, s.v)
		if err != nil {
			return err
		}
		switch p.Type {
		case wire.Upgrade:
			_ = ws.SetReadDeadline(time.Time{})
			return nil
		case wire.Noop, wire.Ping:
		default:
			return errors.New("unexpected packet during upgrade")
		}
	}
}

// endUpgrade records the outcome of a probe: ws is nil when it failed.
func (s *session) endUpgrade(ws *websocket.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.upgrading {
		close(s.upgradeEnded)
	}
	s.upgrading = false
	s.probing = nil
	s.probed = false
	if ws == nil {
		return
	}
	if s.closed {
		_ = ws.Close()
		return
	}
	s.websocket = ws
	// Release a waiting GET and write anything queued on the websocket.
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if len(s.out) > 0 || s.closing {
		s.kick()
	}
}

// lingerDrain bounds how long the rest of an oversized message is read
// and dropped.
const lingerDrain = time.Second

// lingerAfterClose reads and drops what the client still sends after the
// server's close frame (1009, message too big, sent by the websocket
// library), until the client closes or lingerDrain passes. Closing at once
// would leave the rest of the oversized message unread, the kernel would
// reset the connection, and the client would see "connection reset"
// instead of the close code that explains the limit, as Node's ws library
// avoids by waiting for the closing handshake too.
func lingerAfterClose(ws *websocket.Conn) {
	conn := ws.NetConn()
	_ = conn.SetReadDeadline(time.Now().Add(lingerDrain))
	_, _ = io.Copy(io.Discard, conn)
}

func readPacket(ws *websocket.Conn, v wire.EngineVersion) (wire.Packet, error) {
	kind, data, err := ws.ReadMessage()
	if err != nil {
		return wire.Packet{}, err
	}
	return wire.DecodeFrame(v, data, kind == websocket.BinaryMessage)
}

// readWebsocket is the websocket's only reader; it returns when the session
// ends, and ends it when the connection fails.
func (s *session) readWebsocket(ws *websocket.Conn) {
	defer func() {
		// A client answering the server's close frame ends the read
		// before the writer counts why the server closed.
		reason := "transport close"
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing {
			reason = s.closingWhy()
		}
		s.terminate(reason)
	}()
	for {
		kind, data, err := ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				lingerAfterClose(ws)
				s.terminate("max payload exceeded")
			}
			return
		}
		p, err := wire.DecodeFrame(s.v, data, kind == websocket.BinaryMessage)
		if err != nil {
			s.terminate("parse error")
			return
		}
		if s.timedOut() {
			return
		}
		s.inMu.Lock()
		err = s.onPacket(p)
		s.inMu.Unlock()
		if err != nil {
			if !errors.Is(err, errSessionClosed) {
				s.terminate("parse error")
			}
			return
		}
	}
}
