package target

import (
	"encoding/json"
	"strings"

	"github.com/sockload/sockload/socketio/wire"
)

// maxPush bounds the count of a "push" request, so one event cannot make
// the target queue unbounded memory.
const maxPush = 100_000

// overloaded is the ack sent for an event shed by a full queue.
var overloaded = map[string]any{"error": "overloaded"}

// receive counts an event and hands it to the handlers, through the
// capacity queue when there is one. It does not block.
func (s *Server) receive(sock *socket, sp wire.SocketPacket, attachments [][]byte) {
	event, err := wire.EventName(sp.Data)
	if err != nil {
		return
	}
	s.stats.countEvent(sock.namespace, event)
	handle := func() { s.handle(sock, event, sp, attachments) }
	if s.work == nil {
		handle()
		return
	}
	if s.work.submit(handle) {
		return
	}
	s.stats.shed.Add(1)
	if sp.ID != wire.NoID {
		packets, err := sock.encode(wire.Ack, sp.ID, "", []any{overloaded})
		if err == nil {
			s.stats.acksSent.Add(1)
			sock.sess.send(packets...)
		}
	}
}

// handle runs the event's handler. The handlers and their answers are those
// of the Node reference server (testdata/node/server.js); an event without
// a handler is only counted.
func (s *Server) handle(sock *socket, event string, sp wire.SocketPacket, attachments [][]byte) {
	args, err := wire.DecodeArgs(sp.Data, attachments, true)
	if err != nil {
		return
	}
	hasAck := sp.ID != wire.NoID
	ack := func(answer ...any) {
		if hasAck {
			sock.ack(sp.ID, answer...)
		}
	}
	switch event {
	case "ping":
		ack("pong")
	case "whoami":
		if sock.user == "" {
			ack(nil)
		} else {
			ack(sock.user)
		}
	case "echo":
		ack(args...)
	case "echo-event":
		sock.emit("echo", args...)
	case "push":
		name, _ := arg[string](args, 0)
		count, _ := arg[float64](args, 1)
		n := int(min(max(count, 0), maxPush))
		if name == "" {
			n = 0 // an event needs a name
		}
		for i := range n {
			sock.emit(name, i)
		}
		ack(n)
	case "join":
		room, _ := arg[string](args, 0)
		s.rooms.join(sock, room)
		ack(room)
	case "broadcast":
		room, _ := arg[string](args, 0)
		name, _ := arg[string](args, 1)
		var rest []any
		if len(args) > 2 {
			rest = args[2:]
		}
		// Members share the namespace: encode once, queue for each.
		if packets, err := sock.encode(wire.Event, wire.NoID, name, rest); name != "" && err == nil {
			for _, member := range s.rooms.inRoom(sock.namespace, room) {
				member.sess.send(packets...)
			}
		}
		ack(true)
	case "chat":
		// chat relays a message {room, ...} to the others in its room, as
		// socket.to(room).emit("chat", msg) does.
		msg, _ := arg[map[string]any](args, 0)
		room, _ := msg["room"].(string)
		if room != "" {
			if packets, err := sock.encode(wire.Event, wire.NoID, "chat", []any{msg}); err == nil {
				for _, member := range s.rooms.inRoom(sock.namespace, room) {
					if member != sock {
						member.sess.send(packets...)
					}
				}
			}
		}
		ack(true)
	case "message":
		if s.cfg.ProtocolSuite {
			sock.emit("message-back", args...)
		}
	case "message-with-ack":
		if s.cfg.ProtocolSuite {
			ack(args...)
		}
	case "disconnect-me":
		sock.sess.disconnectAll()
	case "handshake":
		ack(sock.handshake())
	case "cookie":
		sock.sess.mu.Lock()
		cookie := sock.sess.cookie
		sock.sess.mu.Unlock()
		ack(cookie)
	}
	// "noack" and unknown events (such as "hello") are counted, never acked.
}

// arg returns args[i] as a T when it is one.
func arg[T any](args []any, i int) (T, bool) {
	var zero T
	if i >= len(args) {
		return zero, false
	}
	v, ok := args[i].(T)
	return v, ok
}

// handshake describes the socket's connection as the Node server's
// "handshake" handler does.
func (sock *socket) handshake() map[string]any {
	query := make(map[string]any, len(sock.query))
	for k, v := range sock.query {
		query[k] = v
	}
	headers := make(map[string]any, len(sock.sess.headers))
	for k, vs := range sock.sess.headers {
		headers[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	var auth any
	if len(sock.auth) > 0 {
		_ = json.Unmarshal(sock.auth, &auth) // checked well-formed by the decoder
	}
	return map[string]any{
		"query":     query,
		"headers":   headers,
		"auth":      auth,
		"namespace": sock.namespace,
	}
}

// disconnectAll disconnects every namespace, then closes the session once
// the DISCONNECT packets are delivered, as socket.disconnect(true) does.
func (s *session) disconnectAll() {
	s.mu.Lock()
	sockets := s.sockets
	s.sockets = make(map[string]*socket)
	s.mu.Unlock()
	for _, sock := range sockets {
		sock.closed()
		s.send(socketMessage(&wire.SocketPacket{Type: wire.Disconnect, Namespace: sock.namespace, ID: wire.NoID}))
	}
	s.closeGracefully("server disconnect")
}
