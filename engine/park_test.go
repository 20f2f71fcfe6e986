package engine

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/phases"
	"github.com/sockload/sockload/scenario"
)

// parkModes are the thresholds the tests run each flow with: never
// parking (the flow's goroutine waits, as a short think does) and parking
// at every think of a millisecond or more.
var parkModes = []struct {
	name      string
	parkAfter time.Duration
}{
	{"never parked", 0},
	{"parked", time.Millisecond},
}

// ioFreeFlow loads a scenario whose steps (thinks, loops, logs) touch no
// connection, so that one VU of it can run in a synctest bubble.
func ioFreeFlow(t testing.TB, yml string) *scenario.Script {
	t.Helper()
	s, err := scenario.Parse("flow.yml", []byte(`
config:
  target: "http://127.0.0.1:1"
  timeout: 10
  variables: {notAList: 3}
  phases: [{duration: 1, arrivalCount: 1}]
scenarios:
  - engine: socketio
`+yml), scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Scenarios[0].ConnectAtStart = false
	return s
}

// vuEvent is what a test does to a running VU at an instant of the
// bubble's clock: a reconnection of "/" (lost and joined again), or the
// end of its context.
type vuEvent struct {
	at     time.Duration
	cancel bool
}

// ioFreeRun runs one VU of s in a synctest bubble, with events, and
// returns what it logged (each line prefixed with the instant), when it
// ended, how many VUs were parked at each event, and the run's counters
// and error samples.
type ioFreeRun struct {
	log         []string
	ended       time.Duration
	parkedAt    []int64
	counters    map[string]int64
	errorSample string
}

func runIOFree(t *testing.T, s *scenario.Script, parkAfter time.Duration, events ...vuEvent) ioFreeRun {
	t.Helper()
	var out ioFreeRun
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		reg := metrics.New(begin, metrics.Options{})
		var mu sync.Mutex
		r, err := New(Config{Script: s, Plan: phases.Plan{{Duration: time.Second, ArrivalCount: 1}}, Registry: reg, Seed: 1,
			Log: func(m string) {
				mu.Lock()
				defer mu.Unlock()
				out.log = append(out.log, fmt.Sprintf("%s %s", time.Since(begin), m))
			}})
		if err != nil {
			t.Fatal(err)
		}
		r.parkAfter = parkAfter
		v := r.newVU(1, 0, 0)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		go v.start(ctx, func() { out.ended = time.Since(begin); close(done) })
		for _, e := range events {
			time.Sleep(e.at - time.Since(begin))
			synctest.Wait()
			out.parkedAt = append(out.parkedAt, r.parked.Load())
			if e.cancel {
				cancel()
			} else {
				v.connectionLost("/", "transport close")
				v.joined("/")
			}
		}
		<-done
		snap := reg.Rotate(time.Now())
		out.counters = map[string]int64{}
		for name, n := range snap.Counters {
			if name != MetricCPU {
				out.counters[name] = n
			}
		}
		for _, s := range reg.ErrorSamples() {
			out.errorSample += s.Step + " " + s.Message
		}
	})
	return out
}

const rejoinLogs = `
    onReconnect:
      - log: "rejoin"
      - think: 5
      - log: "rejoined"
`

