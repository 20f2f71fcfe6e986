package phases

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

// collect returns every arrival of the plan; it fails the test on an
// invalid plan or on more than limit arrivals.
func collect(t testing.TB, p Plan, seed uint64, limit int) []Arrival {
	t.Helper()
	s, err := p.Schedule(seed)
	if err != nil {
		t.Fatalf("Schedule: %v", err)
	}
	var out []Arrival
	for a := range s.All() {
		out = append(out, a)
		if len(out) > limit {
			t.Fatalf("more than %d arrivals", limit)
		}
	}
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		phase Phase
		want  string // substring of the error; "" for a valid phase
	}{
		{"constant", Phase{Duration: time.Minute, ArrivalRate: 10}, ""},
		{"ramp", Phase{Duration: time.Minute, ArrivalRate: 1, RampTo: 10}, ""},
		{"ramp from zero", Phase{Duration: time.Minute, RampTo: 10}, ""},
		{"count", Phase{Duration: time.Minute, ArrivalCount: 7}, ""},
		{"pause", Phase{Duration: time.Minute, Pause: true}, ""},
		{"idle zero", Phase{}, ""},
		{"poisson", Phase{Duration: time.Second, ArrivalRate: 1, Mode: Poisson}, ""},
		{"negative duration", Phase{Duration: -time.Second, ArrivalRate: 1}, "negative"},
		{"too long", Phase{Duration: MaxDuration + 1, ArrivalRate: 1}, "longer than"},
		{"rate without duration", Phase{ArrivalRate: 5}, "need a duration"},
		{"count without duration", Phase{ArrivalCount: 5}, "need a duration"},
		{"NaN rate", Phase{Duration: time.Second, ArrivalRate: math.NaN()}, "arrivalRate is NaN"},
		{"Inf rampTo", Phase{Duration: time.Second, ArrivalRate: 1, RampTo: math.Inf(1)}, "rampTo is +Inf"},
		{"negative rate", Phase{Duration: time.Second, ArrivalRate: -1}, "negative"},
		{"huge rate", Phase{Duration: time.Second, ArrivalRate: 2 * MaxArrivalRate}, "--shard"},
		{"negative count", Phase{Duration: time.Second, ArrivalCount: -1}, "negative"},
		{"rate and count", Phase{Duration: time.Second, ArrivalRate: 1, ArrivalCount: 1}, "keep one"},
		{"pause with rate", Phase{Duration: time.Second, ArrivalRate: 1, Pause: true}, "pause"},
		{"negative maxVusers", Phase{Duration: time.Second, MaxVusers: -1}, "maxVusers"},
		{"unknown mode", Phase{Duration: time.Second, ArrivalRate: 1, Mode: 7}, "mode(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ph := tt.phase
			ph.Name = "warm up"
			plan := Plan{{Duration: time.Second, ArrivalRate: 1}, ph}
			err := plan.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `phases[1] ("warm up")`) {
				t.Errorf("Validate: %q, want it to name phases[1] and contain %q", err, tt.want)
			}
			var pe *PhaseError
			if !errors.As(err, &pe) || pe.Index != 1 || !errors.Is(err, ErrInvalidPhase) {
				t.Errorf("Validate: %#v is not a *PhaseError for index 1 wrapping ErrInvalidPhase", err)
			}
			if _, serr := plan.Schedule(1); serr == nil {
				t.Errorf("Schedule accepted a plan Validate rejects")
			}
		})
	}
}

