package wire

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestSocketPacketEncoding(t *testing.T) {
	tests := []struct {
		name string
		p    SocketPacket
		text string
	}{
		{"connect main", SocketPacket{Type: Connect, Namespace: "/", ID: NoID}, "0"},
		{"connect auth", SocketPacket{Type: Connect, Namespace: "/", ID: NoID, Data: json.RawMessage(`{"token":"123"}`)}, `0{"token":"123"}`},
		{"connect admin auth", SocketPacket{Type: Connect, Namespace: "/admin", ID: NoID, Data: json.RawMessage(`{"token":"123"}`)}, `0/admin,{"token":"123"}`},
		{"connect answer", SocketPacket{Type: Connect, Namespace: "/", ID: NoID, Data: json.RawMessage(`{"sid":"oSO0OpakMV_3jnilAAAA"}`)}, `0{"sid":"oSO0OpakMV_3jnilAAAA"}`},
		{"v4 connect namespace", SocketPacket{Type: Connect, Namespace: "/admin", ID: NoID}, "0/admin,"},
		{"v4 connect query", SocketPacket{Type: Connect, Namespace: "/admin?token=1234&uid=abcd", ID: NoID}, "0/admin?token=1234&uid=abcd,"},
		{"disconnect main", SocketPacket{Type: Disconnect, Namespace: "/", ID: NoID}, "1"},
		{"disconnect admin", SocketPacket{Type: Disconnect, Namespace: "/admin", ID: NoID}, "1/admin,"},
		{"event", SocketPacket{Type: Event, Namespace: "/", ID: NoID, Data: json.RawMessage(`["foo"]`)}, `2["foo"]`},
		{"event admin", SocketPacket{Type: Event, Namespace: "/admin", ID: NoID, Data: json.RawMessage(`["bar"]`)}, `2/admin,["bar"]`},
		{"event with ack id", SocketPacket{Type: Event, Namespace: "/admin", ID: 456, Data: json.RawMessage(`["project:delete",123]`)}, `2/admin,456["project:delete",123]`},
		{"event id main", SocketPacket{Type: Event, Namespace: "/", ID: 12, Data: json.RawMessage(`["foo"]`)}, `212["foo"]`},
		{"event id zero", SocketPacket{Type: Event, Namespace: "/", ID: 0, Data: json.RawMessage(`["foo"]`)}, `20["foo"]`},
		{"ack", SocketPacket{Type: Ack, Namespace: "/admin", ID: 456, Data: json.RawMessage(`[]`)}, `3/admin,456[]`},
		{"ack main", SocketPacket{Type: Ack, Namespace: "/", ID: 1, Data: json.RawMessage(`["bar"]`)}, `31["bar"]`},
		{"connect error v5", SocketPacket{Type: ConnectError, Namespace: "/", ID: NoID, Data: json.RawMessage(`{"message":"Not authorized"}`)}, `4{"message":"Not authorized"}`},
		{"error v4", SocketPacket{Type: ConnectError, Namespace: "/", ID: NoID, Data: json.RawMessage(`"Not authorized"`)}, `4"Not authorized"`},
		{"error v4 admin", SocketPacket{Type: ConnectError, Namespace: "/admin", ID: NoID, Data: json.RawMessage(`"error"`)}, `4/admin,"error"`},
		{"binary event", SocketPacket{Type: BinaryEvent, Namespace: "/", ID: NoID, Attachments: 1, Data: json.RawMessage(`["baz",{"_placeholder":true,"num":0}]`)}, `51-["baz",{"_placeholder":true,"num":0}]`},
		{"binary ack", SocketPacket{Type: BinaryAck, Namespace: "/admin", ID: 456, Attachments: 1, Data: json.RawMessage(`[{"_placeholder":true,"num":0}]`)}, `61-/admin,456[{"_placeholder":true,"num":0}]`},
		{"binary event many", SocketPacket{Type: BinaryEvent, Namespace: "/", ID: 7, Attachments: 12, Data: json.RawMessage(`["x"]`)}, `512-7["x"]`},
		{"max id", SocketPacket{Type: Ack, Namespace: "/", ID: math.MaxInt64, Data: json.RawMessage(`[]`)}, `39223372036854775807[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendSocketPacket([]byte("4"), &tt.p)
			if string(got) != "4"+tt.text {
				t.Fatalf("AppendSocketPacket = %q, want %q", got, "4"+tt.text)
			}
			p, err := DecodeSocketPacket([]byte(tt.text))
			if err != nil {
				t.Fatalf("DecodeSocketPacket(%q): %v", tt.text, err)
			}
			if !socketPacketsEqual(p, tt.p) {
				t.Fatalf("DecodeSocketPacket(%q) = %+v, want %+v", tt.text, p, tt.p)
			}
		})
	}
}

func socketPacketsEqual(a, b SocketPacket) bool {
	return a.Type == b.Type && a.Namespace == b.Namespace && a.ID == b.ID &&
		a.Attachments == b.Attachments && string(a.Data) == string(b.Data)
}

func TestDecodeSocketPacketLenient(t *testing.T) {
	tests := []struct {
		text string
		want SocketPacket
	}{
		// The namespace runs to the end when no comma follows.
		{"1/admin", SocketPacket{Type: Disconnect, Namespace: "/admin", ID: NoID}},
		{"0/admin?token=1", SocketPacket{Type: Connect, Namespace: "/admin?token=1", ID: NoID}},
		{"2", SocketPacket{Type: Event, Namespace: "/", ID: NoID}},
		{"3/a,5", SocketPacket{Type: Ack, Namespace: "/a", ID: 5}},
		{"2 [\"a\"] ", SocketPacket{Type: Event, Namespace: "/", ID: NoID, Data: json.RawMessage(" [\"a\"] ")}},
		{"4/a,{\"message\":\"x\",\"data\":{\"a\":1}}", SocketPacket{Type: ConnectError, Namespace: "/a", ID: NoID, Data: json.RawMessage(`{"message":"x","data":{"a":1}}`)}},
		{"50-[\"a\"]", SocketPacket{Type: BinaryEvent, Namespace: "/", ID: NoID, Data: json.RawMessage(`["a"]`)}},
	}
	for _, tt := range tests {
		p, err := DecodeSocketPacket([]byte(tt.text))
		if err != nil {
			t.Fatalf("DecodeSocketPacket(%q): %v", tt.text, err)
		}
		if !socketPacketsEqual(p, tt.want) {
			t.Fatalf("DecodeSocketPacket(%q) = %+v, want %+v", tt.text, p, tt.want)
		}
	}
}

// An ack id too large for any client (socket.io-client would find no
// callback for it) is UnknownID, not a broken packet; data nested past
// maxDepth is said to be too deep.
func TestDecodeSocketPacketOversizedIDAndDepth(t *testing.T) {
	for _, text := range []string{"39223372036854775808[\"a\"]", "3/chat,9999999999999999999999999999999999999999[\"a\"]", "29223372036854775808[\"a\"]"} {
		p, err := DecodeSocketPacket([]byte(text))
		if err != nil || p.ID != UnknownID || string(p.Data) != `["a"]` {
			t.Errorf("DecodeSocketPacket(%q) = %+v, %v; want ID UnknownID", text, p, err)
		}
	}
	_, err := DecodeSocketPacket([]byte("2" + strings.Repeat("[", 100000) + strings.Repeat("]", 100000)))
	if err == nil || !strings.Contains(err.Error(), "deeper than") {
		t.Errorf("100,000-deep data: %v, want it said too deep", err)
	}
}

func TestDecodeSocketPacketErrors(t *testing.T) {
	tests := []string{
		"",
		"7",
		"x",
		"/",
		"5",
		"5[\"a\"]",
		"5-[\"a\"]",
		"51[\"a\"]",
		"51",
		"51001-[\"a\"]",
		"599999999999999999999999-[]",
		"2[\"a\"",
		"2{\"a\":1}",
		"2\"a\"",
		"3{}",
		"0[]",
		"0\"x\"",
		"1[]",
		"1/admin,{}",
		"2[\"a\"]x",
		"2/a,[\"\x01\"]",
		"4{",
		"2" + strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
	}
	for _, text := range tests {
		if p, err := DecodeSocketPacket([]byte(text)); !errors.Is(err, ErrBadSocketPacket) {
			t.Errorf("DecodeSocketPacket(%.40q) = %+v, %v; want ErrBadSocketPacket", text, p, err)
		}
	}
}

func TestDecodeSocketPacketAliasesInput(t *testing.T) {
	text := []byte(`2["a"]`)
	p, err := DecodeSocketPacket(text)
	if err != nil {
		t.Fatal(err)
	}
	if &p.Data[0] != &text[1] {
		t.Fatal("Data does not alias text")
	}
}

func TestAppendEventData(t *testing.T) {
	tests := []struct {
		name        string
		event       string
		args        []any
		want        string
		attachments [][]byte
	}{
		{"no args", "foo", nil, `["foo"]`, nil},
		{"ack no args", "", nil, `[]`, nil},
		{"ack args", "", []any{"a", 1}, `["a",1]`, nil},
		{"scalars", "e", []any{"s", 1.5, 2, true, false, nil}, `["e","s",1.5,2,true,false,null]`, nil},
		{"ints", "e", []any{int8(-1), int16(2), int32(3), int64(-4), uint(5), uint8(6), uint16(7), uint32(8), uint64(9)}, `["e",-1,2,3,-4,5,6,7,8,9]`, nil},
		{"floats like JavaScript", "e", []any{1e21, 1e20, 1e-7, 0.000001, -0.5, float32(0.1), 100.0}, `["e",1e+21,100000000000000000000,1e-7,0.000001,-0.5,0.1,100]`, nil},
		{"escapes", "a\"b", []any{"<tag>&\n\t\r\\\x01\u2028é😀"}, `["a\"b","<tag>&\n\t\r\\\u0001` + "\u2028é😀" + `"]`, nil},
		{"invalid utf8", "e", []any{"a\xffb"}, `["e","a\ufffdb"]`, nil},
		{"map sorted", "e", []any{map[string]any{"b": 1, "a": []any{"x", nil}, "c": map[string]any{}}}, `["e",{"a":["x",null],"b":1,"c":{}}]`, nil},
		{"raw message", "e", []any{json.RawMessage(`{"x": 1}`)}, `["e",{"x": 1}]`, nil},
		{"struct via encoding/json", "e", []any{struct {
			A int `json:"a"`
		}{3}}, `["e",{"a":3}]`, nil},
		{"string slice", "e", []any{[]string{"a", "b"}}, `["e",["a","b"]]`, nil},
		{"nil slice", "e", []any{[]string(nil), map[string]int(nil)}, `["e",null,null]`, nil},
		{"typed map", "e", []any{map[string]int{"z": 1, "y": 2}}, `["e",{"y":2,"z":1}]`, nil},
		{"binary", "baz", []any{[]byte{1, 2}}, `["baz",{"_placeholder":true,"num":0}]`, [][]byte{{1, 2}}},
		{
			"nested binary", "e",
			[]any{"x", map[string]any{"a": []byte{1}, "b": []any{[]byte{2}, [][]byte{{3}}}}},
			`["e","x",{"a":{"_placeholder":true,"num":0},"b":[{"_placeholder":true,"num":1},[{"_placeholder":true,"num":2}]]}]`,
			[][]byte{{1}, {2}, {3}},
		},
		{"binary in typed map", "e", []any{map[string][]byte{"k": {9}}}, `["e",{"k":{"_placeholder":true,"num":0}}]`, [][]byte{{9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, atts, err := AppendEventData([]byte("2"), tt.event, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "2"+tt.want {
				t.Fatalf("AppendEventData = %s, want %s", got[1:], tt.want)
			}
			if !reflect.DeepEqual(atts, tt.attachments) {
				t.Fatalf("attachments = %v, want %v", atts, tt.attachments)
			}
			if !json.Valid(got[1:]) {
				t.Fatalf("output is not valid JSON: %s", got[1:])
			}
		})
	}
}

func TestAppendEventDataErrors(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	tests := []struct {
		name string
		args []any
	}{
		{"NaN", []any{math.NaN()}},
		{"Inf", []any{math.Inf(1)}},
		{"bad raw", []any{json.RawMessage(`{`)}},
		{"cycle", cyclic},
		{"channel", []any{make(chan int)}},
	}
	for _, tt := range tests {
		if _, _, err := AppendEventData(nil, "e", tt.args); err == nil {
			t.Errorf("%s: AppendEventData succeeded, want an error", tt.name)
		}
	}
}

func TestAppendEventPacket(t *testing.T) {
	tests := []struct {
		name  string
		nsp   string
		id    int64
		event string
		args  []any
		want  string
		atts  int
	}{
		{"plain", "/", NoID, "foo", []any{"a"}, `2["foo","a"]`, 0},
		{"namespace and id", "/chat", 12, "foo", nil, `2/chat,12["foo"]`, 0},
		{"binary", "/", NoID, "baz", []any{[]byte{1}}, `51-["baz",{"_placeholder":true,"num":0}]`, 1},
		{"binary namespace id", "/admin", 456, "x", []any{[]byte{1}, []byte{2}}, `52-/admin,456["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, atts, err := AppendEventPacket([]byte("4"), tt.nsp, tt.id, tt.event, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "4"+tt.want || len(atts) != tt.atts {
				t.Fatalf("AppendEventPacket = %s with %d attachments, want %s with %d", got, len(atts), "4"+tt.want, tt.atts)
			}
			p, err := DecodeSocketPacket(got[1:])
			if err != nil {
				t.Fatal(err)
			}
			if p.Attachments != tt.atts {
				t.Fatalf("decoded %d attachments, want %d", p.Attachments, tt.atts)
			}
			args, err := DecodeArgs(p.Data, atts, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(args) != len(tt.args) {
				t.Fatalf("decoded args %v, want %v", args, tt.args)
			}
		})
	}
	if _, _, err := AppendEventPacket(nil, "/", NoID, "", nil); err == nil {
		t.Fatal("an event without a name was accepted")
	}
}

func TestAppendAckPacket(t *testing.T) {
	got, atts, err := AppendAckPacket(nil, "/admin", 456, nil)
	if err != nil || string(got) != `3/admin,456[]` || atts != nil {
		t.Fatalf("AppendAckPacket = %s, %v, %v", got, atts, err)
	}
	got, atts, err = AppendAckPacket(nil, "/", 7, []any{"pong", []byte{1}})
	if err != nil || string(got) != `61-7["pong",{"_placeholder":true,"num":0}]` || len(atts) != 1 {
		t.Fatalf("AppendAckPacket = %s, %v, %v", got, atts, err)
	}
}

func TestConnectPackets(t *testing.T) {
	got, err := AppendConnectPacket(nil, "/admin", map[string]any{"token": "123"})
	if err != nil || string(got) != `0/admin,{"token":"123"}` {
		t.Fatalf("AppendConnectPacket = %s, %v", got, err)
	}
	got, err = AppendConnectPacket(nil, "/", nil)
	if err != nil || string(got) != `0` {
		t.Fatalf("AppendConnectPacket = %s, %v", got, err)
	}
	if _, err = AppendConnectPacket(nil, "/", map[string]any{"b": []byte{1}}); err == nil {
		t.Fatal("binary CONNECT data was accepted")
	}
	if got := string(AppendConnectErrorPacket(nil, EngineV4, "/", "Not authorized")); got != `4{"message":"Not authorized"}` {
		t.Fatalf("v5 CONNECT_ERROR = %s", got)
	}
	if got := string(AppendConnectErrorPacket(nil, EngineV3, "/admin", "error")); got != `4/admin,"error"` {
		t.Fatalf("v4 ERROR = %s", got)
	}
}

func TestConnectErrorMessage(t *testing.T) {
	tests := []struct{ data, want string }{
		{`{"message":"Not authorized","data":{"x":1}}`, "Not authorized"},
		{`"Invalid namespace"`, "Invalid namespace"},
		{`{"other":1}`, `{"other":1}`},
		{`42`, `42`},
	}
	for _, tt := range tests {
		if got := ConnectErrorMessage(json.RawMessage(tt.data)); got != tt.want {
			t.Errorf("ConnectErrorMessage(%s) = %q, want %q", tt.data, got, tt.want)
		}
	}
}

func TestConnectSID(t *testing.T) {
	if sid, err := ConnectSID(json.RawMessage(`{"sid":"abc"}`)); err != nil || sid != "abc" {
		t.Fatalf("ConnectSID = %q, %v", sid, err)
	}
	if sid, err := ConnectSID(nil); err != nil || sid != "" {
		t.Fatalf("ConnectSID(nil) = %q, %v", sid, err)
	}
	if _, err := ConnectSID(json.RawMessage(`[`)); !errors.Is(err, ErrBadSocketPacket) {
		t.Fatalf("ConnectSID(bad) = %v", err)
	}
}

func TestEventName(t *testing.T) {
	tests := []struct {
		data, want string
		ok         bool
	}{
		{`["foo"]`, "foo", true},
		{` [ "foo" , 1]`, "foo", true},
		{`["a\"b\u00e9\ud83d\ude00",1]`, "a\"bé😀", true},
		{`[12,"x"]`, "12", true},
		{`[-1.5e3]`, "-1.5e3", true},
		{`[-]`, "", false},
		{`[]`, "", false},
		{`[null]`, "", false},
		{`{"a":1}`, "", false},
		{``, "", false},
		{`["unterminated`, "", false},
		{`["bad \x escape"]`, "", false},
	}
	for _, tt := range tests {
		got, err := EventName(json.RawMessage(tt.data))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("EventName(%s) = %q, %v; want %q (ok %v)", tt.data, got, err, tt.want, tt.ok)
		}
	}
}

