package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/internal/memtrim"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/phases"
	"github.com/sockload/sockload/report"
	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
	"github.com/sockload/sockload/socketio/wire"
	"github.com/sockload/sockload/target"
)

// runFlags are the options of `sockload run`, named as Artillery's.
type runFlags struct {
	target       string
	environment  string
	output       string
	overrides    string
	variables    string
	quiet        bool
	solo         bool
	scenarioName string
	insecure     bool
	serve        bool
	interval     time.Duration
	grace        time.Duration
	seed         uint64
	// Checks from the command line, added to the scenario's ensure block;
	// maxErrorRate < 0 means none.
	thresholds   []string
	maxErrorRate float64
	junit        string
	// Past one machine: this process's shard of the plan, when to start,
	// and the local addresses connections rotate over.
	shard       string
	startAt     string
	sourceAddrs string
	// serveCapacity is the built-in target's capacity under --serve.
	serveCapacity int
	// allowDeadRun exits 0 even when no VU completed and some failed.
	allowDeadRun bool
	// trace writes the first traceVUs VUs' wire traffic to stderr, or to
	// traceFile.
	trace, traceSecrets  bool
	traceFile            string
	traceVUs, traceBytes int
	// analysis holds the breaking point's thresholds and --html.
	analysis analysisFlags
	// memoryBudget bounds what reads of large messages hold at once
	// ("" for the default, "0" for none).
	memoryBudget string
	// crossHostRedirects lets polling follow redirects to other hosts.
	crossHostRedirects bool
	// Profiles of the generator itself, for go tool pprof.
	cpuProfile, memProfile string
	// listen is the address of the live metrics and annotations.
	listen string
}

