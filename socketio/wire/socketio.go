package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// SocketPacketType is a Socket.IO packet type.
type SocketPacketType byte

// The Socket.IO packet types; the digit that starts a packet's text.
const (
	Connect      SocketPacketType = 0
	Disconnect   SocketPacketType = 1
	Event        SocketPacketType = 2
	Ack          SocketPacketType = 3
	ConnectError SocketPacketType = 4 // named ERROR in protocol v4 (socket.io 2.x)
	BinaryEvent  SocketPacketType = 5
	BinaryAck    SocketPacketType = 6
)

// String returns the protocol's name of the type ("CONNECT", "EVENT", ...).
func (t SocketPacketType) String() string {
	switch t {
	case Connect:
		return "CONNECT"
	case Disconnect:
		return "DISCONNECT"
	case Event:
		return "EVENT"
	case Ack:
		return "ACK"
	case ConnectError:
		return "CONNECT_ERROR"
	case BinaryEvent:
		return "BINARY_EVENT"
	case BinaryAck:
		return "BINARY_ACK"
	}
	return "SocketPacketType(" + strconv.Itoa(int(t)) + ")"
}

// NoID is the SocketPacket.ID of a packet that carries no ack id.
const NoID int64 = -1

// UnknownID is the SocketPacket.ID of a packet whose ack id is too large to
// be one a client gave (it overflows int64): it matches no emit.
const UnknownID int64 = 1<<63 - 1

// MaxAttachments bounds the attachment count a decoder accepts, so that a
// hostile header cannot make a receiver wait for or reserve room for an
// unbounded number of binary messages.
const MaxAttachments = 1000

// SocketPacket is one Socket.IO packet, without its binary attachments (they
// travel as separate Engine.IO binary messages after it).
type SocketPacket struct {
	Type SocketPacketType
	// Namespace is "/" for the main namespace. In protocol v4 (socket.io
	// 2.x) a CONNECT may carry a query string: "/chat?token=x". Any other
	// namespace starts with "/" and holds no ",".
	Namespace string
	// ID is the ack id, or NoID.
	ID int64
	// Attachments is the number of binary attachments that follow a
	// BinaryEvent or BinaryAck.
	Attachments int
	// Data is the raw JSON after the header: an array for events and acks
	// (the event name first), an object or nothing for CONNECT, an object or
	// a string for CONNECT_ERROR. Empty when absent.
	Data json.RawMessage
}

// Errors returned by the Socket.IO decoders, wrapped with detail; test with
// errors.Is.
var (
	ErrBadSocketPacket = errors.New("malformed Socket.IO packet")
	ErrBadPlaceholder  = errors.New("Socket.IO binary placeholder out of range")
)

