package engine

import (
	"context"
	"net"
	"syscall"
	"testing"

	"github.com/sockload/sockload/scenario"
)

// A connection from a source address takes its port at connect
// (IP_BIND_ADDRESS_NO_PORT), not by a search at bind.
func TestRotatingDialerDefersThePortToConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addrs, _ := scenario.ParseSourceAddrs("127.0.0.2")
	c, err := NewRotatingDialer(addrs).DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var on int
	var sockErr error
	if err := raw.Control(func(fd uintptr) {
		on, sockErr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort)
	}); err != nil || sockErr != nil {
		t.Fatal(err, sockErr)
	}
	if on != 1 {
		t.Errorf("IP_BIND_ADDRESS_NO_PORT is %d on the dialed socket, want 1", on)
	}
}
