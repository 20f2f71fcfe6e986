// Command sockload is a load and stress testing tool for Socket.IO servers.
//
// The process itself (standard streams, signals, the environment, exit
// codes) is handled in this package only; the other packages take what
// they need as arguments. Files are read and written where their format
// is known: scenario.Load reads the scenario and its CSV payloads, report
// writes the reports (see report.WriteFileAtomic), and this package
// names the paths.
package main

import (
	"os"
)

func main() {
	os.Exit(int(runCLI(newProcessIO(), os.Args[1:])))
}
