package socketio

import (
	"errors"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// An idle websocket connection on the poller has no goroutine: a
// process-wide poller (epoll on Linux) watches its socket, and when bytes
// arrive one of a few workers shared by all connections reads what is
// there without blocking, delivers every complete message in order, and
// leaves the socket to the poller again. One read at a time per connection
// keeps the handlers running one at a time and in order, as on a reader
// goroutine.

// The states of a connection on the poller. Exactly one party moves it to
// pollClosed, and that party reports the end (pollOwner.finish) once.
const (
	pollIdle    uint32 = iota // not started
	pollArmed                 // waiting for the poller, no goroutine
	pollReading               // a goroutine reads and delivers
	pollAgain                 // reading, and more arrived meanwhile: read again
	pollClosing               // closed while reading: the reader ends it
	pollClosed
)

// goroutineReaderOnly makes every connection read by a goroutine, as
// connections the poller cannot watch are (tests run both ways).
var goroutineReaderOnly bool

// pollOwner is what a connection on the poller delivers to: the engine.
type pollOwner interface {
	receive(now time.Time, p wire.Packet) error
	// finish is called once, after the last receive.
	finish(err error)
}

// pollState is a connection's registration with the poller.
type pollState struct {
	state atomic.Uint32
	owner pollOwner
	slot  int32  // in the poller's table
	gen   uint32 // the slot's generation: events of a former use are ignored
	// ended is set once the poller signalled the peer's end or an error.
	ended atomic.Bool
	// endDue is set when a close left the end's report to the closer
	// (see wsTransport.leaving).
	endDue atomic.Bool
	// deadlineSet says that an inline read left the read deadline set
	// (inline.go); only the reader uses it.
	deadlineSet bool
	// unwatched is set while the poller has not been given the socket yet
	// (startPollingAfterRead): the first hand-back watches it, or, when
	// deferred, the first Socket.Watch. Whoever clears it watches.
	unwatched atomic.Bool
	// deferred is set, before the connection is shared, for a connection
	// left unwatched by its hand-backs (Options.DeferWatch).
	deferred bool
}

// errClosedIdle ends a connection closed while nothing was read: the
// reason is the closer's, already recorded.
var errClosedIdle = closeErr(ReasonTransportClose, net.ErrClosed)

// startPolling hands the connection to the poller, or reports that it
// cannot (the caller reads it with a goroutine then); a connection closed
// as it is handed over counts as handed: its closer reports the end. A
// first read delivers what is buffered already (frames that came with the handshake);
// with nothing buffered the connection waits for the poller at once: bytes
// that came before the watch began are signalled by it all the same (epoll
// reports a socket already readable when it is added), so no worker is
// woken for a read that would find nothing.
func (t *wsTransport) startPolling(owner pollOwner) bool {
	t.poll.owner = owner
	p := thePoller()
	p.register(t)
	if !t.fr.buffered() {
		// Armed before the watch: its first event may come at once.
		t.poll.state.Store(pollArmed)
	}
	if err := t.watch(); err != nil {
		// Back to idle for the caller's own reader, unless a close
		// between the arming and the watch (which then fails on the
		// closed socket) took the connection: its closer reports the
		// end, and nobody may read it any more.
		backToIdle := t.poll.state.CompareAndSwap(pollArmed, pollIdle) || t.poll.state.Load() == pollIdle
		if !backToIdle {
			return true
		}
		p.unregister(t)
		t.raw = nil
		return false
	}
	if t.poll.state.CompareAndSwap(pollIdle, pollReading) {
		runPollRead(t)
	}
	return true
}

// startPollingAfterRead is startPolling for a connection whose opener
// reads it first, inline (withFirstReadInline): the socket is watched only
// when that read hands it back (rearm), two epoll_ctl fewer per connection
// (the watch's start and the inline read's disarm, for the one watch at
// the hand-back). Bytes already buffered start a read now, as startPolling
// does. With deferWatch the hand-backs leave the socket unwatched until
// watchDeferred: only the goroutines that wait on the connection read it.
func (t *wsTransport) startPollingAfterRead(owner pollOwner, deferWatch bool) bool {
	if t.fr.buffered() {
		return t.startPolling(owner)
	}
	t.poll.owner = owner
	thePoller().register(t)
	t.poll.deferred = deferWatch
	t.poll.unwatched.Store(true)
	t.poll.state.Store(pollArmed)
	return true
}

// watchDeferred has the poller watch a connection its hand-backs left
// unwatched (Options.DeferWatch); it does nothing for one watched
// already, or closed.
func (t *wsTransport) watchDeferred() {
	if t.raw == nil || t.poll.state.Load() >= pollClosing {
		return
	}
	if t.poll.unwatched.CompareAndSwap(true, false) {
		// Bytes that came while nobody read are signalled at once: a
		// socket added readable is reported, and a read under way
		// reads again (pollAgain).
		_ = t.watch()
	}
}

// readable is the poller's event: bytes have arrived, or with ended the
// peer's end (or an error) too.
func (t *wsTransport) readable(ended bool) {
	if ended {
		t.poll.ended.Store(true)
	}
	for {
		switch t.poll.state.Load() {
		case pollArmed:
			if t.poll.state.CompareAndSwap(pollArmed, pollReading) {
				runPollRead(t)
				return
			}
		case pollReading:
			// The reader may have read past these bytes' arrival
			// already, or not: it reads once more to be sure.
			if t.poll.state.CompareAndSwap(pollReading, pollAgain) {
				return
			}
		default:
			return
		}
	}
}

// pollWork hands a read to an idle poll worker.
var pollWork = make(chan *wsTransport)

// idlePollWorkers counts the workers waiting on pollWork; at most
// maxIdlePollWorkers wait, the others end.
var idlePollWorkers atomic.Int32

// maxIdlePollWorkers bounds the goroutines kept for reads between events.
// A goroutine started for every read would grow its stack on every read
// (the handlers' calls are deep), a measurable share of the CPU per
// message; a few kept workers serve every connection in turn.
var maxIdlePollWorkers = int32(2 * runtime.GOMAXPROCS(0))

// runPollRead runs t's read on an idle worker, or a new one.
func runPollRead(t *wsTransport) {
	select {
	case pollWork <- t:
	default:
		go pollWorker(t)
	}
}

func pollWorker(t *wsTransport) {
	for {
		t.pollRead()
		if idlePollWorkers.Add(1) > maxIdlePollWorkers {
			idlePollWorkers.Add(-1)
			return
		}
		t = <-pollWork
		idlePollWorkers.Add(-1)
	}
}

// pollRead delivers what has arrived and waits for the poller again, or
// ends the connection.
func (t *wsTransport) pollRead() { t.handBack(t.drain()) }

// handBack ends a read whose last delivery returned err: it leaves the
// connection to the poller again, reading once more if bytes arrived
// meanwhile, or ends the connection (exactly once: only the reader gets
// here).
func (t *wsTransport) handBack(err error) {
	for {
		if err != nil {
			t.poll.state.Store(pollClosed)
			t.endPolling(err)
			return
		}
		if t.poll.state.CompareAndSwap(pollReading, pollArmed) {
			t.rearm()
			return
		}
		if !t.poll.state.CompareAndSwap(pollAgain, pollReading) {
			// Closed during the read.
			t.poll.state.Store(pollClosed)
			t.endPolling(errClosedIdle)
			return
		}
		err = t.drain()
	}
}

// drain delivers the buffered messages, then reads without blocking until
// nothing more is there.
func (t *wsTransport) drain() error {
	for {
		if _, err := t.decoded(nil, false); err != nil {
			return err
		}
		if t.poll.state.Load() >= pollClosing {
			return errClosedIdle
		}
		space, err := t.fr.space()
		if err != nil {
			return t.readError(err)
		}
		n, err := t.readNow(space)
		if errors.Is(err, errWouldBlock) {
			t.fr.trim()
			return nil
		}
		if err != nil {
			return t.readError(err)
		}
		if n == 0 {
			return t.readError(errUnexpectedEOF)
		}
		t.fr.filled(n)
		if n < len(space) && !t.poll.ended.Load() {
			// All there was (a read takes what it has room for):
			// deliver it and wait for more. Not so once the peer's
			// end was signalled: a read returns the bytes before the
			// end without the end, and no later event will say it,
			// so the reader reads on until the end.
			if _, err := t.decoded(nil, false); err != nil {
				return err
			}
			t.fr.trim()
			return nil
		}
	}
}

// stopPolling takes the connection off the poller as it is closed. A
// connection waiting for bytes is ended here; one being read is ended by
// its reader once the read returns.
func (t *wsTransport) stopPolling() {
	for {
		switch s := t.poll.state.Load(); s {
		case pollArmed:
			if t.poll.state.CompareAndSwap(pollArmed, pollClosed) {
				if t.leaving.Load() {
					t.poll.endDue.Store(true) // the leaver reports it
					return
				}
				// Not on the closer's goroutine: it may hold locks
				// that the end's report takes.
				go t.endPolling(errClosedIdle)
				return
			}
		case pollReading, pollAgain:
			if t.poll.state.CompareAndSwap(s, pollClosing) {
				return
			}
		default:
			return // never polled, or already ending
		}
	}
}

// endPolling releases the connection's slot and buffers and reports the
// end, once.
func (t *wsTransport) endPolling(err error) {
	thePoller().unregister(t)
	t.fr.release()
	t.poll.owner.finish(err)
}

// errWouldBlock is a read that found nothing to read.
var errWouldBlock = errors.New("nothing to read yet")
