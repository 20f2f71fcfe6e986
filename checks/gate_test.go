package checks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/report"
	"github.com/sockload/sockload/scenario"
)

// testCatalog declares the names of fixedSnapshot the way a run does.
func testCatalog() *Catalog {
	c := NewCatalog()
	c.AddCounter("vusers.created", "vusers.completed", "vusers.failed", "socketio.emit", "engine.cpu_us")
	c.AddCounterPrefix("errors.")
	c.AddRate("socketio.emit_rate")
	c.AddSummary("socketio.response_time", "engine.arrival_lag", "socketio.connect_time")
	c.AddSummaryPrefix("socketio.response_time.")
	return c
}

func gate(t *testing.T, checks ...scenario.EnsureCheck) *Gate {
	t.Helper()
	g, err := NewGate(checks, testCatalog())
	if err != nil {
		t.Fatalf("NewGate: %v", err)
	}
	return g
}

func condition(expression string, strict bool) scenario.EnsureCheck {
	return scenario.EnsureCheck{Kind: scenario.EnsureCondition, Expression: expression, Text: expression, Strict: strict, File: "test.yml"}
}

func thresholdCheck(metric string, limit float64) scenario.EnsureCheck {
	c := scenario.ThresholdCheck(metric, limit)
	c.File = "test.yml"
	return c
}

// fixedSnapshot is a run of 10 s: 10 VUs created, 9 completed, 1 failed
// (errors.ack timeout), 40 emits, response times 1..100 ms, 2 s of CPU.
func fixedSnapshot(t *testing.T) metrics.Snapshot {
	t.Helper()
	start := time.Date(2026, 11, 27, 15, 40, 0, 0, time.UTC)
	reg := metrics.New(start, metrics.Options{Rates: map[string]string{"socketio.emit_rate": "socketio.emit"}})
	reg.Counter("vusers.created").Add(10)
	reg.Counter("vusers.completed").Add(9)
	reg.Counter("vusers.failed").Add(1)
	reg.Counter("errors.ack timeout").Add(1)
	reg.Counter("socketio.emit").Add(40)
	reg.Counter("engine.cpu_us").Add(2_000_000)
	rec := reg.Recorder(1)
	rt := reg.Histogram("socketio.response_time")
	for i := 1; i <= 100; i++ {
		rec.Record(rt, time.Duration(i)*time.Millisecond)
	}
	rec.Record(reg.Histogram("engine.arrival_lag"), 2*time.Millisecond)
	return reg.Rotate(start.Add(10 * time.Second))
}

// fixedSnapshot: 10 created, 9 completed, 1 failed (errors.ack timeout),
// 40 emits over 10 s, response times 1..100 ms, 2 s of CPU.
func TestEvaluateOnFixedSnapshot(t *testing.T) {
	in := Input{Aggregate: fixedSnapshot(t), Cores: 2}
	errRate := func(limit float64) scenario.EnsureCheck { c, _ := MaxErrorRateCheck(limit); return c }
	tests := []struct {
		name      string
		check     scenario.EnsureCheck
		passed    bool
		value     float64 // thresholds and maxErrorRate
		problem   string
		failsRun  bool
		wantValue bool
	}{
		{name: "threshold below", check: thresholdCheck("socketio.response_time.p95", 200), passed: true, value: 95.039, wantValue: true},
		{name: "threshold equal fails", check: thresholdCheck("socketio.response_time.p95", 95.039), passed: false, value: 95.039, failsRun: true, wantValue: true},
		{name: "threshold on a counter", check: thresholdCheck("vusers.failed", 1), passed: false, value: 1, failsRun: true, wantValue: true},
		{name: "threshold on a rate", check: thresholdCheck("socketio.emit_rate", 5), passed: true, value: 4, wantValue: true},
		{name: "threshold on an error with a space", check: thresholdCheck("errors.ack timeout", 2), passed: true, value: 1, wantValue: true},
		{name: "counter never incremented reads 0", check: thresholdCheck("errors.ECONNREFUSED", 1), passed: true, value: 0, wantValue: true},
		{name: "summary with no values fails", check: thresholdCheck("socketio.connect_time.p99", 100), passed: false, problem: "socketio.connect_time.p99 has no value", failsRun: true},
		{name: "generator cpu", check: thresholdCheck("generator.cpu", 50), passed: true, value: 10, wantValue: true},
		{name: "and", check: condition("socketio.response_time.p99 < 500 and vusers.failed == 0", true), passed: false, failsRun: true},
		{name: "or", check: condition("socketio.response_time.p99 < 500 or vusers.failed == 0", true), passed: true},
		{name: "not", check: condition("not (vusers.failed > 0)", true), passed: false, failsRun: true},
		{name: "arithmetic", check: condition("vusers.failed / vusers.created * 100 < 20", true), passed: true},
		{name: "mean and median", check: condition("socketio.response_time.mean >= 50 && socketio.response_time.median <= 51", true), passed: true},
		{name: "bracket name", check: condition(`errors["ack timeout"] == 1`, true), passed: true},
		{name: "metric function", check: condition(`metric("errors.ack timeout") + 1 == 2`, true), passed: true},
		{name: "count stat", check: condition("socketio.response_time.count == 100 and socketio.response_time.max > 100", true), passed: true},
		{name: "not strict failure does not fail the run", check: condition("vusers.failed == 0", false), passed: false},
		{name: "generator saturated", check: condition("generator.saturated == 0", true), passed: true},
		{name: "error rate within", check: errRate(10), passed: true, value: 10, wantValue: true},
		{name: "error rate over", check: errRate(5), passed: false, value: 10, failsRun: true, wantValue: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := gate(t, tc.check).Evaluate(in)[0]
			if r.Passed != tc.passed || r.FailsRun() != tc.failsRun {
				t.Errorf("passed %v fails run %v, want %v %v (%+v)", r.Passed, r.FailsRun(), tc.passed, tc.failsRun, r)
			}
			if tc.wantValue && r.Value != tc.value {
				t.Errorf("value %v, want %v", r.Value, tc.value)
			}
			if !strings.Contains(r.Problem, tc.problem) || (tc.problem == "") != (r.Problem == "") {
				t.Errorf("problem %q, want %q", r.Problem, tc.problem)
			}
		})
	}
}

