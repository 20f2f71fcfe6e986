package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sockload/sockload/checks"
	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
)

// gateScenario is a short run against the built-in target: 3 VUs a second
// for the given seconds, each acknowledged by "ping" and then by event
// ("echo" acknowledges; "noack" never does, so the VU fails after the
// 1-second timeout). ensure is indented under config.
func gateScenario(t *testing.T, seconds int, event, ensure string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gate.yml")
	writeFile(t, path, `config:
  target: "http://127.0.0.1:`+freePort(t)+`"
  timeout: 1
  phases:
    - duration: `+strconv.Itoa(seconds)+`
      arrivalRate: 3
  socketio:
    transports: ["websocket"]
`+ensure+`
scenarios:
  - name: gate
    engine: socketio
    flow:
      - emit: ["ping"]
        acknowledge:
          match: {value: "pong"}
      - emit: ["`+event+`", "x"]
        acknowledge: true
      - think: 0.5
`)
	return path
}

// Each kind of check passes and fails in real runs against the built-in
// target, and the exit code says which.
func TestChecksInRealRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	tests := []struct {
		name   string
		event  string // "echo": every VU completes; "noack": every VU fails
		ensure string
		flags  []string
		want   exitCode
		line   string // a line of the Checks section
	}{
		{
			name: "threshold passes", event: "echo",
			ensure: "  ensure:\n    thresholds:\n      - \"socketio.response_time.ping.p99\": 1000",
			want:   exitOK, line: "ok: socketio.response_time.ping.p99 < 1000 (",
		},
		{
			name: "threshold fails", event: "echo",
			ensure: "  ensure:\n    thresholds:\n      - \"socketio.response_time.p99\": 0.001",
			want:   exitChecksFail, line: "fail: socketio.response_time.p99 < 0.001 (",
		},
		{
			name: "strict condition passes", event: "echo",
			ensure: "  plugins:\n    ensure:\n      conditions:\n        - expression: \"vusers.failed == 0 and vusers.completed == vusers.created\"",
			want:   exitOK, line: "ok: vusers.failed == 0 and vusers.completed == vusers.created (vusers.failed = 0, vusers.completed = 6, vusers.created = 6)",
		},
		{
			name: "strict condition fails", event: "noack",
			ensure: "  ensure:\n    conditions:\n      - expression: \"errors['ack timeout'] == 0\"",
			want:   exitChecksFail, line: "fail: errors['ack timeout'] == 0 (errors.ack timeout = 6)",
		},
		{
			name: "condition that is not strict passes", event: "echo",
			ensure: "  ensure:\n    conditions:\n      - expression: \"vusers.created >= 6\"\n        strict: false",
			want:   exitOK, line: "ok: vusers.created >= 6 (vusers.created = 6)",
		},
		{
			name: "condition that is not strict fails without failing the run", event: "noack",
			ensure: "  ensure:\n    conditions:\n      - expression: \"vusers.failed == 0\"\n        strict: false",
			flags:  []string{"--allow-dead-run"}, // every VU fails: without it, the dead run exits 1
			want:   exitOK, line: "fail: vusers.failed == 0 (vusers.failed = 6), not strict: the run does not fail",
		},
		{
			name: "maxErrorRate passes", event: "echo",
			ensure: "  ensure:\n    maxErrorRate: 0",
			want:   exitOK, line: "ok: vusers error rate <= 0% (0%: 0 failed of 6 created)",
		},
		{
			name: "maxErrorRate fails", event: "noack",
			ensure: "  ensure:\n    maxErrorRate: 50",
			want:   exitChecksFail, line: "fail: vusers error rate <= 50% (100%: 6 failed of 6 created)",
		},
		{
			name: "command line threshold passes", event: "echo",
			flags: []string{"--threshold", "socketio.response_time.p99<1000", "--threshold", "vusers.failed == 0"},
			want:  exitOK, line: "ok: vusers.failed == 0 (vusers.failed = 0)",
		},
		{
			name: "command line threshold fails", event: "echo",
			flags: []string{"--threshold", "vusers.created<2"},
			want:  exitChecksFail, line: "fail: vusers.created < 2 (6)",
		},
		{
			name: "command line error rate fails", event: "noack",
			flags: []string{"--max-error-rate", "1"},
			want:  exitChecksFail, line: "fail: vusers error rate <= 1% (100%: 6 failed of 6 created)",
		},
		{
			name: "early check that holds lets the run finish", event: "echo",
			ensure: "  ensure:\n    conditions:\n      - expression: \"vusers.failed == 0\"\n        abortOnFail: true",
			want:   exitOK, line: "ok: vusers.failed == 0 (vusers.failed = 0)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := gateScenario(t, 2, tc.event, tc.ensure)
			c := newCLIRun()
			code := c.run(t, append([]string{"run", "--serve", "-q", path}, tc.flags...)...)
			out := c.out.String()
			if code != tc.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, out, c.errOut.String())
			}
			_, checks, ok := strings.Cut(out, "\nChecks:\n")
			if !ok || !strings.Contains(checks, tc.line) {
				t.Errorf("the Checks section lacks %q:\n%s", tc.line, out)
			}
		})
	}
}

