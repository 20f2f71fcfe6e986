package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitCode is the process exit status. The values are part of the CLI's
// contract and documented in the README.
type exitCode int

const (
	exitOK          exitCode = 0 // the command did what was asked
	exitChecksFail  exitCode = 1 // a run finished but a strict check failed
	exitInvalid     exitCode = 2 // invalid input: flags, scenario file, paths
	exitRunError    exitCode = 3 // the run itself could not go on
	exitInterrupted exitCode = 130
)

// processIO holds everything a command may touch outside the process, so the
// whole CLI can run in-process in tests with buffers and a fake signal source.
type processIO struct {
	stdout  io.Writer
	stderr  io.Writer
	getenv  func(string) string
	signals func() (<-chan os.Signal, func())
	// isTerminal reports whether stdout is a terminal (live view) or not
	// (plain interval reports, as in CI logs).
	isTerminal bool
	// exit ends the process at once (a second interrupt).
	exit func(code int)
	// reports, when set, is standard output kept for the one report
	// written to "-" while stdout (the text) is standard error.
	reports io.Writer
	// listening, when set, learns the address --listen bound (tests);
	// reported is called once the reports are written, while --listen
	// still serves.
	listening func(addr string)
	reported  func()
}

func newProcessIO() *processIO {
	return &processIO{
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		signals: func() (<-chan os.Signal, func()) {
			ch := make(chan os.Signal, 2)
			signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
			return ch, func() { signal.Stop(ch) }
		},
		isTerminal: stdoutIsTerminal(),
		exit:       os.Exit,
	}
}

func stdoutIsTerminal() bool {
	info, err := os.Stdout.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// exitError carries the exit code a command wants along with its message.
type exitError struct {
	code exitCode
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withExit marks err with the process exit code it should produce.
func withExit(code exitCode, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// runCLI executes the command line args and returns the exit code.
func runCLI(pio *processIO, args []string) exitCode {
	root := newRootCommand(pio)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err.Error() != "" {
			fmt.Fprintln(pio.stderr, "Error:", ee.err)
		}
		return ee.code
	}
	// Errors from cobra itself are about flags and arguments.
	fmt.Fprintln(pio.stderr, "Error:", err)
	return exitInvalid
}

func newRootCommand(pio *processIO) *cobra.Command {
	root := &cobra.Command{
		Use:           "sockload",
		Short:         "Load and stress testing for Socket.IO servers",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(pio.stdout)
	root.SetErr(pio.stderr)
	root.AddCommand(
		newVersionCommand(pio),
		newValidateCommand(pio),
		newServeCommand(pio),
		newRunCommand(pio),
		newReportCommand(pio),
		newCompareCommand(pio),
		newMergeCommand(pio),
	)
	return root
}