func newRunCommand(pio *processIO) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a load test from a scenario file",
		Long: `Run a load test: start virtual users at the arrival rates of the scenario's
phases, each a real Socket.IO client running one of its scenarios, and report
latencies, errors and the generator's own health.

On a terminal a live view is refreshed every second; otherwise (CI logs) a
report is printed every interval. A summary follows at the end. The first
Ctrl-C stops arrivals, cancels running VUs and writes every report; a second
one exits at once, saving what it can.

Checks (config.ensure, --threshold, --max-error-rate) are printed after the
summary; a strict one that fails makes the exit code 1. A check with
abortOnFail: true stops the run as soon as it fails. With --junit the results
are also written as JUnit XML, and when GITHUB_STEP_SUMMARY is set a Markdown
summary is appended to that file.`,
		Example: `  sockload run --serve examples/my-scenario.yml
  sockload run -e staging -o report.json my-scenario.yml
  sockload run --overrides '{"config":{"phases":[{"duration":10,"arrivalRate":2}]}}' my-scenario.yml
  sockload run --serve --junit junit.xml --threshold "socketio.response_time.p99<500" examples/ci-gate.yml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTest(cmd.Context(), pio, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.target, "target", "t", "", "target URL, replacing config.target")
	fl.StringVarP(&f.environment, "environment", "e", "", "use config.environments.<name>")
	fl.StringVarP(&f.output, "output", "o", "", "write a JSON report to this file")
	fl.StringVar(&f.overrides, "overrides", "", "JSON object deep-merged over the scenario file (lists replace)")
	fl.StringVarP(&f.variables, "variables", "v", "", "JSON object of variables, replacing config.variables of the same names")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only the summary")
	fl.BoolVar(&f.solo, "solo", false, "run a single virtual user")
	fl.StringVar(&f.scenarioName, "scenario-name", "", "run only the scenario of this name")
	fl.BoolVarP(&f.insecure, "insecure", "k", false, "do not verify TLS certificates")
	fl.BoolVar(&f.serve, "serve", false, "start the built-in target on the scenario's target address (loopback only) for the run")
	fl.DurationVar(&f.interval, "interval", metrics.DefaultInterval, "length of the report intervals")
	fl.DurationVar(&f.grace, "grace", 0, "how long VUs may run after the last phase before they are cancelled (default: the longest a flow can take)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed for random choices (scenarios, payload rows, poisson arrivals); 0 picks one")
	fl.StringArrayVar(&f.thresholds, "threshold", nil, `a strict check added to config.ensure: "metric.name<limit" or a condition such as "vusers.failed == 0" (repeatable)`)
	fl.Float64Var(&f.maxErrorRate, "max-error-rate", -1, "fail the run when more than this percentage of VUs failed")
	fl.StringVar(&f.junit, "junit", "", "write the checks' results as a JUnit XML file")
	fl.StringVar(&f.shard, "shard", "", `run only shard i of n of the plan ("2/3"; "auto/3" takes i from a Kubernetes Indexed Job); merge the shards' reports with sockload merge`)
	fl.StringVar(&f.startAt, "start-at", "", "wait until this time (RFC 3339) before starting, so that shards on several machines start together")
	fl.IntVar(&f.serveCapacity, "serve-capacity", 0, "with --serve: the built-in target handles this many events per second, then queues and sheds (0: unlimited)")
	fl.BoolVar(&f.trace, "trace", false, "print every HTTP request and Engine.IO/Socket.IO packet of the first VU (--trace-vus) to stderr; auth, query values and cookies hidden")
	fl.StringVar(&f.traceFile, "trace-file", "", "write the --trace to this file instead (implies --trace)")
	fl.IntVar(&f.traceVUs, "trace-vus", 1, "how many of the first VUs --trace follows")
	fl.IntVar(&f.traceBytes, "trace-bytes", 200, "cut each traced packet to this many bytes")
	fl.BoolVar(&f.traceSecrets, "trace-secrets", false, "do not hide auth payloads and query values in the --trace")
	fl.BoolVar(&f.allowDeadRun, "allow-dead-run", false, "exit 0 even when no VU completed and some failed (by default such a run exits 1)")
	addAnalysisFlags(cmd, &f.analysis)
	fl.StringVar(&f.memoryBudget, "memory-budget", "", "memory that reads of large messages may hold at once across all VUs (512MB, 2GB; 0: none); past it a read fails its connection, counted as an error (default: half of this machine's or cgroup's memory)")
	fl.BoolVar(&f.crossHostRedirects, "follow-cross-host-redirects", false, "let polling follow HTTP redirects to another host (by default only redirects within the target's host are followed)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of sockload itself to this file (go tool pprof)")
	fl.StringVar(&f.memProfile, "memprofile", "", "write a heap profile of sockload itself to this file at the end (go tool pprof)")
	fl.StringVar(&f.listen, "listen", "", `serve live metrics (OpenMetrics, GET /metrics) and take annotations (POST /annotate with a text) on this address during the run; a port alone (":9464") listens on loopback`)
	fl.StringVar(&f.sourceAddrs, "source-addrs", "", "local addresses new connections rotate over (127.0.0.1-127.0.0.8), to hold more connections than one address has ports; replaces config.socketio.sourceAddresses")
	return cmd
}

