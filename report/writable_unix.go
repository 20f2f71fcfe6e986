//go:build unix

package report

import "syscall"

// writable reports whether this process may write to path, without
// opening it (opening a FIFO for writing would wait for a reader).
func writable(path string) error { return syscall.Access(path, 2 /* W_OK */) }
