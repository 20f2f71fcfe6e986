package checks

import (
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
)

// FuzzCheckParse feeds command line thresholds and condition expressions
// through parsing, compiling and evaluating: none may panic, and a check
// that compiles must evaluate to a result on a snapshot.
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
			t.Errorf("%q evaluated to %+v", s, results)
		}
	})
}
