package report

import (
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// A window's responses are the acks and the HTTP responses both: a login
// that slows down counts for the breaking point as a slow ack does.
func TestWindowResponsesIncludeHTTP(t *testing.T) {
	hist := func(us ...int64) *hdrhistogram.Histogram {
		h := metrics.NewHistogram()
		for _, v := range us {
			_ = h.RecordValue(v)
		}
		return h
	}
	cases := []struct {
		name      string
		hists     map[string]*hdrhistogram.Histogram
		responses int64
		p99       float64 // ms, to the histogram's precision
	}{
		{"acks only", map[string]*hdrhistogram.Histogram{engine.MetricResponseTime: hist(1000, 2000)}, 2, 2},
		{"HTTP only", map[string]*hdrhistogram.Histogram{engine.MetricHTTPResponseTime: hist(5000)}, 1, 5},
		{"both", map[string]*hdrhistogram.Histogram{engine.MetricResponseTime: hist(1000), engine.MetricHTTPResponseTime: hist(9000)}, 2, 9},
	}
	for _, c := range cases {
		w := Window{Start: time.Unix(0, 0)}
		w.setLatencies(c.hists)
		if w.Responses != c.responses || w.ResponseP99 < c.p99*0.99 || w.ResponseP99 > c.p99*1.01 {
			t.Errorf("%s: %d responses, p99 %.3f ms; want %d, %.3f", c.name, w.Responses, w.ResponseP99, c.responses, c.p99)
		}
		if kept := w.Histograms.Has(engine.MetricHTTPResponseTime); kept != (c.hists[engine.MetricHTTPResponseTime] != nil) {
			t.Errorf("%s: the window keeps %v", c.name, w.Histograms)
		}
	}
}
