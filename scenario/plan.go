package scenario

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Plan is what a run of the script will do, in outline: its phases one
// after another, how long they last and how many VUs they start. The
// arrivals are counted by package phases, the one place that schedules
// them (see WithArrivals); this is the summary a user checks before running.
type Plan struct {
	Phases           []PhasePlan
	Duration         time.Duration // sum of the phases; VUs still running may outlast it
	ExpectedArrivals float64       // VUs the phases start, before any maxVusers cap (see WithArrivals)
	Scenarios        []ScenarioPlan
}

// PhasePlan is one phase of the plan.
type PhasePlan struct {
	Index            int // 1-based
	Name             string
	Start            time.Duration // offset from the start of the run
	Duration         time.Duration
	ExpectedArrivals float64
	Description      string // e.g. "10/s for 1m", "ramp 1/s -> 20/s over 2m", "pause 30s"
}

// ScenarioPlan is a scenario and its share of the VUs.
type ScenarioPlan struct {
	Name   string
	Weight int
	Share  float64 // Weight / sum of weights, 0..1
	Steps  int     // steps in its flow, loops counted once
}

func (p Phase) describe() string {
	d := formatDuration(p.Duration)
	switch {
	case p.Pause > 0:
		return "pause " + d
	case p.ArrivalCount > 0:
		return fmt.Sprintf("%d VUs over %s", p.ArrivalCount, d)
	case p.HasRampTo:
		return fmt.Sprintf("ramp %s/s -> %s/s over %s", formatFloat(p.ArrivalRate), formatFloat(p.RampTo), d)
	}
	return fmt.Sprintf("%s/s for %s", formatFloat(p.ArrivalRate), d)
}

// Plan summarises the script's phases and scenarios.
func (s *Script) Plan() Plan {
	var pl Plan
	for i, p := range s.Config.Phases {
		desc := p.describe()
		if p.MaxVusers > 0 {
			desc += fmt.Sprintf(", at most %d running", p.MaxVusers)
		}
		if p.Mode == ModePoisson {
			desc += ", poisson"
		}
		pp := PhasePlan{Index: i + 1, Name: p.Name, Start: pl.Duration, Duration: p.Duration, Description: desc}
		pl.Phases = append(pl.Phases, pp)
		pl.Duration += p.Duration
	}
	total := 0
	for _, sc := range s.Scenarios {
		total += sc.Weight
	}
	for i, sc := range s.Scenarios {
		sp := ScenarioPlan{Name: s.ScenarioName(i), Weight: sc.Weight, Steps: len(sc.Flow)}
		if total > 0 {
			sp.Share = float64(sc.Weight) / float64(total)
		}
		pl.Scenarios = append(pl.Scenarios, sp)
	}
	return pl
}

// WithArrivals returns the plan with the expected arrivals of each phase
// set from perPhase (in phase order), as the scheduler computes them
// (phases.Phase.ExpectedCount: exact for uniform arrivals, the mean for
// poisson ones), and their sum.
func (pl Plan) WithArrivals(perPhase []float64) Plan {
	pl.Phases = slices.Clone(pl.Phases)
	pl.ExpectedArrivals = 0
	for i := range pl.Phases {
		if i < len(perPhase) {
			pl.Phases[i].ExpectedArrivals = perPhase[i]
			pl.ExpectedArrivals += perPhase[i]
		}
	}
	return pl
}

// formatDuration prints 1m30s as "1m30s", 2m0s as "2m", 500ms as "500ms".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// String renders the plan as validate prints it.
func (pl Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Phases (%d, %s in total, about %s):\n", len(pl.Phases), formatDuration(pl.Duration), vus(pl.ExpectedArrivals))
	for _, p := range pl.Phases {
		name := ""
		if p.Name != "" {
			name = fmt.Sprintf(" %q", p.Name)
		}
		fmt.Fprintf(&b, "  %d.%s at %s: %s, about %s\n", p.Index, name, formatDuration(p.Start), p.Description, vus(p.ExpectedArrivals))
	}
	fmt.Fprintf(&b, "Scenarios (%d):\n", len(pl.Scenarios))
	for _, sc := range pl.Scenarios {
		steps := "steps"
		if sc.Steps == 1 {
			steps = "step"
		}
		fmt.Fprintf(&b, "  %q weight %d (%s%%), %d %s\n", sc.Name, sc.Weight, formatFloat(round1(sc.Share*100)), sc.Steps, steps)
	}
	return b.String()
}

func vus(n float64) string {
	n = round1(n)
	if n == 1 {
		return "1 VU"
	}
	return formatFloat(n) + " VUs"
}

func round1(f float64) float64 {
	return float64(int64(f*10+0.5)) / 10
}
