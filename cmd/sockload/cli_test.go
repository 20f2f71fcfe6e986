package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// runInProcess runs the CLI with captured output and no real signals.
func runInProcess(t *testing.T, args ...string) (stdout, stderr string, code exitCode) {
	t.Helper()
	var out, errOut bytes.Buffer
	pio := &processIO{
		stdout: &out,
		stderr: &errOut,
		getenv: func(string) string { return "" },
		signals: func() (<-chan os.Signal, func()) {
			return make(chan os.Signal), func() {}
		},
		exit: func(code int) { t.Fatalf("the CLI exited the process with %d", code) },
	}
	code = runCLI(pio, args)
	return out.String(), errOut.String(), code
}

func TestVersion(t *testing.T) {
	out, _, code := runInProcess(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "sockload ") {
		t.Fatalf("version: code %d, output %q", code, out)
	}
}

func TestUnknownCommandIsInvalidInput(t *testing.T) {
	_, errOut, code := runInProcess(t, "no-such-command")
	if code != exitInvalid || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}