// AppendSocketPacket appends the text encoding of p:
// type, "<attachments>-" for binary types, "<namespace>," unless the
// namespace is "/" (or empty), the id unless NoID, then Data.
func AppendSocketPacket(dst []byte, p *SocketPacket) []byte {
	dst = append(dst, '0'+byte(p.Type))
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		dst = strconv.AppendInt(dst, int64(p.Attachments), 10)
		dst = append(dst, '-')
	}
	dst = appendNamespace(dst, p.Namespace)
	if p.ID >= 0 {
		dst = strconv.AppendInt(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}

func appendNamespace(dst []byte, nsp string) []byte {
	if nsp == "" || nsp == "/" {
		return dst
	}
	dst = append(dst, nsp...)
	return append(dst, ',')
}

// DecodeSocketPacket decodes the text encoding of a packet. Data aliases
// text. The JSON in Data is checked to be well-formed, and to be of the kind
// its type carries (an array for events and acks, an object for CONNECT,
// nothing for DISCONNECT), but not decoded. Namespace is allocated only when
// it is not the main namespace.
func DecodeSocketPacket(text []byte) (SocketPacket, error) {
	if len(text) == 0 {
		return SocketPacket{}, fmt.Errorf("%w: empty", ErrBadSocketPacket)
	}
	p := SocketPacket{Type: SocketPacketType(text[0] - '0'), Namespace: "/", ID: NoID}
	if text[0] < '0' || p.Type > BinaryAck {
		return SocketPacket{}, fmt.Errorf("%w: unknown type %q", ErrBadSocketPacket, text[0])
	}
	i := 1
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		start := i
		n := 0
		for ; i < len(text) && text[i] >= '0' && text[i] <= '9'; i++ {
			n = n*10 + int(text[i]-'0')
			if n > MaxAttachments {
				return SocketPacket{}, fmt.Errorf("%w: more than %d attachments", ErrBadSocketPacket, MaxAttachments)
			}
		}
		if i == start || i == len(text) || text[i] != '-' {
			return SocketPacket{}, fmt.Errorf("%w: attachment count not followed by '-'", ErrBadSocketPacket)
		}
		p.Attachments = n
		i++
	}
	if i < len(text) && text[i] == '/' {
		start := i
		for i < len(text) && text[i] != ',' {
			i++
		}
		p.Namespace = string(text[start:i])
		if i < len(text) {
			i++ // the comma
		}
	}
	if i < len(text) && text[i] >= '0' && text[i] <= '9' {
		id := int64(0)
		for ; i < len(text) && text[i] >= '0' && text[i] <= '9'; i++ {
			d := int64(text[i] - '0')
			if id > (1<<63-1-d)/10 {
				// Larger than any id a client gives: it matches no
				// emit, and is ignored as socket.io-client ignores an
				// unknown id, rather than closing the connection.
				id = UnknownID
				for i < len(text) && text[i] >= '0' && text[i] <= '9' {
					i++
				}
				break
			}
			id = id*10 + d
		}
		p.ID = id
	}
	if i < len(text) {
		p.Data = json.RawMessage(text[i:])
	}
	if err := checkSocketData(p.Type, p.Data); err != nil {
		return SocketPacket{}, err
	}
	return p, nil
}

// checkSocketData checks that data is well-formed JSON of the kind packets of
// type t carry.
func checkSocketData(t SocketPacketType, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	first := firstNonSpace(data)
	var ok bool
	switch t {
	case Connect:
		ok = first == '{'
	case Disconnect:
		ok = false
	case ConnectError:
		ok = true
	default:
		ok = first == '['
	}
	if !ok {
		return fmt.Errorf("%w: unexpected data for %v", ErrBadSocketPacket, t)
	}
	if !validJSON(data) {
		if nestsDeeper(data, maxDepth) {
			return fmt.Errorf("%w: data nests deeper than %d levels", ErrBadSocketPacket, maxDepth)
		}
		return fmt.Errorf("%w: data is not valid JSON", ErrBadSocketPacket)
	}
	return nil
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		if !isSpace(c) {
			return c
		}
	}
	return 0
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// AppendEventData appends the JSON array [event, args...] to dst, replacing
// every []byte found in args (at any depth, in slices and maps) by a
// placeholder {"_placeholder":true,"num":N}. It returns the buffers in
// placeholder order; none means a plain Event (or Ack) packet suffices.
// With event == "" it encodes just [args...], as acks do.
//
// Strings, numbers, booleans, nil, []any, map[string]any, []byte and
// json.RawMessage are encoded directly (map keys sorted, as encoding/json
// does, but without HTML escaping); other types go through encoding/json.
// The attachments alias the []byte values in args.
func AppendEventData(dst []byte, event string, args []any) (out []byte, attachments [][]byte, err error) {
	var e encoder
	dst = append(dst, '[')
	if event != "" {
		dst = appendJSONString(dst, event)
	}
	for i, a := range args {
		if i > 0 || event != "" {
			dst = append(dst, ',')
		}
		if dst, err = e.appendValue(dst, a); err != nil {
			return dst, nil, err
		}
	}
	return append(dst, ']'), e.attachments, nil
}

