package wire

import (
	"encoding/json"
	"errors"
)

// SocketPacketType is a Socket.IO packet type.
type SocketPacketType byte

const (
	Connect      SocketPacketType = 0
	Disconnect   SocketPacketType = 1
	Event        SocketPacketType = 2
	Ack          SocketPacketType = 3
	ConnectError SocketPacketType = 4 // named ERROR in protocol v4 (socket.io 2.x)
	BinaryEvent  SocketPacketType = 5
	BinaryAck    SocketPacketType = 6
)

// NoID is the SocketPacket.ID of a packet that carries no ack id.
const NoID int64 = -1

// SocketPacket is one Socket.IO packet, without its binary attachments (they
// travel as separate Engine.IO binary messages after it).
type SocketPacket struct {
	Type SocketPacketType
	// Namespace is "/" for the main namespace. In protocol v4 (socket.io
	// 2.x) a CONNECT may carry a query string: "/chat?token=x".
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

var (
	ErrBadSocketPacket = errors.New("malformed Socket.IO packet")
	ErrBadPlaceholder  = errors.New("Socket.IO binary placeholder out of range")
)

// AppendSocketPacket appends the text encoding of p:
// type, "<attachments>-" for binary types, "<namespace>," unless the
// namespace is "/", the id unless NoID, then Data.
func AppendSocketPacket(dst []byte, p *SocketPacket) []byte {
	panic("wire: not implemented")
}

// DecodeSocketPacket decodes the text encoding of a packet. Data aliases
// text. The JSON in Data is checked to be well-formed but not decoded.
func DecodeSocketPacket(text []byte) (SocketPacket, error) {
	panic("wire: not implemented")
}

// AppendEventData appends the JSON array [event, args...] to dst, replacing
// every []byte found in args (at any depth, in slices and maps) by a
// placeholder {"_placeholder":true,"num":N}. It returns the buffers in
// placeholder order; none means a plain Event (or Ack) packet suffices.
// With event == "" it encodes just [args...], as acks do.
func AppendEventData(dst []byte, event string, args []any) (out []byte, attachments [][]byte, err error) {
	panic("wire: not implemented")
}

// EventName returns the event name, the first element of an event's Data,
// without decoding the rest.
func EventName(data json.RawMessage) (string, error) {
	panic("wire: not implemented")
}

// DecodeArgs decodes an event's or ack's Data into its arguments, with
// placeholders replaced by their attachments ([]byte). For events, the name
// is dropped (skipName). JSON numbers decode as float64, objects as
// map[string]any, arrays as []any, as encoding/json does.
func DecodeArgs(data json.RawMessage, attachments [][]byte, skipName bool) ([]any, error) {
	panic("wire: not implemented")
}
