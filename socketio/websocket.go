package socketio

import (
	"context"
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

// Websocket buffer sizes. The read buffer lives as long as the connection,
// so it is kept small (idle clients are the common case under load); the
// write buffer comes from a shared pool and is held only while writing.
const (
	wsReadBufferSize  = 1024
	wsWriteBufferSize = 4096
)

var wsWriteBufferPool = &sync.Pool{}

// wsTransport is Engine.IO over one websocket.
type wsTransport struct {
	conn         *websocket.Conn
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
	budget  *ReadBudget // nil: reads are bounded by MaxReadBytes alone
}

// maxHandshakeBytes bounds the websocket handshake's response head, as
// net/http bounds a polling response's (http.DefaultMaxHeaderBytes): a
// server answering with an endless status line or header costs this much,
// not the process.
const maxHandshakeBytes = http.DefaultMaxHeaderBytes

var errHandshakeTooLarge = fmt.Errorf("the server's handshake response is larger than %d bytes", maxHandshakeBytes)

// handshakeConn is a connection whose reads are bounded until the websocket
// handshake is over, and which a cancelled context unblocks at once
// (gorilla's handshake honours only the context's deadline).
type handshakeConn struct {
	net.Conn
	// left is what the handshake may still read; negative once it is
	// over.
	left atomic.Int64
}

func (c *handshakeConn) Read(p []byte) (int, error) {
	left := c.left.Load()
	if left < 0 {
		return c.Conn.Read(p)
	}
	if left == 0 {
		return 0, errHandshakeTooLarge
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := c.Conn.Read(p)
	c.left.Add(-int64(n))
	return n, err
}

// handshakeDial dials through dial and keeps the connection so that a
// cancelled ctx can interrupt the handshake.
type handshakeDial struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
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
	hc := &handshakeConn{Conn: c}
	hc.left.Store(maxHandshakeBytes)
	h.mu.Lock()
	h.conn = hc
	if h.cancelled {
		_ = c.SetDeadline(time.Unix(1, 0))
	}
	h.mu.Unlock()
	return hc, nil
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

func dialWebsocket(ctx context.Context, cfg *config, jar http.CookieJar, sid string) (*wsTransport, error) {
	hd := &handshakeDial{dial: cfg.DialContext}
	d := websocket.Dialer{
		NetDialContext:   hd.dialContext,
		TLSClientConfig:  cfg.tlsConfig(),
		HandshakeTimeout: cfg.ConnectTimeout,
		ReadBufferSize:   wsReadBufferSize,
		WriteBufferSize:  wsWriteBufferSize,
		WriteBufferPool:  wsWriteBufferPool,
		Jar:              jar,
	}
	u := cfg.engineURL(TransportWebsocket, sid)
	stop := context.AfterFunc(ctx, hd.interrupt)
	conn, resp, err := d.DialContext(ctx, u, cfg.ExtraHeaders)
	cfg.traceRequest(TransportWebsocket, http.MethodGet, u, resp, err)
	if !stop() && err == nil {
		// Cancelled as the handshake ended: the connection may be unusable.
		conn.Close()
		err = ctx.Err()
	}
	if err != nil && ctx.Err() != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, fmt.Errorf("socketio: websocket connection to %s: %w", cfg.base.Host, context.Cause(ctx))
	}
	if err != nil {
		if resp != nil {
			return nil, withRedirect(resp, wsHandshakeError(cfg, resp, err))
		}
		return nil, fmt.Errorf("socketio: websocket connection to %s: %w", cfg.base.Host, err)
	}
	if hd.conn != nil {
		hd.conn.left.Store(-1)
	}
	conn.SetReadLimit(cfg.MaxReadBytes)
	return &wsTransport{conn: conn, cfg: cfg, v: cfg.EngineVersion, writeTimeout: cfg.WriteTimeout, header: resp.Header, budget: cfg.ReadBudget}, nil
}

func (t *wsTransport) name() string { return TransportWebsocket }

// frameSize is the size of p as one websocket message.
func (t *wsTransport) frameSize(p wire.Packet) int {
	if p.Binary && t.v == wire.EngineV4 {
		return len(p.Data)
	}
	return 1 + len(p.Data)
}

func (t *wsTransport) write(pkts []wire.Packet) (time.Time, error) {
	for _, p := range pkts {
		if n := t.frameSize(p); t.maxPayload > 0 && n > t.maxPayload && !t.cfg.SendOverMaxPayload {
			return time.Time{}, &PayloadTooLargeError{Size: n, MaxPayload: t.maxPayload}
		} else if int64(n) > t.largest.Load() {
			t.largest.Store(int64(n))
		}
	}
	t.cfg.tracePackets(true, TransportWebsocket, pkts...)
	buf := getBuffer()
	defer putBuffer(buf)
	sentAt := time.Now()
	if err := t.conn.SetWriteDeadline(sentAt.Add(t.writeTimeout)); err != nil {
		return sentAt, closeErr(ReasonTransportError, err)
	}
	for _, p := range pkts {
		frame, binary := wire.AppendFrame(t.v, buf.b[:0], p)
		buf.b = frame
		typ := websocket.TextMessage
		if binary {
			typ = websocket.BinaryMessage
		}
		t.writing.Store(int64(len(frame)))
		if err := t.conn.WriteMessage(typ, frame); err != nil {
			return sentAt, t.explain(closeErr(ReasonTransportError, fmt.Errorf("websocket write: %w", err)))
		}
	}
	t.writing.Store(0)
	return sentAt, nil
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

func (t *wsTransport) read(fn func(time.Time, wire.Packet) error) error {
	typ, r, err := t.conn.NextReader() // where idle clients wait: keep this frame small
	if err != nil {
		return t.readError(err)
	}
	return t.consume(typ, r, fn)
}

// consume reads and handles one message.
//
//go:noinline
func (t *wsTransport) consume(typ int, r io.Reader, fn func(time.Time, wire.Packet) error) error {
	buf := getBuffer()
	defer putBuffer(buf)
	if err := buf.readFrom(r, t.budget); err != nil {
		return t.readError(err)
	}
	now := time.Now()
	p, err := wire.DecodeFrame(t.v, buf.b, typ == websocket.BinaryMessage)
	if err != nil {
		return closeErr(ReasonParseError, err)
	}
	t.cfg.tracePackets(false, TransportWebsocket, p)
	return fn(now, p)
}

// readWithin reads one message within ctx's deadline (handshakes).
func (t *wsTransport) readWithin(ctx context.Context, fn func(time.Time, wire.Packet) error) error {
	if d, ok := ctx.Deadline(); ok {
		_ = t.conn.SetReadDeadline(d)
		defer t.conn.SetReadDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = t.conn.SetReadDeadline(time.Unix(1, 0)) })
	err := t.read(fn)
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

func (t *wsTransport) close(graceful bool) {
	if graceful {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = t.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
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
