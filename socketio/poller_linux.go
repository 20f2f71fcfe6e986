package socketio

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// poller is the process-wide epoll instance that watches websocket
// connections. Its own fd waits in the runtime's network poller like any
// socket, so an event wakes one goroutine with no thread of its own. Events
// carry a slot index and its generation, never the fd alone: an fd is
// reused as soon as its connection closes.
type poller struct {
	epfd  int
	mu    sync.Mutex
	slots []pollSlot
	free  []int32
}

type pollSlot struct {
	t   *wsTransport
	gen uint32
}

// pollEvents is what a watched connection signals: bytes, or the peer's
// end, once (EPOLLONESHOT): the reader arms it again as it leaves the
// connection to the poller (rearm), which signals at once if bytes are
// there. An ack waiter reading its connection itself disarms it (disarm)
// and waits in the runtime's network poller, so the poller does not wake
// for the arrivals it reads.
const pollEvents uint32 = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

var (
	pollerOnce sync.Once
	thePollerP *poller // nil: epoll is not available, goroutines read
)

// thePoller returns the process's poller, started on first use.
func thePoller() *poller {
	pollerOnce.Do(func() {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		thePollerP = &poller{epfd: fd}
		go thePollerP.run()
	})
	return thePollerP
}

// pollableConn returns the raw connection the poller can watch, or nil if
// the connection must be read by a goroutine.
func pollableConn(c net.Conn) syscall.RawConn {
	tc, ok := c.(*net.TCPConn)
	if !ok || goroutineReaderOnly || thePoller() == nil {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// run dispatches events for as long as the process runs, waiting in the
// runtime's network poller for the epoll fd to become readable; should the
// runtime refuse the fd, it waits in epoll_wait on a thread of its own.
func (p *poller) run() {
	events := make([]syscall.EpollEvent, 128)
	var n int
	collect := func(fd uintptr) bool {
		var errno syscall.Errno
		n, errno = epollCollect(fd, events)
		if errno != 0 {
			n = 0
			return errno != syscall.EINTR && errno != syscall.EAGAIN // EINTR: again
		}
		return n > 0 // none: wait until there are
	}
	var raw syscall.RawConn
	if syscall.SetNonblock(p.epfd, true) == nil {
		if f := os.NewFile(uintptr(p.epfd), "epoll"); f != nil {
			raw, _ = f.SyscallConn()
		}
	}
	for {
		if raw == nil || raw.Read(collect) != nil {
			raw = nil
			var err error
			if n, err = syscall.EpollWait(p.epfd, events, -1); err != nil {
				n = 0
			}
		}
		for _, ev := range events[:n] {
			if t := p.lookup(ev.Fd, uint32(ev.Pad)); t != nil {
				t.readable(ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0)
			}
		}
	}
}

func (p *poller) lookup(slot int32, gen uint32) *wsTransport {
	p.mu.Lock()
	defer p.mu.Unlock()
	if slot < 0 || int(slot) >= len(p.slots) || p.slots[slot].gen != gen {
		return nil
	}
	return p.slots[slot].t
}

// register gives t a slot.
func (p *poller) register(t *wsTransport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var slot int32
	if n := len(p.free); n > 0 {
		slot, p.free = p.free[n-1], p.free[:n-1]
	} else {
		slot = int32(len(p.slots))
		p.slots = append(p.slots, pollSlot{})
	}
	s := &p.slots[slot]
	s.t = t
	t.poll.slot, t.poll.gen = slot, s.gen
}

// unregister frees t's slot; its events still queued are ignored.
func (p *poller) unregister(t *wsTransport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &p.slots[t.poll.slot]
	if s.t != t {
		return
	}
	s.t = nil
	s.gen++
	p.free = append(p.free, t.poll.slot)
}

// watch adds the connection's socket to the poller; closing the socket
// takes it off.
func (t *wsTransport) watch() error { return t.epollCtl(syscall.EPOLL_CTL_ADD, pollEvents) }

// rearm has the poller signal the connection's next arrival, or the bytes
// there already; a socket not watched yet (startPollingAfterRead) is
// watched now, unless its watch is deferred (watchDeferred watches it). A
// connection closed meanwhile is not watched any more: its end was or is
// reported by whoever closed it.
func (t *wsTransport) rearm() {
	if t.poll.unwatched.Load() {
		if !t.poll.deferred && t.poll.unwatched.CompareAndSwap(true, false) {
			_ = t.watch()
		}
		return
	}
	_ = t.epollCtl(syscall.EPOLL_CTL_MOD, pollEvents)
}

// disarm has the poller signal nothing of the connection (but its errors)
// until it is armed again.
func (t *wsTransport) disarm() { _ = t.epollCtl(syscall.EPOLL_CTL_MOD, syscall.EPOLLONESHOT) }

// epollCtl changes the connection's registration with the poller, without
// allocating.
func (t *wsTransport) epollCtl(op int, events uint32) error {
	if seen := epollCtlSeen.Load(); seen != nil {
		(*seen)(t, op)
	}
	c := epollCtls.Get().(*epollCtlCall)
	c.op, c.ev = op, syscall.EpollEvent{Events: events, Fd: t.poll.slot, Pad: int32(t.poll.gen)}
	err := t.raw.Control(c.fn)
	errno := c.errno
	c.errno = nil
	epollCtls.Put(c)
	if err != nil {
		return err
	}
	if errno != nil {
		return os.NewSyscallError("epoll_ctl", errno)
	}
	return nil
}

// epollCtlSeen, if set, is told of every change of a connection's
// registration (tests).
var epollCtlSeen atomic.Pointer[func(t *wsTransport, op int)]

// epollCtlCall is one epoll_ctl, pooled with its callback as rawRead is.
type epollCtlCall struct {
	op    int
	ev    syscall.EpollEvent
	errno error
	fn    func(fd uintptr)
}

var epollCtls = sync.Pool{New: func() any {
	c := new(epollCtlCall)
	c.fn = c.call
	return c
}}

func (c *epollCtlCall) call(fd uintptr) {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(thePollerP.epfd), uintptr(c.op), fd, uintptr(unsafe.Pointer(&c.ev)), 0, 0)
	if errno != 0 {
		c.errno = errno
	}
}

// The syscalls of a connection on the poller never block (epoll_ctl, the
// poller's collection of its events, and the reads and writes of a socket
// in non-blocking mode, which return EAGAIN instead of waiting), so they go
// in as raw syscalls: syscall.Syscall's entry and exit through the
// scheduler (entersyscall, which also wakes the system monitor when it
// sleeps, as it does between the arrivals of a mostly idle run, and
// exitsyscall) cost more than the short syscall itself. A raw syscall
// keeps its P for as long as it runs, as a few µs of the kernel's work on a
// loopback write do.

// epollCollect takes the events ready on the poller's fd without waiting
// (epoll_pwait with no timeout and no signal mask, epoll_wait as every
// Linux port has it).
func epollCollect(epfd uintptr, events []syscall.EpollEvent) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, epfd, uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}

