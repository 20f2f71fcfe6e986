package metrics

import (
	"runtime"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// TestCountsAreReadInPlace fails when hdrhistogram-go's layout is no longer
// the one countsOf reads: the merges would still be exact, through the
// library, but slow again.
func TestCountsAreReadInPlace(t *testing.T) {
	if !countsReadable() {
		t.Fatal("the counts of hdrhistogram.Histogram cannot be read in place: merges and encodings walk every bucket again")
	}
	if countsOf(hdrhistogram.New(1000, HighestValue, 2)) != nil {
		t.Error("countsOf read a histogram of another geometry")
	}
}

// TestIndexAndValueAgreeWithTheLibrary checks the index of every bucket
// boundary against the library's own (the lowest value of the bucket a
// value is counted in, as Min gives it).
func TestIndexAndValueAgreeWithTheLibrary(t *testing.T) {
	h := NewHistogram()
	for i := 0; i < bucketCount; i += 7 {
		v := valueAtIndex(i)
		if indexOf(v) != i {
			t.Fatalf("indexOf(valueAtIndex(%d) = %d) = %d", i, v, indexOf(v))
		}
		h.Reset()
		_ = h.RecordValue(v)
		if countsOf(h)[i] != 1 || h.Min() != v {
			t.Fatalf("value %d: the library counts it elsewhere (min %d)", v, h.Min())
		}
	}
}

// TestMergeIsTheLibrarysMerge merges histograms of spread values both ways
// and compares every bucket, the total and the statistics.
func TestMergeIsTheLibrarysMerge(t *testing.T) {
	next := latencies(3)
	for _, n := range []int{0, 1, 10, 1000, 100_000} {
		from, into := NewHistogram(), NewHistogram()
		for i := range n {
			_ = from.RecordValue(next())
			if i%3 == 0 {
				_ = into.RecordValue(next() * 1000)
			}
		}
		_ = from.RecordValue(HighestValue)
		want := into.Clone()
		want.Merge(from)
		if dropped := mergeHistogram(into, from); dropped != 0 {
			t.Fatalf("%d values: %d dropped", n, dropped)
		}
		if !into.Equals(want) || into.TotalCount() != want.TotalCount() || into.Max() != want.Max() || into.Mean() != want.Mean() {
			t.Errorf("%d values: the merge differs from the library's", n)
		}
	}
}

// BenchmarkMerge merges a histogram of 100 values up to 200 ms into
// another, as the collector does every second, with the library's Merge and
// with mergeHistogram.
func BenchmarkMerge(b *testing.B) {
	from := NewHistogram()
	next := latencies(5)
	for range 100 {
		_ = from.RecordValue(next())
	}
	into := NewHistogram()
	b.Run("library", func(b *testing.B) {
		for b.Loop() {
			into.Merge(from)
		}
	})
	b.Run("in-place", func(b *testing.B) {
		for b.Loop() {
			mergeHistogram(into, from)
		}
	})
}

// TestExtremesAreTheLibrarys compares Min, Max and Mean, bit for bit, on
// histograms of one value at bucket boundaries and of spread values.
func TestExtremesAreTheLibrarys(t *testing.T) {
	var hists []*hdrhistogram.Histogram
	for _, v := range []int64{0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 1 << 20, HighestValue} {
		h := NewHistogram()
		_ = h.RecordValue(v)
		hists = append(hists, h)
		two := NewHistogram()
		_ = two.RecordValue(0)
		_ = two.RecordValues(v, 3)
		hists = append(hists, two)
	}
	next := latencies(9)
	for _, n := range []int{0, 2, 100, 10_000} {
		h := NewHistogram()
		for range n {
			_ = h.RecordValue(next())
		}
		hists = append(hists, h)
	}
	for _, h := range hists {
		lo, hi, mean, ok := extremes(h)
		if !ok {
			t.Fatal("extremes could not read the counts")
		}
		if lo != h.Min() || hi != h.Max() || mean != h.Mean() {
			t.Errorf("%d values: min/max/mean %d/%d/%v, the library's %d/%d/%v", h.TotalCount(), lo, hi, mean, h.Min(), h.Max(), h.Mean())
		}
	}
}

// TestRotationsReuseReleasedHistograms records into two shards over
// intervals whose histograms go back to the registry each time: every
// interval holds exactly its own values, and once the first are back the
// rotations allocate no histograms (about 190 KB each).
func TestRotationsReuseReleasedHistograms(t *testing.T) {
	start := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	r := New(start, Options{Shards: 2})
	names := []string{"a", "b", "c"}
	next := latencies(11)
	var allocated uint64
	for interval := range 20 {
		want := map[string]*hdrhistogram.Histogram{}
		for i, name := range names {
			if (interval+i)%4 == 3 {
				continue // nothing recorded into it this time
			}
			want[name] = NewHistogram()
			for id := range uint64(1 + interval%3) {
				v := next()
				r.Recorder(id).RecordMicros(r.Histogram(name), v)
				_ = want[name].RecordValue(v)
			}
		}
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		snap := r.Rotate(start.Add(time.Duration(interval+1) * time.Second))
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if interval >= 5 {
			allocated += after.TotalAlloc - before.TotalAlloc
		}
		if len(snap.Histograms) != len(want) {
			t.Fatalf("interval %d: %d histograms, want %d", interval, len(snap.Histograms), len(want))
		}
		for name, h := range want {
			if !snap.Histograms[name].Equals(h) {
				t.Fatalf("interval %d: histogram %s holds other values than were recorded in it", interval, name)
			}
		}
		for _, h := range snap.Histograms {
			r.Release(h)
		}
	}
	if allocated > 190_000 {
		t.Errorf("15 rotations with their histograms given back allocated %d bytes: they do not reuse them", allocated)
	}
}

// TestTakeSharesOrMergesAndSaysWhich takes a snapshot into one that holds
// one of its two names.
func TestTakeSharesOrMergesAndSaysWhich(t *testing.T) {
	a, b, c := NewHistogram(), NewHistogram(), NewHistogram()
	_ = a.RecordValue(10)
	_ = b.RecordValue(20)
	_ = c.RecordValue(30)
	into := Snapshot{Counters: map[string]int64{"n": 1}, Histograms: map[string]*hdrhistogram.Histogram{"x": a}}
	o := Snapshot{Counters: map[string]int64{"n": 2}, Histograms: map[string]*hdrhistogram.Histogram{"x": b, "y": c}}
	merged, err := into.Take(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) != 1 || merged[0] != b {
		t.Errorf("merged %v, want the one histogram of x", merged)
	}
	if into.Histograms["y"] != c || into.Histograms["x"] != a || a.TotalCount() != 2 || into.Counters["n"] != 3 {
		t.Errorf("after Take: y %p (want %p), x count %d, n %d", into.Histograms["y"], c, a.TotalCount(), into.Counters["n"])
	}
	if len(o.Histograms) != 2 || b.TotalCount() != 1 {
		t.Error("Take changed the snapshot it took")
	}
}

// TestClearIsTheLibrarysReset clears histograms of spread values, of the
// largest value and of none, and records into them again, beside copies
// reset by the library.
func TestClearIsTheLibrarysReset(t *testing.T) {
	next := latencies(13)
	for _, n := range []int{0, 1, 100, 10_000} {
		h := NewHistogram()
		for range n {
			_ = h.RecordValue(next())
		}
		_ = h.RecordValue(HighestValue)
		want := h.Clone()
		want.Reset()
		clearHistogram(h)
		if h.TotalCount() != 0 || !h.Equals(want) {
			t.Fatalf("%d values: cleared, it still holds %d values", n, h.TotalCount())
		}
		for _, c := range countsOf(h) {
			if c != 0 {
				t.Fatalf("%d values: a count is left after the clearing", n)
			}
		}
		for range 50 {
			v := next()
			_ = h.RecordValue(v)
			_ = want.RecordValue(v)
		}
		if !h.Equals(want) || h.TotalCount() != want.TotalCount() || h.Max() != want.Max() {
			t.Errorf("%d values: what is recorded after the clearing differs from after Reset", n)
		}
	}
}
