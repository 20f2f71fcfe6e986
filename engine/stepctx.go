package engine

import (
	"context"
	"sync"
	"time"
)

// stepContext is the context of one step's wait, bounded by
// config.timeout as context.WithTimeout(vuCtx, timeout) would bound it,
// made once per VU and armed for each step instead: a WithTimeout per
// emit allocates a context and a timer and registers a child under the
// lock of the run's VU context, which all VUs share (a tenth of the CPU
// of an ack loop). Its timer and its callback on the VU's context are
// kept from step to step.
//
// One step at a time uses it, on the goroutine running the VU's flow
// (arm, then disarm when the step returns); the timer's and the VU
// context's callbacks end its wait from their goroutines, under mu. A
// step's Done channel is closed when its time is up or the VU's context
// ends; one that was not closed serves the next step, so nothing may keep
// the context past its step's disarm.
//
// The timer is not reset for each step nor stopped at its disarm: steps
// follow each other far faster than config.timeout, so a timer armed for
// an earlier step's deadline fires before the current one's, and timeUp
// sets it again for the rest (a reset and a stop at every step of an ack
// loop were two changes of the runtime's timer heap per emit).
type stepContext struct {
	parent context.Context

	mu       sync.Mutex
	done     chan struct{}
	err      error // nil until done is closed
	armed    bool
	deadline time.Time
	// timerAt is when the timer fires, if timerSet: it is set, and not
	// yet fired, for at most deadline.
	timerAt  time.Time
	timerSet bool

	timer      *time.Timer
	stopParent func() bool
	// disarmFunc is disarm, made once.
	disarmFunc func()
}

var _ context.Context = (*stepContext)(nil)

// newStepContext returns a stepContext of parent, not armed.
func newStepContext(parent context.Context) *stepContext {
	c := &stepContext{parent: parent, done: make(chan struct{})}
	c.stopParent = context.AfterFunc(parent, c.parentDone)
	c.disarmFunc = c.disarm
	return c
}

// arm starts a step's wait of at most d (or until the parent's deadline,
// if that comes first).
func (c *stepContext) arm(d time.Duration) {
	deadline := time.Now().Add(d)
	if pd, ok := c.parent.Deadline(); ok && pd.Before(deadline) {
		deadline = pd
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		c.done, c.err = make(chan struct{}), nil
	}
	c.armed, c.deadline = true, deadline
	if err := c.parent.Err(); err != nil {
		// Ended before this step: its callback has run or runs soon,
		// and may have found the step not armed.
		c.expireLocked(err)
	}
	if !c.timerSet || c.timerAt.After(deadline) {
		c.setTimerLocked(deadline)
	}
}

// setTimerLocked makes the timer fire at t.
func (c *stepContext) setTimerLocked(t time.Time) {
	d := time.Until(t)
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.timeUp)
	} else {
		c.timer.Reset(d)
	}
	c.timerAt, c.timerSet = t, true
}

// disarm ends the step's wait. The timer stays set: the next step's
// deadline is later.
func (c *stepContext) disarm() {
	c.mu.Lock()
	c.armed = false
	c.mu.Unlock()
}

// release stops the callbacks; the context is not used after it.
func (c *stepContext) release() {
	c.stopParent()
	if c.timer != nil {
		c.timer.Stop()
	}
}

// timeUp ends the armed step whose time is up. A timer set for an earlier
// step's deadline, or whose call comes late, for a step that was
// disarmed meanwhile, finds the armed step's time not up: it sets the
// timer again for the rest (timers never fire early).
func (c *stepContext) timeUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.timerAt.After(time.Now()) {
		c.timerSet = false // this is its call, not a late one of a reset
	}
	switch {
	case !c.armed:
	case !time.Now().Before(c.deadline):
		c.expireLocked(context.DeadlineExceeded)
	case !c.timerSet:
		c.setTimerLocked(c.deadline)
	}
}

// parentDone ends the armed step when the VU's context ends.
func (c *stepContext) parentDone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed {
		c.expireLocked(c.parent.Err())
	}
}

func (c *stepContext) expireLocked(err error) {
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

// Deadline is the armed step's deadline.
func (c *stepContext) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadline, true
}

// Done is closed when the step's time is up or the VU's context ends.
func (c *stepContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// Err is nil until Done is closed, then context.DeadlineExceeded or the
// VU context's error.
func (c *stepContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value is the VU context's value.
func (c *stepContext) Value(key any) any { return c.parent.Value(key) }

// idle stops the timer, if it can before it fires, for a context that
// waits in a stepContextPool: a timer left set would fire there for
// nothing, on a goroutine of its own. One that fires anyway finds no step
// armed.
func (c *stepContext) idle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil && c.timerSet && c.timer.Stop() {
		c.timerSet = false
	}
}

// stepContextPool keeps the step contexts of VUs that parked or ended, for
// the next VUs to wait in: a parked VU holds none (an idle VU's memory
// counts), and without the pool every emit after a parked think made its
// VU a new one (a context, a timer and a callback on the run's VU
// context: about 600 bytes, nearly all the heap a VU acking every few
// seconds allocates, and what set the collector's pace). Every context
// in it has the run's VU context as its parent; they are all alike, so
// any VU may take any of them, one step at a time, as one VU's steps take
// it in turn. It holds at most its capacity: a reconnection of every VU
// at once has all of them waiting, and the rest are released.
type stepContextPool struct {
	parent context.Context
	free   chan *stepContext
}

// stepContextsKept is how many idle step contexts a run keeps: more than
// the VUs that emit at once at a few thousand acks a second (each holds
// one for its ack's round trip), at about 600 bytes each.
const stepContextsKept = 256

func newStepContextPool(parent context.Context) *stepContextPool {
	return &stepContextPool{parent: parent, free: make(chan *stepContext, stepContextsKept)}
}

// get returns an idle step context of parent, from the pool if it has one.
func (p *stepContextPool) get(parent context.Context) *stepContext {
	if p != nil && parent == p.parent {
		select {
		case c := <-p.free:
			return c
		default:
		}
	}
	return newStepContext(parent)
}

// put keeps c, disarmed and no longer used by its VU, for another step,
// or releases it when the pool is full or c is of another parent.
func (p *stepContextPool) put(c *stepContext) {
	if p != nil && c.parent == p.parent {
		c.idle()
		select {
		case p.free <- c:
			return
		default:
		}
	}
	c.release()
}

// stepWait returns the context bounding a step's wait by config.timeout
// within ctx, and the func ending it, to call when the step returns.
// Within the VU's own context it is a stepContext the VU keeps until it
// parks or ends.
func (v *vu) stepWait(ctx context.Context) (context.Context, func()) {
	if ctx != v.ctx {
		return context.WithTimeout(ctx, v.timeout)
	}
	if v.stepCtx == nil {
		v.stepCtx = v.r.stepContexts.get(ctx)
	}
	v.stepCtx.arm(v.timeout)
	return v.stepCtx, v.stepCtx.disarmFunc
}

// releaseWaits gives back the VU's step context and releases its think
// timer, taken or made again at their next use.
func (v *vu) releaseWaits() {
	if v.stepCtx != nil {
		v.r.stepContexts.put(v.stepCtx)
		v.stepCtx = nil
	}
	if v.thinkTimer != nil {
		v.thinkTimer.Stop()
		v.thinkTimer = nil
	}
}
