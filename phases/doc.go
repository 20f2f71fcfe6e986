// Package phases turns a load profile (an ordered list of phases, as in
// Artillery's config.phases) into the intended start instant of every virtual
// user, as pure functions of elapsed time: nothing here reads a clock, sleeps
// or starts a goroutine. The engine sleeps until each instant and records the
// lag when it starts late.
//
// # Conventions
//
// All instants are offsets from the start of the run, rounded to the nearest
// nanosecond. Each instant is computed from its arrival index k directly,
// never by summing intervals, so an hour-long phase does not drift: arrival
// 35,999 of a 10/s phase is at 3599.9 s exactly.
//
// A phase holds the arrivals whose instant falls strictly before its end.
// Phases run one after another: phase j starts when phase j-1 ends.
//
// Constant rate r over duration D (Artillery's arrivalRate, spaced evenly):
// arrival k (0-based) is at k/r. The phase therefore holds ceil(r·D) arrivals,
// the first one at the phase's start: a 60 s phase at 10/s holds exactly 600
// arrivals, at 0, 0.1, ..., 59.9 s; a 3 s phase at 2.5/s holds 8 (the last at
// 2.8 s). Any positive rate yields at least the arrival at the start.
// Precisely, the phase holds the k whose instant, once rounded, is before
// the end: for a rate r written in decimal, ceil(r·(D − ½ ns)) of them, which
// is ceil(r·D) unless an instant falls within half a nanosecond of the end.
//
// Linear ramp from rate a to rate b over D (arrivalRate with rampTo; unlike
// Artillery, which steps the rate once a second, the rate is linear in time;
// RampTo 0 means a constant rate unless Phase.Ramp is set, which makes it a
// ramp down to zero):
// the integrated rate is
//
//	Λ(t) = a·t + (b−a)·t²/(2D)
//
// and arrival k is at Λ⁻¹(k), the root in [0, D] of Λ(t) = k, computed in
// the cancellation-free form
//
//	t = 2k / (a + sqrt(a² + 2ck)),  c = (b−a)/D
//
// which holds for ramps up (c > 0), ramps down (c < 0, where the discriminant
// stays ≥ b² ≥ 0 for k ≤ Λ(D)), constant rates (c = 0 gives k/a), ramps from
// zero (a = 0 gives sqrt(2k/c)) and tiny rates (an instant beyond the phase's
// end is simply not in the phase). The phase holds ceil(Λ(D)) =
// ceil((a+b)·D/2) arrivals.
//
// Fixed count N over D (arrivalCount): arrival k is at k·D/N, computed in
// exact integer arithmetic and rounded down to the nanosecond; the phase
// holds exactly N arrivals.
//
// Pause: no arrivals; the phase only takes its duration.
//
// Poisson mode (Artillery's undocumented mode: poisson): a seeded generator
// draws unit-rate exponential increments E₁, E₂, ... and arrival m is at
// Λ⁻¹(E₁+...+E_{m+1}). This is an exact (inhomogeneous, for ramps) Poisson
// process whose expected count is Λ(D), the deterministic count before
// rounding up. For an arrivalCount phase in Poisson mode the N instants are
// the order statistics of N independent uniform draws over [0, D): exactly N
// arrivals at random instants. The same seed always gives the same instants.
//
// # Shards
//
// Plan.Shard(i, n) gives the part of a plan that machine i of n runs
// (1-based: "--shard 1/3", "2/3", "3/3"). Shard i takes the arrivals whose
// index k in the whole phase satisfies k ≡ i−1 (mod n), for every kind of
// phase, so the shards' instants together are exactly the whole plan's
// instants, no arrival duplicated or lost. For Poisson phases this holds when
// every shard uses the same seed: each shard draws the whole phase's sequence
// and keeps its own indices (each shard's own stream is then smoother than a
// Poisson process, but their union is the whole one, instant for instant).
package phases
