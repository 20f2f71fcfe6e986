package socketio

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// wsHandshakeBufferSize is the read buffer of gorilla's Dialer, which reads
// the handshake's response; it is dropped with gorilla's Conn once the
// handshake is over.
const wsHandshakeBufferSize = 1024

// wsTransport is Engine.IO over one websocket: the HTTP handshake
// (handshake.go; gorilla's Dialer for the options it does not cover) and
// the frames (frame.go) are the client's own, so that an idle connection
// holds no read buffer and, on the poller, no goroutine.
type wsTransport struct {
	conn net.Conn
	// raw is the plain TCP connection's, for the poller; nil when the
	// connection is read by a goroutine (TLS, another dialer's conn, no
	// poller on this system).
	raw          syscall.RawConn
	cfg          *config
	header       http.Header // of the handshake's response
	v            wire.EngineVersion
	writeTimeout time.Duration
	maxPayload   int // the server's limit for one message, 0 if unknown
	// largest is the largest message written so far, to explain a close
	// for "message too big" by the server.
	largest atomic.Int64
	// writing is the size of the message being written, or of the last one
	// if its write failed: a server that drops an oversized message may
	// close or reset the connection without saying why, and whichever the
	// client sees first, the failed write or the end of the connection,
	// should explain it.
	writing atomic.Int64

	// wmu serializes frame writes and the write deadline they set.
	wmu sync.Mutex
	// closeSent is set once a close frame was written: later writes fail
	// with websocket.ErrCloseSent.
	closeSent atomic.Bool
	// pongDue is set while a pong to a websocket ping is being written;
	// pings meanwhile share it.
	pongDue atomic.Bool
	// leaving is set when the client leaves on a goroutine that holds no
	// lock (engine.leave): the end of a connection waiting for the poller
	// is reported there, with no goroutine started for it.
	leaving atomic.Bool
	// parked is set once close parked the socket (closing.go).
	parked atomic.Bool

	fr frameReader // only the one reader at a time uses it
	// readFn is what the read in progress delivers to (nil: the poller's
	// owner).
	readFn func(time.Time, wire.Packet) error

	// poll is the poller's bookkeeping, when the poller reads this
	// connection.
	poll pollState
}

// maxHandshakeBytes bounds the websocket handshake's response head, as
// net/http bounds a polling response's (http.DefaultMaxHeaderBytes): a
// server answering with an endless status line or header costs this much,
// not the process.
const maxHandshakeBytes = http.DefaultMaxHeaderBytes

var errHandshakeTooLarge = fmt.Errorf("the server's handshake response is larger than %d bytes", maxHandshakeBytes)

// handshakeConn is a connection whose reads are bounded until the websocket
// handshake is over, which a cancelled context unblocks at once (gorilla's
// handshake honours only the context's deadline), and whose reads stop at
// the end of the response's head: gorilla's buffered reader never takes
// the bytes after it, which after a 101 are the first frames (the server's
// open packet often comes in the same segment) and are kept in extra.
type handshakeConn struct {
	net.Conn
	// left is what the head may still take.
	left int64
	// matched is how much of "\r\n\r\n" ends what was read so far.
	matched int
	// headRead is set once the head has been read; extra holds what was
	// read past it, served to gorilla only if it reads on (the body of an
	// answer other than 101).
	headRead bool
	extra    []byte
}

const headEnd = "\r\n\r\n"

func (c *handshakeConn) Read(p []byte) (int, error) {
	if len(c.extra) > 0 {
		n := copy(p, c.extra)
		c.extra = c.extra[n:]
		return n, nil
	}
	if c.headRead {
		return c.Conn.Read(p)
	}
	if c.left == 0 {
		return 0, errHandshakeTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	for i, b := range p[:n] {
		switch {
		case b == headEnd[c.matched]:
			c.matched++
		case b == '\r':
			c.matched = 1
		default:
			c.matched = 0
		}
		if c.matched == len(headEnd) {
			c.headRead = true
			c.extra = bytes.Clone(p[i+1 : n])
			return i + 1, nil
		}
	}
	return n, err
}

// handshakeDial dials through dial and keeps the connection so that a
// cancelled ctx can interrupt the handshake.
type handshakeDial struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	tls  *tls.Config // nil: none configured
	mu   sync.Mutex
	conn *handshakeConn
	// cancelled is set when ctx ended; a connection dialed after that is
	// interrupted as soon as it is made.
	cancelled bool
}

