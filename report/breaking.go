package report

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/scenario"
)

// Verdicts of the breaking-point analysis.
const (
	// VerdictBroken: the target broke; BreakingPoint.FirstBad says when
	// and Capacity what it held before.
	VerdictBroken = "broken"
	// VerdictNone: the target kept up with everything offered.
	VerdictNone = "none"
	// VerdictInconclusive: the generator, not the target, limited the run
	// when it mattered, or the report has no per-second data.
	VerdictInconclusive = "inconclusive"
	// VerdictFailing: the test fails from its first second, nearly all
	// with one error (or no VU ever completed): the scenario or the
	// target's setup is wrong, which says nothing of the target's
	// capacity. BreakingPoint.Error names the error.
	VerdictFailing = "failing"
)

// Kinds of reasons a window is bad.
const (
	ReasonErrors     = "errors"
	ReasonLatency    = "latency"
	ReasonConnect    = "connect"
	ReasonSaturation = "saturation"
	ReasonDelivery   = "delivery"
	ReasonReach      = "reach"
)

// Thresholds say when a window of the run is bad. A zero limit turns its
// criterion off; DefaultThresholds gives the defaults. Latencies are in
// milliseconds, durations in seconds, rates in percent.
type Thresholds struct {
	// Sustain is how long every window must stay bad for the run to count
	// as broken (rounded up to whole windows, at least one).
	Sustain float64 `json:"sustainSeconds"`
	// MaxErrorRate is the share of a window's outcomes that may be errors,
	// in percent; see ErrorRatio.
	MaxErrorRate float64 `json:"maxErrorRatePercent"`
	// P99 is an absolute limit on socketio.response_time's p99.
	P99 float64 `json:"p99Ms,omitempty"`
	// P99Factor limits the p99 relative to the run's baseline (the median
	// p99 of its first healthy windows): a window is bad past
	// max(P99Factor × baseline, P99Floor).
	P99Factor float64 `json:"p99Factor"`
	P99Floor  float64 `json:"p99FloorMs"`
	// ConnectP99, ConnectFactor and ConnectFloor are the same limits on
	// socketio.connect_time's p99. They are off by default: on a busy
	// machine connect time mostly measures the machine (the TLS and
	// websocket handshakes of both sides), and a target that cannot take
	// more connections shows it in errors.
	ConnectP99    float64 `json:"connectP99Ms,omitempty"`
	ConnectFactor float64 `json:"connectFactor"`
	ConnectFloor  float64 `json:"connectFloorMs"`
	// Saturation is how far, in percent, emits per offered arrival may
	// fall below the best earlier healthy window's before the target
	// counts as saturated (it no longer follows the offered rate).
	Saturation float64 `json:"saturationPercent"`
	// Baseline is how much of the run's start (its first healthy windows)
	// sets the latency baselines.
	Baseline float64 `json:"baselineSeconds"`
	// DeliveryP99 is an absolute limit on socketio.delivery_time's p99
	// (traced messages, at their recipients); MinReach the lowest reach,
	// in percent, of the traced messages settled in a window. Both off by
	// default.
	DeliveryP99 float64 `json:"deliveryP99Ms,omitempty"`
	MinReach    float64 `json:"minReachPercent,omitempty"`
}

// DefaultThresholds are the limits used unless the scenario
// (config.plugins.breakingPoint) or the command line set others.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Sustain:      3,
		MaxErrorRate: 5,
		P99Factor:    3,
		P99Floor:     50,
		ConnectFloor: 100,
		Saturation:   30,
		Baseline:     5,
	}
}

