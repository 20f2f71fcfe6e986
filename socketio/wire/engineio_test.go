package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestAppendFrame(t *testing.T) {
	tests := []struct {
		name   string
		v      EngineVersion
		p      Packet
		want   string
		binary bool
	}{
		{"v4 open", EngineV4, Packet{Type: Open, Data: []byte(`{"sid":"x"}`)}, `0{"sid":"x"}`, false},
		{"v4 close", EngineV4, Packet{Type: Close}, "1", false},
		{"v4 ping", EngineV4, Packet{Type: Ping}, "2", false},
		{"v4 ping probe", EngineV4, Packet{Type: Ping, Data: []byte("probe")}, "2probe", false},
		{"v4 pong probe", EngineV4, Packet{Type: Pong, Data: []byte("probe")}, "3probe", false},
		{"v4 message", EngineV4, Packet{Type: Message, Data: []byte("hello")}, "4hello", false},
		{"v4 message utf8", EngineV4, Packet{Type: Message, Data: []byte("€")}, "4€", false},
		{"v4 upgrade", EngineV4, Packet{Type: Upgrade}, "5", false},
		{"v4 noop", EngineV4, Packet{Type: Noop}, "6", false},
		{"v4 binary", EngineV4, Packet{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true}, "\x01\x02\x03\x04", true},
		{"v3 message", EngineV3, Packet{Type: Message, Data: []byte("hello")}, "4hello", false},
		{"v3 ping", EngineV3, Packet{Type: Ping}, "2", false},
		{"v3 binary", EngineV3, Packet{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true}, "\x04\x01\x02\x03\x04", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, binary := AppendFrame(tt.v, []byte("prefix"), tt.p)
			if string(got) != "prefix"+tt.want || binary != tt.binary {
				t.Fatalf("AppendFrame = %q, %v; want %q, %v", got, binary, "prefix"+tt.want, tt.binary)
			}
			p, err := DecodeFrame(tt.v, got[len("prefix"):], binary)
			if err != nil {
				t.Fatalf("DecodeFrame: %v", err)
			}
			if !packetsEqual(p, tt.p) {
				t.Fatalf("round trip = %+v, want %+v", p, tt.p)
			}
		})
	}
}