func (h *handshakeDial) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := h.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return h.track(c), nil
}

// dialTLSContext dials and makes the TLS handshake, so that the
// handshakeConn sits above TLS and reads what TLS decrypted.
func (h *handshakeDial) dialTLSContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := h.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{}
	if h.tls != nil {
		cfg = h.tls.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	tc := tls.Client(c, cfg)
	hc := h.track(tc)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return hc, nil
}

// track wraps c so that interrupt reaches it.
func (h *handshakeDial) track(c net.Conn) *handshakeConn {
	hc := &handshakeConn{Conn: c, left: maxHandshakeBytes}
	h.mu.Lock()
	h.conn = hc
	if h.cancelled {
		_ = c.SetDeadline(time.Unix(1, 0))
	}
	h.mu.Unlock()
	return hc
}

// interrupt makes the handshake's pending and future reads and writes fail.
func (h *handshakeDial) interrupt() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cancelled = true
	if h.conn != nil {
		_ = h.conn.SetDeadline(time.Unix(1, 0))
	}
}

// dialWebsocket opens the websocket of the session sid ("" for a new
// session), with the client's own handshake unless the options need
// gorilla's Dialer.
func dialWebsocket(ctx context.Context, cfg *config, jar http.CookieJar, sid string) (*wsTransport, error) {
	if !ownHandshake(cfg.ExtraHeaders) {
		return dialWebsocketGorilla(ctx, cfg, jar, sid)
	}
	t, _, err := dialWebsocketOwn(ctx, cfg, jar, sid, false)
	return t, err
}

// dialWebsocketArmed is dialWebsocket for a first read within ctx (see
// readArmed): ctx's end interrupts the connection until stop is called.
// With the client's own handshake the handshake's callback on ctx serves
// the read too, one registration on ctx and its removal fewer per
// connection.
func dialWebsocketArmed(ctx context.Context, cfg *config, jar http.CookieJar, sid string) (t *wsTransport, stop func() bool, err error) {
	if ownHandshake(cfg.ExtraHeaders) {
		t, stop, err = dialWebsocketOwn(ctx, cfg, jar, sid, true)
	} else {
		t, err = dialWebsocketGorilla(ctx, cfg, jar, sid)
	}
	if err == nil && stop == nil {
		stop = t.interruptOn(ctx)
	}
	return t, stop, err
}

// dialWebsocketOwn is dialWebsocket with the client's own handshake; with
// keep, see wsHandshake.dialArmed.
func dialWebsocketOwn(ctx context.Context, cfg *config, jar http.CookieJar, sid string, keep bool) (*wsTransport, func() bool, error) {
	h := wsHandshake{cfg: cfg, jar: jar, sid: sid}
	conn, header, extra, resp, stop, err := h.dialArmed(ctx, keep)
	if cfg.Trace != nil {
		traced := resp
		if err == nil {
			traced = &http.Response{StatusCode: http.StatusSwitchingProtocols}
		}
		cfg.traceRequest(TransportWebsocket, http.MethodGet, cfg.engineURL(TransportWebsocket, sid), traced, err)
	}
	if err != nil {
		return nil, nil, handshakeFailed(ctx, cfg, resp, err)
	}
	t, err := newWSTransport(cfg, conn, header, extra)
	if err != nil && stop != nil {
		stop()
		stop = nil
	}
	return t, stop, err
}

