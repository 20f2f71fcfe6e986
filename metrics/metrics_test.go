package metrics

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

// sameCounts reports whether two histograms hold the same count in every
// bucket.
func sameCounts(t *testing.T, name string, got, want *hdrhistogram.Histogram) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: histogram missing (got %v, want %v)", name, got, want)
	}
	if !got.Equals(want) || !slices.Equal(got.Export().Counts, want.Export().Counts) {
		t.Fatalf("%s: histograms differ: got %d values (min %d max %d), want %d (min %d max %d)",
			name, got.TotalCount(), got.Min(), got.Max(), want.TotalCount(), want.Min(), want.Max())
	}
}

func TestRecordAndRotate(t *testing.T) {
	r := New(t0, Options{Shards: 4, Rates: map[string]string{"socketio.emit_rate": "socketio.emit"}})
	emits := r.Counter("socketio.emit")
	r.Counter("vusers.failed") // registered, never incremented
	rt := r.Histogram("socketio.response_time")
	r.Histogram("socketio.response_time.never")

	for i := range 20 {
		emits.Inc()
		r.Recorder(uint64(i)).Record(rt, time.Duration(i+1)*time.Millisecond)
	}
	r.Counter("socketio.emit").Add(5) // the same counter, looked up again

	s := r.Rotate(t0.Add(10 * time.Second))
	if s.Start != t0 || s.End != t0.Add(10*time.Second) {
		t.Errorf("span [%v, %v), want [%v, %v)", s.Start, s.End, t0, t0.Add(10*time.Second))
	}
	wantCounters := map[string]int64{"socketio.emit": 25, "vusers.failed": 0}
	if !mapsEqual(s.Counters, wantCounters) {
		t.Errorf("counters %v, want %v", s.Counters, wantCounters)
	}
	if got := s.Rates()["socketio.emit_rate"]; got != 2.5 {
		t.Errorf("emit rate %v/s, want 2.5/s", got)
	}
	if len(s.Histograms) != 1 {
		t.Fatalf("histograms %v, want only socketio.response_time", s.Histograms)
	}
	h := s.Histograms["socketio.response_time"]
	if h.TotalCount() != 20 || h.Min() != 1000 || !h.ValuesAreEquivalent(h.Max(), 20000) {
		t.Errorf("response_time: %d values from %d to %d µs, want 20 from 1000 to 20000", h.TotalCount(), h.Min(), h.Max())
	}

	// The next interval starts empty.
	emits.Inc()
	s2 := r.Rotate(t0.Add(20 * time.Second))
	if s2.Start != s.End || s2.Counters["socketio.emit"] != 1 || len(s2.Histograms) != 0 {
		t.Errorf("second interval: start %v, counters %v, %d histograms", s2.Start, s2.Counters, len(s2.Histograms))
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestRecordClampsIntoTheGeometry(t *testing.T) {
	r := New(t0, Options{})
	h := r.Histogram("x")
	rec := r.Recorder(0)
	for _, d := range []time.Duration{-time.Second, 0, 499 * time.Nanosecond, 500 * time.Nanosecond, 2 * time.Hour} {
		rec.Record(h, d)
	}
	rec.RecordMicros(h, -5)
	got := r.Rotate(t0).Histograms["x"]
	want := NewHistogram()
	for _, us := range []int64{1, 1, 1, 1, HighestValue, 1} {
		_ = want.RecordValue(us)
	}
	sameCounts(t, "clamped", got, want)
}

func TestHandleOfAnotherRegistryPanics(t *testing.T) {
	a, b := New(t0, Options{}), New(t0, Options{})
	h := a.Histogram("x")
	defer func() {
		if recover() == nil {
			t.Error("recording a handle of another registry did not panic")
		}
	}()
	b.Recorder(0).Record(h, time.Millisecond)
}

// TestRecordEachIsARecordPerHistogram: RecordEach leaves each of its
// histograms as one Record of the duration into each would, clamping
// and rounding alike, and the histograms it was not given untouched.
func TestRecordEachIsARecordPerHistogram(t *testing.T) {
	each, one := New(t0, Options{Shards: 2}), New(t0, Options{Shards: 2})
	names := []string{"socketio.response_time", "socketio.response_time.ping", "other"}
	for _, n := range names {
		each.Histogram(n)
		one.Histogram(n)
	}
	durations := []time.Duration{-time.Second, 0, 499 * time.Nanosecond, 1500 * time.Nanosecond, 42 * time.Millisecond, 2 * time.Hour}
	for i, d := range durations {
		each.Recorder(uint64(i)).RecordEach(d, each.Histogram(names[0]), each.Histogram(names[1]))
		for _, n := range names[:2] {
			one.Recorder(uint64(i)).Record(one.Histogram(n), d)
		}
	}
	got, want := each.Rotate(t0), one.Rotate(t0)
	for _, n := range names[:2] {
		if got.Histograms[n].TotalCount() != int64(len(durations)) {
			t.Errorf("%s: %d values, want %d", n, got.Histograms[n].TotalCount(), len(durations))
		}
		sameCounts(t, n, got.Histograms[n], want.Histograms[n])
	}
	if h, ok := got.Histograms["other"]; ok {
		t.Errorf("other: %d values recorded, want none", h.TotalCount())
	}
}

func TestRecordEachOfAnotherRegistrysHandlePanics(t *testing.T) {
	a, b := New(t0, Options{}), New(t0, Options{})
	defer func() {
		if recover() == nil {
			t.Error("recording a handle of another registry did not panic")
		}
	}()
	b.Recorder(0).RecordEach(time.Millisecond, b.Histogram("x"), a.Histogram("x"))
}

// TestRotateWhileRecording rotates while many goroutines record: every value
// and every increment lands in exactly one interval.
func TestRotateWhileRecording(t *testing.T) {
	const goroutines, perGoroutine = 64, 500
	r := New(t0, Options{Shards: 8})
	c := r.Counter("n")
	var wg sync.WaitGroup
	want := NewHistogram()
	var wantMu sync.Mutex
	for g := range goroutines {
		wg.Go(func() {
			rec := r.Recorder(uint64(g))
			// Each goroutine names its histograms itself: registration
			// also races with rotation.
			h := r.Histogram("latency")
			per := r.Histogram("latency." + string(rune('a'+g%4)))
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			local := NewHistogram()
			for range perGoroutine {
				us := rng.Int64N(5_000_000) + 1
				rec.RecordMicros(h, us)
				rec.RecordMicros(per, us)
				c.Inc()
				_ = local.RecordValue(us)
			}
			wantMu.Lock()
			want.Merge(local)
			wantMu.Unlock()
		})
	}
	var parts []Snapshot
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for tick := 1; ; tick++ {
		select {
		case <-done:
			parts = append(parts, r.Rotate(t0.Add(time.Duration(tick)*time.Second)))
			total, err := Merge(parts...)
			if err != nil {
				t.Fatal(err)
			}
			if total.Counters["n"] != goroutines*perGoroutine {
				t.Errorf("counter %d, want %d", total.Counters["n"], goroutines*perGoroutine)
			}
			sameCounts(t, "latency", total.Histograms["latency"], want)
			var perEvent int64
			for _, e := range "abcd" {
				perEvent += total.Histograms["latency."+string(e)].TotalCount()
			}
			if perEvent != goroutines*perGoroutine {
				t.Errorf("per-event histograms hold %d values, want %d", perEvent, goroutines*perGoroutine)
			}
			return
		default:
			parts = append(parts, r.Rotate(t0.Add(time.Duration(tick)*time.Second)))
		}
	}
}

// TestMergeOfPartsEqualsTheWhole is the merge property: random values split
// at random across shards, intervals and machines (through JSON) merge into
// exactly the histogram of all of them.
func TestMergeOfPartsEqualsTheWhole(t *testing.T) {
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 2))
		machines := 1 + rng.IntN(4)
		regs := make([]*Registry, machines)
		for i := range regs {
			regs[i] = New(t0, Options{Shards: 1 + rng.IntN(8)})
		}
		whole := NewHistogram()
		var wholeCount int64
		var parts []Snapshot
		now := t0
		for range 1 + rng.IntN(1500) {
			reg := regs[rng.IntN(machines)]
			// A heavy-tailed spread of values across the whole range.
			us := int64(1 + rng.ExpFloat64()*float64(rng.Int64N(HighestValue/1000)+1))
			us = min(us, HighestValue)
			reg.Recorder(rng.Uint64()).RecordMicros(reg.Histogram("rt"), us)
			reg.Counter("c").Add(us)
			_ = whole.RecordValue(us)
			wholeCount += us
			if rng.IntN(150) == 0 { // an interval ends on one machine
				now = now.Add(time.Second)
				parts = append(parts, viaJSON(t, reg.Rotate(now)))
			}
		}
		for _, reg := range regs {
			parts = append(parts, viaJSON(t, reg.Rotate(now.Add(time.Second))))
		}
		rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		total, err := Merge(parts...)
		if err != nil {
			t.Fatal(err)
		}
		sameCounts(t, "merged", total.Histograms["rt"], whole)
		if total.Counters["c"] != wholeCount {
			t.Errorf("seed %d: counter %d, want %d", seed, total.Counters["c"], wholeCount)
		}
		if total.Start != t0 || !total.End.Equal(now.Add(time.Second)) {
			t.Errorf("seed %d: span [%v, %v)", seed, total.Start, total.End)
		}
	}
}

