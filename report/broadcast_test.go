package report

import (
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockload/sockload/metrics"
)

func TestMergeSaysWhatDeliveryTimeMeans(t *testing.T) {
	h := metrics.NewHistogram()
	h.RecordValue(1000)
	traced := metrics.Snapshot{Counters: map[string]int64{"socketio.clock_skewed": 3}, Histograms: map[string]*hdrhistogram.Histogram{"socketio.delivery_time": h}}
	cases := []struct {
		name   string
		snap   metrics.Snapshot
		shards int
		want   []string
	}{
		{"one process", traced, 1, nil},
		{"no traces", metrics.Snapshot{}, 3, nil},
		{"shards with skew", traced, 2, []string{"one monotonic clock", "clock sync", "3 receipts were stamped before their send"}},
	}
	for _, c := range cases {
		var b strings.Builder
		WriteDeliveryClocks(&b, c.snap, c.shards)
		if (b.Len() > 0) != (c.want != nil) {
			t.Errorf("%s: wrote %q", c.name, b.String())
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: %q lacks %q", c.name, b.String(), w)
			}
		}
	}
}
