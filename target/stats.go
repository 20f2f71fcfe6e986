package target

import (
	"sync"
	"sync/atomic"
)

// Stats is a snapshot of the target's counters since it started, as
// Server.Stats returns and GET /__stats serves (a superset of the Node
// reference server's answer).
type Stats struct {
	// Connections counts Socket.IO namespace connections accepted.
	Connections int64 `json:"connections"`
	// Received counts events received, per namespace and event name,
	// whether they were handled or shed.
	Received map[string]map[string]int64 `json:"received"`
	// OpenSessions is the number of Engine.IO sessions open now.
	OpenSessions int `json:"openSessions"`
	// Refused counts sessions refused by the connection limit.
	Refused int64 `json:"refused"`
	// AcksSent counts acknowledgements written, error acks included.
	AcksSent int64 `json:"acksSent"`
	// Shed counts events dropped because the queue was full.
	Shed int64 `json:"shed"`
	// Closed counts Engine.IO sessions ended, by reason: "ping timeout",
	// "max payload exceeded", "server disconnect" (disconnect-me), "connect
	// timeout" (no namespace joined within ConnectTimeout), "client
	// close", "transport close", "transport error", "parse error", "client
	// too slow", "server shutting down"...
	Closed map[string]int64 `json:"closed"`
	// Queued is the number of events waiting for capacity now.
	Queued int `json:"queued"`
}

// counters are the target's live statistics. Safe for concurrent use.
type counters struct {
	connections atomic.Int64
	refused     atomic.Int64
	acksSent    atomic.Int64
	shed        atomic.Int64

	mu       sync.Mutex
	received map[string]map[string]int64
	closed   map[string]int64
}

func (c *counters) countClose(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed == nil {
		c.closed = make(map[string]int64)
	}
	c.closed[reason]++
}

func (c *counters) countEvent(namespace, event string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.received == nil {
		c.received = make(map[string]map[string]int64)
	}
	byEvent := c.received[namespace]
	if byEvent == nil {
		byEvent = make(map[string]int64)
		c.received[namespace] = byEvent
	}
	byEvent[event]++
}

// snapshot copies the counters; the caller fills in the gauges.
func (c *counters) snapshot() Stats {
	c.mu.Lock()
	received := make(map[string]map[string]int64, len(c.received))
	for ns, byEvent := range c.received {
		cp := make(map[string]int64, len(byEvent))
		for ev, n := range byEvent {
			cp[ev] = n
		}
		received[ns] = cp
	}
	closed := make(map[string]int64, len(c.closed))
	for reason, n := range c.closed {
		closed[reason] = n
	}
	c.mu.Unlock()
	return Stats{
		Connections: c.connections.Load(),
		Received:    received,
		Refused:     c.refused.Load(),
		AcksSent:    c.acksSent.Load(),
		Shed:        c.shed.Load(),
		Closed:      closed,
	}
}
