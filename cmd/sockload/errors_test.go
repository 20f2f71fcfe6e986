package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/report"
)

// failedMatchScenario acks every ping with "pong" and expects "pang" at
// line 12, so every VU fails.
const failedMatchScenario = `config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 3
  socketio:
    transports: ["websocket"]
scenarios:
  - flow:
      - emit: ["ping"]
        acknowledge:
          match:
            json: "$.0"
            value: "pang"
`

func TestFailedMatchIsExplainedInTheSummaryAndTheJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4)
	dir := t.TempDir()
	path := filepath.Join(dir, "match.yml")
	writeFile(t, path, fmt.Sprintf(failedMatchScenario, srv.URL))
	out := filepath.Join(dir, "report.json")
	c := newCLIRun()
	code := c.run(t, "run", "-q", "-o", out, path)
	if code != exitChecksFail {
		t.Errorf("exit code %d, want %d: no VU completed\nstderr:\n%s", code, exitChecksFail, c.errOut.String())
	}
	stdout := c.out.String()
	for _, want := range []string{
		"First errors:",
		"Failed match (3):",
		path + ":12: VU ",
		`expected: $.0 = "pang"`,
		`received: $.0 = "pong"`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(c.errOut.String(), "no VU completed and 3 failed, the first with Failed match") {
		t.Errorf("stderr does not say why the run failed:\n%s", c.errOut.String())
	}
	rep := readReport(t, out)
	if len(rep.FirstErrors) != 1 {
		t.Fatalf("the JSON report has %d first errors, want 1: %+v", len(rep.FirstErrors), rep.FirstErrors)
	}
	s := rep.FirstErrors[0]
	if s.Code != "Failed match" || s.Step != path+":12" || s.Expected != `$.0 = "pang"` || s.Received != `$.0 = "pong"` || s.VU == 0 {
		t.Errorf("the JSON report's sample is %+v", s)
	}
}

func TestDeadRunExitCodeCanBeTurnedOff(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4)
	path := filepath.Join(t.TempDir(), "match.yml")
	writeFile(t, path, fmt.Sprintf(failedMatchScenario, srv.URL))
	c := newCLIRun()
	if code := c.run(t, "run", "-q", "--allow-dead-run", path); code != exitOK {
		t.Errorf("exit code %d with --allow-dead-run, want 0\nstderr:\n%s", code, c.errOut.String())
	}
}

func TestDeadRunRule(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		completed, cancelled, failed int64
		dead                         bool
	}{
		{"every VU failed", 0, 0, 5, true},
		{"one completed", 1, 0, 5, false},
		{"loops until the end, some failed", 0, 3, 5, false},
		{"nothing failed", 0, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &report.Report{Aggregate: metrics.Snapshot{Counters: map[string]int64{
				engine.MetricVUsersCompleted: tc.completed, engine.MetricVUsersCancelled: tc.cancelled, engine.MetricVUsersFailed: tc.failed}}}
			if err := deadRunError(rep); (err != nil) != tc.dead {
				t.Errorf("deadRunError = %v, want dead %v", err, tc.dead)
			}
		})
	}
}