// A VU resumes from a parked think by the first of its wake-ups, as the
// waiting VU does: the think's end, the VU's cancellation (counted as
// cancelled, at once), or a reconnection, which runs the onReconnect
// steps and then thinks the rest of the time. A reconnection during the
// onReconnect steps does not nest: it runs them again after them.
func TestParkedThinkResumesByItsFirstWakeUp(t *testing.T) {
	reconnect := func(s float64) vuEvent { return vuEvent{at: time.Duration(s * float64(time.Second))} }
	cancel := func(s float64) vuEvent { return vuEvent{at: time.Duration(s * float64(time.Second)), cancel: true} }
	flow := `
    flow:
      - log: "a"
      - think: 10
      - log: "b"
`
	cases := []struct {
		name     string
		yml      string
		events   []vuEvent
		log      []string
		ended    time.Duration
		parked   []int64 // VUs parked at each event, when parking
		counters map[string]int64
	}{
		{"the think's end", flow, []vuEvent{reconnect(5)}, []string{"0s a", "10s b"}, 10 * time.Second, []int64{1},
			map[string]int64{MetricVUsersCompleted: 1}},
		{"cancelled while parked", flow, []vuEvent{cancel(3)}, []string{"0s a"}, 3 * time.Second, []int64{1},
			map[string]int64{MetricVUsersCancelled: 1}},
		{"a reconnection, then the rest of the think", flow + rejoinLogs, []vuEvent{reconnect(3)},
			[]string{"0s a", "3s rejoin", "8s rejoined", "10s b"}, 10 * time.Second, []int64{1},
			map[string]int64{MetricVUsersCompleted: 1, MetricReconnectFlows: 1}},
		{"a reconnection during onReconnect runs it after", flow + rejoinLogs, []vuEvent{reconnect(3), reconnect(4)},
			[]string{"0s a", "3s rejoin", "8s rejoined", "8s rejoin", "13s rejoined", "13s b"}, 13 * time.Second, []int64{1, 1},
			map[string]int64{MetricVUsersCompleted: 1, MetricReconnectFlows: 2}},
		{"cancelled in the onReconnect steps' think", flow + rejoinLogs, []vuEvent{reconnect(3), cancel(6)},
			[]string{"0s a", "3s rejoin"}, 6 * time.Second, []int64{1, 1},
			map[string]int64{MetricVUsersCancelled: 1, MetricReconnectFlows: 1}},
		{"a reconnection after the think's end", flow + rejoinLogs, []vuEvent{reconnect(11)},
			[]string{"0s a", "10s b"}, 10 * time.Second, []int64{0},
			map[string]int64{MetricVUsersCompleted: 1}},
		{"without onReconnect steps a reconnection does not wake it", flow, []vuEvent{reconnect(3)},
			[]string{"0s a", "10s b"}, 10 * time.Second, []int64{1},
			map[string]int64{MetricVUsersCompleted: 1, MetricReconnectFlows: 0}},
	}
	for _, c := range cases {
		for _, m := range parkModes {
			t.Run(c.name+"/"+m.name, func(t *testing.T) {
				got := runIOFree(t, ioFreeFlow(t, c.yml), m.parkAfter, c.events...)
				if !slices.Equal(got.log, c.log) {
					t.Errorf("logged %q, want %q", got.log, c.log)
				}
				if got.ended != c.ended {
					t.Errorf("ended at %s, want %s", got.ended, c.ended)
				}
				wantParked := c.parked
				if m.parkAfter == 0 {
					wantParked = make([]int64, len(c.parked))
				}
				if !slices.Equal(got.parkedAt, wantParked) {
					t.Errorf("parked VUs at the events: %v, want %v", got.parkedAt, wantParked)
				}
				for name, n := range c.counters {
					if got.counters[name] != n {
						t.Errorf("%s = %d, want %d (%v)", name, got.counters[name], n, got.counters)
					}
				}
			})
		}
	}
}

// Parking changes nothing a flow does: the loops' variables, nested
// loops, loops forever until the VU is cancelled, failures and the line
// they are told, and the counts are the same parked as not.
func TestParkingChangesNoOutcome(t *testing.T) {
	cases := []struct {
		name   string
		yml    string
		events []vuEvent
	}{
		{"nested loops", `
    flow:
      - loop:
          - think: 1
          - loop:
              - log: "{{ $loopElement }} {{ $loopCount }}"
              - think: 0.5
            over: ["x", "y"]
          - log: "outer {{ $loopCount }}"
        count: "2-4"
      - think: 2
      - log: "end {{ $loopCount }}"
`, nil},
		{"a loop forever until cancelled", `
    flow:
      - loop:
          - think: 1
          - log: "tick {{ $loopCount }}"
`, []vuEvent{{at: 3500 * time.Millisecond, cancel: true}}},
		{"a failure in a nested loop names its step", `
    flow:
      - loop:
          - think: 1
          - loop:
              - log: "never"
            over: notAList
        count: 2
`, nil},
		{"a bad think", `
    flow:
      - think: 1
      - think: "{{ notAList }}x"
`, nil},
		{"onReconnect in a loop", `
    onReconnect:
      - log: "rejoin {{ $loopCount }}"
      - think: 1
    flow:
      - loop:
          - think: 2
          - log: "tick {{ $loopCount }}"
        count: 3
`, []vuEvent{{at: 1 * time.Second}, {at: 3500 * time.Millisecond}, {at: 3700 * time.Millisecond}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			never := runIOFree(t, ioFreeFlow(t, c.yml), 0, c.events...)
			parked := runIOFree(t, ioFreeFlow(t, c.yml), time.Millisecond, c.events...)
			if len(never.log) == 0 && never.errorSample == "" {
				t.Fatal("the flow did nothing: the comparison proves nothing")
			}
			if !slices.Equal(parked.log, never.log) {
				t.Errorf("parked, logged\n%q\nnot parked\n%q", parked.log, never.log)
			}
			if parked.ended != never.ended {
				t.Errorf("parked, ended at %s; not parked, at %s", parked.ended, never.ended)
			}
			if fmt.Sprint(parked.counters) != fmt.Sprint(never.counters) {
				t.Errorf("parked, counted %v; not parked, %v", parked.counters, never.counters)
			}
			if parked.errorSample != never.errorSample {
				t.Errorf("parked, the error %q; not parked, %q", parked.errorSample, never.errorSample)
			}
			t.Logf("log %q, error %q", never.log, never.errorSample)
		})
	}
}

