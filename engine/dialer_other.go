//go:build !linux

package engine

import "syscall"

// deferPortChoice is Linux's alone (see dialer_linux.go): elsewhere the port
// is chosen at bind, as always.
var deferPortChoice func(network, address string, c syscall.RawConn) error