// handshakeFailed is the error of a failed handshake, with the refusing
// response when there was one.
func handshakeFailed(ctx context.Context, cfg *config, resp *http.Response, err error) error {
	if ctx.Err() != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return fmt.Errorf("socketio: websocket connection to %s: %w", cfg.base.Host, context.Cause(ctx))
	}
	if resp != nil {
		return withRedirect(resp, wsHandshakeError(cfg, resp, err))
	}
	return fmt.Errorf("socketio: websocket connection to %s: %w", cfg.base.Host, err)
}

// dialWebsocketGorilla is dialWebsocket through gorilla's Dialer.
func dialWebsocketGorilla(ctx context.Context, cfg *config, jar http.CookieJar, sid string) (*wsTransport, error) {
	hd := &handshakeDial{dial: cfg.DialContext, tls: cfg.tlsConfig()}
	d := websocket.Dialer{
		NetDialContext:    hd.dialContext,
		NetDialTLSContext: hd.dialTLSContext,
		HandshakeTimeout:  cfg.ConnectTimeout,
		ReadBufferSize:    wsHandshakeBufferSize,
		WriteBufferSize:   wsHandshakeBufferSize,
		Jar:               jar,
	}
	u := cfg.engineURL(TransportWebsocket, sid)
	stop := context.AfterFunc(ctx, hd.interrupt)
	_, resp, err := d.DialContext(ctx, u, cfg.ExtraHeaders)
	cfg.traceRequest(TransportWebsocket, http.MethodGet, u, resp, err)
	if !stop() && err == nil {
		// Cancelled as the handshake ended: the connection may be unusable.
		hd.conn.Conn.Close()
		err = ctx.Err()
	}
	if err != nil {
		return nil, handshakeFailed(ctx, cfg, resp, err)
	}
	// gorilla's Conn is dropped here, not closed: from now on the frames
	// are read and written on the connection itself.
	return newWSTransport(cfg, hd.conn.Conn, resp.Header, hd.conn.extra)
}

// newWSTransport is the transport of a websocket whose handshake is over;
// extra are the bytes that came after the handshake's response.
func newWSTransport(cfg *config, conn net.Conn, header http.Header, extra []byte) (*wsTransport, error) {
	t := &wsTransport{
		conn: conn, cfg: cfg, v: cfg.EngineVersion, writeTimeout: cfg.WriteTimeout, header: header,
		fr: frameReader{limit: cfg.MaxReadBytes, budget: cfg.ReadBudget},
	}
	if len(extra) > 0 {
		space, err := t.fr.space()
		for err == nil && len(space) < len(extra) {
			err = t.fr.in.grow()
			space = t.fr.in.b[len(t.fr.in.b):cap(t.fr.in.b)]
		}
		if err != nil {
			t.conn.Close()
			return nil, fmt.Errorf("socketio: websocket connection to %s: %w", cfg.base.Host, err)
		}
		t.fr.filled(copy(space, extra))
	}
	t.raw = pollableConn(t.conn)
	return t, nil
}

func (t *wsTransport) name() string { return TransportWebsocket }

// frameSize is the size of p as one websocket message.
func (t *wsTransport) frameSize(p wire.Packet) int {
	if p.Binary && t.v == wire.EngineV4 {
		return len(p.Data)
	}
	return 1 + len(p.Data)
}

// write sends pkts as consecutive messages in one Write.
func (t *wsTransport) write(pkts []wire.Packet) (time.Time, error) {
	return t.writeFrames(pkts, false)
}

// writeLast sends pkts and a close frame (1000) after them in one Write,
// as the client leaves: the server reads its last messages and the end of
// the websocket together, and no write may follow.
func (t *wsTransport) writeLast(pkts []wire.Packet) error {
	_, err := t.writeFrames(pkts, true)
	return err
}

