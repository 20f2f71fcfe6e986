package memtrim

import (
	"testing"
	"testing/synctest"
	"time"
)

// idleCollector returns an IdleCollector with p over a fake runtime: its
// collections so far are *cycles, and a collection adds one and takes
// cost of CPU.
func idleCollector(p IdlePolicy, cycles *uint64, cost time.Duration) *IdleCollector {
	c := NewIdleCollector(p)
	c.cycles = func() uint64 { return *cycles }
	c.collect = func() time.Duration { *cycles++; return cost }
	return c
}

// runFor runs c's checks for d of the bubble's time, calling each before
// every check.
func runFor(c *IdleCollector, d time.Duration, each func()) {
	end := time.Now().Add(d)
	for now := time.Now(); now.Before(end); now = time.Now() {
		time.Sleep(c.policy.Check)
		if each != nil {
			each()
		}
		c.Check(time.Now())
	}
}

// A process that allocates slowly is collected every After; one whose
// runtime collects often is not.
func TestIdleCollectorCollectsOnlyWhenTheRuntimeDoesNot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cycles uint64
		c := idleCollector(DefaultIdlePolicy, &cycles, 10*time.Millisecond)
		runFor(c, 10*time.Minute, nil)
		// Checks every 5 s: the first at 5 s takes the count, then a
		// collection at 35 s, 65 s, ... up to 575 s.
		if got := c.Collections(); got != 19 {
			t.Errorf("%d collections in 10 minutes without the runtime's, want 19 (one every 30 s)", got)
		}

		busy := idleCollector(DefaultIdlePolicy, &cycles, 10*time.Millisecond)
		runFor(busy, 10*time.Minute, func() { cycles++ }) // the runtime collects every 5 s
		if got := busy.Collections(); got != 0 {
			t.Errorf("%d collections while the runtime collected every 5 s, want none", got)
		}

		slow := idleCollector(DefaultIdlePolicy, &cycles, 10*time.Millisecond)
		i := 0
		runFor(slow, 10*time.Minute, func() { // the runtime collects every 20 s
			if i++; i%4 == 0 {
				cycles++
			}
		})
		if got := slow.Collections(); got != 0 {
			t.Errorf("%d collections while the runtime collected every 20 s, want none", got)
		}
	})
}

// A collection that costs much CPU (a large live heap) spaces the next by
// its cost over Share: 0.5 s at a thousandth of a core is 500 s.
func TestIdleCollectorSpacesCostlyCollections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cycles uint64
		c := idleCollector(DefaultIdlePolicy, &cycles, 500*time.Millisecond)
		runFor(c, 20*time.Minute, nil)
		// At 35 s, then 500 s after each: 535 s, 1,035 s.
		if got := c.Collections(); got != 3 {
			t.Errorf("%d collections of 0.5 s each in 20 minutes, want 3 (one every 500 s)", got)
		}
	})
}

// The process's own counters: a collection is counted by the runtime,
// and its cost is the collector's CPU time, more than none.
func TestIdleCollectorCollectsTheProcessHeap(t *testing.T) {
	c := NewIdleCollector(IdlePolicy{Check: time.Second, After: time.Second, Share: 0.001})
	start := time.Now()
	before := gcCycles()
	c.Check(start)
	if c.Check(start.Add(2*time.Second)) && gcCycles() == before {
		t.Fatal("the collection was not counted by the runtime")
	}
	if cost := collectTimed(); cost <= 0 {
		t.Errorf("a collection's CPU time read as %v", cost)
	}
}

func TestStartIdleCollectorStops(t *testing.T) {
	stop := StartIdleCollector(IdlePolicy{Check: time.Millisecond, After: time.Hour})
	stop() // returns once the collector's goroutine has ended
}
