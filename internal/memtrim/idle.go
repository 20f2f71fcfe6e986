package memtrim

import (
	"context"
	"runtime"
	"runtime/metrics"
	"time"
)

// IdlePolicy says when an IdleCollector collects.
type IdlePolicy struct {
	// Check is how often the runtime's count of collections is read.
	Check time.Duration
	// After is how long the runtime must not have collected for a
	// collection to be due.
	After time.Duration
	// Share bounds the collections' CPU time, as a share of one core:
	// after a collection that took c, the next waits at least c / Share.
	Share float64
}

// DefaultIdlePolicy is the run's: a collection when the runtime has made
// none for 30 s, costing at most a thousandth of a core. A 14 MB live heap
// (2,000 VUs) takes about 13 ms of CPU (gctrace of bench/soak.sh), so the
// gap is the 30 s; a heap like 100,000 idle connections' (379 MiB) takes
// about 88 ms (BenchmarkCheckAtIdleConnections), and the gap grows to
// about 90 s, near the runtime's own forced collection every two minutes.
var DefaultIdlePolicy = IdlePolicy{Check: 5 * time.Second, After: 30 * time.Second, Share: 0.001}

// An IdleCollector collects the heap of a process that allocates too
// slowly for the runtime to collect it often. The runtime collects when
// the heap has doubled since the last collection's live heap (GOGC=100),
// or every two minutes. At 2,000 VUs acking every 5 s the process
// allocates about 50 KB a second against a 14 MB live heap: the forced
// collection every two minutes is the only one, and between two of them
// the heap grows by 6-9 MB into pages it has never used, which the
// background scavenger returns after the collection. The RSS then swings
// by a fifth of the process every two minutes. Collected every 30 s, the
// garbage between collections is about 1.5 MB, and the heap grows back
// into the pages the last collection freed (the soak's RSS after warm-up:
// 34-37 MB, against 35-41 MB without).
type IdleCollector struct {
	policy  IdlePolicy
	cycles  func() uint64        // the runtime's collections so far
	collect func() time.Duration // collects; returns the CPU time it took

	seen        uint64    // cycles at the last check
	since       time.Time // when seen changed, or the last collection
	wait        time.Duration
	collections int
}

// NewIdleCollector returns an IdleCollector with p over the process's
// heap.
func NewIdleCollector(p IdlePolicy) *IdleCollector {
	return &IdleCollector{policy: p, cycles: gcCycles, collect: collectTimed, wait: p.After}
}

// Check collects if the runtime has not collected for the policy's
// After, and not since the wait the last collection's cost set. The first
// check only takes the count of collections. It reports whether it
// collected. It is not safe for concurrent use.
func (c *IdleCollector) Check(now time.Time) bool {
	n := c.cycles()
	if c.since.IsZero() || n != c.seen {
		c.seen, c.since = n, now
		return false
	}
	if now.Sub(c.since) < c.wait {
		return false
	}
	cost := c.collect()
	c.collections++
	c.seen, c.since = c.cycles(), now
	c.wait = c.policy.After
	if c.policy.Share > 0 {
		c.wait = max(c.wait, time.Duration(float64(cost)/c.policy.Share))
	}
	return true
}

// Collections is the number of collections the IdleCollector made.
func (c *IdleCollector) Collections() int { return c.collections }

// Run checks every IdlePolicy.Check until ctx ends. It blocks.
func (c *IdleCollector) Run(ctx context.Context) {
	checkEvery(ctx, c.policy.Check, func(now time.Time) { c.Check(now) })
}

// StartIdleCollector runs an IdleCollector with p on its own goroutine
// until the returned stop is called; stop waits for it to end.
func StartIdleCollector(p IdlePolicy) (stop func()) { return startRunning(NewIdleCollector(p).Run) }

func gcCycles() uint64 { return readUint64("/gc/cycles/total:gc-cycles") }

// collectTimed runs a collection and returns the CPU time the runtime
// accounts to the collector for it.
func collectTimed() time.Duration {
	before := readFloat64("/cpu/classes/gc/total:cpu-seconds")
	runtime.GC()
	after := readFloat64("/cpu/classes/gc/total:cpu-seconds")
	return time.Duration((after - before) * float64(time.Second))
}

func readUint64(name string) uint64 {
	if v := readMetric(name); v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return 0
}

func readFloat64(name string) float64 {
	if v := readMetric(name); v.Kind() == metrics.KindFloat64 {
		return v.Float64()
	}
	return 0
}

func readMetric(name string) metrics.Value {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value
}
