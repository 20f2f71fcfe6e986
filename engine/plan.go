package engine

import (
	"time"

	"github.com/sockload/sockload/phases"
	"github.com/sockload/sockload/scenario"
)

// PlanOf converts the scenario's phases into an arrival plan.
func PlanOf(s *scenario.Script) phases.Plan {
	plan := make(phases.Plan, 0, len(s.Config.Phases))
	for _, p := range s.Config.Phases {
		ph := phases.Phase{
			Name:         p.Name,
			Duration:     p.Duration,
			ArrivalRate:  p.ArrivalRate,
			ArrivalCount: int64(p.ArrivalCount),
			MaxVusers:    int64(p.MaxVusers),
		}
		if p.HasRampTo {
			ph.RampTo = p.RampTo
			ph.Ramp = true // rampTo: 0 is a ramp down to zero
		}
		if p.Pause > 0 {
			ph.Pause = true
			ph.Duration = p.Pause
		}
		if p.Mode == scenario.ModePoisson {
			ph.Mode = phases.Poisson
		}
		plan = append(plan, ph)
	}
	return plan
}

// fallbackGrace is the grace period of a flow whose length has no bound (a
// loop without a count).
const fallbackGrace = time.Minute

// DefaultGrace is how long VUs still running after the last phase may go
// on: the longest a flow of the script can take (thinks, plus a timeout for
// every wait), plus one timeout; a minute when a flow has no bound.
func DefaultGrace(s *scenario.Script) time.Duration {
	var longest time.Duration
	for _, sc := range s.Scenarios {
		d, bounded := flowBound(sc.Flow, s.Config.Timeout, sc.SocketIO.ConnectTimeout)
		if !bounded {
			return fallbackGrace
		}
		longest = max(longest, d+sc.SocketIO.ConnectTimeout)
	}
	return min(longest+s.Config.Timeout, 24*time.Hour)
}

// flowBound is the longest the steps can take, if it is bounded.
func flowBound(steps []scenario.Step, timeout, connectTimeout time.Duration) (time.Duration, bool) {
	var total time.Duration
	for _, st := range steps {
		switch st := st.(type) {
		case *scenario.EmitStep:
			if st.Acknowledge != nil || st.Response != nil {
				total += timeout
			}
		case *scenario.WaitForStep:
			total += st.Timeout
		case *scenario.ConnectStep:
			total += connectTimeout
		case *scenario.HTTPStep:
			total += st.Timeout
		case *scenario.ThinkStep:
			if !st.Duration.IsStatic() {
				return 0, false
			}
			d, err := scenario.ThinkDuration(st.Duration, &scenario.Context{})
			if err != nil {
				return 0, false
			}
			total += d + jitterBound(d, st.Jitter)
		case *scenario.LoopStep:
			n, ok := loopBound(st)
			if !ok {
				return 0, false
			}
			body, ok := flowBound(st.Steps, timeout, connectTimeout)
			if !ok {
				return 0, false
			}
			total += time.Duration(n) * body
		}
	}
	return total, true
}

func jitterBound(d time.Duration, j *scenario.Jitter) time.Duration {
	if j == nil {
		return 0
	}
	if j.Percent > 0 {
		return time.Duration(float64(d) * j.Percent / 100)
	}
	return j.Amount
}

// loopBound is the number of iterations of a loop known at load time.
func loopBound(l *scenario.LoopStep) (int, bool) {
	if l.Count == nil {
		if l.OverVar != "" {
			return 0, false
		}
		return len(l.Over), l.Over != nil
	}
	v, ok := l.Count.Static()
	if !ok {
		return 0, false
	}
	c, err := scenario.ParseLoopCount(v)
	if err != nil || c.To < 0 {
		return 0, false
	}
	return max(c.To-c.From, 0), true
}
