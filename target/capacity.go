package target

import (
	"sync"
	"time"
)

// pacer admits events at a fixed rate into a queue of bounded length: a
// token bucket (the generic cell rate algorithm) seen as a queue. Each
// admitted event is given the instant it may start; the theoretical
// arrival time tat advances by one interval per event, and an event may
// start as soon as tat is within burst intervals of the clock. The queue's
// length at any instant follows from tat, so it needs no goroutine.
//
// With a rate of N per second, offered load below N starts at once, short
// bursts of up to burst events included; above N the start times run ahead
// of the clock (latency grows by 1/N - 1/offered per event) until limit
// events wait, and then admit refuses (the target sheds). The breaking
// point is N events per second, whatever the burst.
//
// pacer is not safe for concurrent use; worker guards it.
type pacer struct {
	interval  time.Duration // 1s / rate
	tolerance time.Duration // (burst-1) intervals: how far tat may lead the clock without waiting
	limit     int           // events that may wait
	tat       time.Time     // theoretical arrival time of the next event
}

func newPacer(ratePerSecond, burst, limit int) pacer {
	interval := time.Second / time.Duration(ratePerSecond)
	return pacer{interval: interval, tolerance: time.Duration(max(burst, 1)-1) * interval, limit: limit}
}

// admit returns when an event arriving at now may start, or ok false when
// limit events are already waiting.
func (p *pacer) admit(now time.Time) (start time.Time, ok bool) {
	tat := p.tat
	if tat.Before(now) {
		tat = now
	}
	start = tat.Add(-p.tolerance)
	if start.Before(now) {
		start = now
	}
	if start.Sub(now) > time.Duration(p.limit)*p.interval {
		return time.Time{}, false
	}
	p.tat = tat.Add(p.interval)
	return start, true
}

// waiting returns how many admitted events have not finished their slot at
// now (the one running counts until the next may start).
func (p *pacer) waiting(now time.Time) int {
	next := p.tat.Add(-p.tolerance)
	if !next.After(now) {
		return 0
	}
	return int((next.Sub(now) + p.interval - 1) / p.interval)
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

// newWorker starts a worker handling ratePerSecond jobs per second, bursts
// of up to burst at once, with up to limit waiting. Stop ends it.
func newWorker(ratePerSecond, burst, limit int) *worker {
	w := &worker{
		pacer: newPacer(ratePerSecond, burst, limit),
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
	before := w.pacer.tat
	start, ok := w.pacer.admit(time.Now())
	if !ok {
		return false
	}
	select {
	case w.jobs <- job{start: start, run: run}:
		return true
	default:
		w.pacer.tat = before
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