// A check with abortOnFail stops a run planned for a minute within
// seconds; the reports are written and the exit code says a check failed.
func TestFailingCheckStopsTheRunEarly(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	dir := t.TempDir()
	path := gateScenario(t, 60, "noack", `  ensure:
    thresholds:
      - "socketio.response_time.p99": 1000
    conditions:
      - expression: "vusers.failed < 2"
        abortOnFail: true
        after: 1s`)
	reportPath := filepath.Join(dir, "report.json")
	junitPath := filepath.Join(dir, "junit.xml")
	summaryPath := filepath.Join(dir, "step-summary.md")
	c := newCLIRun()
	c.env = map[string]string{"GITHUB_STEP_SUMMARY": summaryPath}
	start := time.Now()
	code := c.run(t, "run", "--serve", "-q", "-o", reportPath, "--junit", junitPath, path)
	elapsed := time.Since(start)
	if code != exitChecksFail {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitChecksFail, c.out.String(), c.errOut.String())
	}
	// Two VUs have failed about 2.3 s in (arrivals every 1/3 s, a 1 s
	// ack timeout); the run is then stopped at the next second.
	if elapsed > 15*time.Second {
		t.Errorf("the run took %s of its planned 60 s", elapsed)
	}
	if !strings.Contains(c.errOut.String(), "stopped the run") {
		t.Errorf("stderr does not say why the run stopped:\n%s", c.errOut.String())
	}
	if !strings.Contains(c.out.String(), "fail: vusers.failed < 2 (vusers.failed = ") || !strings.Contains(c.out.String(), "), stopped the run at ") {
		t.Errorf("the Checks section does not show the stop:\n%s", c.out.String())
	}
	rep := readReport(t, reportPath)
	created := rep.Aggregate.Counters[engine.MetricVUsersCreated]
	if created == 0 || created > 45 || !rep.Run.Interrupted {
		t.Errorf("the report holds %d VUs, interrupted %v", created, rep.Run.Interrupted)
	}

	data, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the JUnit file does not parse: %v\n%s", err, data)
	}
	if doc.Tests != 2 || doc.Failures != 1 || doc.Suite.Name != path || len(doc.Suite.Cases) != 2 {
		t.Fatalf("JUnit: %+v", doc)
	}
	if c := doc.Suite.Cases[0]; c.Name != "socketio.response_time.p99 < 1000" || c.Failure != nil {
		t.Errorf("first case %+v", c)
	}
	if c := doc.Suite.Cases[1]; c.Name != "vusers.failed < 2" || c.Failure == nil || !strings.Contains(c.Failure.Text, "stopped the run at") {
		t.Errorf("second case %+v", c)
	}

	md, err := os.ReadFile(summaryPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"— 1 of 2 checks failed", ", stopped early.",
		"| ✅ | `socketio.response_time.p99 < 1000` |",
		"| ❌ | `vusers.failed < 2` | vusers.failed = ",
		"| stopped the run at ",
		"| `vusers.failed` |", "| `errors.ack timeout` |",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the step summary lacks %q:\n%s", want, md)
		}
	}
}

// A check naming a metric the run cannot produce, or an expression that
// does not parse, is invalid input before the run, with where it is and
// the closest known name.
func TestInvalidChecksFailBeforeTheRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		ensure string
		flags  []string
		want   []string
	}{
		{
			name:   "unknown metric in a threshold",
			ensure: "  ensure:\n    thresholds:\n      - \"socketio.response_time.pong.p95\": 10",
			want:   []string{"gate.yml:11:9: error:", `unknown metric "socketio.response_time.pong.p95"`, `did you mean "socketio.response_time.ping.p95"?`},
		},
		{
			name:   "unknown metric in a condition",
			ensure: "  ensure:\n    conditions:\n      - expression: \"vusers.faild == 0\"",
			want:   []string{"gate.yml:11:21: error:", `did you mean "vusers.failed"?`},
		},
		{
			name:   "malformed expression",
			ensure: "  ensure:\n    conditions:\n      - expression: \"vusers.failed == (0\"",
			// The caret is at the end of the expression, where a ")" is missing.
			want: []string{"gate.yml:11:40: error:", "unexpected token EOF"},
		},
		{
			name:  "unknown metric on the command line",
			flags: []string{"--threshold", "socketio.emit_rat<5"},
			want:  []string{"--threshold: error:", `did you mean "socketio.emit_rate"?`},
		},
		{
			name:   "abortOnFail on a check that is not strict",
			ensure: "  ensure:\n    conditions:\n      - expression: \"vusers.failed == 0\"\n        strict: false\n        abortOnFail: true",
			want:   []string{"gate.yml:11:21: error:", "cannot stop the run"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := gateScenario(t, 60, "echo", tc.ensure)
			c := newCLIRun()
			start := time.Now()
			code := c.run(t, append([]string{"run", "--serve", "-q", path}, tc.flags...)...)
			if code != exitInvalid {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitInvalid, c.errOut.String())
			}
			for _, want := range tc.want {
				if !strings.Contains(c.errOut.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, c.errOut.String())
				}
			}
			if time.Since(start) > 10*time.Second || strings.Contains(c.out.String(), "Summary report") {
				t.Error("the run started")
			}
		})
	}
}

