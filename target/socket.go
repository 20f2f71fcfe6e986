package target

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// maxAttachments bounds the attachments one binary packet may announce, so
// a hostile header cannot make the target wait for (or reserve) millions.
const maxAttachments = 1000

// socket is a session's connection to one namespace.
type socket struct {
	sess      *session
	namespace string
	id        string
	auth      json.RawMessage   // v5 CONNECT payload
	query     map[string]string // the handshake query, with v4 CONNECT query merged
	user      string            // the logged-in user (POST /login), "" for none

	mu        sync.Mutex
	pushTimer *time.Timer
	pushed    int
	gone      bool
}

// onSocketText handles a text Message: one Socket.IO packet. The caller
// holds inMu.
func (s *session) onSocketText(text []byte) error {
	sp, err := wire.DecodeSocketPacket(text)
	if err != nil {
		return err
	}
	if s.partial != nil {
		return fmt.Errorf("%w: a packet arrived before the attachments of the previous one", wire.ErrBadSocketPacket)
	}
	binary := sp.Type == wire.BinaryEvent || sp.Type == wire.BinaryAck
	if binary && sp.Attachments > maxAttachments {
		return fmt.Errorf("%w: %d attachments announced, at most %d accepted", wire.ErrBadSocketPacket, sp.Attachments, maxAttachments)
	}
	if binary && sp.Attachments > 0 {
		s.partial = &partialBinary{packet: sp, attachments: make([][]byte, 0, sp.Attachments)}
		return nil
	}
	return s.dispatch(sp, nil)
}

// onAttachment handles a binary Message: the next attachment of the binary
// packet under way. The caller holds inMu.
func (s *session) onAttachment(data []byte) error {
	if s.partial == nil {
		return fmt.Errorf("%w: a binary message arrived without a binary packet", wire.ErrBadSocketPacket)
	}
	s.partial.attachments = append(s.partial.attachments, data)
	if len(s.partial.attachments) < s.partial.packet.Attachments {
		return nil
	}
	p := s.partial
	s.partial = nil
	return s.dispatch(p.packet, p.attachments)
}

// errNotJoined closes a connection whose client sent a packet to a
// namespace it has not joined (before its CONNECT, or after its
// DISCONNECT), as socket.io closes it.
var errNotJoined = fmt.Errorf("%w: a packet for a namespace not joined", wire.ErrBadSocketPacket)

// dispatch handles one complete Socket.IO packet; an error closes the
// connection, as socket.io closes it for a packet that breaks the protocol.
func (s *session) dispatch(sp wire.SocketPacket, attachments [][]byte) error {
	s.mu.Lock()
	sock := s.sockets[sp.Namespace]
	s.mu.Unlock()
	switch sp.Type {
	case wire.Connect:
		nsp, rawQuery, _ := strings.Cut(sp.Namespace, "?")
		if nsp == "" {
			nsp = "/"
		}
		// A second CONNECT closes the connection (socket.io 2.x joins the
		// main namespace by itself and takes a client's CONNECT of it for
		// a no-op).
		if s.v == wire.EngineV4 && s.joined(nsp) {
			return fmt.Errorf("%w: a second CONNECT to %s", wire.ErrBadSocketPacket, nsp)
		}
		s.send(s.connect(nsp, rawQuery, sp.Data)...)
	case wire.Disconnect:
		if sock == nil {
			return errNotJoined
		}
		s.mu.Lock()
		delete(s.sockets, sp.Namespace)
		s.mu.Unlock()
		sock.closed()
	case wire.Event, wire.BinaryEvent:
		if sock == nil {
			return errNotJoined
		}
		if !validEvent(sp.Data) {
			return fmt.Errorf("%w: an event must be an array starting with its name, not a reserved one", wire.ErrBadSocketPacket)
		}
		s.srv.receive(sock, sp, attachments)
	case wire.Ack, wire.BinaryAck:
		// Acks from the client answer nothing: the target never asks
		// for one.
		if sock == nil {
			return errNotJoined
		}
	default: // CONNECT_ERROR comes only from servers
		return fmt.Errorf("%w: a %v packet from a client", wire.ErrBadSocketPacket, sp.Type)
	}
	return nil
}