// With returns th with the thresholds a scenario sets
// (config.plugins.breakingPoint) in their place.
func (th Thresholds) With(bp scenario.BreakingPoint) Thresholds {
	seconds := func(into *float64, d *time.Duration) {
		if d != nil {
			*into = d.Seconds()
		}
	}
	millis := func(into *float64, d *time.Duration) {
		if d != nil {
			*into = float64(*d) / float64(time.Millisecond)
		}
	}
	number := func(into *float64, n *float64) {
		if n != nil {
			*into = *n
		}
	}
	seconds(&th.Sustain, bp.Sustain)
	seconds(&th.Baseline, bp.Baseline)
	millis(&th.P99, bp.P99)
	millis(&th.P99Floor, bp.P99Floor)
	millis(&th.ConnectP99, bp.ConnectP99)
	millis(&th.ConnectFloor, bp.ConnectFloor)
	number(&th.MaxErrorRate, bp.MaxErrorRate)
	number(&th.P99Factor, bp.P99Factor)
	number(&th.ConnectFactor, bp.ConnectFactor)
	number(&th.Saturation, bp.Saturation)
	millis(&th.DeliveryP99, bp.DeliveryP99)
	number(&th.MinReach, bp.MinReach)
	return th
}

// BreakingPoint is the result of the analysis of a run's windows: where the
// target stopped keeping up with the load, if it did.
type BreakingPoint struct {
	Verdict string `json:"verdict"`
	// Summary is the one or two plain sentences the run summary prints.
	Summary string `json:"summary"`
	// Capacity is the load of the last good window before the first bad
	// one (nil when the run was bad from its start); for VerdictNone, the
	// highest load the target took.
	Capacity *Load `json:"capacity,omitempty"`
	// FirstBad is the first window of the sustained bad run, with Reasons
	// why it is bad.
	FirstBad *Load    `json:"firstBad,omitempty"`
	Reasons  []Reason `json:"reasons,omitempty"`
	// Error is, for VerdictFailing, the error code that dominates.
	Error string `json:"error,omitempty"`
	// Generator says why the generator made the result inconclusive.
	Generator string `json:"generator,omitempty"`
	// BaselineP99 and BaselineConnectP99 are the run's own early p99s, in
	// ms (0 when the run has none).
	BaselineP99        float64 `json:"baselineP99Ms"`
	BaselineConnectP99 float64 `json:"baselineConnectP99Ms"`
	// WindowSeconds is the length of the windows analysed: 1 for the
	// one-second windows, the interval for reports that only have those.
	WindowSeconds float64    `json:"windowSeconds"`
	Thresholds    Thresholds `json:"thresholds"`
}

// Load is what one window of the run carried.
type Load struct {
	// Window is its index in Report.Windows; Offset its start from the
	// run's first window, in seconds.
	Window   int     `json:"window"`
	Offset   float64 `json:"offsetSeconds"`
	Offered  float64 `json:"offered"`
	Achieved float64 `json:"achieved"`
	Active   int64   `json:"active"`
	Emits    float64 `json:"emits"`
	// Served is the successful responses per second: acks and responses
	// that are not the server's refusal (ErrorAcks, per second).
	Served      float64 `json:"served"`
	ErrorAcks   float64 `json:"errorAcks,omitempty"`
	ResponseP99 float64 `json:"responseP99Ms"`
	ErrorRatio  float64 `json:"errorRatio"`
}

