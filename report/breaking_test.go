package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestBreakingPointOfRecordedRuns analyses runs recorded against the
// built-in target (go test ./report -run TestStress -record rewrites them):
// a stress ramp past a capacity of 100 events/s, a load at half of it, and
// a stress run on a machine starved by other work, where the generator fell
// behind (breaking-generator.json, which -record leaves alone).
func TestBreakingPointOfRecordedRuns(t *testing.T) {
	for _, tc := range []struct {
		name    string
		verdict string
	}{
		{"stress", VerdictBroken},
		{"load", VerdictNone},
		{"generator", VerdictInconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := ReadJSON("testdata/breaking-" + tc.name + ".json")
			if err != nil {
				t.Fatal(err)
			}
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
			golden(t, "breaking-"+tc.name+".golden", bp.Summary+"\n\n"+string(enc)+"\n")
		})
	}
}

// windows builds one-second windows from a compact description: offered
// arrivals/s, emits/s, responses, p99 ms and errors per window.
type win struct {
	errCode        string // of the errors; "" is ack timeout
	offered, emits float64
	responses      int64
	p99            float64
	errors         int64
	lag, cpu       float64
	// traced messages: delivery p99 ms, recipients expected and reached
	delivery            float64
	expected, delivered int64
}

func windows(ws ...win) []Window {
	start := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	out := make([]Window, len(ws))
	for i, w := range ws {
		out[i] = Window{
			Start: start.Add(time.Duration(i) * time.Second), Seconds: 1,
			Offered: w.offered, Achieved: w.offered, Active: int64(2 * w.offered), Emits: w.emits,
			Responses: w.responses, ResponseP95: w.p99 * 0.8, ResponseP99: w.p99,
			Completed: int64(w.offered), ArrivalLagP99: w.lag, CPU: w.cpu,
			DeliveryP99: w.delivery, Expected: w.expected, Delivered: w.delivered,
		}
		if w.delivery > 0 {
			out[i].Deliveries = w.delivered
		}
		if w.errors > 0 {
			code := w.errCode
			if code == "" {
				code = "ack timeout"
			}
			out[i].Errors = map[string]int64{code: w.errors}
			out[i].Failed = w.errors
		}
	}
	return out
}

// healthy is a window at rate r arrivals/s, each emitting 4 acked events
// answered within 4 ms at p99.
func healthy(r float64) win { return win{offered: r, emits: 4 * r, responses: int64(4 * r), p99: 4} }

