package engine

import (
	"sync"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/socketio"
)

// lazyCounter is a counter whose name is built once and which is created
// on first use: a counter appears in every snapshot once it exists, so one
// that a run may never count is not created up front, and one counted for
// every arrival is not looked up by a concatenated name each time.
type lazyCounter struct {
	once sync.Once
	reg  *metrics.Registry
	name string
	c    metrics.Counter
}

func newLazyCounter(reg *metrics.Registry, name string) *lazyCounter {
	return &lazyCounter{reg: reg, name: name}
}

// Inc adds one to the counter, creating it first if need be.
func (l *lazyCounter) Inc() {
	l.once.Do(func() { l.c = l.reg.Counter(l.name) })
	l.c.Inc()
}

// perVUCounters are the counters of names built per scenario or
// transport that arrivals and connections count.
type perVUCounters struct {
	createdBy []*lazyCounter // vusers.created_by_name.<scenario>, by scenario index
	sessions  map[string]*lazyCounter
}

func newPerVUCounters(reg *metrics.Registry, scenarioNames []string) perVUCounters {
	c := perVUCounters{sessions: map[string]*lazyCounter{
		socketio.TransportPolling:   newLazyCounter(reg, MetricSessions+socketio.TransportPolling),
		socketio.TransportWebsocket: newLazyCounter(reg, MetricSessions+socketio.TransportWebsocket),
	}}
	for _, name := range scenarioNames {
		c.createdBy = append(c.createdBy, newLazyCounter(reg, MetricVUsersCreatedByName+name))
	}
	return c
}

// countSession counts an Engine.IO connection opened with transport.
func (r *Runner) countSession(transport string) {
	if c, ok := r.perVU.sessions[transport]; ok {
		c.Inc()
		return
	}
	r.cfg.Registry.Counter(MetricSessions + transport).Inc()
}