// rawSyscallRead is read(2) on fd, for a socket in non-blocking mode.
func rawSyscallRead(fd uintptr, b []byte) (int, syscall.Errno) {
	return rawSyscallIO(syscall.SYS_READ, fd, b)
}

// rawSyscallWrite is write(2) on fd, for a socket in non-blocking mode.
func rawSyscallWrite(fd uintptr, b []byte) (int, syscall.Errno) {
	return rawSyscallIO(syscall.SYS_WRITE, fd, b)
}

// rawSyscallIO is read(2) or write(2) (trap) of b on fd.
func rawSyscallIO(trap, fd uintptr, b []byte) (int, syscall.Errno) {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	n, _, errno := syscall.RawSyscall(trap, fd, uintptr(p), uintptr(len(b)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), 0
}

// rawRead is a read without waiting, pooled with its callback so that a
// read allocates nothing. It runs under RawConn.Control, not Read: the
// connection's read deadline, which an ack waiter leaves set after its
// wait (inline.go), bounds the waiting reads only.
type rawRead struct {
	b     []byte
	n     int
	errno error
	fn    func(fd uintptr)
}

var rawReads = sync.Pool{New: func() any {
	r := new(rawRead)
	r.fn = r.read
	return r
}}

func (r *rawRead) read(fd uintptr) {
	for {
		n, errno := rawSyscallRead(fd, r.b)
		if errno != syscall.EINTR {
			r.n = n
			if errno != 0 {
				r.errno = errno
			}
			return // never wait: EAGAIN goes back to the caller
		}
	}
}

// readNow reads what has arrived without waiting: errWouldBlock if
// nothing has, 0 bytes at the end of the stream.
func (t *wsTransport) readNow(b []byte) (int, error) {
	r := rawReads.Get().(*rawRead)
	r.b = b
	err := t.raw.Control(r.fn)
	n, errno := r.n, r.errno
	r.b, r.errno = nil, nil
	rawReads.Put(r)
	switch {
	case err != nil:
		return 0, err
	case errors.Is(errno, syscall.EAGAIN):
		return 0, errWouldBlock
	case errno != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: t.conn.LocalAddr(), Addr: t.conn.RemoteAddr(), Err: os.NewSyscallError("read", errno)}
	}
	return n, nil
}