func (s *session) joined(nsp string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sockets[nsp] != nil
}

// reservedEvents are the names socket.io refuses as events from a client.
var reservedEvents = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true, "disconnecting": true,
	"newListener": true, "removeListener": true,
}

// validEvent reports whether data is an event as socket.io accepts one: an
// array whose first element is a name that is not reserved.
func validEvent(data []byte) bool {
	name, err := wire.EventName(data)
	return err == nil && !reservedEvents[name]
}

// connect joins the namespace nsp, or refuses it, and returns the packets
// that say so.
func (s *session) connect(nsp, rawQuery string, auth json.RawMessage) []wire.Packet {
	if !s.srv.namespaceAllowed(nsp) {
		text := wire.AppendConnectErrorPacket(nil, s.v, nsp, "Invalid namespace")
		return []wire.Packet{{Type: wire.Message, Data: text}}
	}
	if token := s.srv.cfg.AuthToken; token != "" && tokenOf(auth, s.query, rawQuery) != token {
		text := wire.AppendConnectErrorPacket(nil, s.v, nsp, "invalid token")
		return []wire.Packet{{Type: wire.Message, Data: text}}
	}
	var user string
	var loggedIn bool
	if nsp == LoginNamespace || len(auth) > 0 || s.headers.Get("Cookie") != "" {
		user, loggedIn = s.loginUser(auth, rawQuery) // only then: the common connect costs no MAC
	}
	if nsp == LoginNamespace && !loggedIn {
		text := wire.AppendConnectErrorPacket(nil, s.v, nsp, "login required")
		return []wire.Packet{{Type: wire.Message, Data: text}}
	}
	s.mu.Lock()
	sock := s.sockets[nsp]
	fresh := sock == nil && !s.closed
	if fresh {
		sock = newSocket(s, nsp, rawQuery, auth)
		sock.user = user
		s.sockets[nsp] = sock
		s.joinedOnce()
	}
	s.mu.Unlock()
	if sock == nil {
		return nil
	}
	if fresh {
		s.srv.stats.connections.Add(1)
		sock.startPush(s.srv.cfg.PushInterval)
	}
	var data any // protocol v4 (Engine.IO v3) answers carry none
	if s.v == wire.EngineV4 {
		data = map[string]any{"sid": sock.id}
	}
	reply, _ := wire.AppendConnectPacket(nil, nsp, data) // a string map always encodes
	packets := []wire.Packet{{Type: wire.Message, Data: reply}}
	if s.srv.cfg.ProtocolSuite {
		// socket.emit("auth", socket.handshake.auth)
		var payload any = map[string]any{}
		if len(auth) > 0 {
			payload = auth
		}
		if more, err := sock.encode(wire.Event, wire.NoID, "auth", []any{payload}); err == nil {
			// A message of its own, after the CONNECT reply, as a Node
			// server's handler sends it: the suite's client takes one
			// message per read and would miss it in the same one.
			time.AfterFunc(suiteAuthDelay, func() { s.send(more...) })
		}
	}
	return packets
}

// suiteAuthDelay separates the protocol suite's "auth" message from the
// CONNECT reply.
const suiteAuthDelay = 5 * time.Millisecond

// tokenOf returns the token a client presents, as the Node reference
// server reads it: auth.token (protocol v5), else the token query
// parameter of the CONNECT (protocol v4) or of the Engine.IO request.
func tokenOf(auth json.RawMessage, query url.Values, rawQuery string) string {
	if fields, err := wire.DecodeConnectData(auth); err == nil && fields["token"] != nil {
		if s, ok := fields["token"].(string); ok {
			return s
		}
		text, _ := json.Marshal(fields["token"]) // decoded JSON encodes again
		return string(text)
	}
	if extra, err := url.ParseQuery(rawQuery); err == nil && extra.Has("token") {
		return extra.Get("token")
	}
	return query.Get("token")
}

func newSocket(s *session, nsp, rawQuery string, auth json.RawMessage) *socket {
	query := make(map[string]string, len(s.query))
	for k, vs := range s.query {
		query[k] = vs[0]
	}
	if extra, err := url.ParseQuery(rawQuery); err == nil {
		for k, vs := range extra {
			query[k] = vs[0]
		}
	}
	if len(auth) > 0 {
		auth = append(json.RawMessage(nil), auth...)
	}
	return &socket{sess: s, namespace: nsp, id: rand.Text(), auth: auth, query: query}
}

