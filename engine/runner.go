package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/phases"
	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
	"github.com/sockload/sockload/socketio/wire"
)

// Config is what a run needs. Script, Plan and Registry are required.
type Config struct {
	Script *scenario.Script
	// Plan is the arrival plan, normally PlanOf(Script), or a shard of it.
	Plan     phases.Plan
	Registry *metrics.Registry
	// Seed drives the choice of scenarios, payload rows, variables and
	// Poisson arrivals; 0 picks one at random.
	Seed uint64
	// Grace is how long VUs still running after the last phase may go on
	// before they are cancelled; 0 means DefaultGrace(Script).
	Grace time.Duration
	// Log receives the messages of log steps; nil discards them.
	Log func(msg string)
	// Getenv reads the process environment for $env templates.
	Getenv func(string) string
	// InsecureSkipVerify disables TLS verification for every scenario
	// (also set by tls.rejectUnauthorized: false in the scenario).
	InsecureSkipVerify bool
	// AllowCrossHostRedirects lets polling follow redirects to another
	// host (socketio.Options.AllowCrossHostRedirects).
	AllowCrossHostRedirects bool
	// ReadBudget, when set, bounds what every VU's reads of large messages
	// hold at once; a read past it fails its connection, counted as an
	// error.
	ReadBudget *socketio.ReadBudget
	// DialContext, when set, opens every TCP connection (e.g. to rotate
	// source addresses).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// RunID names the run in its {{ $trace }} tokens: shards of one run
	// give the same RunID so that each times the others' messages too.
	// 0 picks one at random.
	RunID uint64
	// ServerEngine is the Engine.IO version the server speaks, as Probe
	// found it (0: not probed); scenarios that leave serverVersion unset
	// speak it.
	ServerEngine wire.EngineVersion
	// WireTrace, when set, writes what its first VUs do on the wire.
	WireTrace *WireTrace
	// Losses, when set, hears of every connection a VU loses that a
	// reconnection may bring back, and of its return: the run's memory
	// policy (memtrim.LossCollector) watches for many lost at once.
	Losses LossWatcher
}

// A LossWatcher hears of lost connections, on the connections' goroutines.
type LossWatcher interface {
	// Lost is a connection lost, of running VUs running then.
	Lost(running int64)
	// Regained is a lost connection joined again, or given up at its
	// VU's end.
	Regained()
}

// Result describes how a run ended. The measurements themselves are in the
// Registry.
type Result struct {
	Start, End time.Time
	// Interrupted is true when the run's context ended before the run did:
	// during the phases or while the VUs drained after the last one.
	Interrupted bool
	// Launched counts the VUs started, Skipped those over maxVusers,
	// Cancelled those still running at the end.
	Launched, Skipped, Cancelled int64
}

// Status is a live view of a running test, for progress displays.
type Status struct {
	Elapsed  time.Duration
	Total    time.Duration // the plan's duration
	Phase    int           // index of the current phase; len(plan) after the last
	Active   int64         // VUs running now
	Offered  int64         // arrivals due so far (launched + skipped)
	Launched int64
	Finished bool // arrivals are over; VUs are winding down
	// Backends is the number of VUs on each backend, when the scenario
	// names backends (socketio option backend); nil otherwise.
	Backends map[string]int64
}

// Runner runs one test. Create it with New, then call Run once; Status may be
// called from any goroutine meanwhile.
type Runner struct {
	cfg   Config
	grace time.Duration
	names []string // metric-safe scenario names
	rng   *rand.Rand
	m     engineMetrics

	start    atomic.Int64 // unix nanoseconds of the run's start; 0 before
	phase    atomic.Int64
	active   atomic.Int64
	offered  atomic.Int64
	launched atomic.Int64
	finished atomic.Bool
	nextID   atomic.Uint64
	// cancelled counts VUs stopped by the end of the grace period or an
	// interrupt.
	cancelled atomic.Int64

	// runFlow, when set, runs a VU's flow in place of its program: tests
	// of arrival timing set one that does no I/O, so that they can run in
	// a synctest bubble.
	runFlow func(ctx context.Context, v *vu) error
	// parkAfter is the shortest think that parks its VU, holding no
	// goroutine (defaultParkAfter); 0 never parks, for tests that compare.
	parkAfter time.Duration
	// parked counts the VUs parked now.
	parked atomic.Int64
	// vuStarts hands arrivals to idle VU workers (see startVU), counted
	// by idleVUWorkers; closed when the arrivals are over.
	vuStarts      chan *vu
	idleVUWorkers atomic.Int32
	// stepContexts keeps the step contexts of VUs that parked or ended,
	// for the next to wait in (made by Run, for its VU context).
	stepContexts *stepContextPool

	// backends counts the VUs per backend; nil when no scenario names
	// backends.
	backends *backendSet

	waits map[*scenario.Scenario]*waitSet
	// thinks are the lengths of the thinks that have one: a static
	// duration and no jitter (see thinkPause).
	thinks map[*scenario.ThinkStep]time.Duration
	// plainAcks are the acks that pass their step's check as they are
	// (see preparePlainAcks).
	plainAcks map[*scenario.Check][]byte
	http      *httpRunner // the HTTP steps' client; nil without HTTP steps

	// Per-event metrics, each bounded to maxEventNames names.
	responseTimes, events, unmatched, waitTimes, listened, deliveries *eventHandles

	// traces and groups follow traced emits; nil when the script has no
	// {{ $trace }}, so that receiving costs nothing more.
	traces     *traces
	groups     *groups
	unfollowed metrics.Counter

	// prepared holds the client configuration of each scenario's socketio
	// options (*scenario.SocketIOOptions -> *preparedClient), made once.
	prepared sync.Map
	perVU    perVUCounters
	hooks    runHooks
}

