package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// benchArgs are the arguments of a typical scenario emit: a string and a
// small object.
var benchArgs = []any{"hello world", map[string]any{"user": "vu-123", "n": 42.0, "ok": true}}

func BenchmarkEncodeEvent(b *testing.B) {
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			var err error
			buf, _, err = AppendEventPacket(append(buf[:0], '4'), "/chat", NoID, "message", benchArgs)
			if err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	// encoding_json is the baseline the wire figure is read against.
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			data, err := json.Marshal(append([]any{"message"}, benchArgs...))
			if err != nil {
				b.Fatal(err)
			}
			buf = append(append(buf[:0], "42/chat,"...), data...)
		}
		b.SetBytes(int64(len(buf)))
	})
}

var benchEventFrame = []byte(`42/chat,["message","hello world",{"n":42,"ok":true,"user":"vu-123"}]`)

func BenchmarkDecodeEvent(b *testing.B) {
	// packet: what the reader does for every message (frame, header, name).
	b.Run("packet", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchEventFrame)))
		for b.Loop() {
			p, err := DecodeFrame(EngineV4, benchEventFrame, false)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := DecodeSocketPacket(p.Data); err != nil {
				b.Fatal(err)
			}
		}
	})
	mainFrame := []byte(`42["message","hello world",{"n":42,"ok":true,"user":"vu-123"}]`)
	b.Run("packet_main_namespace", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(mainFrame)))
		for b.Loop() {
			p, err := DecodeFrame(EngineV4, mainFrame, false)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := DecodeSocketPacket(p.Data); err != nil {
				b.Fatal(err)
			}
		}
	})
	// full: the packet plus its name and arguments, as a handler needs them.
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchEventFrame)))
		for b.Loop() {
			p, _ := DecodeFrame(EngineV4, benchEventFrame, false)
			sp, err := DecodeSocketPacket(p.Data)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := EventName(sp.Data); err != nil {
				b.Fatal(err)
			}
			if _, err := DecodeArgs(sp.Data, nil, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full_encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchEventFrame)))
		for b.Loop() {
			data := benchEventFrame[len("42/chat,"):]
			var args []any
			if err := json.Unmarshal(data, &args); err != nil {
				b.Fatal(err)
			}
			if _, ok := args[0].(string); !ok {
				b.Fatal("no name")
			}
		}
	})
}

func BenchmarkEncodeAck(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 128)
	args := []any{"pong"}
	for b.Loop() {
		var err error
		buf, _, err = AppendAckPacket(append(buf[:0], '4'), "/", 12345, args)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAck(b *testing.B) {
	frame := []byte(`4312345["pong"]`)
	b.ReportAllocs()
	for b.Loop() {
		p, _ := DecodeFrame(EngineV4, frame, false)
		sp, err := DecodeSocketPacket(p.Data)
		if err != nil || sp.ID != 12345 {
			b.Fatal(err)
		}
		if _, err := DecodeArgs(sp.Data, nil, false); err != nil {
			b.Fatal(err)
		}
	}
}

var benchBlob = bytes.Repeat([]byte{0xAB}, 1024)

func BenchmarkEncodeBinaryEvent(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 512)
	frame := make([]byte, 0, 2048)
	args := []any{"file", benchBlob}
	for b.Loop() {
		var atts [][]byte
		var err error
		buf, atts, err = AppendEventPacket(append(buf[:0], '4'), "/", NoID, "upload", args)
		if err != nil || len(atts) != 1 {
			b.Fatal(err)
		}
		frame, _ = AppendFrame(EngineV4, frame[:0], Packet{Type: Message, Data: atts[0], Binary: true})
	}
}

func BenchmarkDecodeBinaryEvent(b *testing.B) {
	text := []byte(`451-["upload","file",{"_placeholder":true,"num":0}]`)
	b.ReportAllocs()
	for b.Loop() {
		p, _ := DecodeFrame(EngineV4, text, false)
		sp, err := DecodeSocketPacket(p.Data)
		if err != nil {
			b.Fatal(err)
		}
		att, _ := DecodeFrame(EngineV4, benchBlob, true)
		if _, err := DecodeArgs(sp.Data, [][]byte{att.Data}, true); err != nil {
			b.Fatal(err)
		}
	}
}

// benchPayloadPackets is a polling response a busy client receives: ten
// event messages, a ping and a binary message.
func benchPayloadPackets() []Packet {
	var ps []Packet
	for range 10 {
		ps = append(ps, Packet{Type: Message, Data: benchEventFrame[1:]})
	}
	ps = append(ps, Packet{Type: Ping}, Packet{Type: Message, Data: benchBlob[:64], Binary: true})
	return ps
}

func benchDecodePayload(b *testing.B, v EngineVersion) {
	body := AppendPayload(v, nil, benchPayloadPackets())
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	n := 0
	count := func(Packet) error { n++; return nil }
	for b.Loop() {
		if err := DecodePayload(v, body, 0, count); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePayloadV4(b *testing.B) { benchDecodePayload(b, EngineV4) }
func BenchmarkDecodePayloadV3(b *testing.B) { benchDecodePayload(b, EngineV3) }

func BenchmarkDecodePayloadV3NonASCII(b *testing.B) {
	body := AppendPayload(EngineV3, nil, []Packet{{Type: Message, Data: []byte(`2["message","` + strings.Repeat("héllo wörld 😀 ", 20) + `"]`)}})
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := DecodePayload(EngineV3, body, 0, func(Packet) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendPayload(b *testing.B) {
	for _, v := range []EngineVersion{EngineV3, EngineV4} {
		b.Run("v"+string(rune('0'+v)), func(b *testing.B) {
			packets := benchPayloadPackets()
			buf := AppendPayload(v, nil, packets)
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendPayload(v, buf[:0], packets)
			}
		})
	}
}
