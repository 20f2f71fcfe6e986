package socketio

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// Message is an event received from the server or the answer to an
// EmitWithAck. It keeps the raw JSON and binary attachments as received and
// decodes its arguments only when asked (Args), so receiving costs nothing
// beyond one copy of the payload. A Message is immutable and safe to share
// between goroutines.
type Message struct {
	// Event is the event name; empty for an ack.
	Event string
	// Namespace is the namespace it arrived on.
	Namespace string
	// ReceivedAt is when the connection's reader finished reading it (its last
	// attachment, for binary packets), from the monotonic clock.
	ReceivedAt time.Time
	// SentAt is, for an ack, when the emit it answers was handed to the
	// connection (after waiting for the write lock); zero for events.
	SentAt time.Time

	data        json.RawMessage // the JSON array as received
	attachments [][]byte
	isEvent     bool
	ackID       int64
	socket      *Socket
}

// Args decodes the arguments (without the event name), with binary
// placeholders replaced by their []byte attachments. JSON numbers decode as
// float64, objects as map[string]any, arrays as []any.
func (m Message) Args() ([]any, error) {
	args, err := wire.DecodeArgs(m.data, m.attachments, m.isEvent)
	if err != nil {
		return nil, fmt.Errorf("socketio: decoding the arguments of %s: %w", m.describe(), err)
	}
	return args, nil
}

// Raw is the packet's JSON array as received (for events, the name first),
// binary placeholders included. The caller must not modify it.
func (m Message) Raw() json.RawMessage { return m.data }

// Attachments are the binary attachments, in placeholder order. The caller
// must not modify them.
func (m Message) Attachments() [][]byte { return m.attachments }

// Size is the number of payload bytes received: JSON plus attachments.
func (m Message) Size() int {
	n := len(m.data)
	for _, a := range m.attachments {
		n += len(a)
	}
	return n
}

// WantsAck reports whether the server asked for an acknowledgement.
func (m Message) WantsAck() bool { return m.isEvent && m.ackID != wire.NoID }

// Ack answers an event the server emitted with a callback. It returns an
// error if the server asked for none or the socket is not connected. Called
// from a handler it writes on the reader goroutine, blocking it for at most
// WriteTimeout.
func (m Message) Ack(args ...any) error {
	if !m.WantsAck() {
		return fmt.Errorf("socketio: %s asked for no acknowledgement", m.describe())
	}
	_, err := m.socket.send(wire.Ack, "", args, m.ackID)
	return err
}

func (m Message) describe() string {
	if m.isEvent {
		return fmt.Sprintf("event %q on %s", m.Event, m.Namespace)
	}
	return "ack on " + m.Namespace
}