// New checks cfg and prepares a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Script == nil || cfg.Registry == nil {
		return nil, errors.New("engine: Script and Registry are required")
	}
	if len(cfg.Script.Scenarios) == 0 {
		return nil, errors.New("engine: the script has no scenarios")
	}
	if err := cfg.Plan.Validate(); err != nil {
		return nil, err
	}
	if cfg.Seed == 0 {
		cfg.Seed = rand.Uint64() | 1
	}
	if addrs := cfg.Script.Config.SocketIO.SourceAddresses; cfg.DialContext == nil && len(addrs) > 0 {
		cfg.DialContext = NewRotatingDialer(addrs).DialContext
	}
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
	r := &Runner{cfg: cfg, grace: cfg.Grace, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	if r.grace <= 0 {
		r.grace = DefaultGrace(cfg.Script)
	}
	total := 0
	for i, sc := range cfg.Script.Scenarios {
		total += sc.Weight
		r.names = append(r.names, cfg.Script.ScenarioName(i))
	}
	if total <= 0 {
		return nil, errors.New("engine: every scenario has weight 0, so no VU can start; give one a positive weight")
	}
	r.m = newEngineMetrics(cfg.Registry)
	r.perVU = newPerVUCounters(cfg.Registry, r.names)
	r.hooks = newRunHooks(r)
	for _, sc := range cfg.Script.Scenarios {
		if sc.SocketIO.Backend.IsSet() {
			r.backends = newBackendSet(cfg.Registry)
		}
	}
	if len(httpStepNames(cfg.Script)) > 0 {
		r.http = newHTTPRunner(&r.cfg) // a run without HTTP steps reports no http.* metrics
	}
	r.prepareWaits()
	r.prepareThinks()
	r.preparePlainAcks()
	reg := cfg.Registry
	r.responseTimes = newEventHandles(reg, MetricResponseTime+".")
	r.events = newEventHandles(reg, MetricEvents)
	r.unmatched = newEventHandles(reg, MetricUnmatched)
	r.waitTimes = newEventHandles(reg, MetricWaitTime)
	r.listened = newEventHandles(reg, MetricListened)
	if cfg.Script.Traced() {
		run := cfg.RunID
		if run == 0 {
			run = rand.Uint64() | 1
		}
		r.deliveries = newEventHandles(reg, MetricDeliveryTime+".")
		r.traces = newTraces(reg, run, cfg.Script.Config.Timeout)
		r.groups = newGroups()
		r.unfollowed = reg.Counter(MetricTracesUnfollowed)
	}
	r.parkAfter = defaultParkAfter
	return r, nil
}

// Seed returns the seed of the run's random choices (chosen by New when
// Config.Seed is 0), with which Plan.Schedule gives the run's instants.
func (r *Runner) Seed() uint64 { return r.cfg.Seed }

// Status returns a snapshot of the run's progress.
func (r *Runner) Status() Status {
	s := Status{
		Total:    r.cfg.Plan.Duration(),
		Phase:    int(r.phase.Load()),
		Active:   r.active.Load(),
		Offered:  r.offered.Load(),
		Launched: r.launched.Load(),
		Finished: r.finished.Load(),
	}
	if r.backends != nil {
		s.Backends = r.backends.snapshot()
	}
	if st := r.start.Load(); st != 0 {
		s.Elapsed = time.Since(time.Unix(0, st))
	}
	return s
}

