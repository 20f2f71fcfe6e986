package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
)

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte("4hello"), false, false)
	f.Add([]byte(`0{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1}`), false, true)
	f.Add([]byte("bAQIDBA=="), false, false)
	f.Add([]byte("b4AQIDBA=="), false, true)
	f.Add([]byte{4, 1, 2, 3}, true, true)
	f.Add([]byte{1, 2, 3}, true, false)
	f.Fuzz(func(t *testing.T, frame []byte, binary, v3 bool) {
		v := EngineV4
		if v3 {
			v = EngineV3
		}
		p, err := DecodeFrame(v, frame, binary)
		if err != nil {
			return
		}
		out, gotBinary := AppendFrame(v, nil, p)
		if gotBinary != p.Binary {
			t.Fatalf("AppendFrame binary = %v for %+v", gotBinary, p)
		}
		if binary || frame[0] != 'b' {
			// Anything but a base64 text frame re-encodes to the same bytes.
			if !bytes.Equal(out, frame) || gotBinary != binary {
				t.Fatalf("re-encoded %q (binary %v), want %q (binary %v)", out, gotBinary, frame, binary)
			}
		}
		again, err := DecodeFrame(v, out, gotBinary)
		if err != nil || !packetsEqual(again, p) {
			t.Fatalf("round trip of %+v = %+v, %v", p, again, err)
		}
	})
}

func fuzzPayload(t *testing.T, v EngineVersion, body []byte) {
	var packets []Packet
	err := DecodePayload(v, body, 0, func(p Packet) error {
		if p.Binary && p.Type != Message {
			t.Fatalf("binary packet of type %v", p.Type)
		}
		packets = append(packets, Packet{Type: p.Type, Data: slices.Clone(p.Data), Binary: p.Binary})
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrBadPayload) && !errors.Is(err, ErrEmptyPacket) &&
			!errors.Is(err, ErrUnknownType) && !errors.Is(err, ErrBadBase64) {
			t.Fatalf("DecodePayload error %v wraps none of the package's errors", err)
		}
		return
	}
	if len(packets) == 0 {
		return // a v3 body of empty packets only
	}
	checkRedecodes(t, v, AppendPayload(v, nil, packets), packets)
	if v == EngineV3 {
		checkRedecodes(t, v, AppendBinaryPayloadV3(nil, packets), packets)
	}
}

// checkRedecodes fails t unless body decodes to exactly packets.
func checkRedecodes(t *testing.T, v EngineVersion, body []byte, packets []Packet) {
	t.Helper()
	i := 0
	err := DecodePayload(v, body, len(body), func(p Packet) error {
		if i >= len(packets) || !packetsEqual(p, packets[i]) {
			t.Fatalf("re-decoded packet %d = %+v", i, p)
		}
		i++
		return nil
	})
	if err != nil || i != len(packets) {
		t.Fatalf("re-decoding %q: %d packets, %v", body, i, err)
	}
}

func FuzzDecodePayloadV4(f *testing.F) {
	f.Add([]byte("4hello\x1e4€"))
	f.Add([]byte("4hello\x1ebAQIDBA=="))
	f.Add([]byte("2\x1e6\x1e1"))
	f.Add([]byte("40\x1e42[\"a\",1]"))
	f.Fuzz(func(t *testing.T, body []byte) { fuzzPayload(t, EngineV4, body) })
}

func FuzzDecodePayloadV3(f *testing.F) {
	f.Add([]byte("6:4hello2:4€"))
	f.Add([]byte("6:4hello10:b4AQIDBA=="))
	f.Add([]byte("4:4😀a"))
	f.Add([]byte("0:1:6"))
	f.Add([]byte("\x00\x04\xff4€\x01\x05\xff\x04\x01\x02\x03\x04"))
	f.Add([]byte("\x00\x06\xff4hello\x01\x05\xff\x04\x01\x02\x03\x04"))
	f.Add([]byte("\x00\x01\x01\xff42[\"hello\"]\x01\x01\xff\x04"))
	f.Fuzz(func(t *testing.T, body []byte) { fuzzPayload(t, EngineV3, body) })
}