// idleForever is idleScenario's VU thinking far longer than any test.
const idleForever = `
config:
  target: "%s"
  timeout: 30
  phases:
    - duration: 1
      arrivalCount: %d
  socketio:
    transports: ["websocket"]
scenarios:
  - name: idle
    engine: socketio
    flow:
      - emit: ["echo", "hello"]
        acknowledge: {}
      - think: 3600
`

// flowGoroutines counts the goroutines running a VU's flow: each started
// in vu.start (by launch) or vu.resume (by a wake-up).
func flowGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("engine.(*vu).start(")) || bytes.Contains(g, []byte("engine.(*vu).resume(")) {
			count++
		}
	}
	return count
}

// VUs parked in a long think hold no goroutine of their own: against the
// built-in target, 500 VUs that connected, had their ack and think for an
// hour leave no goroutine in their flow, and one goroutine fewer each
// than the same VUs never parked. Their cancellation ends the run at once
// (it returns long before the hour), every VU counted as cancelled.
func TestParkedVUsHoldNoGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("500 connections for a few seconds; go test without -short runs it")
	}
	const n = 500
	srv := startTarget(t)
	before := runtime.NumGoroutine()
	perVU := map[string]float64{}
	// Parked first: goroutines of the first run still ending could only
	// lower the second's count, against the claim.
	for _, m := range []struct {
		name      string
		parkAfter time.Duration
		flow      int // goroutines running flows once every VU thinks
	}{
		{"parked", defaultParkAfter, 0},
		{"never parked", 0, n},
	} {
		t.Run(m.name, func(t *testing.T) {
			s := loadScript(t, srv.URL(), fmt.Sprintf(idleForever, "%s", n))
			reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
			r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1, Grace: 2 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			r.parkAfter = m.parkAfter
			start := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type ran struct {
				res Result
				err error
			}
			done := make(chan ran, 1)
			go func() {
				res, err := r.Run(ctx)
				done <- ran{res, err}
			}()
			eventually(t, "every VU thinking", func() bool {
				if m.parkAfter > 0 {
					return r.parked.Load() == n
				}
				return flowGoroutines() == n && r.Status().Finished
			})
			if got := flowGoroutines(); got != m.flow {
				t.Errorf("%d goroutines run VUs' flows, want %d", got, m.flow)
			}
			perVU[m.name] = float64(runtime.NumGoroutine()-start) / n
			cancel()
			got := <-done
			if got.err != nil {
				t.Fatal(got.err)
			}
			if got.res.Cancelled != n {
				t.Errorf("%d VUs cancelled, want %d", got.res.Cancelled, n)
			}
			expectCounters(t, reg.Rotate(time.Now()), map[string]int64{
				MetricVUsersCancelled: n, MetricVUsersCompleted: 0, MetricVUsersFailed: 0,
			})
			if r.parked.Load() != 0 {
				t.Errorf("%d VUs still parked after the run", r.parked.Load())
			}
			eventually(t, "the run's goroutines ended", func() bool { return runtime.NumGoroutine() <= before+20 })
		})
	}
	t.Logf("goroutines per VU: %v", perVU)
	if saved := perVU["never parked"] - perVU["parked"]; saved < 0.9 {
		t.Errorf("a parked VU holds %.2f goroutines fewer than one never parked, want 1", saved)
	}
}

