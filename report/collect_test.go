package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

var updateCollect = flag.Bool("update-collect", false, "rewrite testdata/collect.golden.json from the current collector")

// arrivalHistograms and arrivalCounters are what a VU of the naive-compare
// arrivals shape (connect by websocket, one acked emit, leave) records.
var (
	arrivalHistograms = []string{
		engine.MetricArrivalLag, engine.MetricConnectTime, engine.MetricConnectTimeOf + "websocket",
		engine.MetricResponseTime, engine.MetricResponseTimeOfEvent + "ping", engine.MetricSessionLength,
	}
	arrivalCounters = []string{
		engine.MetricVUsersCreated, engine.MetricVUsersCreatedByName + "scenario 1", engine.MetricVUsersCompleted,
		engine.MetricEmit, engine.MetricMessagesReceived, engine.MetricBytesReceived, engine.MetricSessions + "websocket",
	}
)

// arrivalRecorder records arrivals into a registry the way the engine does:
// each VU on the recorder of its id, each of its histograms once.
type arrivalRecorder struct {
	reg      *metrics.Registry
	hists    []metrics.Histogram
	counters []metrics.Counter
	cpu      metrics.Counter
	x        uint64
	nextID   uint64
}

func newArrivalRecorder(reg *metrics.Registry) *arrivalRecorder {
	a := &arrivalRecorder{reg: reg, x: 0x9e3779b97f4a7c15, cpu: reg.Counter(engine.MetricCPU)}
	for _, name := range arrivalHistograms {
		a.hists = append(a.hists, reg.Histogram(name))
	}
	for _, name := range arrivalCounters {
		a.counters = append(a.counters, reg.Counter(name))
	}
	return a
}

// latency is a spread of latencies in µs, mostly around a millisecond with a
// tail to 200 ms (xorshift, so that runs are the same).
func (a *arrivalRecorder) latency() int64 {
	a.x ^= a.x << 13
	a.x ^= a.x >> 7
	a.x ^= a.x << 17
	if a.x%50 == 0 {
		return int64(a.x%200_000) + 1
	}
	return int64(a.x%3_000) + 50
}

// arrive records n arrivals.
func (a *arrivalRecorder) arrive(n int) {
	for range n {
		a.nextID++
		rec := a.reg.Recorder(a.nextID)
		for _, h := range a.hists {
			rec.RecordMicros(h, a.latency())
		}
		for _, c := range a.counters {
			c.Inc()
		}
	}
	a.cpu.Add(int64(n) * 1000)
}

// collectSeconds feeds a collector perSecond[i] arrivals in second i, from
// start, closing an interval every 10 s, and returns what it collected.
func collectSeconds(t testing.TB, start time.Time, perSecond []int) Results {
	reg := metrics.New(start, metrics.Options{Interval: 10 * time.Second, Rates: engine.Rates, Shards: 2})
	c := NewCollector(reg, 10*time.Second)
	c.Cores = 2
	launched := int64(0)
	c.Progress = func() Progress { return Progress{Active: 3, Launched: launched} }
	a := newArrivalRecorder(reg)
	for i, n := range perSecond {
		a.arrive(n)
		launched += int64(n)
		at := start.Add(time.Duration(i+1) * time.Second)
		c.take(at, at.Truncate(10*time.Second).Equal(at) || i == len(perSecond)-1)
	}
	res, err := c.Results()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// collectedRun is a run with busy seconds, quiet ones (nothing recorded)
// and an interval with no arrivals at all.
var collectedRun = []int{100, 100, 100, 0, 0, 250, 1, 100, 100, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 37, 100, 0, 1000, 3}

// TestCollectorKeepsItsReportExactly compares everything a collector
// gathers (the aggregate, the encoded intervals, the windows) with what it
// gathered before its merging was made proportional to what was recorded,
// byte for byte (testdata/collect.golden.json, written by the collector
// that merged and cleared whole histograms).
func TestCollectorKeepsItsReportExactly(t *testing.T) {
	start := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	res := collectSeconds(t, start, collectedRun)
	got, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "collect.golden.json")
	if *updateCollect {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("the collected report differs from %s (rerun with -update-collect only for a change meant to change it)", golden)
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				lo := max(i-200, 0)
				t.Logf("first difference at byte %d:\ngot  …%s\nwant …%s", i, got[lo:min(i+200, len(got))], want[lo:min(i+200, len(want))])
				break
			}
		}
	}
}

// BenchmarkCollectorSecond is the collector's work each second: rotating
// the registry, the window, adding to the interval, and closing the
// interval every tenth second, with a given number of arrivals recorded in
// the second (those of the naive-compare arrivals shape). Recording is
// outside the timer.
func BenchmarkCollectorSecond(b *testing.B) {
	for _, arrivals := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("arrivals=%d", arrivals), func(b *testing.B) {
			start := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
			reg := metrics.New(start, metrics.Options{Interval: 10 * time.Second, Rates: engine.Rates, Shards: 2})
			c := NewCollector(reg, 10*time.Second)
			c.Cores = 2
			a := newArrivalRecorder(reg)
			at := start
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				a.arrive(arrivals)
				at = at.Add(time.Second)
				b.StartTimer()
				c.take(at, at.Truncate(10*time.Second).Equal(at))
			}
		})
	}
}
