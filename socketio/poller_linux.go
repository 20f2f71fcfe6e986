package socketio

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
)

// poller is the process-wide epoll instance that watches idle websocket
// connections. Events carry a slot index and its generation, never the fd
// alone: an fd is reused as soon as its connection closes.
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

// pollEvents is what an armed connection waits for: bytes, or the peer's
// end; one event, then it must be armed again.
const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

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
		go thePollerP.loop()
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

// loop waits for events for as long as the process runs.
func (p *poller) loop() {
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			// EINTR; nothing else can fail with a valid epfd and
			// buffer.
			continue
		}
		for _, ev := range events[:n] {
			if t := p.lookup(ev.Fd, uint32(ev.Pad)); t != nil {
				t.readable()
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

// arm asks the poller for the connection's next event. The socket is added
// to the poller on first use.
func (t *wsTransport) arm() error {
	p := thePoller()
	ev := syscall.EpollEvent{Events: pollEvents, Fd: t.poll.slot, Pad: int32(t.poll.gen)}
	var errno error
	err := t.raw.Control(func(fd uintptr) {
		errno = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
		if errno == syscall.ENOENT {
			errno = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		}
	})
	if err != nil {
		return err
	}
	if errno != nil {
		return os.NewSyscallError("epoll_ctl", errno)
	}
	return nil
}

// readNow reads what has arrived without waiting: errWouldBlock if
// nothing has, 0 bytes at the end of the stream.
func (t *wsTransport) readNow(b []byte) (int, error) {
	var n int
	var errno error
	err := t.raw.Read(func(fd uintptr) bool {
		for {
			n, errno = syscall.Read(int(fd), b)
			if errno != syscall.EINTR {
				return true
			}
		}
	})
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
