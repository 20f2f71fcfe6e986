package phases

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Mode says how the arrivals of a phase are spaced.
type Mode int

const (
	// Uniform spaces arrivals evenly (Artillery's default).
	Uniform Mode = iota
	// Poisson draws arrivals from a seeded Poisson process of the same rate.
	Poisson
)

// String returns the mode's name as written in a scenario.
func (m Mode) String() string {
	switch m {
	case Uniform:
		return "uniform"
	case Poisson:
		return "poisson"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// Limits that keep every computation exact and every loop bounded. A phase
// beyond them is rejected by Validate rather than run approximately.
const (
	// MaxDuration is the longest phase: instants stay exact to the
	// nanosecond in float64 arithmetic up to it.
	MaxDuration = 30 * 24 * time.Hour
	// MaxArrivalRate is the highest arrivalRate or rampTo, in arrivals per
	// second of the whole plan (before any shard split).
	MaxArrivalRate = 1e7
	// MaxArrivalCount is the largest arrivalCount of one phase.
	MaxArrivalCount = int64(1) << 45
)

// Phase is one stage of a load profile. Exactly one of these describes its
// arrivals: ArrivalRate (with an optional RampTo), ArrivalCount, or Pause; a
// phase with none of them is idle for its Duration, like a pause.
//
// A Phase is a plain value; the zero value is an idle phase of no duration.
type Phase struct {
	// Name is printed when the phase starts; it may be empty.
	Name string
	// Duration is how long the phase lasts.
	Duration time.Duration
	// ArrivalRate is the number of arrivals per second (at the start of a
	// ramp).
	ArrivalRate float64
	// RampTo, when not 0, is the rate at the end of the phase: the rate goes
	// linearly from ArrivalRate to RampTo. 0 means a constant ArrivalRate,
	// unless Ramp is set.
	RampTo float64
	// Ramp makes the phase a ramp to RampTo even when RampTo is 0: a ramp
	// down to zero (a scenario that says rampTo: 0).
	Ramp bool
	// ArrivalCount is a fixed total of arrivals spread evenly over Duration.
	ArrivalCount int64
	// Pause makes the phase idle for Duration.
	Pause bool
	// MaxVusers caps the number of running virtual users during the phase;
	// 0 means no cap. The engine enforces it; it is carried here so that
	// Shard can split it.
	MaxVusers int64
	// Mode spaces the arrivals: Uniform (the zero value) or Poisson.
	Mode Mode

	// part is set on the phases of a plan returned by Plan.Shard.
	part part
}

// part records which arrivals of the whole phase a shard keeps: those whose
// index k satisfies k ≡ index (mod count). It also keeps the whole phase's
// rates and count, from which every instant is computed, so that a shard's
// instants are bit-identical to the whole's.
type part struct {
	index, count int // count == 0: not a shard
	rate, rampTo float64
	arrivals     int64
}

// Plan is the ordered list of phases of a run; they run one after another.
type Plan []Phase

// PhaseError reports a phase that cannot be run, naming it by its index in
// the plan (0-based, as in the scenario's phases list) and its name.
type PhaseError struct {
	Index int
	Name  string
	Err   error
}

func (e *PhaseError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("phases[%d]: %v", e.Index, e.Err)
	}
	return fmt.Sprintf("phases[%d] (%q): %v", e.Index, e.Name, e.Err)
}

func (e *PhaseError) Unwrap() error { return e.Err }

// ErrInvalidPhase is wrapped by every validation error, for errors.Is.
var ErrInvalidPhase = errors.New("invalid phase")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidPhase, fmt.Sprintf(format, args...))
}

// Validate reports the first phase that cannot be run, as a *PhaseError.
func (p Plan) Validate() error {
	for i, ph := range p {
		if err := ph.validate(); err != nil {
			return &PhaseError{Index: i, Name: ph.Name, Err: err}
		}
	}
	return nil
}

