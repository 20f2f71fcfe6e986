package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// responseTimeMetric is the engine's socketio.response_time.
const responseTimeMetric = engine.MetricResponseTime

// Comparison sets two runs side by side: every metric with its difference
// and ratio, the latency at the offered rates both runs went through, and
// where each broke. A is the reference, B the run judged against it.
type Comparison struct {
	A, B *Report
	// Tolerance is how much worse, in percent, B may be before a row is
	// marked a regression.
	Tolerance float64
	Rows      []CompareRow
	SameRate  []RateRow
}

// CompareRow is one metric of both runs.
type CompareRow struct {
	Metric     string
	A, B       float64
	HasA, HasB bool
	Unit       string
	// Verdict is "worse" (a regression: higher latency or error share,
	// lower throughput), "better", or "" (within the tolerance, or a
	// count whose size depends on the run's length).
	Verdict string
}

// Diff returns B - A.
func (r CompareRow) Diff() float64 { return r.B - r.A }

// Ratio returns B / A, or NaN when A is zero.
func (r CompareRow) Ratio() float64 {
	if r.A == 0 {
		return math.NaN()
	}
	return r.B / r.A
}

// RateRow is the latency of both runs at one offered arrival rate of A:
// over A's one-second windows at that rate (rates 10% apart are one), and
// B's windows within 10% of it, the p95 and p99 of their merged response
// time histograms (Exact), or, for reports whose windows carry no
// histograms, the median of the windows' p95 and p99.
type RateRow struct {
	Offered            float64
	AP95, AP99         float64
	BP95, BP99         float64
	AWindows, BWindows int
	Exact              bool
}

// Kinds of metrics, for the direction of a regression.
type direction int

const (
	neutral direction = iota
	higherWorse
	lowerWorse
)

// Compare compares b with a. Both must have been analysed (Analyze) for
// their breaking points; a report without one is analysed with the
// default thresholds.
func Compare(a, b *Report, tolerance float64) (*Comparison, error) {
	for _, r := range []*Report{a, b} {
		if r.BreakingPoint == nil {
			if _, err := r.Analyze(DefaultThresholds()); err != nil {
				return nil, err
			}
		}
	}
	c := &Comparison{A: a, B: b, Tolerance: tolerance}
	c.addRows()
	wa, _ := a.AnalysisWindows()
	wb, _ := b.AnalysisWindows()
	c.SameRate = sameRate(wa, wb)
	return c, nil
}

func (c *Comparison) addRows() {
	a, b := c.A.Aggregate, c.B.Aggregate
	add := func(name string, va, vb float64, hasA, hasB bool, unit string, dir direction) {
		row := CompareRow{Metric: name, A: va, B: vb, HasA: hasA, HasB: hasB, Unit: unit}
		if hasA && hasB {
			row.Verdict = judge(va, vb, dir, c.Tolerance, unit)
		}
		c.Rows = append(c.Rows, row)
	}
	createdA, createdB := float64(a.Counters[engine.MetricVUsersCreated]), float64(b.Counters[engine.MetricVUsersCreated])
	share := func(n int64, created float64) float64 {
		if created == 0 {
			return 0
		}
		return 100 * float64(n) / created
	}
	add("VUs failed (share of created)", share(a.Counters[engine.MetricVUsersFailed], createdA), share(b.Counters[engine.MetricVUsersFailed], createdB), createdA > 0, createdB > 0, "%", higherWorse)

	c.addReach(add)

	for _, name := range unionKeys(a.Counters, b.Counters) {
		na, okA := a.Counters[name]
		nb, okB := b.Counters[name]
		dir := neutral
		if strings.HasPrefix(name, engine.MetricErrors) {
			// A count of errors depends on the run's length: judge its
			// share of the VUs created.
			add(name+" (per 100 VUs)", share(na, createdA), share(nb, createdB), createdA > 0, createdB > 0, "", higherWorse)
		}
		add(name, float64(na), float64(nb), okA, okB, "", dir)
	}
	ra, rb := a.Rates(), b.Rates()
	for _, name := range unionKeys(ra, rb) {
		va, okA := ra[name]
		vb, okB := rb[name]
		// Every rate follows the load offered, which the user chose: a
		// stress run offers more than a load run, and that is context,
		// neither better nor worse. What the target made of it is judged
		// by the latencies and error shares.
		add(name, va, vb, okA, okB, "/s", neutral)
	}
	sa, sb := a.Summaries(), b.Summaries()
	for _, name := range unionKeys(sa, sb) {
		ma, okA := sa[name]
		mb, okB := sb[name]
		add(name+".count", float64(ma.Count), float64(mb.Count), okA, okB, "", neutral)
		for _, stat := range []struct {
			name   string
			va, vb float64
		}{
			{"min", ma.Min, mb.Min}, {"median", ma.Median, mb.Median}, {"p95", ma.P95, mb.P95},
			{"p99", ma.P99, mb.P99}, {"p999", ma.P999, mb.P999}, {"max", ma.Max, mb.Max},
		} {
			add(name+"."+stat.name, stat.va, stat.vb, okA, okB, "ms", higherWorse)
		}
	}
}