// Reason is one criterion a window failed, with its numbers.
type Reason struct {
	Kind  string  `json:"kind"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Text  string  `json:"text"`
}

// minSeconds is the shortest window analysed: a sliver at the run's start
// or end has rates too noisy to judge.
const minSeconds = 0.25

// saturationSpan is how many windows the emits-per-arrival yield is summed
// over, so that a flow's own delay between arrival and emit is smoothed out;
// minSpanArrivals is the fewest offered arrivals in the span for a yield.
const (
	saturationSpan  = 3
	minSpanArrivals = 10
)

// ErrorRatio is the share of a window's outcomes that were errors:
// errors / (timed responses + errors), where the acks that carry the
// server's refusal (ErrorAcks) are errors, not responses. An ack that
// arrives but fails its check counts as a response and an error, so a
// window where every ack fails shows 50%. In a run with no timed responses at all, it is the
// share of VUs that ended in the window that failed.
func ErrorRatio(w Window, runHasResponses bool) float64 {
	errs := w.ErrorAcks
	for _, n := range w.Errors {
		errs += n
	}
	if errs == 0 {
		return 0
	}
	if runHasResponses {
		return float64(errs) / float64(w.Responses+errs)
	}
	if ended := w.Completed + w.Failed; ended > 0 {
		return min(1, float64(w.Failed)/float64(ended))
	}
	return 1
}

// generatorLimit returns why the generator, rather than the target, limited
// window i, or "": its CPU reached CPULimit; VUs started LagLimit late at
// the 99th percentile; the window lasted half as long again as the run's
// windows (the generator's own once-a-second tick ran late: the machine
// was starved); or fewer than 80% of the offered arrivals started over the
// window and the two before it.
func generatorLimit(ws []Window, i int, span float64) string {
	w := ws[i]
	switch {
	case w.CPU >= CPULimit:
		return fmt.Sprintf("its CPU was %.0f%% of all cores", 100*w.CPU)
	case w.ArrivalLagP99 >= float64(LagLimit/time.Millisecond):
		return fmt.Sprintf("VUs started %s ms late (arrival lag p99)", groupDigits(w.ArrivalLagP99))
	case w.Seconds > 1.5*span:
		return fmt.Sprintf("the machine was overloaded: its once-a-second tick ran %s s late", groupDigits(w.Seconds-span))
	}
	var offered, achieved float64
	for j := max(0, i-2); j <= i; j++ {
		offered += ws[j].Offered * ws[j].Seconds
		achieved += ws[j].Achieved * ws[j].Seconds
	}
	if offered >= minSpanArrivals && achieved < 0.8*offered {
		return fmt.Sprintf("it started %.0f of %.0f offered arrivals", achieved, offered)
	}
	return ""
}

// analysis holds the per-window results of FindBreakingPoint.
type analysis struct {
	ws        []Window
	th        Thresholds
	use       []bool // long enough to judge
	reasons   [][]Reason
	generator []string
	errRatio  []float64
	span      float64 // window length, s
}

// FindBreakingPoint analyses a run's windows with th and returns where the
// target broke: the first run of windows lasting th.Sustain in which every
// window breaks a limit (errors, latency, connect time or saturation). It
// never claims a breaking point where the generator was limited (see
// generatorLimit) in the bad run, the window before it or a quarter of the
// windows before it, nor the absence of one where the generator was
// limited for th.Sustain: the verdict is then inconclusive. A run shorter
// than th.Sustain has none. It is a pure function of its arguments.
func FindBreakingPoint(ws []Window, th Thresholds) BreakingPoint {
	bp := BreakingPoint{Thresholds: th}
	if len(ws) == 0 {
		bp.Verdict = VerdictInconclusive
		bp.Summary = "Breaking point: inconclusive: the report has no per-second windows to analyse."
		return bp
	}
	a := analyse(ws, th)
	bp.WindowSeconds = a.span
	bp.BaselineP99, bp.BaselineConnectP99 = a.baselines()
	a.judge(bp.BaselineP99, bp.BaselineConnectP99)
	sustain := max(1, int(math.Ceil(th.Sustain/a.span-1e-9)))
	if code, share, why, ok := a.failingTest(sustain); ok {
		bp.Verdict = VerdictFailing
		bp.Error = code
		bp.Summary = fmt.Sprintf("Failing test: %s, %s%% of the errors %s. The scenario or the target's setup is wrong, not the target's capacity: see the first errors.",
			why, pct(share), code)
		return bp
	}
	if usable := a.usable(); usable < sustain {
		bp.Verdict = VerdictNone
		bp.Summary = fmt.Sprintf("No breaking point: the run was too short to judge (%d window(s) of %s s; a breaking point must last %s s).",
			usable, groupDigits(a.span), groupDigits(th.Sustain))
		return bp
	}

	if first, ok := a.firstRun(sustain, func(i int) bool { return len(a.reasons[i]) > 0 }); ok {
		bp.FirstBad = a.load(first)
		bp.Reasons = a.reasons[first]
		if good := a.lastGood(first); good >= 0 {
			bp.Capacity = a.load(good)
		}
		if why := a.setupDoubt(first, sustain); why != "" {
			bp.Verdict = VerdictInconclusive
			bp.Generator = why
			bp.Summary = "Breaking point: inconclusive: " + why + "."
			return bp
		}
		if why := a.generatorDoubt(first, sustain); why != "" {
			bp.Verdict = VerdictInconclusive
			bp.Generator = why
			bp.Summary = inconclusiveSummary(bp)
			return bp
		}
		bp.Verdict = VerdictBroken
		bp.Summary = brokenSummary(bp)
		return bp
	}
	peak := a.peak()
	if peak >= 0 {
		bp.Capacity = a.load(peak)
	}
	if first, ok := a.firstRun(sustain, func(i int) bool { return a.generator[i] != "" }); ok {
		bp.Verdict = VerdictInconclusive
		bp.Generator = fmt.Sprintf("the generator was limited from %s: %s", offset(a.offset(first)), a.generator[first])
		bp.Summary = inconclusiveSummary(bp)
		return bp
	}
	bp.Verdict = VerdictNone
	worstP99, worstErrors := a.worst()
	bp.Summary = noneSummary(bp, worstP99, worstErrors)
	return bp
}

// setupErrors are the error codes that say the deployment is set up wrong
// rather than overloaded, with what they mean.
var setupErrors = map[string]string{
	engine.CodeSessionUnknown: "the load balancer sent requests of one Engine.IO session to different backends, which is its setup, not load: " +
		"make it sticky (a cookie or the client's address) or use transports: [\"websocket\"]",
}

// setupDoubt says why a bad run starting at first is the deployment's setup
// rather than its capacity, or "": most of its errors have a code of
// setupErrors.
func (a *analysis) setupDoubt(first, sustain int) string {
	total, byCode := int64(0), map[string]int64{}
	for j := first; j < first+sustain && j < len(a.ws); j++ {
		for code, n := range a.ws[j].Errors {
			total += n
			if setupErrors[code] != "" {
				byCode[code] += n
			}
		}
	}
	for code, n := range byCode {
		if 2*n >= total {
			return fmt.Sprintf("%s of the %s errors from %s were %s (%s)",
				groupDigits(float64(n)), groupDigits(float64(total)), offset(a.offset(first)), code, setupErrors[code])
		}
	}
	return ""
}

// generatorDoubt says why a bad run starting at first cannot be blamed on
// the target, or "": the generator was limited in the bad run or the
// window before it, or in more than a quarter of the windows before it
// (then the baseline and the best yield were measured on a limited
// generator too).
func (a *analysis) generatorDoubt(first, sustain int) string {
	for j := max(0, first-1); j < first+sustain && j < len(a.ws); j++ {
		if a.use[j] && a.generator[j] != "" {
			return fmt.Sprintf("the generator was limited at %s: %s", offset(a.offset(j)), a.generator[j])
		}
	}
	limited, before, firstLimited := 0, 0, -1
	for j := 0; j < first; j++ {
		if !a.use[j] {
			continue
		}
		before++
		if a.generator[j] != "" {
			limited++
			if firstLimited < 0 {
				firstLimited = j
			}
		}
	}
	if limited > 0 && 4*limited > before {
		return fmt.Sprintf("the generator was limited in %d of the %d seconds before (from %s: %s)", limited, before, offset(a.offset(firstLimited)), a.generator[firstLimited])
	}
	return ""
}

// dominantShare is the share of a run's errors one code must have for a run
// bad from its first second to be a failing test rather than a target
// overloaded from the start.
const dominantShare = 0.8

// loadErrors are the codes a load causes: a target overloaded from the
// start shows them, so they alone never make a failing test (unless no VU
// completed at all).
var loadErrors = map[string]bool{
	"ack timeout": true, "response timeout": true, "waitFor timeout": true, "emit timeout": true,
	"ETIMEDOUT": true, "ECONNRESET": true, "EADDRNOTAVAIL": true, "EMFILE": true, "error acks": true,
}

// failingTest reports whether the run is a failing test rather than a load
// test, when its most frequent error code is one that a load does not
// cause (see loadErrors): no VU completed while some failed, or the
// windows were bad for errors, half or more of their outcomes, from the
// first one on, for sustain windows or to the run's end, that code making
// dominantShare of the errors. A target that times out under load from
// the start is overloaded, not a failing test, even when no VU completed
// (flows that loop until the run ends never do). It returns that
// code, its share and what made the run a failing test.
func (a *analysis) failingTest(sustain int) (code string, share float64, why string, ok bool) {
	var completed, failed int64
	errs := map[string]int64{}
	for _, w := range a.ws {
		completed += w.Completed
		failed += w.Failed
		for c, n := range w.Errors {
			errs[c] += n
		}
		if w.ErrorAcks > 0 {
			errs["error acks"] += w.ErrorAcks
		}
	}
	var total int64
	for c, n := range errs {
		total += n
		if n > errs[code] || (n == errs[code] && c < code) {
			code = c
		}
	}
	if total == 0 {
		return "", 0, "", false
	}
	share = float64(errs[code]) / float64(total)
	if loadErrors[code] {
		return "", 0, "", false
	}
	if completed == 0 && failed > 0 {
		return code, share, fmt.Sprintf("no VU completed and %s failed", groupDigits(float64(failed))), true
	}
	if share < dominantShare {
		return "", 0, "", false
	}
	run, first := 0, -1
	for i := range a.ws {
		if !a.use[i] {
			continue
		}
		if !a.errorsBad(i) || a.errRatio[i] < 0.5 {
			break
		}
		if first < 0 {
			first = i
		}
		run++
	}
	if run == 0 || (run < sustain && run < a.usable()) {
		return "", 0, "", false
	}
	return code, share, fmt.Sprintf("from its first second, %s%% of the outcomes were errors", pct(a.errRatio[first])), true
}

func analyse(ws []Window, th Thresholds) *analysis {
	a := &analysis{
		ws: ws, th: th,
		use:       make([]bool, len(ws)),
		reasons:   make([][]Reason, len(ws)),
		generator: make([]string, len(ws)),
		errRatio:  make([]float64, len(ws)),
	}
	hasResponses := false
	var spans []float64
	for _, w := range ws {
		hasResponses = hasResponses || w.Responses > 0 || w.ErrorAcks > 0
		if w.Seconds >= minSeconds {
			spans = append(spans, w.Seconds)
		}
	}
	a.span = 1
	if len(spans) > 0 {
		a.span = median(spans)
	}
	for i, w := range ws {
		a.use[i] = w.Seconds >= minSeconds
		a.errRatio[i] = ErrorRatio(w, hasResponses)
		a.generator[i] = generatorLimit(ws, i, a.span)
	}
	return a
}

// baselines returns the median p99s of the first healthy windows: long
// enough, with responses, no generator limit and errors within the limit.
func (a *analysis) baselines() (response, connect float64) {
	n := max(1, int(math.Ceil(a.th.Baseline/a.span-1e-9)))
	var rs, cs []float64
	for i, w := range a.ws {
		if len(rs) >= n {
			break
		}
		if !a.use[i] || w.Responses == 0 || a.generator[i] != "" || a.errorsBad(i) {
			continue
		}
		rs = append(rs, w.ResponseP99)
		if w.ConnectP99 > 0 {
			cs = append(cs, w.ConnectP99)
		}
	}
	return median(rs), median(cs)
}

func (a *analysis) errorsBad(i int) bool {
	return a.th.MaxErrorRate > 0 && a.errRatio[i] > a.th.MaxErrorRate/100
}

// judge fills in the reasons every window is bad.
func (a *analysis) judge(baseP99, baseConnect float64) {
	bestYield := 0.0
	for i, w := range a.ws {
		if !a.use[i] {
			continue
		}
		var rs []Reason
		if a.errorsBad(i) {
			rs = append(rs, Reason{Kind: ReasonErrors, Value: 100 * a.errRatio[i], Limit: a.th.MaxErrorRate,
				Text: fmt.Sprintf("errors %s%% > %s%% (%s)", pct(a.errRatio[i]), groupDigits(a.th.MaxErrorRate), topErrors(windowErrors(w)))})
		}
		if w.Responses > 0 {
			if r, bad := latencyReason(ReasonLatency, "p99", w.ResponseP99, a.th.P99, a.th.P99Factor, a.th.P99Floor, baseP99); bad {
				rs = append(rs, r)
			}
		}
		if w.ConnectP99 > 0 {
			if r, bad := latencyReason(ReasonConnect, "connect p99", w.ConnectP99, a.th.ConnectP99, a.th.ConnectFactor, a.th.ConnectFloor, baseConnect); bad {
				rs = append(rs, r)
			}
		}
		rs = append(rs, a.broadcastReasons(w)...)
		yield, offered, ok := a.yield(i)
		if ok && a.th.Saturation > 0 && bestYield > 0 && yield < (1-a.th.Saturation/100)*bestYield {
			rs = append(rs, Reason{Kind: ReasonSaturation, Value: yield, Limit: bestYield,
				Text: fmt.Sprintf("%s emits/s at %s arrivals/s offered: %s emits per arrival, %.0f%% below the run's best %s",
					groupDigits(w.Emits), groupDigits(offered), twoDigits(yield), 100*(1-yield/bestYield), twoDigits(bestYield))})
		}
		a.reasons[i] = rs
		if ok && len(rs) == 0 && a.generator[i] == "" {
			bestYield = max(bestYield, yield)
		}
	}
}

// broadcastReasons judges a window's traced messages: their delivery p99
// against DeliveryP99, the reach of those settled in it against MinReach.
func (a *analysis) broadcastReasons(w Window) []Reason {
	var rs []Reason
	if a.th.DeliveryP99 > 0 && w.Deliveries > 0 && w.DeliveryP99 > a.th.DeliveryP99 {
		rs = append(rs, Reason{Kind: ReasonDelivery, Value: w.DeliveryP99, Limit: a.th.DeliveryP99,
			Text: fmt.Sprintf("delivery p99 %s ms > %s ms", groupDigits(w.DeliveryP99), groupDigits(a.th.DeliveryP99))})
	}
	if a.th.MinReach > 0 && w.Expected > 0 {
		if reach := 100 * float64(w.Delivered) / float64(w.Expected); reach < a.th.MinReach {
			rs = append(rs, Reason{Kind: ReasonReach, Value: reach, Limit: a.th.MinReach,
				Text: fmt.Sprintf("reach %.1f%% < %s%% (%d of %d recipients)", reach, groupDigits(a.th.MinReach), w.Delivered, w.Expected)})
		}
	}
	return rs
}

// latencyReason checks a p99 against an absolute limit and one relative to
// the baseline.
func latencyReason(kind, label string, p99, absolute, factor, floor, baseline float64) (Reason, bool) {
	if absolute > 0 && p99 > absolute {
		return Reason{Kind: kind, Value: p99, Limit: absolute,
			Text: fmt.Sprintf("%s %s ms > %s ms", label, groupDigits(p99), groupDigits(absolute))}, true
	}
	if factor <= 0 || baseline <= 0 {
		return Reason{}, false
	}
	relative := factor * baseline
	limit := max(relative, floor)
	if p99 <= limit {
		return Reason{}, false
	}
	text := fmt.Sprintf("%s %s ms > %s× baseline %s ms", label, groupDigits(p99), groupDigits(factor), groupDigits(baseline))
	if floor > relative {
		text = fmt.Sprintf("%s %s ms > %s ms (floor; baseline %s ms)", label, groupDigits(p99), groupDigits(floor), groupDigits(baseline))
	}
	return Reason{Kind: kind, Value: p99, Limit: limit, Text: text}, true
}

// yield returns the emits per offered arrival over the span of windows
// ending at i, and the span's offered rate. ok is false when the span
// offered too few arrivals, or when the offered rate fell in it (emits of
// earlier, larger arrivals would inflate the yield).
func (a *analysis) yield(i int) (yield, offeredRate float64, ok bool) {
	var emits, arrivals, secs, before float64
	for j := max(0, i-saturationSpan+1); j <= i; j++ {
		emits += a.ws[j].Emits * a.ws[j].Seconds
		arrivals += a.ws[j].Offered * a.ws[j].Seconds
		secs += a.ws[j].Seconds
	}
	for j := max(0, i-saturationSpan); j < i; j++ {
		before = max(before, a.ws[j].Offered)
	}
	if arrivals < minSpanArrivals || a.ws[i].Offered < 0.9*before {
		return 0, 0, false
	}
	return emits / arrivals, arrivals / secs, true
}

// usable counts the windows long enough to judge.
func (a *analysis) usable() int {
	n := 0
	for _, ok := range a.use {
		if ok {
			n++
		}
	}
	return n
}

// firstRun returns the first window starting n consecutive usable windows
// that satisfy bad. Windows too short to judge are skipped over, neither
// breaking nor extending a run.
func (a *analysis) firstRun(n int, bad func(int) bool) (int, bool) {
	start, count := -1, 0
	for i := range a.ws {
		if !a.use[i] {
			continue
		}
		if !bad(i) {
			start, count = -1, 0
			continue
		}
		if count == 0 {
			start = i
		}
		count++
		if count >= n {
			return start, true
		}
	}
	return -1, false
}

// lastGood returns the last usable window before i with no reason to be
// bad and of full length, or -1: a partial window's rate is its few
// arrivals divided by a fraction of a second, an extrapolation (a constant
// 5/s phase whose first 0.74 s held 5 arrivals is not 6.8/s).
func (a *analysis) lastGood(i int) int {
	for j := i - 1; j >= 0; j-- {
		if a.use[j] && len(a.reasons[j]) == 0 && a.ws[j].Seconds >= 0.9*a.span {
			return j
		}
	}
	return -1
}

// peak returns the window with the highest offered rate (the latest of
// equals: a steady phase's VUs have all got going by then), full-length
// windows inside the run first (a partial one's rate is an extrapolation,
// and the first one's emits lag its arrivals), then full-length ones, or
// -1.
func (a *analysis) peak() int {
	best := -1
	for pass := range 3 {
		for i, w := range a.ws {
			full := w.Seconds >= 0.9*a.span
			inside := full && i > 0 && i < len(a.ws)-1
			if !a.use[i] || (pass == 0 && !inside) || (pass == 1 && !full) {
				continue
			}
			if best < 0 || w.Offered >= a.ws[best].Offered {
				best = i
			}
		}
		if best >= 0 {
			return best
		}
	}
	return best
}

// worst returns the highest window p99 and error ratio of the run.
func (a *analysis) worst() (p99, errRatio float64) {
	for i, w := range a.ws {
		if a.use[i] {
			p99 = max(p99, w.ResponseP99)
			errRatio = max(errRatio, a.errRatio[i])
		}
	}
	return p99, errRatio
}

func (a *analysis) offset(i int) float64 {
	return a.ws[i].Start.Sub(a.ws[0].Start).Seconds()
}

func (a *analysis) load(i int) *Load {
	w := a.ws[i]
	return &Load{
		Window: i, Offset: a.offset(i),
		Offered: w.Offered, Achieved: w.Achieved, Active: w.Active, Emits: w.Emits,
		ResponseP99: w.ResponseP99, ErrorRatio: a.errRatio[i],
		Served: perSecondOf(w.Responses, w), ErrorAcks: perSecondOf(w.ErrorAcks, w),
	}
}

func brokenSummary(bp BreakingPoint) string {
	var b strings.Builder
	b.WriteString("Breaking point: ")
	if bp.Capacity != nil {
		fmt.Fprintf(&b, "at %s ", loadText(bp.Capacity))
	}
	fmt.Fprintf(&b, "from %s: %s.", offset(bp.FirstBad.Offset), reasonsText(bp.Reasons))
	if bp.Capacity == nil {
		b.WriteString(" The target was overloaded from the start of the run: start lower.")
	}
	return b.String()
}

func inconclusiveSummary(bp BreakingPoint) string {
	var b strings.Builder
	b.WriteString("Breaking point: inconclusive: " + bp.Generator)
	if bp.FirstBad != nil {
		fmt.Fprintf(&b, ", when the target looked broken (%s)", reasonsText(bp.Reasons))
	}
	b.WriteString(".")
	if bp.Capacity != nil {
		verb := "took"
		if bp.FirstBad != nil {
			verb = "held"
		}
		fmt.Fprintf(&b, " The target %s %s at least;", verb, loadText(bp.Capacity))
	}
	b.WriteString(" run fewer VUs per process or shard the run to push it further.")
	return b.String()
}

func noneSummary(bp BreakingPoint, worstP99, worstErrors float64) string {
	if bp.Capacity == nil {
		return "No breaking point: the run had no window long enough to judge."
	}
	return fmt.Sprintf("No breaking point: the target kept up with up to %s; worst p99 %s ms, errors %s%%.",
		loadText(bp.Capacity), groupDigits(worstP99), pct(worstErrors))
}

// loadText says a load the way people read it: "412 arrivals/s (≈ 820
// emits/s, 1,650 VUs)".
func loadText(l *Load) string {
	if l.ErrorAcks > 0 {
		// Throughput is what the target served, not what it refused.
		return fmt.Sprintf("%s arrivals/s (≈ %s emits/s, %s served/s, %s VUs)", groupDigits(l.Offered), groupDigits(l.Emits), groupDigits(l.Served), groupDigits(float64(l.Active)))
	}
	return fmt.Sprintf("%s arrivals/s (≈ %s emits/s, %s VUs)", groupDigits(l.Offered), groupDigits(l.Emits), groupDigits(float64(l.Active)))
}

// perSecondOf is a window's count per second.
func perSecondOf(n int64, w Window) float64 {
	if w.Seconds <= 0 {
		return 0
	}
	return float64(n) / w.Seconds
}

func reasonsText(rs []Reason) string {
	texts := make([]string, len(rs))
	for i, r := range rs {
		texts[i] = r.Text
	}
	return strings.Join(texts, "; ")
}

// windowErrors are a window's errors by code, its error acks as "error
// acks".
func windowErrors(w Window) map[string]int64 {
	if w.ErrorAcks == 0 {
		return w.Errors
	}
	errs := maps.Clone(w.Errors)
	if errs == nil {
		errs = map[string]int64{}
	}
	errs["error acks"] = w.ErrorAcks
	return errs
}

// topErrors names the most frequent error codes, "ack timeout 12, Failed
// match 3".
func topErrors(errs map[string]int64) string {
	codes := make([]string, 0, len(errs))
	for code := range errs {
		codes = append(codes, code)
	}
	slices.SortFunc(codes, func(x, y string) int {
		if errs[x] != errs[y] {
			return int(errs[y] - errs[x])
		}
		return strings.Compare(x, y)
	})
	var parts []string
	for i, code := range codes {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", len(codes)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", code, errs[code]))
	}
	return strings.Join(parts, ", ")
}

// offset formats seconds from the run's start as 1m12s.
func offset(secs float64) string {
	return (time.Duration(math.Round(secs)) * time.Second).String()
}

func pct(ratio float64) string {
	return groupDigits(math.Round(1000*ratio) / 10)
}

// twoDigits formats a small number with two significant decimals.
func twoDigits(f float64) string {
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// groupDigits formats a number for people: thousands separated by commas,
// no decimals from 100 up, one decimal from 10 and two below (0.85 ms).
func groupDigits(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	abs := math.Abs(f)
	var s string
	switch {
	case abs >= 100:
		s = strconv.FormatFloat(math.Round(f), 'f', 0, 64)
	case abs >= 10:
		s = strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
	default:
		s = strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
	}
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// AnalysisWindows returns the windows to analyse: the report's one-second
// windows, or, for a report that has none, its intervals seen as windows
// (their offered rate taken as the achieved one, their VUs unknown).
func (r *Report) AnalysisWindows() ([]Window, error) {
	if len(r.Windows) > 0 {
		return r.Windows, nil
	}
	snaps, err := r.Intervals()
	if err != nil {
		return nil, err
	}
	ws := make([]Window, 0, len(snaps))
	for _, s := range snaps {
		w := windowOf(s, Progress{}, s.Counters[engine.MetricVUsersCreated], r.Generator.Cores)
		w.Offered = w.Achieved
		ws = append(ws, w)
	}
	return ws, nil
}

// Analyze finds the run's breaking point with th and stores it in
// r.BreakingPoint.
func (r *Report) Analyze(th Thresholds) (*BreakingPoint, error) {
	ws, err := r.AnalysisWindows()
	if err != nil {
		return nil, err
	}
	bp := FindBreakingPoint(ws, th)
	if bp.Verdict == VerdictFailing {
		for _, e := range r.FirstErrors {
			if e.Code == bp.Error {
				bp.Summary += " First: " + sampleText(e, r.Run.Start)
				break
			}
		}
	}
	r.BreakingPoint = &bp
	return &bp, nil
}
