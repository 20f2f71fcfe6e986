// Package target is sockload's built-in Socket.IO server, the target behind
// `sockload serve` and `sockload run --serve`. It lets a newcomer see a real
// load test with nothing else installed, and gives stress tests a target whose
// capacity is known: with Config.Capacity set to N it handles N events per
// second, queues what arrives faster (latency grows), and sheds what overflows
// the queue (errors), so its breaking point is N events per second by design.
//
// It speaks Engine.IO v4 with Socket.IO protocol v5 (as socket.io 3.x and 4.x
// servers do) and, with Config.EngineVersion = 3, Engine.IO v3 with Socket.IO
// protocol v4 (as socket.io 2.x), over websocket and HTTP long-polling with
// upgrade. In v3 a poll holding binary packets is answered as engine.io 3
// answers it: in the binary payload form (application/octet-stream) unless
// the client's handshake asked for base64 with b64=1; POSTs may use either
// form. Its event handlers mirror the Node reference server in
// testdata/node/server.js, which stays the authority on the protocol.
//
// Embedding: Start(ctx, cfg) binds cfg.Addr (loopback only unless
// cfg.AllowRemote) and serves until ctx ends or Close is called;
// Server.Addr and Server.URL say where, and Server.Stats (also served as
// GET /__stats) returns exact counts of connections, events received per
// namespace and name, acks sent, events shed and sessions closed by reason.
//
// Logins, for flows that log in over HTTP first: POST /login issues a token
// (and the session cookie) for any user name with LoginPassword; GET /me
// reads it back; LoginNamespace accepts only sockets presenting it. Tokens
// are MACs of the user name, so logins hold no memory.
//
// Concurrency: one goroutine reads each websocket; outgoing packets are queued
// per connection and written by a short-lived goroutine with a deadline, so
// idle connections cost one goroutine and a few kilobytes each.
package target
