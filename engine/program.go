package engine

import (
	"context"
	"sync"
	"time"

	"github.com/sockload/sockload/scenario"
)

// defaultParkAfter is the shortest think that parks its VU. A parked
// think costs a few µs of CPU more than one waited in (a timer reset, a
// goroutine to resume on and the stack it grows: 1.6-4.1 µs in
// BenchmarkThinkParking); from 100 ms on that is negligible, while the ack
// loops of a busy scenario (thinks of tens of ms), whose CPU per ack
// counts, keep their goroutine.
const defaultParkAfter = 100 * time.Millisecond

// program is a VU's flow in execution: an explicit stack of frames
// instead of Go recursion, so that a VU in a long think can stop, holding
// no goroutine, and go on later from where it stood on another one.
type program struct {
	frames []frame
	// parkAfter is the shortest think that parks; 0 never parks.
	parkAfter time.Duration
}

// frame is a list of steps in execution: the flow, a loop's body or the
// onReconnect steps.
type frame struct {
	steps []scenario.Step
	next  int // the step to run next
	// line is where the step that opened the frame is written (its loop,
	// or the think whose wait ran the onReconnect steps): the errors of
	// its steps are told it after their own line, as the recursive
	// calls did. 0 for the flow and for onReconnect steps run between
	// steps.
	line int
	// loop is the state of the loop whose body this is; nil otherwise.
	loop *loopState
	// rejoin marks the onReconnect steps, which do not nest.
	rejoin bool
	// thinking says that steps[next-1] is a think in progress, which
	// ends at thinkUntil; parks, that it is long enough to park in.
	thinking, parks bool
	thinkUntil      time.Time
	// thinkFor is the think's length as it starts, until its first wait
	// takes it: the clock read at its start serves that wait too.
	thinkFor time.Duration
}

// loopState is where a loop stands: iteration i of elements (over a
// list), or of the count up to to (forever when to < 0).
type loopState struct {
	valueVar, elementVar string
	over                 bool
	elements             []any
	i, to                int
}

func (l *loopState) more() bool { return l.to < 0 || l.i < l.to }

// set stores the iteration's variables ($loopCount, $loopElement).
func (l *loopState) set(vars map[string]any) {
	vars[l.valueVar] = l.i
	if l.over && l.elements[l.i] != nil {
		vars[l.elementVar] = l.elements[l.i]
	}
}

// wake is what resumes a parked VU.
type wake int

const (
	wakeNone      wake = iota // not resumed from parking
	wakeTimer                 // the think's time is up
	wakeCancel                // the VU's context ended
	wakeReconnect             // a reconnection left a token for onReconnect
)

// vuParking is a VU's wake-ups. The timer and the context callback are
// made at the VU's first park and serve all the others: a wake-up finds
// the VU parked or not under mu, and only the first of a park resumes
// it. One that comes late (a timer that fired as another wake-up stopped
// it) may find the VU parked again: it resumes it early, and the think
// parks again for its rest.
type vuParking struct {
	mu     sync.Mutex
	parked bool
	// onReconnect says that a reconnection resumes the parked VU: its
	// scenario has onReconnect steps and they are not running.
	onReconnect bool
	timer       *time.Timer
	stopCancel  func() bool
}

// start runs the VU: its flow, then its end (see finish), on whichever
// goroutine runs its last step; ended is called after that. The VU parks
// in the thinks of at least parkAfter: the calling goroutine returns, and
// the think's end, ctx's end or a reconnection resumes the flow on
// another.
func (v *vu) start(ctx context.Context, ended func()) {
	v.ctx, v.ended, v.startedAt = ctx, ended, time.Now()
	if v.r.runFlow != nil {
		v.finish(v.r.runFlow(ctx, v))
		return
	}
	if v.scenario.ConnectAtStart {
		if _, err := v.socket(ctx, v.r.cfg.Script.Config.Namespace("/")); err != nil {
			v.finish(err)
			return
		}
	}
	v.prog.frames = append(v.prog.frames, frame{steps: v.scenario.Flow})
	v.resume(wakeNone)
}

// resume runs the flow on from where it stands until it parks or ends.
func (v *vu) resume(woke wake) {
	if parked, err := v.exec(v.ctx, &v.prog, woke); !parked {
		v.finish(err)
	}
}

// exec runs p until its steps end (with the first failure) or it parks
// (parked true). woke says what resumed it from parking.
func (v *vu) exec(ctx context.Context, p *program, woke wake) (parked bool, err error) {
	for len(p.frames) > 0 {
		f := &p.frames[len(p.frames)-1]
		switch {
		case f.thinking:
			parked, err = v.thinkOn(ctx, p, f, woke)
			woke = wakeNone
			if parked {
				return true, nil
			}
		case f.next == len(f.steps):
			err = v.endFrame(ctx, p)
		default:
			err = v.nextStep(ctx, p, f)
		}
		if err != nil {
			return false, v.unwind(p, err)
		}
	}
	return false, nil
}

