package report

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockload/sockload/metrics"
)

// Collector takes a registry's measurements every second, for the live
// view, and groups them into the report's intervals (aligned to the wall
// clock, as Artillery's) and the run's aggregate. Intervals are kept
// encoded and windows compact, and full chunks of both packed (see
// packedLog), so that a long run's memory stays flat.
type Collector struct {
	reg      *metrics.Registry
	interval time.Duration
	// OnSecond, when set, gets each one-second snapshot and the current
	// interval so far. OnInterval gets each completed interval. Both run
	// on the collector's goroutine, and the snapshots they get are theirs
	// only during the call: the collector reuses their histograms.
	OnSecond   func(second, interval metrics.Snapshot)
	OnInterval func(metrics.Snapshot)
	// Progress, when set, tells the VUs running and started so far, for
	// the one-second windows.
	Progress func() Progress
	// Cores is the machine's core count, for the windows' CPU share.
	Cores int

	mu           sync.Mutex
	current      metrics.Snapshot
	aggregate    metrics.Snapshot
	intermediate packedLog[json.RawMessage]
	windows      packedLog[Window]
	lastLaunched int64
	annotations  []Annotation
	err          error
}

// NewCollector collects from reg into intervals of the given length.
func NewCollector(reg *metrics.Registry, interval time.Duration) *Collector {
	// One packer for both logs: they are appended to under c.mu.
	p := newPacker()
	return &Collector{reg: reg, interval: interval,
		windows:      newPackedLog[Window](windowsPacked, p),
		intermediate: newPackedLog[json.RawMessage](intervalsPacked, p),
	}
}

// How many windows and intervals are packed together: about 150 KB and
// 100 KB of JSON, what deflate's window spans.
const (
	windowsPacked   = 256
	intervalsPacked = 32
)

// Run collects every second until ctx ends, then takes the last partial
// second and interval and returns.
func (c *Collector) Run(ctx context.Context) {
	metrics.OnBoundaries(ctx, time.Second, func(at time.Time, last bool) {
		c.take(at, last || at.Truncate(c.interval).Equal(at))
	})
}

// take rotates the registry at now and closes the interval when asked.
// The interval takes the second's histograms, and the aggregate the
// interval's, where it has none of their names yet; those merged instead go
// back to the registry for its next rotations, so that a second costs
// merges as long as what was recorded, and no new histograms.
func (c *Collector) take(now time.Time, closeInterval bool) {
	second := c.reg.Rotate(now)
	var progress Progress
	if c.Progress != nil {
		progress = c.Progress()
	}
	c.mu.Lock()
	c.windows.append(windowOf(second, progress, progress.Launched-c.lastLaunched, c.Cores))
	c.lastLaunched = progress.Launched
	spent := c.takeLocked(&c.current, second)
	current := c.current
	var done *metrics.Snapshot
	if closeInterval {
		spent = append(spent, c.takeLocked(&c.aggregate, current)...)
		if enc, err := json.Marshal(current); err == nil {
			c.intermediate.append(enc)
		} else if c.err == nil {
			c.err = err
		}
		done = &current
		c.current = metrics.Snapshot{}
	}
	c.mu.Unlock()
	if c.OnSecond != nil {
		c.OnSecond(second, current)
	}
	if done != nil && c.OnInterval != nil {
		c.OnInterval(*done)
	}
	c.reg.Release(spent...)
}

// takeLocked merges s into into (see metrics.Snapshot.Take) and returns the
// histograms of s it merged.
func (c *Collector) takeLocked(into *metrics.Snapshot, s metrics.Snapshot) []*hdrhistogram.Histogram {
	merged, err := into.Take(s)
	if err != nil && c.err == nil {
		c.err = err
	}
	return merged
}

// Results is what a Collector gathered.
type Results struct {
	// Aggregate is the whole run so far, the open interval included.
	Aggregate metrics.Snapshot
	// Intermediate are the completed intervals, encoded.
	Intermediate []json.RawMessage
	// Windows are the one-second windows.
	Windows []Window
	// Annotations are the markers put on the run (Annotate), in order.
	Annotations []Annotation
}

// Results returns what was collected so far. It is safe to call while Run
// goes on, e.g. to save a partial report at a second interrupt.
func (c *Collector) Results() (Results, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	agg, err := c.aggregateLocked()
	if err != nil {
		return Results{}, err
	}
	intervals, err := c.intermediate.all()
	if err != nil {
		return Results{}, err
	}
	windows, err := c.windows.all()
	if err != nil {
		return Results{}, err
	}
	return Results{
		Aggregate:    agg,
		Intermediate: intervals,
		Windows:      windows,
		Annotations:  append([]Annotation(nil), c.annotations...),
	}, c.err
}

// Aggregate returns the whole run so far, as Results' Aggregate, without
// copying the windows and intervals (for what reads it every few seconds).
func (c *Collector) Aggregate() (metrics.Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.aggregateLocked()
}

func (c *Collector) aggregateLocked() (metrics.Snapshot, error) {
	return metrics.Merge(c.aggregate, c.current)
}
