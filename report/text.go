package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sockload/sockload/metrics"
)

// lineWidth is where values are aligned, as in Artillery's reports.
const lineWidth = 76

// WriteInterval prints one interval as Artillery's "Metrics for period to"
// block.
func WriteInterval(w io.Writer, snap metrics.Snapshot) {
	rule := strings.Repeat("-", 38)
	fmt.Fprintf(w, "%s\nMetrics for period to: %s (width: %.3fs)\n%s\n\n", rule, clock(snap.End), snap.Duration().Seconds(), rule)
	WriteMetrics(w, snap)
	fmt.Fprintln(w)
	WriteBroadcasts(w, snap)
}

// WriteSummary prints the end-of-run summary: every metric of the whole
// run, then how the run ended and the generator's verdict on itself.
func WriteSummary(w io.Writer, r *Report) {
	total := r.Run.End.Sub(r.Run.Start).Round(time.Millisecond)
	if r.Run.StoppedBy != "" {
		fmt.Fprintf(w, "Run stopped after %s by a failing check: %s\n", total, r.Run.StoppedBy)
	} else if r.Run.Interrupted {
		fmt.Fprintf(w, "Run interrupted after %s.\n", total)
	} else {
		fmt.Fprintf(w, "All VUs finished. Total time: %s\n", total)
	}
	rule := strings.Repeat("-", 38)
	fmt.Fprintf(w, "\n%s\nSummary report @ %s\n%s\n\n", rule, clock(r.Run.End), rule)
	WriteMetrics(w, r.Aggregate)
	fmt.Fprintln(w)
	WriteBroadcasts(w, r.Aggregate)
	WriteFirstErrors(w, r)
	WriteErrorHints(w, r.Aggregate)
	WriteTransports(w, r.Aggregate)
	WriteRecoveries(w, r)
	WriteBackends(w, r)
	WriteAnnotations(w, r)
	if r.Run.Skipped > 0 {
		fmt.Fprintf(w, "%d arrivals were skipped: maxVusers was reached.\n", r.Run.Skipped)
	}
	if r.Run.Cancelled > 0 {
		fmt.Fprintf(w, "%d VUs were still running at the end and were cancelled.\n", r.Run.Cancelled)
	}
	fmt.Fprintf(w, "Generator: %.0f%% CPU of %d cores, arrival lag p99 %.1f ms.\n", 100*r.Generator.CPU, r.Generator.Cores, r.Generator.ArrivalLagP99)
	if warn := r.Generator.Warning(); warn != "" {
		fmt.Fprintln(w, warn)
	}
}

// WriteMetrics prints every counter, rate and summary of snap in name order,
// one "name: ....... value" line each (summaries as indented statistics, in
// milliseconds).
func WriteMetrics(w io.Writer, snap metrics.Snapshot) {
	type entry struct {
		name  string
		write func()
	}
	var entries []entry
	for name, n := range snap.Counters {
		if n == 0 {
			continue
		}
		entries = append(entries, entry{name, func() { dotted(w, name, strconv.FormatInt(n, 10)) }})
	}
	for name, rate := range snap.Rates() {
		if rate == 0 {
			continue
		}
		entries = append(entries, entry{name, func() { dotted(w, name, fmt.Sprintf("%s/sec", formatNumber(math.Round(rate*10)/10))) }})
	}
	for name, s := range snap.Summaries() {
		entries = append(entries, entry{name, func() { writeSummary(w, name, s) }})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	for _, e := range entries {
		e.write()
	}
}

func writeSummary(w io.Writer, name string, s metrics.Summary) {
	fmt.Fprintf(w, "%s:\n", name)
	for _, stat := range []struct {
		name  string
		value float64
	}{
		{"min", s.Min}, {"max", s.Max}, {"mean", s.Mean}, {"median", s.Median},
		{"p95", s.P95}, {"p99", s.P99},
	} {
		dotted(w, "  "+stat.name, formatNumber(stat.value))
	}
}

// dotted prints "name: ........ value" padded to lineWidth.
func dotted(w io.Writer, name, value string) {
	dots := lineWidth - len(name) - len(value) - 3
	if dots < 3 {
		dots = 3
	}
	fmt.Fprintf(w, "%s: %s %s\n", name, strings.Repeat(".", dots), value)
}

func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// clock formats a time as Artillery does: 15:04:05(+0000).
func clock(t time.Time) string {
	return t.Format("15:04:05(-0700)")
}