// nextStep runs the next step of f, doing first what is done between
// steps: the context's check, the listeners' captures, the onReconnect
// steps when a reconnection happened since they last ran, the poller's
// watch of the connections unless the step reads them itself. Loops and
// thinks only open their frame or start: exec goes on with them.
func (v *vu) nextStep(ctx context.Context, p *program, f *frame) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v.applyCaptured()
	v.captureBackend()
	if v.takeReconnect() {
		v.openRejoin(p, 0)
		return nil
	}
	st := f.steps[f.next]
	f.next++
	if !v.readsItsOwnConnection(st) {
		v.watchConnections()
	}
	var err error
	switch st := st.(type) {
	case *scenario.LoopStep:
		err = v.openLoop(p, st)
	case *scenario.ThinkStep:
		err = v.startThink(p, f, st)
	default:
		err = v.step(ctx, st)
	}
	return atLine(err, st.Position().Line)
}

// endFrame starts the next iteration of a loop's body, or closes the
// frame.
func (v *vu) endFrame(ctx context.Context, p *program) error {
	f := &p.frames[len(p.frames)-1]
	if l := f.loop; l != nil {
		l.i++
		if l.more() {
			// Checked here too so that a loop forever of no steps ends.
			if err := ctx.Err(); err != nil {
				return err
			}
			l.set(v.tctx.Vars)
			f.next = 0
			return nil
		}
	}
	if f.rejoin {
		v.inReconnectFlow = false
	}
	p.frames = p.frames[:len(p.frames)-1]
	return nil
}

// unwind closes every frame of a failed program, telling err where its
// enclosing steps are written.
func (v *vu) unwind(p *program, err error) error {
	for i := len(p.frames) - 1; i >= 0; i-- {
		err = atLine(err, p.frames[i].line)
		if p.frames[i].rejoin {
			v.inReconnectFlow = false
		}
	}
	p.frames = p.frames[:0]
	return err
}

// openLoop opens the body of a loop for its first iteration, if it has
// one.
func (v *vu) openLoop(p *program, st *scenario.LoopStep) error {
	l := &loopState{valueVar: st.LoopValue, elementVar: st.LoopElement}
	elements, over, err := st.Elements(v.tctx)
	if err != nil {
		return failf("bad loop", "loop at line %d: %v", st.Pos.Line, err)
	}
	if over {
		l.over, l.elements, l.to = true, elements, len(elements)
	} else {
		// A loop without count or over repeats until the VU is
		// cancelled at the end of the run (To < 0).
		c, err := st.Iterations(v.tctx)
		if err != nil {
			return failf("bad loop count", "loop at line %d: %v", st.Pos.Line, err)
		}
		l.i, l.to = c.From, c.To
	}
	if !l.more() {
		return nil
	}
	l.set(v.tctx.Vars)
	p.frames = append(p.frames, frame{steps: st.Steps, line: st.Pos.Line, loop: l})
	return nil
}

// openRejoin opens the onReconnect steps, whose token was taken; line is
// the think that waited for it, 0 between steps.
func (v *vu) openRejoin(p *program, line int) {
	v.inReconnectFlow = true
	v.r.m.reconnectFlows.Inc()
	p.frames = append(p.frames, frame{steps: v.scenario.OnReconnect, line: line, rejoin: true})
}

// rejoin runs the onReconnect steps, whose token was taken, to their end
// on the calling goroutine (for waits other than thinks), without
// parking.
func (v *vu) rejoin(ctx context.Context) error {
	p := &program{}
	v.openRejoin(p, 0)
	_, err := v.exec(ctx, p, wakeNone)
	return err
}

// takeReconnect takes the token of a reconnection, if there is one and
// the onReconnect steps may run now.
func (v *vu) takeReconnect() bool {
	select {
	case <-v.reconnectSignal():
		return true
	default:
		return false
	}
}

func (v *vu) startThink(p *program, f *frame, st *scenario.ThinkStep) error {
	d, err := v.r.thinkPause(st, v.tctx)
	if err != nil {
		return failf("bad think", "think at line %d: %v", st.Pos.Line, err)
	}
	f.thinking, f.thinkUntil, f.thinkFor = true, time.Now().Add(d), d
	f.parks = p.parkAfter > 0 && d >= p.parkAfter
	return nil
}

// prepareThinks finds the thinks of the script whose length is the same
// at every run of them: a literal duration, no jitter.
func (r *Runner) prepareThinks() {
	r.thinks = map[*scenario.ThinkStep]time.Duration{}
	for st := range r.cfg.Script.Steps() {
		th, ok := st.(*scenario.ThinkStep)
		if !ok || th.Jitter != nil || r.cfg.Script.Config.DefaultJitter != nil {
			continue
		}
		if _, static := th.Duration.Static(); !static {
			continue
		}
		if d, err := th.Pause(nil, nil); err == nil {
			r.thinks[th] = d
		}
	}
}

