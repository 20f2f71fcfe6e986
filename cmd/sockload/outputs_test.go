package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockload/sockload/report"
)

// -o - writes the JSON report, and nothing else, to standard output; the
// summary goes to standard error. Two reports cannot share it.
func TestReportToStandardOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	scen := filepath.Join(t.TempDir(), "one.yml")
	writeFile(t, scen, `
config:
  target: "http://127.0.0.1:`+freePort(t)+`"
  phases:
    - duration: 1
      arrivalCount: 1
scenarios:
  - flow:
      - emit: ["hello"]
`)
	c := newCLIRun()
	code := c.run(t, "run", "--serve", "-o", "-", scen)
	if code != exitOK {
		t.Fatalf("exit code %d\nstderr:\n%s", code, c.errOut.String())
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(c.out.String()), &rep); err != nil || rep.SchemaVersion == 0 {
		t.Fatalf("standard output is not the JSON report alone (%v):\n%s", err, c.out.String())
	}
	if !strings.Contains(c.errOut.String(), "vusers.created") {
		t.Errorf("the summary is not on standard error:\n%s", c.errOut.String())
	}

	c = newCLIRun()
	code = c.run(t, "run", "-o", "-", "--junit", "-", filepath.Join(t.TempDir(), "x.yml"))
	if code != exitInvalid || !strings.Contains(c.errOut.String(), "only one report") {
		t.Errorf("two reports on standard output: code %d, stderr %q", code, c.errOut.String())
	}
}