func TestUnwritableJUnitPathFailsBeforeTheRun(t *testing.T) {
	t.Parallel()
	c := newCLIRun()
	code := c.run(t, "run", "--junit", filepath.Join(t.TempDir(), "missing", "junit.xml"), gateScenario(t, 60, "echo", ""))
	if code != exitInvalid || !strings.Contains(c.errOut.String(), "create the directory") {
		t.Fatalf("code %d, stderr %q", code, c.errOut.String())
	}
}

// The example CI gate passes against the built-in target, shortened.
func TestCIGateExamplePasses(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	path, err := filepath.Abs("../../examples/ci-gate.yml")
	if err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(t.TempDir(), "junit.xml")
	c := newCLIRun()
	code := c.run(t, "run", "--serve", "-q", "--junit", junit,
		"-t", "http://127.0.0.1:"+freePort(t),
		"--overrides", `{"config":{"phases":[{"duration":2,"arrivalRate":5}]}}`, path)
	if code != exitOK {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, c.out.String(), c.errOut.String())
	}
	if _, err := os.Stat(junit); err != nil {
		t.Error(err)
	}
}

// earlyChecks stops the run once, at the first second after the delay
// when the check fails, and not after quiet (an interrupt came first).
func TestEarlyChecksStopOnceAfterTheDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		script := &scenario.Script{Scenarios: []scenario.Scenario{{Name: "s"}}}
		c, err := checks.ParseThreshold("vusers.failed<1")
		if err != nil {
			t.Fatal(err)
		}
		c.AbortOnFail, c.After = true, 3*time.Second
		gate, err := checks.NewGate([]scenario.EnsureCheck{c}, catalogFor(script))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		reg := metrics.New(start, metrics.Options{})
		var agg metrics.Snapshot
		soFar := func() (checks.Input, bool) { return checks.Input{Aggregate: agg}, true }
		stops := 0
		early := newEarlyChecks(gate, start, soFar, func() { stops++ }, func(string) {})
		for second := 1; second <= 5; second++ {
			time.Sleep(time.Second)
			if second == 1 {
				reg.Counter(engine.MetricVUsersFailed).Inc()
			}
			agg.Add(reg.Rotate(time.Now()))
			early.evaluate()
			if want := min(max(second-2, 0), 1); stops != want {
				t.Fatalf("at %d s: %d stops, want %d", second, stops, want)
			}
		}
		r, ok := early.stoppedBy()
		if !ok || r.At != 3*time.Second || r.Value != 1 {
			t.Errorf("stopped by %+v", r)
		}

		quiet := newEarlyChecks(gate, start, soFar, func() { t.Error("stopped after quiet") }, func(string) {})
		quiet.quiet()
		quiet.evaluate()
		if _, ok := quiet.stoppedBy(); ok {
			t.Error("a quiet check stopped the run")
		}
	})
}

// Checks read the breaking point of the run: a target that keeps up with
// a light load has not broken, and its capacity is the most it took.
func TestChecksOnTheBreakingPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	for _, tc := range []struct {
		expression string
		want       exitCode
		line       string
	}{
		{"breaking_point.found == 0", exitOK, "ok: breaking_point.found == 0 (breaking_point.found = 0)"},
		{"breaking_point.capacity > 1000", exitChecksFail, "fail: breaking_point.capacity > 1000 (breaking_point.capacity = "},
	} {
		t.Run(tc.expression, func(t *testing.T) {
			t.Parallel()
			path := gateScenario(t, 6, "echo", "  ensure:\n    conditions:\n      - expression: \""+tc.expression+"\"")
			c := newCLIRun()
			code := c.run(t, "run", "--serve", "-q", path)
			out := c.out.String()
			if code != tc.want || !strings.Contains(out, tc.line) {
				t.Errorf("exit code %d (want %d), output lacks %q:\n%s\n%s", code, tc.want, tc.line, out, c.errOut.String())
			}
		})
	}
}