func FuzzParseHandshake(f *testing.F) {
	f.Add([]byte(`{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}`))
	f.Add([]byte(`{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":60000}`))
	f.Add([]byte(`{"sid":""}`))
	f.Add([]byte(`{"pingTimeout":20000,"sid":"a","upgrades":["websocket","x"],"pingInterval":0,"maxPayload":0}`))
	f.Add([]byte(`{"sid":"a","sid":"b","pingInterval":1,"pingTimeout":1}`))
	f.Add([]byte(`{"sid":"a\u0041","pingInterval":1.5e3,"pingTimeout":01}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The short cut reads what it reads as encoding/json does.
		if plain, ok := parsePlainHandshake(data); ok {
			var want Handshake
			if err := json.Unmarshal(data, &want); err != nil || !reflect.DeepEqual(plain, want) {
				t.Fatalf("parsePlainHandshake(%q) = %+v, encoding/json %+v, %v", data, plain, want, err)
			}
		}
		h, err := ParseHandshake(data)
		if err != nil {
			if !errors.Is(err, ErrBadHandshake) {
				t.Fatalf("error %v is not ErrBadHandshake", err)
			}
			return
		}
		again, err := ParseHandshake(AppendHandshake(nil, EngineV4, h))
		if h.Upgrades == nil {
			h.Upgrades = []string{}
		}
		if err != nil || !reflect.DeepEqual(again, h) {
			t.Fatalf("round trip of %+v = %+v, %v", h, again, err)
		}
	})
}

func FuzzDecodeSocketPacket(f *testing.F) {
	for _, s := range []string{
		`0`, `0{"token":"123"}`, `0/admin,{"token":"123"}`, `0/admin?token=1234,`,
		`1/admin,`, `2["foo"]`, `2/admin,456["project:delete",123]`, `3/admin,456[]`,
		`4{"message":"Not authorized"}`, `4"Not authorized"`,
		`51-["baz",{"_placeholder":true,"num":0}]`, `61-/admin,456[{"_placeholder":true,"num":0}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := DecodeSocketPacket(text)
		// The fast validity check agrees with encoding/json below its nesting limit.
		shallow := bytes.Count(text, []byte("["))+bytes.Count(text, []byte("{")) < maxDepth
		if shallow && validJSON(text) != json.Valid(text) {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", text, validJSON(text), json.Valid(text))
		}
		if err != nil {
			if !errors.Is(err, ErrBadSocketPacket) {
				t.Fatalf("error %v is not ErrBadSocketPacket", err)
			}
			return
		}
		if p.Attachments < 0 || p.Attachments > MaxAttachments || p.ID < NoID {
			t.Fatalf("decoded out-of-range header %+v", p)
		}
		out := AppendSocketPacket(nil, &p)
		again, err := DecodeSocketPacket(out)
		if err != nil || !socketPacketsEqual(again, p) {
			t.Fatalf("round trip of %q: %+v = %+v, %v", text, p, again, err)
		}
		if len(p.Data) > 0 && p.Data[0] == '[' {
			// What the header check accepts, the argument decoder decodes,
			// unless a number is out of float64 range or a placeholder
			// points nowhere.
			if _, err := DecodeArgs(p.Data, nil, false); err != nil && !errors.Is(err, ErrBadPlaceholder) && !bytes.ContainsAny(p.Data, "eE") {
				t.Fatalf("DecodeArgs(%q) after a valid header: %v", p.Data, err)
			}
		}
	})
}

func FuzzDecodeArgs(f *testing.F) {
	f.Add([]byte(`["foo","bar",1,true,null,{"a":[1,2]}]`), 0, true)
	f.Add([]byte(`["baz",{"_placeholder":true,"num":0}]`), 1, true)
	f.Add([]byte(`[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`), 2, false)
	f.Add([]byte(`["a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x"]`), 0, false)
	f.Fuzz(func(t *testing.T, data []byte, n int, skipName bool) {
		var atts [][]byte
		for i := range min(max(n, 0), 4) {
			atts = append(atts, []byte{byte(i)})
		}
		args, err := DecodeArgs(data, atts, skipName)
		if err != nil {
			if !errors.Is(err, ErrBadSocketPacket) && !errors.Is(err, ErrBadPlaceholder) {
				t.Fatalf("error %v is neither ErrBadSocketPacket nor ErrBadPlaceholder", err)
			}
			return
		}
		if len(data) == 0 {
			return
		}
		if len(atts) == 0 {
			// Without attachments the decoder agrees with encoding/json.
			var want []any
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatalf("DecodeArgs accepted %q, encoding/json did not: %v", data, err)
			}
			if skipName && len(want) > 0 {
				want = want[1:]
			}
			if !reflect.DeepEqual(args, want) {
				t.Fatalf("DecodeArgs(%q) = %#v, encoding/json = %#v", data, args, want)
			}
		}
		// Encoding the arguments back and decoding them gives them again.
		enc, encAtts, err := AppendEventData(nil, "", args)
		if err != nil {
			t.Fatalf("AppendEventData(%#v): %v", args, err)
		}
		again, err := DecodeArgs(enc, encAtts, false)
		if err != nil || !reflect.DeepEqual(again, args) {
			t.Fatalf("round trip of %#v through %s = %#v, %v", args, enc, again, err)
		}
	})
}