// thinkPause is the length of a run of think step st: st.Pause, whose
// duration is read once per run when it is static instead of parsed at
// every think of an ack loop.
func (r *Runner) thinkPause(st *scenario.ThinkStep, tctx *scenario.Context) (time.Duration, error) {
	if d, ok := r.thinks[st]; ok {
		return d, nil
	}
	return st.Pause(tctx, r.cfg.Script.Config.DefaultJitter)
}

// thinkOn goes on with the think in progress in f: it ends when its time
// is up, fails when ctx ends, and runs the onReconnect steps (a frame
// above it) at a reconnection, then goes on thinking for the rest of its
// time. A think of at least p.parkAfter parks (parked true) instead of
// waiting; a shorter one, when no reconnection would cut it short,
// sleeps, and sees ctx's end at its own; woke is what resumed it.
func (v *vu) thinkOn(ctx context.Context, p *program, f *frame, woke wake) (parked bool, err error) {
	line := f.steps[f.next-1].Position().Line
	// A timer's wake-up is checked against the think's end below: a late
	// one of an earlier park may come first.
	switch woke {
	case wakeCancel:
		return false, ctx.Err()
	case wakeReconnect:
		if v.takeReconnect() {
			v.openRejoin(p, line)
			return false, nil
		}
	}
	d := f.thinkFor
	f.thinkFor = 0
	if woke != wakeNone || d <= 0 {
		d = time.Until(f.thinkUntil)
	}
	if d <= 0 {
		f.thinking = false
		return false, nil
	}
	if f.parks {
		// A parked VU keeps no timers: an idle VU's memory counts.
		v.releaseWaits()
		if v.park(ctx, d) {
			return true, nil
		}
		// A reconnection's token came first.
	}
	reconnected := v.reconnectSignal()
	if reconnected == nil && d < p.parkAfter {
		// Too short to park, and nothing but the VU's end would cut
		// it short: a sleep, the runtime's cheapest wait (no channel
		// to send the timer's time on, no select: 0.8 µs less per
		// think than a select of a timer and the context, 400
		// goroutines thinking 5 ms), which sees the VU's end when it
		// is over, at most parkAfter later.
		time.Sleep(d)
		if err := ctx.Err(); err != nil {
			return false, err
		}
		f.thinking = false
		return false, nil
	}
	// The VU's think timer serves all its waited thinks: a Reset timer
	// delivers no value of an earlier arming.
	if v.thinkTimer == nil {
		v.thinkTimer = time.NewTimer(d)
	} else {
		v.thinkTimer.Reset(d)
	}
	t := v.thinkTimer
	defer t.Stop()
	select {
	case <-t.C:
		f.thinking = false
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-reconnected:
		v.openRejoin(p, line)
		return false, nil
	}
}

// park arms the wake-ups of a think of d, unless the VU's context has
// ended or a reconnection's token waits for the onReconnect steps
// (false). The caller's goroutine then returns; the first wake-up resumes
// the VU on its own.
func (v *vu) park(ctx context.Context, d time.Duration) bool {
	pk := &v.parking
	onReconnect := v.reconnectSignal() != nil
	pk.mu.Lock()
	defer pk.mu.Unlock()
	// Checked under the lock, as the wake-ups are: one that came before
	// found the VU not parked.
	if ctx.Err() != nil || onReconnect && len(v.reconnected) > 0 {
		return false
	}
	// Armed under the lock: a wake-up that comes at once waits for it,
	// and so sees everything the VU wrote before parking.
	pk.parked, pk.onReconnect = true, onReconnect
	if pk.timer == nil {
		pk.timer = time.AfterFunc(d, func() { v.wake(wakeTimer) })
	} else {
		pk.timer.Reset(d)
	}
	if pk.stopCancel == nil {
		pk.stopCancel = context.AfterFunc(ctx, func() { v.wake(wakeCancel) })
	}
	v.r.parked.Add(1)
	return true
}

// wake resumes the VU, if it is parked where why resumes it, on the
// calling goroutine.
func (v *vu) wake(why wake) {
	pk := &v.parking
	pk.mu.Lock()
	if !pk.parked || why == wakeReconnect && !pk.onReconnect {
		pk.mu.Unlock()
		return
	}
	pk.parked = false
	pk.mu.Unlock()
	if why != wakeTimer {
		pk.timer.Stop()
	}
	v.r.parked.Add(-1)
	v.resume(why)
}

// wakeForReconnect resumes the VU if it is parked where a reconnection
// runs the onReconnect steps: called after the token is left, on a
// client's goroutine, so the VU runs on a new one.
func (v *vu) wakeForReconnect() {
	pk := &v.parking
	pk.mu.Lock()
	resumes := pk.parked && pk.onReconnect
	pk.mu.Unlock()
	if resumes {
		go v.wake(wakeReconnect)
	}
}

// unpark releases the wake-ups of a VU that has ended.
func (v *vu) unpark() {
	pk := &v.parking
	if pk.timer != nil {
		pk.timer.Stop()
	}
	if pk.stopCancel != nil {
		pk.stopCancel()
	}
}
