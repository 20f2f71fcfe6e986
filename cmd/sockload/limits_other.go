//go:build !unix

package main

// openFileLimit returns 0: the system has no open-file limit to read, so
// no warning is given about it.
func openFileLimit() uint64 { return 0 }
