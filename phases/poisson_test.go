package phases

import (
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestPoissonCountsMatchTheIntegral checks, over many seeds, that the mean
// number of Poisson arrivals in each window is Λ over that window, for a
// constant rate and ramps up and down. The seeds are fixed: the test is
// deterministic, and a tolerance of five standard errors keeps it honest.
func TestPoissonCountsMatchTheIntegral(t *testing.T) {
	const seeds = 200
	const window = 5 * time.Second
	for _, r := range []struct {
		a, b float64
		ramp bool
	}{{50, 0, false}, {0.5, 40, true}, {40, 2, true}, {30, 0, true}} {
		d := 20 * time.Second
		ph := Phase{Duration: d, ArrivalRate: r.a, RampTo: r.b, Ramp: r.ramp, Mode: Poisson}
		b := r.b
		if !r.ramp {
			b = r.a
		}
		windows := int(d / window)
		sums := make([]float64, windows)
		for seed := range uint64(seeds) {
			for _, a := range collect(t, Plan{ph}, seed, 1e5) {
				sums[a.At/window]++
			}
		}
		for w := range windows {
			t0, t1 := float64(w)*window.Seconds(), float64(w+1)*window.Seconds()
			want := rampIntegral(r.a, b, d.Seconds(), t0, t1)
			mean := sums[w] / seeds
			stderr := math.Sqrt(want / seeds) // a Poisson count's variance is its mean
			if math.Abs(mean-want) > 5*stderr {
				t.Errorf("poisson %g→%g/s, window %d: mean %.2f arrivals, want %.2f ± %.2f", r.a, b, w, mean, want, 5*stderr)
			}
		}
		if got, want := ph.ExpectedCount(), (r.a+b)/2*d.Seconds(); math.Abs(got-want) > 1e-9 {
			t.Errorf("poisson %g→%g/s: ExpectedCount %v, want %v", r.a, b, got, want)
		}
	}
}

// TestPoissonGapsAreExponential tells a Poisson process from an evenly spaced
// one: the gaps of a constant-rate phase have mean 1/r and standard
// deviation 1/r.
func TestPoissonGapsAreExponential(t *testing.T) {
	const rate = 100.0
	arrivals := collect(t, Plan{{Duration: 100 * time.Second, ArrivalRate: rate, Mode: Poisson}}, 7, 1e5)
	var sum, sumSq float64
	for i := 1; i < len(arrivals); i++ {
		gap := (arrivals[i].At - arrivals[i-1].At).Seconds()
		sum += gap
		sumSq += gap * gap
	}
	n := float64(len(arrivals) - 1)
	mean := sum / n
	sd := math.Sqrt(sumSq/n - mean*mean)
	if math.Abs(mean*rate-1) > 0.05 || math.Abs(sd*rate-1) > 0.05 {
		t.Errorf("gaps: mean %.5f s, sd %.5f s; want both about %.5f s", mean, sd, 1/rate)
	}
}

func TestPoissonIsReproducible(t *testing.T) {
	plan := shardPlans["poisson"]
	a, b, c := collect(t, plan, 1, 1e5), collect(t, plan, 1, 1e5), collect(t, plan, 2, 1e5)
	if !slices.Equal(a, b) {
		t.Error("the same seed gave different instants")
	}
	if slices.Equal(a, c) {
		t.Error("two seeds gave the same instants")
	}
}

func TestPoissonArrivalCountIsExact(t *testing.T) {
	const n, d = 1000, 10 * time.Second
	var meanSum float64
	for seed := range uint64(50) {
		arrivals := collect(t, Plan{{Duration: d, ArrivalCount: n, Mode: Poisson}}, seed, 2*n)
		if len(arrivals) != n {
			t.Fatalf("seed %d: %d arrivals, want exactly %d", seed, len(arrivals), n)
		}
		for i, a := range arrivals {
			if a.At < 0 || a.At >= d || (i > 0 && a.At < arrivals[i-1].At) {
				t.Fatalf("seed %d: arrival %d at %v, out of order or outside [0, %v)", seed, i, a.At, d)
			}
			meanSum += a.At.Seconds()
		}
	}
	// Uniform instants over [0, 10 s) have mean 5 s and sd 10/√12 s.
	mean := meanSum / (50 * n)
	if stderr := 10 / math.Sqrt(12) / math.Sqrt(50*n); math.Abs(mean-5) > 5*stderr {
		t.Errorf("mean instant %.4f s, want 5 s ± %.4f", mean, 5*stderr)
	}
}

// TestDriverInVirtualTime is the engine's loop in miniature: sleep until each
// intended instant, then count the arrival in its virtual second. In a
// synctest bubble the sleeps take no real time and wake at exactly the
// instant asked for, so the counts per second must match the closed form
// ceil(Λ(s+1)) − ceil(Λ(s)).
func TestDriverInVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const a, b = 1.0, 10.0
		const d = 10 * time.Second
		plan := Plan{{Duration: d, ArrivalRate: a, RampTo: b}}
		s, err := plan.Schedule(0)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		perSecond := make([]int, int(d/time.Second))
		for arrival := range s.All() {
			time.Sleep(time.Until(start.Add(arrival.At)))
			perSecond[time.Since(start)/time.Second]++
		}
		if elapsed := time.Since(start); elapsed >= d {
			t.Errorf("the last arrival came at %v, after the phase", elapsed)
		}
		lambda := func(t float64) float64 { return a*t + (b-a)*t*t/(2*d.Seconds()) }
		for sec, got := range perSecond {
			want := int(math.Ceil(lambda(float64(sec+1))) - math.Ceil(lambda(float64(sec))))
			if got != want {
				t.Errorf("second %d: %d arrivals, want %d", sec, got, want)
			}
		}
	})
}
