package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/sockload/sockload/checks"
	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/phases"
	"github.com/sockload/sockload/report"
	"github.com/sockload/sockload/scenario"
)

// runOutput prints a run's progress (a live line on a terminal, interval
// reports otherwise) and its end: the summary and the JSON report.
type runOutput struct {
	pio    *processIO
	flags  runFlags
	script *scenario.Script
	plan   phases.Plan
	runner *engine.Runner
	reg    *metrics.Registry
	// gate holds the run's checks (nil: none); early, the ones that may
	// stop it.
	gate         *checks.Gate
	early        *earlyChecks
	checkResults []report.CheckResult
	// report is the run's report, once finish built it.
	report *report.Report
	// shard is "i/n" when the run is one shard of a split plan.
	shard string

	lastOffered, lastLaunched int64
	liveShown                 bool

	finishOnce sync.Once
	finishErr  error
}

func newRunOutput(pio *processIO, f runFlags, s *scenario.Script, plan phases.Plan, r *engine.Runner) *runOutput {
	return &runOutput{pio: pio, flags: f, script: s, plan: plan, runner: r}
}

// second refreshes the live view on a terminal.
func (o *runOutput) second(sec, interval metrics.Snapshot) {
	if o.flags.quiet || !o.pio.isTerminal {
		return
	}
	st := o.runner.Status()
	secs := sec.Duration().Seconds()
	if secs <= 0 {
		secs = 1
	}
	live := report.Live{
		Phase:          o.phaseLabel(st),
		Elapsed:        st.Elapsed,
		Total:          st.Total,
		Active:         st.Active,
		Offered:        float64(st.Offered-o.lastOffered) / secs,
		Achieved:       float64(st.Launched-o.lastLaunched) / secs,
		EmitsPerSecond: float64(sec.Counters[engine.MetricEmit]) / secs,
		Saturated:      report.Assess(sec, runtime.NumCPU()).Warning(),
	}
	o.lastOffered, o.lastLaunched = st.Offered, st.Launched
	live = report.LiveFrom(live, interval)
	fmt.Fprintf(o.pio.stdout, "\r\x1b[K%s", live.Line())
	o.liveShown = true
}

func (o *runOutput) phaseLabel(st engine.Status) string {
	if st.Phase >= len(o.plan) {
		return "winding down"
	}
	p := o.plan[st.Phase]
	label := fmt.Sprintf("phase %d/%d", st.Phase+1, len(o.plan))
	if p.Name != "" {
		label += " " + p.Name
	}
	return label
}

// interval prints a completed interval where there is no live view.
func (o *runOutput) interval(snap metrics.Snapshot) {
	if o.flags.quiet || o.pio.isTerminal {
		return
	}
	report.WriteInterval(o.pio.stdout, snap)
}

// finish builds the report from what was collected, prints the summary
// and writes the JSON report. It runs once, even when a second interrupt
// races the normal end.
func (o *runOutput) finish(c *report.Collector, res engine.Result, output string) error {
	o.finishOnce.Do(func() { o.finishErr = o.write(c, res, output) })
	return o.finishErr
}

func (o *runOutput) write(c *report.Collector, res engine.Result, output string) error {
	results, err := c.Results()
	if err != nil {
		return fmt.Errorf("collecting the metrics: %w", err)
	}
	agg := results.Aggregate
	report.FillOffered(results.Windows, res.Start, o.intendedArrivals)
	if o.liveShown {
		fmt.Fprintln(o.pio.stdout)
	}
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          "sockload " + buildVersion(),
		Scenario:      o.script.Path,
		Target:        redactTarget(o.script.Config.Target),
		Plan:          planOf(o.plan),
		Run: report.RunInfo{
			Start: res.Start, End: res.End, Interrupted: res.Interrupted,
			Launched: res.Launched, Skipped: res.Skipped, Cancelled: res.Cancelled,
			Shard: o.shard,
		},
		Aggregate:    agg,
		Intermediate: results.Intermediate,
		Windows:      results.Windows,
		Generator:    report.Assess(agg, runtime.NumCPU()),
		FirstErrors:  o.reg.ErrorSamples(),
		Broadcasts:   report.Broadcasts(agg),
		Annotations:  results.Annotations,
	}
	rep.Generator.Host, _ = os.Hostname()
	if rep.Run.End.IsZero() {
		rep.Run.End = time.Now()
	}
	if stopped, ok := o.early.stoppedBy(); ok {
		rep.Run.StoppedBy = stopped.Text
	}
	o.report = rep
	report.WriteSummary(o.pio.stdout, rep)
	if o.gate != nil {
		in := checks.Input{Aggregate: agg, Windows: results.Windows, Cores: runtime.NumCPU()}
		o.checkResults = finalResults(o.gate, in, o.early)
		rep.Checks = o.checkResults
		fmt.Fprintln(o.pio.stdout)
		report.WriteChecks(o.pio.stdout, o.checkResults)
	}
	if err := analyzeRun(o.pio, rep, o.script, o.flags.analysis); err != nil {
		return err
	}
	if output != "" {
		if err := writeOutput(o.pio, "Report", output, rep.EncodeJSON); err != nil {
			return err
		}
	}
	return o.writeCheckFiles(rep)
}

// writeCheckFiles writes the checks as JUnit XML (--junit) and appends the
// Markdown summary to $GITHUB_STEP_SUMMARY when it is set. A step summary
// that cannot be written is a warning: the run and its other reports stand.
func (o *runOutput) writeCheckFiles(rep *report.Report) error {
	if o.flags.junit != "" {
		run := report.JUnitRun{Suite: o.script.Path, Target: rep.Target, Start: rep.Run.Start, Duration: rep.Run.End.Sub(rep.Run.Start), Interrupted: rep.Run.Interrupted && rep.Run.StoppedBy == ""}
		err := writeOutput(o.pio, "JUnit results", o.flags.junit, func(w io.Writer) error {
			return report.EncodeJUnit(w, run, o.checkResults)
		})
		if err != nil {
			return err
		}
	}
	if path := o.pio.getenv("GITHUB_STEP_SUMMARY"); path != "" {
		if err := report.AppendMarkdown(path, rep, o.checkResults); err != nil {
			fmt.Fprintf(o.pio.stderr, "Warning: %v\n", err)
		}
	}
	return nil
}

// intendedArrivals yields the plan's arrival offsets, as the run drew them.
func (o *runOutput) intendedArrivals(yield func(time.Duration) bool) {
	sched, err := o.plan.Schedule(o.runner.Seed())
	if err != nil {
		return
	}
	for a := range sched.All() {
		if !yield(a.At) {
			return
		}
	}
}

func planOf(plan phases.Plan) []report.PlanPhase {
	out := make([]report.PlanPhase, len(plan))
	for i, p := range plan {
		out[i] = report.PlanPhase{
			Name:            p.Name,
			Description:     p.String(),
			StartSeconds:    plan.Start(i).Seconds(),
			DurationSeconds: p.Duration.Seconds(),
			ExpectedArrival: p.ExpectedCount(),
			MaxVusers:       p.MaxVusers,
		}
	}
	return out
}