func runTest(ctx context.Context, pio *processIO, path string, f runFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	pio, err := reportsToStdout(pio, f.output, f.junit, f.analysis.html)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	script, err := loadForRun(pio, path, f)
	if err != nil {
		return err
	}
	if _, err := checkAnalysis(script, f.analysis); err != nil {
		return err
	}
	for _, out := range []string{f.output, f.junit} {
		if out == "" {
			continue
		}
		if err := report.CheckWritable(out); err != nil {
			return withExit(exitInvalid, err)
		}
	}
	gate, err := loadGate(script, f)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	if f.interval < time.Second || f.interval%time.Second != 0 {
		return withExit(exitInvalid, fmt.Errorf("--interval %s: use a whole number of seconds, at least 1s", f.interval))
	}
	dist, err := prepareDistribution(pio, script, f)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	plan := dist.plan
	if f.serve {
		srv, err := serveTarget(ctx, script, f.serveCapacity)
		if err != nil {
			return withExit(exitInvalid, err)
		}
		defer srv.Close()
		fmt.Fprintf(pio.stderr, "Serving the built-in target on %s for this run.\n", srv.URL())
	}

	budget, err := readBudget(f.memoryBudget)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	cfg := engine.Config{
		Script: script, Plan: plan, Seed: f.seed, Grace: f.grace,
		Log:                     func(msg string) { fmt.Fprintln(pio.stdout, msg) },
		Getenv:                  pio.getenv,
		InsecureSkipVerify:      f.insecure,
		DialContext:             dist.dial,
		RunID:                   runID(f.shard, f.startAt, script.Config.Target),
		ReadBudget:              budget,
		AllowCrossHostRedirects: f.crossHostRedirects,
		// Many connections lost at once: the heap is collected before
		// their reconnections allocate and after, so that the burst's
		// peak neither stacks on the garbage of a collection cycle nor
		// leaves its own to the next.
		Losses: memtrim.NewLossCollector(memtrim.DefaultLossPolicy),
	}
	closeTrace, err := openTrace(pio, f, &cfg)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	defer closeTrace()
	probeTarget(ctx, pio, &cfg)
	if !dist.waitForStart(ctx, pio) {
		return withExit(exitInterrupted, errors.New("interrupted before the start"))
	}
	start := time.Now()
	reg := metrics.New(start, metrics.Options{Interval: f.interval, Rates: engine.Rates})
	cfg.Registry = reg
	runner, err := engine.New(cfg)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	out := newRunOutput(pio, f, script, plan, runner)
	out.reg = reg
	out.gate = gate
	out.shard = dist.shardLabel
	runCtx, interrupt := context.WithCancel(ctx)
	defer interrupt()
	// A failing abortOnFail check stops the run the way an interrupt does;
	// out.early remembers it so the exit code tells the two apart.
	collector := report.NewCollector(reg, f.interval)
	out.early = newEarlyChecks(gate, start, runSoFar(collector, start, out.intendedArrivals), interrupt,
		func(msg string) { fmt.Fprintln(pio.stderr, msg) })
	collector.OnSecond = func(second, interval metrics.Snapshot) {
		out.second(second, interval)
		out.early.evaluate()
	}
	collector.OnInterval = out.interval
	collector.Cores = runtime.NumCPU()
	collector.Progress = func() report.Progress {
		st := runner.Status()
		return report.Progress{Active: st.Active, Launched: st.Launched, Backends: st.Backends}
	}
	if f.listen != "" {
		addr, err := listenAddr(f.listen)
		if err != nil {
			return withExit(exitInvalid, err)
		}
		live, err := startLive(addr, collector, runner)
		if err != nil {
			return withExit(exitInvalid, err)
		}
		defer live.stop()
		fmt.Fprintf(pio.stderr, "Live metrics on http://%s/metrics; POST a text to http://%s/annotate to mark the timeline.\n", live.addr, live.addr)
		if pio.listening != nil {
			pio.listening(live.addr)
		}
	}

	stopSignals := watchInterrupts(pio, func() { out.early.quiet(); interrupt() }, func() {
		// A second interrupt: save what there is and exit now.
		out.finish(collector, engine.Result{Start: start, End: time.Now(), Interrupted: true}, f.output)
	})
	defer stopSignals()

	stopProfiles, err := startProfiles(f.cpuProfile, f.memProfile)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	collectCtx, stopCollecting := context.WithCancel(context.Background())
	collected := make(chan struct{})
	go func() { collector.Run(collectCtx); close(collected) }()
	printPlan(pio, f, script, plan)
	// When every VU reconnects at once the heap peaks; what the peak leaves
	// free goes back to the system instead of staying in the RSS.
	stopTrimming := memtrim.Start(memtrim.DefaultPolicy)
	// A slowly allocating run (idle or slowly acking VUs) is collected
	// every 30 s rather than the runtime's two minutes, so that its RSS
	// does not swing with two minutes of garbage.
	stopIdleCollecting := memtrim.StartIdleCollector(memtrim.DefaultIdlePolicy)
	res, runErr := runner.Run(runCtx)
	stopIdleCollecting()
	stopTrimming()
	stopCollecting()
	<-collected
	if err := stopProfiles(); err != nil {
		fmt.Fprintln(pio.stderr, "Warning:", err)
	}
	if runErr != nil {
		return withExit(exitRunError, runErr)
	}
	out.early.quiet()
	if err := out.finish(collector, res, f.output); err != nil {
		return withExit(exitRunError, err)
	}
	if pio.reported != nil {
		pio.reported()
	}
	_, stoppedByCheck := out.early.stoppedBy()
	if res.Interrupted && !stoppedByCheck {
		return withExit(exitInterrupted, errors.New("interrupted; the reports hold the partial run"))
	}
	if err := checksError(out.checkResults, out.early); err != nil {
		return withExit(exitChecksFail, err)
	}
	if !f.allowDeadRun {
		if err := deadRunError(out.report); err != nil {
			return withExit(exitChecksFail, err)
		}
	}
	return nil
}

