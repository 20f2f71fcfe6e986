package metrics

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// recordingGoroutines is how many goroutines per CPU record at once in the
// parallel benchmarks: many virtual users share few cores.
const recordingGoroutines = 64

// mutexRecorder is the design the sharded registry is measured against: one
// mutex guarding one histogram and one counter.
type mutexRecorder struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
	n  int64
}

func (m *mutexRecorder) record(us int64) {
	m.mu.Lock()
	_ = m.h.RecordValue(us)
	m.n++
	m.mu.Unlock()
}

// latencies returns a cheap varying stream of values (xorshift), so that the
// benchmarks touch many buckets, as real latencies do.
func latencies(seed uint64) func() int64 {
	x := seed*0x9e3779b97f4a7c15 | 1
	return func() int64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return int64(x%200_000) + 1
	}
}

// mutexWait returns the total time goroutines have spent blocked on
// sync.Mutex and sync.RWMutex so far.
func mutexWait() time.Duration {
	sample := []metrics.Sample{{Name: "/sync/mutex/wait/total:seconds"}}
	metrics.Read(sample)
	return time.Duration(sample[0].Value.Float64() * 1e9)
}

// reportMutexWait reports the time spent waiting for locks per operation:
// the contention a design causes, a figure that the load of other
// processes on the machine disturbs less than ns/op.
func reportMutexWait(b *testing.B, since time.Duration) {
	b.ReportMetric(float64(mutexWait()-since)/float64(b.N), "lock-wait-ns/op")
}

func benchMutex(b *testing.B) {
	m := &mutexRecorder{h: NewHistogram()}
	var ids atomic.Uint64
	b.SetParallelism(recordingGoroutines)
	b.ReportAllocs()
	wait := mutexWait()
	b.RunParallel(func(pb *testing.PB) {
		next := latencies(ids.Add(1))
		for pb.Next() {
			m.record(next())
		}
	})
	reportMutexWait(b, wait)
}

func benchSharded(b *testing.B) {
	r := New(time.Now(), Options{})
	h := r.Histogram("socketio.response_time")
	c := r.Counter("socketio.emit")
	var ids atomic.Uint64
	b.SetParallelism(recordingGoroutines)
	b.ReportAllocs()
	wait := mutexWait()
	b.RunParallel(func(pb *testing.PB) {
		id := ids.Add(1)
		rec := r.Recorder(id)
		next := latencies(id)
		for pb.Next() {
			rec.RecordMicros(h, next())
			c.Inc()
		}
	})
	reportMutexWait(b, wait)
}

// BenchmarkRecordParallel records one latency and one counter increment per
// operation from 64 goroutines per CPU, into one mutex-guarded histogram and
// into the sharded registry, side by side.
func BenchmarkRecordParallel(b *testing.B) {
	b.Run("design=single-mutex", benchMutex)
	b.Run("design=sharded", benchSharded)
}

// BenchmarkRotate measures swapping an interval out of a registry holding
// a histogram in every shard, with the snapshot's histograms dropped, as
// a caller that keeps them does, and given back (Release), as the
// report's collector does.
func BenchmarkRotate(b *testing.B) {
	for _, release := range []bool{false, true} {
		b.Run(fmt.Sprintf("released=%v", release), func(b *testing.B) {
			r := New(time.Now(), Options{})
			h := r.Histogram("socketio.response_time")
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				for id := range uint64(len(r.shards)) {
					r.Recorder(id).RecordMicros(h, int64(id)+1)
				}
				now = now.Add(time.Second)
				snap := r.Rotate(now)
				if release {
					r.Release(snap.Histograms["socketio.response_time"])
				}
			}
		})
	}
}

func BenchmarkEncodeDecode(b *testing.B) {
	h := NewHistogram()
	next := latencies(1)
	for range 100_000 {
		_ = h.RecordValue(next())
	}
	for b.Loop() {
		enc, err := EncodeHistogram(h)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeHistogram(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode encodes one second of acks' latencies (600 values), what
// the report does for every one-second window.
func BenchmarkEncode(b *testing.B) {
	h := NewHistogram()
	next := latencies(1)
	for range 600 {
		_ = h.RecordValue(next())
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeHistogram(h); err != nil {
			b.Fatal(err)
		}
	}
}

// timeParallel runs ops operations spread over goroutines, each goroutine
// getting its own op function from newOp, and returns the wall time taken.
func timeParallel(goroutines, ops int, newOp func(id uint64) func()) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for g := range goroutines {
		op := newOp(uint64(g))
		wg.Go(func() {
			for range ops / goroutines {
				op()
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkRecordRatio interleaves the two designs in rounds of a million
// recordings each (one latency and one counter increment, from 64
// goroutines per CPU), alternating which goes first, so that both see the
// same load from other processes. It reports each design's wall time and
// CPU time per recording, and the ratios mutex/sharded: CPU time is the
// steadier figure on a machine shared with other work.
func BenchmarkRecordRatio(b *testing.B) {
	goroutines := recordingGoroutines * runtime.GOMAXPROCS(0)
	const ops = 1 << 20
	m := &mutexRecorder{h: NewHistogram()}
	mutexOp := func(id uint64) func() {
		next := latencies(id + 1)
		return func() { m.record(next()) }
	}
	r := New(time.Now(), Options{})
	h, c := r.Histogram("socketio.response_time"), r.Counter("socketio.emit")
	shardedOp := func(id uint64) func() {
		rec, next := r.Recorder(id), latencies(id+1)
		return func() {
			rec.RecordMicros(h, next())
			c.Inc()
		}
	}
	var mutex, sharded struct{ wall, cpu time.Duration }
	measure := func(into *struct{ wall, cpu time.Duration }, newOp func(uint64) func()) {
		cpu := cpuTime()
		into.wall += timeParallel(goroutines, ops, newOp)
		into.cpu += cpuTime() - cpu
	}
	rounds := 0
	for b.Loop() {
		if rounds%2 == 0 {
			measure(&mutex, mutexOp)
			measure(&sharded, shardedOp)
		} else {
			measure(&sharded, shardedOp)
			measure(&mutex, mutexOp)
		}
		rounds++
	}
	perOp := func(d time.Duration) float64 { return float64(d) / float64(rounds*ops) }
	b.ReportMetric(perOp(mutex.wall), "mutex-ns/record")
	b.ReportMetric(perOp(sharded.wall), "sharded-ns/record")
	b.ReportMetric(float64(mutex.wall)/float64(sharded.wall), "wall-mutex/sharded")
	if sharded.cpu > 0 {
		b.ReportMetric(perOp(mutex.cpu), "mutex-cpu-ns/record")
		b.ReportMetric(perOp(sharded.cpu), "sharded-cpu-ns/record")
		b.ReportMetric(float64(mutex.cpu)/float64(sharded.cpu), "cpu-mutex/sharded")
	}
}
