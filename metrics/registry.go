// Package metrics keeps the measurements of a run per interval: counters,
// and latency histograms (HdrHistogram, in microseconds from 1 µs to 1 h at
// 3 significant digits). An interval is taken out as a Snapshot, a plain
// value that merges exactly with others (across intervals, shards and
// machines) and encodes its histograms exactly.
//
// The package is generic: metric names are the caller's strings, such as
// "vusers.created", "socketio.emit", "socketio.response_time.ping" or
// "errors.<reason>".
//
// # Recording without a global lock
//
// Recording goes through handles obtained once per name (Registry.Counter,
// Registry.Histogram). A Counter is a single atomic integer. Histograms are
// sharded: each recording goroutine (a virtual user) takes a Recorder for its
// id, which picks one of a fixed set of shards; each shard has its own small
// mutex and its own histograms. Goroutines on different shards never contend,
// and a shard's mutex is held only for one RecordValue.
//
// # Intervals
//
// Registry.Rotate swaps the current interval out and returns it, while
// recorders go on: counters are swapped to zero atomically and each shard's
// histograms are swapped under that shard's mutex, so every recorded value
// lands in exactly one interval. Rotating on OnBoundaries cuts intervals
// (10 s by default) aligned to the wall clock, as Artillery's intermediate
// reports are.
//
// # Rates
//
// A rate is not recorded: it is a counter divided by the length of the
// snapshot it is in (Snapshot.Rate), which stays exact under merging, since
// counters add and spans join. Options.Rates names the rates a snapshot
// reports, e.g. "socketio.emit_rate" computed from "socketio.emit".
package metrics

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every histogram of the package, so that any
// two merge exactly.
const (
	// LowestValue is the smallest value a histogram tracks: 1 µs.
	LowestValue = 1
	// HighestValue is the largest value a histogram tracks: 1 h in µs.
	HighestValue = int64(time.Hour / time.Microsecond)
	// SignificantDigits is the histograms' precision.
	SignificantDigits = 3
)

// DefaultInterval is the length of an interval when Options.Interval is 0.
const DefaultInterval = 10 * time.Second

// NewHistogram returns an empty histogram with the package's geometry.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(LowestValue, HighestValue, SignificantDigits)
}

// Options configures a Registry. The zero value is ready to use.
type Options struct {
	// Interval is the length of an interval for Run; 0 means
	// DefaultInterval.
	Interval time.Duration
	// Shards is the number of histogram shards; 0 means one per CPU (no
	// more goroutines than CPUs record at once, and measured on 2 cores more
	// shards bought no speed, only memory). More
	// shards mean fewer collisions between recorders and more memory: each
	// shard holds up to two histograms (about 190 KB each) per name recorded.
	Shards int
	// Rates names the rates snapshots report: rate name → name of the
	// counter it is computed from, per second of the snapshot's span.
	Rates map[string]string
}

// Registry holds the current interval's metrics. All its methods are safe for
// concurrent use.
type Registry struct {
	interval time.Duration
	rates    map[string]string
	shards   []shard

	counters   sync.Map // name → *counterCell; read without locking
	histograms sync.Map // name → Histogram
	mu         sync.Mutex
	counterSet []namedCounter // guarded by mu
	histNames  []string       // guarded by mu; histNames[id] is histogram id's name

	errors errorLog // run-wide: error codes and their samples

	rotateMu sync.Mutex // serializes Rotate
	start    time.Time  // guarded by rotateMu

	// free holds emptied histograms given back by Release, which Rotate
	// puts in the shards in place of those it hands out.
	freeMu sync.Mutex
	free   []*hdrhistogram.Histogram
}

type namedCounter struct {
	name string
	cell *counterCell
}

// counterCell is padded to a cache line so that two hot counters do not
// share one.
type counterCell struct {
	v atomic.Int64
	_ [56]byte
}

// shard is the histogram state of the recorders that map to it. It is padded
// so that neighbouring shards' mutexes do not share a cache line.
type shard struct {
	mu    sync.Mutex
	hists []*hdrhistogram.Histogram // by histogram id; nil until recorded
	spare []*hdrhistogram.Histogram // emptied histograms of the last interval, reused
	_     [72]byte
}

// New returns a registry whose first interval starts at start.
func New(start time.Time, opts Options) *Registry {
	n := opts.Shards
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	rates := make(map[string]string, len(opts.Rates))
	for k, v := range opts.Rates {
		rates[k] = v
	}
	return &Registry{interval: interval, rates: rates, shards: make([]shard, n), start: start}
}