// waitingRead is a read that waits in the runtime's network poller until
// bytes arrive, pooled as rawRead is.
type waitingRead struct {
	b     []byte
	n     int
	errno error
	fn    func(fd uintptr) bool
}

var waitingReads = sync.Pool{New: func() any {
	r := new(waitingRead)
	r.fn = r.read
	return r
}}

func (r *waitingRead) read(fd uintptr) bool {
	for {
		n, errno := rawSyscallRead(fd, r.b)
		switch errno {
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false // wait for the socket to be readable
		case 0:
			r.n = n
			return true
		default:
			r.n, r.errno = n, errno
			return true
		}
	}
}

// readWait reads at least a byte, waiting for it within the connection's
// read deadline (os.ErrDeadlineExceeded after it); 0 bytes at the end of
// the stream.
func (t *wsTransport) readWait(b []byte) (int, error) {
	r := waitingReads.Get().(*waitingRead)
	r.b = b
	err := t.raw.Read(r.fn)
	n, errno := r.n, r.errno
	r.b, r.errno = nil, nil
	waitingReads.Put(r)
	switch {
	case err != nil:
		return 0, err
	case errno != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: t.conn.LocalAddr(), Addr: t.conn.RemoteAddr(), Err: os.NewSyscallError("read", errno)}
	}
	return n, nil
}

// rawWrite is a write that sets the connection's write deadline only if
// it has to wait, pooled with its callback as rawRead is.
type rawWrite struct {
	t      *wsTransport
	b      []byte
	called bool
	waits  bool // the deadline is set
	errno  error
	fn     func(fd uintptr) bool
}

var rawWrites = sync.Pool{New: func() any {
	w := new(rawWrite)
	w.fn = w.write
	return w
}}

func (w *rawWrite) write(fd uintptr) bool {
	w.called = true
	for len(w.b) > 0 {
		n, errno := rawSyscallWrite(fd, w.b)
		if n > 0 {
			w.b = w.b[n:]
		}
		switch errno {
		case 0, syscall.EINTR:
		case syscall.EAGAIN:
			// The socket's buffer is full: wait, within the deadline
			// every write has.
			if !w.waits {
				w.waits = true
				_ = w.t.conn.SetWriteDeadline(time.Now().Add(w.t.writeTimeout))
			}
			return false
		default:
			w.errno = errno
			return true
		}
	}
	return true
}

// writeNow writes b whole to a connection on the poller, and reports
// whether it did or failed trying (written). A write that goes at once,
// as a small frame does, sets no deadline: a deadline set and moved at
// every write is a change of the runtime's timers each time. One that must
// wait sets it first. A deadline left in the past by an earlier wait stops
// the write before it starts (written false, nothing sent): the caller
// writes as a connection off the poller does.
func (t *wsTransport) writeNow(b []byte) (written bool, err error) {
	w := rawWrites.Get().(*rawWrite)
	w.t, w.b = t, b
	err = t.raw.Write(w.fn)
	written, errno := w.called, w.errno
	*w = rawWrite{fn: w.fn}
	rawWrites.Put(w)
	switch {
	case err == nil && errno != nil:
		err = os.NewSyscallError("write", errno)
	case err == nil:
		return true, nil
	}
	return written, &net.OpError{Op: "write", Net: "tcp", Source: t.conn.LocalAddr(), Addr: t.conn.RemoteAddr(), Err: err}
}
