package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/internal/hostile"
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

// peakHeap samples the heap until stop is closed and returns the peak.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	peak := make(chan uint64, 1)
	go func() {
		var p uint64
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			p = max(p, s[0].Value.Uint64())
			select {
			case <-stop:
				peak <- p
				return
			case <-tick.C:
			}
		}
	}()
	return peak
}

const hostileScenario = `
config:
  target: "%s"
  timeout: 2
  phases:
    - duration: 2
      arrivalCount: 4
  socketio:
    transports: %s
    timeout: 3000
scenarios:
  - engine: socketio
    flow:
      - emit: ["ping", "x"]
        acknowledge: {}
      - think: 1
`

// TestHostileServers runs sockload against each hostile mode: no panic, the
// heap stays under 256 MB, the run ends within its phase, grace and a
// margin, and the report is valid and says what happened (the errors, the
// emits sent).
func TestHostileServers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sockload against every hostile mode")
	}
	other, err := hostile.Start(hostile.Config{Mode: hostile.NoAcks, Addr: "127.0.0.2:0"})
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	defer other.Close()
	const phase, grace, margin = 2 * time.Second, 3 * time.Second, 10 * time.Second
	for _, tt := range []struct {
		mode       hostile.Mode
		transports string
		emits      bool // the flow's emit is sent (and counted)
		// raced: the misbehaviour may come before or after the emit, so
		// neither the emits nor every VU's failure can be told.
		raced bool
	}{
		{hostile.PingFlood, `["websocket"]`, true, false},
		{hostile.PingFlood, `["polling"]`, true, false},
		{hostile.PingFlood, `["polling", "websocket"]`, true, false},
		{hostile.EndlessHead, `["websocket"]`, false, false},
		{hostile.EndlessBody, `["polling"]`, false, false},
		{hostile.HugeMessage, `["websocket"]`, false, true},
		{hostile.HugeMessage, `["polling"]`, false, true},
		{hostile.SilentAccept, `["websocket"]`, false, false},
		{hostile.SilentAccept, `["polling"]`, false, false},
		{hostile.ResetAfterOpen, `["websocket"]`, false, false},
		{hostile.ResetAfterOpen, `["polling"]`, false, false},
		{hostile.Garbage, `["websocket"]`, false, false},
		{hostile.Garbage, `["polling"]`, false, false},
		{hostile.WrongStatus, `["polling", "websocket"]`, false, false},
		{hostile.RedirectLoop, `["polling"]`, false, false},
		{hostile.CrossHostRedirect, `["polling"]`, false, false},
		{hostile.NoAcks, `["websocket"]`, true, false},
		{hostile.ForgedAcks, `["websocket"]`, true, false},
		{hostile.BinaryBomb, `["websocket"]`, false, false},
		{hostile.DeepJSON, `["websocket"]`, false, true},
		{hostile.ConnectErrorPerVU, `["websocket"]`, false, false},
	} {
		t.Run(string(tt.mode)+tt.transports, func(t *testing.T) {
			srv, err := hostile.Start(hostile.Config{Mode: tt.mode, RedirectTo: other.URL()})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			dir := t.TempDir()
			scen, out := filepath.Join(dir, "hostile.yml"), filepath.Join(dir, "report.json")
			writeFile(t, scen, fmt.Sprintf(hostileScenario, srv.URL(), tt.transports))
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			stop := make(chan struct{})
			peak := peakHeap(stop)
			c := newCLIRun()
			code := c.run(t, "run", "-q", "--allow-dead-run", "--grace", grace.String(), "--memory-budget", "64MB", "-o", out, scen)
			close(stop)
			if code != exitOK {
				t.Fatalf("exit code %d; stderr:\n%s", code, c.errOut.String())
			}
			if grown := int64(<-peak) - int64(base.HeapAlloc); grown > 256<<20 {
				t.Errorf("heap grew by %d MB; want at most 256 MB", grown>>20)
			}
			rep := readReport(t, out)
			if d := rep.Run.End.Sub(rep.Run.Start); d > phase+grace+margin {
				t.Errorf("the run took %v; want at most %v", d, phase+grace+margin)
			}
			counters := rep.Aggregate.Counters
			var errs []string
			for name := range counters {
				// What went wrong is an error, or for a VU that rode it
				// out by reconnecting, a disconnect.
				if strings.HasPrefix(name, engine.MetricErrors) || tt.raced && strings.HasPrefix(name, engine.MetricDisconnects) {
					errs = append(errs, name)
				}
			}
			if counters[engine.MetricVUsersCreated] != 4 {
				t.Errorf("%d VUs created, want 4", counters[engine.MetricVUsersCreated])
			}
			switch {
			case tt.mode == hostile.PingFlood || tt.mode == hostile.ForgedAcks:
				// A flood of pings is a live server, and acks for ids
				// never sent are ignored: no VU fails (on a slow machine,
				// under the race detector, one may still be running at
				// the grace period's end and be cancelled).
				if counters[engine.MetricVUsersFailed] != 0 || counters[engine.MetricVUsersCompleted] == 0 || len(errs) != 0 {
					t.Errorf("under %s VUs failed or errors were counted: %v", tt.mode, counters)
				}
			case len(errs) == 0 || !tt.raced && counters[engine.MetricVUsersFailed] != 4:
				t.Errorf("the report does not say the VUs failed: counters %v", counters)
			case countPrefixed(errs, engine.MetricErrors) > 3:
				t.Errorf("errors by %d names, want a few (unique server texts must not make one each): %v", len(errs), errs)
			}
			if got := counters[engine.MetricEmit]; !tt.raced && tt.emits != (got == 4) {
				t.Errorf("socketio.emit = %d (emits sent: %v)", got, tt.emits)
			}
			if other.Sessions() != 0 {
				t.Errorf("the load moved to the other host of a redirect (%d sessions)", other.Sessions())
			}
		})
	}
}

