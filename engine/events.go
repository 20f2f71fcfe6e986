package engine

import (
	"sync"
	"sync/atomic"

	"github.com/sockload/sockload/metrics"
)

// maxEventNames bounds the event names that get metrics of their own under
// one prefix, so a server sending a new event name per message cannot
// create metrics without bound; later names are counted in the totals only.
const maxEventNames = 100

// eventHandles caches the per-event metric handles of one prefix
// ("socketio.events.", "socketio.wait_time."). Safe for concurrent use; a
// lookup of a known name takes no lock and allocates nothing.
type eventHandles struct {
	reg    *metrics.Registry
	prefix string
	m      sync.Map // event → metrics.Counter or metrics.Histogram
	n      atomic.Int64
}

func newEventHandles(reg *metrics.Registry, prefix string) *eventHandles {
	return &eventHandles{reg: reg, prefix: prefix}
}

func (h *eventHandles) get(event string, create func(name string) any) (any, bool) {
	if x, ok := h.m.Load(event); ok {
		return x, true
	}
	if h.n.Add(1) > maxEventNames {
		h.n.Add(-1)
		return nil, false
	}
	x, loaded := h.m.LoadOrStore(event, create(h.prefix+MetricSuffix(event)))
	if loaded {
		h.n.Add(-1)
	}
	return x, true
}

// counter returns the counter of event, false past maxEventNames.
func (h *eventHandles) counter(event string) (metrics.Counter, bool) {
	x, ok := h.get(event, func(name string) any { return h.reg.Counter(name) })
	if !ok {
		return metrics.Counter{}, false
	}
	return x.(metrics.Counter), true
}

// histogram returns the histogram of event, false past maxEventNames.
func (h *eventHandles) histogram(event string) (metrics.Histogram, bool) {
	x, ok := h.get(event, func(name string) any { return h.reg.Histogram(name) })
	if !ok {
		return metrics.Histogram{}, false
	}
	return x.(metrics.Histogram), true
}

// delivery returns the delivery metrics of event, nil past maxEventNames.
func (h *eventHandles) delivery(event string) *eventMetrics {
	x, ok := h.get(event, func(string) any { return newEventMetrics(h.reg, "."+MetricSuffix(event)) })
	if !ok {
		return nil
	}
	return x.(*eventMetrics)
}
