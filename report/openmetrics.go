package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// OpenMetricsContentType is the media type of WriteOpenMetrics's output.
const OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

// Gauges are what the live metrics show beyond the run's counters and
// histograms: the gauges of the moment.
type Gauges struct {
	Active   int64
	Backends map[string]int64
}

// WriteOpenMetrics writes snap (the run so far) and live in the OpenMetrics
// text format, for Prometheus to scrape a long run. Names are sockload_
// and the metric's name with dots as underscores: counters end in _total
// (vusers.created is sockload_vusers_created_total), latencies are
// summaries in seconds with the quantiles 0.5, 0.9, 0.95, 0.99 and 0.999
// (socketio.response_time is sockload_socketio_response_time_seconds).
// The families of the engine's catalogue whose names end in free text
// carry it as a label instead: errors.<code> is
// sockload_errors_total{code="..."}, socketio.disconnects.<reason>
// sockload_socketio_disconnects_total{reason="..."}, the others
// {name="..."}. Rates are left out: Prometheus computes them from the
// counters.
func WriteOpenMetrics(w io.Writer, snap metrics.Snapshot, live Gauges) error {
	ew := &errWriter{w: w}
	families := map[string]*omFamily{}
	add := func(name, kind, unit string) *omFamily {
		f := families[name]
		if f == nil {
			f = &omFamily{name: name, kind: kind, unit: unit}
			families[name] = f
		}
		return f
	}
	for name, n := range snap.Counters {
		base, label, value := splitFamily(name)
		f := add(omName(base), "counter", "")
		f.samples = append(f.samples, omSample{suffix: "_total", labels: labelText(label, value), value: strconv.FormatInt(n, 10)})
	}
	for name, h := range snap.Histograms {
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		base, label, value := splitFamily(name)
		f := add(omName(base)+"_seconds", "summary", "seconds")
		lt := labelText(label, value)
		for _, q := range []float64{0.5, 0.9, 0.95, 0.99, 0.999} {
			f.samples = append(f.samples, omSample{labels: joinLabels(lt, `quantile="`+strconv.FormatFloat(q, 'g', -1, 64)+`"`),
				value: seconds(float64(h.ValueAtQuantile(100 * q)))})
		}
		f.samples = append(f.samples,
			omSample{suffix: "_sum", labels: lt, value: seconds(h.Mean() * float64(h.TotalCount()))},
			omSample{suffix: "_count", labels: lt, value: strconv.FormatInt(h.TotalCount(), 10)})
	}
	active := add("sockload_vusers_active", "gauge", "")
	active.samples = append(active.samples, omSample{value: strconv.FormatInt(live.Active, 10)})
	if len(live.Backends) > 0 {
		b := add("sockload_backend_vusers_active", "gauge", "")
		for name, n := range live.Backends {
			b.samples = append(b.samples, omSample{labels: labelText("backend", name), value: strconv.FormatInt(n, 10)})
		}
	}
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		families[name].write(ew)
	}
	fmt.Fprint(ew, "# EOF\n")
	return ew.err
}

type omFamily struct {
	name, kind, unit string
	samples          []omSample
}

type omSample struct {
	suffix, labels, value string
}

func (f *omFamily) write(w io.Writer) {
	fmt.Fprintf(w, "# TYPE %s %s\n", f.name, f.kind)
	if f.unit != "" {
		fmt.Fprintf(w, "# UNIT %s %s\n", f.name, f.unit)
	}
	// Samples of one label set stay together, as OpenMetrics asks.
	slices.SortStableFunc(f.samples, func(a, b omSample) int { return strings.Compare(stripQuantile(a.labels), stripQuantile(b.labels)) })
	for _, s := range f.samples {
		fmt.Fprintf(w, "%s%s", f.name, s.suffix)
		if s.labels != "" {
			fmt.Fprintf(w, "{%s}", s.labels)
		}
		fmt.Fprintf(w, " %s\n", s.value)
	}
}

func stripQuantile(labels string) string {
	if i := strings.Index(labels, `quantile="`); i >= 0 {
		return strings.TrimSuffix(labels[:i], ",")
	}
	return labels
}

// splitFamily splits a name of one of the catalogue's families into the
// family and its free-text part, with the label that part is shown as.
func splitFamily(name string) (base, label, value string) {
	best := ""
	for _, m := range engine.Catalogue {
		if m.Family && m.Matches(name) && len(m.Name) > len(best) {
			best = m.Name
		}
	}
	if best == "" {
		return name, "", ""
	}
	label = "name"
	switch best {
	case engine.MetricErrors:
		label = "code"
	case engine.MetricDisconnects:
		label = "reason"
	}
	return strings.TrimSuffix(best, "."), label, name[len(best):]
}

// omName is a metric name as OpenMetrics allows it: [a-zA-Z_:][a-zA-Z0-9_:]*.
func omName(name string) string {
	var b strings.Builder
	b.WriteString("sockload_")
	for _, r := range name {
		if r < 128 && (r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func labelText(label, value string) string {
	if label == "" {
		return ""
	}
	return label + `="` + escapeLabel(value) + `"`
}

func joinLabels(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}

// escapeLabel escapes a label value: backslash, double quote and line feed.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// seconds formats microseconds as seconds.
func seconds(us float64) string { return strconv.FormatFloat(us/1e6, 'g', -1, 64) }

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
