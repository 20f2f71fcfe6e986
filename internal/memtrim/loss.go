package memtrim

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// LossPolicy says when a LossCollector collects.
type LossPolicy struct {
	// Window is the span in which losses count together.
	Window time.Duration
	// MinLost is the least number of connections lost within a Window
	// that is a mass loss.
	MinLost int
	// Share is the least share of the VUs running that must have lost
	// their connections within a Window.
	Share float64
	// MinGap is the least time between two collections.
	MinGap time.Duration
}

// DefaultLossPolicy is the run's: 256 connections, and a quarter of the
// VUs running, lost within a second; at most one collection a minute.
var DefaultLossPolicy = LossPolicy{Window: time.Second, MinLost: 256, Share: 0.25, MinGap: time.Minute}

// A LossCollector collects the heap when many connections are lost at
// once (a target restarted, or a node of a cluster died), again when most
// of them are back, and a third time, returning the freed pages to the
// system, when all are. Their reconnections follow within a second or so
// (socket.io-client's first delay is 0.5-1.5 s), all together, and each
// allocates a few kilobytes for its dial and handshake. A process that
// allocates slowly between such bursts (idle or slowly acking VUs: a
// collection every two minutes, the runtime's least) meets the burst with
// up to two minutes of garbage still in its heap; the burst grows the
// heap beyond it, and the pages stay in the RSS. How high the heap peaks
// then depends on when the last collection ran: from one restart to the
// next the RSS moves by the garbage of a whole cycle. Collected first, the
// burst reuses the freed memory; collected again once nine in ten of the
// lost connections are back, the stragglers reuse the burst's own
// garbage. The last collection returns the freed pages at once
// (debug.FreeOSMemory) rather than leaving them to the background
// scavenger, which returns them slowly and only above its goal of the
// heap's size. It waits for the last of the lost connections: returned
// at nine in ten, the pages were taken back by the stragglers'
// handshakes and their namespaces' joins within the next 10 s (about 1
// MB at 2,000 VUs), and the RSS stayed 3 MB above where it settled for
// the 30 s until the next collection (bench/soak.sh). With the
// IdleCollector keeping the heap from growing into fresh pages between
// restarts, the RSS after each restart comes back to where it was.
//
// A collection costs a mark of the live heap: rate-limited by MinGap, as
// the Trimmer's trims are (BenchmarkCheckAtIdleConnections), against the
// reconnection of a quarter of the VUs or more, each costing the
// generator far more CPU than its share of a mark.
type LossCollector struct {
	policy  LossPolicy
	collect func() // as a mass loss is seen, and once nine in ten are back
	release func() // once all are back: collect and return the freed pages

	mu          sync.Mutex
	windowStart time.Time
	lost        int       // within the window from windowStart
	last        time.Time // of the last mass loss's collection; zero before the first
	collections int
	// down is the connections lost and not yet regained; after a mass
	// loss's first collection, mending is set until down falls to a
	// tenth of its highest since (peak), then settling until it is 0.
	down     int64
	mending  bool
	settling bool
	peak     int64
}

// NewLossCollector returns a LossCollector with p over the process's heap.
func NewLossCollector(p LossPolicy) *LossCollector {
	return &LossCollector{policy: p, collect: runtime.GC, release: debug.FreeOSMemory}
}

// Lost counts one lost connection, of running VUs running now, and starts
// a collection on a goroutine of its own when that makes a mass loss. It
// is safe for concurrent use.
func (c *LossCollector) Lost(running int64) {
	if c == nil {
		return
	}
	now := time.Now()
	c.mu.Lock()
	if c.windowStart.IsZero() || now.Sub(c.windowStart) >= c.policy.Window {
		c.windowStart, c.lost = now, 0
	}
	c.lost++
	c.down++
	if c.mending {
		c.peak = max(c.peak, c.down)
	}
	due := c.lost >= c.policy.MinLost && float64(c.lost) >= c.policy.Share*float64(running) &&
		(c.last.IsZero() || now.Sub(c.last) >= c.policy.MinGap)
	if due {
		c.last = now
		c.collections++
		c.mending, c.settling, c.peak = true, false, c.down
	}
	c.mu.Unlock()
	if due {
		go c.collect()
	}
}

// Regained counts one lost connection joined again; it starts the mass
// loss's second collection when nine in ten of its connections are back,
// and the last, which returns the freed memory to the system, when all
// are. It is safe for concurrent use.
func (c *LossCollector) Regained() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.down = max(c.down-1, 0)
	var run func()
	switch {
	case (c.mending || c.settling) && c.down == 0:
		c.mending, c.settling = false, false
		run = c.release
	case c.mending && c.down*10 <= c.peak:
		c.mending, c.settling = false, true
		run = c.collect
	}
	if run != nil {
		c.collections++
	}
	c.mu.Unlock()
	if run != nil {
		go run()
	}
}

// Collections is the number of collections started so far, before,
// during and after the reconnections of mass losses.
func (c *LossCollector) Collections() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.collections
}
