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

func TestHTMLChartsDeliveryAndReachOverTime(t *testing.T) {
	for _, traced := range []bool{false, true} {
		rep, err := ReadJSON("testdata/breaking-stress.json")
		if err != nil {
			t.Fatal(err)
		}
		if traced {
			for i := range rep.Windows {
				w := &rep.Windows[i]
				w.Deliveries, w.DeliveryP50, w.DeliveryP99 = 100, 2, 5+float64(i)
				w.Expected, w.Delivered = 100, int64(100-i%3)
			}
		}
		var b strings.Builder
		if err := WriteHTML(&b, rep); err != nil {
			t.Fatal(err)
		}
		for _, title := range []string{"Delivery time of traced messages", "Reach: share of the expected recipients"} {
			if strings.Contains(b.String(), title) != traced {
				t.Errorf("traced %v: the page has %q: %v", traced, title, !traced)
			}
		}
	}
}

func TestCompareMarksALossOfReach(t *testing.T) {
	run := func(delivered int64) *Report {
		return &Report{Aggregate: metrics.Snapshot{Counters: map[string]int64{
			"socketio.expected": 1000, "socketio.delivered": delivered,
			"socketio.expected.chat": 1000, "socketio.delivered.chat": delivered,
		}}, BreakingPoint: &BreakingPoint{Verdict: VerdictNone}}
	}
	c, err := Compare(run(1000), run(900), 5)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, row := range c.Rows {
		if row.Metric == "socketio.reach.chat" || row.Metric == "socketio.reach" {
			found++
			if row.A != 100 || row.B != 90 || row.Verdict != "worse" {
				t.Errorf("%s: %+v, want 100 → 90, worse", row.Metric, row)
			}
		}
	}
	if found != 2 {
		t.Errorf("%d reach rows, want 2", found)
	}
}

func TestMarkdownShowsReachAndDeliveryTime(t *testing.T) {
	h := metrics.NewHistogram()
	h.RecordValue(12000)
	r := &Report{Aggregate: metrics.Snapshot{
		Counters:   map[string]int64{"socketio.expected": 10, "socketio.delivered": 9, "socketio.missing": 1, "socketio.expected.chat": 10, "socketio.delivered.chat": 9, "socketio.missing.chat": 1},
		Histograms: map[string]*hdrhistogram.Histogram{"socketio.delivery_time": h, "socketio.delivery_time.chat": h},
	}}
	var b strings.Builder
	if err := WriteMarkdown(&b, r, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| `socketio.reach.chat` | 90 |", "| `socketio.missing.chat` | 1 |", "| `socketio.delivery_time.chat.p99` | 12.007 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the markdown lacks %q:\n%s", want, b.String())
		}
	}
}
