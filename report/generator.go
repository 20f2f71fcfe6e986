package report

import (
	"fmt"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// Names of the generator's own metrics, as the engine records them.
const (
	arrivalLagMetric = engine.MetricArrivalLag
	cpuMetric        = engine.MetricCPU
)

// Limits past which the generator, not the target, is the bottleneck: VUs
// start this late at the 99th percentile, or the process uses this share of
// the machine's cores.
const (
	LagLimit = 100 * time.Millisecond
	CPULimit = 0.9
)

// Generator is the load generator's verdict on itself.
type Generator struct {
	Cores int `json:"cores"`
	// Host names the machine, so that merged shards of one machine count
	// its cores once.
	Host string `json:"host,omitempty"`
	// CPU is the share of all cores the process used (1 = every core busy).
	CPU float64 `json:"cpu"`
	// ArrivalLagP99 is the 99th percentile of how late VUs started, in ms.
	ArrivalLagP99 float64 `json:"arrivalLagP99Ms"`
	// Saturated is true when either passed its limit: latencies measured
	// then include the generator's own delay.
	Saturated bool   `json:"saturated"`
	Reason    string `json:"reason,omitempty"`
}

// Assess judges the generator over the span of snap.
func Assess(snap metrics.Snapshot, cores int) Generator {
	g := Generator{Cores: cores}
	g.CPU = cpuShare(snap, cores)
	if h := snap.Histograms[arrivalLagMetric]; h != nil && h.TotalCount() > 0 {
		g.ArrivalLagP99 = ms(h.ValueAtQuantile(99))
	}
	switch {
	case g.CPU >= CPULimit:
		g.Saturated = true
		g.Reason = fmt.Sprintf("the generator used %.0f%% of %d cores", 100*g.CPU, cores)
	case g.ArrivalLagP99 >= float64(LagLimit/time.Millisecond):
		g.Saturated = true
		g.Reason = fmt.Sprintf("VUs started up to %.0f ms late (p99)", g.ArrivalLagP99)
	}
	return g
}

// cpuShare is the share of all cores the generator used over snap's span
// (engine.cpu_us is its CPU time in µs), or 0 when unknown.
func cpuShare(snap metrics.Snapshot, cores int) float64 {
	secs := snap.Duration().Seconds()
	if secs <= 0 || cores <= 0 {
		return 0
	}
	return float64(snap.Counters[cpuMetric]) / 1e6 / secs / float64(cores)
}

// Warning is the plain sentence shown when the generator was the
// bottleneck, or "".
func (g Generator) Warning() string {
	if !g.Saturated {
		return ""
	}
	return "WARNING: the load generator was saturated (" + g.Reason + "): latencies include its own delay and the target was not pushed as planned; run fewer VUs per process or shard the run (--shard)."
}
