package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
)

// vu is one virtual user: one run of a scenario's flow with its own
// variables and connections. Its flow runs on one goroutine at a time:
// the one launch starts, then, after each think it parks in (see
// program), the one that resumes it.
type vu struct {
	r        *Runner
	id       uint64
	scenario *scenario.Scenario
	rec      metrics.Recorder
	tctx     *scenario.Context
	timeout  time.Duration

	// manager is the VU's default connection, with the scenario's options;
	// namespaces share it unless the options say forceNew.
	manager *socketio.Manager
	// sockets are the VU's namespaces, connected on first use (most VUs
	// have one: a slice costs less than a map).
	sockets []*vuSocket

	// memberOf are the groups the VU is in; emitting is the traced emit
	// being rendered, for {{ $trace }}.
	memberOf vuGroups
	emitting *tracedEmit
	// captured holds what listeners captured on the reader goroutines,
	// stored into the variables before the next step.
	capMu    sync.Mutex
	captured map[string]any
	// lost holds when each namespace lost its connection, until it is
	// joined again (the clients' callbacks, on their goroutines): a slice,
	// not a map, since a VU has one namespace or a few (a map of one entry
	// was 350 B a VU, kept from its first reconnection on); its capacity
	// is kept for the next loss.
	lostMu sync.Mutex
	lost   []lostAt
	// reconnected gets a token when a namespace is joined again, for the
	// scenario's onReconnect steps; nil when it has none.
	reconnected     chan struct{}
	inReconnectFlow bool

	// backend is the backend the VU is on ("" when not named), set from
	// the handshakes (client goroutines) and captures.
	backendMu sync.Mutex
	backend   string
	// jar holds the VU's cookies, for its HTTP steps and its connections
	// alike (see cookieJar).
	jar http.CookieJar

	// ctx is the VU's context, kept for the goroutines that resume it;
	// ended is called once it has ended; startedAt times its session.
	ctx       context.Context
	ended     func()
	startedAt time.Time
	// prog is where the flow stands; parking holds its wake-ups while it
	// is parked in a think.
	prog    program
	parking vuParking
	// stepCtx bounds the waits of the VU's steps (see stepWait);
	// thinkTimer times its waited thinks. Both are made at first use
	// and released when it parks or ends.
	stepCtx    *stepContext
	thinkTimer *time.Timer
	// lastEvent is the event of the VU's last timed response, whose
	// histogram is lastEventHist (if lastEventOK).
	lastEvent     string
	lastEventHist metrics.Histogram
	lastEventOK   bool
}

// stepError is a failed step: code names it in errors.<code> and is one of
// a small set chosen here, never text from the server (that goes in err).
// line is where the step is written (0 until the step runs it through
// vu.step); expected and received are set for failed checks.
type stepError struct {
	code               string
	err                error
	line               int
	expected, received string
}

