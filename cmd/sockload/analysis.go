package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockload/sockload/report"
	"github.com/sockload/sockload/scenario"
)

// analysisFlags are the breaking-point thresholds and the HTML report path
// given on the command line (`sockload run`, `report`, `compare`). A
// threshold flag left unset keeps the scenario's value or the default.
type analysisFlags struct {
	html          string
	sustain       optDuration
	maxErrorRate  optFloat
	p99           optDuration
	p99Factor     optFloat
	p99Floor      optDuration
	connectP99    optDuration
	connectFactor optFloat
	saturation    optFloat
	deliveryP99   optDuration
	minReach      optFloat
}

// addAnalysisFlags registers the analysis flags on cmd.
func addAnalysisFlags(cmd *cobra.Command, f *analysisFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.html, "html", "", "write a self-contained HTML report (charts and tables) to this file")
	fl.Var(&f.sustain, "bp-sustain", "breaking point: how long a limit must be broken (default 3s)")
	fl.Var(&f.maxErrorRate, "bp-max-error-rate", "breaking point: percent of a second's outcomes that may be errors (default 5)")
	fl.Var(&f.p99, "bp-p99", "breaking point: absolute limit on the response p99, e.g. 500ms (default none)")
	fl.Var(&f.p99Factor, "bp-p99-factor", "breaking point: limit on the response p99 as a multiple of the run's early baseline (default 3; 0 turns it off)")
	fl.Var(&f.p99Floor, "bp-p99-floor", "breaking point: the relative p99 limit is never below this (default 50ms)")
	fl.Var(&f.connectP99, "bp-connect-p99", "breaking point: absolute limit on the connect time p99 (default none)")
	fl.Var(&f.connectFactor, "bp-connect-factor", "breaking point: limit on the connect p99 as a multiple of its baseline (default off)")
	fl.Var(&f.deliveryP99, "bp-delivery-p99", "breaking point: absolute limit on the delivery time p99 of traced messages (default none)")
	fl.Var(&f.minReach, "bp-min-reach", "breaking point: lowest percent of a traced message's recipients reached (default none)")
	fl.Var(&f.saturation, "bp-saturation", "breaking point: percent by which emits per offered arrival may fall below the run's best (default 30; 0 turns it off)")
}

// apply overrides th with the flags that were given, the way the
// scenario's config.plugins.breakingPoint does (report.Thresholds.With).
func (f analysisFlags) apply(th report.Thresholds) report.Thresholds {
	return th.With(scenario.BreakingPoint{
		Sustain:       f.sustain.given(),
		MaxErrorRate:  f.maxErrorRate.given(),
		P99:           f.p99.given(),
		P99Factor:     f.p99Factor.given(),
		P99Floor:      f.p99Floor.given(),
		ConnectP99:    f.connectP99.given(),
		ConnectFactor: f.connectFactor.given(),
		Saturation:    f.saturation.given(),
		DeliveryP99:   f.deliveryP99.given(),
		MinReach:      f.minReach.given(),
	})
}

// checkAnalysis checks, before a run, that the scenario's thresholds are
// valid and the HTML report can be written, so a long run is not lost to
// either. It returns the thresholds analyzeRun will use.
func checkAnalysis(script *scenario.Script, f analysisFlags) (report.Thresholds, error) {
	th := report.DefaultThresholds()
	if script != nil {
		th = th.With(script.Config.BreakingPoint)
	}
	if f.html != "" {
		if err := report.CheckWritable(f.html); err != nil {
			return th, withExit(exitInvalid, err)
		}
	}
	return f.apply(th), nil
}

// analyzeRun finds the breaking point of a finished run with the scenario's
// and the command line's thresholds, stores it in rep (so the JSON report
// carries it), prints its plain sentences and writes the HTML report when
// asked. Call it after report.WriteSummary and before rep.WriteJSON.
func analyzeRun(pio *processIO, rep *report.Report, script *scenario.Script, f analysisFlags) error {
	th, err := checkAnalysis(script, f)
	if err != nil {
		// Checked before the run; the run's report is still worth the
		// default analysis.
		fmt.Fprintln(pio.stderr, err)
		th = f.apply(report.DefaultThresholds())
	}
	bp, err := rep.Analyze(th)
	if err != nil {
		return err
	}
	fmt.Fprintln(pio.stdout, bp.Summary)
	if f.html == "" {
		return nil
	}
	return writeOutput(pio, "HTML report", f.html, func(w io.Writer) error { return report.WriteHTML(w, rep) })
}

// optFloat is a number flag that remembers whether it was given.
type optFloat struct {
	v   float64
	set bool
}

func (o *optFloat) String() string {
	if !o.set {
		return ""
	}
	return strconv.FormatFloat(o.v, 'f', -1, 64)
}

func (o *optFloat) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v < 0 {
		return fmt.Errorf("%q: give a number, zero or more", s)
	}
	o.v, o.set = v, true
	return nil
}

func (o *optFloat) Type() string { return "number" }

// given is the value when the flag was given, else nil.
func (o optFloat) given() *float64 {
	if !o.set {
		return nil
	}
	return &o.v
}

// optDuration is a duration flag that remembers whether it was given.
type optDuration struct {
	v   time.Duration
	set bool
}

func (o *optDuration) String() string {
	if !o.set {
		return ""
	}
	return o.v.String()
}

func (o *optDuration) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return fmt.Errorf("%q: give a duration such as 500ms or 3s", s)
	}
	o.v, o.set = v, true
	return nil
}

func (o *optDuration) Type() string { return "duration" }

// given is the value when the flag was given, else nil.
func (o optDuration) given() *time.Duration {
	if !o.set {
		return nil
	}
	return &o.v
}
