package report

import (
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

func TestRecoveries(t *testing.T) {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	// win is one second with disconnects and rejoins taking ms each.
	win := func(i int, disconnects int64, rejoins ...int64) Window {
		w := Window{Start: start.Add(time.Duration(i) * time.Second), Seconds: 1}
		if disconnects > 0 {
			w.Disconnects = map[string]int64{"transport_close": disconnects}
		}
		if len(rejoins) > 0 {
			h := metrics.NewHistogram()
			for _, ms := range rejoins {
				_ = h.RecordValue(ms * 1000)
			}
			w.Histograms = encodeWindowHistograms(map[string]*hdrhistogram.Histogram{engine.MetricReconnectTime: h}, windowHistograms)
		}
		return w
	}
	for _, tc := range []struct {
		name string
		ws   []Window
		want []string // one part of each burst's line, in order
	}{
		{"no disconnects", []Window{win(0, 0), win(1, 0)}, nil},
		{"one burst, all back", []Window{win(0, 0), win(1, 3), win(2, 1, 900), win(3, 0, 1500, 1800, 2100)},
			[]string{"Disconnects at 1s-3s: 4 (transport close 4); all rejoined by 4s, 3 s after the first"}},
		{"two bursts, the second not back", []Window{win(0, 2, 100, 200), win(1, 0), win(2, 0), win(3, 0), win(4, 0), win(5, 5, 300), win(6, 0)},
			[]string{"Disconnects at 0s-1s: 2", "Disconnects at 5s-6s: 5 (transport close 5); 1 of them rejoined"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			WriteRecoveries(&b, &Report{Windows: tc.ws})
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			if tc.want == nil {
				if b.Len() > 0 {
					t.Errorf("printed %q", b.String())
				}
				return
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tc.want), b.String())
			}
			for i, w := range tc.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d %q lacks %q", i, lines[i], w)
				}
			}
		})
	}
}
