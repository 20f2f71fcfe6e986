package main

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/sockload/sockload/checks"
	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/report"
	"github.com/sockload/sockload/scenario"
)

// loadGate compiles the run's checks: config.ensure and
// config.plugins.ensure of the scenario, then --threshold and
// --max-error-rate. It returns nil when there are none. A check naming a
// metric the run cannot produce, or an expression that does not compile,
// is an error here, before the run.
func loadGate(script *scenario.Script, f runFlags) (*checks.Gate, error) {
	all := slices.Clone(script.Config.Checks)
	for _, t := range f.thresholds {
		c, err := checks.ParseThreshold(t)
		if err != nil {
			return nil, err
		}
		all = append(all, c)
	}
	if f.maxErrorRate >= 0 {
		c, err := checks.MaxErrorRateCheck(f.maxErrorRate)
		if err != nil {
			return nil, err
		}
		all = append(all, c)
	}
	if len(all) == 0 {
		return nil, nil
	}
	gate, err := checks.NewGate(all, catalogFor(script))
	if err != nil {
		return nil, err
	}
	return gate, nil
}

// catalogFor declares every metric name a run of script can produce: the
// engine's (engine.MetricsFor) and the breaking point's.
func catalogFor(script *scenario.Script) *checks.Catalog {
	c := checks.NewCatalog()
	c.AddMetrics(engine.MetricsFor(script))
	c.AddSource(breakingPointSource(script))
	return c
}

// breakingPointSource lets checks read the breaking point of the run so
// far (with the scenario's thresholds): breaking_point.found is 1 when the
// target broke, 0 when it kept up; breaking_point.capacity,
// .capacity_emits and .capacity_vusers are the last good second's offered
// arrivals per second, emits per second and VUs (for a target that kept
// up, the most it took). An inconclusive analysis (the generator was
// limited) sets none of them, so checks on them fail rather than pass.
func breakingPointSource(script *scenario.Script) checks.ValueSource {
	th := report.DefaultThresholds().With(script.Config.BreakingPoint)
	return checks.ValueSource{
		Names: []string{"breaking_point.found", "breaking_point.capacity", "breaking_point.capacity_emits", "breaking_point.capacity_vusers"},
		Fill: func(in checks.Input, into checks.Values) {
			bp := report.FindBreakingPoint(in.Windows, th)
			switch bp.Verdict {
			case report.VerdictBroken:
				into["breaking_point.found"] = 1
			case report.VerdictNone:
				into["breaking_point.found"] = 0
			default:
				return
			}
			if bp.Capacity != nil {
				into["breaking_point.capacity"] = bp.Capacity.Offered
				into["breaking_point.capacity_emits"] = bp.Capacity.Emits
				into["breaking_point.capacity_vusers"] = float64(bp.Capacity.Active)
			}
		},
	}
}

// earlyChecks evaluates the checks that may stop the run, each second, on
// the run so far, and stops the run at the first that fails. Its methods
// are safe for concurrent use; a nil *earlyChecks (no such checks) does
// nothing.
type earlyChecks struct {
	gate  *checks.Gate
	start time.Time
	// soFar returns the run so far; false when it cannot be had.
	soFar func() (checks.Input, bool)
	stop  func()
	log   func(string)

	mu      sync.Mutex
	stopped *report.CheckResult
	done    bool
}

func newEarlyChecks(gate *checks.Gate, start time.Time, soFar func() (checks.Input, bool), stop func(), log func(string)) *earlyChecks {
	if gate == nil || !gate.HasEarly() {
		return nil
	}
	return &earlyChecks{gate: gate, start: start, soFar: soFar, stop: stop, log: log}
}

// runSoFar is the run's measurements until now, for the early checks: the
// aggregate and the one-second windows with their offered arrivals.
func runSoFar(c *report.Collector, start time.Time, intended func(yield func(time.Duration) bool)) func() (checks.Input, bool) {
	return func() (checks.Input, bool) {
		res, err := c.Results()
		if err != nil {
			return checks.Input{}, false
		}
		report.FillOffered(res.Windows, start, intended)
		return checks.Input{Aggregate: res.Aggregate, Windows: res.Windows, Cores: runtime.NumCPU()}, true
	}
}

// evaluate runs the due checks on the run so far, once a second.
func (e *earlyChecks) evaluate() {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return
	}
	unavailable := false
	r, stop := e.gate.EvaluateEarly(time.Since(e.start), func() checks.Input {
		in, ok := e.soFar()
		unavailable = !ok
		return in
	})
	if !stop || unavailable {
		return
	}
	e.stopped, e.done = &r, true
	e.log(fmt.Sprintf("\nCheck failed: %s (%s); stopping the run (abortOnFail).", r.Text, r.Measured()))
	e.stop()
}

// quiet stops evaluating, once the run is ending for another reason.
func (e *earlyChecks) quiet() {
	if e == nil {
		return
	}
	e.mu.Lock()
	e.done = true
	e.mu.Unlock()
}

// stoppedBy returns the check that stopped the run, if one did.
func (e *earlyChecks) stoppedBy() (report.CheckResult, bool) {
	if e == nil {
		return report.CheckResult{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped == nil {
		return report.CheckResult{}, false
	}
	return *e.stopped, true
}

// finalResults evaluates every check on the whole run; the check that
// stopped the run keeps the result it stopped it with.
func finalResults(gate *checks.Gate, in checks.Input, early *earlyChecks) []report.CheckResult {
	results := gate.Evaluate(in)
	if stopped, ok := early.stoppedBy(); ok {
		for i, r := range results {
			if r.Text == stopped.Text && r.Where == stopped.Where {
				results[i] = stopped
				break
			}
		}
	}
	return results
}

// checksError is the error of a run whose strict checks failed.
func checksError(results []report.CheckResult, early *earlyChecks) error {
	if stopped, ok := early.stoppedBy(); ok {
		return fmt.Errorf("check %q failed at %s and stopped the run; the reports hold the run until then", stopped.Text, stopped.At.Round(time.Second))
	}
	failed := 0
	for _, r := range results {
		if r.FailsRun() {
			failed++
		}
	}
	if failed == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d checks failed", failed, len(results))
}
