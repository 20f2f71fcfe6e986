//go:build !unix

package report

import "os"

// writable reports whether this process may write to path (a device:
// there are no FIFOs to wait on here), by opening it for writing.
func writable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	return f.Close()
}