func TestFindBreakingPoint(t *testing.T) {
	slow := func(r, p99 float64) win { w := healthy(r); w.p99 = p99; return w }
	failing := func(r float64, errs int64) win { w := healthy(r); w.errors = errs; return w }
	saturated := func(r, emits float64) win {
		return win{offered: r, emits: emits, responses: int64(emits), p99: 4}
	}
	lagging := func(r, lag float64) win { w := slow(r, 400); w.lag = lag; return w }
	busy := func(r float64) win { w := slow(r, 400); w.cpu = 0.95; return w }
	// broadcast: r arrivals/s, a room's messages delivered at p99 delivery
	// ms to reached of 100 recipients.
	broadcast := func(r, delivery float64, reached int64) win {
		w := healthy(r)
		w.delivery, w.expected, w.delivered = delivery, 100, reached
		return w
	}

	for _, tc := range []struct {
		name       string
		ws         []Window
		th         func(*Thresholds)
		verdict    string
		capacity   float64 // offered arrivals/s of the capacity window; 0: none
		firstBad   int     // window index; -1: none
		reasonKind string
		summary    string // a part of the summary
	}{
		{
			name:    "steady and healthy",
			ws:      windows(healthy(10), healthy(10), healthy(10), healthy(10), healthy(10), healthy(10)),
			verdict: VerdictNone, capacity: 10, firstBad: -1,
			summary: "No breaking point: the target kept up with up to 10 arrivals/s (≈ 40 emits/s, 20 VUs)",
		},
		{
			name: "p99 past 3× the baseline for three seconds",
			ws: windows(healthy(10), healthy(20), slow(30, 30), healthy(40), healthy(50), healthy(60),
				slow(70, 60), slow(80, 200), slow(90, 900), slow(100, 2000)),
			verdict: VerdictBroken, capacity: 60, firstBad: 6, reasonKind: ReasonLatency,
			summary: "Breaking point: at 60 arrivals/s (≈ 240 emits/s, 120 VUs) from 6s: p99 60 ms > 50 ms (floor; baseline 4 ms).",
		},
		{
			name:    "a two-second spike is not sustained",
			ws:      windows(healthy(10), healthy(10), slow(10, 500), slow(10, 500), healthy(10), healthy(10)),
			verdict: VerdictNone, capacity: 10, firstBad: -1,
		},
		{
			name: "absolute p99 limit",
			ws: windows(slow(10, 30), slow(10, 30), slow(10, 30), slow(20, 90), slow(30, 120),
				slow(40, 150), slow(50, 160)),
			th:      func(th *Thresholds) { th.P99 = 100; th.P99Factor = 0 },
			verdict: VerdictBroken, capacity: 20, firstBad: 4, reasonKind: ReasonLatency,
			summary: "p99 120 ms > 100 ms.",
		},
		{
			name: "delivery p99 past its limit",
			ws: windows(broadcast(10, 20, 100), broadcast(20, 30, 100), broadcast(30, 80, 100),
				broadcast(40, 300, 100), broadcast(50, 400, 100), broadcast(60, 500, 100)),
			th:      func(th *Thresholds) { th.DeliveryP99 = 200 },
			verdict: VerdictBroken, capacity: 30, firstBad: 3, reasonKind: ReasonDelivery,
			summary: "delivery p99 300 ms > 200 ms",
		},
		{
			name: "reach below its limit",
			ws: windows(broadcast(10, 20, 100), broadcast(20, 20, 100), broadcast(30, 20, 100),
				broadcast(40, 20, 97), broadcast(50, 20, 90), broadcast(60, 20, 80)),
			th:      func(th *Thresholds) { th.MinReach = 99 },
			verdict: VerdictBroken, capacity: 30, firstBad: 3, reasonKind: ReasonReach,
			summary: "reach 97.0% < 99% (97 of 100 recipients)",
		},
		{
			name: "delivery and reach are off by default",
			ws:   windows(broadcast(10, 20, 100), broadcast(20, 900, 50), broadcast(30, 900, 50), broadcast(40, 900, 50)),
			// The last second is the run's end, not its peak.
			verdict: VerdictNone, capacity: 30, firstBad: -1,
		},
		{
			name:    "errors past 5% of outcomes",
			ws:      windows(healthy(10), healthy(20), failing(30, 2), failing(40, 12), failing(50, 30), failing(60, 60)),
			verdict: VerdictBroken, capacity: 30, firstBad: 3, reasonKind: ReasonErrors,
			summary: "errors 7% > 5% (ack timeout 12)",
		},
		{
			name: "saturation: emits stop following the offered rate",
			ws: windows(healthy(10), healthy(20), healthy(30), healthy(40), saturated(50, 170),
				saturated(60, 160), saturated(70, 160), saturated(80, 160), saturated(90, 160)),
			// The yield is summed over three windows: it falls past 30% at
			// the third saturated one.
			verdict: VerdictBroken, capacity: 60, firstBad: 6, reasonKind: ReasonSaturation,
			summary: "emits per arrival",
		},
		{
			name: "saturation off",
			ws:   windows(healthy(10), healthy(20), healthy(30), healthy(40), saturated(50, 170), saturated(60, 160), saturated(70, 160), saturated(80, 160)),
			th:   func(th *Thresholds) { th.Saturation = 0 },
			// The run's last window is left out of the peak: in a real
			// run it is a partial second of winding down.
			verdict: VerdictNone, capacity: 70, firstBad: -1,
		},
		{
			name:    "offered falling is not saturation",
			ws:      windows(healthy(40), healthy(40), healthy(40), saturated(10, 160), saturated(5, 100), saturated(1, 60), saturated(1, 4), saturated(1, 4)),
			verdict: VerdictNone, capacity: 40, firstBad: -1,
		},
		{
			name:    "broken from the start",
			ws:      windows(failing(10, 20), failing(10, 20), failing(10, 20), failing(10, 20)),
			verdict: VerdictBroken, firstBad: 0, reasonKind: ReasonErrors,
			summary: "overloaded from the start",
		},
		{
			name: "a balancer that is not sticky is not an overloaded target",
			ws: windows(func() win { w := failing(10, 20); w.errCode = "Session ID unknown"; return w }(),
				func() win { w := failing(10, 20); w.errCode = "Session ID unknown"; return w }(),
				func() win { w := failing(10, 20); w.errCode = "Session ID unknown"; return w }(),
				func() win { w := failing(10, 20); w.errCode = "Session ID unknown"; return w }()),
			verdict: VerdictInconclusive, firstBad: 0, reasonKind: ReasonErrors,
			summary: "60 of the 60 errors from 0s were Session ID unknown (the load balancer sent requests of one Engine.IO session to different backends",
		},
		{
			name:    "generator lag during the bad run",
			ws:      windows(healthy(10), healthy(20), healthy(30), lagging(40, 150), lagging(50, 300), lagging(60, 400), lagging(70, 500)),
			verdict: VerdictInconclusive, capacity: 30, firstBad: 3, reasonKind: ReasonLatency,
			summary: "inconclusive: the generator was limited at 3s: VUs started 150 ms late",
		},
		{
			name:    "generator CPU saturated",
			ws:      windows(healthy(10), healthy(20), healthy(30), busy(40), busy(50), busy(60)),
			verdict: VerdictInconclusive, capacity: 30, firstBad: 3,
			summary: "its CPU was 95% of all cores",
		},
		{
			name:    "generator limited without a break",
			ws:      windows(healthy(10), healthy(20), func() win { w := healthy(30); w.cpu = 0.97; return w }(), func() win { w := healthy(40); w.cpu = 0.97; return w }(), func() win { w := healthy(50); w.cpu = 0.97; return w }()),
			verdict: VerdictInconclusive, capacity: 40, firstBad: -1,
			summary: "the generator was limited from 2s",
		},
		{
			name:    "too short to judge",
			ws:      windows(healthy(10), healthy(10)),
			verdict: VerdictNone, firstBad: -1,
			summary: "No breaking point: the run was too short to judge (2 window(s) of 1 s; a breaking point must last 3 s).",
		},
		{
			name:    "no windows",
			verdict: VerdictInconclusive, firstBad: -1,
			summary: "no per-second windows",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := DefaultThresholds()
			if tc.th != nil {
				tc.th(&th)
			}
			bp := FindBreakingPoint(tc.ws, th)
			if bp.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s", bp.Verdict, tc.verdict)
			}
			switch {
			case tc.capacity == 0 && bp.Capacity != nil:
				t.Errorf("capacity %+v, want none", *bp.Capacity)
			case tc.capacity != 0 && (bp.Capacity == nil || bp.Capacity.Offered != tc.capacity):
				t.Errorf("capacity %+v, want %v arrivals/s", bp.Capacity, tc.capacity)
			}
			switch {
			case tc.firstBad < 0 && bp.FirstBad != nil:
				t.Errorf("first bad window %d, want none", bp.FirstBad.Window)
			case tc.firstBad >= 0 && (bp.FirstBad == nil || bp.FirstBad.Window != tc.firstBad):
				t.Errorf("first bad window %+v, want %d", bp.FirstBad, tc.firstBad)
			}
			if tc.reasonKind != "" && !hasReason(bp.Reasons, tc.reasonKind) {
				t.Errorf("reasons %+v, want one of kind %s", bp.Reasons, tc.reasonKind)
			}
			if !strings.Contains(bp.Summary, tc.summary) {
				t.Errorf("summary %q, want it to contain %q", bp.Summary, tc.summary)
			}
			if t.Failed() {
				t.Log(bp.Summary)
			}
		})
	}
}

