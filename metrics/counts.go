package metrics

import (
	"reflect"
	"sync"
	"unsafe"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// hdrhistogram-go walks a histogram's buckets through its iterator to
// merge it (Merge) and to find its largest value (Max, Mean), working out
// each bucket's value range on the way, up to the largest value recorded:
// about 100 µs for a histogram holding one 100 ms value, whatever the
// number of values; and it copies every bucket to show them (Export). The
// report merges and encodes several histograms every second. countsOf
// reads the buckets themselves, for reading only: a merge then costs a
// tight loop up to the largest value and one RecordValues per bucket with
// a count.

// countsOffset, ratioOffset and totalOffset are where hdrhistogram.Histogram
// keeps its counts slice, its conversion ratio and its total count. countsReadable says whether the
// library's layout is the one checked below (at first use, not at the
// start of every command); if not, everything falls back to the library's
// own calls.
var (
	countsOffset, countsFound = fieldOffset("counts", reflect.TypeFor[[]int64]())
	ratioOffset, ratioFound   = fieldOffset("conversionRatio", reflect.TypeFor[float64]())
	totalOffset, totalFound   = fieldOffset("totalCount", reflect.TypeFor[int64]())
	countsReadable            = sync.OnceValue(func() bool {
		return countsFound && ratioFound && totalFound && countsLayoutHolds()
	})
)

func fieldOffset(name string, typ reflect.Type) (uintptr, bool) {
	f, ok := reflect.TypeFor[hdrhistogram.Histogram]().FieldByName(name)
	if !ok || f.Type != typ {
		return 0, false
	}
	return f.Offset, true
}

// countsLayoutHolds checks that the counts read through countsOffset are
// the histogram's: a value recorded at each end of a few buckets is found
// at the index and with the value this file computes, alone.
func countsLayoutHolds() bool {
	h := NewHistogram()
	if conversionRatio(h) != h.Export().IntegerToDoubleConversionRatio {
		return false
	}
	for _, v := range []int64{1, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 123_456, HighestValue} {
		h.Reset()
		_ = h.RecordValue(v)
		counts := *(*[]int64)(unsafe.Add(unsafe.Pointer(h), countsOffset))
		i := indexOf(v)
		if len(counts) != bucketCount || counts[i] != 1 || valueAtIndex(i) != h.Min() {
			return false
		}
		var sum int64
		for _, c := range counts {
			sum += c
		}
		if sum != 1 || *totalOf(h) != 1 {
			return false
		}
	}
	return true
}

func totalOf(h *hdrhistogram.Histogram) *int64 {
	return (*int64)(unsafe.Add(unsafe.Pointer(h), totalOffset))
}

// clearHistogram empties h as h.Reset() does, but clears only the counts up
// to its largest value, not all 23,552 of them (188 KB): a histogram handed
// back every second costs what was recorded in it.
func clearHistogram(h *hdrhistogram.Histogram) {
	counts := countsOf(h)
	if counts == nil || h.Tag() != "" || h.StartTimeMs() != 0 || h.EndTimeMs() != 0 {
		h.Reset()
		return
	}
	// The counts add up to the total (the library keeps them so): past
	// the last one that is not zero, all are.
	clear(usedCounts(counts, h.TotalCount()))
	*totalOf(h) = 0
}

// countsOf returns h's counts, to read only, or nil when h does not have
// the package's geometry or the library's layout is unknown.
func countsOf(h *hdrhistogram.Histogram) []int64 {
	if h.LowestTrackableValue() != LowestValue || h.HighestTrackableValue() != HighestValue ||
		h.SignificantFigures() != SignificantDigits || !countsReadable() {
		return nil
	}
	counts := *(*[]int64)(unsafe.Add(unsafe.Pointer(h), countsOffset))
	if len(counts) != bucketCount {
		return nil
	}
	return counts
}

// The package's geometry in hdrhistogram's terms: 3 significant digits
// make sub-buckets of 2,048 values, the upper half of which each further
// bucket covers at twice the step of the one before.
const (
	subBucketHalfCountMagnitude = 10
	subBucketHalfCount          = 1 << subBucketHalfCountMagnitude
)

// valueAtIndex is the lowest value counted at index i of the counts.
func valueAtIndex(i int) int64 {
	bucket := i>>subBucketHalfCountMagnitude - 1
	sub := i&(subBucketHalfCount-1) + subBucketHalfCount
	if bucket < 0 {
		sub -= subBucketHalfCount
		bucket = 0
	}
	return int64(sub) << bucket
}

// indexOf is the index of the counts at which v is counted.
func indexOf(v int64) int {
	bucket := 0
	for v>>bucket >= 2*subBucketHalfCount {
		bucket++
	}
	return (bucket+1)<<subBucketHalfCountMagnitude + int(v>>bucket) - subBucketHalfCount
}

// usedCounts is the counts up to the last one that is not zero (at least
// the first), found by adding them up to the histogram's total: a scan
// as long as the largest value, not as the whole geometry, eight counts
// at a time.
func usedCounts(counts []int64, total int64) []int64 {
	if total <= 0 {
		return counts[:min(1, len(counts))]
	}
	var sum int64
	i := 0
	for ; i+8 <= len(counts); i += 8 {
		b := counts[i : i+8 : i+8]
		if s := b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + b[7]; sum+s < total {
			sum += s
			continue
		}
		break
	}
	for ; i < len(counts); i++ {
		sum += counts[i]
		if sum >= total {
			return counts[:i+1]
		}
	}
	return counts
}

// mergeHistogram adds from's values to into, as into.Merge(from) does,
// and returns the number of values it could not add.
func mergeHistogram(into, from *hdrhistogram.Histogram) (dropped int64) {
	counts := countsOf(from)
	if counts == nil {
		return into.Merge(from)
	}
	counts = usedCounts(counts, from.TotalCount())
	for i := 0; i < len(counts); i += 8 {
		b := counts[i:min(i+8, len(counts))]
		if len(b) == 8 && b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] == 0 {
			continue // counts are never negative
		}
		for j, c := range b {
			if c != 0 && into.RecordValues(valueAtIndex(i+j), c) != nil {
				dropped += c
			}
		}
	}
	return dropped
}

// conversionRatio is the ratio h's encoding carries (0 for the default of
// 1), as Export gives it; for a histogram countsOf reads.
func conversionRatio(h *hdrhistogram.Histogram) float64 {
	return *(*float64)(unsafe.Add(unsafe.Pointer(h), ratioOffset))
}

// bucketOfIndex is the bucket of index i of the counts: its values are
// 1 << bucket apart.
func bucketOfIndex(i int) int { return max(i>>subBucketHalfCountMagnitude-1, 0) }

// extremes returns what h.Min(), h.Max() and h.Mean() return, reading the
// counts in place in one pass; ok is false when they cannot be read.
func extremes(h *hdrhistogram.Histogram) (lo, hi int64, mean float64, ok bool) {
	counts := countsOf(h)
	if counts == nil {
		return 0, 0, 0, false
	}
	total := h.TotalCount()
	if total == 0 {
		return 0, 0, 0, true
	}
	loFound := false
	for i, c := range usedCounts(counts, total) {
		if c == 0 {
			continue
		}
		v, step := valueAtIndex(i), int64(1)<<bucketOfIndex(i)
		// As the library: Min is the lowest value of the first bucket with
		// a count, Max the highest of the last, Mean the sum, in order, of
		// each count at its bucket's middle.
		if !loFound {
			lo, loFound = v, true
		}
		hi = v + step - 1
		mean += float64(c) * float64(v+step>>1) / float64(total)
	}
	return lo, hi, mean, true
}
