//go:build !linux

package socketio

import (
	"context"
	"errors"
	"net"
	"syscall"
)

// poller is Linux's epoll; elsewhere every websocket connection is read by
// a goroutine.
type poller struct{}

func thePoller() *poller { return nil }

func (*poller) register(*wsTransport)   {}
func (*poller) unregister(*wsTransport) {}

// pollableConn returns nil: no connection is watched by a poller.
func pollableConn(net.Conn) syscall.RawConn { return nil }

var errNoPoller = errors.New("no poller on this system")

func (t *wsTransport) watch() error                  { return errNoPoller }
func (t *wsTransport) readNow([]byte) (int, error)   { return 0, errNoPoller }
func (t *wsTransport) readWait([]byte) (int, error)  { return 0, errNoPoller }
func (t *wsTransport) writeNow([]byte) (bool, error) { return false, nil }
func (t *wsTransport) rearm()                        {}
func (t *wsTransport) disarm()                       {}

// park keeps no socket open past its close: the connection closes at once.
func (t *wsTransport) park() bool { return false }

// AwaitClosings returns at once: no socket is parked (see closing.go).
func AwaitClosings(context.Context) {}