// Run runs the plan. It returns when every VU has ended: after the last
// arrival and the grace period, or soon after ctx ends (an interrupt: no
// more arrivals, running VUs cancelled). The error is non-nil only when the
// run could not start.
func (r *Runner) Run(ctx context.Context) (Result, error) {
	sched, err := r.cfg.Plan.Schedule(r.cfg.Seed)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	r.start.Store(start.UnixNano())
	res := Result{Start: start}

	r.vuStarts = make(chan *vu)
	vuCtx, cancelVUs := context.WithCancel(context.Background())
	defer cancelVUs()
	r.stepContexts = newStepContextPool(vuCtx)
	var wg sync.WaitGroup
	stopCPU := r.watchCPU()
	defer stopCPU()

	if r.traces != nil {
		stopSettling := make(chan struct{})
		go r.traces.settleUntil(stopSettling)
		defer func() {
			close(stopSettling)
			r.traces.settle(0, true)
		}()
	}

	res.Interrupted = r.arrive(ctx, vuCtx, sched, start, &wg)
	close(r.vuStarts) // the idle VU workers end
	r.finished.Store(true)
	r.phase.Store(int64(len(r.cfg.Plan)))

	r.windDown(ctx, &wg, cancelVUs, res.Interrupted)
	// The last websockets to leave wait for the server's close frame as
	// the others did, unless the run was interrupted.
	socketio.AwaitClosings(ctx)
	// An interrupt while the VUs drain cut the run short too: a run is
	// complete only if nothing stopped it.
	res.Interrupted = res.Interrupted || ctx.Err() != nil
	r.http.close()
	res.End = time.Now()
	res.Launched = r.launched.Load()
	res.Skipped = r.offered.Load() - res.Launched
	res.Cancelled = r.cancelled.Load()
	return res, nil
}

// arrive starts a VU at each arrival's intended instant until the schedule
// ends or ctx does; it reports whether ctx ended first.
func (r *Runner) arrive(ctx, vuCtx context.Context, sched *phases.Schedule, start time.Time, wg *sync.WaitGroup) (interrupted bool) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		a, ok := sched.Next()
		if !ok {
			// Let the last phase run to its end, so that a run lasts its
			// plan's duration, as Artillery's does.
			return !sleepUntil(ctx, timer, start, r.cfg.Plan.Duration())
		}
		r.phase.Store(int64(a.Phase))
		if !sleepUntil(ctx, timer, start, a.At) {
			return true
		}
		r.offered.Add(1)
		if max := r.cfg.Plan[a.Phase].MaxVusers; max > 0 && r.active.Load() >= max {
			r.m.skipped.Inc()
			continue
		}
		lag := time.Since(start) - a.At
		r.launch(vuCtx, wg, lag, a.Index)
	}
}

// sleepUntil waits until offset at after start; false if ctx ended first.
func sleepUntil(ctx context.Context, timer *time.Timer, start time.Time, at time.Duration) bool {
	wait := at - time.Since(start)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	timer.Reset(wait)
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		timer.Stop()
		return false
	}
}

// launch starts a VU; index numbers it in the whole plan (see
// phases.Arrival.Index), so that shards share out payload rows exactly.
func (r *Runner) launch(vuCtx context.Context, wg *sync.WaitGroup, lag time.Duration, index int64) {
	id := r.nextID.Add(1)
	idx := r.cfg.Script.PickScenario(r.rng)
	v := r.newVU(id, idx, index)
	r.launched.Add(1)
	r.active.Add(1)
	r.m.created.Inc()
	r.perVU.createdBy[idx].Inc()
	v.rec.Record(r.m.arrivalLag, max(lag, time.Microsecond))
	wg.Add(1)
	// The VU ends on whichever goroutine runs its last step.
	v.ctx, v.ended = vuCtx, func() {
		r.active.Add(-1)
		wg.Done()
	}
	r.startVU(v)
}

// startVU starts v's flow on an idle VU worker, or a new one. A goroutine
// started for every arrival grows its stack anew through the connect's
// deep calls, a measurable share of the CPU per arrival; a few kept
// workers start every VU in turn, each until it parks or ends.
func (r *Runner) startVU(v *vu) {
	select {
	case r.vuStarts <- v:
	default:
		go r.vuWorker(v)
	}
}

// maxIdleVUWorkers bounds the workers kept waiting for an arrival.
var maxIdleVUWorkers = int32(2 * runtime.GOMAXPROCS(0))

func (r *Runner) vuWorker(v *vu) {
	for {
		v.start(v.ctx, v.ended)
		if r.idleVUWorkers.Add(1) > maxIdleVUWorkers {
			r.idleVUWorkers.Add(-1)
			return
		}
		var ok bool
		v, ok = <-r.vuStarts
		r.idleVUWorkers.Add(-1)
		if !ok {
			return // the arrivals are over
		}
	}
}

// windDown waits for the running VUs: up to the grace period after a normal
// end, not at all after an interrupt; then it cancels those still running
// and waits for them to close their connections.
func (r *Runner) windDown(ctx context.Context, wg *sync.WaitGroup, cancelVUs context.CancelFunc, interrupted bool) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	if !interrupted {
		grace := time.NewTimer(r.grace)
		defer grace.Stop()
		select {
		case <-done:
			return
		case <-grace.C:
		case <-ctx.Done():
		}
	}
	cancelVUs()
	<-done
}
