package engine

import (
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockload/sockload/metrics"
)

// maxPendingTraces bounds the traced messages waiting for their deadline.
// Past it a traced emit is still timed at every recipient, but its reach is
// not followed (counted in socketio.traces_unfollowed), so a run that
// broadcasts faster than its deadline drains cannot grow without bound.
const maxPendingTraces = 1 << 16

// traceShards spreads the registry's lock over independent shards, keyed
// by message id, so recipients of different messages never contend.
const traceShards = 64

// traces is the run's registry of traced messages: for each, whom it was
// meant for (the group's members at send time), who got it, and when to
// give up on the rest. It also owns the trace clock: Unix nanoseconds read
// from the monotonic clock anchored once, so that delivery times between
// VUs of one process are exact whatever the wall clock does.
type traces struct {
	run     uint64 // shared by the shards of a run
	tag     uint32 // this process
	epoch   time.Time
	epochNs int64
	timeout time.Duration
	seq     atomic.Uint32
	pending atomic.Int64
	shards  [traceShards]traceShard

	// total holds the metrics of every event together; late and skewed
	// count, of all events, receipts after their message was settled and
	// receipts stamped before their send (two machines' clocks).
	total        *eventMetrics
	late, skewed metrics.Counter

	qmu   sync.Mutex
	queue []queued // by deadline: every message has the same timeout
}

type traceShard struct {
	mu   sync.Mutex
	msgs map[uint64]*tracedMsg
}

type queued struct {
	id       uint64
	deadline int64
}

// tracedMsg is one traced emit that expects recipients. Guarded by its
// shard's lock.
type tracedMsg struct {
	event     *eventMetrics // nil past maxEventNames
	total     *eventMetrics
	deadline  int64
	expected  []*membership // sorted by VU id
	got       []uint64      // bitset over expected
	delivered int
	dups      int
}

func newTraces(reg *metrics.Registry, run uint64, timeout time.Duration) *traces {
	now := time.Now()
	t := &traces{run: run, tag: rand.Uint32() | 1, epoch: now, epochNs: now.UnixNano(), timeout: timeout,
		total: newEventMetrics(reg, ""), late: reg.Counter(MetricLate), skewed: reg.Counter(MetricClockSkewed)}
	for i := range t.shards {
		t.shards[i].msgs = map[uint64]*tracedMsg{}
	}
	return t
}

// now reads the trace clock at t (a time.Now with its monotonic reading).
// A nil registry reads 0.
func (t *traces) now(at time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.epochNs + int64(at.Sub(t.epoch))
}

// newToken returns the token of a new traced message sent now.
func (t *traces) newToken(sent time.Time) traceToken {
	return traceToken{run: t.run, id: uint64(t.tag)<<32 | uint64(t.seq.Add(1)), sent: t.now(sent)}
}

// follow registers a traced message meant for expected (sorted by VU id),
// to be settled at its deadline. It returns false when too many are
// pending already.
func (t *traces) follow(tok traceToken, ev *eventMetrics, expected []*membership) bool {
	if t.pending.Add(1) > maxPendingTraces {
		t.pending.Add(-1)
		return false
	}
	m := &tracedMsg{event: ev, total: t.total, deadline: tok.sent + int64(t.timeout), expected: expected, got: make([]uint64, (len(expected)+63)/64)}
	sh := &t.shards[tok.id%traceShards]
	sh.mu.Lock()
	sh.msgs[tok.id] = m
	sh.mu.Unlock()
	t.qmu.Lock()
	t.queue = append(t.queue, queued{id: tok.id, deadline: m.deadline})
	t.qmu.Unlock()
	return true
}

// forget drops a message whose emit failed: it was never sent.
func (t *traces) forget(id uint64) {
	sh := &t.shards[id%traceShards]
	sh.mu.Lock()
	if _, ok := sh.msgs[id]; ok {
		delete(sh.msgs, id)
		t.pending.Add(-1)
	}
	sh.mu.Unlock()
}

// deliveryResult says what a received trace was.
type deliveryResult int

const (
	deliveredFirst deliveryResult = iota // an expected recipient, first time
	deliveredAgain                       // an expected recipient, again
	deliveredExtra                       // not among the expected (the sender, a later member)
	deliveredLate                        // settled already, or never followed
)

// deliver records that vu received message id.
func (t *traces) deliver(id, vu uint64) deliveryResult {
	sh := &t.shards[id%traceShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	m, ok := sh.msgs[id]
	if !ok {
		return deliveredLate
	}
	i := sort.Search(len(m.expected), func(i int) bool { return m.expected[i].vu >= vu })
	if i == len(m.expected) || m.expected[i].vu != vu {
		return deliveredExtra
	}
	word, bit := i/64, uint64(1)<<(i%64)
	if m.got[word]&bit != 0 {
		m.dups++
		return deliveredAgain
	}
	m.got[word] |= bit
	m.delivered++
	return deliveredFirst
}

// settle settles every message whose deadline is before now (all of them
// when all is set, at the end of the run) into the metrics.
func (t *traces) settle(now int64, all bool) {
	for {
		t.qmu.Lock()
		if len(t.queue) == 0 || !all && t.queue[0].deadline > now {
			t.qmu.Unlock()
			return
		}
		q := t.queue[0]
		t.queue = t.queue[1:]
		if len(t.queue) == 0 {
			t.queue = nil // let the backing array go
		}
		t.qmu.Unlock()
		sh := &t.shards[q.id%traceShards]
		sh.mu.Lock()
		m, ok := sh.msgs[q.id]
		delete(sh.msgs, q.id)
		sh.mu.Unlock()
		if ok {
			t.pending.Add(-1)
			m.settle()
		}
	}
}

// settle counts the message: a recipient that had not received it is
// missing, unless it left (the group, its connection, the run) before the
// deadline, when it was no longer expected.
func (m *tracedMsg) settle() {
	expected := m.delivered
	for i, ms := range m.expected {
		if m.got[i/64]&(1<<(i%64)) != 0 {
			continue
		}
		if left := ms.left.Load(); left != 0 && left < m.deadline {
			continue
		}
		expected++
	}
	for _, ev := range []*eventMetrics{m.event, m.total} {
		if ev != nil {
			ev.expected.Add(int64(expected))
			ev.delivered.Add(int64(m.delivered))
			ev.missing.Add(int64(expected - m.delivered))
			ev.dups.Add(int64(m.dups))
		}
	}
}

// settleUntil settles messages as their deadlines pass, until stop is
// closed.
func (t *traces) settleUntil(stop <-chan struct{}) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			t.settle(t.now(now), false)
		}
	}
}

// eventMetrics are the delivery metrics of one event name, or of all.
type eventMetrics struct {
	delivery                           metrics.Histogram
	expected, delivered, missing, dups metrics.Counter
}

// newEventMetrics creates the delivery metrics named with suffix ("" for
// the totals, ".<event>" for one event).
func newEventMetrics(reg *metrics.Registry, suffix string) *eventMetrics {
	return &eventMetrics{
		delivery:  reg.Histogram(MetricDeliveryTime + suffix),
		expected:  reg.Counter(MetricExpected + suffix),
		delivered: reg.Counter(MetricDelivered + suffix),
		missing:   reg.Counter(MetricMissing + suffix),
		dups:      reg.Counter(MetricDuplicates + suffix),
	}
}
