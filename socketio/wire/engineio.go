package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// EngineVersion is the Engine.IO protocol revision, as sent in the EIO query
// parameter.
type EngineVersion int

const (
	// EngineV3 is spoken by socket.io 2.x servers: the client pings, polling
	// payloads are length-prefixed (<length>:<packet>, length in UTF-16 code
	// units).
	EngineV3 EngineVersion = 3
	// EngineV4 is spoken by socket.io 3.x and 4.x servers: the server pings,
	// polling payloads are separated by the record separator 0x1e.
	EngineV4 EngineVersion = 4
)

// PacketType is an Engine.IO packet type.
type PacketType byte

// The Engine.IO packet types; in text form, the digit that starts a packet.
const (
	Open    PacketType = 0
	Close   PacketType = 1
	Ping    PacketType = 2
	Pong    PacketType = 3
	Message PacketType = 4
	Upgrade PacketType = 5
	Noop    PacketType = 6
)

// String returns the protocol's name of the type ("open", "message", ...).
func (t PacketType) String() string {
	switch t {
	case Open:
		return "open"
	case Close:
		return "close"
	case Ping:
		return "ping"
	case Pong:
		return "pong"
	case Message:
		return "message"
	case Upgrade:
		return "upgrade"
	case Noop:
		return "noop"
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// Packet is one Engine.IO packet.
type Packet struct {
	Type PacketType
	// Data is what follows the type: the Socket.IO packet text for a text
	// Message, the raw bytes of a binary Message, "probe" in the upgrade
	// handshake, the JSON handshake of an Open packet.
	Data []byte
	// Binary marks a binary Message (a Socket.IO attachment). Only messages
	// are binary: encoders send a Binary packet as a Message whatever its
	// Type, and decoders return Binary packets with Type Message.
	Binary bool
}

// Errors returned by the decoders. They are wrapped with detail; test with
// errors.Is.
var (
	ErrEmptyPacket   = errors.New("empty Engine.IO packet")
	ErrUnknownType   = errors.New("unknown Engine.IO packet type")
	ErrBadPayload    = errors.New("malformed Engine.IO polling payload")
	ErrBadBase64     = errors.New("malformed base64 in Engine.IO binary packet")
	ErrBadHandshake  = errors.New("malformed Engine.IO open packet")
	ErrPayloadTooBig = errors.New("Engine.IO payload exceeds the size limit")
)

// Handshake is the JSON body of the Open packet.
type Handshake struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"` // milliseconds
	PingTimeout  int      `json:"pingTimeout"`  // milliseconds
	// MaxPayload is the server's maxHttpBufferSize in bytes (Engine.IO v4
	// only; zero when the server does not say).
	MaxPayload int `json:"maxPayload"`
}

// ParseHandshake decodes the Data of an Open packet. It requires a session
// id and positive ping timings, since a client cannot keep a session alive
// without them.
func ParseHandshake(data []byte) (Handshake, error) {
	h, ok := parsePlainHandshake(data)
	if !ok {
		h = Handshake{}
		if err := json.Unmarshal(data, &h); err != nil {
			return Handshake{}, fmt.Errorf("%w: %v", ErrBadHandshake, err)
		}
	}
	switch {
	case h.SID == "":
		return Handshake{}, fmt.Errorf("%w: no sid", ErrBadHandshake)
	case h.PingInterval <= 0 || h.PingTimeout <= 0:
		return Handshake{}, fmt.Errorf("%w: pingInterval %d and pingTimeout %d must be positive",
			ErrBadHandshake, h.PingInterval, h.PingTimeout)
	case h.MaxPayload < 0:
		return Handshake{}, fmt.Errorf("%w: negative maxPayload %d", ErrBadHandshake, h.MaxPayload)
	}
	return h, nil
}

// parsePlainHandshake reads data as json.Unmarshal would when it is an
// open packet as servers write it: an object of the Handshake's own keys,
// each once, spelled as in its tags, with ASCII strings without escapes,
// integers of at most nine digits and no spaces. Anything else (ok false)
// is json.Unmarshal's to read.
func parsePlainHandshake(data []byte) (h Handshake, ok bool) {
	if len(data) < 2 || data[0] != '{' || data[len(data)-1] != '}' {
		return h, false
	}
	s := data[1 : len(data)-1]
	var seen uint8
	for len(s) > 0 {
		key, rest, ok := plainJSONString(s)
		if !ok || len(rest) == 0 || rest[0] != ':' {
			return h, false
		}
		s = rest[1:]
		var bit uint8
		switch string(key) {
		case "sid":
			bit = 1
			var v []byte
			if v, s, ok = plainJSONString(s); !ok {
				return h, false
			}
			h.SID = string(v)
		case "upgrades":
			bit = 2
			if h.Upgrades, s, ok = plainJSONStrings(s); !ok {
				return h, false
			}
		case "pingInterval":
			bit = 4
			if h.PingInterval, s, ok = plainJSONInt(s); !ok {
				return h, false
			}
		case "pingTimeout":
			bit = 8
			if h.PingTimeout, s, ok = plainJSONInt(s); !ok {
				return h, false
			}
		case "maxPayload":
			bit = 16
			if h.MaxPayload, s, ok = plainJSONInt(s); !ok {
				return h, false
			}
		default:
			return h, false
		}
		if seen&bit != 0 {
			return h, false
		}
		seen |= bit
		if len(s) > 0 {
			if s[0] != ',' || len(s) == 1 {
				return h, false
			}
			s = s[1:]
		}
	}
	return h, true
}

// plainJSONString reads a string of printable ASCII without escapes at the
// start of s.
func plainJSONString(s []byte) (v, rest []byte, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return nil, nil, false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[1:i], s[i+1:], true
		case c < ' ' || c >= 0x7f || c == '\\':
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// plainJSONStrings reads an array of plain strings at the start of s
// (empty, not nil, for []).
func plainJSONStrings(s []byte) (v []string, rest []byte, ok bool) {
	if len(s) == 0 || s[0] != '[' {
		return nil, nil, false
	}
	s = s[1:]
	v = []string{}
	if len(s) > 0 && s[0] == ']' {
		return v, s[1:], true
	}
	for {
		var e []byte
		if e, s, ok = plainJSONString(s); !ok || len(s) == 0 {
			return nil, nil, false
		}
		v = append(v, string(e))
		switch s[0] {
		case ']':
			return v, s[1:], true
		case ',':
			s = s[1:]
		default:
			return nil, nil, false
		}
	}
}

// plainJSONInt reads a non-negative integer of at most nine digits, with
// no leading zero, at the start of s.
func plainJSONInt(s []byte) (v int, rest []byte, ok bool) {
	i := 0
	for i < len(s) && i < 10 && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || i > 9 || s[0] == '0' && i > 1 || i < len(s) && (s[i] == '.' || s[i] == 'e' || s[i] == 'E') {
		return 0, nil, false
	}
	return v, s[i:], true
}

// AppendHandshake appends h as the JSON body of an Open packet, the way
// servers of version v send it: maxPayload only in v4, upgrades always an
// array.
func AppendHandshake(dst []byte, v EngineVersion, h Handshake) []byte {
	dst = append(dst, `{"sid":`...)
	dst = appendJSONString(dst, h.SID)
	dst = append(dst, `,"upgrades":[`...)
	for i, u := range h.Upgrades {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, u)
	}
	dst = append(dst, `],"pingInterval":`...)
	dst = strconv.AppendInt(dst, int64(h.PingInterval), 10)
	dst = append(dst, `,"pingTimeout":`...)
	dst = strconv.AppendInt(dst, int64(h.PingTimeout), 10)
	if v != EngineV3 {
		dst = append(dst, `,"maxPayload":`...)
		dst = strconv.AppendInt(dst, int64(h.MaxPayload), 10)
	}
	return append(dst, '}')
}

// AppendFrame appends p encoded as one websocket message and reports whether
// that message must be sent as a binary frame. Text packets are the type digit
// followed by Data. Binary packets are Data alone in v4, and the byte 0x04
// followed by Data in v3.
func AppendFrame(v EngineVersion, dst []byte, p Packet) (out []byte, binaryFrame bool) {
	if p.Binary {
		if v == EngineV3 {
			dst = append(dst, byte(Message))
		}
		return append(dst, p.Data...), true
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...), false
}

// DecodeFrame decodes one websocket message. binaryFrame tells whether it
// arrived as a binary frame. Packet.Data aliases frame, except for a text
// frame holding a base64 binary message ("b" then base64, sent to clients
// that do not support binary), which is decoded into new memory.
func DecodeFrame(v EngineVersion, frame []byte, binaryFrame bool) (Packet, error) {
	if !binaryFrame {
		return decodeTextPacket(v, frame)
	}
	if v == EngineV3 {
		if len(frame) == 0 {
			return Packet{}, fmt.Errorf("%w: binary frame without a type byte", ErrEmptyPacket)
		}
		if PacketType(frame[0]) != Message {
			return Packet{}, fmt.Errorf("%w: binary frame of type %d, want a message (4)", ErrUnknownType, frame[0])
		}
		frame = frame[1:]
	}
	return Packet{Type: Message, Data: frame, Binary: true}, nil
}

// decodeTextPacket decodes the text form of a packet: a type digit and its
// data, or "b" and a base64 binary message (in v3 "b", the type digit, then
// base64).
func decodeTextPacket(v EngineVersion, text []byte) (Packet, error) {
	if len(text) == 0 {
		return Packet{}, ErrEmptyPacket
	}
	if text[0] == 'b' {
		return decodeBase64Packet(v, text[1:])
	}
	t := PacketType(text[0] - '0')
	if text[0] < '0' || t > Noop {
		return Packet{}, fmt.Errorf("%w: %q", ErrUnknownType, text[0])
	}
	return Packet{Type: t, Data: text[1:]}, nil
}

func decodeBase64Packet(v EngineVersion, b64 []byte) (Packet, error) {
	if v == EngineV3 {
		if len(b64) == 0 {
			return Packet{}, fmt.Errorf("%w: base64 packet without a type", ErrEmptyPacket)
		}
		if b64[0] != '0'+byte(Message) {
			return Packet{}, fmt.Errorf("%w: base64 packet of type %q, want a message (4)", ErrUnknownType, b64[0])
		}
		b64 = b64[1:]
	}
	data := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(data, b64)
	if err != nil {
		return Packet{}, fmt.Errorf("%w: %v", ErrBadBase64, err)
	}
	return Packet{Type: Message, Data: data[:n], Binary: true}, nil
}

// recordSeparator separates the packets of an Engine.IO v4 polling payload.
const recordSeparator = 0x1e

// AppendPayload appends packets encoded as one polling request or response
// body, in the text form (binary packets as base64; in v3 the client asks for
// this with the b64=1 query parameter).
// In v4 a text packet's Data must not hold the separator 0x1e, which
// Socket.IO text (JSON) never does.
func AppendPayload(v EngineVersion, dst []byte, packets []Packet) []byte {
	for i, p := range packets {
		if v == EngineV3 {
			dst = appendV3PayloadPacket(dst, p)
			continue
		}
		if i > 0 {
			dst = append(dst, recordSeparator)
		}
		if p.Binary {
			dst = append(dst, 'b')
			dst = base64.StdEncoding.AppendEncode(dst, p.Data)
			continue
		}
		dst = append(dst, '0'+byte(p.Type))
		dst = append(dst, p.Data...)
	}
	return dst
}

// appendV3PayloadPacket appends "<length>:<packet>", the length counting the
// UTF-16 code units of the packet as JavaScript strings do.
func appendV3PayloadPacket(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = strconv.AppendInt(dst, int64(2+base64.StdEncoding.EncodedLen(len(p.Data))), 10)
		dst = append(dst, ':', 'b', '0'+byte(Message))
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = strconv.AppendInt(dst, int64(1+utf16Len(p.Data)), 10)
	dst = append(dst, ':', '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// utf16Len returns the length of s in UTF-16 code units. Each byte of an
// invalid UTF-8 sequence counts as one unit (it decodes to U+FFFD).
func utf16Len(s []byte) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			ascii := asciiPrefix(s[i:])
			i += ascii
			n += ascii
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		i += size
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// asciiPrefix returns how many leading bytes of s are ASCII, looking at
// eight bytes at a time.
func asciiPrefix(s []byte) int {
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		if binary.LittleEndian.Uint64(s[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// DecodePayload decodes a polling body and calls fn for each packet in order,
// stopping at the first error fn returns. Packet.Data aliases body, except
// for binary packets in base64, which are decoded into new memory. A body
// larger than maxBytes (when maxBytes > 0) is refused with ErrPayloadTooBig
// before anything is decoded.
//
// In v3 both the text form and the binary form (each packet introduced by
// 0x00 for text or 0x01 for binary, length digits as bytes, 0xFF) are
// accepted, since servers answer in binary to clients that did not ask for
// base64.
func DecodePayload(v EngineVersion, body []byte, maxBytes int, fn func(Packet) error) error {
	if maxBytes > 0 && len(body) > maxBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrPayloadTooBig, len(body), maxBytes)
	}
	if len(body) == 0 {
		return fmt.Errorf("%w: empty body", ErrBadPayload)
	}
	if v != EngineV3 {
		return decodePayloadV4(body, fn)
	}
	if body[0] == 0x00 || body[0] == 0x01 {
		return decodeBinaryPayloadV3(body, fn)
	}
	return decodeTextPayloadV3(body, fn)
}

func decodePayloadV4(body []byte, fn func(Packet) error) error {
	for {
		seg, rest := body, []byte(nil)
		i := bytes.IndexByte(body, recordSeparator)
		more := i >= 0
		if more {
			seg, rest = body[:i], body[i+1:]
		}
		p, err := decodeTextPacket(EngineV4, seg)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if !more {
			return nil
		}
		body = rest
	}
}

// maxLengthDigits bounds the length prefix of a v3 payload packet, far above
// any body a server accepts, so that it cannot overflow.
const maxLengthDigits = 10

func decodeTextPayloadV3(body []byte, fn func(Packet) error) error {
	for len(body) > 0 {
		colon := 0
		for colon < len(body) && colon <= maxLengthDigits && body[colon] != ':' {
			colon++
		}
		if colon == len(body) || body[colon] != ':' {
			return fmt.Errorf("%w: packet length not followed by ':'", ErrBadPayload)
		}
		units, ok := parseDigits(body[:colon])
		if !ok {
			return fmt.Errorf("%w: packet length %q is not a number", ErrBadPayload, body[:colon])
		}
		body = body[colon+1:]
		size, ok := utf16Prefix(body, units)
		if !ok {
			return fmt.Errorf("%w: packet length %d runs past the body", ErrBadPayload, units)
		}
		text := body[:size]
		body = body[size:]
		if len(text) == 0 {
			continue // an empty packet carries nothing; the reference parser skips it
		}
		p, err := decodeTextPacket(EngineV3, text)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// parseDigits parses 1 to maxLengthDigits ASCII digits.
func parseDigits(s []byte) (int, bool) {
	if len(s) == 0 || len(s) > maxLengthDigits {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// utf16Prefix returns how many bytes of s hold its first units UTF-16 code
// units, or false when s is shorter or the boundary splits a surrogate pair.
func utf16Prefix(s []byte, units int) (int, bool) {
	i := 0
	for units > 0 {
		if i >= len(s) {
			return 0, false
		}
		if s[i] < utf8.RuneSelf {
			ascii := asciiPrefix(s[i:min(len(s), i+units)])
			i += ascii
			units -= ascii
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if w > units {
			return 0, false
		}
		i += size
		units -= w
	}
	return i, true
}

func decodeBinaryPayloadV3(body []byte, fn func(Packet) error) error {
	for len(body) > 0 {
		kind := body[0]
		if kind != 0x00 && kind != 0x01 {
			return fmt.Errorf("%w: binary payload packet marker 0x%02x", ErrBadPayload, kind)
		}
		n, i := 0, 1
		for ; i < len(body) && body[i] != 0xFF; i++ {
			if body[i] > 9 || i > maxLengthDigits {
				return fmt.Errorf("%w: bad length in binary payload", ErrBadPayload)
			}
			n = n*10 + int(body[i])
		}
		if i == 1 || i == len(body) {
			return fmt.Errorf("%w: bad length in binary payload", ErrBadPayload)
		}
		body = body[i+1:]
		if n > len(body) {
			return fmt.Errorf("%w: packet length %d runs past the body", ErrBadPayload, n)
		}
		data := body[:n]
		body = body[n:]
		var p Packet
		var err error
		if kind == 0x00 {
			p, err = decodeTextPacket(EngineV3, data)
		} else {
			p, err = DecodeFrame(EngineV3, data, true)
		}
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// DefaultPath is socket.io's default Engine.IO request path.
const DefaultPath = "/socket.io/"

// EnginePath returns an Engine.IO request path as servers match it: with a
// leading and a trailing slash, DefaultPath when empty ("socket.io" and
// "/socket.io" both give "/socket.io/").
func EnginePath(p string) string {
	if p == "" {
		return DefaultPath
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}
