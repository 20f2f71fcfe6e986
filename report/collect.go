package report

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/sockload/sockload/metrics"
)

// Collector takes a registry's measurements every second, for the live
// view, and groups them into the report's intervals (aligned to the wall
// clock, as Artillery's) and the run's aggregate. Intervals are kept
// encoded, so a long run holds kilobytes per interval rather than full
// histograms.
type Collector struct {
	reg      *metrics.Registry
	interval time.Duration
	// OnSecond, when set, gets each one-second snapshot and the current
	// interval so far. OnInterval gets each completed interval. Both run
	// on the collector's goroutine.
	OnSecond   func(second, interval metrics.Snapshot)
	OnInterval func(metrics.Snapshot)

	mu           sync.Mutex
	current      metrics.Snapshot
	aggregate    metrics.Snapshot
	intermediate []json.RawMessage
	err          error
}

// NewCollector collects from reg into intervals of the given length.
func NewCollector(reg *metrics.Registry, interval time.Duration) *Collector {
	return &Collector{reg: reg, interval: interval}
}

// Run collects every second until ctx ends, then takes the last partial
// second and interval and returns.
func (c *Collector) Run(ctx context.Context) {
	for {
		now := time.Now()
		next := now.Truncate(time.Second).Add(time.Second)
		timer := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
			c.take(time.Now(), true)
			return
		case <-timer.C:
			c.take(next, next.Truncate(c.interval).Equal(next))
		}
	}
}

// take rotates the registry at now and closes the interval when asked.
func (c *Collector) take(now time.Time, closeInterval bool) {
	second := c.reg.Rotate(now)
	c.mu.Lock()
	c.addLocked(&c.current, second)
	current := c.current
	var done *metrics.Snapshot
	if closeInterval {
		c.addLocked(&c.aggregate, current)
		if enc, err := json.Marshal(current); err == nil {
			c.intermediate = append(c.intermediate, enc)
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
}

func (c *Collector) addLocked(into *metrics.Snapshot, s metrics.Snapshot) {
	if err := into.Add(s); err != nil && c.err == nil {
		c.err = err
	}
}

// Results returns the aggregate so far (including the open interval) and
// the completed intervals. It is safe to call while Run goes on, e.g. to
// save a partial report at a second interrupt.
func (c *Collector) Results() (aggregate metrics.Snapshot, intermediate []json.RawMessage, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	agg, mergeErr := metrics.Merge(c.aggregate, c.current)
	if mergeErr != nil {
		return metrics.Snapshot{}, nil, mergeErr
	}
	return agg, append([]json.RawMessage(nil), c.intermediate...), c.err
}
