// Command sockload is a load and stress testing tool for Socket.IO servers.
//
// All process I/O (standard streams, files, signals, exit codes) lives in this
// package; every other package takes what it needs as arguments.
package main

import (
	"os"
)

func main() {
	os.Exit(int(runCLI(newProcessIO(), os.Args[1:])))
}
