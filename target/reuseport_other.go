//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package target

import "errors"

func reusePortAvailable() error {
	return errors.New("--reuse-port (SO_REUSEPORT) is available on Linux, macOS and the BSDs only: run one target process per port here")
}

func setReusePort(uintptr) error { return reusePortAvailable() }
