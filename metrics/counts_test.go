package metrics

import (
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// TestCountsAreReadInPlace fails when hdrhistogram-go's layout is no longer
// the one countsOf reads: the merges would still be exact, through the
// library, but slow again.
func TestCountsAreReadInPlace(t *testing.T) {
	if !countsReadable {
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
