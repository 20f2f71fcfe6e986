package wire

import "errors"

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

const (
	Open    PacketType = 0
	Close   PacketType = 1
	Ping    PacketType = 2
	Pong    PacketType = 3
	Message PacketType = 4
	Upgrade PacketType = 5
	Noop    PacketType = 6
)

// Packet is one Engine.IO packet.
type Packet struct {
	Type PacketType
	// Data is what follows the type: the Socket.IO packet text for a text
	// Message, the raw bytes of a binary Message, "probe" in the upgrade
	// handshake, the JSON handshake of an Open packet.
	Data []byte
	// Binary marks a binary Message (a Socket.IO attachment).
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

// ParseHandshake decodes the Data of an Open packet.
func ParseHandshake(data []byte) (Handshake, error) {
	panic("wire: not implemented")
}

// AppendFrame appends p encoded as one websocket message and reports whether
// that message must be sent as a binary frame. Text packets are the type digit
// followed by Data. Binary packets are Data alone in v4, and the byte 0x04
// followed by Data in v3.
func AppendFrame(v EngineVersion, dst []byte, p Packet) (out []byte, binaryFrame bool) {
	panic("wire: not implemented")
}

// DecodeFrame decodes one websocket message. binaryFrame tells whether it
// arrived as a binary frame. Packet.Data aliases frame.
func DecodeFrame(v EngineVersion, frame []byte, binaryFrame bool) (Packet, error) {
	panic("wire: not implemented")
}

// AppendPayload appends packets encoded as one polling request or response
// body, in the text form (binary packets as base64; in v3 the client asks for
// this with the b64=1 query parameter).
func AppendPayload(v EngineVersion, dst []byte, packets []Packet) []byte {
	panic("wire: not implemented")
}

// DecodePayload decodes a polling body and calls fn for each packet in order,
// stopping at the first error fn returns. Packet.Data aliases body for text
// packets; binary packets are decoded from base64 into new memory. A body
// larger than maxBytes (when maxBytes > 0) is refused with ErrPayloadTooBig
// before anything is decoded.
func DecodePayload(v EngineVersion, body []byte, maxBytes int, fn func(Packet) error) error {
	panic("wire: not implemented")
}