// Interval returns the length of the registry's intervals.
func (r *Registry) Interval() time.Duration { return r.interval }

// Counter is a handle on a named counter. It is a small value, safe to copy
// and to use from any number of goroutines. The zero Counter is not usable.
type Counter struct{ cell *counterCell }

// Add adds n to the counter in the current interval.
func (c Counter) Add(n int64) { c.cell.v.Add(n) }

// Inc adds one to the counter in the current interval.
func (c Counter) Inc() { c.cell.v.Add(1) }

// Counter returns the handle of the counter called name, creating it at zero.
// Looking up an existing name takes no lock; still, keep the handle rather
// than looking it up for every increment. Every counter created appears in
// every later snapshot, with 0 if nothing was added in that interval.
func (r *Registry) Counter(name string) Counter {
	if c, ok := r.counters.Load(name); ok {
		return Counter{c.(*counterCell)}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.counters.Load(name); ok {
		return Counter{c.(*counterCell)}
	}
	cell := new(counterCell)
	r.counterSet = append(r.counterSet, namedCounter{name, cell})
	r.counters.Store(name, cell)
	return Counter{cell}
}

// Histogram is a handle on a named histogram of durations. It is a small
// value, safe to copy and share; record into it through a Recorder of the
// same Registry. The zero Histogram is not usable.
type Histogram struct {
	r  *Registry
	id int
}

// Histogram returns the handle of the histogram called name, creating it.
// Looking up an existing name takes no lock; keep the handle when recording
// often. A histogram appears in the snapshots of the intervals in which
// something was recorded into it.
func (r *Registry) Histogram(name string) Histogram {
	if h, ok := r.histograms.Load(name); ok {
		return h.(Histogram)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.histograms.Load(name); ok {
		return h.(Histogram)
	}
	h := Histogram{r: r, id: len(r.histNames)}
	r.histNames = append(r.histNames, name)
	r.histograms.Store(name, h)
	return h
}

// Recorder records durations into the histograms of one shard. Give each
// recording goroutine (each virtual user) its own id, so that recorders
// spread over the shards. A Recorder is a small value; it may be copied and
// used from several goroutines, which then share a shard.
type Recorder struct {
	r *Registry
	s *shard
}

// Recorder returns the recorder for id; ids that differ modulo the number
// of shards never contend.
func (r *Registry) Recorder(id uint64) Recorder {
	return Recorder{r, &r.shards[id%uint64(len(r.shards))]}
}

// Record adds a duration to histogram h, in whole microseconds rounded to
// the nearest. Durations outside 1 µs .. 1 h are clamped into it, so that no
// sample is lost: a reading of 0 counts as 1 µs, one over an hour as 1 h.
// It blocks only while another goroutine of the same shard records. It
// panics if h belongs to another Registry, a programming error.
func (rec Recorder) Record(h Histogram, d time.Duration) {
	rec.RecordMicros(h, int64((d+time.Microsecond/2)/time.Microsecond))
}

// RecordMicros adds a value in microseconds to histogram h, clamped as in
// Record.
func (rec Recorder) RecordMicros(h Histogram, us int64) {
	rec.check(h)
	us = min(max(us, LowestValue), HighestValue)
	s := rec.s
	s.mu.Lock()
	s.record(h.id, us)
	s.mu.Unlock()
}

// RecordEach adds one duration to each of the histograms hs, as Record
// would, under one taking of the shard's lock: one measurement that
// several histograms count (an ack's response time, in the total and in
// its event's) costs one lock, not one per histogram. The values land in
// the same interval.
func (rec Recorder) RecordEach(d time.Duration, hs ...Histogram) {
	for _, h := range hs {
		rec.check(h)
	}
	us := min(max(int64((d+time.Microsecond/2)/time.Microsecond), LowestValue), HighestValue)
	s := rec.s
	s.mu.Lock()
	for _, h := range hs {
		s.record(h.id, us)
	}
	s.mu.Unlock()
}

func (rec Recorder) check(h Histogram) {
	if h.r != rec.r {
		panic("metrics: histogram handle used with a recorder of another registry")
	}
}

// record adds us, within the geometry, to histogram id; s.mu must be
// held.
func (s *shard) record(id int, us int64) {
	if id >= len(s.hists) {
		s.grow(id)
	}
	hist := s.hists[id]
	if hist == nil {
		hist = NewHistogram()
		s.hists[id] = hist
	}
	_ = hist.RecordValue(us) // cannot fail: us is within the geometry
}

// grow makes room for histogram id; s.mu must be held.
func (s *shard) grow(id int) {
	n := max(2*len(s.hists), id+1, 8)
	hists := make([]*hdrhistogram.Histogram, n)
	copy(hists, s.hists)
	s.hists = hists
}

// Rotate ends the current interval at now and returns it; the next interval
// starts at now. Recorders keep recording while it runs; each value lands in
// exactly one interval. Rotations are serialized.
func (r *Registry) Rotate(now time.Time) Snapshot {
	r.rotateMu.Lock()
	defer r.rotateMu.Unlock()

	snap := Snapshot{
		Start:      r.start,
		End:        now,
		Counters:   map[string]int64{},
		Histograms: map[string]*hdrhistogram.Histogram{},
		RateOf:     make(map[string]string, len(r.rates)),
	}
	r.start = now
	for k, v := range r.rates {
		snap.RateOf[k] = v
	}

	// Swap the shards' histograms out before reading the names: every id
	// recorded into them was registered before, so its name is known.
	full := make([][]*hdrhistogram.Histogram, len(r.shards))
	for i := range r.shards {
		full[i] = r.shards[i].swap()
	}
	r.mu.Lock()
	counters := r.counterSet
	names := r.histNames
	r.mu.Unlock()
	for _, c := range counters {
		snap.Counters[c.name] = c.cell.v.Swap(0)
	}
	for i := range r.shards {
		r.drain(&r.shards[i], full[i], snap.Histograms, names)
	}
	return snap
}

// swap takes the shard's histograms out, leaving the emptied ones of the
// previous interval in their place.
func (s *shard) swap() []*hdrhistogram.Histogram {
	s.mu.Lock()
	defer s.mu.Unlock()
	full := s.hists
	s.hists, s.spare = s.spare, nil
	return full
}

// drain moves the histograms swapped out of shard s into dst by name, the
// first of each name as it is and the others merged into it, and gives
// the shard emptied ones for the next interval: an interval costs a merge
// and a clearing only for a name recorded on several shards, and, once
// the histograms handed out come back (Release), no allocation.
func (r *Registry) drain(s *shard, full []*hdrhistogram.Histogram, dst map[string]*hdrhistogram.Histogram, names []string) {
	for id, h := range full {
		if h == nil {
			continue
		}
		if h.TotalCount() == 0 {
			// Unused for a whole interval: let the memory go.
			full[id] = nil
			continue
		}
		into := dst[names[id]]
		if into == nil {
			dst[names[id]] = h
			full[id] = r.emptyHistogram()
			continue
		}
		mergeHistogram(into, h)
		clearHistogram(h)
	}
	s.mu.Lock()
	s.spare = full
	s.mu.Unlock()
}

// emptyHistogram returns a histogram given back by Release, or a new one.
func (r *Registry) emptyHistogram() *hdrhistogram.Histogram {
	r.freeMu.Lock()
	defer r.freeMu.Unlock()
	if n := len(r.free); n > 0 {
		h := r.free[n-1]
		r.free[n-1] = nil
		r.free = r.free[:n-1]
		return h
	}
	return NewHistogram()
}

// Release gives back histograms of a snapshot Rotate returned, once the
// caller is done with them, for later rotations to reuse instead of
// allocating new ones (about 190 KB each). They are emptied; the caller
// must not use them afterwards, nor give the same one twice. Histograms of
// another geometry are ignored, and the registry keeps at most two per
// name registered: as many as a rotation hands out, and as many again
// for a collector that gives back a second's and an interval's at once.
func (r *Registry) Release(hists ...*hdrhistogram.Histogram) {
	r.mu.Lock()
	keep := 2 * len(r.histNames)
	r.mu.Unlock()
	for _, h := range hists {
		if h == nil || countsOf(h) == nil && checkGeometry(h) != nil {
			continue
		}
		clearHistogram(h)
		r.freeMu.Lock()
		if len(r.free) < keep {
			r.free = append(r.free, h)
		}
		r.freeMu.Unlock()
	}
}

// OnBoundaries calls tick at every multiple of every on the wall clock (at
// :00, :10, :20 ... for 10 s), with that boundary, on OnBoundaries'
// goroutine; rotating a Registry there makes its first interval partial,
// from the registry's start to the first boundary. When ctx is done it
// calls tick a last time, with the time then and last set, and returns.
// It blocks until then. This is the one clock that cuts a run into
// intervals (report.Collector rotates on it each second).
func OnBoundaries(ctx context.Context, every time.Duration, tick func(at time.Time, last bool)) {
	for {
		now := time.Now()
		next := now.Truncate(every).Add(every)
		timer := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
			tick(time.Now(), true)
			return
		case <-timer.C:
			tick(next, false)
		}
	}
}
