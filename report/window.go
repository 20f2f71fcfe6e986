package report

import (
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// Window is one second of a run, recorded as it happens, for the
// breaking-point analysis and the charts. Rates are per second; latencies
// in milliseconds.
type Window struct {
	Start time.Time `json:"start"`
	// Seconds is the window's length (the last one may be partial).
	Seconds float64 `json:"seconds"`
	// Offered is the arrival rate the plan asked for in the window;
	// Achieved the rate of VUs actually started.
	Offered  float64 `json:"offered"`
	Achieved float64 `json:"achieved"`
	// Active is the number of VUs running at the window's end.
	Active int64 `json:"active"`
	// Emits is socketio.emit per second.
	Emits float64 `json:"emits"`
	// Responses counts the timed responses (acks, response events and the
	// responses to HTTP steps), and ResponseP95/P99 are their latency.
	Responses   int64   `json:"responses"`
	ResponseP95 float64 `json:"responseP95Ms"`
	ResponseP99 float64 `json:"responseP99Ms"`
	ConnectP95  float64 `json:"connectP95Ms"`
	ConnectP99  float64 `json:"connectP99Ms"`
	// Deliveries counts the receipts of traced messages and DeliveryP99
	// their delivery time; Expected and Delivered are the recipients of
	// the traced messages settled in the window (their deadline passed).
	Deliveries  int64   `json:"deliveries,omitempty"`
	DeliveryP50 float64 `json:"deliveryP50Ms,omitempty"`
	DeliveryP99 float64 `json:"deliveryP99Ms,omitempty"`
	Expected    int64   `json:"expected,omitempty"`
	Delivered   int64   `json:"delivered,omitempty"`
	// ErrorAcks counts the acks that carried the server's refusal
	// (engine's socketio.error_acks), apart from Responses.
	ErrorAcks int64 `json:"errorAcks,omitempty"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	// Errors counts errors.<code> by code.
	Errors map[string]int64 `json:"errors,omitempty"`
	// Disconnects counts socketio.disconnects.<reason> by reason;
	// Reconnects the reconnections that succeeded.
	Disconnects map[string]int64 `json:"disconnects,omitempty"`
	Reconnects  int64            `json:"reconnects,omitempty"`
	// Backends is the number of VUs on each backend at the window's end
	// (see engine's backend option), when the run names backends.
	Backends map[string]int64 `json:"backends,omitempty"`
	// ArrivalLagP99 (ms) and CPU (share of all cores) are the generator's
	// own health in the window.
	ArrivalLagP99 float64 `json:"arrivalLagP99Ms,omitempty"`
	CPU           float64 `json:"cpu"`
	// Histograms holds the window's latency histograms (windowHistograms),
	// encoded, so that windows of shards merge exactly.
	Histograms WindowHistograms `json:"histograms,omitempty"`
}

// windowHistograms are the latencies a window keeps whole.
var windowHistograms = []string{engine.MetricResponseTime, engine.MetricHTTPResponseTime, engine.MetricConnectTime, arrivalLagMetric, engine.MetricDeliveryTime, engine.MetricReconnectTime}

// Progress is what the engine reports of the run's VUs at a window's end.
type Progress struct {
	Active   int64
	Launched int64
	// Backends is the number of VUs on each named backend (nil when the
	// run names none).
	Backends map[string]int64
}

// windowOf summarizes one second's snapshot. launched is the number of VUs
// started in it; Offered is filled in after the run from the plan.
func windowOf(s metrics.Snapshot, p Progress, launched int64, cores int) Window {
	secs := s.Duration().Seconds()
	w := Window{Start: s.Start, Seconds: secs, Active: p.Active, Backends: p.Backends}
	w.Reconnects = s.Counters[engine.MetricReconnects]
	for name, n := range s.Counters {
		if reason, ok := strings.CutPrefix(name, engine.MetricDisconnects); ok && n > 0 {
			if w.Disconnects == nil {
				w.Disconnects = map[string]int64{}
			}
			w.Disconnects[reason] = n
		}
	}
	w.setLatencies(s.Histograms)
	if secs <= 0 {
		return w
	}
	w.Achieved = float64(launched) / secs
	w.Emits = float64(s.Counters[engine.MetricEmit]) / secs
	w.CPU = cpuShare(s, cores)
	w.Completed = s.Counters[engine.MetricVUsersCompleted]
	w.Failed = s.Counters[engine.MetricVUsersFailed]
	w.Expected = s.Counters[engine.MetricExpected]
	w.Delivered = s.Counters[engine.MetricDelivered]
	w.ErrorAcks = s.Counters[engine.MetricErrorAcks]
	for name, n := range s.Counters {
		if code, ok := strings.CutPrefix(name, engine.MetricErrors); ok && n > 0 {
			if w.Errors == nil {
				w.Errors = map[string]int64{}
			}
			w.Errors[code] = n
		}
	}
	return w
}

// setLatencies sets the window's percentiles from its histograms and keeps
// them encoded.
func (w *Window) setLatencies(hists map[string]*hdrhistogram.Histogram) {
	if h := responseLatency(hists); h != nil {
		w.Responses = h.TotalCount()
		w.ResponseP95, w.ResponseP99 = ms(h.ValueAtQuantile(95)), ms(h.ValueAtQuantile(99))
	}
	if h := hists[engine.MetricConnectTime]; h != nil {
		w.ConnectP95, w.ConnectP99 = ms(h.ValueAtQuantile(95)), ms(h.ValueAtQuantile(99))
	}
	if h := hists[engine.MetricDeliveryTime]; h != nil {
		w.Deliveries = h.TotalCount()
		w.DeliveryP50, w.DeliveryP99 = ms(h.ValueAtQuantile(50)), ms(h.ValueAtQuantile(99))
	}
	if h := hists[arrivalLagMetric]; h != nil {
		w.ArrivalLagP99 = ms(h.ValueAtQuantile(99))
	}
	w.Histograms = encodeWindowHistograms(hists, windowHistograms)
}

// responseLatency is what the target took to answer in the window: its
// acks and response events, and the responses to HTTP steps, which a
// target owes as much (a login that slows down is the target breaking).
func responseLatency(hists map[string]*hdrhistogram.Histogram) *hdrhistogram.Histogram {
	ws, web := hists[engine.MetricResponseTime], hists[engine.MetricHTTPResponseTime]
	if web == nil || web.TotalCount() == 0 {
		return ws
	}
	if ws == nil || ws.TotalCount() == 0 {
		return web
	}
	both := metrics.NewHistogram()
	both.Merge(ws)
	both.Merge(web)
	return both
}

func ms(us int64) float64 { return float64(us) / 1000 }

// FillOffered sets each window's Offered rate from the plan's intended
// arrival offsets (from the run's start), which must be in order.
func FillOffered(windows []Window, runStart time.Time, intended func(yield func(time.Duration) bool)) {
	if len(windows) == 0 {
		return
	}
	counts := make([]int64, len(windows))
	i := 0
	for at := range intended {
		t := runStart.Add(at)
		for i < len(windows)-1 && !t.Before(windows[i+1].Start) {
			i++
		}
		if t.Before(windows[i].Start) {
			continue
		}
		counts[i]++
	}
	for i := range windows {
		if windows[i].Seconds > 0 {
			windows[i].Offered = float64(counts[i]) / windows[i].Seconds
		}
	}
}
