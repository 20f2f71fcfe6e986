//go:build linux

package socketio

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// endOwner records the ends a connection on the poller reports.
type endOwner struct{ ends chan error }

func (o *endOwner) receive(time.Time, wire.Packet) error { return nil }
func (o *endOwner) finish(err error)                     { o.ends <- err }

// TestCloseAsTheConnectionIsHandedToThePoller closes a connection between
// its arming and its watch, as a Manager's Close can while the reader
// hands an upgraded websocket over: the watch fails on the closed socket,
// the close has already taken the connection and reports its end, so
// startPolling must say the connection is handed over. Reporting that it
// could not had the reader go on reading a connection whose buffers the
// close was releasing (a data race, and a second report of the end).
func TestCloseAsTheConnectionIsHandedToThePoller(t *testing.T) {
	if thePoller() == nil || goroutineReaderOnly {
		t.Skip("no poller on this system")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close() // the listener's backlog completes the dial: nothing accepts
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := newConfig("http://"+ln.Addr().String(), Options{Transports: []string{TransportWebsocket}})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newWSTransport(cfg, conn, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.raw == nil {
		t.Skip("the connection cannot be watched by the poller")
	}
	closeAtTheWatch := func(c *wsTransport, op int) {
		if c == tr && op == syscall.EPOLL_CTL_ADD {
			c.close(false)
		}
	}
	epollCtlSeen.Store(&closeAtTheWatch)
	defer epollCtlSeen.Store(nil)

	owner := &endOwner{ends: make(chan error, 2)}
	if !tr.startPolling(owner) {
		t.Fatal("startPolling says the connection was not handed over, though the close that took it reports its end: its caller would read it too")
	}
	select {
	case <-owner.ends:
	case <-time.After(testTimeout):
		t.Fatal("the closed connection's end was never reported")
	}
}
