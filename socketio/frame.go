package socketio

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// The client's own websocket framing (RFC 6455) after the handshake. gorilla's
// Conn reads ahead into a buffer that lives as long as the connection and
// needs a goroutine blocked in NextReader; this codec decodes whatever bytes
// a read brought, keeps only an unfinished frame's bytes between reads, and
// so lets an idle connection hold no buffer and no goroutine.

// Websocket opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// maxControlPayload is the largest payload a control frame may carry.
const maxControlPayload = 125

// frameSink receives what frameReader decodes.
type frameSink interface {
	// message is one complete data message; data is valid only during the
	// call. An error stops decoding and is returned by decode.
	message(binary bool, data []byte) error
	// ping is a ping frame; payload is valid only during the call.
	ping(payload []byte)
	// closeReceived is the server's close frame, before decode returns
	// it as a *websocket.CloseError.
	closeReceived(code int)
}

// protocolError is a frame the server must not send: the client closes the
// connection with code (1002, or 1009 for a message over the read limit).
type protocolError struct {
	code int
	err  error
}

func (e *protocolError) Error() string { return e.err.Error() }
func (e *protocolError) Unwrap() error { return e.err }

func protocolViolation(format string, args ...any) error {
	return &protocolError{code: websocket.CloseProtocolError, err: fmt.Errorf("websocket: "+format, args...)}
}

// errUnexpectedEOF is how a connection that ends without a close frame is
// reported, as gorilla reports it.
var errUnexpectedEOF = &websocket.CloseError{Code: websocket.CloseAbnormalClosure, Text: "unexpected EOF"}

// frameReader decodes the frames a server sends. It is not safe for
// concurrent use: one reader at a time feeds it.
type frameReader struct {
	// in holds bytes read and not yet decoded, the start of an unfinished
	// frame; nil when there are none (an idle connection holds no buffer).
	in *buffer
	// msg is the payload so far of a fragmented message; nil when none.
	msg       *buffer
	msgBinary bool
	limit     int64       // the largest message, 0: no limit
	budget    *ReadBudget // for buffers past maxPooledBuffer; nil: none
	// until, if set, stops decode once it is over: a waiter reading its
	// own connection delivers no further than what it waits for.
	until inlineWait
}

// minReadSpace is the room a read is given at least.
const minReadSpace = 2048

// space returns room to read into at the end of the buffered bytes; the
// caller appends what it read with filled.
func (r *frameReader) space() ([]byte, error) {
	if r.in == nil {
		r.in = getBuffer()
		r.in.budget = r.budget
	}
	for cap(r.in.b)-len(r.in.b) < minReadSpace {
		if err := r.in.grow(); err != nil {
			return nil, err
		}
	}
	return r.in.b[len(r.in.b):cap(r.in.b)], nil
}

// filled adds n bytes read into the space last returned.
func (r *frameReader) filled(n int) { r.in.b = r.in.b[:len(r.in.b)+n] }

// buffered reports whether bytes wait to be decoded.
func (r *frameReader) buffered() bool { return r.in != nil && len(r.in.b) > 0 }

// trim drops the read buffer when it holds nothing.
func (r *frameReader) trim() {
	if r.in != nil && len(r.in.b) == 0 {
		putBuffer(r.in)
		r.in = nil
	}
}

// release returns the reader's buffers to the pool.
func (r *frameReader) release() {
	if r.in != nil {
		putBuffer(r.in)
		r.in = nil
	}
	if r.msg != nil {
		putBuffer(r.msg)
		r.msg = nil
	}
}

// decode handles every complete frame buffered, or stops after the first
// complete message when one is set. It reports whether a message was
// delivered. What is left of an unfinished frame stays buffered.
func (r *frameReader) decode(sink frameSink, one bool) (delivered bool, err error) {
	if r.in == nil {
		return false, nil
	}
	b := r.in.b
	off := 0
	for !(one && delivered) && !r.until.over() {
		n, err := r.frame(b[off:], sink, &delivered)
		if err != nil {
			return delivered, err
		}
		if n == 0 {
			break
		}
		off += n
	}
	r.keep(off)
	return delivered, nil
}

// keep drops the first off bytes decoded, and the buffer once empty.
func (r *frameReader) keep(off int) {
	rest := r.in.b[off:]
	switch {
	case len(rest) == 0:
		putBuffer(r.in)
		r.in = nil
	case off > 0 && cap(r.in.b) > maxPooledBuffer && len(rest) < maxPooledBuffer:
		// The start of a frame after a large one: keep it in a small
		// buffer, not in the large one.
		small := getBuffer()
		small.budget = r.budget
		small.b = append(small.b[:0], rest...)
		putBuffer(r.in)
		r.in = small
	case off > 0:
		r.in.b = r.in.b[:copy(r.in.b, rest)]
	}
}

