package wire

import (
	"bytes"
	"strings"
	"testing"
)

func TestAppendBinaryPayloadV3(t *testing.T) {
	tests := []struct {
		name    string
		packets []Packet
		want    []byte
	}{
		{
			// The Engine.IO v3 protocol's own example of a text and a
			// binary message.
			name: "text and binary",
			packets: []Packet{
				{Type: Message, Data: []byte("hello")},
				{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true},
			},
			want: []byte{0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4},
		},
		{
			name:    "length in bytes, not characters",
			packets: []Packet{{Type: Message, Data: []byte("€")}},
			want:    []byte{0, 4, 255, '4', 0xE2, 0x82, 0xAC},
		},
		{
			name:    "two-digit length",
			packets: []Packet{{Type: Message, Data: []byte(`2["hello"]`)}},
			want:    append([]byte{0, 1, 1, 255, '4'}, `2["hello"]`...),
		},
		{
			name:    "empty binary message",
			packets: []Packet{{Type: Message, Binary: true}},
			want:    []byte{1, 1, 255, 4},
		},
		{
			name:    "packet without data",
			packets: []Packet{{Type: Noop}},
			want:    []byte{0, 1, 255, '6'},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendBinaryPayloadV3(nil, tt.packets)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("AppendBinaryPayloadV3 = %v, want %v", got, tt.want)
			}
			var back []Packet
			err := DecodePayload(EngineV3, got, 0, func(p Packet) error {
				back = append(back, p)
				return nil
			})
			if err != nil || len(back) != len(tt.packets) {
				t.Fatalf("DecodePayload = %d packets, %v", len(back), err)
			}
			for i := range back {
				if !packetsEqual(back[i], tt.packets[i]) {
					t.Fatalf("packet %d decoded as %+v, want %+v", i, back[i], tt.packets[i])
				}
			}
		})
	}
}

func TestAppendBinaryPayloadV3LongPacket(t *testing.T) {
	data := []byte(strings.Repeat("a", 123455))
	got := AppendBinaryPayloadV3(nil, []Packet{{Type: Message, Data: data, Binary: true}})
	want := []byte{1, 1, 2, 3, 4, 5, 6, 255, 4}
	if !bytes.HasPrefix(got, want) || len(got) != len(want)+len(data) {
		t.Fatalf("header %v, length %d; want header %v", got[:min(len(got), 12)], len(got), want)
	}
}

func TestHasBinary(t *testing.T) {
	tests := []struct {
		packets []Packet
		want    bool
	}{
		{nil, false},
		{[]Packet{{Type: Message, Data: []byte("x")}, {Type: Noop}}, false},
		{[]Packet{{Type: Message, Data: []byte("x")}, {Type: Message, Binary: true}}, true},
	}
	for _, tt := range tests {
		if got := HasBinary(tt.packets); got != tt.want {
			t.Errorf("HasBinary(%+v) = %v, want %v", tt.packets, got, tt.want)
		}
	}
}
