package metrics

import (
	"errors"
	"runtime"
	"testing"
)

// FuzzDecodeHistogram feeds arbitrary text to DecodeHistogram: it must not
// panic nor allocate more than a few histograms' worth, and what it accepts
// must have the package's geometry and encode back to the same histogram.
func FuzzDecodeHistogram(f *testing.F) {
	valid, _ := EncodeHistogram(record(NewHistogram(), 1, 42, 42, 1000, HighestValue))
	f.Add(valid)
	f.Add("")
	f.Add("HISTFAAAACR4nJNpmSzMwMDAxgABzFCaEUzOmNZg/wEiEJwnCQDsvwQd")
	f.Fuzz(func(t *testing.T, s string) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		h, err := DecodeHistogram(s)
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20+uint64(len(s))*4 {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(s), alloc)
		}
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error %v does not wrap ErrEncoding", err)
			}
			return
		}
		if err := checkGeometry(h); err != nil {
			t.Fatal(err)
		}
		enc, err := EncodeHistogram(h)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeHistogram(enc)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		sameCounts(t, "re-encoded", again, h)
	})
}