// validate checks one phase: every number finite, non-negative and within
// the limits, and one kind of arrivals at most.
func (p Phase) validate() error {
	switch {
	case p.Duration < 0:
		return invalid("duration %v is negative; give a duration of 0 or more", p.Duration)
	case p.Duration > MaxDuration:
		return invalid("duration %v is longer than the %v a phase may last; split it into several phases", p.Duration, MaxDuration)
	case p.Mode != Uniform && p.Mode != Poisson:
		return invalid("unknown %v; use uniform or poisson", p.Mode)
	case p.MaxVusers < 0:
		return invalid("maxVusers %d is negative; give 0 (no cap) or more", p.MaxVusers)
	case p.ArrivalCount < 0:
		return invalid("arrivalCount %d is negative; give 0 or more", p.ArrivalCount)
	case p.ArrivalCount > MaxArrivalCount:
		return invalid("arrivalCount %d is more than the %d a phase may hold", p.ArrivalCount, MaxArrivalCount)
	}
	if err := checkRate("arrivalRate", p.ArrivalRate); err != nil {
		return err
	}
	if err := checkRate("rampTo", p.RampTo); err != nil {
		return err
	}
	hasRate := p.ArrivalRate > 0 || p.RampTo > 0
	switch {
	case p.Pause && (hasRate || p.ArrivalCount > 0):
		return invalid("a pause phase has no arrivals; remove arrivalRate, rampTo and arrivalCount, or make it a separate phase")
	case hasRate && p.ArrivalCount > 0:
		return invalid("arrivalRate/rampTo and arrivalCount both given; keep one of them")
	case (hasRate || p.ArrivalCount > 0) && p.Duration == 0:
		return invalid("arrivals need a duration; give the phase a duration greater than 0")
	}
	return nil
}

func checkRate(field string, r float64) error {
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		return invalid("%s is %v; give a finite number of arrivals per second", field, r)
	case r < 0:
		return invalid("%s %v is negative; give 0 or more arrivals per second", field, r)
	case r > MaxArrivalRate:
		return invalid("%s %v is above the %g arrivals per second a plan may have; split the load across machines with --shard", field, r, MaxArrivalRate)
	}
	return nil
}

// kind is the arrival law of a valid phase.
type kind int

const (
	idle kind = iota
	constant
	ramp
	count
)

// whole returns the rates and count of the whole phase this phase is part
// of (itself when it is not a shard).
func (p Phase) whole() (rate, rampTo float64, arrivals int64) {
	if p.part.count > 0 {
		return p.part.rate, p.part.rampTo, p.part.arrivals
	}
	return p.ArrivalRate, p.RampTo, p.ArrivalCount
}

func (p Phase) kind() kind {
	rate, rampTo, arrivals := p.whole()
	switch {
	case p.Pause || p.Duration == 0:
		return idle
	case arrivals > 0:
		return count
	case (rampTo > 0 || p.Ramp) && rampTo != rate:
		return ramp
	case rate > 0:
		return constant
	}
	return idle
}

// String describes the phase for a log line, e.g. "ramp 1/s → 10/s for 1m0s".
func (p Phase) String() string {
	var s string
	switch p.kind() {
	case idle:
		s = "pause"
	case count:
		s = fmt.Sprintf("%d arrivals", p.ArrivalCount)
	case ramp:
		s = fmt.Sprintf("ramp %g/s → %g/s", p.ArrivalRate, p.RampTo)
	case constant:
		s = fmt.Sprintf("%g/s", p.ArrivalRate)
	}
	s += " for " + p.Duration.String()
	if p.Mode == Poisson && p.kind() != idle {
		s += " (poisson)"
	}
	if p.MaxVusers > 0 {
		s += fmt.Sprintf(", at most %d vusers", p.MaxVusers)
	}
	if p.part.count > 0 {
		s += fmt.Sprintf(", shard %d/%d", p.part.index+1, p.part.count)
	}
	return s
}

// Duration returns the length of the whole plan: the sum of its phases'
// durations. Arrivals all fall before it.
func (p Plan) Duration() time.Duration {
	var d time.Duration
	for _, ph := range p {
		d += ph.Duration
	}
	return d
}

// Start returns the offset from the start of the run at which phase i
// starts. It panics if i is out of range, like indexing the plan.
func (p Plan) Start(i int) time.Duration {
	return p[:i].Duration()
}

// ExpectedCount returns the expected number of arrivals of the phase. It is
// the exact count for uniform phases (see the package conventions) and for
// arrivalCount phases, and the mean count Λ(D) for Poisson-mode rate phases.
// The phase must be valid.
func (p Phase) ExpectedCount() float64 {
	k := p.kind()
	if p.Mode == Poisson && (k == constant || k == ramp) {
		rate, rampTo, _ := p.whole()
		if k == constant {
			rampTo = rate
		}
		mean := (rate + rampTo) / 2 * p.Duration.Seconds()
		if p.part.count > 0 {
			mean /= float64(p.part.count)
		}
		return mean
	}
	return float64(p.arrivals())
}

// ExpectedCount returns the sum of the phases' expected counts.
func (p Plan) ExpectedCount() float64 {
	var n float64
	for _, ph := range p {
		n += ph.ExpectedCount()
	}
	return n
}
