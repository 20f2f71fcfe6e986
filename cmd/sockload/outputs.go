package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/sockload/sockload/report"
)

// writeOutput writes one report to path: to standard output for "-", else
// to the file as report.WriteFileAtomic does (atomic for regular files,
// in place for devices and FIFOs, through symlinks). what names the report
// in the line that says where it went.
func writeOutput(pio *processIO, what, path string, write func(io.Writer) error) error {
	if path == report.StdoutPath {
		return write(pio.reportStream())
	}
	if err := report.WriteFileAtomic(path, write); err != nil {
		return err
	}
	fmt.Fprintf(pio.stdout, "%s written to %s\n", what, path)
	return nil
}

// reportsToStdout returns the processIO a command uses when one of its
// report paths is "-": that report alone goes to standard output, so it
// stays machine-readable, and the text (progress, summary) goes to
// standard error. Two reports cannot share standard output.
func reportsToStdout(pio *processIO, paths ...string) (*processIO, error) {
	n := 0
	for _, p := range paths {
		if p == report.StdoutPath {
			n++
		}
	}
	switch n {
	case 0:
		return pio, nil
	case 1:
		c := *pio
		c.reports, c.stdout, c.isTerminal = pio.stdout, pio.stderr, false
		return &c, nil
	}
	return nil, errors.New(`only one report can be written to standard output ("-"); give the others file names`)
}

// reportStream is where a report for "-" goes.
func (p *processIO) reportStream() io.Writer {
	if p.reports != nil {
		return p.reports
	}
	return p.stdout
}
