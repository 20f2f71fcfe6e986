package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockload/sockload/metrics"
)

// shardReport builds the report of one shard: n VUs each recording the
// given response times, over one 10 s interval made of two windows.
func shardReport(t *testing.T, shard string, start time.Time, responses []time.Duration) *Report {
	t.Helper()
	reg := metrics.New(start, metrics.Options{})
	rec := reg.Recorder(1)
	rt := reg.Histogram("socketio.response_time")
	reg.Counter("vusers.created").Add(int64(len(responses)))
	reg.Counter("socketio.emit").Add(int64(len(responses)))
	half := len(responses) / 2
	for _, d := range responses[:half] {
		rec.Record(rt, d)
	}
	w1 := windowOf(reg.Rotate(start.Add(time.Second)), Progress{Active: 1}, int64(half), 2)
	for _, d := range responses[half:] {
		rec.Record(rt, d)
	}
	second := reg.Rotate(start.Add(2 * time.Second))
	w2 := windowOf(second, Progress{Active: 2}, int64(len(responses)-half), 2)
	whole, err := metrics.Merge(w1Snapshot(t, w1, start), second)
	if err != nil {
		t.Fatal(err)
	}
	whole.Counters = map[string]int64{"vusers.created": int64(len(responses)), "socketio.emit": int64(len(responses))}
	enc, _ := json.Marshal(whole)
	return &Report{
		SchemaVersion: SchemaVersion,
		Plan:          []PlanPhase{{Description: "count", ExpectedArrival: float64(len(responses))}},
		Run:           RunInfo{Start: start, End: start.Add(2 * time.Second), Launched: int64(len(responses)), Shard: shard},
		Aggregate:     whole,
		Intermediate:  []json.RawMessage{enc},
		Windows:       []Window{w1, w2},
		Generator:     Generator{Cores: 2},
	}
}

// w1Snapshot rebuilds the first window's snapshot from its histograms.
func w1Snapshot(t *testing.T, w Window, start time.Time) metrics.Snapshot {
	t.Helper()
	s := metrics.Snapshot{Start: start, End: start.Add(time.Second), Histograms: map[string]*hdrhistogram.Histogram{}}
	for _, enc := range w.Histograms {
		h, err := enc.Decode()
		if err != nil {
			t.Fatal(err)
		}
		s.Histograms[enc.Metric] = h
	}
	return s
}

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestMergeShardsIsExact(t *testing.T) {
	start := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	a := durations(1, 2, 3, 4, 500, 600)
	b := durations(10, 20, 30, 40)
	merged, err := Merge([]*Report{
		shardReport(t, "2/2", start, b),
		shardReport(t, "1/2", start, a),
	})
	if err != nil {
		t.Fatal(err)
	}
	if merged.Aggregate.Counters["vusers.created"] != 10 || merged.Run.Launched != 10 || merged.Plan[0].ExpectedArrival != 10 {
		t.Errorf("counts do not add up: %v, run %+v, plan %+v", merged.Aggregate.Counters, merged.Run, merged.Plan)
	}
	// The merged histogram is the histogram of all values: percentiles
	// of the whole, not averages of the shards'.
	whole := metrics.NewHistogram()
	for _, d := range append(a, b...) {
		whole.RecordValue(d.Microseconds())
	}
	if !merged.Aggregate.Histograms["socketio.response_time"].Equals(whole) {
		t.Error("the merged aggregate histogram is not the histogram of the whole")
	}
	intervals, err := merged.Intervals()
	if err != nil || len(intervals) != 1 || !intervals[0].Histograms["socketio.response_time"].Equals(whole) {
		t.Errorf("intervals of the same wall-clock span were not merged into one exact interval: %d, %v", len(intervals), err)
	}
	if len(merged.Windows) != 2 {
		t.Fatalf("%d windows, want 2 (one per second)", len(merged.Windows))
	}
	w := merged.Windows[1]
	if w.Active != 4 || w.Responses != 5 {
		t.Errorf("second window: active %d, responses %d; want 4 and 5", w.Active, w.Responses)
	}
	// 600 ms to HdrHistogram's three significant digits: the shard
	// with the 600 ms value decides, as in the merged histogram.
	if w.ResponseP99 < 600 || w.ResponseP99 >= 601 {
		t.Errorf("the second window's p99 is %.3f ms, want 600 (from the merged histogram)", w.ResponseP99)
	}
	if w.Achieved != 5 {
		t.Errorf("achieved %.1f/s, want 5", w.Achieved)
	}
}

func TestMergeRefusesIncompleteSplits(t *testing.T) {
	start := time.Now()
	r := func(shard string) *Report { return shardReport(t, shard, start, durations(1, 2)) }
	for name, tc := range map[string]struct {
		reports []*Report
		want    string
	}{
		"missing":    {[]*Report{r("1/3"), r("3/3")}, "2/3 missing"},
		"twice":      {[]*Report{r("1/2"), r("1/2"), r("2/2")}, "given twice"},
		"two splits": {[]*Report{r("1/2"), r("2/3")}, "different splits"},
		"mixed":      {[]*Report{r("1/2"), r("")}, "whole run"},
		"nothing":    {nil, "nothing to merge"},
	} {
		if _, err := Merge(tc.reports); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
}

// Shards run on one machine share its cores: merged, they are not a machine
// of twice as many, and their CPU shares of it add up.
func TestMergedShardsOfOneMachineCountItsCoresOnce(t *testing.T) {
	start := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name         string
		hostA, hostB string
		cores        int
		cpu          float64
	}{
		{"one machine", "gen-1", "gen-1", 2, 0.8},
		{"two machines", "gen-1", "gen-2", 4, 0.4},
		{"hosts unknown", "", "", 4, 0.4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := shardReport(t, "1/2", start, durations(1, 2)), shardReport(t, "2/2", start, durations(3, 4))
			a.Generator.Host, b.Generator.Host = tc.hostA, tc.hostB
			a.Generator.CPU, b.Generator.CPU = 0.4, 0.4
			for _, r := range []*Report{a, b} {
				for i := range r.Windows {
					r.Windows[i].CPU = 0.4
				}
			}
			merged, err := Merge([]*Report{a, b})
			if err != nil {
				t.Fatal(err)
			}
			if merged.Generator.Cores != tc.cores || merged.Generator.CPU != tc.cpu {
				t.Errorf("merged generator %+v, want %d cores at %.1f", merged.Generator, tc.cores, tc.cpu)
			}
			if got := merged.Windows[0].CPU; got < tc.cpu-1e-9 || got > tc.cpu+1e-9 {
				t.Errorf("merged window CPU %.2f, want %.1f", got, tc.cpu)
			}
		})
	}
}