// writeFrames writes pkts as consecutive messages, and a close frame after
// them when closing, in one Write.
func (t *wsTransport) writeFrames(pkts []wire.Packet, closing bool) (time.Time, error) {
	var batch int64
	for _, p := range pkts {
		n := t.frameSize(p)
		if t.maxPayload > 0 && n > t.maxPayload && !t.cfg.SendOverMaxPayload {
			return time.Time{}, &PayloadTooLargeError{Size: n, MaxPayload: t.maxPayload}
		}
		batch = max(batch, int64(n))
		if int64(n) > t.largest.Load() {
			t.largest.Store(int64(n))
		}
	}
	t.cfg.tracePackets(true, TransportWebsocket, pkts...)
	buf := getBuffer()
	defer putBuffer(buf)
	var first int
	for i, p := range pkts {
		var start int
		buf.b, start = appendFrameStart(buf.b)
		frame, binary := wire.AppendFrame(t.v, buf.b, p)
		op := byte(opText)
		if binary {
			op = opBinary
		}
		from := finishFrame(frame, start, op)
		if i == 0 {
			first = from
		} else if gap := from - start; gap > 0 {
			// Close the gap left before this frame's head.
			frame = frame[:start+copy(frame[start:], frame[from:])]
		}
		buf.b = frame
	}
	if closing {
		buf.b = appendCloseFrame(buf.b, websocket.CloseNormalClosure)
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	sentAt := time.Now()
	if closing && t.closeSent.Swap(true) || !closing && t.closeSent.Load() {
		return sentAt, closeErr(ReasonTransportError, fmt.Errorf("websocket write: %w", websocket.ErrCloseSent))
	}
	t.writing.Store(batch)
	if t.raw != nil {
		if written, err := t.writeNow(buf.b[first:]); err != nil && written {
			return sentAt, t.explain(closeErr(ReasonTransportError, fmt.Errorf("websocket write: %w", err)))
		} else if written {
			t.writing.Store(0)
			return sentAt, nil
		}
	}
	if err := t.conn.SetWriteDeadline(sentAt.Add(t.writeTimeout)); err != nil {
		return sentAt, closeErr(ReasonTransportError, err)
	}
	if _, err := t.conn.Write(buf.b[first:]); err != nil {
		return sentAt, t.explain(closeErr(ReasonTransportError, fmt.Errorf("websocket write: %w", err)))
	}
	t.writing.Store(0)
	return sentAt, nil
}

// controlWait bounds the write of a control frame, as gorilla's does.
const controlWait = time.Second

// writeControl writes a control frame within controlWait. A pong waits for
// a data write in progress; a close does not: the connection is ending, so
// it shortens that write's deadline to its own and goes after it (the
// connection writes each frame whole).
func (t *wsTransport) writeControl(op byte, payload []byte) error {
	if op == opClose && t.closeSent.Swap(true) || op != opClose && t.closeSent.Load() {
		return websocket.ErrCloseSent
	}
	buf := getBuffer()
	defer putBuffer(buf)
	var start int
	buf.b, start = appendFrameStart(buf.b[:0])
	buf.b = append(buf.b, payload...)
	frame := buf.b[finishFrame(buf.b, start, op):]
	if op != opClose {
		t.wmu.Lock()
		defer t.wmu.Unlock()
	} else if t.wmu.TryLock() {
		defer t.wmu.Unlock()
	}
	if err := t.conn.SetWriteDeadline(time.Now().Add(controlWait)); err != nil {
		return err
	}
	_, err := t.conn.Write(frame)
	return err
}

// appendCloseFrame appends a close frame with code and no reason.
func appendCloseFrame(b []byte, code int) []byte {
	b, start := appendFrameStart(b)
	b = append(b, byte(code>>8), byte(code))
	from := finishFrame(b, start, opClose)
	// Close the gap left before the frame's head.
	return b[:start+copy(b[start:], b[from:])]
}

// explain adds the likely cause to a failure during or after the write of a
// large message, when the server announced no limit.
func (t *wsTransport) explain(err error) error {
	n := t.writing.Load()
	if t.maxPayload > 0 || n <= dropHintBytes {
		return err
	}
	reason, cause := reasonOf(err)
	return closeErr(reason, fmt.Errorf("%w while writing a message of %d bytes: %w", cause, n, errTooLargeLikely))
}

// message delivers one message to the reader's fn, or on the poller to
// its owner (wsTransport is the frameSink of its reads).
func (t *wsTransport) message(binary bool, data []byte) error {
	now := time.Now()
	p, err := wire.DecodeFrame(t.v, data, binary)
	if err != nil {
		return closeErr(ReasonParseError, err)
	}
	t.cfg.tracePackets(false, TransportWebsocket, p)
	if t.readFn != nil {
		return t.readFn(now, p)
	}
	return t.poll.owner.receive(now, p)
}

// ping answers a websocket ping on a short-lived goroutine (the reader
// never blocks on a write); pings while a pong is being written share it.
func (t *wsTransport) ping(payload []byte) {
	if !t.pongDue.CompareAndSwap(false, true) {
		return
	}
	payload = bytes.Clone(payload)
	go func() {
		defer t.pongDue.Store(false)
		_ = t.writeControl(opPong, payload)
	}()
}

// closeReceived echoes the server's close, as RFC 6455 asks.
func (t *wsTransport) closeReceived(code int) {
	_ = t.writeControl(opClose, websocket.FormatCloseMessage(code, ""))
}

// decoded decodes the buffered frames (at most one message when one is
// set) for fn (nil: the poller's owner) and reports whether a message was
// delivered; a failure is classified, and a protocol violation answered
// with its close code.
func (t *wsTransport) decoded(fn func(time.Time, wire.Packet) error, one bool) (bool, error) {
	t.readFn = fn
	delivered, err := t.fr.decode(t, one)
	t.readFn = nil
	if err == nil {
		return delivered, nil
	}
	var pe *protocolError
	if errors.As(err, &pe) {
		_ = t.writeControl(opClose, websocket.FormatCloseMessage(pe.code, ""))
	}
	var ce *closeError
	if errors.As(err, &ce) {
		return delivered, err // the handler's or the packet decoder's
	}
	return delivered, t.readError(err)
}

// fill reads once from the connection, blocking.
func (t *wsTransport) fill() error {
	space, err := t.fr.space()
	if err != nil {
		return t.readError(err)
	}
	n, err := t.conn.Read(space)
	t.fr.filled(n)
	if n > 0 || err == nil {
		return nil
	}
	if err == io.EOF {
		err = errUnexpectedEOF
	}
	return t.readError(err)
}

// read blocks until at least one message has come and delivers every
// message the bytes read hold. The poller does not use it.
func (t *wsTransport) read(fn func(time.Time, wire.Packet) error) error {
	return t.readMessages(fn, false)
}

func (t *wsTransport) readMessages(fn func(time.Time, wire.Packet) error, one bool) error {
	for {
		delivered, err := t.decoded(fn, one)
		if err == nil && !delivered {
			err = t.fill()
		}
		if err != nil {
			// The connection is over: give back what the buffers
			// drew on the budget.
			t.fr.release()
			return err
		}
		if delivered {
			return nil
		}
	}
}

// readWithin reads one message within ctx's deadline (handshakes); what
// came after it stays buffered for the reader. ctx's end, its deadline
// included, interrupts the read through the callback alone: a read
// deadline set and cleared around it as well changed the runtime's timers
// twice more per handshake, and a read ctx ended leaves the connection to
// be closed.
func (t *wsTransport) readWithin(ctx context.Context, fn func(time.Time, wire.Packet) error) error {
	return t.readArmed(ctx, t.interruptOn(ctx), fn)
}

// interruptOn makes ctx's end interrupt the connection's reads, until the
// returned stop is called.
func (t *wsTransport) interruptOn(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { _ = t.conn.SetReadDeadline(time.Unix(1, 0)) })
}