// decimalCount is the reference count of a constant phase: the number of k
// with round(k/r in ns) < D, i.e. k < r·(D − ½ns), computed exactly from
// the rate as the user wrote it in decimal.
func decimalCount(t *testing.T, rate string, d time.Duration) int64 {
	r, ok := new(big.Rat).SetString(rate)
	if !ok {
		t.Fatalf("bad rate %q", rate)
	}
	y := new(big.Rat).Mul(r, new(big.Rat).SetFrac64(2*int64(d)-1, 2e9))
	q, m := new(big.Int).QuoRem(y.Num(), y.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

func TestUniformCountsExact(t *testing.T) {
	rates := []string{"0.1", "0.25", "0.3", "1", "2.5", "3", "7", "10", "33.3", "100", "123.456", "1000", "2999.5", "50000"}
	durations := []time.Duration{
		time.Millisecond, 333 * time.Millisecond, time.Second, 1500 * time.Millisecond,
		3 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 7 * time.Minute, time.Hour,
	}
	for _, rs := range rates {
		r, _ := strconv.ParseFloat(rs, 64)
		for _, d := range durations {
			ph := Phase{Duration: d, ArrivalRate: r}
			want := decimalCount(t, rs, d)
			if got := ph.ExpectedCount(); got != float64(want) {
				t.Errorf("%s/s for %v: ExpectedCount %v, want %d", rs, d, got, want)
			}
			if want > 200000 {
				continue
			}
			arrivals := collect(t, Plan{ph}, 0, int(want)+1)
			if int64(len(arrivals)) != want {
				t.Errorf("%s/s for %v: %d arrivals, want %d", rs, d, len(arrivals), want)
			}
		}
	}
	// The convention in round numbers.
	if got := (Phase{Duration: time.Minute, ArrivalRate: 10}).ExpectedCount(); got != 600 {
		t.Errorf("60 s at 10/s: %v arrivals, want 600", got)
	}
	if got := (Phase{Duration: 30 * time.Second, ArrivalRate: 0.1}).ExpectedCount(); got != 3 {
		t.Errorf("30 s at 0.1/s: %v arrivals, want 3", got)
	}
}

func TestNoDriftOverAnHour(t *testing.T) {
	plan := Plan{{Duration: time.Hour, ArrivalRate: 10}}
	arrivals := collect(t, plan, 0, 36000)
	if len(arrivals) != 36000 {
		t.Fatalf("%d arrivals, want 36000", len(arrivals))
	}
	for k, a := range arrivals {
		if want := time.Duration(k) * 100 * time.Millisecond; a.At != want {
			t.Fatalf("arrival %d at %v, want %v", k, a.At, want)
		}
	}
	if last := arrivals[35999].At; last != 3600*time.Second-100*time.Millisecond {
		t.Errorf("36,000th arrival at %v, want 59m59.9s", last)
	}
}

func TestPhasesRunInSequence(t *testing.T) {
	plan := Plan{
		{Name: "warm", Duration: 2 * time.Second, ArrivalRate: 2},
		{Name: "rest", Duration: 5 * time.Second, Pause: true},
		{Name: "burst", Duration: time.Second, ArrivalCount: 4},
	}
	want := []Arrival{
		{0, 0, 0}, {500 * time.Millisecond, 0, 1}, {time.Second, 0, 2}, {1500 * time.Millisecond, 0, 3},
		{7 * time.Second, 2, 4}, {7250 * time.Millisecond, 2, 5}, {7500 * time.Millisecond, 2, 6}, {7750 * time.Millisecond, 2, 7},
	}
	got := collect(t, plan, 0, 100)
	if len(got) != len(want) {
		t.Fatalf("arrivals %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("arrival %d = %v, want %v", i, got[i], want[i])
		}
	}
	if d := plan.Duration(); d != 8*time.Second {
		t.Errorf("Duration %v, want 8s", d)
	}
	if s := plan.Start(2); s != 7*time.Second {
		t.Errorf("Start(2) = %v, want 7s", s)
	}
	if n := plan.ExpectedCount(); n != 8 {
		t.Errorf("ExpectedCount %v, want 8", n)
	}
}

func TestArrivalCountInstants(t *testing.T) {
	tests := []struct {
		n int64
		d time.Duration
	}{
		{1, time.Second}, {3, time.Second}, {7, time.Second}, {1000, time.Minute},
		{1, time.Nanosecond}, {5, 3 * time.Nanosecond}, {999983, MaxDuration},
	}
	for _, tt := range tests {
		ph := Phase{Duration: tt.d, ArrivalCount: tt.n}
		if ph.ExpectedCount() != float64(tt.n) {
			t.Errorf("%d over %v: ExpectedCount %v", tt.n, tt.d, ph.ExpectedCount())
		}
		got := collect(t, Plan{ph}, 0, int(tt.n))
		if int64(len(got)) != tt.n {
			t.Fatalf("%d over %v: %d arrivals", tt.n, tt.d, len(got))
		}
		for k, a := range got {
			want := new(big.Int).Mul(big.NewInt(int64(k)), big.NewInt(int64(tt.d)))
			want.Quo(want, big.NewInt(tt.n))
			if int64(a.At) != want.Int64() {
				t.Fatalf("%d over %v: arrival %d at %d ns, want %v", tt.n, tt.d, k, a.At, want)
			}
		}
	}
}

// rampIntegral integrates the rate of a linear ramp from a to b over d
// seconds numerically (Simpson's rule) between t0 and t1: the reference the
// closed form is checked against.
func rampIntegral(a, b, d, t0, t1 float64) float64 {
	rate := func(t float64) float64 { return a + (b-a)*t/d }
	const steps = 200
	h := (t1 - t0) / steps
	sum := rate(t0) + rate(t1)
	for i := 1; i < steps; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * rate(t0+float64(i)*h)
	}
	return sum * h / 3
}

var ramps = []struct {
	a, b float64
	d    time.Duration
}{
	{1, 10, 10 * time.Second},
	{0, 50, time.Minute},
	{10, 1, 30 * time.Second},
	{100, 0.5, 20 * time.Second},
	{0.5, 3, 2 * time.Minute},
	{1000, 2000, 15 * time.Second},
	{0.01, 0.02, 10 * time.Minute},
	{5, 5.000001, time.Minute},
	{10, 0, 10 * time.Second},
	{7, 0, 33 * time.Second},
}

func TestRampCountsPerSecondMatchTheIntegral(t *testing.T) {
	for _, r := range ramps {
		ph := Phase{Duration: r.d, ArrivalRate: r.a, RampTo: r.b, Ramp: true}
		arrivals := collect(t, Plan{ph}, 0, 1e6)
		seconds := int(r.d / time.Second)
		perSecond := make([]int, seconds)
		for _, a := range arrivals {
			perSecond[a.At/time.Second]++
		}
		cumulative, reference := 0, 0.0
		for s, n := range perSecond {
			want := rampIntegral(r.a, r.b, r.d.Seconds(), float64(s), float64(s+1))
			if math.Abs(float64(n)-want) > 1 {
				t.Errorf("ramp %g→%g over %v, second %d: %d arrivals, integral %.3f", r.a, r.b, r.d, s, n, want)
			}
			// The running count never strays by more than one either.
			cumulative += n
			reference += want
			if math.Abs(float64(cumulative)-reference) > 1 {
				t.Errorf("ramp %g→%g over %v, by second %d: %d arrivals, integral %.3f", r.a, r.b, r.d, s+1, cumulative, reference)
			}
		}
		want := math.Ceil((r.a + r.b) / 2 * r.d.Seconds())
		if float64(len(arrivals)) != want || ph.ExpectedCount() != want {
			t.Errorf("ramp %g→%g over %v: %d arrivals, ExpectedCount %v, want ceil((a+b)D/2) = %v",
				r.a, r.b, r.d, len(arrivals), ph.ExpectedCount(), want)
		}
	}
}

func TestRampInstantsSolveTheIntegral(t *testing.T) {
	// Λ(t_k) = k for every arrival, to within the nanosecond rounding.
	for _, r := range ramps {
		ph := Phase{Duration: r.d, ArrivalRate: r.a, RampTo: r.b, Ramp: true}
		d := r.d.Seconds()
		for k, a := range collect(t, Plan{ph}, 0, 1e6) {
			ts := a.At.Seconds()
			lambda := r.a*ts + (r.b-r.a)*ts*ts/(2*d)
			rate := r.a + (r.b-r.a)*ts/d
			tolerance := 1e-9*math.Max(rate, r.b) + 1e-9*float64(k)
			if math.Abs(lambda-float64(k)) > tolerance {
				t.Fatalf("ramp %g→%g: arrival %d at %v gives Λ = %.12f", r.a, r.b, k, a.At, lambda)
			}
		}
	}
}

func TestTinyRates(t *testing.T) {
	tests := []Phase{
		{Duration: time.Hour, ArrivalRate: 1e-300},
		{Duration: time.Hour, ArrivalRate: 5e-324},
		{Duration: time.Hour, RampTo: 5e-324},
		{Duration: time.Hour, ArrivalRate: 1e-300, RampTo: 2e-300},
		{Duration: time.Hour, ArrivalRate: 1e-5, RampTo: 5e-324},
		{Duration: time.Nanosecond, ArrivalRate: 1},
	}
	for _, ph := range tests {
		got := collect(t, Plan{ph}, 0, 10)
		if len(got) != 1 || got[0].At != 0 || ph.ExpectedCount() != 1 {
			t.Errorf("%v: arrivals %v, ExpectedCount %v; want the single arrival at the start", ph, got, ph.ExpectedCount())
		}
	}
}

func TestRampToZeroNeedsRamp(t *testing.T) {
	constant := Phase{Duration: 10 * time.Second, ArrivalRate: 10}
	down := Phase{Duration: 10 * time.Second, ArrivalRate: 10, Ramp: true}
	if got := constant.ExpectedCount(); got != 100 {
		t.Errorf("rampTo 0 without Ramp: %v arrivals, want a constant 10/s: 100", got)
	}
	arrivals := collect(t, Plan{down}, 0, 100)
	if len(arrivals) != 50 || down.ExpectedCount() != 50 {
		t.Fatalf("ramp 10/s → 0 over 10 s: %d arrivals, ExpectedCount %v, want 50", len(arrivals), down.ExpectedCount())
	}
	// Λ(t) = 10t − t²/2; arrival 49 solves Λ(t) = 49: t = 10 − √2.
	if got, want := arrivals[49].At.Seconds(), 10-math.Sqrt2; math.Abs(got-want) > 1e-9 {
		t.Errorf("last arrival at %v s, want %v s", got, want)
	}
	if s := down.String(); s != "ramp 10/s → 0/s for 10s" {
		t.Errorf("String() = %q", s)
	}
}
