// Package engine runs a load test: it starts virtual users (VUs) at the
// intended instants of a phases.Plan (an open model: each arrival starts
// whatever the others are doing), runs each VU's scenario flow against the
// target with the socketio client, and records what happens into a
// metrics.Registry.
//
// # Metric names
//
// Artillery's names where Artillery has the metric, the same style where it
// has none:
//
//	vusers.created, vusers.created_by_name.<scenario>, vusers.completed,
//	vusers.failed, vusers.skipped (over maxVusers), vusers.cancelled (still
//	running when the grace period after the last phase ended, or at an
//	interrupt), vusers.session_length, vusers.arrival_rate
//	socketio.emit, socketio.emit_rate, socketio.response_time (acks and
//	responses; fire-and-forget emits are not timed),
//	socketio.response_time.<event>, socketio.connect_time,
//	socketio.messages_received, socketio.messages_received_rate,
//	socketio.bytes_received, socketio.disconnects.<reason>,
//	socketio.reconnect_attempts, socketio.reconnects, errors.<code>
//	engine.arrival_lag (actual minus intended start of each VU),
//	engine.cpu_us (CPU time the generator process used, in µs)
//	socketio.events.<event> (every event received, whatever the VU does),
//	socketio.unmatched.<event> (events a waitFor or response skipped
//	because they did not match), socketio.wait_time.<event> (how long a
//	waitFor waited), socketio.listened.<event> (events a listener matched)
//
// # A VU's life
//
// At its arrival a VU is created and its flow starts on a new goroutine.
// The flow runs as a program (program.go): a stack of frames, each a list
// of steps and the index of the next (the flow, a loop's body with its
// iteration, the onReconnect steps), rather than Go calls, so that where
// the VU stands is data. Between steps it checks its context, stores
// what its listeners captured and runs the onReconnect steps if a
// reconnection happened since they last ran; emits, acks, waitFors and
// HTTP steps block its goroutine while they wait, as do thinks shorter
// than 100 ms. Such a think, when the scenario has no onReconnect steps,
// sleeps: the VU sees its cancellation when the think is over, at most
// 100 ms late.
//
// A think of 100 ms or more parks the VU: it arms a timer for the think
// and a callback on its context, and its goroutine returns, so that an
// idle VU holds its connections and its state but no goroutine. The first
// of three wake-ups resumes it, exactly once, on a goroutine of its own:
// the think's end; the VU's cancellation (the end of the grace period, an
// interrupt), which ends it at once, counted in vusers.cancelled; or, when
// the scenario has onReconnect steps and they are not running already, a
// reconnection, which runs them and then thinks the rest of the time.
//
// Whichever goroutine runs the VU's last step ends it: it leaves its
// groups, closes its connections and counts it completed (with its
// session length), failed or cancelled. The run ends when every VU has.
//
// # Delivery time and reach
//
// An emit whose payload renders {{ $trace }} carries a token with a
// message id and its send instant. Every VU of the run that receives an
// event carrying a token of this run, whatever step it is in, records
// socketio.delivery_time and socketio.delivery_time.<event> (receive
// instant, stamped by the reader, minus send instant). Between VUs of one
// process both instants come from one monotonic clock, so the figure is
// exact; a token from another process (a shard of the same run, RunID) is
// timed with the two machines' wall clocks, so it is as good as their
// clock sync (NTP or PTP), and a receipt stamped before its send is
// counted in socketio.clock_skewed instead.
//
// An emit with to: <group> expects every member of the group at send time
// (less the sender, unless includeSender): VUs join a group with joinGroup
// on an emit, and leave it with leaveGroup, when their connection drops, or
// when they end. At its deadline (send + config.timeout) each message is
// settled into socketio.expected, .delivered, .missing and .duplicates
// (also per emitted event, as .<event>): a member that left before the
// deadline without having it is not expected. Receipts after the deadline
// count in socketio.late. The registry of messages awaiting their deadline
// is bounded (socketio.traces_unfollowed counts emits past it); forged or
// malformed tokens are ignored and never allocate.
//
// Catalogue is the one list of these names, with their kinds (counter,
// summary, rate) and families (a name completed at run time by
// MetricSuffix of a reason, a code or an event). Checks accept exactly the
// names MetricsFor lists for a script, reports read them through the
// Metric* constants, and a test fails on a name a run records that
// Catalogue does not list.
//
// To add a metric: a Metric* constant and a line in Catalogue (both in
// catalogue.go), then record it where it happens (through engineMetrics
// for a fixed name). Checks can then read it, and reports can show it.
//
// # Adding a step
//
// A new kind of flow step is parsed and validated in package scenario (its
// type beside EmitStep, see "Where things go" there), and run here by a
// case of the step switch in steps.go; the metrics it records are declared
// in Catalogue. Checks can read them and reports show them with nothing
// else changed.
//
// # Failure
//
// A step that fails (a timeout, a mismatch, a connection refused) fails its
// VU: the error is counted as errors.<code>, the VU as vusers.failed, its
// remaining steps are skipped and its connections closed. The run goes on.
// Codes are a closed set (ErrorCodes, and the kinds of scenario.CheckError);
// the first distinct messages of each code are kept as samples with the
// step's file:line, the VU, the time and, for a failed check, what was
// expected and what arrived (metrics.Registry.Error, ErrorSamples).
// Every wait is bounded by the scenario's timeout, so no VU hangs.
package engine
