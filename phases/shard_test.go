package phases

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

var shardPlans = map[string]Plan{
	"artillery example": {
		{Name: "warm up", Duration: 60 * time.Second, ArrivalRate: 5, MaxVusers: 50},
		{Name: "ramp", Duration: 120 * time.Second, ArrivalRate: 5, RampTo: 50, MaxVusers: 1001},
		{Name: "rest", Duration: 10 * time.Second, Pause: true},
		{Name: "sustained", Duration: 60 * time.Second, ArrivalRate: 50},
		{Name: "burst", Duration: 5 * time.Second, ArrivalCount: 103},
		{Name: "ramp down", Duration: 30 * time.Second, ArrivalRate: 40, RampTo: 1},
	},
	"odd rates": {
		{Duration: 7 * time.Second, ArrivalRate: 0.3},
		{Duration: 13 * time.Second, ArrivalRate: 2.7, RampTo: 0.1},
		{Duration: time.Second, ArrivalCount: 1},
		{Duration: 3 * time.Second, ArrivalRate: 1e-6},
		{Duration: 9 * time.Second, ArrivalRate: 6.5, Ramp: true},
	},
	"poisson": {
		{Duration: 20 * time.Second, ArrivalRate: 30, Mode: Poisson},
		{Duration: 20 * time.Second, ArrivalRate: 1, RampTo: 40, Mode: Poisson},
		{Duration: 5 * time.Second, ArrivalCount: 77, Mode: Poisson},
		{Duration: 8 * time.Second, ArrivalRate: 25, Ramp: true, Mode: Poisson},
	},
}

// TestShardsAddUpToTheWhole is the key property of Shard: for every n, the
// n shards' counts, caps and instants together are exactly the whole plan's.
func TestShardsAddUpToTheWhole(t *testing.T) {
	const seed = 42
	for name, plan := range shardPlans {
		whole := collect(t, plan, seed, 1e6)
		for _, n := range []int{1, 2, 3, 7, 10, 101} {
			var union []Arrival
			counts := make([]int64, len(plan))
			caps := make([]int64, len(plan))
			expected := make([]float64, len(plan))
			for i := 1; i <= n; i++ {
				shard, err := plan.Shard(i, n)
				if err != nil {
					if n > 50 && errors.Is(err, ErrShard) { // maxVusers 50 cannot feed 101 shards
						continue
					}
					t.Fatalf("%s: Shard(%d, %d): %v", name, i, n, err)
				}
				if shard.Duration() != plan.Duration() {
					t.Errorf("%s: shard %d/%d lasts %v, want %v", name, i, n, shard.Duration(), plan.Duration())
				}
				for j, ph := range shard {
					if si, sn := ph.ShardOf(); si != i || sn != n {
						t.Errorf("%s: shard %d/%d phase %d: ShardOf = %d/%d", name, i, n, j, si, sn)
					}
					if ph.ArrivalRate != plan[j].ArrivalRate/float64(n) || ph.RampTo != plan[j].RampTo/float64(n) {
						t.Errorf("%s: shard %d/%d phase %d: rates %v→%v, want the whole's divided by %d", name, i, n, j, ph.ArrivalRate, ph.RampTo, n)
					}
					counts[j] += ph.ArrivalCount
					caps[j] += ph.MaxVusers
					expected[j] += ph.ExpectedCount()
				}
				arrivals := collect(t, shard, seed, 1e6)
				if plan[0].Mode == Uniform && float64(len(arrivals)) != shard.ExpectedCount() {
					t.Errorf("%s: shard %d/%d yields %d arrivals, ExpectedCount %v", name, i, n, len(arrivals), shard.ExpectedCount())
				}
				union = append(union, arrivals...)
			}
			if caps[0] == 0 && plan[0].MaxVusers > 0 {
				continue // this n was refused
			}
			for j, ph := range plan {
				if counts[j] != ph.ArrivalCount || caps[j] != ph.MaxVusers {
					t.Errorf("%s, %d shards, phase %d: arrivalCount sums to %d, maxVusers to %d; want %d and %d",
						name, n, j, counts[j], caps[j], ph.ArrivalCount, ph.MaxVusers)
				}
				if math.Abs(expected[j]-ph.ExpectedCount()) > 1e-9*ph.ExpectedCount() {
					t.Errorf("%s, %d shards, phase %d: expected counts sum to %v, want %v", name, n, j, expected[j], ph.ExpectedCount())
				}
			}
			slices.SortStableFunc(union, func(a, b Arrival) int {
				if a.At != b.At {
					return int(a.At - b.At)
				}
				return a.Phase - b.Phase
			})
			if !slices.Equal(union, whole) {
				t.Errorf("%s, %d shards: the union of the shards' %d arrivals is not the whole plan's %d", name, n, len(union), len(whole))
			}
		}
	}
}

