//go:build linux

package socketio

import (
	"context"
	"net"
	"sync"
	"syscall"
	"time"
)

// A websocket that sent its close frame keeps its TCP socket open a while
// after the connection is closed: a socket closed at once meets the
// server's close frame with a reset, which costs the server an error and
// its error path; socket.io-client's websocket waits for that frame
// instead. Waiting for it on the poller costs a wake-up per leaving
// connection, so the socket is parked rather than watched: a duplicate of
// its descriptor, which no poller watches, is half-closed (the server gets
// the end of the stream with the close frame, as before) and kept; the
// server's answer lands in its buffer. A sweep every closeSweep reads what
// came into the parked sockets whose closeWait is over and closes them:
// read, the server's close frame leaves nothing behind that would make
// the close a reset.

// closeWait is how long a parked socket waits for the server's close
// frame; closeSweep is how often parked sockets are closed, in batches.
const (
	closeWait  = time.Second
	closeSweep = 250 * time.Millisecond
)

// finalWait is what AwaitClosings leaves the last parked socket for the
// server's answer.
const finalWait = 100 * time.Millisecond

var closings closingQueue

// closingQueue holds the parked sockets in the order they were parked,
// which is the order their waits end.
type closingQueue struct {
	mu     sync.Mutex
	parked []parkedSocket
	swept  bool // a sweep is scheduled
}

type parkedSocket struct {
	fd int
	at time.Time
}

// park keeps the socket of a connection that sent its close frame open
// past the connection's close, half-closed, and reports whether it did (a
// TCP connection, its descriptor duplicated). The caller closes the
// connection as before.
func (t *wsTransport) park() bool {
	tc, ok := t.conn.(*net.TCPConn)
	if !ok {
		return false
	}
	raw := t.raw
	if raw == nil {
		var err error
		if raw, err = tc.SyscallConn(); err != nil {
			return false
		}
	}
	c := parkCalls.Get().(*parkCall)
	// The poller's registration goes with the descriptor's file, which
	// the duplicate keeps open: it is removed, or the server's answer
	// would wake the poller.
	c.watched = t.raw != nil && t.poll.state.Load() != pollIdle && !t.poll.unwatched.Load()
	c.fd = -1
	err := raw.Control(c.fn)
	fd := c.fd
	parkCalls.Put(c)
	if err != nil || fd < 0 {
		return false
	}
	closings.add(fd)
	return true
}

// parkCall duplicates a descriptor and half-closes it, pooled with its
// callback as rawRead is.
type parkCall struct {
	watched bool
	fd      int
	fn      func(fd uintptr)
}

var parkCalls = sync.Pool{New: func() any {
	c := new(parkCall)
	c.fn = c.call
	return c
}}

func (c *parkCall) call(fd uintptr) {
	if c.watched {
		_ = syscall.EpollCtl(thePollerP.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	}
	dup, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return
	}
	_ = syscall.Shutdown(int(dup), syscall.SHUT_WR)
	c.fd = int(dup)
}

// add parks fd until its wait is over.
func (q *closingQueue) add(fd int) {
	now := time.Now()
	q.mu.Lock()
	q.parked = append(q.parked, parkedSocket{fd, now})
	if !q.swept {
		q.swept = true
		time.AfterFunc(closeWait, q.sweep)
	}
	q.mu.Unlock()
}

// sweep closes the parked sockets whose wait is over and schedules the
// next sweep, no sooner than closeSweep: the sockets are closed in
// batches, with one wake-up for many.
func (q *closingQueue) sweep() {
	now := time.Now()
	q.mu.Lock()
	n := 0
	for n < len(q.parked) && !q.parked[n].at.Add(closeWait).After(now) {
		n++
	}
	over := make([]parkedSocket, n)
	copy(over, q.parked)
	q.parked = q.parked[:copy(q.parked, q.parked[n:])]
	if len(q.parked) > 0 {
		time.AfterFunc(max(q.parked[0].at.Add(closeWait).Sub(now), closeSweep), q.sweep)
	} else {
		q.swept = false
	}
	q.mu.Unlock()
	for _, p := range over {
		closeParked(p.fd)
	}
}

// closeAll closes every parked socket now.
func (q *closingQueue) closeAll() {
	q.mu.Lock()
	over := q.parked
	q.parked = nil
	q.mu.Unlock()
	for _, p := range over {
		closeParked(p.fd)
	}
}

// closeParked reads what came into a parked socket, the server's close
// frame most likely, and closes it.
func closeParked(fd int) {
	var b [256]byte
	for {
		n, err := syscall.Read(fd, b[:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n < len(b) {
			break
		}
	}
	_ = syscall.Close(fd)
}

// AwaitClosings gives the sockets still parked after their close frame
// (see wsTransport.park) a moment for the server's answer, then closes
// them; ctx's end closes them at once. A load test calls it as its run
// ends, so that the last connections to leave close as cleanly as the
// others. It returns at once when none is parked.
func AwaitClosings(ctx context.Context) {
	q := &closings
	q.mu.Lock()
	if len(q.parked) == 0 {
		q.mu.Unlock()
		return
	}
	last := q.parked[len(q.parked)-1].at
	q.mu.Unlock()
	if wait := time.Until(last.Add(finalWait)); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	q.closeAll()
}
