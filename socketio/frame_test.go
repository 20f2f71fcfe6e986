package socketio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gorilla/websocket"
)

// serverFrame encodes one frame as a server sends it (unmasked).
func serverFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, byte(n))
	case n <= 0xffff:
		out = append(out, 126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	return append(out, payload...)
}

func closePayload(code int, text string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), text...)
}

// recorder is a frameSink that writes down what it receives.
type recorder struct{ events []string }

func (r *recorder) message(binary bool, data []byte) error {
	kind := "text"
	if binary {
		kind = "binary"
	}
	r.events = append(r.events, fmt.Sprintf("%s %q", kind, data))
	return nil
}
func (r *recorder) ping(p []byte) { r.events = append(r.events, fmt.Sprintf("ping %q", p)) }
func (r *recorder) closeReceived(code int) {
	r.events = append(r.events, fmt.Sprintf("close %d", code))
}

// feed decodes stream as the connection would deliver it in chunks of the
// given sizes (the rest in one last chunk) and returns the events and the
// error that ended decoding.
func feed(stream []byte, limit int64, chunks []int) ([]string, error) {
	r := &frameReader{limit: limit}
	defer r.release()
	var rec recorder
	for len(stream) > 0 {
		n := len(stream)
		if len(chunks) > 0 {
			n, chunks = min(chunks[0], n), chunks[1:]
		}
		for n > 0 {
			space, err := r.space()
			if err != nil {
				return rec.events, err
			}
			c := copy(space, stream[:n])
			r.filled(c)
			stream, n = stream[c:], n-c
			if _, err := r.decode(&rec, false); err != nil {
				return rec.events, err
			}
		}
	}
	return rec.events, nil
}

func TestFrameReader(t *testing.T) {
	join := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	long := bytes.Repeat([]byte("0123456789"), 7000) // a 64-bit length
	mid := bytes.Repeat([]byte("ab"), 150)           // a 16-bit length
	masked := serverFrame(true, opText, []byte("hi"))
	masked[1] |= 0x80
	masked = append(masked[:2], append([]byte{1, 2, 3, 4}, masked[2:]...)...)
	rsv := serverFrame(true, opText, []byte("hi"))
	rsv[0] |= 0x40
	for _, tt := range []struct {
		name   string
		stream []byte
		limit  int64
		want   []string
		code   int // of the close the client sends, 0: none
		err    error
	}{
		{"text", serverFrame(true, opText, []byte("40")), 0, []string{`text "40"`}, 0, nil},
		{"binary", serverFrame(true, opBinary, []byte{0, 1, 255}), 0, []string{`binary "\x00\x01\xff"`}, 0, nil},
		{"16-bit length", serverFrame(true, opText, mid), 0, []string{fmt.Sprintf("text %q", mid)}, 0, nil},
		{"64-bit length", serverFrame(true, opBinary, long), 0, []string{fmt.Sprintf("binary %q", long)}, 0, nil},
		{"empty message", serverFrame(true, opText, nil), 0, []string{`text ""`}, 0, nil},
		{"several in a row", join(serverFrame(true, opText, []byte("0{}")), serverFrame(true, opText, []byte("40"))), 0,
			[]string{`text "0{}"`, `text "40"`}, 0, nil},
		{"fragmented", join(serverFrame(false, opText, []byte("he")), serverFrame(false, opContinuation, []byte("ll")),
			serverFrame(true, opContinuation, []byte("o"))), 0, []string{`text "hello"`}, 0, nil},
		{"fragmented with a ping between", join(serverFrame(false, opBinary, []byte("a")), serverFrame(true, opPing, []byte("p")),
			serverFrame(true, opPong, nil), serverFrame(true, opContinuation, []byte("b"))), 0, []string{`ping "p"`, `binary "ab"`}, 0, nil},
		{"close 1000", join(serverFrame(true, opClose, closePayload(1000, "bye")), serverFrame(true, opText, []byte("late"))), 0,
			[]string{"close 1000"}, 0, &websocket.CloseError{Code: 1000, Text: "bye"}},
		{"close 1009", serverFrame(true, opClose, closePayload(1009, "")), 0,
			[]string{"close 1009"}, 0, &websocket.CloseError{Code: 1009}},
		{"close without a code", serverFrame(true, opClose, nil), 0,
			[]string{"close 1005"}, 0, &websocket.CloseError{Code: 1005}},
		{"close of one byte", serverFrame(true, opClose, []byte{3}), 0, nil, 1002, nil},
		{"close with a code no peer may send", serverFrame(true, opClose, closePayload(1005, "")), 0, nil, 1002, nil},
		{"close with bad UTF-8", serverFrame(true, opClose, closePayload(1000, "\xff")), 0, nil, 1002, nil},
		{"masked server frame", masked, 0, nil, 1002, nil},
		{"reserved bits", rsv, 0, nil, 1002, nil},
		{"unknown opcode", serverFrame(true, 3, nil), 0, nil, 1002, nil},
		{"control frame over 125 bytes", serverFrame(true, opPing, mid), 0, nil, 1002, nil},
		{"fragmented control frame", serverFrame(false, opPing, nil), 0, nil, 1002, nil},
		{"continuation first", serverFrame(true, opContinuation, []byte("x")), 0, nil, 1002, nil},
		{"message inside a message", join(serverFrame(false, opText, []byte("a")), serverFrame(true, opText, []byte("b"))), 0, nil, 1002, nil},
		{"at the limit", serverFrame(true, opText, mid), 300, []string{fmt.Sprintf("text %q", mid)}, 0, nil},
		{"over the limit", join(serverFrame(true, opText, []byte("ok")), serverFrame(true, opText, mid)), 299,
			[]string{`text "ok"`}, 1009, websocket.ErrReadLimit},
		{"fragments over the limit", join(serverFrame(false, opText, mid[:200]), serverFrame(true, opContinuation, mid[:100])), 299,
			nil, 1009, websocket.ErrReadLimit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Whole, then split at every byte.
			splits := [][]int{nil}
			for i := 1; i < len(tt.stream) && i < 400; i++ {
				splits = append(splits, []int{i})
			}
			ones := make([]int, len(tt.stream)) // one byte at a time
			for i := range ones {
				ones[i] = 1
			}
			splits = append(splits, ones)
			for _, split := range splits {
				got, err := feed(tt.stream, tt.limit, split)
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("split %v: events %q, want %q", split[:min(len(split), 3)], got, tt.want)
				}
				var pe *protocolError
				switch {
				case tt.code != 0 && (!errors.As(err, &pe) || pe.code != tt.code):
					t.Fatalf("split %v: error %v, want a close with %d", split[:min(len(split), 3)], err, tt.code)
				case tt.code == 0 && errors.As(err, &pe):
					t.Fatalf("split %v: protocol error %v, want none", split[:min(len(split), 3)], err)
				case tt.err != nil && !errors.Is(err, tt.err) && !reflect.DeepEqual(asClose(err), tt.err):
					t.Fatalf("split %v: error %v, want %v", split[:min(len(split), 3)], err, tt.err)
				case tt.err == nil && tt.code == 0 && err != nil:
					t.Fatalf("split %v: error %v", split[:min(len(split), 3)], err)
				}
			}
		})
	}
}

