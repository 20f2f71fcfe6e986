//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package target

import "syscall"

func reusePortAvailable() error { return nil }

func setReusePort(fd uintptr) error {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEPORT, 1)
}
