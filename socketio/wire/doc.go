// Package wire encodes and decodes the Engine.IO and Socket.IO wire formats,
// for both protocol generations that servers in the field speak:
//
//   - Engine.IO v4 with Socket.IO protocol v5 (socket.io 3.x and 4.x servers)
//   - Engine.IO v3 with Socket.IO protocol v4 (socket.io 2.x servers)
//
// It is shared by the client (package socketio) and the built-in target, which
// build every packet with the same functions (AppendEventPacket,
// AppendAckPacket, AppendConnectPacket, AppendConnectErrorPacket) and read
// them with the same decoders; it holds no state: every function is safe for concurrent use. Decoders never
// panic on hostile input and never allocate more than a small multiple of
// their input; results alias the input where documented, so callers that keep
// them past the input buffer's life must copy.
//
// Sending an event over a websocket takes one buffer and no allocation:
//
//	buf = append(buf[:0], '4') // Engine.IO message type
//	buf, atts, err := wire.AppendEventPacket(buf, "/chat", id, "message", args)
//	// write buf as a text frame, then each attachment as a binary frame:
//	frame, binary := wire.AppendFrame(v, frame[:0], wire.Packet{Type: wire.Message, Data: atts[i], Binary: true})
//
// Receiving is DecodeFrame (or DecodePayload for polling), then
// DecodeSocketPacket on a text Message, then, for a BinaryEvent or
// BinaryAck, the next Attachments binary messages, and finally
// AppendEventName and DecodeArgs on the packet's Data.
package wire
