// Package scenario loads Artillery Socket.IO scenario files into typed,
// validated scripts: the first stage of scenario.Load -> phases.Schedule ->
// engine.Run -> metrics -> report. It imports nothing else of the project.
//
// # Loading
//
// Load (or Parse, for bytes in memory) returns a *Script with every default
// applied, or a *Error holding every error of the file, each a Diagnostic
// with file:line:col, the offending line, a caret under the column and a
// hint saying how to fix it. Errors include unknown keys (with the closest
// known key), keys indented out of the list item or mapping they belong to
// (explained even when the YAML parser rejects the file, by scanning its
// lines), wrong types, bad durations, ranges and templates, missing
// target/phases/scenarios, payload files that are missing or have rows
// with the wrong number of columns, and what cannot run here (JavaScript
// processors, function steps, hooks). Files over MaxFileSize
// and files that alias-expand to more than MaxAliasValues values are
// refused before they can exhaust memory.
//
// Options.Environment deep-merges config.environments.NAME over config
// (maps merge, lists and scalars replace); Options.Overrides deep-merges a
// JSON object over the whole file afterwards (as Artillery's --overrides);
// Options.Variables replaces variables of config.variables by name (as
// --variables). Errors in overrides point into them ("--overrides:1:37").
//
// # What the engine consumes
//
// Script.Config holds the target, the phases (Phase; arrival instants are
// package phases' job), the timeout applied to responses, acks and waitFor
// steps, payloads (CSV rows loaded at load time), variables and the ensure
// and plugins blocks kept whole as Data. Each Scenario carries its complete
// Socket.IO client options (SocketIOOptions) and its Flow, a list of Step:
// *EmitStep, *ThinkStep, *LoopStep, *LogStep, *ConnectStep, *WaitForStep,
// *HTTPStep.
// Values that may hold {{ templates }} are *Template, compiled once at load:
// a VU renders them with its own Context (variables, payload row, captures,
// loop state, random source), cheaply. Check.Verify implements the
// acknowledge/response semantics, so the engine only has to deliver the
// arguments it received.
//
// # Choices where Artillery is silent or weak
//
//   - Server version: config.socketio.serverVersion (2, 3 or 4) says which
//     socket.io major the server runs. 2 selects Engine.IO protocol 3 and
//     Socket.IO protocol 4 (socket.io 2.x servers); 3 and 4 select Engine.IO
//     4 and Socket.IO 5. Left out (ServerVersionUnset), the engine's probe
//     of the server's handshake decides. Artillery cannot reach 2.x servers.
//
//   - Socket.IO options are read from config.socketio, then
//     config.engines.socketio-v3 (as the socketio-v3 engine merges them),
//     then the scenario's socketio:, each key replacing the whole value of
//     the same key below it. Options under config.engines.socketio, which
//     Artillery ignores, are applied too, with a warning saying they belong
//     in config.socketio.
//
//   - reconnection defaults to true, as in socket.io-client: a VU whose
//     connection drops reconnects (and re-joins its namespaces) as it would
//     under Artillery. Nothing is hidden: the engine counts every disconnect
//     by reason and every reconnection. An emit while the connection is
//     lost waits for the reconnection (up to config.timeout) and is then
//     sent, as socket.io-client buffers it; emitWhileReconnecting: fail (in
//     socketio options) fails it at once (errors.not connected), and
//     reconnection: false makes a drop fail the VU at its next emit.
//
//   - onReconnect (a scenario key beside flow) holds steps run after every
//     reconnection, once the namespaces are joined again, as a client
//     re-joins its rooms in socket.on("connect"), e.g.
//     onReconnect: [{emit: ["join", "room-1"], acknowledge: {}}].
//
//     They run between the flow's steps, or while it thinks or waits for
//     events; a failure in them fails the VU.
//
//   - The ack timeout is config.timeout (default 10 s), as for responses:
//     Artillery waits for a lost ack forever.
//
//   - acknowledge and response on one step are both checked.
//
//   - waitFor waits for server-pushed events without emitting (see below).
//
//   - connect opens a namespace with options of its own, rendered per VU
//     (auth or query from a CSV row); a connect to "/" as the first step
//     replaces the connection Artillery opens at the start of a scenario.
//
//   - A scenario without engine: runs as socketio, with a warning (Artillery
//     would run it as HTTP).
//
//   - emit: {channel: "x"} without data sends ["x", null], as Artillery
//     does (a server handler (data, ack) gets its ack); emit: ["x"] sends
//     ["x"] alone.
//
//   - JSON paths of acks, responses and waitFor apply to the list of an
//     event's arguments: $.0 of the ack args ["pong"] is "pong" (the
//     socketio-v3 engine fails that match). A path starting with a name,
//     $.ok, reads the first (only) argument, as Artillery reads it: that
//     form is the portable one; $.0.ok works here only. sockload validate
//     prints which form each path is in.
//
//   - Top-level keys starting with "x-" are allowed, to hold YAML anchors
//     (&name) reused with aliases (*name) and merge keys (<<: *name).
//
// # The waitFor step
//
// Artillery cannot wait for an event the server pushes on its own. Here:
//
//	flow:
//	  - waitFor:
//	      event: "news"        # or channel: / on:
//	      count: 3             # default 1
//	      timeout: 5           # seconds or "500ms"; default config.timeout
//	      match: {json: "$.0.kind", value: "breaking"}
//	    namespace: "/feed"     # beside waitFor, as beside emit
//
// waitFor: "news" is short for event "news", count 1. Events received on the
// namespace since it connected count, so a push that arrives while earlier
// steps run is not lost. With args/data or match, waitFor (and response)
// wait for the first events that match within the timeout: the others are
// skipped and counted, never a failure; capture reads the matching ones.
//
// # Broadcasts: listen, groups and traces
//
//	scenarios:
//	  - name: member
//	    listen:                       # for the VU's whole life
//	      - event: "chat"
//	        match: {json: "$.0.room", value: "{{ room }}"}
//	        capture: {json: "$.0.text", as: "lastText"}
//	    flow:
//	      - emit: ["join", "{{ room }}"]
//	        acknowledge: true
//	        joinGroup: "{{ room }}"   # this VU is now a recipient of the room
//	      - emit: ["chat", {room: "{{ room }}", trace: "{{ $trace }}"}]
//	        to: "{{ room }}"          # meant for the room's members
//	        includeSender: false      # as socket.to(room); true as io.to(room)
//	      - think: 10
//
// {{ $trace }} renders a token the server relays as it relays the payload;
// the engine times its delivery at every recipient and counts its reach
// over the group named by to:. leaveGroup: on an emit ends a membership.
// {{ $now }} and {{ $timestamp }} render the current time in Unix
// milliseconds, for servers or users that stamp payloads themselves.
//
// # HTTP steps
//
// get, post, put, patch, delete, head and options send an HTTP request with
// Artillery's HTTP engine keys: url (a path is relative to config.target),
// name (for http.response_time.<name>; default the url as written),
// headers, qs, one body of json, body or form, auth: {user, pass}, cookie,
// followRedirect (default true), timeout (seconds; default
// config.http.timeout, else config.timeout), capture (json over the body,
// $ being the body; header; regexp with group; as; strict; transform, a
// template rendered after the value is stored), match ({json or regexp,
// value}) and expect, the expect plugin's checks: statusCode (one or a
// list), contentType ("json" or a substring), hasHeader, hasProperty (a
// dotted path) and equals (a list of values that must render alike).
// Templates work in every value. HTTPStep.Verify runs the checks:
// expectations, then captures, then matches.
//
//	flow:
//	  - post:
//	      url: "/login"
//	      json: {username: "{{ user }}", password: "secret"}
//	      capture: {json: "$.token", as: "token"}
//	      expect:
//	        - statusCode: 200
//	  - connect: {namespace: "/private", auth: {token: "{{ token }}"}}
//
// A VU has one cookie jar for its HTTP steps and its Socket.IO
// connections, so a session cookie set by a login reaches the handshake.
// A flow that starts with an HTTP step connects "/" at its first Socket.IO
// step, with what the HTTP steps captured. config.http holds timeout, pool
// (the most connections per host; maxSockets is read too) and
// defaults.headers (config.defaults.headers is read too);
// tls.rejectUnauthorized applies as for Socket.IO.
//
// # Where things go
//
// Every key of a scenario file is read here, and only here: the engine,
// the checks, the report and the CLI consume typed values (Script, Step,
// EnsureCheck, BreakingPoint), never YAML. Durations anywhere in a file
// (phases, think, timeouts, ensure's after, the breaking point's
// thresholds) share one grammar, ParseDuration.
//
// A new flow step is a type beside EmitStep (steps.go, or a file of its
// own as http.go), a case of the decoder's step switch (decoder.step in
// steps.go) and its keys in schema.go, so that unknown keys get their
// hints; the engine runs it (see package engine). A new config key is a field of Config and a
// case of the decoder's config switch; a new setting of the checks or of
// the breaking point goes in ensure.go or breakingpoint.go.
package scenario
