package target

import "syscall"

// soReusePort is SO_REUSEPORT on Linux, which the syscall package does not
// name.
const soReusePort = 0xf

func reusePortAvailable() error { return nil }

func setReusePort(fd uintptr) error {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
}
