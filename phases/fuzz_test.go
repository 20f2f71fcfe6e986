package phases

import (
	"errors"
	"math"
	"testing"
	"time"
)

// FuzzSchedule builds a two-phase plan (bit 2 of mode sets Ramp) (the second phase is a fixed
// constant rate, to check the handover) from arbitrary parameters, and
// checks that invalid ones give an error while valid ones give instants in
// order, inside their phases, as many as ExpectedCount says, and that Shard
// keeps the arrivals of its indices.
func FuzzSchedule(f *testing.F) {
	f.Add(int64(60e9), 10.0, 0.0, int64(0), false, uint8(0), int64(0), uint8(1), uint8(1), uint64(1))
	f.Add(int64(10e9), 1.0, 10.0, int64(0), false, uint8(0), int64(5), uint8(2), uint8(3), uint64(1))
	f.Add(int64(30e9), 40.0, 0.5, int64(0), false, uint8(1), int64(0), uint8(1), uint8(2), uint64(9))
	f.Add(int64(5e9), 0.0, 0.0, int64(103), false, uint8(1), int64(0), uint8(3), uint8(3), uint64(2))
	f.Add(int64(1e9), math.NaN(), 0.0, int64(0), false, uint8(0), int64(0), uint8(1), uint8(1), uint64(0))
	f.Add(int64(-1), 1.0, 0.0, int64(0), true, uint8(0), int64(-1), uint8(0), uint8(0), uint64(0))
	f.Add(int64(3600e9), 1e-300, 5e-324, int64(0), false, uint8(0), int64(0), uint8(1), uint8(1), uint64(0))
	f.Fuzz(func(t *testing.T, durNs int64, rate, rampTo float64, count int64, pause bool, mode uint8, maxVusers int64, shardI, shardN uint8, seed uint64) {
		ph := Phase{
			Name: "fuzzed", Duration: time.Duration(durNs), ArrivalRate: rate, RampTo: rampTo,
			ArrivalCount: count, Pause: pause, Mode: Mode(mode % 3), MaxVusers: maxVusers,
			Ramp: mode&4 != 0,
		}
		plan := Plan{ph, {Duration: time.Second, ArrivalRate: 3}}
		s, err := plan.Schedule(seed)
		if err != nil {
			var pe *PhaseError
			if !errors.As(err, &pe) || pe.Index != 0 || !errors.Is(err, ErrInvalidPhase) {
				t.Fatalf("error %v does not name phase 0", err)
			}
			if math.IsNaN(rate) || math.IsNaN(rampTo) {
				return
			}
			if durNs >= 0 && time.Duration(durNs) <= MaxDuration && rate >= 0 && rate <= MaxArrivalRate &&
				rampTo >= 0 && rampTo <= MaxArrivalRate && count >= 0 && count <= MaxArrivalCount && maxVusers >= 0 &&
				mode%3 != 2 && !(pause && (rate > 0 || rampTo > 0 || count > 0)) && !((rate > 0 || rampTo > 0) && count > 0) &&
				!(durNs == 0 && (rate > 0 || rampTo > 0 || count > 0)) {
				t.Fatalf("valid phase %+v refused: %v", ph, err)
			}
			return
		}
		const limit = 5000
		n, last := 0, time.Duration(0)
		for a := range s.All() {
			if a.At < last {
				t.Fatalf("arrival %d at %v, before the previous one at %v", n, a.At, last)
			}
			if start, end := plan.Start(a.Phase), plan.Start(a.Phase)+plan[a.Phase].Duration; a.At < start || a.At >= end {
				t.Fatalf("arrival %d at %v outside its phase %d [%v, %v)", n, a.At, a.Phase, start, end)
			}
			last = a.At
			if n++; n == limit {
				break
			}
		}
		want := ph.ExpectedCount() + 3
		if ph.Mode == Uniform && want < limit && float64(n) != want {
			t.Fatalf("%d arrivals, ExpectedCount %v", n, want)
		}
		checkShard(t, plan, int(shardI), int(shardN), seed)
	})
}

// checkShard checks that shard i of n yields the whole plan's arrivals at
// the indices k ≡ i−1 (mod n) of each phase, looking at the first ones.
func checkShard(t *testing.T, plan Plan, i, n int, seed uint64) {
	shard, err := plan.Shard(i, n)
	if err != nil {
		if !errors.Is(err, ErrShard) {
			t.Fatalf("Shard(%d, %d) of a valid plan: %v", i, n, err)
		}
		return
	}
	whole, _ := plan.Schedule(seed)
	part, err := shard.Schedule(seed)
	if err != nil {
		t.Fatalf("schedule of shard %d/%d: %v", i, n, err)
	}
	index := map[int]int{} // arrivals seen per phase of the whole plan
	for checked := 0; checked < 500; {
		a, ok := whole.Next()
		if !ok {
			break
		}
		k := index[a.Phase]
		index[a.Phase]++
		if k%n != i-1 {
			continue
		}
		b, ok := part.Next()
		if !ok || b != a {
			t.Fatalf("shard %d/%d: got %v (%v), want %v, arrival %d of phase %d", i, n, b, ok, a, k, a.Phase)
		}
		checked++
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/1", "2/3", " 3 / 3 ", "0/1", "1/0", "a/b", "1/2/3", "99999999999999999999/1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i, n, err := ParseShard(s)
		if err != nil {
			if !errors.Is(err, ErrShard) {
				t.Fatalf("error %v does not wrap ErrShard", err)
			}
			return
		}
		if i < 1 || i > n || n > MaxShards {
			t.Fatalf("ParseShard(%q) accepted %d/%d", s, i, n)
		}
	})
}
