package report

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
)

// TestVerdicts keeps the verdicts of runs that were misjudged once as
// goldens (go test ./report -run TestVerdicts -update rewrites them).
func TestVerdicts(t *testing.T) {
	start := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	refused := func(ws []Window) []Window {
		for i := range ws {
			ws[i].Responses, ws[i].ResponseP99, ws[i].ResponseP95, ws[i].Emits, ws[i].Completed = 0, 0, 0, 0, 0
			ws[i].Failed = int64(ws[i].Offered)
			ws[i].Errors = map[string]int64{"ECONNREFUSED": int64(ws[i].Offered)}
		}
		return ws
	}
	// partialFirst makes the first window the run's first 0.738 s, holding
	// a 5/s phase's first 5 arrivals: 6.77/s if extrapolated.
	partialFirst := func(ws []Window) []Window {
		ws[0].Seconds, ws[0].Offered, ws[0].Achieved = 0.738, 5/0.738, 5/0.738
		return ws
	}
	// shedding is a target that serves 100 events/s and answers the rest
	// with {"error":"overloaded"} at once: emits keep up with the ramp,
	// successes stay at 100/s, error acks grow.
	shedding := func() []Window {
		var ws []Window
		for i, r := range []float64{10, 20, 25, 30, 35, 40, 45, 50} {
			emits := 4 * r
			ok := min(emits, 100)
			w := Window{Start: start.Add(time.Duration(i) * time.Second), Seconds: 1,
				Offered: r, Achieved: r, Active: int64(2 * r), Emits: emits,
				Responses: int64(ok), ResponseP95: 3, ResponseP99: 4, Completed: int64(r), ErrorAcks: int64(emits - ok)}
			ws = append(ws, w)
		}
		return ws
	}
	broken := func(ws []Window, from int) []Window {
		for i := from; i < len(ws); i++ {
			ws[i].ResponseP99 = 900
		}
		return ws
	}
	for _, tc := range []struct {
		name    string
		ws      []Window
		samples []metrics.ErrorSample
		verdict string
	}{
		{
			name: "failing-from-second-0", verdict: VerdictFailing,
			ws: refused(windows(healthy(5), healthy(5), healthy(5), healthy(5), healthy(5))),
			samples: []metrics.ErrorSample{{Code: "ECONNREFUSED", VU: 1, At: start.Add(3 * time.Millisecond),
				Message: "connecting /: nothing listens at 127.0.0.1:3999: dial tcp 127.0.0.1:3999: connect: connection refused"}},
		},
		{
			name: "constant-phase", verdict: VerdictNone,
			ws: partialFirst(windows(healthy(5), healthy(5), healthy(5), healthy(5), healthy(5), healthy(5))),
		},
		{
			name: "constant-phase-broken", verdict: VerdictBroken,
			ws: broken(partialFirst(windows(healthy(5), healthy(5), healthy(5), healthy(5), healthy(5), healthy(5), healthy(5))), 3),
		},
		{
			name: "shedding-target", verdict: VerdictBroken,
			ws: shedding(),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &Report{Windows: tc.ws, FirstErrors: tc.samples, Run: RunInfo{Start: start}}
			bp, err := rep.Analyze(DefaultThresholds())
			if err != nil {
				t.Fatal(err)
			}
			if bp.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s: %s", bp.Verdict, tc.verdict, bp.Summary)
			}
			enc, err := json.MarshalIndent(bp, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "verdict-"+tc.name+".golden", bp.Summary+"\n\n"+string(enc)+"\n")
		})
	}
}