func socketMessage(sp *wire.SocketPacket) wire.Packet {
	return wire.Packet{Type: wire.Message, Data: wire.AppendSocketPacket(nil, sp)}
}

// startPush emits "tick" with a counter every interval until the socket
// closes.
func (sock *socket) startPush(interval time.Duration) {
	if interval <= 0 {
		return
	}
	sock.mu.Lock()
	defer sock.mu.Unlock()
	sock.pushTimer = time.AfterFunc(interval, func() {
		sock.mu.Lock()
		if sock.gone {
			sock.mu.Unlock()
			return
		}
		sock.pushed++
		n := sock.pushed
		sock.pushTimer.Reset(interval)
		sock.mu.Unlock()
		sock.emit("tick", n)
	})
}

// closed releases the socket's timers and rooms.
func (sock *socket) closed() {
	sock.mu.Lock()
	sock.gone = true
	if sock.pushTimer != nil {
		sock.pushTimer.Stop()
	}
	sock.mu.Unlock()
	sock.sess.srv.rooms.leaveAll(sock)
}

// emit sends an event; []byte arguments travel as binary attachments.
func (sock *socket) emit(event string, args ...any) {
	packets, err := sock.encode(wire.Event, wire.NoID, event, args)
	if err == nil {
		sock.sess.send(packets...)
	}
}

// ack answers the event with ack id id, after the configured ack delay.
func (sock *socket) ack(id int64, args ...any) {
	packets, err := sock.encode(wire.Ack, id, "", args)
	if err != nil {
		return
	}
	deliver := func() {
		sock.sess.srv.stats.acksSent.Add(1)
		sock.sess.send(packets...)
	}
	if delay := sock.sess.srv.cfg.AckDelay; !delay.IsZero() {
		time.AfterFunc(delay.Sample(), deliver)
		return
	}
	deliver()
}

// encode builds the Engine.IO packets of an event or ack: the Socket.IO
// packet, then one binary message per attachment.
func (sock *socket) encode(typ wire.SocketPacketType, id int64, event string, args []any) ([]wire.Packet, error) {
	var text []byte
	var attachments [][]byte
	var err error
	if typ == wire.Ack {
		text, attachments, err = wire.AppendAckPacket(nil, sock.namespace, id, args)
	} else {
		text, attachments, err = wire.AppendEventPacket(nil, sock.namespace, id, event, args)
	}
	if err != nil {
		return nil, err
	}
	packets := make([]wire.Packet, 0, 1+len(attachments))
	packets = append(packets, wire.Packet{Type: wire.Message, Data: text})
	for _, a := range attachments {
		packets = append(packets, wire.Packet{Type: wire.Message, Data: a, Binary: true})
	}
	return packets, nil
}

// rooms maps (namespace, room) to its member sockets. Safe for concurrent
// use.
type rooms struct {
	mu      sync.Mutex
	members map[roomKey]map[*socket]struct{}
	joined  map[*socket][]roomKey
}

type roomKey struct{ namespace, room string }

func (r *rooms) join(sock *socket, room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.members == nil {
		r.members = make(map[roomKey]map[*socket]struct{})
		r.joined = make(map[*socket][]roomKey)
	}
	key := roomKey{sock.namespace, room}
	set := r.members[key]
	if set == nil {
		set = make(map[*socket]struct{})
		r.members[key] = set
	}
	if _, ok := set[sock]; !ok {
		set[sock] = struct{}{}
		r.joined[sock] = append(r.joined[sock], key)
	}
}

func (r *rooms) leaveAll(sock *socket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, key := range r.joined[sock] {
		delete(r.members[key], sock)
		if len(r.members[key]) == 0 {
			delete(r.members, key)
		}
	}
	delete(r.joined, sock)
}

// inRoom returns the sockets in a room now.
func (r *rooms) inRoom(namespace, room string) []*socket {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.members[roomKey{namespace, room}]
	out := make([]*socket, 0, len(set))
	for sock := range set {
		out = append(out, sock)
	}
	return out
}
