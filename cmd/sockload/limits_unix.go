//go:build unix

package main

import "syscall"

// openFileLimit returns the soft limit on open files, or 0 when unknown.
// The Go runtime has already raised it to the hard limit at start (and
// restores the original for the processes it starts), so it is only read
// here: every connection is a file.
func openFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return uint64(lim.Cur)
}
