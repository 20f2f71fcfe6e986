package target

import (
	"sync"
	"time"
)

// pacer admits events at a fixed rate into a queue of bounded length. It is
// a pure token bucket of depth one seen as a queue: each admitted event is
// given the instant it may start, one interval after the previous one (or
// now, when the queue is empty), so the queue's length at any instant is
// (next - now) / interval and needs no goroutine to compute.
//
// With a rate of N per second, offered load below N starts almost at once;
// above N the start times run ahead of the clock (latency grows by
// 1/N - 1/offered per event) until limit events wait, and then admit
// refuses (the target sheds). The breaking point is N events per second.
//
// pacer is not safe for concurrent use; worker guards it.
type pacer struct {
	interval time.Duration // 1s / rate
	limit    int           // events that may wait
	next     time.Time     // start of the next admitted event, at the earliest
}

func newPacer(ratePerSecond, limit int) pacer {
	return pacer{interval: time.Second / time.Duration(ratePerSecond), limit: limit}
}

// admit returns when an event arriving at now may start, or ok false when
// limit events are already waiting.
func (p *pacer) admit(now time.Time) (start time.Time, ok bool) {
	start = p.next
	if start.Before(now) {
		start = now
	}
	if start.Sub(now) > time.Duration(p.limit)*p.interval {
		return time.Time{}, false
	}
	p.next = start.Add(p.interval)
	return start, true
}

// waiting returns how many admitted events have not started at now.
func (p *pacer) waiting(now time.Time) int {
	if !p.next.After(now) {
		return 0
	}
	return int((p.next.Sub(now) + p.interval - 1) / p.interval)
}

// worker runs submitted jobs one at a time, each at the start instant its
// pacer gave it, in submission order. Jobs must be quick and must not block:
// the target's handlers only queue packets.
type worker struct {
	mu    sync.Mutex
	pacer pacer
	jobs  chan job
	done  chan struct{}
	ended chan struct{}
}

type job struct {
	start time.Time
	run   func()
}

// newWorker starts a worker handling ratePerSecond jobs per second with up
// to limit waiting. Stop ends it.
func newWorker(ratePerSecond, limit int) *worker {
	w := &worker{
		pacer: newPacer(ratePerSecond, limit),
		// Room for every job the pacer admits, plus slack for a worker that
		// starts late; a full channel sheds like a full queue.
		jobs:  make(chan job, 2*limit+16),
		done:  make(chan struct{}),
		ended: make(chan struct{}),
	}
	go w.loop()
	return w
}

// submit queues run and reports whether it was admitted. It never blocks.
func (w *worker) submit(run func()) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	before := w.pacer.next
	start, ok := w.pacer.admit(time.Now())
	if !ok {
		return false
	}
	select {
	case w.jobs <- job{start: start, run: run}:
		return true
	default:
		w.pacer.next = before
		return false
	}
}

// queued returns the number of jobs waiting to start.
func (w *worker) queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pacer.waiting(time.Now())
}

func (w *worker) loop() {
	defer close(w.ended)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var j job
		select {
		case j = <-w.jobs:
		case <-w.done:
			return
		}
		if wait := time.Until(j.start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-w.done:
				return
			}
		}
		j.run()
	}
}

// stop ends the worker, dropping waiting jobs, and waits for it.
func (w *worker) stop() {
	close(w.done)
	<-w.ended
}
