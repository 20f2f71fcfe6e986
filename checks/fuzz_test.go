package checks

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
)

// FuzzCheckParse feeds command line thresholds and condition expressions
// through parsing, compiling and evaluating: none may panic, and a check
// that compiles must evaluate to a result on a snapshot. Oracle: a
// threshold "name<limit" passes exactly when the condition
// metric("name") < limit, evaluated by the expression language, holds.
func FuzzCheckParse(f *testing.F) {
	for _, seed := range []string{
		"socketio.response_time.p99<500",
		"vusers.failed == 0",
		`errors["ack timeout"] < 3 and not (generator.saturated == 1)`,
		`metric("errors.ack timeout") + vusers.failed * 2 >= 1 or socketio.emit_rate > 0.5`,
		"socketio.response_time.p99 <",
		"((((",
	} {
		f.Add(seed)
	}
	start := time.Date(2026, 11, 27, 15, 40, 0, 0, time.UTC)
	reg := metrics.New(start, metrics.Options{Rates: map[string]string{"socketio.emit_rate": "socketio.emit"}})
	reg.Counter("vusers.created").Add(10)
	reg.Counter("vusers.failed").Add(1)
	reg.Counter("socketio.emit").Add(40)
	reg.Recorder(1).Record(reg.Histogram("socketio.response_time"), 5*time.Millisecond)
	in := Input{Aggregate: reg.Rotate(start.Add(10 * time.Second)), Cores: 2}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseThreshold(s)
		if err != nil {
			return
		}
		g, err := NewGate([]scenario.EnsureCheck{c}, testCatalog())
		if err != nil {
			if err.Error() == "" {
				t.Errorf("an empty error for %q", s)
			}
			return
		}
		results := g.Evaluate(in)
		if len(results) != 1 || results[0].Text == "" {
			t.Fatalf("%q evaluated to %+v", s, results)
		}
		if c.Kind != scenario.EnsureThreshold || strings.ContainsAny(c.Metric, `\"`) {
			return
		}
		cond := scenario.EnsureCheck{Kind: scenario.EnsureCondition, Strict: true, File: "fuzz",
			Expression: fmt.Sprintf("metric(%q) < %s", c.Metric, strconv.FormatFloat(c.Limit, 'g', -1, 64))}
		cond.Text = cond.Expression
		cg, err := NewGate([]scenario.EnsureCheck{cond}, testCatalog())
		if err != nil {
			t.Fatalf("the threshold %q compiles, its condition %q does not: %v", s, cond.Expression, err)
		}
		r, want := results[0], cg.Evaluate(in)[0]
		if r.Passed != want.Passed || (r.Problem == "") != (want.Problem == "") {
			t.Fatalf("threshold %q: passed %v (%s); condition %q: passed %v (%s)", s, r.Passed, r.Problem, cond.Expression, want.Passed, want.Problem)
		}
	})
}