func TestShardRefusals(t *testing.T) {
	plan := Plan{{Name: "capped", Duration: time.Second, ArrivalRate: 10, MaxVusers: 2}}
	tests := []struct {
		name string
		plan Plan
		i, n int
	}{
		{"zero shards", plan, 1, 0},
		{"index zero", plan, 0, 3},
		{"index past n", plan, 4, 3},
		{"too many shards", plan, 1, MaxShards + 1},
		{"cap below n", plan, 1, 3},
		{"invalid plan", Plan{{Duration: -1}}, 1, 1},
	}
	for _, tt := range tests {
		if _, err := tt.plan.Shard(tt.i, tt.n); err == nil {
			t.Errorf("%s: Shard(%d, %d) succeeded", tt.name, tt.i, tt.n)
		}
	}
	shard, err := plan.Shard(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shard.Shard(1, 2); !errors.Is(err, ErrShard) {
		t.Errorf("splitting a shard again: %v, want ErrShard", err)
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		i, n int
		ok   bool
	}{
		{"1/1", 1, 1, true},
		{"2/3", 2, 3, true},
		{" 3 / 3 ", 3, 3, true},
		{"100000/100000", 100000, 100000, true},
		{"0/3", 0, 0, false},
		{"4/3", 0, 0, false},
		{"1/0", 0, 0, false},
		{"-1/3", 0, 0, false},
		{"1/100001", 0, 0, false},
		{"1", 0, 0, false},
		{"a/b", 0, 0, false},
		{"1/2/3", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		i, n, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || i != tt.i || n != tt.n {
			t.Errorf("ParseShard(%q) = %d, %d, %v; want %d, %d, ok=%v", tt.in, i, n, err, tt.i, tt.n, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrShard) {
			t.Errorf("ParseShard(%q): %v does not wrap ErrShard", tt.in, err)
		}
	}
}

// Arrival.Index numbers the whole plan's arrivals 0, 1, 2, ... and the
// shards together hold every index exactly once, Poisson phases included.
func TestShardIndicesCoverTheWholePlan(t *testing.T) {
	plan := Plan{
		{Duration: 3 * time.Second, ArrivalRate: 2.5},
		{Duration: 2 * time.Second, Pause: true},
		{Duration: 4 * time.Second, ArrivalRate: 1, RampTo: 7},
		{Duration: 5 * time.Second, ArrivalRate: 6, Mode: Poisson},
		{Duration: 2 * time.Second, ArrivalCount: 7},
		{Duration: 2 * time.Second, ArrivalCount: 5, Mode: Poisson},
	}
	whole, err := plan.Schedule(42)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for a := range whole.All() {
		if a.Index != total {
			t.Fatalf("arrival %d of the whole plan has index %d", total, a.Index)
		}
		total++
	}
	for _, n := range []int{2, 3, 7} {
		seen := make([]int, total)
		for i := 1; i <= n; i++ {
			part, err := plan.Shard(i, n)
			if err != nil {
				t.Fatal(err)
			}
			sched, err := part.Schedule(42)
			if err != nil {
				t.Fatal(err)
			}
			for a := range sched.All() {
				if a.Index < 0 || a.Index >= total {
					t.Fatalf("shard %d/%d: index %d outside the whole plan's %d", i, n, a.Index, total)
				}
				seen[a.Index]++
			}
		}
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("%d shards: index %d held %d times", n, k, c)
			}
		}
	}
}
