package engine

import (
	"bytes"
	"encoding/hex"
)

// A trace token is what {{ $trace }} renders to: fixed-length ASCII, so a
// server relays it inside any JSON string unchanged and a receiver finds
// it with one substring search of the raw payload, decoding nothing else:
//
//	slt1.<run: 16 hex>.<id: 16 hex>.<sent: 16 hex>
//
// run identifies the run (shards of one run share it), id the message (its
// top 32 bits are the sending process's tag, so ids of shards never
// collide), sent the send instant in Unix nanoseconds, taken from the
// sending process's monotonic clock anchored once to the wall clock.
const (
	traceMarker = "slt1."
	traceLen    = len(traceMarker) + 3*16 + 2
	// maxTraceCandidates bounds the marker occurrences looked at in one
	// payload, so a payload full of forged markers costs one scan.
	maxTraceCandidates = 8
)

// traceToken is a decoded trace.
type traceToken struct {
	run  uint64
	id   uint64
	sent int64
}

// appendTrace appends the token's text.
func appendTrace(dst []byte, t traceToken) []byte {
	dst = append(dst, traceMarker...)
	dst = appendHex64(dst, t.run)
	dst = append(dst, '.')
	dst = appendHex64(dst, t.id)
	dst = append(dst, '.')
	return appendHex64(dst, uint64(t.sent))
}

func appendHex64(dst []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, digits[v>>uint(shift)&0xf])
	}
	return dst
}

var traceMarkerBytes = []byte(traceMarker)

// findTrace returns the first well-formed trace token in raw (a received
// JSON payload). It allocates nothing and reads each byte of raw at most
// once per candidate, looking at no more than maxTraceCandidates markers;
// anything malformed is skipped, never trusted.
func findTrace(raw []byte) (traceToken, bool) {
	rest := raw
	for range maxTraceCandidates {
		i := bytes.Index(rest, traceMarkerBytes)
		if i < 0 {
			return traceToken{}, false
		}
		if t, ok := decodeTrace(rest[i:]); ok {
			return t, true
		}
		rest = rest[i+len(traceMarker):]
	}
	return traceToken{}, false
}

// decodeTrace decodes the token at the start of b, which may go on past it.
func decodeTrace(b []byte) (traceToken, bool) {
	if len(b) < traceLen || !bytes.HasPrefix(b, traceMarkerBytes) {
		return traceToken{}, false
	}
	b = b[len(traceMarker):traceLen]
	run, ok1 := parseHex64(b[0:16])
	id, ok2 := parseHex64(b[17:33])
	sent, ok3 := parseHex64(b[34:50])
	if !ok1 || !ok2 || !ok3 || b[16] != '.' || b[33] != '.' {
		return traceToken{}, false
	}
	return traceToken{run: run, id: id, sent: int64(sent)}, true
}

func parseHex64(b []byte) (uint64, bool) {
	var buf [8]byte
	if _, err := hex.Decode(buf[:], b); err != nil {
		return 0, false
	}
	var v uint64
	for _, c := range buf {
		v = v<<8 | uint64(c)
	}
	return v, true
}
