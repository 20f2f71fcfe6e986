// Package memtrim gives back to the operating system the heap pages a
// burst of allocation leaves free. When a target restarts, every VU
// reconnects at once and the heap peaks; the collector frees the peak's
// memory afterwards, and the runtime's background scavenger returns what
// exceeds about 1.1 times the next heap goal, but keeps the rest, up to
// twice the live heap (GOGC=100), for the heap to grow back into. A heap
// that grows back slowly, as many idle connections' does, holds those
// pages in the RSS for minutes. A Trimmer watches the heap and, when the
// free-but-retained pages are large beside what is in use and the process
// allocates too slowly to reuse them within a minute, returns them all
// (debug.FreeOSMemory). A heap that is busy allocating is left alone: it
// would take its pages back from the system within a collection cycle,
// and the trim would only make a dip in the RSS.
//
// Returning pages forces a full collection, whose cost grows with the live
// heap: trims are rate-limited (Policy.MinGap), so that at most one a
// minute costs under 0.1% of the machine's CPU at a heap of 100,000 idle
// connections (BenchmarkCheckAtIdleConnections), and a check that does not
// trim reads a few runtime metrics.
package memtrim

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Policy says when a Trimmer trims.
type Policy struct {
	// Check is how often the heap's figures are read (runtime/metrics: no
	// collection, no stopping of the world).
	Check time.Duration
	// MinGap is the least time between two trims.
	MinGap time.Duration
	// MinFree is the least free-but-retained heap worth a trim, in bytes.
	MinFree uint64
	// Ratio is the least free-but-retained heap worth a trim, as a share
	// of the heap in use (objects, unused space in their spans, and
	// goroutine stacks).
	Ratio float64
	// Idle is how long the free pages must be able to wait: a trim is due
	// only when the process, allocating at its rate since the last check,
	// would take longer than this to allocate as much as is free.
	Idle time.Duration
}

// DefaultPolicy is the run's: a check every 5 s, at most one trim a
// minute, and only when the free pages are at least 16 MiB, half the heap
// in use, and more than a minute of the process's allocation. At 2,000 VUs
// acking every 5 s, the free pages after a reconnection of every VU are up
// to 25 MiB of a 50 MiB heap, but the VUs allocate about 1 MB a second and
// the heap grows back into them within seconds: no trim.
var DefaultPolicy = Policy{Check: 5 * time.Second, MinGap: time.Minute, MinFree: 16 << 20, Ratio: 0.5, Idle: time.Minute}

// Heap is the heap's memory as the runtime accounts it, in bytes.
type Heap struct {
	// Free is held by the process but used by nothing: pages the runtime
	// may return to the operating system.
	Free uint64
	// InUse is objects (live or not yet swept), the unused space of their
	// spans, and goroutine stacks.
	InUse uint64
	// Released has been returned to the operating system and is mapped
	// but not resident.
	Released uint64
	// Allocated is the bytes allocated since the process started.
	Allocated uint64
}

var heapMetrics = []string{
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/heap/released:bytes",
	"/gc/heap/allocs:bytes",
}

// ReadHeap reads the heap's figures now.
func ReadHeap() Heap {
	s := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	return Heap{Free: v(0), InUse: v(1) + v(2) + v(3), Released: v(4), Allocated: v(5)}
}

// Due tells whether h has enough free pages for a trim, allocated having
// grown from before over elapsed.
func (p Policy) Due(h Heap, allocated uint64, elapsed time.Duration) bool {
	if h.Free < p.MinFree || float64(h.Free) < p.Ratio*float64(h.InUse) || elapsed <= 0 {
		return false
	}
	perIdle := float64(h.Allocated-allocated) * float64(p.Idle) / float64(elapsed)
	return perIdle < float64(h.Free)
}

// Trimmer trims the heap by a Policy. The zero value is not usable: use
// New.
type Trimmer struct {
	policy Policy
	read   func() Heap
	trim   func()
	last   time.Time // of the last trim; zero before the first
	trims  int
	// checked and allocated are the time and Heap.Allocated of the last
	// check, for the allocation rate.
	checked   time.Time
	allocated uint64
}

// New returns a Trimmer for p over the process's heap.
func New(p Policy) *Trimmer {
	return &Trimmer{policy: p, read: ReadHeap, trim: debug.FreeOSMemory}
}

// Check reads the heap once and trims it when the policy says so and the
// last trim is at least MinGap before now. The first check only takes the
// allocation rate's start. It reports whether it trimmed. It is not safe
// for concurrent use.
func (t *Trimmer) Check(now time.Time) bool {
	h := t.read()
	since, allocated := now.Sub(t.checked), t.allocated
	first := t.checked.IsZero()
	t.checked, t.allocated = now, h.Allocated
	if first || !t.last.IsZero() && now.Sub(t.last) < t.policy.MinGap {
		return false
	}
	if !t.policy.Due(h, allocated, since) {
		return false
	}
	t.trim()
	t.last = now
	t.trims++
	// The trim's collection allocated nothing the rate should count, but
	// the heap it leaves has to grow back: start the rate afresh.
	t.checked, t.allocated = now, t.read().Allocated
	return true
}

// Trims is the number of trims so far.
func (t *Trimmer) Trims() int { return t.trims }

// Run checks every Policy.Check until ctx ends. It blocks.
func (t *Trimmer) Run(ctx context.Context) {
	checkEvery(ctx, t.policy.Check, func(now time.Time) { t.Check(now) })
}

// Start runs a Trimmer with p on its own goroutine until the returned stop
// is called; stop waits for it to end.
func Start(p Policy) (stop func()) { return startRunning(New(p).Run) }

// checkEvery calls check every d until ctx ends. It blocks.
func checkEvery(ctx context.Context, d time.Duration, check func(now time.Time)) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			check(now)
		}
	}
}

// startRunning calls run on its own goroutine until the returned stop is
// called; stop cancels run's context and waits for it to return.
func startRunning(run func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx)
	}()
	return func() { cancel(); <-done }
}
