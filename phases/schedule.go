package phases

import (
	"iter"
	"math"
	"math/rand/v2"
	"time"
)

// Arrival is the intended start of one virtual user.
type Arrival struct {
	// At is the offset from the start of the run.
	At time.Duration
	// Phase is the index in the plan of the phase the arrival belongs to.
	Phase int
	// Index numbers the arrival in the whole plan, every phase's arrivals
	// counted, before any shard split: 0, 1, 2, ... for a whole plan, and
	// the indices of the whole plan that a shard keeps for a shard. Shards
	// use it to share out what is numbered per VU (payload rows in order).
	Index int64
}

// Schedule yields the arrivals of a plan in order, phase after phase. Each
// instant is computed from its index, so iterating an hour-long plan
// accumulates no error. A Schedule is not safe for concurrent use; each call
// to Next does a bounded amount of work.
type Schedule struct {
	plan  Plan
	seed  uint64
	phase int           // index of the current phase; len(plan) when done
	start time.Duration // offset of the current phase's start
	cur   cursor
	// before counts the whole plan's arrivals in the phases before the
	// current one.
	before int64
}

// cursor walks the arrivals of one phase.
type cursor struct {
	law   law
	k     int64 // next whole-phase index to yield (uniform) or to draw (poisson)
	end   int64 // whole-phase arrivals (uniform), or the count for poisson count phases
	index int64 // the shard keeps the k with k ≡ index (mod step)
	step  int64

	rng    *rand.Rand // nil for the uniform mode
	sum    float64    // poisson rate phases: E₁+...+E_k, in arrivals
	remain float64    // poisson count phases: 1 − (the last uniform order statistic)
}

// Schedule returns the arrivals of the plan. seed drives Poisson phases (each
// phase draws from its own stream derived from seed and its index, so
// changing one phase does not change another's instants); uniform phases
// ignore it. Shards of one plan must use the same seed for their instants to
// add up to the whole plan's. Schedule returns the plan's validation error,
// if any.
func (p Plan) Schedule(seed uint64) (*Schedule, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := &Schedule{plan: p, seed: seed, phase: -1}
	s.enter(0, 0)
	return s, nil
}

// enter makes phase i, starting at start, the current phase.
func (s *Schedule) enter(i int, start time.Duration) {
	s.phase, s.start = i, start
	if i >= len(s.plan) {
		return
	}
	ph := s.plan[i]
	c := cursor{law: lawOf(ph), step: 1}
	if ph.part.count > 0 {
		c.index, c.step = int64(ph.part.index), int64(ph.part.count)
	}
	if ph.Mode == Poisson && c.law.kind != idle {
		c.rng = rand.New(rand.NewPCG(s.seed, uint64(i)))
		c.end = c.law.arrivals
		c.remain = 1
	} else {
		c.end = c.law.total()
		c.k = c.index
	}
	s.cur = c
}

// Next returns the next arrival, or false when the plan has no more.
func (s *Schedule) Next() (Arrival, bool) {
	for s.phase < len(s.plan) {
		if at, k, ok := s.cur.next(); ok {
			return Arrival{At: s.start + at, Phase: s.phase, Index: s.before + k}, true
		}
		s.before += s.cur.wholeCount()
		s.enter(s.phase+1, s.start+s.plan[s.phase].Duration)
	}
	return Arrival{}, false
}

// All returns an iterator over the remaining arrivals, consuming them.
func (s *Schedule) All() iter.Seq[Arrival] {
	return func(yield func(Arrival) bool) {
		for {
			a, ok := s.Next()
			if !ok || !yield(a) {
				return
			}
		}
	}
}

// next returns the offset from the phase's start of the phase's next
// arrival that the shard keeps, and its index in the whole phase.
func (c *cursor) next() (time.Duration, int64, bool) {
	if c.rng == nil {
		if c.k >= c.end {
			return 0, 0, false
		}
		k := c.k
		at, ok := c.law.instant(k)
		c.k += c.step
		return at, k, ok
	}
	for {
		at, ok := c.draw()
		if !ok {
			return 0, 0, false
		}
		keep := (c.k-1)%c.step == c.index
		if keep {
			return at, c.k - 1, true
		}
	}
}

// wholeCount is the number of arrivals of the whole phase, once the cursor
// is exhausted: known in advance for uniform and count phases, and for
// Poisson rate phases the draws that fell inside the phase (the last draw
// fell beyond its end).
func (c *cursor) wholeCount() int64 {
	if c.rng == nil || c.law.kind == count {
		return c.end
	}
	return max(c.k-1, 0)
}

// draw returns the next instant of the whole Poisson phase and advances k.
func (c *cursor) draw() (time.Duration, bool) {
	if c.law.kind == count {
		if c.k >= c.end {
			return 0, false
		}
		// Sequential generation of the order statistics of N uniforms:
		// given the last one u, the next is 1 − (1−u)·V^(1/(N−j)). Tracking
		// 1−u keeps the sequence monotone in floating point.
		v := 1 - c.rng.Float64() // in (0, 1]
		c.remain *= math.Pow(v, 1/float64(c.end-c.k))
		c.k++
		at := time.Duration((1 - c.remain) * float64(c.law.dur))
		if at >= c.law.dur {
			at = c.law.dur - 1
		}
		return at, true
	}
	c.sum += c.rng.ExpFloat64()
	c.k++
	return c.law.within(c.law.inverse(c.sum))
}
