package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	rtmetrics "runtime/metrics"
	"testing"
	"time"
)

// variedWindow is the n-th second of a run whose windows differ in every
// kind of field a window has.
func variedWindow(start time.Time, n int) Window {
	w := windowOf(ackSecond(start, n), Progress{Active: int64(n)}, int64(n%7), 2)
	w.Offered = float64(n) / 3
	if n%5 == 0 {
		w.Errors = map[string]int64{"timeout": int64(n)}
		w.Disconnects = map[string]int64{"transport close": 2}
		w.Backends = map[string]int64{fmt.Sprintf("node-%d", n%3): int64(n)}
	}
	return w
}

// TestPackedLogReadsBackWhatWasKept: windows and intervals read back from
// packed chunks are written to JSON byte for byte as those appended, in
// order, however many chunks; reading twice gives the same, and a caller
// changing what it got changes nothing kept.
func TestPackedLogReadsBackWhatWasKept(t *testing.T) {
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.Local)
	for _, n := range []int{0, 1, 255, 256, 257, 700} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			windows := newPackedLog[Window](windowsPacked, newPacker())
			intervals := newPackedLog[json.RawMessage](intervalsPacked, newPacker())
			var wantWindows []Window
			var wantIntervals []json.RawMessage
			for i := range n {
				w := variedWindow(start, i)
				windows.append(w)
				wantWindows = append(wantWindows, w)
				enc := json.RawMessage(fmt.Sprintf(`{"interval":%d,"counters":{"socketio.emit":%d}}`, i, i*400))
				intervals.append(enc)
				wantIntervals = append(wantIntervals, enc)
			}
			for read := range 2 {
				gotWindows, err := windows.all()
				if err != nil {
					t.Fatal(err)
				}
				gotIntervals, err := intervals.all()
				if err != nil {
					t.Fatal(err)
				}
				sameJSON(t, fmt.Sprintf("windows, read %d", read), gotWindows, wantWindows)
				sameJSON(t, fmt.Sprintf("intervals, read %d", read), gotIntervals, wantIntervals)
				if len(gotWindows) > 0 {
					gotWindows[0].Offered = -1 // what FillOffered does to its copy
				}
			}
		})
	}
}

// TestPackedLogKeepsWhatJSONCannotWrite: a chunk that cannot be packed (a
// NaN) stays as values.
func TestPackedLogKeepsWhatJSONCannotWrite(t *testing.T) {
	l := newPackedLog[Window](4, newPacker())
	for i := range 6 {
		l.append(Window{Seconds: 1, CPU: math.NaN(), Active: int64(i)})
	}
	got, err := l.all()
	if err != nil || len(got) != 6 || got[5].Active != 5 || !math.IsNaN(got[3].CPU) {
		t.Fatalf("read back %d windows (%v), want the 6 kept", len(got), err)
	}
}

func sameJSON[T any](t *testing.T, what string, got, want []T) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s: read back %d, differing from the %d kept:\n got %.300s\nwant %.300s", what, len(got), len(want), g, w)
	}
}

// BenchmarkPackWindows: packing a chunk of windows (a run does it once
// every windowsPacked seconds), per window, with the packer kept for the
// run and, beside it, with a packer made for each chunk.
func BenchmarkPackWindows(b *testing.B) {
	chunk := variedChunk()
	for _, bb := range []struct {
		name   string
		packer func() *packer
	}{
		{"kept", func() func() *packer { p := newPacker(); return func() *packer { return p } }()},
		{"fresh", newPacker},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := deflateJSON(bb.packer(), chunk); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*windowsPacked), "ns/window")
		})
	}
}

func variedChunk() []Window {
	start := time.Unix(1_800_000_000, 0)
	chunk := make([]Window, windowsPacked)
	for i := range chunk {
		chunk[i] = variedWindow(start, i)
	}
	return chunk
}

// TestAPackAllocatesLittle: with the packer kept, packing a chunk of
// windows allocates at least the compressor's tables (640 KB of hash
// chains, made once) less than with a packer made for the chunk: a run
// that allocates slowly grows its RSS by what a pack allocates at once.
// The two are measured side by side, since what the encoder allocates
// differs with the build (the race detector's pools drop values).
func TestAPackAllocatesLittle(t *testing.T) {
	chunk := variedChunk()
	kept := newPacker()
	perPack := func(p func() *packer) uint64 {
		const packs = 10
		before := allocatedBytes()
		for range packs {
			if _, err := deflateJSON(p(), chunk); err != nil {
				t.Fatal(err)
			}
		}
		return (allocatedBytes() - before) / packs
	}
	perPack(func() *packer { return kept }) // the compressor, made once
	withKept := perPack(func() *packer { return kept })
	withFresh := perPack(newPacker)
	if withKept+512<<10 > withFresh {
		t.Errorf("a pack of %d windows allocated %d bytes with the packer kept, %d with one made for it: want at least 512 KiB less", len(chunk), withKept, withFresh)
	}
}

func allocatedBytes() uint64 {
	s := []rtmetrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}
