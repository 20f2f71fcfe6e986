// Package socketio is a Socket.IO client that behaves on the wire like the
// official socket.io-client, for both server generations in the field:
//
//   - Engine.IO v4 / Socket.IO protocol v5: socket.io 3.x and 4.x servers
//     (Options.EngineVersion = wire.EngineV4, the default);
//   - Engine.IO v3 / Socket.IO protocol v4: socket.io 2.x servers
//     (wire.EngineV3; polling asks for base64 binary with b64=1).
//
// Every number sockload reports goes through it, so it is built to be cheap
// per connection and to time events where they happen.
//
// # Use
//
//	m, err := socketio.NewManager("http://127.0.0.1:3000", socketio.Options{})
//	s := m.Socket("/chat")
//	err = s.Connect(ctx)                              // blocks until joined or refused
//	err = s.Emit("message", "hi", []byte{1, 2})        // []byte args travel as attachments
//	ack, err := s.EmitWithAck(ctx, "echo", "hi")       // ack.Args(), ack.SentAt, ack.ReceivedAt
//	off := s.On("tick", func(msg socketio.Message) {}) // on the reader goroutine
//	msgs, err := s.Expect("news", 3).Wait(ctx)         // register, trigger, then wait
//	s.Close()                                          // "io client disconnect"
//	m.Close()
//
// socketio.Dial(ctx, url, namespace, opts) connects one socket over a
// connection of its own.
//
// A Manager is one Engine.IO connection with its namespaces multiplexed over
// it, like socket.io-client's Manager; Options.ForceNew gives each Socket its
// own. The connection opens with the first Connect and closes when its last
// socket leaves. Options.Transports chooses how: the default opens with
// HTTP long-polling and upgrades to websocket (2probe, 3probe, polling
// paused, 5), ["websocket"] connects directly, ["polling"] never upgrades.
// Each Manager keeps its own cookie jar (sticky sessions: a cookie set at the
// handshake goes back on every poll, on the websocket upgrade and on later
// reconnections).
//
// # Disconnects and reconnection
//
// Every disconnect of a connected socket is reported to Options.OnDisconnect
// with one of socket.io-client's reasons (ReasonServerDisconnect,
// ReasonClientDisconnect, ReasonPingTimeout, ReasonTransportClose,
// ReasonTransportError, ReasonParseError) and the cause, so a load test can
// count them. The heartbeat runs in the version's direction (v4: the server
// pings and the client answers; v3: the client pings every pingInterval) and
// a silent server is detected pingInterval + pingTimeout after its last sign
// of life.
//
// After an unexpected disconnect the Manager reconnects as socket.io-client
// does: delays from its Backoff (ReconnectionDelay doubling up to
// ReconnectionDelayMax, RandomizationFactor jitter), ReconnectionAttempts
// consecutive failures at most (0: no limit), and every namespace that was
// connected is joined again (CONNECT with Auth resent). No reconnection
// follows "io server disconnect" or "io client disconnect". Attempts and
// successes are reported to OnReconnectAttempt, OnReconnectError,
// OnReconnect and OnReconnectFailed, re-joins to OnConnect.
//
// An emit on a socket whose connection was lost waits for the reconnection
// for up to Options.ReconnectWait and is then sent, as socket.io-client
// sends the emits it buffered while disconnected; with ReconnectWait 0 it
// fails at once with ErrNotConnected, for a caller that counts such emits
// rather than sending them late.
//
// Where this client departs from socket.io-client, it is for the sake of
// measuring: a Connect that fails is not retried in the
// background (the caller decides); Options.Auth, which socket.io 2.x does not
// know, is sent in the query string to v3 servers, where their middlewares
// read it.
//
// # Large payloads and read limits
//
// A socket.io 3/4 server announces its maxHttpBufferSize as maxPayload in the
// handshake. An emit whose encoded message (websocket frame, or polling
// body) exceeds it fails at once with a *PayloadTooLargeError naming both
// sizes and the server option, and the connection stays up: the server
// would otherwise drop the whole connection. A socket.io 2.x server announces
// no limit, so the message is sent; when the server then closes the
// connection, the disconnect's error says that a message larger than its
// maxHttpBufferSize is the likely cause and gives the size sent.
//
// What the client reads is bounded too, so that a hostile or broken server
// cannot make thousands of clients allocate without limit: one websocket
// message, one polling response, and the attachments of one binary packet
// may each hold at most Options.MaxReadBytes (DefaultMaxReadBytes, 16 MiB,
// sixteen times socket.io's own default inbound limit). Beyond it the
// connection closes with ReasonTransportError.
//
// # Timing and cost
//
// A websocket connection on Linux has no goroutine while it is idle: a
// process-wide epoll poller watches its socket, and when bytes arrive one of
// a few goroutines the poller keeps for all connections reads what is there
// without blocking, runs the handlers of every complete message (one at a
// time and in order, as a reader goroutine would) and hands the socket back
// to the poller. A goroutine waiting in EmitWithAck on such a connection
// reads it itself while no other goroutine does, up to its ack, so that
// handlers may also run on the goroutine that emitted. HTTP
// long-polling, the websocket being probed during an upgrade, websockets over
// TLS, connections from a custom DialContext that are not TCP connections,
// and every connection on other systems are read by one reader goroutine
// each instead. Either way the reader stamps Message.ReceivedAt (monotonic
// clock) when a message has been read; EmitWithAck's ack also carries
// SentAt, stamped when the write lock was taken. A received Message keeps
// its raw JSON and attachments and decodes them only on Args, so receiving
// allocates one copy of the payload and nothing per message is decoded that
// nobody reads.
//
// gorilla/websocket makes the websocket handshake (its redirects, cookies and
// refusals are reported as for polling); the frames after it are the
// client's own, so that an idle connection holds no read buffer: a read
// decodes every complete frame it brought from a pooled buffer and keeps
// only the bytes of an unfinished frame.
//
// Writes are serialized by a lock and each has a deadline
// (Options.WriteTimeout); each message is framed and masked in a pooled
// buffer and written with one write. A write that times out or fails on its
// own closes the connection with ReasonTransportError. A write that fails
// because the connection has already ended (reset, or closed by the server)
// returns its error at once, but the disconnect is the reader's to report,
// with the server's account of the end (a 1009 close for a message over
// maxHttpBufferSize, a close packet); should the reader not get to it
// within WriteTimeout, the write's error closes the connection. The reader
// never blocks on a write: it hands the heartbeat answer to a short-lived
// goroutine (v4), and v3 pings come from a timer, so a write stuck behind a
// slow server can delay a pong by at most WriteTimeout but can never stop the
// reader from draining the connection. There is no writer goroutine: an idle
// websocket client on the poller costs its bookkeeping alone, about 3.5 KB
// of heap and no stack (BenchmarkIdleClients), where a reader goroutine
// would add its 4 KiB stack and its buffer.
package socketio
