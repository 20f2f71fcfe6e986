package wire

import (
	"runtime"
	"strings"
	"testing"
)

// TestHotPathsDoNotAllocate pins the promise that every message's framing
// and header parsing is allocation-free.
func TestHotPathsDoNotAllocate(t *testing.T) {
	frame := []byte(`42["message","hello world",{"n":42,"ok":true,"user":"vu-123"}]`)
	body := []byte("42[\"a\"]\x1e2\x1e43[\"b\"]")
	bodyV3 := []byte("7:42[\"a\"]1:2")
	packets := []Packet{{Type: Message, Data: frame[1:]}, {Type: Ping}}
	args := []any{"hello", 1.5, 2, true, nil, map[string]any{"a": "b"}, []any{"c"}}
	buf := make([]byte, 0, 1024)
	tests := []struct {
		name string
		fn   func()
	}{
		{"DecodeFrame", func() { _, _ = DecodeFrame(EngineV4, frame, false) }},
		{"DecodeSocketPacket", func() { _, _ = DecodeSocketPacket(frame[1:]) }},
		{"DecodePayload v4", func() { _ = DecodePayload(EngineV4, body, 0, func(Packet) error { return nil }) }},
		{"DecodePayload v3", func() { _ = DecodePayload(EngineV3, bodyV3, 0, func(Packet) error { return nil }) }},
		{"AppendFrame", func() { buf, _ = AppendFrame(EngineV4, buf[:0], packets[0]) }},
		{"AppendPayload v3", func() { buf = AppendPayload(EngineV3, buf[:0], packets) }},
		{"AppendPayload v4", func() { buf = AppendPayload(EngineV4, buf[:0], packets) }},
		{"AppendEventPacket", func() { buf, _, _ = AppendEventPacket(buf[:0], "/chat", 3, "message", args) }},
		{"AppendAckPacket", func() { buf, _, _ = AppendAckPacket(buf[:0], "/", 3, args[:2]) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s allocates %v times per call, want 0", tt.name, n)
		}
	}
}

// TestDecodeArgsAllocationBound checks that hostile shapes of event data
// cannot make the decoder allocate more than a fixed multiple of its input.
func TestDecodeArgsAllocationBound(t *testing.T) {
	const maxRatio = 64
	for _, elem := range []string{`{}`, `[]`, `1`, `""`, `null`, `{"a":1}`, `{"_placeholder":true,"num":0}`, `"\u00e9"`} {
		data := []byte("[" + strings.TrimSuffix(strings.Repeat(elem+",", 2000), ",") + "]")
		atts := [][]byte{{1}}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := DecodeArgs(data, atts, false); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > maxRatio*uint64(len(data)) {
			t.Errorf("decoding %d copies of %s allocated %d bytes for %d bytes of input, more than %dx",
				2000, elem, got, len(data), maxRatio)
		}
	}
}
