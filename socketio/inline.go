package socketio

import (
	"context"
	"errors"
	"os"
	"time"
)

// A goroutine waiting for an ack on a websocket connection on the poller
// reads the connection itself rather than waiting to be handed the ack:
// the hand-offs from the poller to a worker and from the worker to the
// waiter cost more CPU per ack than the read. It takes the read only when
// no one else has it (the connection waits for the poller), so handlers
// still run one at a time and in order, and gives it back as a worker
// does. The poller is told nothing of the arrivals meanwhile.

// readAcksInline makes ack waiters read their connection themselves
// (tests run both ways).
var readAcksInline = true

// inlineReadTaken, if set, is called as an ack waiter takes the read
// (tests).
var inlineReadTaken func()

// errWaitOver is an inline read's wait that ended by its deadline or
// cancellation: not the connection's end.
var errWaitOver = errors.New("the wait is over")

// inlineWait is what an inline read waits for: an ack (a value in ack) or
// a namespace's join (joined closed).
type inlineWait struct {
	ack    chan ackResult
	joined <-chan struct{}
}

// over reports whether what w waits for has come; never for the zero
// inlineWait.
func (w inlineWait) over() bool {
	if w.ack != nil {
		return len(w.ack) > 0
	}
	if w.joined == nil {
		return false
	}
	select {
	case <-w.joined:
		return true
	default:
		return false
	}
}

// readInline reads t on the caller's goroutine, delivering every message
// in order, until done is over, ctx ends or the connection ends; it does
// nothing if another goroutine reads t (the caller waits for done then, as
// it would anyway).
func (t *wsTransport) readInline(ctx context.Context, done inlineWait) {
	if t.raw == nil || !t.poll.state.CompareAndSwap(pollArmed, pollReading) {
		return
	}
	// The poller would wake at every arrival only to ask for another
	// read: it signals nothing until the read is handed back (a socket
	// not yet watched, nothing at all).
	if !t.poll.unwatched.Load() {
		t.disarm()
	}
	if inlineReadTaken != nil {
		inlineReadTaken()
	}
	t.boundWait(ctx)
	t.fr.until = done
	var err error
	for err == nil && !done.over() && ctx.Err() == nil {
		err = t.readOnce()
		if errors.Is(err, errWaitOver) {
			err = nil
			if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
				break // ctx's: the caller sees it end
			}
			t.boundWait(ctx) // a slice over: look at ctx again
		}
	}
	t.fr.until = inlineWait{}
	// The deadline stays: only waiting reads heed it (a worker's read
	// does not wait), and the next inline read sets its own, one change
	// of the runtime's timers per ack instead of two.
	t.fr.trim()
	if err == nil && t.fr.buffered() {
		// What came after the ack, or the start of a message: a
		// worker delivers it, not the waiter.
		runPollRead(t)
		return
	}
	t.handBack(err)
}

// readOnce waits for bytes in the runtime's network poller and delivers
// the messages they complete, up to the ack (t.fr.until).
func (t *wsTransport) readOnce() error {
	space, err := t.fr.space()
	if err != nil {
		return t.readError(err)
	}
	n, err := t.readWait(space)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errWaitOver
	case t.poll.state.Load() >= pollClosing:
		return errClosedIdle
	case err != nil:
		return t.readError(err)
	case n == 0:
		return t.readError(errUnexpectedEOF)
	}
	t.fr.filled(n)
	// Whatever more there is (a read takes what it has room for, and the
	// peer's end comes after the bytes) the next read returns at once.
	if _, err := t.decoded(nil, false); err != nil {
		return err
	}
	if t.poll.state.Load() >= pollClosing {
		return errClosedIdle
	}
	return nil
}

// waitSlice bounds each of an inline read's waits in the runtime's
// poller, so that a cancellation of its context (which has no cheap
// callback on every Context: context.AfterFunc starts a goroutine for one
// of another package's types) is seen within it.
const waitSlice = 100 * time.Millisecond

// boundWait sets t's read deadline to ctx's, or to waitSlice from now if
// that is sooner, or clears the one an earlier wait left when ctx has
// neither deadline nor cancellation.
func (t *wsTransport) boundWait(ctx context.Context) {
	if ctx.Done() == nil {
		if t.poll.deadlineSet {
			_ = t.conn.SetReadDeadline(time.Time{})
			t.poll.deadlineSet = false
		}
		return
	}
	d := time.Now().Add(waitSlice)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	_ = t.conn.SetReadDeadline(d)
	t.poll.deadlineSet = true
}

// firstReadInlineKey marks the context of a Connect that reads the
// connection it opens itself, before anyone else (Socket.Connect's wait
// for its namespace).
type firstReadInlineKey struct{}

// withFirstReadInline marks ctx as the context of such a Connect: the
// connection it opens is watched by the poller only once that read hands
// it back (startPollingAfterRead).
func withFirstReadInline(ctx context.Context) context.Context {
	return context.WithValue(ctx, firstReadInlineKey{}, true)
}

func firstReadInline(ctx context.Context) bool { return ctx.Value(firstReadInlineKey{}) != nil }