func TestConditionReportsTheValuesItRead(t *testing.T) {
	r := gate(t, condition("socketio.response_time.p99 < 50 and vusers.failed == 0", true)).Evaluate(Input{Aggregate: fixedSnapshot(t)})[0]
	want := "socketio.response_time.p99 = 99.007, vusers.failed = 1"
	if r.Measured() != want {
		t.Errorf("measured %q, want %q", r.Measured(), want)
	}
}

func TestNewGateRefusesUnknownNamesWithTheClosest(t *testing.T) {
	tests := []struct {
		check   scenario.EnsureCheck
		message string
		hint    string
	}{
		{thresholdCheck("socketio.response_time.p59", 1), `unknown metric "socketio.response_time.p59"`, `"socketio.response_time.p50"`},
		{thresholdCheck("vusers.faild", 1), `unknown metric "vusers.faild"`, `"vusers.failed"`},
		{condition("socketio.respons_time.p99 < 1", true), `unknown metric "socketio.respons_time.p99"`, `"socketio.response_time.p99"`},
		{condition("eror.ETIMEDOUT == 0", true), `unknown metric "eror.ETIMEDOUT"`, `"errors.ETIMEDOUT"`},
		{condition("vusers.failed ==", true), "column", "conditions compare metrics"},
		{condition("vusers.failed + 1", true), "bool", ""},
		{condition(`"a" < 1`, true), "mismatched types", ""},
	}
	for _, tc := range tests {
		_, err := NewGate([]scenario.EnsureCheck{tc.check}, testCatalog())
		var se *scenario.Error
		if !errors.As(err, &se) || len(se.Diagnostics) != 1 {
			t.Errorf("%s: %v", tc.check.Text, err)
			continue
		}
		d := se.Diagnostics[0]
		if !strings.Contains(d.Message, tc.message) || !strings.Contains(d.Hint, tc.hint) {
			t.Errorf("%s: message %q hint %q, want %q and %q", tc.check.Text, d.Message, d.Hint, tc.message, tc.hint)
		}
	}
}

func TestKnownNames(t *testing.T) {
	c := testCatalog()
	for name, want := range map[string]bool{
		"socketio.response_time.p99":      true,
		"socketio.response_time.ping.p95": true,
		"socketio.response_time.ping.p42": false,
		"errors.anything at all":          true,
		"errors.":                         false,
		"generator.cpu":                   true,
		"socketio.emit_rate":              true,
		"socketio.emit_rat":               false,
	} {
		if got := c.Known(name); got != want {
			t.Errorf("Known(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestValueSourceHook(t *testing.T) {
	cat := testCatalog()
	cat.AddSource(ValueSource{
		Names: []string{"breaking_point.capacity"},
		Fill:  func(in Input, v Values) { v["breaking_point.capacity"] = float64(len(in.Windows)) },
	})
	g, err := NewGate([]scenario.EnsureCheck{condition("breaking_point.capacity >= 2", true)}, cat)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Aggregate: fixedSnapshot(t), Windows: make([]report.Window, 2)}
	if r := g.Evaluate(in)[0]; !r.Passed {
		t.Errorf("%+v", r)
	}
}

func TestEvaluateEarlyWaitsForTheDelayAndForValues(t *testing.T) {
	stop := condition("vusers.failed == 0", true)
	stop.AbortOnFail, stop.After = true, 5*time.Second
	noValue := thresholdCheck("socketio.connect_time.p99", 1)
	noValue.AbortOnFail = true
	report := condition("vusers.failed == 0", true) // evaluated at the end only
	g := gate(t, noValue, report, stop)
	in := Input{Aggregate: fixedSnapshot(t)}
	if r, stopped := g.EvaluateEarly(4*time.Second, func() Input { return in }); stopped {
		t.Errorf("stopped before the delay: %+v", r)
	}
	r, stopped := g.EvaluateEarly(5*time.Second, func() Input { return in })
	if !stopped || !r.StoppedRun || r.At != 5*time.Second || r.Text != stop.Text {
		t.Errorf("after the delay: %v %+v", stopped, r)
	}
}

func TestBracketedNamePart(t *testing.T) {
	snap := fixedSnapshot(t)
	snap.Histograms["socketio.response_time.echo-event"] = snap.Histograms["socketio.response_time"]
	r := gate(t, condition(`socketio.response_time["echo-event"].p95 > 95 and socketio.response_time["echo-event"].p95 < 96`, true)).Evaluate(Input{Aggregate: snap})[0]
	if !r.Passed || len(r.Values) != 1 || r.Values[0].Name != "socketio.response_time.echo-event.p95" {
		t.Errorf("%+v", r)
	}
	_, err := NewGate([]scenario.EnsureCheck{condition("socketio.response_time.echo-event.p95 < 1", true)}, testCatalog())
	if err == nil || !strings.Contains(err.Error(), `written in brackets: socketio.response_time["echo-event"].p95`) {
		t.Errorf("no hint for a name with \"-\": %v", err)
	}
}