func (e *stepError) Error() string { return e.code + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

func failf(code, format string, args ...any) error {
	return &stepError{code: code, err: fmt.Errorf(format, args...)}
}

func (r *Runner) newVU(id uint64, scenarioIndex int, index int64) *vu {
	sc := &r.cfg.Script.Scenarios[scenarioIndex]
	v := &vu{
		r:        r,
		id:       id,
		scenario: sc,
		rec:      r.cfg.Registry.Recorder(id),
		timeout:  r.cfg.Script.Config.Timeout,
	}
	if len(sc.OnReconnect) > 0 {
		v.reconnected = make(chan struct{}, 1)
	}
	v.prog.parkAfter = r.parkAfter
	v.tctx = r.cfg.Script.NewContext(int(index), rand.New(rand.NewPCG(r.rng.Uint64(), id)), r.cfg.Getenv)
	if r.traces != nil {
		v.tctx.Trace = v.renderTrace
	}
	return v
}

// finish ends the VU once its flow has ended with err: it leaves its
// groups, closes its connections and counts it completed, cancelled (its
// context ended) or failed.
func (v *vu) finish(err error) {
	v.unpark()
	v.releaseWaits()
	v.leaveGroups()
	v.closeAll()
	v.giveUpLosses()
	m := &v.r.m
	switch {
	case err == nil:
		m.completed.Inc()
		v.rec.Record(m.sessionLength, time.Since(v.startedAt))
	case v.ctx.Err() != nil:
		m.cancelled.Inc()
		v.r.cancelled.Add(1)
	default:
		m.failed.Inc()
		v.r.recordError(v.id, err)
		if b := v.currentBackend(); b != "" {
			v.r.cfg.Registry.Counter(MetricBackendErrors + MetricSuffix(b)).Inc()
		}
	}
	v.leaveBackend()
	if v.ended != nil {
		v.ended()
	}
}

// recordError counts err under its code and keeps it as a sample of the
// code's messages, with the step and VU it came from.
func (r *Runner) recordError(vu uint64, err error) {
	s := metrics.ErrorSample{Message: err.Error(), VU: vu, At: time.Now()}
	code := classifyNetworkError(err)
	var se *stepError
	if errors.As(err, &se) {
		code = se.code
		s.Message = se.err.Error()
		s.Expected, s.Received = se.expected, se.received
		if se.line > 0 {
			s.Step = fmt.Sprintf("%s:%d", r.cfg.Script.Path, se.line)
		}
	}
	r.cfg.Registry.Error(code, s)
}

func (v *vu) closeAll() {
	for _, s := range v.sockets {
		s.close()
	}
	if v.manager != nil {
		v.manager.Close()
	}
}

// connectionLost notes when namespace lost its connection, if a
// reconnection follows.
func (v *vu) connectionLost(namespace, reason string) {
	if reason == socketio.ReasonClientDisconnect || reason == socketio.ReasonServerDisconnect {
		return
	}
	v.lostMu.Lock()
	newly := lostIndex(v.lost, namespace) < 0
	if newly {
		v.lost = append(v.lost, lostAt{namespace: namespace, at: time.Now()})
	}
	v.lostMu.Unlock()
	if w := v.r.cfg.Losses; w != nil && newly {
		w.Lost(v.r.active.Load())
	}
}

// giveUpLosses forgets the namespaces still lost at the VU's end: no
// reconnection will mend them, and a LossWatcher would count them lost
// for the rest of the run.
func (v *vu) giveUpLosses() {
	v.lostMu.Lock()
	n := len(v.lost)
	v.lost = v.lost[:0]
	v.lostMu.Unlock()
	if w := v.r.cfg.Losses; w != nil {
		for range n {
			w.Regained()
		}
	}
}

// lostAt is when a namespace lost its connection.
type lostAt struct {
	namespace string
	at        time.Time
}

func lostIndex(lost []lostAt, namespace string) int {
	for i := range lost {
		if lost[i].namespace == namespace {
			return i
		}
	}
	return -1
}

// joined records the reconnection time of a namespace joined again after
// a lost connection, and wakes the onReconnect steps.
func (v *vu) joined(namespace string) {
	v.lostMu.Lock()
	i := lostIndex(v.lost, namespace)
	var at time.Time
	if i >= 0 {
		at = v.lost[i].at
		v.lost = slices.Delete(v.lost, i, i+1)
	}
	v.lostMu.Unlock()
	if i < 0 {
		return
	}
	if w := v.r.cfg.Losses; w != nil {
		w.Regained()
	}
	v.rec.Record(v.r.m.reconnectTime, max(time.Since(at), time.Microsecond))
	select {
	case v.reconnected <- struct{}{}:
		v.wakeForReconnect()
	default: // nil, or a run is already due
	}
}

// reconnectSignal is what waits of the VU select on to run the onReconnect
// steps: nil (never ready) while they run, so that they do not nest; a
// reconnection meanwhile leaves its token for after them.
func (v *vu) reconnectSignal() <-chan struct{} {
	if v.inReconnectFlow {
		return nil
	}
	return v.reconnected
}