func packetsEqual(a, b Packet) bool {
	return a.Type == b.Type && a.Binary == b.Binary && bytes.Equal(a.Data, b.Data)
}

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name    string
		v       EngineVersion
		frame   string
		binary  bool
		want    Packet
		wantErr error
	}{
		{"v4 text message", EngineV4, "4hello", false, Packet{Type: Message, Data: []byte("hello")}, nil},
		{"v4 base64 in text frame", EngineV4, "bAQIDBA==", false, Packet{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true}, nil},
		{"v3 base64 in text frame", EngineV3, "b4AQIDBA==", false, Packet{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true}, nil},
		{"v4 empty binary", EngineV4, "", true, Packet{Type: Message, Data: []byte{}, Binary: true}, nil},
		{"v3 empty binary payload", EngineV3, "\x04", true, Packet{Type: Message, Data: []byte{}, Binary: true}, nil},
		{"empty text", EngineV4, "", false, Packet{}, ErrEmptyPacket},
		{"unknown type 7", EngineV4, "7", false, Packet{}, ErrUnknownType},
		{"unknown type letter", EngineV4, "x", false, Packet{}, ErrUnknownType},
		{"unknown type below zero", EngineV4, "/", false, Packet{}, ErrUnknownType},
		{"bad base64", EngineV4, "b!!!", false, Packet{}, ErrBadBase64},
		{"v3 base64 without type", EngineV3, "b", false, Packet{}, ErrEmptyPacket},
		{"v3 base64 ping", EngineV3, "b2AQ==", false, Packet{}, ErrUnknownType},
		{"v3 binary without type", EngineV3, "", true, Packet{}, ErrEmptyPacket},
		{"v3 binary of type 2", EngineV3, "\x02abc", true, Packet{}, ErrUnknownType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFrame(tt.v, []byte(tt.frame), tt.binary)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeFrame error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !packetsEqual(got, tt.want) {
				t.Fatalf("DecodeFrame = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeFrameAliasesInput(t *testing.T) {
	frame := []byte("4hello")
	p, err := DecodeFrame(EngineV4, frame, false)
	if err != nil {
		t.Fatal(err)
	}
	if &p.Data[0] != &frame[1] {
		t.Fatal("Data does not alias the frame")
	}
}

var (
	helloPacket  = Packet{Type: Message, Data: []byte("hello")}
	euroPacket   = Packet{Type: Message, Data: []byte("€")}
	binaryPacket = Packet{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true}
)

func TestPayload(t *testing.T) {
	tests := []struct {
		name    string
		v       EngineVersion
		packets []Packet
		body    string
	}{
		{"v4 one", EngineV4, []Packet{helloPacket}, "4hello"},
		{"v4 text", EngineV4, []Packet{helloPacket, euroPacket}, "4hello\x1e4€"},
		{"v4 binary", EngineV4, []Packet{helloPacket, binaryPacket}, "4hello\x1ebAQIDBA=="},
		{"v4 control", EngineV4, []Packet{{Type: Ping}, {Type: Noop}, {Type: Close}}, "2\x1e6\x1e1"},
		{"v3 text", EngineV3, []Packet{helloPacket, euroPacket}, "6:4hello2:4€"},
		{"v3 binary", EngineV3, []Packet{helloPacket, binaryPacket}, "6:4hello10:b4AQIDBA=="},
		{"v3 astral counts two units", EngineV3, []Packet{{Type: Message, Data: []byte("😀a")}}, "4:4😀a"},
		{"v3 control", EngineV3, []Packet{{Type: Pong, Data: []byte("probe")}, {Type: Noop}}, "6:3probe1:6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := AppendPayload(tt.v, nil, tt.packets)
			if string(body) != tt.body {
				t.Fatalf("AppendPayload = %q, want %q", body, tt.body)
			}
			got := decodeAll(t, tt.v, body, 0)
			if len(got) != len(tt.packets) {
				t.Fatalf("decoded %d packets, want %d", len(got), len(tt.packets))
			}
			for i := range got {
				if !packetsEqual(got[i], tt.packets[i]) {
					t.Fatalf("packet %d = %+v, want %+v", i, got[i], tt.packets[i])
				}
			}
		})
	}
}

func decodeAll(t *testing.T, v EngineVersion, body []byte, maxBytes int) []Packet {
	t.Helper()
	var got []Packet
	err := DecodePayload(v, body, maxBytes, func(p Packet) error {
		got = append(got, p)
		return nil
	})
	if err != nil {
		t.Fatalf("DecodePayload(%q): %v", body, err)
	}
	return got
}

func TestDecodePayloadV3Binary(t *testing.T) {
	// "4€" is 4 bytes of UTF-8; the binary packet is the type byte and 4 bytes.
	body := []byte("\x00\x04\xff4€\x01\x05\xff\x04\x01\x02\x03\x04\x00\x01\xff6")
	got := decodeAll(t, EngineV3, body, 0)
	want := []Packet{euroPacket, binaryPacket, {Type: Noop, Data: []byte{}}}
	if len(got) != len(want) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	for i := range got {
		if !packetsEqual(got[i], want[i]) {
			t.Fatalf("packet %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestDecodePayloadV3SkipsEmptyPackets(t *testing.T) {
	got := decodeAll(t, EngineV3, []byte("0:6:4hello"), 0)
	if len(got) != 1 || !packetsEqual(got[0], helloPacket) {
		t.Fatalf("decoded %+v, want just hello", got)
	}
}

func TestDecodePayloadErrors(t *testing.T) {
	tests := []struct {
		name     string
		v        EngineVersion
		body     string
		maxBytes int
		want     error
	}{
		{"v4 empty", EngineV4, "", 0, ErrBadPayload},
		{"v3 empty", EngineV3, "", 0, ErrBadPayload},
		{"v4 too big", EngineV4, "4hello", 5, ErrPayloadTooBig},
		{"v3 too big", EngineV3, "6:4hello", 7, ErrPayloadTooBig},
		{"v4 trailing separator", EngineV4, "4hello\x1e", 0, ErrEmptyPacket},
		{"v4 empty packet", EngineV4, "4a\x1e\x1e4b", 0, ErrEmptyPacket},
		{"v4 unknown type", EngineV4, "4a\x1e9", 0, ErrUnknownType},
		{"v4 bad base64", EngineV4, "b===", 0, ErrBadBase64},
		{"v3 no colon", EngineV3, "6", 0, ErrBadPayload},
		{"v3 length not digits", EngineV3, "x:4", 0, ErrBadPayload},
		{"v3 empty length", EngineV3, ":4", 0, ErrBadPayload},
		{"v3 length too long", EngineV3, "7:4hello", 0, ErrBadPayload},
		{"v3 huge length", EngineV3, "99999999999999999999:4", 0, ErrBadPayload},
		{"v3 length splits surrogate pair", EngineV3, "2:4😀", 0, ErrBadPayload},
		{"v3 unknown type", EngineV3, "1:9", 0, ErrUnknownType},
		{"v3 bad base64", EngineV3, "4:b4!!", 0, ErrBadBase64},
		{"v3 binary bad marker", EngineV3, "\x00\x01\xff6\x02", 0, ErrBadPayload},
		{"v3 binary no length", EngineV3, "\x00\xff6", 0, ErrBadPayload},
		{"v3 binary no terminator", EngineV3, "\x00\x01\x02", 0, ErrBadPayload},
		{"v3 binary bad digit", EngineV3, "\x00\x0a\xff6", 0, ErrBadPayload},
		{"v3 binary length past end", EngineV3, "\x00\x05\xff6", 0, ErrBadPayload},
		{"v3 binary too many digits", EngineV3, "\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\xff", 0, ErrBadPayload},
		{"v3 binary empty string packet", EngineV3, "\x00\x00\xff", 0, ErrEmptyPacket},
		{"v3 binary packet of wrong type", EngineV3, "\x01\x01\xff\x02", 0, ErrUnknownType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DecodePayload(tt.v, []byte(tt.body), tt.maxBytes, func(Packet) error { return nil })
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodePayload(%q) = %v, want %v", tt.body, err, tt.want)
			}
		})
	}
}

func TestDecodePayloadStopsAtCallbackError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := DecodePayload(EngineV4, []byte("4a\x1e4b\x1e4c"), 0, func(Packet) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("DecodePayload = %v after %d calls, want stop after 1", err, calls)
	}
}

func TestUTF16Len(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"hello", 5},
		{"€", 1},
		{"é", 1},
		{"😀", 2},
		{"a😀b€", 5},
		{"\xff\xfe", 2},
		{"\xe2\x82", 2}, // truncated sequence: one unit per byte
	}
	for _, tt := range tests {
		if got := utf16Len([]byte(tt.s)); got != tt.want {
			t.Errorf("utf16Len(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestParseHandshake(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    Handshake
		wantErr bool
	}{
		{
			name: "v4",
			data: `{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}`,
			want: Handshake{SID: "lv_VI97HAXpY6yYWAAAC", Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 5000, MaxPayload: 1000000},
		},
		{
			name: "v3",
			data: `{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":60000}`,
			want: Handshake{SID: "abc", Upgrades: []string{}, PingInterval: 25000, PingTimeout: 60000},
		},
		{name: "not json", data: `{"sid":`, wantErr: true},
		{name: "empty", data: ``, wantErr: true},
		{name: "no sid", data: `{"pingInterval":1,"pingTimeout":1}`, wantErr: true},
		{name: "zero interval", data: `{"sid":"a","pingInterval":0,"pingTimeout":1}`, wantErr: true},
		{name: "negative timeout", data: `{"sid":"a","pingInterval":1,"pingTimeout":-1}`, wantErr: true},
		{name: "negative maxPayload", data: `{"sid":"a","pingInterval":1,"pingTimeout":1,"maxPayload":-5}`, wantErr: true},
		{name: "fractional interval", data: `{"sid":"a","pingInterval":1.5,"pingTimeout":1}`, wantErr: true},
		{name: "sid not a string", data: `{"sid":5,"pingInterval":1,"pingTimeout":1}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHandshake([]byte(tt.data))
			if tt.wantErr {
				if !errors.Is(err, ErrBadHandshake) {
					t.Fatalf("ParseHandshake error = %v, want ErrBadHandshake", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseHandshake = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAppendHandshake(t *testing.T) {
	h := Handshake{SID: "a\"b", Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 20000, MaxPayload: 1e6}
	v4 := string(AppendHandshake(nil, EngineV4, h))
	if want := `{"sid":"a\"b","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`; v4 != want {
		t.Fatalf("v4 = %s, want %s", v4, want)
	}
	v3 := string(AppendHandshake(nil, EngineV3, Handshake{SID: "s", PingInterval: 1, PingTimeout: 2}))
	if want := `{"sid":"s","upgrades":[],"pingInterval":1,"pingTimeout":2}`; v3 != want {
		t.Fatalf("v3 = %s, want %s", v3, want)
	}
	got, err := ParseHandshake([]byte(v4))
	if err != nil || !reflect.DeepEqual(got, h) {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, h)
	}
}

func TestPacketTypeString(t *testing.T) {
	if got := Message.String(); got != "message" {
		t.Fatalf("Message.String() = %q", got)
	}
	if got := PacketType(9).String(); !strings.Contains(got, "9") {
		t.Fatalf("PacketType(9).String() = %q", got)
	}
}

func TestEnginePath(t *testing.T) {
	for in, want := range map[string]string{
		"":              "/socket.io/",
		"socket.io":     "/socket.io/",
		"/socket.io":    "/socket.io/",
		"/custom/path/": "/custom/path/",
	} {
		if got := EnginePath(in); got != want {
			t.Errorf("EnginePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// The open packets socket.io 4.x and 2.x servers send are read without
// encoding/json.
func TestPlainHandshake(t *testing.T) {
	for _, data := range []string{
		`{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
		`{"sid":"Kq1e-Vx9lTn1A2lcAAAA","upgrades":[],"pingInterval":25000,"pingTimeout":5000}`,
	} {
		h, ok := parsePlainHandshake([]byte(data))
		if !ok || h.SID == "" || h.PingInterval != 25000 || h.Upgrades == nil {
			t.Errorf("parsePlainHandshake(%s) = %+v, %v", data, h, ok)
		}
	}
}

func BenchmarkParseHandshake(b *testing.B) {
	data := []byte(`{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHandshake(data); err != nil {
			b.Fatal(err)
		}
	}
}
