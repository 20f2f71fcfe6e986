// Package wire encodes and decodes the Engine.IO and Socket.IO wire formats,
// for both protocol generations that servers in the field speak:
//
//   - Engine.IO v4 with Socket.IO protocol v5 (socket.io 3.x and 4.x servers)
//   - Engine.IO v3 with Socket.IO protocol v4 (socket.io 2.x servers)
//
// It is shared by the client (package socketio) and the built-in target, and
// holds no state: every function is safe for concurrent use. Decoders never
// panic on hostile input and never allocate more than a small multiple of
// their input; results alias the input where documented, so callers that keep
// them past the input buffer's life must copy.
package wire
