package memtrim

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// lossCollector returns a LossCollector with DefaultLossPolicy whose
// collections are counted instead of run.
func lossCollector(collected *atomic.Int64) *LossCollector {
	c := NewLossCollector(DefaultLossPolicy)
	c.collect = func() { collected.Add(1) }
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

func TestLossCollectorCollectsOnceAMassLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var collected atomic.Int64
		c := lossCollector(&collected)
		lose(c, 2000, 2000, 500*time.Millisecond) // a target restarted
		synctest.Wait()
		if got := collected.Load(); got != 1 {
			t.Fatalf("%d collections for 2,000 of 2,000 connections lost within 0.5 s, want 1", got)
		}
		time.Sleep(30 * time.Second)
		lose(c, 2000, 2000, 500*time.Millisecond) // again, within MinGap
		synctest.Wait()
		if got := collected.Load(); got != 1 {
			t.Fatalf("%d collections after a second mass loss 30 s after the first, want still 1", got)
		}
		time.Sleep(DefaultLossPolicy.MinGap)
		lose(c, 700, 2000, 900*time.Millisecond) // a node of three died
		synctest.Wait()
		if got, n := collected.Load(), c.Collections(); got != 2 || n != 2 {
			t.Fatalf("%d collections (%d counted) after a third of the connections were lost a minute later, want 2", got, n)
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
				var collected atomic.Int64
				c := lossCollector(&collected)
				lose(c, tc.lost, tc.running, tc.over)
				synctest.Wait()
				if got := collected.Load(); got != 0 {
					t.Fatalf("%d collections for %d of %d connections lost over %v, want none", got, tc.lost, tc.running, tc.over)
				}
			})
		})
	}
}

func TestLossCollectorOfNothing(t *testing.T) {
	var c *LossCollector
	c.Lost(1) // a run without one: no panic
}
