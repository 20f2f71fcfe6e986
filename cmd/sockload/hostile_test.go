package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An interrupt after the last phase, while the VUs drain, is an interrupted
// run in every output: exit 130, "interrupted": true, and a JUnit file that
// says so.
func TestInterruptWhileDrainingIsReportedAsInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	dir := t.TempDir()
	scen := filepath.Join(dir, "drain.yml")
	writeFile(t, scen, `
config:
  target: "http://127.0.0.1:`+freePort(t)+`"
  phases:
    - duration: 1
      arrivalCount: 2
scenarios:
  - flow:
      - think: 30
`)
	out, junit := filepath.Join(dir, "report.json"), filepath.Join(dir, "junit.xml")
	c := newCLIRun()
	// The phase lasts a second; the VUs think for 30 within a minute of
	// grace: the interrupt comes while they drain.
	time.AfterFunc(2500*time.Millisecond, func() { c.signals <- os.Interrupt })
	code := c.run(t, "run", "-q", "--serve", "--grace", "1m", "-o", out, "--junit", junit,
		"--threshold", "vusers.failed == 0", scen)
	if code != exitInterrupted {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitInterrupted, c.errOut.String())
	}
	if rep := readReport(t, out); !rep.Run.Interrupted {
		t.Errorf("the JSON report says the run was not interrupted: %+v", rep.Run)
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(x), `name="interrupted" value="true"`) || !strings.Contains(string(x), "the run was interrupted") {
		t.Errorf("the JUnit file does not say the run was interrupted:\n%s", x)
	}
}