// readArmed is readWithin with the interruption on ctx already armed, to
// be stopped by stop.
func (t *wsTransport) readArmed(ctx context.Context, stop func() bool, fn func(time.Time, wire.Packet) error) error {
	err := t.readMessages(fn, true)
	if !stop() {
		return fmt.Errorf("websocket read: %w", context.Cause(ctx))
	}
	return err
}

// readError classifies a failed read: the peer closing is "transport
// close", anything else "transport error".
//
//go:noinline
func (t *wsTransport) readError(err error) error {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce) && ce.Code == websocket.CloseMessageTooBig:
		if largest := t.largest.Load(); t.maxPayload > 0 && largest <= int64(t.maxPayload) {
			// Nothing sent was over the announced limit: the limit that
			// closed it is another's (a proxy's), or the server's is not
			// what it announced.
			return closeErr(ReasonTransportClose, fmt.Errorf(
				"the connection was closed for a message too big, though the largest sent (%d bytes) is within the %d bytes "+
					"the server announced: a proxy in between, or a server whose maxHttpBufferSize option differs from what it announces, "+
					"has a lower limit: %w", largest, t.maxPayload, err))
		}
		return closeErr(ReasonTransportClose, fmt.Errorf(
			"the server closed the connection because a message was too big (the largest sent was %d bytes): "+
				"raise the server's maxHttpBufferSize option or send less: %w", t.largest.Load(), err))
	case errors.As(err, &ce), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed):
		return t.explain(closeErr(ReasonTransportClose, err))
	case errors.Is(err, websocket.ErrReadLimit):
		return closeErr(ReasonTransportError, fmt.Errorf("a message from the server exceeds MaxReadBytes: %w", err))
	}
	return closeErr(ReasonTransportError, err)
}