func TestDecodeArgs(t *testing.T) {
	atts := [][]byte{{1, 2}, {3}}
	tests := []struct {
		name     string
		data     string
		skipName bool
		want     []any
	}{
		{"empty data", ``, true, nil},
		{"name only", `["foo"]`, true, []any{}},
		{"ack empty", `[]`, false, []any{}},
		{"scalars", `["e","s",1.5,-2,true,false,null]`, true, []any{"s", 1.5, -2.0, true, false, nil}},
		{"keep name", `["e",1]`, false, []any{"e", 1.0}},
		{"numeric name", `[1,2]`, true, []any{2.0}},
		{"nested", `["e",{"a":[1,{"b":"c"}],"d":{}}]`, true, []any{map[string]any{"a": []any{1.0, map[string]any{"b": "c"}}, "d": map[string]any{}}}},
		{"escapes", `["e","a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x"]`, true, []any{"a\"\\/\b\f\n\r\té😀\ufffdx"}},
		{"invalid utf8 in string", "[\"e\",\"a\xffb\"]", true, []any{"a\ufffdb"}},
		{"whitespace", " [ \"e\" , 1 , [ ] , { } ] ", true, []any{1.0, []any{}, map[string]any{}}},
		{"placeholders", `["e",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]]`, true, []any{[]byte{3}, []any{[]byte{1, 2}}}},
		{"placeholder false", `["e",{"_placeholder":false,"num":9}]`, true, []any{map[string]any{"_placeholder": false, "num": 9.0}}},
		{"numbers", `["e",0,-0.5,1e3,1E-2,12345678901234567890]`, true, []any{0.0, -0.5, 1000.0, 0.01, 12345678901234567890.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeArgs(json.RawMessage(tt.data), atts, tt.skipName)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("DecodeArgs = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeArgsMatchesEncodingJSON(t *testing.T) {
	data := `["e",{"a":[1,2.5,"x\u0041",null,true],"b":{"c":{"d":[]}}},"😀",-1e-7,[[],{}]]`
	got, err := DecodeArgs(json.RawMessage(data), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var want []any
	if err := json.Unmarshal([]byte(data), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeArgs = %#v, encoding/json = %#v", got, want)
	}
}

func TestDecodeArgsErrors(t *testing.T) {
	atts := [][]byte{{1}}
	tests := []struct {
		data string
		want error
	}{
		{`{}`, ErrBadSocketPacket},
		{`"e"`, ErrBadSocketPacket},
		{`[`, ErrBadSocketPacket},
		{`["e",]`, ErrBadSocketPacket},
		{`["e" 1]`, ErrBadSocketPacket},
		{`["e"]x`, ErrBadSocketPacket},
		{`["e",tru]`, ErrBadSocketPacket},
		{`["e",01]`, ErrBadSocketPacket},
		{`["e",1.]`, ErrBadSocketPacket},
		{`["e",1e]`, ErrBadSocketPacket},
		{`["e",-]`, ErrBadSocketPacket},
		{`["e",1e999]`, ErrBadSocketPacket},
		{`["e",{"a"}]`, ErrBadSocketPacket},
		{`["e",{"a":1,}]`, ErrBadSocketPacket},
		{`["e",{1:1}]`, ErrBadSocketPacket},
		{"[\"e\",\"a\x01\"]", ErrBadSocketPacket},
		{`["e","\q"]`, ErrBadSocketPacket},
		{`["e","\u12"]`, ErrBadSocketPacket},
		{"[\"e\"," + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + "]", ErrBadSocketPacket},
		{`["e",{"_placeholder":true,"num":1}]`, ErrBadPlaceholder},
		{`["e",{"_placeholder":true,"num":-1}]`, ErrBadPlaceholder},
		{`["e",{"_placeholder":true,"num":0.5}]`, ErrBadPlaceholder},
		{`["e",{"_placeholder":true,"num":"0"}]`, ErrBadPlaceholder},
		{`["e",{"_placeholder":true}]`, ErrBadPlaceholder},
		{`["e",{"_placeholder":true,"num":1e300}]`, ErrBadPlaceholder},
	}
	for _, tt := range tests {
		if got, err := DecodeArgs(json.RawMessage(tt.data), atts, true); !errors.Is(err, tt.want) {
			t.Errorf("DecodeArgs(%.50s) = %v, %v; want %v", tt.data, got, err, tt.want)
		}
	}
}

func TestEventRoundTrip(t *testing.T) {
	args := []any{"s", 1.5, true, nil, []any{"x", 2.0}, map[string]any{"k": "v", "bin": []byte{7, 8}}, []byte{9}}
	data, atts, err := AppendEventData(nil, "ev", args)
	if err != nil {
		t.Fatal(err)
	}
	name, err := EventName(data)
	if err != nil || name != "ev" {
		t.Fatalf("EventName = %q, %v", name, err)
	}
	got, err := DecodeArgs(data, atts, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, args) {
		t.Fatalf("round trip = %#v, want %#v", got, args)
	}
}

func TestSocketPacketTypeString(t *testing.T) {
	if got := BinaryAck.String(); got != "BINARY_ACK" {
		t.Fatalf("BinaryAck.String() = %q", got)
	}
}

func TestAppendEventName(t *testing.T) {
	buf := make([]byte, 0, 64)
	data := json.RawMessage(`["message",1]`)
	var err error
	if n := testing.AllocsPerRun(100, func() { buf, err = AppendEventName(buf[:0], data) }); n != 0 || err != nil {
		t.Fatalf("AppendEventName allocates %v times (%v)", n, err)
	}
	if string(buf) != "message" {
		t.Fatalf("AppendEventName = %q", buf)
	}
	got, err := AppendEventName([]byte("x:"), json.RawMessage(`["a\nb\u00e9"]`))
	if err != nil || string(got) != "x:a\nbé" {
		t.Fatalf("AppendEventName = %q, %v", got, err)
	}
}

func TestDecodeConnectData(t *testing.T) {
	tests := []struct {
		data string
		want map[string]any
		ok   bool
	}{
		{``, nil, true},
		{`{"token":"123","n":1}`, map[string]any{"token": "123", "n": 1.0}, true},
		{` {} `, map[string]any{}, true},
		{`[]`, nil, false},
		{`{"a":1} x`, nil, false},
		{`{"a":}`, nil, false},
		{`{"_placeholder":true,"num":0}`, nil, false},
	}
	for _, tt := range tests {
		got, err := DecodeConnectData(json.RawMessage(tt.data))
		if (err == nil) != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DecodeConnectData(%s) = %v, %v; want %v (ok %v)", tt.data, got, err, tt.want, tt.ok)
		}
	}
}