func FuzzAppendEventData(f *testing.F) {
	f.Add("message", "héllo \"😀\"\n\x01", 1.5, int64(-7))
	f.Add("", "a\xffb", 1e21, int64(0))
	f.Add("e", "\u2028<>&", -1e-7, int64(1<<62))
	f.Fuzz(func(t *testing.T, event, s string, x float64, n int64) {
		args := []any{s, x, n, map[string]any{s: []any{s, true}}}
		data, atts, err := AppendEventData(nil, event, args)
		if err != nil {
			if x == x && x-x == 0 { // finite numbers always encode
				t.Fatalf("AppendEventData: %v", err)
			}
			return
		}
		if len(atts) != 0 {
			t.Fatalf("attachments %v without []byte arguments", atts)
		}
		// encoding/json reads back what it would have written itself.
		var got []any
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("AppendEventData wrote invalid JSON %q: %v", data, err)
		}
		if event != "" {
			args = append([]any{event}, args...)
		}
		var want []any
		ref, _ := json.Marshal(args)
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("AppendEventData = %s, encoding/json = %s", data, ref)
		}
		if event != "" {
			name, err := EventName(data)
			if err != nil || name != want[0] {
				t.Fatalf("EventName(%s) = %q, %v; want %q", data, name, err, want[0])
			}
		}
	})
}

// FuzzConnectSID checks ConnectSID against encoding/json, its oracle: the
// same id, and an error exactly when encoding/json fails.
func FuzzConnectSID(f *testing.F) {
	for _, s := range []string{
		`{"sid":"abc"}`, `{"sid":"Vs7rZ9-4xsAAAB"}`, `{"sid":""}`, `{"sid":"a\"b"}`, `{"sid":"\u00e9"}`,
		`{"sid":"é"}`, `{ "sid": "abc" }`, `{"SID":"abc"}`, `{"sid":"a","sid":"b"}`, `{"sid":1}`, `null`, `[`, `{"sid":"a"}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sid, err := ConnectSID(data)
		if len(data) == 0 {
			if sid != "" || err != nil {
				t.Fatalf("ConnectSID(empty) = %q, %v", sid, err)
			}
			return
		}
		var want struct {
			SID string `json:"sid"`
		}
		wantErr := json.Unmarshal(data, &want)
		if (err != nil) != (wantErr != nil) || (err == nil && sid != want.SID) {
			t.Fatalf("ConnectSID(%q) = %q, %v; encoding/json gives %q, %v", data, sid, err, want.SID, wantErr)
		}
		if err != nil && !errors.Is(err, ErrBadSocketPacket) {
			t.Fatalf("error %v is not ErrBadSocketPacket", err)
		}
	})
}
