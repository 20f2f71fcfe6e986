package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
)

// step runs a step other than a loop or a think, which the VU's program
// runs itself (see nextStep).
func (v *vu) step(ctx context.Context, st scenario.Step) error {
	switch st := st.(type) {
	case *scenario.EmitStep:
		return v.emit(ctx, st)
	case *scenario.LogStep:
		if v.r.cfg.Log != nil {
			v.r.cfg.Log(scenario.RenderString(st.Message, v.tctx))
		}
		return nil
	case *scenario.ConnectStep:
		return v.connectStep(ctx, st)
	case *scenario.WaitForStep:
		return v.waitFor(ctx, st)
	case *scenario.HTTPStep:
		return v.httpStep(ctx, st)
	}
	return fmt.Errorf("engine: unknown step %T at line %d", st, st.Position().Line)
}

// emit sends an event; with acknowledge it waits for the ack, with response
// for the first response event that matches, each within the timeout, and
// checks them. Traced payloads are followed for the emit's group.
func (v *vu) emit(ctx context.Context, st *scenario.EmitStep) error {
	namespace := v.namespace(st.Namespace)
	if st.LeaveGroup != nil {
		v.leaveGroup(scenario.RenderString(st.LeaveGroup, v.tctx))
	}
	s, err := v.socket(ctx, namespace)
	if err != nil {
		return err
	}
	event := scenario.RenderString(st.Event, v.tctx)
	var response *responseWait
	if st.Response != nil {
		response = v.expectResponse(s, st.Response)
		defer response.stop()
	}
	te := v.beginTraced(st, event)
	args := make([]any, len(st.Args))
	for i, a := range st.Args {
		args[i] = a.Render(v.tctx)
	}
	stepCtx, cancel := v.stepWait(ctx)
	defer cancel()

	var sentAt time.Time // the ack's own times an acknowledged emit
	if st.Acknowledge == nil {
		sentAt = time.Now()
	}
	if st.Acknowledge != nil {
		ack, err := s.sock.EmitWithAck(stepCtx, event, args...)
		if err != nil && v.resend(stepCtx, s, err) {
			ack, err = s.sock.EmitWithAck(stepCtx, event, args...)
		}
		v.endTraced(te, err == nil || errorsIsDeadline(err))
		if err != nil {
			if sentWithoutAck(err) {
				// Sent, never answered: an emit all the same, or an
				// overloaded target would look like an idle generator.
				v.r.m.emit.Inc()
			}
			return v.emitFailure(ctx, event, "ack", err)
		}
		v.r.m.emit.Inc()
		v.r.m.messages.Inc()
		v.r.m.bytes.Add(int64(ack.Size()))
		if isErrorAck(ack.Raw()) {
			// The server's refusal is no response time: a shedding
			// target would look faster than one that serves.
			v.r.m.errorAcks.Inc()
		} else {
			v.recordResponse(event, ack.ReceivedAt.Sub(ack.SentAt))
		}
		if err := v.check(st.Acknowledge, ack, false); err != nil {
			return err
		}
	} else {
		err := s.sock.Emit(event, args...)
		if err != nil && v.resend(stepCtx, s, err) {
			err = s.sock.Emit(event, args...)
		}
		v.endTraced(te, err == nil)
		if err != nil {
			return v.emitFailure(ctx, event, "emit", err)
		}
		v.r.m.emit.Inc()
	}
	if st.JoinGroup != nil {
		v.joinGroup(scenario.RenderString(st.JoinGroup, v.tctx))
	}
	if response == nil {
		return nil
	}
	msg, err := response.wait(stepCtx)
	if err != nil {
		return v.emitFailure(ctx, response.event, "response", err)
	}
	if st.Acknowledge == nil {
		// The ack already timed this emit; otherwise the response does.
		v.recordResponse(event, msg.ReceivedAt.Sub(sentAt))
	}
	return v.check(&st.Response.Check, msg, st.Response.Concat)
}