// AppendEventPacket appends a whole EVENT packet for namespace nsp (with ack
// id id, or NoID), switching to BINARY_EVENT when args hold []byte values;
// the returned attachments must be sent after it, in order, as binary
// messages. To build an Engine.IO text message in one buffer, pass a dst
// that already ends with the message type digit '4'.
func AppendEventPacket(dst []byte, nsp string, id int64, event string, args []any) (out []byte, attachments [][]byte, err error) {
	if event == "" {
		return dst, nil, fmt.Errorf("%w: an event needs a name", ErrBadSocketPacket)
	}
	return appendArgsPacket(dst, Event, nsp, id, event, args)
}

// AppendAckPacket appends the ACK packet answering id in namespace nsp with
// args, switching to BINARY_ACK when args hold []byte values, as
// AppendEventPacket does.
func AppendAckPacket(dst []byte, nsp string, id int64, args []any) (out []byte, attachments [][]byte, err error) {
	return appendArgsPacket(dst, Ack, nsp, id, "", args)
}

func appendArgsPacket(dst []byte, t SocketPacketType, nsp string, id int64, event string, args []any) ([]byte, [][]byte, error) {
	typeAt := len(dst)
	dst = AppendSocketPacket(dst, &SocketPacket{Type: t, Namespace: nsp, ID: id})
	dst, attachments, err := AppendEventData(dst, event, args)
	if err != nil || len(attachments) == 0 {
		return dst, attachments, err
	}
	// The attachment count belongs right after the type: make room for it.
	dst[typeAt] += byte(BinaryEvent - Event)
	var count [8]byte
	header := append(strconv.AppendInt(count[:0], int64(len(attachments)), 10), '-')
	dst = append(dst, header...)
	copy(dst[typeAt+1+len(header):], dst[typeAt+1:len(dst)-len(header)])
	copy(dst[typeAt+1:], header)
	return dst, attachments, nil
}

// AppendConnectPacket appends a CONNECT packet for namespace nsp carrying
// data (the auth object a client sends, or the {"sid":...} a protocol v5
// server answers) unless data is nil. Protocol v4 (socket.io 2.x) CONNECT
// packets carry no data; its query goes in nsp ("/chat?token=x").
func AppendConnectPacket(dst []byte, nsp string, data any) ([]byte, error) {
	dst = AppendSocketPacket(dst, &SocketPacket{Type: Connect, Namespace: nsp, ID: NoID})
	if data == nil {
		return dst, nil
	}
	var e encoder
	dst, err := e.appendValue(dst, data)
	if err == nil && len(e.attachments) > 0 {
		err = fmt.Errorf("%w: CONNECT data cannot carry binary attachments", ErrBadSocketPacket)
	}
	return dst, err
}

// AppendConnectErrorPacket appends the packet refusing a connection to nsp:
// in protocol v5 (Engine.IO v4) CONNECT_ERROR with {"message":message}, in
// protocol v4 (Engine.IO v3) ERROR with the message as a JSON string.
func AppendConnectErrorPacket(dst []byte, v EngineVersion, nsp, message string) []byte {
	dst = AppendSocketPacket(dst, &SocketPacket{Type: ConnectError, Namespace: nsp, ID: NoID})
	if v == EngineV3 {
		return appendJSONString(dst, message)
	}
	dst = append(dst, `{"message":`...)
	dst = appendJSONString(dst, message)
	return append(dst, '}')
}

// ConnectErrorMessage returns the reason a CONNECT_ERROR (or protocol v4
// ERROR) packet's data gives: the string itself, or the "message" field of
// an object, or else the raw JSON.
func ConnectErrorMessage(data json.RawMessage) string {
	var s string
	if json.Unmarshal(data, &s) == nil {
		return s
	}
	var obj struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(data, &obj) == nil && obj.Message != nil {
		return *obj.Message
	}
	return string(data)
}

// DecodeConnectData decodes the object a CONNECT packet carries (the
// client's auth, or the server's {"sid":...}); nil when there is none.
func DecodeConnectData(data json.RawMessage) (map[string]any, error) {
	if len(data) == 0 {
		return nil, nil
	}
	d := decoder{data: data}
	d.skipSpace()
	if d.pos == len(d.data) || d.data[d.pos] != '{' {
		return nil, d.fail("CONNECT data is not an object")
	}
	v, err := d.object()
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.fail("data after the object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, d.fail("CONNECT data is a binary placeholder")
	}
	return m, nil
}