func hasReason(rs []Reason, kind string) bool {
	for _, r := range rs {
		if r.Kind == kind {
			return true
		}
	}
	return false
}

func TestErrorRatio(t *testing.T) {
	for _, tc := range []struct {
		w             Window
		hasResponses  bool
		want          float64
		wantInSummary string
	}{
		{Window{Responses: 95, Errors: map[string]int64{"ack timeout": 5}}, true, 0.05, ""},
		{Window{Responses: 0, Errors: map[string]int64{"ECONNREFUSED": 3}}, true, 1, ""},
		{Window{Completed: 9, Failed: 1, Errors: map[string]int64{"Failed match": 1}}, false, 0.1, ""},
		{Window{Responses: 10}, true, 0, ""},
	} {
		if got := ErrorRatio(tc.w, tc.hasResponses); got != tc.want {
			t.Errorf("ErrorRatio(%+v) = %v, want %v", tc.w, got, tc.want)
		}
	}
}

func TestGroupDigits(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {0.854, "0.85"}, {12.34, "12.3"}, {412.4, "412"}, {1650, "1,650"},
		{2310.2, "2,310"}, {1234567, "1,234,567"}, {-1500, "-1,500"},
	} {
		if got := groupDigits(tc.in); got != tc.want {
			t.Errorf("groupDigits(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestAnalysisFallsBackToIntervals analyses a report with intervals and no
// windows: each interval is one window.
func TestAnalysisFallsBackToIntervals(t *testing.T) {
	snap := fixedSnapshot(t)
	enc, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{SchemaVersion: SchemaVersion, Intermediate: []json.RawMessage{enc, enc, enc}}
	ws, err := rep.AnalysisWindows()
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 3 || ws[0].Seconds != 10 || ws[0].Offered != 1 {
		t.Fatalf("windows from intervals: %+v", ws)
	}
	bp, err := rep.Analyze(DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	// 1 error in 101 outcomes, p99 of 1..100 ms against itself: healthy.
	if bp.Verdict != VerdictNone || bp.WindowSeconds != 10 {
		t.Errorf("verdict %s over %v s windows: %s", bp.Verdict, bp.WindowSeconds, bp.Summary)
	}
}