// resend tells whether to send again an emit that failed, or whose ack was
// lost, because its connection was lost meanwhile: once, when emits wait
// for the reconnection (the second one waits for it), as
// socket.io-client's retries option resends a packet whose ack did not
// come. It waits, within ctx, until the socket knows its connection is
// lost (a failed write may learn it before the reader does), and counts
// the emits it resends.
func (v *vu) resend(ctx context.Context, s *vuSocket, err error) bool {
	if !s.waits || errorsIsDeadline(err) || errorsIsPayloadTooLarge(err) || errors.Is(err, socketio.ErrReconnectWait) {
		return false
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	// An error of a connection that stays up (an argument that does not
	// encode) is not resent; the reader learns of a lost one within
	// moments.
	giveUp := time.NewTimer(2 * time.Second)
	defer giveUp.Stop()
	for s.sock.Connected() {
		select {
		case <-tick.C:
		case <-giveUp.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	if !s.sock.Reconnecting() {
		return false // closed or refused: no reconnection follows
	}
	v.r.m.resent.Inc()
	return true
}

// emitFailure names a failed emit, ack or response wait.
func (v *vu) emitFailure(ctx context.Context, event, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var eio *socketio.EngineIOError
	switch {
	case errors.As(err, &eio):
		// The server ended the session (a poll refused as "unknown
		// session"): that, not the emit, is the news.
		return &stepError{code: eio.Name(), err: fmt.Errorf("%s %q: %w", what, event, err)}
	case errorsIsDeadline(err):
		return failf(what+" timeout", "no %s for %q within %s (config.timeout)", what, event, v.timeout)
	case errorsIsPayloadTooLarge(err):
		return &stepError{code: "payload too large", err: err}
	case errors.Is(err, socketio.ErrSessionUnknown):
		return &stepError{code: CodeSessionUnknown, err: err}
	case errorsIsNotConnected(err):
		return &stepError{code: "not connected", err: err}
	}
	return &stepError{code: classifyNetworkError(err), err: fmt.Errorf("%s %q: %w", what, event, err)}
}

// recordResponse records a response time in socketio.response_time and
// in its event's and its backend's histograms, all under one lock of the
// VU's metrics shard.
func (v *vu) recordResponse(event string, d time.Duration) {
	hs := [3]metrics.Histogram{v.r.m.responseTime}
	n := 1
	if h, ok := v.eventHistogram(event); ok {
		hs[n], n = h, n+1
	}
	if v.r.backends != nil {
		if b := v.currentBackend(); b != "" {
			hs[n], n = v.r.backends.responseTime(b), n+1
		}
	}
	v.rec.RecordEach(max(d, time.Microsecond), hs[:n]...)
}

// eventHistogram is the runner's response time histogram of event,
// remembered for the VU's next emits, which most often name the same
// event: the lookup of the runner's map hashes the name.
func (v *vu) eventHistogram(event string) (metrics.Histogram, bool) {
	if v.lastEventOK && event == v.lastEvent {
		return v.lastEventHist, true
	}
	h, ok := v.r.eventHistogram(event)
	if ok {
		v.lastEvent, v.lastEventHist, v.lastEventOK = event, h, true
	}
	return h, ok
}

// waitFor waits for Count events that match the step's args/data and
// match (all events of the name when it has neither): events that do not
// match are skipped and counted in socketio.unmatched.<event>. The time
// waited is recorded in socketio.wait_time.<event>.
func (v *vu) waitFor(ctx context.Context, st *scenario.WaitForStep) error {
	namespace := v.namespace(st.Namespace)
	s, err := v.socket(ctx, namespace)
	if err != nil {
		return err
	}
	event := scenario.RenderString(st.Event, v.tctx)
	timeout := st.Timeout
	if timeout <= 0 {
		timeout = v.timeout
	}
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	match := v.matcher(&st.Check, false)
	msgs, skipped, err := s.take(waitCtx, event, st.Count, match, v.reconnectSignal())
	for errors.Is(err, errReconnected) {
		if err := v.rejoin(ctx); err != nil {
			return err
		}
		more, moreSkipped, nextErr := s.take(waitCtx, event, st.Count-len(msgs), match, v.reconnectSignal())
		msgs, skipped, err = append(msgs, more...), skipped+moreSkipped, nextErr
	}
	if skipped > 0 {
		if c, ok := v.r.unmatched.counter(event); ok {
			c.Add(int64(skipped))
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return failf("waitFor timeout", "waitFor %q at line %d: %v within %s", event, st.Pos.Line, err, timeout)
	}
	if h, ok := v.r.waitTimes.histogram(event); ok {
		v.rec.Record(h, max(time.Since(start), time.Microsecond))
	}
	for _, m := range msgs {
		if err := v.check(&st.Check, m, false); err != nil {
			return err
		}
	}
	return nil
}

// atLine tells a step's error where the step is written, unless an inner
// step (of a loop) already did.
func atLine(err error, line int) error {
	if err == nil {
		return nil // and errors.As's target is not made at every step
	}
	var se *stepError
	if errors.As(err, &se) && se.line == 0 {
		se.line = line
	}
	return err
}

// matcher returns the filter of a wait: nil when c filters nothing.
// It runs on the goroutine running the VU's flow, so it may render with
// the VU's context.
func (v *vu) matcher(c *scenario.Check, concat bool) func(socketio.Message) bool {
	if !c.Filters() {
		return nil
	}
	return func(m socketio.Message) bool {
		args, err := m.Args()
		if err != nil {
			return true // let the check report it
		}
		return c.Matches(args, v.tctx, concat)
	}
}

// isErrorAck reports whether an ack's JSON arguments carry the server's
// refusal: the first argument is an object whose first key is "error"
// and not null ([{"error":"overloaded"}]), the way servers answer a
// request they shed.
// It reads the raw bytes, so that timing acks costs no decoding.
func isErrorAck(raw []byte) bool {
	rest := bytes.TrimLeft(raw, " \t\r\n")
	for _, c := range []byte{'[', '{'} {
		if len(rest) == 0 || rest[0] != c {
			return false
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	}
	rest, ok := bytes.CutPrefix(rest, []byte(`"error"`))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(bytes.TrimLeft(rest, " \t\r\n:"), " \t\r\n")
	return !bytes.HasPrefix(rest, []byte("null"))
}
