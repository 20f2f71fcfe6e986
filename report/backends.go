package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// BackendView is one backend of a run that names them (socketio option
// backend): the VUs that landed on it, the most at once, and its share of
// the latency, errors and disconnects.
type BackendView struct {
	Name        string
	Landed      int64 // VUs that landed on it (a VU moved by a reconnection counts again)
	Peak        int64 // the most VUs on it at a second's end
	Last        int64 // VUs on it at the last second that had any VU
	Errors      int64
	Disconnects int64
	P99         float64 // socketio.response_time p99, ms; 0 without responses
}

// Backends lists the backends of a report, by name.
func Backends(r *Report) []BackendView {
	byName := map[string]*BackendView{}
	get := func(name string) *BackendView {
		b := byName[name]
		if b == nil {
			b = &BackendView{Name: name}
			byName[name] = b
		}
		return b
	}
	for name, n := range r.Aggregate.Counters {
		if b, ok := strings.CutPrefix(name, engine.MetricBackendVUsers); ok {
			get(b).Landed = n
		} else if b, ok := strings.CutPrefix(name, engine.MetricBackendErrors); ok {
			get(b).Errors = n
		} else if b, ok := strings.CutPrefix(name, engine.MetricBackendDisconnects); ok {
			get(b).Disconnects = n
		}
	}
	for name, h := range r.Aggregate.Histograms {
		if b, ok := strings.CutPrefix(name, engine.MetricBackendResponseTime); ok && h != nil && h.TotalCount() > 0 {
			get(b).P99 = metrics.Summarize(h).P99
		}
	}
	ws, _ := r.AnalysisWindows()
	last := -1
	for i, w := range ws {
		for name, n := range w.Backends {
			b := get(name)
			b.Peak = max(b.Peak, n)
			if n > 0 {
				last = i
			}
		}
	}
	if last >= 0 {
		for name, n := range ws[last].Backends {
			get(name).Last = n
		}
	}
	out := make([]BackendView, 0, len(byName))
	for _, b := range byName {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b BackendView) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// WriteBackends prints the per-backend view, one line per backend, when
// the run names backends.
func WriteBackends(w io.Writer, r *Report) {
	bs := Backends(r)
	if len(bs) == 0 {
		return
	}
	fmt.Fprintln(w, "Backends (VUs landed, most at once, at the last busy second; errors, disconnects, response p99):")
	for _, b := range bs {
		fmt.Fprintf(w, "  %-20s %6d landed %6d peak %6d last   %5d errors %5d disconnects", b.Name, b.Landed, b.Peak, b.Last, b.Errors, b.Disconnects)
		if b.P99 > 0 {
			fmt.Fprintf(w, "   p99 %s ms", twoDigits(b.P99))
		}
		fmt.Fprintln(w)
	}
}
