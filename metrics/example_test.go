package metrics_test

import (
	"fmt"
	"time"

	"github.com/sockload/sockload/metrics"
)

func ExampleRegistry() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := metrics.New(start, metrics.Options{Rates: map[string]string{"socketio.emit_rate": "socketio.emit"}})
	emits := reg.Counter("socketio.emit")
	rt := reg.Histogram("socketio.response_time")

	// Each virtual user records through its own Recorder.
	for vu := range uint64(100) {
		rec := reg.Recorder(vu)
		emits.Inc()
		rec.Record(rt, time.Duration(vu+1)*time.Millisecond)
	}

	snap := reg.Rotate(start.Add(10 * time.Second))
	s := metrics.Summarize(snap.Histograms["socketio.response_time"])
	fmt.Println(snap.Counters["socketio.emit"], snap.Rates()["socketio.emit_rate"])
	fmt.Println(s.Count, s.Min, s.Median, s.P99, s.Max)
	// Output:
	// 100 10
	// 100 1 50.015 99.007 100.031
}
