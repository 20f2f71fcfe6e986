package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockload/sockload/metrics"
)

// Merge combines the reports of the shards of one run (sockload run
// --shard i/n) into the report of the whole run: counters add, histograms
// merge exactly (percentiles come from the merged histograms, never from
// averages), intervals and windows are aligned on the wall clock. Every
// shard 1..n must be there exactly once; reports without shards (from runs
// that were not split) are merged as they are.
func Merge(reports []*Report) (*Report, error) {
	if len(reports) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	if err := checkShards(reports); err != nil {
		return nil, err
	}
	first := reports[0]
	out := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          first.Tool,
		Scenario:      first.Scenario,
		Target:        first.Target,
		Plan:          mergePlans(reports),
	}
	aggregates := make([]metrics.Snapshot, len(reports))
	samples := make([][]metrics.ErrorSample, len(reports))
	for i, r := range reports {
		aggregates[i] = r.Aggregate
		samples[i] = r.FirstErrors
		out.Run = mergeRunInfo(out.Run, r.Run, i == 0)
	}
	out.Run.Shard = ""
	var err error
	if out.Aggregate, err = metrics.Merge(aggregates...); err != nil {
		return nil, fmt.Errorf("merging the aggregates: %w", err)
	}
	if out.Intermediate, err = mergeIntervals(reports); err != nil {
		return nil, err
	}
	if out.Windows, err = mergeWindows(reports); err != nil {
		return nil, err
	}
	out.Generator = mergeGenerators(reports)
	out.Broadcasts = Broadcasts(out.Aggregate)
	out.FirstErrors = metrics.MergeErrorSamples(samples...)
	return out, nil
}

// checkShards makes sure the reports are the shards 1..n of one split, each
// once, or all whole runs.
func checkShards(reports []*Report) error {
	n := 0
	seen := map[int]string{}
	for _, r := range reports {
		if r.Run.Shard == "" {
			if n > 0 {
				return fmt.Errorf("%s is a whole run, the others are shards: merge the shards of one run", r.Scenario)
			}
			continue
		}
		var i, of int
		if _, err := fmt.Sscanf(r.Run.Shard, "%d/%d", &i, &of); err != nil || i < 1 || i > of {
			return fmt.Errorf("a report has shard %q, not i/n", r.Run.Shard)
		}
		if n != 0 && of != n {
			return fmt.Errorf("shards of different splits: %d/%d and one of %d", i, of, n)
		}
		n = of
		if _, dup := seen[i]; dup {
			return fmt.Errorf("shard %d/%d is given twice", i, n)
		}
		seen[i] = r.Run.Shard
	}
	if n > 0 && len(seen) != len(reports) {
		return fmt.Errorf("some reports are shards and some are whole runs")
	}
	var missing []string
	for i := 1; i <= n; i++ {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("shard(s) %s missing: the merged run would not be the whole plan", strings.Join(missing, ", "))
	}
	return nil
}

// mergePlans adds the shards' expected arrivals phase by phase.
func mergePlans(reports []*Report) []PlanPhase {
	plan := slices.Clone(reports[0].Plan)
	for _, r := range reports[1:] {
		for i := range min(len(plan), len(r.Plan)) {
			plan[i].ExpectedArrival += r.Plan[i].ExpectedArrival
			plan[i].MaxVusers += r.Plan[i].MaxVusers
		}
	}
	return plan
}

func mergeRunInfo(into, r RunInfo, first bool) RunInfo {
	if first || r.Start.Before(into.Start) {
		into.Start = r.Start
	}
	if r.End.After(into.End) {
		into.End = r.End
	}
	into.Interrupted = into.Interrupted || r.Interrupted
	into.Launched += r.Launched
	into.Skipped += r.Skipped
	into.Cancelled += r.Cancelled
	return into
}

// mergeIntervals merges the intervals that end at the same wall-clock
// instant (to the second: intervals end on the clock's boundaries).
func mergeIntervals(reports []*Report) ([]json.RawMessage, error) {
	byEnd := map[time.Time]metrics.Snapshot{}
	for _, r := range reports {
		intervals, err := r.Intervals()
		if err != nil {
			return nil, err
		}
		for _, s := range intervals {
			key := s.End.Round(time.Second)
			merged := byEnd[key]
			if err := merged.Add(s); err != nil {
				return nil, fmt.Errorf("merging the interval ending at %s: %w", key, err)
			}
			byEnd[key] = merged
		}
	}
	ends := make([]time.Time, 0, len(byEnd))
	for end := range byEnd {
		ends = append(ends, end)
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]json.RawMessage, len(ends))
	for i, end := range ends {
		enc, err := json.Marshal(byEnd[end])
		if err != nil {
			return nil, err
		}
		out[i] = enc
	}
	return out, nil
}

