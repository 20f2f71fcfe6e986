package engine

import (
	"context"
	"sync"
	"time"

	"github.com/sockload/sockload/scenario"
)

// defaultParkAfter is the shortest think that parks its VU. Parking and
// resuming cost a timer, a context callback and a goroutine start, a few
// µs (BenchmarkThinkParking); a think this long makes that negligible,
// while the ack loops of a busy scenario (think of tens of ms) keep their
// goroutine and its grown stack.
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
	// ends at thinkUntil.
	thinking   bool
	thinkUntil time.Time
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

// parking is a parked VU's wake-ups: the first of its timer, its
// context's end and (when the onReconnect steps may run) a reconnection
// resumes it, the others find it gone.
type parking struct {
	timer       *time.Timer
	stopCancel  func() bool
	onReconnect bool
}

// vuParking is the part of a vu that parking needs.
type vuParking struct {
	mu     sync.Mutex
	parked *parking // nil unless parked
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
// steps when a reconnection happened since they last ran. Loops and
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
	var err error
	switch st := st.(type) {
	case *scenario.LoopStep:
		err = v.openLoop(p, st)
	case *scenario.ThinkStep:
		err = v.startThink(f, st)
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

func (v *vu) startThink(f *frame, st *scenario.ThinkStep) error {
	d, err := st.Pause(v.tctx, v.r.cfg.Script.Config.DefaultJitter)
	if err != nil {
		return failf("bad think", "think at line %d: %v", st.Pos.Line, err)
	}
	f.thinking, f.thinkUntil = true, time.Now().Add(d)
	return nil
}

// thinkOn goes on with the think in progress in f: it ends when its time
// is up, fails when ctx ends, and runs the onReconnect steps (a frame
// above it) at a reconnection, then goes on thinking for the rest of its
// time. A think of at least p.parkAfter parks (parked true) instead of
// waiting; woke is what resumed it.
func (v *vu) thinkOn(ctx context.Context, p *program, f *frame, woke wake) (parked bool, err error) {
	line := f.steps[f.next-1].Position().Line
	switch woke {
	case wakeTimer:
		f.thinking = false
		return false, nil
	case wakeCancel:
		return false, ctx.Err()
	case wakeReconnect:
		if v.takeReconnect() {
			v.openRejoin(p, line)
			return false, nil
		}
	}
	d := time.Until(f.thinkUntil)
	if d <= 0 {
		f.thinking = false
		return false, nil
	}
	if p.parkAfter > 0 && d >= p.parkAfter {
		if v.park(ctx, d) {
			return true, nil
		}
		// A reconnection's token came first.
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		f.thinking = false
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-v.reconnectSignal():
		v.openRejoin(p, line)
		return false, nil
	}
}

// park arms the wake-ups of a think of d, unless a reconnection's token
// waits for the onReconnect steps (false). The caller's goroutine then
// returns; the first wake-up resumes the VU on its own.
func (v *vu) park(ctx context.Context, d time.Duration) bool {
	pk := &parking{onReconnect: v.reconnectSignal() != nil}
	v.parking.mu.Lock()
	defer v.parking.mu.Unlock()
	if pk.onReconnect && len(v.reconnected) > 0 {
		return false
	}
	// Armed under the lock: a wake-up that comes at once waits for it,
	// and so sees everything the VU wrote before parking.
	v.parking.parked = pk
	pk.timer = time.AfterFunc(d, func() { v.wake(pk, wakeTimer) })
	pk.stopCancel = context.AfterFunc(ctx, func() { v.wake(pk, wakeCancel) })
	v.r.parked.Add(1)
	return true
}

// wake resumes the VU parked as pk, on the calling goroutine, unless
// another wake-up came first.
func (v *vu) wake(pk *parking, why wake) {
	v.parking.mu.Lock()
	if v.parking.parked != pk {
		v.parking.mu.Unlock()
		return
	}
	v.parking.parked = nil
	v.parking.mu.Unlock()
	pk.timer.Stop()
	pk.stopCancel()
	v.r.parked.Add(-1)
	v.resume(why)
}

// wakeForReconnect resumes the VU if it is parked where a reconnection
// runs the onReconnect steps: called after the token is left, on a
// client's goroutine, so the VU runs on a new one.
func (v *vu) wakeForReconnect() {
	v.parking.mu.Lock()
	pk := v.parking.parked
	v.parking.mu.Unlock()
	if pk != nil && pk.onReconnect {
		go v.wake(pk, wakeReconnect)
	}
}
