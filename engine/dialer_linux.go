package engine

import "syscall"

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT (linux/in.h),
// which the syscall package does not name.
const ipBindAddressNoPort = 24

// deferPortChoice makes a socket bound to a source address take its port
// at connect, from the four-tuple, rather than at bind. Without it every
// bind searches the source address's ports for one no other socket is bound
// to, a search that grows with the connections already open: at 60,000
// connections over four source addresses the generators spent most of the
// machine in the kernel and connections timed out. A kernel without the
// option (before 4.2) refuses it, and the port is chosen at bind as before.
func deferPortChoice(_, _ string, c syscall.RawConn) error {
	return c.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	})
}