// parkedAgainstTarget has VUs think between acked emits in nested loops,
// or fail a check in a loop: with parking at every think
// the counts, and the failures' lines, are those of VUs that never park.
const parkedAgainstTarget = `
config:
  target: "%s"
  timeout: 10
  phases:
    - duration: 1
      arrivalCount: 20
  socketio:
    transports: ["websocket"]
scenarios:
  - name: loops
    engine: socketio
    flow:
      - loop:
          - emit: ["echo", "{{ $loopCount }}"]
            acknowledge:
              match: {json: "$.0", value: "{{ $loopCount }}"}
          - think: "5ms"
          - loop:
              - emit: ["echo", "{{ $loopElement }}"]
                acknowledge: {}
              - think: "3ms"
            over: ["a", "b", "c"]
        count: 3
      - think: "20ms"
      - emit: ["echo", "{{ $loopCount }}"]
        acknowledge:
          match: {json: "$.0", value: 2}
  - name: fails
    engine: socketio
    flow:
      - loop:
          - think: "5ms"
          - emit: ["echo", "{{ $loopCount }}"]
            acknowledge:
              match: {json: "$.0", value: 0}
        count: 3
`

func TestParkingChangesNoCountAgainstTheTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("two runs of a second each; go test without -short runs it")
	}
	srv := startTarget(t)
	run := func(parkAfter time.Duration) (map[string]int64, []string) {
		s := loadScript(t, srv.URL(), parkedAgainstTarget)
		reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
		r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		r.parkAfter = parkAfter
		if _, err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		counters := reg.Rotate(time.Now()).Counters
		delete(counters, MetricCPU)
		var steps []string
		for _, s := range reg.ErrorSamples() {
			steps = append(steps, filepath.Base(s.Step)+" "+s.Message)
		}
		return counters, steps
	}
	never, neverSteps := run(0)
	parked, parkedSteps := run(time.Millisecond)
	if never[MetricVUsersFailed] == 0 || never[MetricVUsersCompleted] == 0 {
		t.Fatalf("want VUs that complete and VUs that fail, got %v", never)
	}
	if fmt.Sprint(parked) != fmt.Sprint(never) {
		t.Errorf("parked, counted\n%v\nnot parked\n%v", parked, never)
	}
	if !slices.Equal(parkedSteps, neverSteps) || len(neverSteps) == 0 {
		t.Errorf("parked, the errors were %q; not parked, %q", parkedSteps, neverSteps)
	}
}

// A think parks from defaultParkAfter on, for all its time; a shorter one
// waits on the VU's goroutine.
func TestThinksFromTheThresholdOnPark(t *testing.T) {
	for _, c := range []struct {
		think  string
		parked int64
	}{
		{"99ms", 0},
		{"100ms", 1},
		{"1s", 1},
	} {
		t.Run(c.think, func(t *testing.T) {
			s := ioFreeFlow(t, fmt.Sprintf(`
    flow:
      - think: %q
      - log: "done"
`, c.think))
			// The reconnection wakes nothing (no onReconnect steps): it
			// only looks at the VU 90 ms into its think.
			got := runIOFree(t, s, defaultParkAfter, vuEvent{at: 90 * time.Millisecond})
			if !slices.Equal(got.parkedAt, []int64{c.parked}) {
				t.Errorf("%v VUs parked in the think, want %d", got.parkedAt, c.parked)
			}
			if len(got.log) != 1 || got.ended.String() != c.think {
				t.Errorf("logged %q, ended at %s; want done at %s", got.log, got.ended, c.think)
			}
		})
	}
}

// The end of the grace period cancels parked VUs at once, through the
// run's own launch and wind-down: a run of VUs parked for an hour lasts
// its phase and its grace, every VU counted as cancelled.
func TestGracePeriodCancelsParkedVUs(t *testing.T) {
	for _, m := range parkModes {
		t.Run(m.name, func(t *testing.T) {
			s := ioFreeFlow(t, `
    flow:
      - think: 3600
`)
			s.Config.Phases[0].ArrivalCount = 4
			synctest.Test(t, func(t *testing.T) {
				reg := metrics.New(time.Now(), metrics.Options{})
				r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1, Grace: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				r.parkAfter = m.parkAfter
				begin := time.Now()
				res, err := r.Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if took := time.Since(begin); took != 6*time.Second {
					t.Errorf("the run took %s, want the 1 s phase and the 5 s grace", took)
				}
				if res.Cancelled != 4 || r.Status().Active != 0 || r.parked.Load() != 0 {
					t.Errorf("cancelled %d, active %d, parked %d; want 4, 0, 0", res.Cancelled, r.Status().Active, r.parked.Load())
				}
				expectCounters(t, reg.Rotate(time.Now()), map[string]int64{MetricVUsersCancelled: 4, MetricVUsersCompleted: 0})
			})
		})
	}
}