// The first interrupt ends a run against a server flooding it with pings.
func TestFirstInterruptEndsAFloodedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("floods the run with pings")
	}
	srv, err := hostile.Start(hostile.Config{Mode: hostile.PingFlood})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	scen, out := filepath.Join(dir, "flood.yml"), filepath.Join(dir, "report.json")
	writeFile(t, scen, strings.Replace(fmt.Sprintf(hostileScenario, srv.URL(), `["polling", "websocket"]`), "duration: 2", "duration: 600", 1))
	c := newCLIRun()
	done := make(chan exitCode)
	go func() { done <- c.run(t, "run", "-q", "-o", out, scen) }()
	for srv.Sessions() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	c.signals <- os.Interrupt
	select {
	case code := <-done:
		if code != exitInterrupted {
			t.Errorf("exit code %d, want %d", code, exitInterrupted)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the first interrupt did not end a run under a ping flood")
	}
	if rep := readReport(t, out); !rep.Run.Interrupted {
		t.Errorf("the report does not say the run was interrupted: %+v", rep.Run)
	}
}

// Credentials in the target work on every transport and never appear in
// an output: not the password, not the query's values.
func TestCredentialsInTheTargetAreSentAndRedacted(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	for _, transports := range []string{`["websocket"]`, `["polling"]`} {
		srv, err := hostile.Start(hostile.Config{Mode: hostile.ForgedAcks})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		dir := t.TempDir()
		scen := filepath.Join(dir, "creds.yml")
		out, junit, html := filepath.Join(dir, "r.json"), filepath.Join(dir, "j.xml"), filepath.Join(dir, "r.html")
		target := strings.Replace(srv.URL(), "://", "://user:s3cretpw@", 1) + "/?token=t0kenvalue"
		writeFile(t, scen, strings.Replace(fmt.Sprintf(hostileScenario, target, transports), "arrivalCount: 4", "arrivalCount: 1", 1))
		c := newCLIRun()
		code := c.run(t, "run", "--grace", "3s", "-o", out, "--junit", junit, "--html", html, "--threshold", "vusers.failed == 0", scen)
		if code != exitOK {
			t.Fatalf("%s: exit code %d; stderr:\n%s", transports, code, c.errOut.String())
		}
		if got := srv.Authorization(); !strings.HasPrefix(got, "Basic ") {
			t.Errorf("%s: the server saw Authorization %q", transports, got)
		}
		outputs := map[string]string{"stdout": c.out.String(), "stderr": c.errOut.String()}
		for _, f := range []string{out, junit, html} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			outputs[filepath.Base(f)] = string(b)
		}
		for name, text := range outputs {
			if strings.Contains(text, "s3cretpw") || strings.Contains(text, "t0kenvalue") {
				t.Errorf("%s: %s shows a secret of the target", transports, name)
			}
		}
	}
}

func countPrefixed(names []string, prefix string) int {
	n := 0
	for _, name := range names {
		if strings.HasPrefix(name, prefix) {
			n++
		}
	}
	return n
}
