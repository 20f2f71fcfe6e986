package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// Live is what the live view shows once a second.
type Live struct {
	Phase          string // e.g. "2/3 ramp 5/s → 50/s"
	Elapsed, Total time.Duration
	Active         int64
	// Offered and Achieved are arrivals per second over the last second:
	// due by the plan, and actually started.
	Offered, Achieved float64
	EmitsPerSecond    float64
	// P95 and P99 are of socketio.response_time over the current interval,
	// in ms.
	P95, P99 float64
	Errors   int64
	// Saturated carries the generator's warning, if any.
	Saturated string
}

// LiveFrom fills the latency and error fields of l from the current
// interval's snapshot.
func LiveFrom(l Live, snap metrics.Snapshot) Live {
	if h := snap.Histograms[engine.MetricResponseTime]; h != nil && h.TotalCount() > 0 {
		l.P95 = ms(h.ValueAtQuantile(95))
		l.P99 = ms(h.ValueAtQuantile(99))
	}
	for name, n := range snap.Counters {
		if strings.HasPrefix(name, engine.MetricErrors) {
			l.Errors += n
		}
	}
	return l
}

// Line renders the live view as one line of text.
func (l Live) Line() string {
	line := fmt.Sprintf("%s | %s/%s | VUs %d | arrivals/s %.1f offered %.1f achieved | emits/s %.1f | p95 %.1f ms p99 %.1f ms | errors %d",
		l.Phase, l.Elapsed.Truncate(time.Second), l.Total.Truncate(time.Second), l.Active,
		l.Offered, l.Achieved, l.EmitsPerSecond, l.P95, l.P99, l.Errors)
	if l.Saturated != "" {
		line += " | " + l.Saturated
	}
	return line
}
