package engine

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"

	"github.com/sockload/sockload/socketio"
)

func errorsIsDeadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

func errorsIsPayloadTooLarge(err error) bool { return errors.Is(err, socketio.ErrPayloadTooLarge) }

func errorsIsNotConnected(err error) bool {
	return errors.Is(err, socketio.ErrNotConnected) || errors.Is(err, socketio.ErrClosed)
}

// classifyNetworkError names a network failure as the errno users of
// Artillery know from its reports (ECONNREFUSED, ETIMEDOUT, ...).
func classifyNetworkError(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "ECONNREFUSED"
	case errors.Is(err, syscall.ECONNRESET):
		return "ECONNRESET"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		// Out of ephemeral ports (or a bad source address).
		return "EADDRNOTAVAIL"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "EMFILE"
	case errors.Is(err, syscall.EPIPE):
		return "EPIPE"
	case errorsIsDeadline(err):
		return "ETIMEDOUT"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "ENOTFOUND"
	}
	if errorsIsNotConnected(err) {
		return "not connected"
	}
	return "connect error"
}
