package main

import (
	"bytes"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/report"
)

// cliRun is one in-process run of the CLI with a signal source the test
// controls.
type cliRun struct {
	signals chan os.Signal
	// exited receives the code of each call to processIO.exit.
	exited chan int
	out    syncBuffer
	errOut syncBuffer
	// env is the run's environment (GITHUB_STEP_SUMMARY); nil is empty.
	env map[string]string
	// listening and reported are processIO's hooks of --listen.
	listening func(addr string)
	reported  func()
}

// syncBuffer is a bytes.Buffer safe for the run's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (c *cliRun) run(t *testing.T, args ...string) exitCode {
	t.Helper()
	pio := &processIO{
		stdout: &c.out,
		stderr: &c.errOut,
		getenv: func(name string) string { return c.env[name] },
		signals: func() (<-chan os.Signal, func()) {
			return c.signals, func() {}
		},
		exit:      func(code int) { c.exited <- code },
		listening: c.listening,
	}
	pio.reported = func() {
		if c.reported != nil {
			c.reported()
		}
	}
	return runCLI(pio, args)
}

func newCLIRun() *cliRun {
	return &cliRun{signals: make(chan os.Signal, 2), exited: make(chan int, 1)}
}

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	r, err := report.ReadJSON(path)
	if err != nil {
		t.Fatalf("reading the JSON report: %v", err)
	}
	return r
}

func exampleScenario(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs("../../examples/my-scenario.yml")
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// The example scenario, shortened to five arrivals, against the Node
// reference server: every count is exact.
func TestExampleScenarioCountsAgainstReferenceServer(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4, "--namespaces", "/,/my-namespace")
	out := filepath.Join(t.TempDir(), "report.json")
	c := newCLIRun()
	code := c.run(t, "run", "-q", "-t", srv.URL, "-o", out,
		"--overrides", `{"config":{"phases":[{"duration":1,"arrivalCount":5}]}}`,
		exampleScenario(t))
	if code != exitOK {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, c.out.String(), c.errOut.String())
	}
	rep := readReport(t, out)
	counters := rep.Aggregate.Counters
	for name, want := range map[string]int64{
		engine.MetricVUsersCreated:   5,
		engine.MetricVUsersCompleted: 5,
		engine.MetricVUsersFailed:    0,
		engine.MetricEmit:            20, // two hello, one namespaced hello, one ping each
	} {
		if counters[name] != want {
			t.Errorf("%s = %d, want %d", name, counters[name], want)
		}
	}
	if h := rep.Aggregate.Histograms[engine.MetricResponseTime+".ping"]; h == nil || h.TotalCount() != 5 {
		t.Errorf("want 5 acknowledged pings timed")
	}
	got := srv.Stats().Received
	if got["/"]["hello"] != 10 || got["/"]["ping"] != 5 || got["/my-namespace"]["hello"] != 5 {
		t.Errorf("the server received %v", got)
	}
	if !strings.Contains(c.out.String(), "Summary report") {
		t.Errorf("no summary in the output:\n%s", c.out.String())
	}
}

// The README's first command, shortened: the built-in target served in the
// same process.
func TestServedExampleFinishesWithExpectedCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	c := newCLIRun()
	code := c.run(t, "run", "--serve", "-o", out,
		"-t", "http://127.0.0.1:"+freePort(t),
		"--overrides", `{"config":{"phases":[{"duration":2,"arrivalRate":2}]}}`,
		exampleScenario(t))
	if code != exitOK {
		t.Fatalf("exit code %d\nstderr:\n%s", code, c.errOut.String())
	}
	rep := readReport(t, out)
	counters := rep.Aggregate.Counters
	if counters[engine.MetricVUsersCompleted] != 4 || counters[engine.MetricEmit] != 16 || counters[engine.MetricVUsersFailed] != 0 {
		t.Errorf("counters %v", counters)
	}
	// The one-second windows account for every arrival, offered and
	// achieved.
	var offered, achieved float64
	for _, w := range rep.Windows {
		offered += w.Offered * w.Seconds
		achieved += w.Achieved * w.Seconds
	}
	if math.Round(offered) != 4 || math.Round(achieved) != 4 {
		t.Errorf("windows hold %.2f offered and %.2f achieved arrivals, want 4 and 4", offered, achieved)
	}
}

func TestUnwritableOutputFailsBeforeTheRun(t *testing.T) {
	c := newCLIRun()
	start := time.Now()
	code := c.run(t, "run", "-o", filepath.Join(t.TempDir(), "missing", "r.json"), exampleScenario(t))
	if code != exitInvalid || !strings.Contains(c.errOut.String(), "cannot write the report") {
		t.Fatalf("code %d, stderr %q", code, c.errOut.String())
	}
	if time.Since(start) > 10*time.Second {
		t.Error("the run started before the output path was checked")
	}
}