// ConnectSID returns the session id a protocol v5 server sends in its
// CONNECT answer ({"sid":"..."}), or "" when data carries none (protocol v4).
func ConnectSID(data json.RawMessage) (string, error) {
	if len(data) == 0 {
		return "", nil
	}
	if sid, ok := plainConnectSID(data); ok {
		return sid, nil
	}
	var obj struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return "", fmt.Errorf("%w: CONNECT data: %v", ErrBadSocketPacket, err)
	}
	return obj.SID, nil
}

// plainConnectSID reads the form every server sends, {"sid":"..."} with
// printable ASCII and no escapes in the id, without reflection (it is read
// once per connection); ok is false for any other form, which
// ConnectSID leaves to encoding/json.
func plainConnectSID(data []byte) (sid string, ok bool) {
	const prefix, suffix = `{"sid":"`, `"}`
	if len(data) < len(prefix)+len(suffix) || string(data[:len(prefix)]) != prefix || string(data[len(data)-len(suffix):]) != suffix {
		return "", false
	}
	id := data[len(prefix) : len(data)-len(suffix)]
	for _, c := range id {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(id), true
}

// EventName returns the event name, the first element of an event's Data,
// without decoding the rest. A numeric name (the protocol allows it) is
// returned as its JSON text.
func EventName(data json.RawMessage) (string, error) {
	var buf [64]byte
	name, err := AppendEventName(buf[:0], data)
	if err != nil {
		return "", err
	}
	return string(name), nil
}

// AppendEventName appends the event name of an event's Data to dst, as
// EventName returns it. With a reused dst it does not allocate, and a map
// indexed with string(name) does not either: the way to count events by
// name on a hot path.
func AppendEventName(dst []byte, data json.RawMessage) ([]byte, error) {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '[' {
		return dst, fmt.Errorf("%w: event data is not an array", ErrBadSocketPacket)
	}
	i = skipSpace(data, i+1)
	if i == len(data) {
		return dst, fmt.Errorf("%w: event data is not an array", ErrBadSocketPacket)
	}
	switch c := data[i]; {
	case c == '"':
		end, plain, ok := scanString(data, i)
		if !ok {
			return dst, fmt.Errorf("%w: event name is not a valid string", ErrBadSocketPacket)
		}
		body := data[i+1 : end-1]
		if plain && utf8.Valid(body) {
			return append(dst, body...), nil
		}
		return appendUnescaped(dst, body), nil
	case c == '-' || c >= '0' && c <= '9':
		end, ok := scanNumber(data, i)
		if !ok {
			return dst, fmt.Errorf("%w: event name is not a valid number", ErrBadSocketPacket)
		}
		return append(dst, data[i:end]...), nil
	}
	return dst, fmt.Errorf("%w: event without a name", ErrBadSocketPacket)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// DecodeArgs decodes an event's or ack's Data into its arguments, with
// placeholders replaced by their attachments ([]byte). For events, the name
// is dropped (skipName). JSON numbers decode as float64, objects as
// map[string]any, arrays as []any, as encoding/json does. A placeholder
// whose num is not an index of attachments fails with ErrBadPlaceholder.
// Empty data decodes as no arguments. Data nested deeper than 1000 levels
// is refused. Like encoding/json, it allocates up to about 60 bytes per
// input byte for data made of tiny objects (a Go map is large), so callers
// bound the input (the websocket read limit, maxPayload).
func DecodeArgs(data json.RawMessage, attachments [][]byte, skipName bool) ([]any, error) {
	if len(data) == 0 {
		return nil, nil
	}
	d := decoder{data: data, attachments: attachments}
	args, err := d.decodeArgs(skipName)
	if err != nil {
		return nil, err
	}
	return args, nil
}

// nestsDeeper reports whether the arrays and objects of data, outside its
// strings, nest deeper than limit.
func nestsDeeper(data []byte, limit int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > limit {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}