func asClose(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce
	}
	return nil
}

// TestFrameReaderHoldsNoBufferBetweenMessages: once every byte read has
// been decoded the reader keeps nothing, and an unfinished frame keeps only
// its own bytes.
func TestFrameReaderHoldsNoBufferBetweenMessages(t *testing.T) {
	r := &frameReader{}
	var rec recorder
	frame := serverFrame(true, opText, []byte("42[\"tick\"]"))
	for i, n := range []int{len(frame), 3, len(frame) - 3} {
		space, err := r.space()
		if err != nil {
			t.Fatal(err)
		}
		off := 0
		if i == 2 {
			off = 3
		}
		r.filled(copy(space, frame[off:off+n]))
		if _, err := r.decode(&rec, false); err != nil {
			t.Fatal(err)
		}
		switch {
		case i != 1 && r.in != nil:
			t.Errorf("step %d: a buffer is held with nothing left to decode", i)
		case i == 1 && (r.in == nil || len(r.in.b) != 3):
			t.Errorf("step %d: the unfinished frame's 3 bytes are not what is held", i)
		}
	}
	if len(rec.events) != 2 {
		t.Errorf("events %q, want two messages", rec.events)
	}
}

// TestClientFrames: the frames the client writes are masked, with the
// shortest length encoding, and unmask to the payload.
func TestClientFrames(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 125, 126, 65535, 65536, 70001} {
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(i * 7)
		}
		buf, start := appendFrameStart([]byte("prefix"))
		buf = append(buf, payload...)
		frame := buf[finishFrame(buf, start, opBinary):]
		if frame[0] != 0x80|opBinary || frame[1]&0x80 == 0 {
			t.Fatalf("%d bytes: head %x, want FIN, binary, masked", n, frame[:2])
		}
		length, head := int(frame[1]&0x7f), 2
		switch {
		case length == 126:
			length, head = int(binary.BigEndian.Uint16(frame[2:])), 4
		case length == 127:
			length, head = int(binary.BigEndian.Uint64(frame[2:])), 10
		}
		wantHead := 2
		if n >= 126 {
			wantHead = 4
		}
		if n > 65535 {
			wantHead = 10
		}
		if length != n || head != wantHead || len(frame) != head+4+n {
			t.Fatalf("%d bytes: length %d in a head of %d, frame of %d", n, length, head, len(frame))
		}
		key := frame[head : head+4]
		got := frame[head+4:]
		for i := range got {
			got[i] ^= key[i&3]
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("%d bytes: unmasked payload differs", n)
		}
	}
}

// FuzzFrameReader: whatever the bytes, decoding never panics, and the same
// stream split into arbitrary chunks decodes to the same messages and the
// same end as the stream whole.
func FuzzFrameReader(f *testing.F) {
	f.Add(serverFrame(true, opText, []byte("0{\"sid\":\"x\"}")), uint64(1))
	f.Add(bytes.Join([][]byte{serverFrame(false, opText, []byte("he")), serverFrame(true, opPing, []byte("p")),
		serverFrame(true, opContinuation, []byte("llo"))}, nil), uint64(2))
	f.Add(serverFrame(true, opBinary, bytes.Repeat([]byte{9}, 300)), uint64(3))
	f.Add(serverFrame(true, opClose, closePayload(1009, "too big")), uint64(4))
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 1, 0}, uint64(5))
	f.Fuzz(func(t *testing.T, stream []byte, seed uint64) {
		const limit = 1 << 16
		whole, wholeErr := feed(stream, limit, nil)
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		var chunks []int
		for rest := len(stream); rest > 0; {
			n := 1 + rng.IntN(min(rest, 64))
			chunks = append(chunks, n)
			rest -= n
		}
		split, splitErr := feed(stream, limit, chunks)
		if !reflect.DeepEqual(whole, split) {
			t.Fatalf("whole: %q\nin chunks %v: %q", whole, chunks, split)
		}
		if fmt.Sprint(wholeErr) != fmt.Sprint(splitErr) {
			t.Fatalf("whole ends with %v, in chunks %v with %v", wholeErr, chunks, splitErr)
		}
	})
}
