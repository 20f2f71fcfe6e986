package report

import (
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// ackSecond is one second of a steady run: 400 acks of 150-400 µs, the
// n-th such second.
func ackSecond(start time.Time, n int) metrics.Snapshot {
	start = start.Add(time.Duration(n) * time.Second)
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	h := metrics.NewHistogram()
	for range 400 {
		_ = h.RecordValue(150 + rng.Int64N(250))
	}
	return metrics.Snapshot{
		Start: start, End: start.Add(time.Second),
		Counters:   map[string]int64{engine.MetricEmit: 400},
		Histograms: map[string]*hdrhistogram.Histogram{engine.MetricResponseTime: h},
	}
}

// TestWindowHistogramsInJSON: a window's histograms are written as an
// object of the base64 texts metrics.EncodeHistogram writes, and read back
// to the same counts; a text that is not base64 reads as a histogram that
// does not decode, which a merge names.
func TestWindowHistogramsInJSON(t *testing.T) {
	second := ackSecond(time.Unix(1_800_000_000, 0), 0)
	w := windowOf(second, Progress{Active: 400}, 0, 2)
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var texts struct{ Histograms map[string]string }
	if err := json.Unmarshal(b, &texts); err != nil {
		t.Fatal(err)
	}
	want, _ := metrics.EncodeHistogram(second.Histograms[engine.MetricResponseTime])
	if len(texts.Histograms) != 1 || texts.Histograms[engine.MetricResponseTime] != want {
		t.Fatalf("histograms in JSON = %v, want {%s: %.20s...}", texts.Histograms, engine.MetricResponseTime, want)
	}
	var back Window
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	h := back.Histograms.Decode(engine.MetricResponseTime)
	if h == nil || !h.Equals(second.Histograms[engine.MetricResponseTime]) {
		t.Fatalf("the histogram read back differs: %v", h)
	}
	if back.Histograms.Decode(engine.MetricConnectTime) != nil || back.Histograms.Has(engine.MetricConnectTime) {
		t.Error("a metric the window has not is found")
	}

	bad := strings.Replace(string(b), want, "not base64!", 1)
	if err := json.Unmarshal([]byte(bad), &back); err != nil {
		t.Fatalf("a bad text refuses the whole window: %v", err)
	}
	if back.Histograms.Decode(engine.MetricResponseTime) != nil {
		t.Error("a text that is not base64 decodes")
	}
	sum := windowSum{hists: map[string]*hdrhistogram.Histogram{}, machines: map[string]bool{}}
	if err := sum.add(back, Generator{Cores: 2}, 0); err == nil || !strings.Contains(err.Error(), engine.MetricResponseTime) {
		t.Errorf("merging the bad window: %v, want an error naming the histogram", err)
	}
}

// TestWindowsOfALongRunStaySmall bounds what a steady second costs the
// collector for the rest of the run: a window and its response-time
// histogram: about 165 bytes, packed (560 as values), where one kept as
// base64 texts in a map, in a slice grown by appending, took about 740.
func TestWindowsOfALongRunStaySmall(t *testing.T) {
	const n = 3600
	start := time.Unix(1_800_000_000, 0)
	log := newPackedLog[Window](windowsPacked, newPacker())
	// A first chunk outside the count: the compressor, made at its pack,
	// is kept for the run.
	for i := range windowsPacked {
		log.append(windowOf(ackSecond(start, i), Progress{Active: 2000}, 0, 2))
	}
	var before, after runtime.MemStats
	settle()
	runtime.ReadMemStats(&before)
	for i := windowsPacked; i < windowsPacked+n; i++ {
		log.append(windowOf(ackSecond(start, i), Progress{Active: 2000}, 0, 2))
	}
	settle()
	runtime.ReadMemStats(&after)
	perWindow := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	if perWindow > 400 {
		t.Errorf("a window of a steady second holds %d bytes of heap, want at most 400", perWindow)
	}
	got, err := log.all()
	if last := windowsPacked + n - 1; err != nil || len(got) != windowsPacked+n || !got[last].Start.Equal(start.Add(time.Duration(last)*time.Second)) {
		t.Errorf("the log holds %d windows (%v)", len(got), err)
	}
	runtime.KeepAlive(&log)
}

// settle collects until what earlier tests left in sync.Pools (kept one
// collection longer) is gone too.
func settle() {
	runtime.GC()
	runtime.GC()
}