func TestInterruptWritesPartialReport(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4, "--namespaces", "/,/my-namespace")
	out := filepath.Join(t.TempDir(), "report.json")
	c := newCLIRun()
	time.AfterFunc(2500*time.Millisecond, func() { c.signals <- os.Interrupt })
	code := c.run(t, "run", "-q", "-t", srv.URL, "-o", out, exampleScenario(t))
	if code != exitInterrupted {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitInterrupted, c.errOut.String())
	}
	rep := readReport(t, out)
	created := rep.Aggregate.Counters[engine.MetricVUsersCreated]
	if !rep.Run.Interrupted || created == 0 || created > 40 {
		t.Errorf("interrupted %v with %d VUs created", rep.Run.Interrupted, created)
	}
	if rep.Aggregate.Counters[engine.MetricVUsersCancelled] != created {
		t.Errorf("cancelled %d of %d thinking VUs", rep.Aggregate.Counters[engine.MetricVUsersCancelled], created)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// A target that dies in the middle of a run and comes back on the same
// port: the run goes on, counts what failed by reason, sees the
// reconnections, ends on time and writes its report.
func TestTargetRestartedMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4)
	dir := t.TempDir()
	scenarioPath := filepath.Join(dir, "restart.yml")
	writeFile(t, scenarioPath, `
config:
  target: "`+srv.URL+`"
  timeout: 2
  phases:
    - duration: 10
      arrivalRate: 3
  socketio:
    transports: ["websocket"]
    reconnection: true
    reconnectionDelay: 200
    reconnectionDelayMax: 400
scenarios:
  - flow:
      - emit: ["ping"]
        acknowledge:
          match: {value: "pong"}
      - think: 3
      - emit: ["ping"]
        acknowledge:
          match: {value: "pong"}
`)
	time.AfterFunc(2*time.Second, func() {
		srv.Stop()
		time.Sleep(time.Second)
		srv.Restart()
	})
	out := filepath.Join(dir, "report.json")
	c := newCLIRun()
	start := time.Now()
	code := c.run(t, "run", "-q", "-o", out, scenarioPath)
	elapsed := time.Since(start)
	if code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, c.errOut.String())
	}
	// 10 s of phase, then at most a flow (3 s of think and two 2 s
	// timeouts) plus the grace period's margin. The phase goes on for
	// seconds after the restart, so that VUs arrive after it even when a
	// loaded machine starts the Node server slowly.
	if elapsed > 35*time.Second {
		t.Errorf("the run took %s", elapsed)
	}
	counters := readReport(t, out).Aggregate.Counters
	if counters[engine.MetricVUsersCreated] != 30 {
		t.Errorf("created %d VUs, want 30", counters[engine.MetricVUsersCreated])
	}
	for _, name := range []string{
		engine.MetricErrors + "ECONNREFUSED",
		engine.MetricDisconnects + "transport_close",
		engine.MetricReconnects,
		engine.MetricVUsersCompleted,
		engine.MetricVUsersFailed,
	} {
		if counters[name] == 0 {
			t.Errorf("%s is 0; counters: %v", name, counters)
		}
	}
	if got := counters[engine.MetricVUsersCompleted] + counters[engine.MetricVUsersFailed] + counters[engine.MetricVUsersCancelled]; got != 30 {
		t.Errorf("completed + failed + cancelled = %d, want 30", got)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A second interrupt exits at once with the report saved: the VUs'
// 30-second think is not waited for.
func TestSecondInterruptSavesAndExits(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4, "--namespaces", "/,/my-namespace")
	out := filepath.Join(t.TempDir(), "report.json")
	c := newCLIRun()
	time.AfterFunc(1500*time.Millisecond, func() {
		c.signals <- os.Interrupt
		c.signals <- os.Interrupt
	})
	go c.run(t, "run", "-q", "-t", srv.URL, "-o", out, exampleScenario(t))
	select {
	case code := <-c.exited:
		if code != int(exitInterrupted) {
			t.Errorf("exit code %d, want %d", code, exitInterrupted)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a second interrupt did not exit")
	}
	rep := readReport(t, out)
	if !rep.Run.Interrupted || rep.Aggregate.Counters[engine.MetricVUsersCreated] == 0 {
		t.Errorf("the saved report holds %+v", rep.Run)
	}
}

// --html writes the report page, and the JSON report carries the
// breaking-point analysis; a bad --html path stops the run before it starts.
func TestRunWritesHTMLAndAnalysis(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	dir := t.TempDir()
	out, html := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	c := newCLIRun()
	code := c.run(t, "run", "-q", "--serve", "--serve-capacity", "1000", "-t", "http://127.0.0.1:"+freePort(t),
		"-o", out, "--html", html,
		"--overrides", `{"config":{"phases":[{"duration":4,"arrivalRate":3}]},"scenarios":[{"engine":"socketio","flow":[{"emit":["ping"],"acknowledge":{"match":{"value":"pong"}}}]}]}`,
		exampleScenario(t))
	if code != exitOK {
		t.Fatalf("exit code %d\nstderr:\n%s", code, c.errOut.String())
	}
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), "<svg") {
		t.Fatalf("no HTML report with charts: %v", err)
	}
	rep := readReport(t, out)
	if rep.BreakingPoint == nil {
		t.Fatal("the JSON report has no breaking-point analysis")
	}
	if !strings.Contains(c.out.String(), "reaking point") {
		t.Errorf("the summary does not state the breaking point:\n%s", c.out.String())
	}

	bad := newCLIRun()
	code = bad.run(t, "run", "--serve", "--html", filepath.Join(dir, "missing", "r.html"), exampleScenario(t))
	if code != exitInvalid {
		t.Errorf("a bad --html path: exit code %d, want %d", code, exitInvalid)
	}
}

// --cpuprofile and --memprofile leave profiles go tool pprof reads.
func TestRunWritesProfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	c := newCLIRun()
	code := c.run(t, "run", "-q", "--solo", "--serve", "-t", "http://127.0.0.1:"+freePort(t), "--grace", "1s",
		"--cpuprofile", cpu, "--memprofile", mem, exampleScenario(t))
	if code != exitOK {
		t.Fatalf("exit code %d\nstderr:\n%s", code, c.errOut.String())
	}
	for _, p := range []string{cpu, mem} {
		if info, err := os.Stat(p); err != nil || info.Size() == 0 {
			t.Errorf("profile %s: %v", p, err)
		}
	}
}