// deadRunError fails a run in which no VU completed (nor ran to the end of
// the run, cancelled) and some failed: a test that cannot pass (a wrong
// target, path or server version, a check that never holds) must not exit
// 0 for want of an ensure block.
func deadRunError(rep *report.Report) error {
	if rep == nil {
		return nil
	}
	c := rep.Aggregate.Counters
	failed := c[engine.MetricVUsersFailed]
	// A VU still running at the end (a loop until the run ends) is
	// cancelled, not dead.
	if c[engine.MetricVUsersCompleted] > 0 || c[engine.MetricVUsersCancelled] > 0 || failed == 0 {
		return nil
	}
	first := ""
	if len(rep.FirstErrors) > 0 {
		s := rep.FirstErrors[0]
		first = fmt.Sprintf(", the first with %s: %s", s.Code, s.Message)
	}
	return fmt.Errorf("no VU completed and %d failed%s (see \"First errors\" above; --allow-dead-run exits 0 for such a run)", failed, first)
}

// loadForRun loads the scenario with the command line's changes applied.
func loadForRun(pio *processIO, path string, f runFlags) (*scenario.Script, error) {
	opts := scenario.Options{Environment: f.environment, Getenv: pio.getenv}
	if f.overrides != "" {
		opts.Overrides = []byte(f.overrides)
	}
	if f.variables != "" {
		opts.Variables = []byte(f.variables)
	}
	if f.target != "" {
		// Through the overrides, so the target is validated like one
		// written in the file.
		merged, err := mergeTargetOverride(opts.Overrides, f.target)
		if err != nil {
			return nil, withExit(exitInvalid, err)
		}
		opts.Overrides = merged
	}
	script, err := scenario.Load(path, opts)
	if err != nil {
		return nil, withExit(exitInvalid, err)
	}
	for _, w := range script.Warnings {
		fmt.Fprintln(pio.stderr, w.String())
	}
	if f.scenarioName != "" {
		if err := keepScenario(script, f.scenarioName); err != nil {
			return nil, withExit(exitInvalid, err)
		}
	}
	return script, nil
}