// windowSum accumulates the windows of one wall-clock second.
type windowSum struct {
	w                                 Window
	offered, achieved, emits, cpuSecs float64
	cores                             int
	hists                             map[string]*hdrhistogram.Histogram
	machines                          map[string]bool // counted in cores
}

// mergeWindows merges the windows that start in the same wall-clock second.
func mergeWindows(reports []*Report) ([]Window, error) {
	bySecond := map[time.Time]*windowSum{}
	for i, r := range reports {
		for _, w := range r.Windows {
			key := w.Start.Truncate(time.Second)
			sum := bySecond[key]
			if sum == nil {
				sum = &windowSum{w: Window{Start: w.Start}, hists: map[string]*hdrhistogram.Histogram{}, machines: map[string]bool{}}
				bySecond[key] = sum
			}
			if err := sum.add(w, r.Generator, i); err != nil {
				return nil, err
			}
		}
	}
	out := make([]Window, 0, len(bySecond))
	for _, sum := range bySecond {
		out = append(out, sum.window())
	}
	slices.SortFunc(out, func(a, b Window) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// machineOf names the machine of report i: its host, or the report itself
// when it names none.
func machineOf(g Generator, i int) string {
	if g.Host != "" {
		return "host " + g.Host
	}
	return fmt.Sprintf("report %d", i)
}

func (s *windowSum) add(w Window, g Generator, i int) error {
	cores := g.Cores
	s.w.Seconds = max(s.w.Seconds, w.Seconds)
	if w.Start.Before(s.w.Start) {
		s.w.Start = w.Start
	}
	s.offered += w.Offered * w.Seconds
	s.achieved += w.Achieved * w.Seconds
	s.emits += w.Emits * w.Seconds
	s.cpuSecs += w.CPU * w.Seconds * float64(cores)
	if m := machineOf(g, i); !s.machines[m] {
		// Shards on one machine share its cores.
		s.machines[m] = true
		s.cores += cores
	}
	s.w.Active += w.Active
	s.w.Responses += w.Responses
	s.w.ErrorAcks += w.ErrorAcks
	s.w.Completed += w.Completed
	s.w.Failed += w.Failed
	s.w.Expected += w.Expected
	s.w.Delivered += w.Delivered
	s.w.Errors = addCounts(s.w.Errors, w.Errors)
	s.w.Disconnects = addCounts(s.w.Disconnects, w.Disconnects)
	s.w.Backends = addCounts(s.w.Backends, w.Backends)
	s.w.Reconnects += w.Reconnects
	for _, enc := range w.Histograms {
		h, err := enc.Decode()
		if err != nil {
			return fmt.Errorf("window at %s, histogram %q: %w", w.Start, enc.Metric, err)
		}
		if into := s.hists[enc.Metric]; into != nil {
			into.Merge(h)
		} else {
			s.hists[enc.Metric] = h
		}
	}
	return nil
}

func (s *windowSum) window() Window {
	w := s.w
	if w.Seconds > 0 {
		w.Offered = s.offered / w.Seconds
		w.Achieved = s.achieved / w.Seconds
		w.Emits = s.emits / w.Seconds
		if s.cores > 0 {
			w.CPU = s.cpuSecs / w.Seconds / float64(s.cores)
		}
	}
	w.Histograms = nil
	w.setLatencies(s.hists)
	return w
}

// mergeGenerators keeps the worst shard's verdict: a merged run is only as
// trustworthy as its most saturated generator. Shards of one machine (the
// same Host) count its cores once and add up their share of them.
func mergeGenerators(reports []*Report) Generator {
	var out Generator
	cpuOf := map[string]float64{} // share of each machine's cores
	for i, r := range reports {
		g := r.Generator
		m := machineOf(g, i)
		if _, seen := cpuOf[m]; !seen {
			out.Cores += g.Cores
		}
		cpuOf[m] += g.CPU
		out.CPU = max(out.CPU, cpuOf[m])
		out.ArrivalLagP99 = max(out.ArrivalLagP99, g.ArrivalLagP99)
		if g.Saturated && !out.Saturated {
			out.Saturated = true
			out.Reason = g.Reason
			if r.Run.Shard != "" {
				out.Reason = "shard " + r.Run.Shard + ": " + g.Reason
			}
		}
	}
	return out
}

// addCounts adds the counts of from into into, which it makes when needed.
func addCounts(into, from map[string]int64) map[string]int64 {
	for k, n := range from {
		if into == nil {
			into = map[string]int64{}
		}
		into[k] += n
	}
	return into
}
