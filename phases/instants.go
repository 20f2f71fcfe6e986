package phases

import (
	"math"
	"math/bits"
	"time"
)

// law is the arrival law of one whole phase (before any shard split), with
// the constants its instants need precomputed.
type law struct {
	kind     kind
	rate     float64 // a: arrivals per second at the start
	slope    float64 // c = (b−a)/D: change of rate per second, for ramps
	dur      time.Duration
	arrivals int64 // N, for arrivalCount phases
}

func lawOf(p Phase) law {
	rate, rampTo, arrivals := p.whole()
	l := law{kind: p.kind(), rate: rate, dur: p.Duration, arrivals: arrivals}
	if l.kind == ramp {
		l.slope = (rampTo - rate) / p.Duration.Seconds()
	}
	return l
}

// integral returns Λ(D), the expected number of arrivals of a rate phase.
func (l law) integral() float64 {
	d := l.dur.Seconds()
	return l.rate*d + l.slope*d*d/2
}

// inverse returns Λ⁻¹(x) in nanoseconds from the phase's start, for a rate
// phase: the instant by which x arrivals are due. It returns +Inf or a value
// past the phase's end when x is beyond what the phase holds, never NaN.
func (l law) inverse(x float64) float64 {
	if x <= 0 {
		return 0
	}
	if l.kind == constant {
		return x * 1e9 / l.rate
	}
	// The root of c/2·t² + a·t − x = 0 in the form that does not cancel when
	// c is small or negative; see the package documentation.
	disc := math.Max(0, l.rate*l.rate+2*l.slope*x)
	t := 2 * x / (l.rate + math.Sqrt(disc)) * 1e9
	if math.IsNaN(t) {
		return math.Inf(1)
	}
	return t
}

// within reports whether an instant in nanoseconds from the phase's start,
// as returned by inverse, falls inside the phase once rounded, and returns
// it rounded.
func (l law) within(ns float64) (time.Duration, bool) {
	r := math.Round(ns)
	if !(r < float64(l.dur)) {
		return 0, false
	}
	return time.Duration(r), true
}

// instant returns the offset from the phase's start of arrival k of the
// whole phase, for the deterministic (uniform) laws, and whether arrival k
// exists.
func (l law) instant(k int64) (time.Duration, bool) {
	if k < 0 {
		return 0, false
	}
	switch l.kind {
	case count:
		if k >= l.arrivals {
			return 0, false
		}
		return time.Duration(mulDiv(uint64(k), uint64(l.dur), uint64(l.arrivals))), true
	case constant, ramp:
		return l.within(l.inverse(float64(k)))
	}
	return 0, false
}

// mulDiv returns floor(a·b/c) without overflow, for a < c.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// total returns the number of arrivals of the whole phase under the uniform
// mode: the number of k for which instant(k) exists. instant is monotone in
// k, so the closed-form estimate ceil(Λ(D)) only needs a nudge where
// rounding to the nanosecond moved the last instant across the phase's end.
func (l law) total() int64 {
	switch l.kind {
	case count:
		return l.arrivals
	case constant, ramp:
		n := int64(math.Ceil(l.integral()))
		for n > 0 && !l.has(n-1) {
			n--
		}
		for l.has(n) {
			n++
		}
		return n
	}
	return 0
}

func (l law) has(k int64) bool {
	_, ok := l.instant(k)
	return ok
}

// arrivals returns the number of arrivals of the phase under the uniform
// mode: for a shard, the number of whole-phase indices it keeps.
func (p Phase) arrivals() int64 {
	n := lawOf(p).total()
	if p.part.count == 0 {
		return n
	}
	return shareOf(n, p.part.index, p.part.count)
}

// shareOf returns how many of 0..n−1 are ≡ index (mod count): n/count, plus
// one for the first n mod count indices. The shares of all indices sum to n.
func shareOf(n int64, index, count int) int64 {
	c := int64(count)
	share := n / c
	if int64(index) < n%c {
		share++
	}
	return share
}