// mergeTargetOverride adds config.target to a JSON overrides object.
func mergeTargetOverride(overrides []byte, target string) ([]byte, error) {
	obj := map[string]any{}
	if len(overrides) > 0 {
		if err := json.Unmarshal(overrides, &obj); err != nil {
			return nil, fmt.Errorf("--overrides is not a JSON object: %w", err)
		}
	}
	cfg, _ := obj["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	cfg["target"] = target
	obj["config"] = cfg
	return json.Marshal(obj)
}

func keepScenario(s *scenario.Script, name string) error {
	var names []string
	for _, sc := range s.Scenarios {
		if sc.Name == name {
			sc.Weight = max(sc.Weight, 1)
			s.Scenarios = []scenario.Scenario{sc}
			return nil
		}
		names = append(names, fmt.Sprintf("%q", sc.Name))
	}
	return fmt.Errorf("--scenario-name %q: no scenario has that name; the file has %s", name, strings.Join(names, ", "))
}

// serveTarget starts the built-in target on the scenario's target address,
// which must be loopback: --serve never opens a port to the network.
func serveTarget(ctx context.Context, s *scenario.Script, capacity int) (*target.Server, error) {
	u, err := url.Parse(s.Config.Target)
	if err != nil {
		return nil, fmt.Errorf("--serve: target %q: %w", redactTarget(s.Config.Target), err)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		return nil, fmt.Errorf("--serve: target %q has no port; write it as http://127.0.0.1:3000", redactTarget(s.Config.Target))
	}
	if u.Scheme == "https" || u.Scheme == "wss" {
		return nil, fmt.Errorf("--serve: the built-in target speaks plain http; write the target as http://%s", u.Host)
	}
	if !isLoopback(host) {
		return nil, fmt.Errorf("--serve: target %q is not a loopback address; the built-in target only listens on this machine (use 127.0.0.1 or localhost)", redactTarget(s.Config.Target))
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if capacity < 0 {
		return nil, fmt.Errorf("--serve-capacity %d: give events per second, or 0 for no limit", capacity)
	}
	cfg := target.Config{Addr: net.JoinHostPort(host, port), EngineVersion: wire.EngineV4, Capacity: capacity}
	if len(s.Scenarios) > 0 && s.Scenarios[0].SocketIO.ServerVersion.EngineIOProtocol() == 3 {
		cfg.EngineVersion = wire.EngineV3
	}
	srv, err := target.Start(ctx, cfg)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, busyPortError(cfg.Addr, err)
	}
	return srv, err
}

// busyPortError explains a --serve whose port is taken: something already
// listens there, perhaps the server the user meant to test, or the target
// can go elsewhere.
func busyPortError(addr string, err error) error {
	msg := fmt.Sprintf("--serve: %s is already in use (%v): to test what listens there, leave out --serve; to serve on another port, give -t", addr, err)
	if ln, lerr := net.Listen("tcp", "127.0.0.1:0"); lerr == nil {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close()
		msg += " http://127.0.0.1:" + port + " (free now)"
	} else {
		msg += " http://127.0.0.1:PORT with a free port"
	}
	return errors.New(msg)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// watchInterrupts cancels the run at the first interrupt and calls last at
// the second, then exits the process.
func watchInterrupts(pio *processIO, first context.CancelFunc, last func()) (stop func()) {
	signals, stopSignals := pio.signals()
	done := make(chan struct{})
	go func() {
		select {
		case <-signals:
		case <-done:
			return
		}
		fmt.Fprintln(pio.stderr, "\nInterrupted: stopping arrivals and cancelling running VUs (Ctrl-C again to exit at once).")
		first()
		select {
		case <-signals:
		case <-done:
			return
		}
		fmt.Fprintln(pio.stderr, "Interrupted again: saving what there is and exiting.")
		last()
		pio.exit(int(exitInterrupted))
	}()
	return func() { close(done); stopSignals() }
}

func printPlan(pio *processIO, f runFlags, s *scenario.Script, plan phases.Plan) {
	if f.quiet {
		return
	}
	fmt.Fprintf(pio.stdout, "Test run: %s against %s, %d phase(s), %s, about %.0f arrivals (%d cores)\n",
		s.Path, redactTarget(s.Config.Target), len(plan), plan.Duration(), plan.ExpectedCount(), runtime.NumCPU())
}

// readBudget is the run's socketio.ReadBudget from --memory-budget: the
// machine-derived default when empty, none for 0.
func readBudget(flag string) (*socketio.ReadBudget, error) {
	n := defaultMemoryBudget()
	if flag != "" {
		var err error
		if n, err = parseSize(flag); err != nil {
			return nil, fmt.Errorf("--memory-budget: %w", err)
		}
	}
	if n <= 0 {
		return nil, nil
	}
	return socketio.NewReadBudget(n), nil
}

// probeTarget checks the target before the load starts and says what it
// found: the server version it detected, or why no VU will connect (the
// run goes on, so that its report shows the same; a run in which no VU
// completes exits 1).
func probeTarget(ctx context.Context, pio *processIO, cfg *engine.Config) {
	notice, err := engine.Probe(ctx, cfg)
	if notice != "" {
		fmt.Fprintln(pio.stderr, notice)
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(pio.stderr, "Target check failed: %v\n", err)
	}
}

// openTrace sets up --trace: to stderr, or to --trace-file.
func openTrace(pio *processIO, f runFlags, cfg *engine.Config) (closeTrace func(), err error) {
	if !f.trace && f.traceFile == "" {
		return func() {}, nil
	}
	if f.traceVUs < 1 || f.traceBytes < 1 {
		return nil, fmt.Errorf("--trace-vus %d and --trace-bytes %d: give positive numbers", f.traceVUs, f.traceBytes)
	}
	t := &engine.WireTrace{W: pio.stderr, VUs: f.traceVUs, MaxBytes: f.traceBytes, Secrets: f.traceSecrets}
	cfg.WireTrace = t
	if f.traceFile == "" {
		return func() {}, nil
	}
	file, err := os.Create(f.traceFile)
	if err != nil {
		return nil, fmt.Errorf("--trace-file: %w (choose a writable path)", err)
	}
	t.W = file
	return func() { file.Close() }, nil
}
