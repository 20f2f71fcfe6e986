package memtrim

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// lossCollector returns a LossCollector with DefaultLossPolicy whose
// collections are counted instead of run: as a loss is seen and once nine
// in ten are back in collected, once all are (collected and returned to
// the system) in released.
func lossCollector(collected, released *atomic.Int64) *LossCollector {
	c := NewLossCollector(DefaultLossPolicy)
	c.collect = func() { collected.Add(1) }
	c.release = func() { released.Add(1) }
	return c
}

// lose counts n lost connections of running VUs, spread evenly over d.
func lose(c *LossCollector, n int, running int64, d time.Duration) {
	for i := range n {
		if d > 0 && i > 0 {
			time.Sleep(d / time.Duration(n))
		}
		c.Lost(running)
	}
}

// regain counts n lost connections joined again.
func regain(c *LossCollector, n int) {
	for range n {
		c.Regained()
	}
}

// A mass loss is collected as it is seen, again when nine in ten of its
// connections are back, and a last time, returning the freed memory, when
// all are; another within MinGap is not.
func TestLossCollectorCollectsAroundAMassLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var collected, released atomic.Int64
		c := lossCollector(&collected, &released)
		expect := func(wantCollected, wantReleased int64, when string) {
			t.Helper()
			synctest.Wait()
			if got := collected.Load(); got != wantCollected {
				t.Fatalf("%d plain collections %s, want %d", got, when, wantCollected)
			}
			if got := released.Load(); got != wantReleased {
				t.Fatalf("%d collections returning memory %s, want %d", got, when, wantReleased)
			}
		}
		lose(c, 2000, 2000, 500*time.Millisecond) // a target restarted
		expect(1, 0, "for 2,000 of 2,000 connections lost within 0.5 s")
		regain(c, 1799)
		expect(1, 0, "with 1,799 of the 2,000 back")
		regain(c, 1)
		expect(2, 0, "with 1,800 of the 2,000 back")
		regain(c, 199)
		expect(2, 0, "with 1,999 of the 2,000 back")
		regain(c, 1)
		expect(2, 1, "with all back")
		regain(c, 200)
		expect(2, 1, "after regains never counted lost")

		time.Sleep(30 * time.Second)
		lose(c, 2000, 2000, 500*time.Millisecond) // again, within MinGap
		regain(c, 2000)
		expect(2, 1, "after a second mass loss 30 s after the first")

		time.Sleep(DefaultLossPolicy.MinGap)
		lose(c, 700, 2000, 900*time.Millisecond) // a node of three died
		expect(3, 1, "after a third of the connections were lost a minute later")
		regain(c, 700)
		expect(4, 2, "once they were back")
		if n := c.Collections(); n != 6 {
			t.Errorf("Collections() = %d, want 6", n)
		}
	})
}

// A mass loss that never fully mends (a node that stays down) is not
// returned to the system; the next one starts afresh.
func TestLossCollectorReturnsOnlyWhenAllAreBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var collected, released atomic.Int64
		c := lossCollector(&collected, &released)
		lose(c, 1000, 1000, 0)
		regain(c, 999)
		synctest.Wait()
		if got, want := [2]int64{collected.Load(), released.Load()}, [2]int64{2, 0}; got != want {
			t.Fatalf("collected, returned with 999 of 1,000 back: %v, want %v", got, want)
		}
		time.Sleep(DefaultLossPolicy.MinGap)
		lose(c, 1000, 1000, 0)
		regain(c, 1001)
		synctest.Wait()
		if got, want := [2]int64{collected.Load(), released.Load()}, [2]int64{4, 1}; got != want {
			t.Fatalf("collected, returned once a second loss mended: %v, want %v", got, want)
		}
	})
}

// Regains of connections never counted lost (a miscount must not wrap)
// start nothing and hide no later mass loss.
func TestLossCollectorRegainedWithoutLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var collected, released atomic.Int64
		c := lossCollector(&collected, &released)
		regain(c, 10)
		lose(c, 300, 300, 0)
		synctest.Wait()
		if got := collected.Load() + released.Load(); got != 1 {
			t.Fatalf("%d collections for 300 of 300 lost after 10 stray regains, want 1", got)
		}
	})
}

func TestLossCollectorIgnoresLossesThatAreNotMassive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lost    int
		running int64
		over    time.Duration
	}{
		{"churn over a minute", 2000, 2000, time.Minute},
		{"a small run, all lost", DefaultLossPolicy.MinLost - 1, int64(DefaultLossPolicy.MinLost - 1), 0},
		{"a tenth of a large run", 1000, 10_000, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var collected, released atomic.Int64
				c := lossCollector(&collected, &released)
				lose(c, tc.lost, tc.running, tc.over)
				synctest.Wait()
				if got := collected.Load() + released.Load(); got != 0 {
					t.Fatalf("%d collections for %d of %d connections lost over %v, want none", got, tc.lost, tc.running, tc.over)
				}
			})
		})
	}
}

func TestLossCollectorOfNothing(t *testing.T) {
	var c *LossCollector
	c.Lost(1) // a run without one: no panic
	c.Regained()
}