// frame decodes one frame from the start of b and returns its size, or 0
// when b does not hold all of it yet.
func (r *frameReader) frame(b []byte, sink frameSink, delivered *bool) (int, error) {
	if len(b) < 2 {
		return 0, nil
	}
	fin, rsv, op := b[0]&0x80 != 0, b[0]&0x70, int(b[0]&0x0f)
	masked, length, head := b[1]&0x80 != 0, uint64(b[1]&0x7f), 2
	switch {
	case rsv != 0:
		return 0, protocolViolation("unexpected reserved bits 0x%x", rsv)
	case masked:
		return 0, protocolViolation("a masked frame from the server")
	}
	control := op >= opClose
	switch op {
	case opContinuation:
		if r.msg == nil {
			return 0, protocolViolation("continuation after the final frame")
		}
	case opText, opBinary:
		if r.msg != nil {
			return 0, protocolViolation("a message began before the last one's final frame")
		}
	case opClose, opPing, opPong:
		if !fin {
			return 0, protocolViolation("a fragmented control frame")
		}
		if length > maxControlPayload {
			return 0, protocolViolation("a control frame of more than %d bytes", maxControlPayload)
		}
	default:
		return 0, protocolViolation("unknown opcode %d", op)
	}
	switch length {
	case 126:
		if len(b) < 4 {
			return 0, nil
		}
		length, head = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return 0, nil
		}
		length, head = binary.BigEndian.Uint64(b[2:]), 10
		if length > math.MaxInt64 {
			return 0, protocolViolation("a frame length with its top bit set")
		}
	}
	if !control {
		total := length
		if r.msg != nil {
			total += uint64(len(r.msg.b))
		}
		if r.limit > 0 && total > uint64(r.limit) {
			return 0, &protocolError{code: websocket.CloseMessageTooBig, err: websocket.ErrReadLimit}
		}
	}
	if uint64(len(b)-head) < length {
		return 0, nil
	}
	size := head + int(length)
	payload := b[head:size]
	if control {
		return size, r.control(op, payload, sink)
	}
	if r.msg == nil && fin {
		*delivered = true
		return size, sink.message(op == opBinary, payload)
	}
	if r.msg == nil {
		r.msg = getBuffer()
		r.msg.budget = r.budget
		r.msgBinary = op == opBinary
	}
	if err := r.msg.appendBounded(payload); err != nil {
		return 0, err
	}
	if !fin {
		return size, nil
	}
	msg := r.msg
	r.msg = nil
	defer putBuffer(msg)
	*delivered = true
	return size, sink.message(r.msgBinary, msg.b)
}

// control handles a ping, pong or close frame.
func (r *frameReader) control(op int, payload []byte, sink frameSink) error {
	switch op {
	case opPing:
		sink.ping(payload)
	case opClose:
		code, text := websocket.CloseNoStatusReceived, ""
		switch {
		case len(payload) == 1:
			return protocolViolation("a close frame of one byte")
		case len(payload) >= 2:
			code, text = int(binary.BigEndian.Uint16(payload)), string(payload[2:])
			if !validReceivedCloseCode(code) {
				return protocolViolation("bad close code %d", code)
			}
			if !utf8.ValidString(text) {
				return protocolViolation("invalid UTF-8 in the close frame")
			}
		}
		sink.closeReceived(code)
		return &websocket.CloseError{Code: code, Text: text}
	}
	return nil
}

// validReceivedCloseCode reports whether a peer may send code (RFC 6455
// 7.4), as gorilla decides it.
func validReceivedCloseCode(code int) bool {
	switch code {
	case 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// appendBounded appends p, growing the buffer (past maxPooledBuffer on the
// budget).
func (b *buffer) appendBounded(p []byte) error {
	for cap(b.b)-len(b.b) < len(p) {
		if err := b.grow(); err != nil {
			return err
		}
	}
	b.b = append(b.b, p...)
	return nil
}

// maxFrameHead is the longest head of a client frame: 2 bytes, an 8-byte
// length and the 4-byte mask key.
const maxFrameHead = 14

// appendFrameStart reserves room for a frame's head at the end of dst; the
// payload is appended after it, then finishFrame writes the head.
func appendFrameStart(dst []byte) (out []byte, start int) {
	start = len(dst)
	return append(dst, make([]byte, maxFrameHead)...), start
}

// finishFrame writes the head of the frame begun at start (with
// appendFrameStart) and masks its payload, which runs to the end of buf. The
// head is written next to the payload, so the frame is buf[from:]: the room
// reserved and not needed is left before it.
func finishFrame(buf []byte, start int, op byte) (from int) {
	payload := buf[start+maxFrameHead:]
	n := len(payload)
	var head [maxFrameHead]byte
	head[0] = 0x80 | op
	h := 2
	switch {
	case n < 126:
		head[1] = 0x80 | byte(n)
	case n <= math.MaxUint16:
		head[1] = 0x80 | 126
		binary.BigEndian.PutUint16(head[2:], uint16(n))
		h = 4
	default:
		head[1] = 0x80 | 127
		binary.BigEndian.PutUint64(head[2:], uint64(n))
		h = 10
	}
	key := rand.Uint32()
	binary.LittleEndian.PutUint32(head[h:], key)
	h += 4
	maskBytes(key, payload)
	from = start + maxFrameHead - h
	copy(buf[from:], head[:h])
	return from
}

// maskBytes XORs p with the mask key (its bytes in wire order are key's in
// little-endian order), eight bytes at a time.
func maskBytes(key uint32, p []byte) {
	k8 := uint64(key) | uint64(key)<<32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k8)
	}
	var k [4]byte
	binary.LittleEndian.PutUint32(k[:], key)
	for j := 0; i < len(p); i, j = i+1, j+1 {
		p[i] ^= k[j&3]
	}
}