func viaJSON(t *testing.T, s Snapshot) Snapshot {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out Snapshot
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMergeDoesNotAlias(t *testing.T) {
	a := Snapshot{Counters: map[string]int64{"c": 1}, Histograms: map[string]*hdrhistogram.Histogram{"h": NewHistogram()}}
	_ = a.Histograms["h"].RecordValue(10)
	m, err := Merge(a, a)
	if err != nil {
		t.Fatal(err)
	}
	if m.Counters["c"] != 2 || m.Histograms["h"].TotalCount() != 2 {
		t.Errorf("merge of a snapshot with itself: %v, %d values", m.Counters, m.Histograms["h"].TotalCount())
	}
	if a.Counters["c"] != 1 || a.Histograms["h"].TotalCount() != 1 {
		t.Errorf("merge modified its argument")
	}
}

func TestMergeRejectsAnotherGeometry(t *testing.T) {
	other := hdrhistogram.New(1, 1000, 2)
	_ = other.RecordValue(5)
	_, err := Merge(Snapshot{Histograms: map[string]*hdrhistogram.Histogram{"h": other}})
	if err == nil {
		t.Error("merged a histogram of another geometry")
	}
}

func TestSnapshotJSON(t *testing.T) {
	r := New(t0, Options{Rates: map[string]string{"socketio.emit_rate": "socketio.emit"}})
	r.Counter("socketio.emit").Add(30)
	rt := r.Histogram("socketio.response_time")
	for i := 1; i <= 1000; i++ {
		r.Recorder(uint64(i)).RecordMicros(rt, int64(i)*100)
	}
	s := r.Rotate(t0.Add(10 * time.Second))
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var plain struct {
		Counters   map[string]int64
		Rates      map[string]float64
		Summaries  map[string]map[string]float64
		Histograms map[string]string
	}
	if err := json.Unmarshal(b, &plain); err != nil {
		t.Fatal(err)
	}
	if plain.Counters["socketio.emit"] != 30 || plain.Rates["socketio.emit_rate"] != 3 {
		t.Errorf("counters %v, rates %v", plain.Counters, plain.Rates)
	}
	sum := plain.Summaries["socketio.response_time"]
	want := map[string]float64{
		"min": 0.1, "max": 100.031, "count": 1000, "mean": 50.05,
		"p50": 50.015, "median": 50.015, "p75": 75.007, "p90": 90.047, "p95": 95.039, "p99": 99.007, "p999": 99.903,
	}
	for name, v := range want {
		got, ok := sum[name]
		if !ok || !near(got, v, 0.1) {
			t.Errorf("summary %s = %v (present %v), want about %v ms", name, got, ok, v)
		}
	}
	if len(sum) != len(want) {
		t.Errorf("summary has %d fields, want Artillery's %d: %v", len(sum), len(want), sum)
	}
	if plain.Histograms["socketio.response_time"] == "" {
		t.Error("histogram not encoded")
	}
	back := viaJSON(t, s)
	sameCounts(t, "round trip", back.Histograms["socketio.response_time"], s.Histograms["socketio.response_time"])
	if !back.Start.Equal(s.Start) || !back.End.Equal(s.End) || !mapsEqual(back.Counters, s.Counters) || !mapsEqual(back.RateOf, s.RateOf) {
		t.Errorf("round trip: %+v, want %+v", back, s)
	}
}

func near(a, b, tolerance float64) bool { return a-b <= tolerance && b-a <= tolerance }

// TestRunRotatesOnWallClockBoundaries drives OnBoundaries, rotating a
// registry, in a bubble of virtual time.
func TestRunRotatesOnWallClockBoundaries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock starts on a round minute; start 3 s past it.
		time.Sleep(3 * time.Second)
		start := time.Now()
		r := New(start, Options{Interval: 10 * time.Second})
		c := r.Counter("ticks")
		ctx, cancel := context.WithCancel(t.Context())
		var got []Snapshot
		done := make(chan struct{})
		go func() {
			OnBoundaries(ctx, r.interval, func(at time.Time, _ bool) { got = append(got, r.Rotate(at)) })
			close(done)
		}()
		// One tick a second, from 3.5 s to 27.5 s, never on a boundary.
		time.Sleep(500 * time.Millisecond)
		for range 25 {
			c.Inc()
			time.Sleep(time.Second)
		}
		cancel()
		<-done
		base := start.Add(-3 * time.Second)
		want := []struct {
			from, to time.Duration
			ticks    int64
		}{{3 * time.Second, 10 * time.Second, 7}, {10 * time.Second, 20 * time.Second, 10}, {20 * time.Second, 28500 * time.Millisecond, 8}}
		if len(got) != len(want) {
			t.Fatalf("%d snapshots, want %d", len(got), len(want))
		}
		for i, w := range want {
			s := got[i]
			if !s.Start.Equal(base.Add(w.from)) || !s.End.Equal(base.Add(w.to)) || s.Counters["ticks"] != w.ticks {
				t.Errorf("snapshot %d: [%v, %v) with %d ticks, want [%v, %v) with %d",
					i, s.Start.Sub(base), s.End.Sub(base), s.Counters["ticks"], w.from, w.to, w.ticks)
			}
		}
	})
}
