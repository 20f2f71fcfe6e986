package engine

import (
	"context"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/phases"
	"github.com/sockload/sockload/scenario"
)

// ioFreeScript is a script whose VUs the tests run without the network.
func ioFreeScript() *scenario.Script {
	return &scenario.Script{
		Config:    scenario.Config{Timeout: 10 * time.Second},
		Scenarios: []scenario.Scenario{{Name: "a", Weight: 1}},
	}
}

// startTimes runs plan in a synctest bubble with VUs that only note when
// they started (offset from the run's start) and last for hold.
func startTimes(t *testing.T, plan phases.Plan, hold time.Duration) (starts []time.Duration, res Result) {
	synctest.Test(t, func(t *testing.T) {
		reg := metrics.New(time.Now(), metrics.Options{})
		r, err := New(Config{Script: ioFreeScript(), Plan: plan, Registry: reg, Seed: 1, Grace: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		begin := time.Now()
		r.runFlow = func(ctx context.Context, v *vu) error {
			mu.Lock()
			starts = append(starts, time.Since(begin))
			mu.Unlock()
			select {
			case <-time.After(hold):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		res, err = r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
	})
	return starts, res
}

// The VUs of a ramp start, second by second, as the closed form of the
// integrated rate says: Λ(t) = a·t + (b−a)·t²/(2D).
func TestRampArrivalsPerSecondMatchTheClosedForm(t *testing.T) {
	const a, b, d = 2.0, 50.0, 20.0
	plan := phases.Plan{{Duration: d * time.Second, ArrivalRate: a, RampTo: b}}
	starts, res := startTimes(t, plan, 0)
	perSecond := make([]int, int(d))
	for _, s := range starts {
		perSecond[int(s/time.Second)]++
	}
	lambda := func(t float64) float64 { return a*t + (b-a)*t*t/(2*d) }
	for sec, got := range perSecond {
		want := math.Ceil(lambda(float64(sec+1))) - math.Ceil(lambda(float64(sec)))
		if math.Abs(float64(got)-want) > 0 {
			t.Errorf("second %d: %d arrivals, the closed form gives %.0f", sec, got, want)
		}
	}
	if total := int64(len(starts)); total != res.Launched || total != int64(math.Ceil(lambda(d))) {
		t.Errorf("%d arrivals, launched %d, want %.0f", total, res.Launched, math.Ceil(lambda(d)))
	}
}

// In virtual time nothing delays the generator: every VU starts exactly at
// its intended instant, so the recorded lag is nil.
func TestArrivalsStartOnTime(t *testing.T) {
	plan := phases.Plan{{Duration: 10 * time.Second, ArrivalRate: 10}}
	starts, _ := startTimes(t, plan, 0)
	if len(starts) != 100 {
		t.Fatalf("%d arrivals, want 100", len(starts))
	}
	for k, s := range starts {
		if want := time.Duration(k) * 100 * time.Millisecond; s != want {
			t.Fatalf("arrival %d at %s, want %s", k, s, want)
		}
	}
}

// Arrivals over maxVusers are skipped and counted, not queued.
func TestMaxVusersSkipsArrivals(t *testing.T) {
	plan := phases.Plan{{Duration: 10 * time.Second, ArrivalRate: 10, MaxVusers: 5}}
	// Each VU lasts 2 s: 20 arrive while it runs, so at most 5 run.
	starts, res := startTimes(t, plan, 2*time.Second)
	if res.Launched+res.Skipped != 100 {
		t.Fatalf("launched %d + skipped %d, want 100 offered", res.Launched, res.Skipped)
	}
	// In each 2 s, five start and fifteen are skipped.
	if res.Launched != 25 || len(starts) != 25 {
		t.Errorf("launched %d, want 25", res.Launched)
	}
}

// VUs still running when the grace period ends are cancelled and counted.
func TestGracePeriodCancelsStragglers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := metrics.New(time.Now(), metrics.Options{})
		plan := phases.Plan{{Duration: time.Second, ArrivalCount: 4}}
		r, err := New(Config{Script: ioFreeScript(), Plan: plan, Registry: reg, Grace: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r.runFlow = func(ctx context.Context, v *vu) error {
			<-ctx.Done()
			return ctx.Err()
		}
		begin := time.Now()
		res, _ := r.Run(context.Background())
		if res.Cancelled != 4 {
			t.Errorf("cancelled %d, want 4", res.Cancelled)
		}
		if took := time.Since(begin); took != 6*time.Second {
			t.Errorf("the run took %s, want the 1 s phase and the 5 s grace", took)
		}
		if got := reg.Rotate(time.Now()).Counters[MetricVUsersCancelled]; got != 4 {
			t.Errorf("vusers.cancelled = %d", got)
		}
	})
}

// The default grace period is the longest a flow can take: thinks, a
// timeout for every wait, the connect timeout, plus one timeout; a minute
// for a flow with no bound.
func TestDefaultGrace(t *testing.T) {
	think := func(s float64) scenario.Step { return &scenario.ThinkStep{Duration: scenario.Literal(s)} }
	ack := &scenario.EmitStep{Acknowledge: &scenario.Check{}}
	script := func(flow ...scenario.Step) *scenario.Script {
		return &scenario.Script{
			Config:    scenario.Config{Timeout: 10 * time.Second},
			Scenarios: []scenario.Scenario{{Flow: flow, SocketIO: scenario.SocketIOOptions{ConnectTimeout: 20 * time.Second}}},
		}
	}
	loop := &scenario.LoopStep{Count: scenario.Literal(3), Steps: []scenario.Step{ack, think(2)}}
	for name, tc := range map[string]struct {
		script *scenario.Script
		want   time.Duration
	}{
		"thinks and an ack": {script(think(1), ack, think(30)), (1 + 10 + 30 + 20 + 10) * time.Second},
		"a counted loop":    {script(loop), (3*(10+2) + 20 + 10) * time.Second},
		"a loop forever":    {script(&scenario.LoopStep{Steps: []scenario.Step{think(1)}}), time.Minute},
	} {
		if got := DefaultGrace(tc.script); got != tc.want {
			t.Errorf("%s: grace %s, want %s", name, got, tc.want)
		}
	}
}