// addReach compares the reach of traced messages, overall and per event:
// lower is worse.
func (c *Comparison) addReach(add func(name string, va, vb float64, hasA, hasB bool, unit string, dir direction)) {
	reaches := func(r *Report) map[string]float64 {
		out := map[string]float64{}
		for _, b := range Broadcasts(r.Aggregate) {
			if b.Reach != nil {
				name := engine.MetricReach
				if b.Event != "" {
					name += "." + b.Event
				}
				out[name] = *b.Reach
			}
		}
		return out
	}
	ra, rb := reaches(c.A), reaches(c.B)
	for _, name := range unionKeys(ra, rb) {
		va, okA := ra[name]
		vb, okB := rb[name]
		add(name, va, vb, okA, okB, "%", lowerWorse)
	}
}

// judge marks a change past the tolerance. Latencies must also move by
// a millisecond, so that sub-millisecond jitter is not a regression.
func judge(a, b float64, dir direction, tolerance float64, unit string) string {
	if dir == neutral || a == b {
		return ""
	}
	if unit == "ms" && math.Abs(b-a) < 1 {
		return ""
	}
	if unit == "%" && math.Abs(b-a) < 0.1 {
		return ""
	}
	limit := tolerance / 100
	worse, better := "worse", "better"
	if dir == lowerWorse {
		worse, better = better, worse
	}
	switch {
	case b > a*(1+limit) || (a == 0 && b > 0):
		return worse
	case b < a*(1-limit):
		return better
	}
	return ""
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// sameRate pairs A's windows, grouped by offered rate, with B's windows
// offered within 10% of each group's rate.
func sameRate(a, b []Window) []RateRow {
	groups := map[int][]Window{}
	for _, w := range measured(a) {
		k := int(math.Round(math.Log(w.Offered) / math.Log(1.1)))
		groups[k] = append(groups[k], w)
	}
	keys := make([]int, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var rows []RateRow
	for _, k := range keys {
		wa := groups[k]
		level := median(pick(wa, func(w Window) float64 { return w.Offered }))
		var wb []Window
		for _, w := range measured(b) {
			if math.Abs(w.Offered-level) <= 0.1*level {
				wb = append(wb, w)
			}
		}
		if len(wb) == 0 {
			continue
		}
		row := RateRow{Offered: level, AWindows: len(wa), BWindows: len(wb)}
		a95, a99, okA := mergedPercentiles(wa)
		b95, b99, okB := mergedPercentiles(wb)
		if okA && okB {
			row.AP95, row.AP99, row.BP95, row.BP99, row.Exact = a95, a99, b95, b99, true
		} else {
			row.AP95 = median(pick(wa, func(w Window) float64 { return w.ResponseP95 }))
			row.AP99 = median(pick(wa, func(w Window) float64 { return w.ResponseP99 }))
			row.BP95 = median(pick(wb, func(w Window) float64 { return w.ResponseP95 }))
			row.BP99 = median(pick(wb, func(w Window) float64 { return w.ResponseP99 }))
		}
		rows = append(rows, row)
	}
	return rows
}

// mergedPercentiles merges the windows' response time histograms and
// returns their p95 and p99 in ms; ok is false when a window has none.
func mergedPercentiles(ws []Window) (p95, p99 float64, ok bool) {
	merged := metrics.NewHistogram()
	for _, w := range ws {
		h := w.Histograms.Decode(responseTimeMetric)
		if h == nil {
			return 0, 0, false
		}
		merged.Merge(h)
	}
	return ms(merged.ValueAtQuantile(95)), ms(merged.ValueAtQuantile(99)), merged.TotalCount() > 0
}

// measured returns the windows that offered arrivals and timed responses,
// but the run's first and last (partial, and the first has the start-up's
// own costs).
func measured(ws []Window) []Window {
	var out []Window
	for i, w := range ws {
		if i > 0 && i < len(ws)-1 && w.Offered > 0 && w.Responses > 0 && w.Seconds >= 0.9 {
			out = append(out, w)
		}
	}
	return out
}

func pick(ws []Window, f func(Window) float64) []float64 {
	out := make([]float64, len(ws))
	for i, w := range ws {
		out[i] = f(w)
	}
	return out
}

// WriteText prints the comparison: where each run broke, the latency at
// the offered rates both went through, and every metric side by side.
func (c *Comparison) WriteText(w io.Writer, nameA, nameB string) {
	fmt.Fprintf(w, "A: %s (%s, %s)\nB: %s (%s, %s)\n\n", nameA, c.A.Scenario, c.A.Run.Start.UTC().Format("2006-01-02 15:04 UTC"),
		nameB, c.B.Scenario, c.B.Run.Start.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "Breaking points\n  A: %s\n  B: %s\n\n", c.A.BreakingPoint.Summary, c.B.BreakingPoint.Summary)

	if len(c.SameRate) == 0 {
		fmt.Fprintln(w, "Latency at the same offered rate: the runs offered no arrival rate in common.")
	} else {
		fmt.Fprintf(w, "Latency at the same offered rate (%s, ms)\n", sameRateSource(c.SameRate))
		fmt.Fprintf(w, "  %12s %9s %9s %9s %9s %9s\n", "arrivals/s", "A p95", "A p99", "B p95", "B p99", "B/A p99")
		for _, r := range c.SameRate {
			fmt.Fprintf(w, "  %12s %9s %9s %9s %9s %9s\n", "~"+groupDigits(r.Offered), groupDigits(r.AP95), groupDigits(r.AP99),
				groupDigits(r.BP95), groupDigits(r.BP99), ratioText(r.BP99, r.AP99))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Metrics (worse/better: B against A, past %s%%)\n", groupDigits(c.Tolerance))
	fmt.Fprintf(w, "  %-46s %12s %12s %12s %8s\n", "metric", "A", "B", "B - A", "B/A")
	worse := 0
	for _, r := range c.Rows {
		mark := r.Verdict
		if mark == "worse" {
			worse++
			mark = "WORSE"
		}
		line := fmt.Sprintf("  %-46s %12s %12s %12s %8s  %s", clip(r.Metric, 46), value(r.A, r.HasA, r.Unit), value(r.B, r.HasB, r.Unit),
			diffText(r), ratioText(r.B, r.A), mark)
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	fmt.Fprintf(w, "\n%d metric(s) worse in B.\n", worse)
}

// sameRateSource says how the rows' percentiles were computed.
func sameRateSource(rows []RateRow) string {
	for _, r := range rows {
		if !r.Exact {
			return "median of the per-second p95 and p99"
		}
	}
	return "p95 and p99 of the seconds' merged histograms"
}

func value(v float64, ok bool, unit string) string {
	if !ok {
		return "-"
	}
	switch unit {
	case "%":
		return groupDigits(v) + "%"
	case "/s":
		return groupDigits(v) + "/s"
	}
	return groupDigits(v)
}

func diffText(r CompareRow) string {
	if !r.HasA || !r.HasB {
		return "-"
	}
	d := r.Diff()
	if d > 0 {
		return "+" + groupDigits(d)
	}
	return groupDigits(d)
}

func ratioText(b, a float64) string {
	if a == 0 {
		return "-"
	}
	return twoDigits(b/a) + "×"
}

// clip shortens s to at most n characters (runes, not bytes, so a name in
// any script stays valid UTF-8), ending a shortened one in "...".
func clip(s string, n int) string {
	runes := []rune(s)
	if len(runes) <= n {
		return s
	}
	return string(runes[:max(n-3, 0)]) + "..."
}