// close ends the connection; with graceful, a close frame (1000) goes
// first. The poller's reader, if any, is told to finish. After a close
// frame the socket is parked (closing.go): it stays open, half-closed, for
// the server's close frame, which would otherwise meet a reset.
func (t *wsTransport) close(graceful bool) {
	if graceful {
		_ = t.writeControl(opClose, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	}
	if t.closeSent.Load() && t.parked.CompareAndSwap(false, true) {
		t.park()
	}
	t.stopPolling()
	_ = t.conn.Close()
}

// buffer is a pooled byte slice for encoding and reading messages.
type buffer struct {
	b []byte
	// budget and drawn are what a read past maxPooledBuffer drew from a
	// ReadBudget, returned by putBuffer.
	budget *ReadBudget
	drawn  int64
}

// maxPooledBuffer keeps rare huge messages from pinning memory in the pool.
const maxPooledBuffer = 64 << 10

var bufferPool = sync.Pool{New: func() any { return &buffer{b: make([]byte, 0, 512)} }}

func getBuffer() *buffer { return bufferPool.Get().(*buffer) }

func putBuffer(b *buffer) {
	b.budget.give(b.drawn)
	b.budget, b.drawn = nil, 0
	if cap(b.b) > maxPooledBuffer {
		return
	}
	b.b = b.b[:0]
	bufferPool.Put(b)
}

// readFrom reads r to its end into b; growing past maxPooledBuffer draws on
// budget (nil: none).
func (b *buffer) readFrom(r io.Reader, budget *ReadBudget) error {
	b.b = b.b[:0]
	b.budget = budget
	for {
		if len(b.b) == cap(b.b) {
			if err := b.grow(); err != nil {
				return err
			}
		}
		n, err := r.Read(b.b[len(b.b):cap(b.b)])
		b.b = b.b[:len(b.b)+n]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// grow doubles b's capacity, drawing what grows past maxPooledBuffer from
// the budget before allocating it.
func (b *buffer) grow() error {
	newCap := max(2*cap(b.b), 512)
	if b.budget != nil && newCap > maxPooledBuffer {
		need := int64(newCap - max(cap(b.b), maxPooledBuffer))
		if err := b.budget.take(need); err != nil {
			return err
		}
		b.drawn += need
	}
	grown := make([]byte, len(b.b), newCap)
	copy(grown, b.b)
	b.b = grown
	return nil
}
