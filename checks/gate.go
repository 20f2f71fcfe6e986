package checks

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/report"
	"github.com/sockload/sockload/scenario"
)

// SummaryStats are the statistics of every summary (histogram) a check can
// read, as name.<stat>, in milliseconds (count is a count).
var SummaryStats = []string{"min", "max", "count", "mean", "p50", "median", "p75", "p90", "p95", "p99", "p999"}

// Input is what checks are evaluated on: the run so far (or whole) and its
// one-second windows.
type Input struct {
	Aggregate metrics.Snapshot
	Windows   []report.Window
	// Cores is the machine's core count, for the generator's figures.
	Cores int
}

// Values are the named numbers checks read, by metric name.
type Values map[string]float64

// ValueSource adds named values to what checks can read: Names are
// declared before the run (so checks naming them are valid), Fill sets
// them from an Input (it may leave a name unset when it has no value yet).
// The breaking-point analysis plugs its capacity in this way.
type ValueSource struct {
	Names []string
	Fill  func(in Input, into Values)
}

// Catalog is the set of metric names a run can produce, so a check naming
// something else is refused before the run. Counters that were never
// incremented read as 0; a summary with no values has no value (its check
// fails, or waits when evaluated early). Not safe for concurrent mutation;
// read-only once a Gate is built from it.
type Catalog struct {
	counters  map[string]bool
	values    map[string]bool // rates, summary stats, sources
	prefixes  []string        // counters named by prefix: errors.
	summaryPf []string        // summaries named by prefix: socketio.response_time.
	ratios    []engine.Metric // percentages of two counters: socketio.reach
	sources   []ValueSource
}

// NewCatalog returns a catalog with the generator's figures (see
// GeneratorSource) and nothing else.
func NewCatalog() *Catalog {
	c := &Catalog{counters: map[string]bool{}, values: map[string]bool{}}
	c.AddSource(GeneratorSource())
	return c
}

// AddMetrics declares the metrics a run records, as the engine lists them
// (engine.MetricsFor): counters, rates and summaries, named or by family.
func (c *Catalog) AddMetrics(ms []engine.Metric) {
	for _, m := range ms {
		switch {
		case m.Kind == engine.Counter && m.Family:
			c.AddCounterPrefix(m.Name)
		case m.Kind == engine.Counter:
			c.AddCounter(m.Name)
		case m.Kind == engine.Rate:
			c.AddRate(m.Name)
		case m.Kind == engine.Summary && m.Family:
			c.AddSummaryPrefix(m.Name)
		case m.Kind == engine.Summary:
			c.AddSummary(m.Name)
		case m.Kind == engine.Ratio:
			c.ratios = append(c.ratios, m)
		}
	}
}

// ratiosOf sets the ratios (engine.Ratio, such as socketio.reach and
// socketio.reach.<event>) from the counters in v: 100 × Of / Per, where
// Per is above 0.
func ratiosOf(ratios []engine.Metric, v Values) {
	for _, m := range ratios {
		if !m.Family {
			if per := v[m.Per]; per > 0 {
				v[m.Name] = 100 * v[m.Of] / per
			}
			continue
		}
		for name, per := range v {
			suffix, ok := strings.CutPrefix(name, m.Per)
			if ok && suffix != "" && per > 0 {
				v[m.Name+suffix] = 100 * v[m.Of+suffix] / per
			}
		}
	}
}

// AddCounter declares counters.
func (c *Catalog) AddCounter(names ...string) {
	for _, n := range names {
		c.counters[n] = true
	}
}

// AddCounterPrefix declares every counter starting with prefix, e.g.
// "errors.".
func (c *Catalog) AddCounterPrefix(prefix string) { c.prefixes = append(c.prefixes, prefix) }

// AddRate declares rates (per second).
func (c *Catalog) AddRate(names ...string) {
	for _, n := range names {
		c.values[n] = true
	}
}

// AddSummary declares summaries: name.<stat> for every SummaryStats.
func (c *Catalog) AddSummary(names ...string) {
	for _, n := range names {
		for _, s := range SummaryStats {
			c.values[n+"."+s] = true
		}
	}
}

// AddSummaryPrefix declares every summary starting with prefix, for
// names only known at run time (a templated event name).
func (c *Catalog) AddSummaryPrefix(prefix string) { c.summaryPf = append(c.summaryPf, prefix) }

// AddSource declares a source's names and has its Fill called on every
// evaluation. This is the hook for values computed from the whole run,
// such as the breaking point's capacity.
func (c *Catalog) AddSource(src ValueSource) {
	for _, n := range src.Names {
		c.values[n] = true
	}
	c.sources = append(c.sources, src)
}

// isCounter reports whether name is a counter, which reads 0 when absent.
func (c *Catalog) isCounter(name string) bool {
	if c.counters[name] {
		return true
	}
	for _, p := range c.prefixes {
		if len(name) > len(p) && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Known reports whether a run can produce name.
func (c *Catalog) Known(name string) bool {
	if c.values[name] || c.isCounter(name) {
		return true
	}
	for _, m := range c.ratios {
		if m.Matches(name) {
			return true
		}
	}
	for _, p := range c.summaryPf {
		rest, ok := strings.CutPrefix(name, p)
		if !ok {
			continue
		}
		if i := strings.LastIndexByte(rest, '.'); i > 0 && slices.Contains(SummaryStats, rest[i+1:]) {
			return true
		}
	}
	return false
}

// Closest returns the known name nearest to name by edit distance (a
// prefix such as "errors." is tried with the tail of name), or "" when
// nothing is near.
func (c *Catalog) Closest(name string) string {
	candidates := make([]string, 0, len(c.counters)+len(c.values)+len(c.prefixes))
	for n := range c.counters {
		candidates = append(candidates, n)
	}
	for n := range c.values {
		candidates = append(candidates, n)
	}
	// A name under a prefix keeps its own tail: eror.ETIMEDOUT is near
	// errors.ETIMEDOUT.
	tail := name
	if i := strings.IndexByte(name, '.'); i >= 0 {
		tail = name[i+1:]
	}
	for _, p := range c.prefixes {
		candidates = append(candidates, p+tail)
	}
	for _, p := range c.summaryPf {
		candidates = append(candidates, p+"<event>.p99")
	}
	for _, m := range c.ratios {
		if m.Family {
			candidates = append(candidates, m.Name+tail)
		} else {
			candidates = append(candidates, m.Name)
		}
	}
	sort.Strings(candidates)
	best, bestDist := "", math.MaxInt
	for _, cand := range candidates {
		if d := scenario.EditDistance(name, cand); d < bestDist {
			best, bestDist = cand, d
		}
	}
	if bestDist > max(3, len(name)/2) {
		return ""
	}
	return best
}

// Values computes every value checks can read from in: counters, rates,
// summary statistics and the sources' values.
func (c *Catalog) Values(in Input) Values {
	snap := in.Aggregate
	v := make(Values, len(snap.Counters)+len(snap.Histograms)*len(SummaryStats)+8)
	for name, n := range snap.Counters {
		v[name] = float64(n)
	}
	for name, r := range snap.Rates() {
		v[name] = r
	}
	for name, s := range snap.Summaries() {
		if s.Count == 0 {
			continue
		}
		for i, x := range []float64{s.Min, s.Max, float64(s.Count), s.Mean, s.P50, s.Median, s.P75, s.P90, s.P95, s.P99, s.P999} {
			v[name+"."+SummaryStats[i]] = x
		}
	}
	ratiosOf(c.ratios, v)
	for _, src := range c.sources {
		src.Fill(in, v)
	}
	return v
}

// lookup returns a check's value for name: measured, 0 for a counter never
// incremented, or false when nothing was recorded. An error code written
// with underscores for its spaces (errors.Failed_match) reads the code
// (errors.Failed match).
func (c *Catalog) lookup(v Values, name string) (float64, bool) {
	if x, ok := v[name]; ok {
		return x, true
	}
	if x, ok := v[spacedErrorName(name)]; ok {
		return x, true
	}
	if c.isCounter(name) {
		return 0, true
	}
	return 0, false
}

// GeneratorSource gives the generator's own figures: generator.cpu
// (percent of all cores), generator.arrival_lag_p99 (ms),
// generator.saturated (1 when the generator was the bottleneck, else 0)
// and generator.cores.
func GeneratorSource() ValueSource {
	return ValueSource{
		Names: []string{"generator.cpu", "generator.arrival_lag_p99", "generator.saturated", "generator.cores"},
		Fill: func(in Input, v Values) {
			g := report.Assess(in.Aggregate, in.Cores)
			v["generator.cpu"] = 100 * g.CPU
			v["generator.arrival_lag_p99"] = g.ArrivalLagP99
			v["generator.saturated"] = 0
			if g.Saturated {
				v["generator.saturated"] = 1
			}
			v["generator.cores"] = float64(g.Cores)
		},
	}
}

// evaluator is a compiled condition.
type evaluator = *vm.Program

// Gate is a run's checks, compiled against a catalog. Its methods may be
// called from one goroutine at a time.
type Gate struct {
	checks  []*check
	catalog *Catalog
}

// check is a check with what compiling it found.
type check struct {
	scenario.EnsureCheck
	program evaluator
	names   []string // metrics the check reads, in order of first use
}

// NewGate compiles the checks: every metric they name must be in the
// catalog, every expression must parse and be a boolean. All problems are
// returned together as a *scenario.Error, with the closest known name for
// a misspelt one.
func NewGate(checks []scenario.EnsureCheck, catalog *Catalog) (*Gate, error) {
	var diags []scenario.Diagnostic
	g := &Gate{catalog: catalog}
	for _, sc := range checks {
		c := &check{EnsureCheck: sc}
		diags = append(diags, compileCheck(c, catalog)...)
		g.checks = append(g.checks, c)
	}
	if len(diags) > 0 {
		return nil, &scenario.Error{Diagnostics: diags}
	}
	return g, nil
}

// Len returns how many checks the gate holds.
func (g *Gate) Len() int { return len(g.checks) }

// HasEarly reports whether any check may stop the run early.
func (g *Gate) HasEarly() bool {
	for _, c := range g.checks {
		if c.AbortOnFail {
			return true
		}
	}
	return false
}

func compileCheck(c *check, cat *Catalog) []scenario.Diagnostic {
	diag := func(msg, hint string) scenario.Diagnostic {
		return scenario.Diagnostic{File: c.File, Pos: c.Pos, Severity: scenario.SeverityError, Message: msg, Hint: hint, Source: c.Source}
	}
	exprDiag := func(err error) scenario.Diagnostic {
		d := diag(c.Text+": "+expressionError(err), expressionHint)
		var fe *file.Error
		if errors.As(err, &fe) && fe.Line <= 1 && c.Source != "" {
			d.Pos.Col = sourceColumn(c.Source, c.Pos.Col, fe.Column)
		}
		return d
	}
	switch c.Kind {
	case scenario.EnsureThreshold:
		c.names = []string{c.Metric}
	case scenario.EnsureMaxErrorRate:
		c.names = []string{engine.MetricVUsersFailed, engine.MetricVUsersCreated}
		return nil
	case scenario.EnsureCondition:
		names, err := metricNames(c.Expression)
		if err != nil {
			return []scenario.Diagnostic{exprDiag(err)}
		}
		c.names = names
	}
	var diags []scenario.Diagnostic
	for _, name := range c.names {
		if cat.Known(name) {
			continue
		}
		hint := "see the metric names in the README (Checks) or in a run's summary"
		if near := cat.Closest(name); near != "" {
			hint = fmt.Sprintf("did you mean %q?", near)
		}
		if c.Kind == scenario.EnsureCondition && (strings.Contains(c.Expression, name+"-") || strings.Contains(c.Expression, "-"+name)) {
			hint += "\n" + `a name with "-" or a space is written in brackets: socketio.response_time["echo-event"].p95`
		}
		diags = append(diags, diag(fmt.Sprintf("%s: unknown metric %q", c.Text, name), hint))
	}
	if len(diags) > 0 || c.Kind != scenario.EnsureCondition {
		return diags
	}
	env := make(map[string]any, len(c.names))
	for _, n := range c.names {
		env[n] = 0.0
	}
	program, err := expr.Compile(c.Expression, expr.Env(env), expr.AsBool(), expr.Patch(metricRefs{}), expr.MaxNodes(1000))
	if err != nil {
		return []scenario.Diagnostic{exprDiag(err)}
	}
	c.program = program
	return nil
}

const expressionHint = `conditions compare metrics by name with < <= > >= == != and combine them with and, or, not, + - * / and parentheses,
e.g. "socketio.response_time.p99 < 500 and vusers.failed == 0"; a name with spaces or "-" is written errors["ack timeout"]`

// expressionError is the expression library's message with the column in
// the expression.
func expressionError(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fmt.Sprintf("%s (column %d of the expression)", fe.Message, fe.Column+1)
	}
	return err.Error()
}

// sourceColumn maps a column (0-based, in runes) of a scalar's value to
// its column in the source line, where the scalar starts at col (1-based):
// past an opening quote, and over the escapes of a quoted scalar.
func sourceColumn(line string, col, valueCol int) int {
	runes := []rune(line)
	i := col - 1
	if i < 0 || i >= len(runes) {
		return col
	}
	quote := runes[i]
	if quote != '"' && quote != '\'' {
		return col + valueCol
	}
	i++
	for n := 0; n < valueCol && i < len(runes); n++ {
		switch {
		case quote == '"' && runes[i] == '\\':
			i += 2
		case quote == '\'' && runes[i] == '\'' && i+1 < len(runes) && runes[i+1] == '\'':
			i += 2
		default:
			i++
		}
	}
	return i + 1
}

// metricNames parses an expression and returns the metric names it reads,
// in order of first use.
func metricNames(expression string) ([]string, error) {
	tree, err := parser.Parse(expression)
	if err != nil {
		return nil, err
	}
	ast.Walk(&tree.Node, metricRefs{})
	var names []string
	collect := nameCollector{seen: map[string]bool{}, names: &names}
	ast.Walk(&tree.Node, collect)
	return names, nil
}

// metricRefs rewrites the ways an expression names a metric into one
// identifier holding the whole dotted name: socketio.response_time.p99,
// errors["ack timeout"] and metric("errors.ack timeout"). The expression
// library walks children first, so a chain a.b.c collapses from the inside.
type metricRefs struct{}

func (metricRefs) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		base, ok := n.Node.(*ast.IdentifierNode)
		prop, isString := n.Property.(*ast.StringNode)
		if ok && isString && !n.Method {
			ast.Patch(node, &ast.IdentifierNode{Value: base.Value + "." + prop.Value})
		}
	case *ast.CallNode:
		callee, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || callee.Value != "metric" || len(n.Arguments) != 1 {
			return
		}
		if arg, ok := n.Arguments[0].(*ast.StringNode); ok {
			ast.Patch(node, &ast.IdentifierNode{Value: arg.Value})
		}
	}
}

type nameCollector struct {
	seen  map[string]bool
	names *[]string
}

func (c nameCollector) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok || c.seen[id.Value] {
		return
	}
	c.seen[id.Value] = true
	*c.names = append(*c.names, id.Value)
}

// Evaluate evaluates every check on in.
func (g *Gate) Evaluate(in Input) []report.CheckResult {
	v := g.catalog.Values(in)
	out := make([]report.CheckResult, len(g.checks))
	for i, c := range g.checks {
		out[i] = g.evaluate(c, v)
	}
	return out
}

// EvaluateEarly evaluates the checks that may stop the run and whose delay
// has passed at elapsed, and returns the first that fails. A check whose
// metrics have no value yet waits. input, the run so far, is called only
// when a check is due.
func (g *Gate) EvaluateEarly(elapsed time.Duration, input func() Input) (report.CheckResult, bool) {
	var v Values
	for _, c := range g.checks {
		if !c.AbortOnFail || elapsed < c.After {
			continue
		}
		if v == nil {
			v = g.catalog.Values(input())
		}
		r := g.evaluate(c, v)
		if !r.Passed && r.Problem == "" {
			r.StoppedRun, r.At = true, elapsed
			return r, true
		}
	}
	return report.CheckResult{}, false
}

func (g *Gate) evaluate(c *check, v Values) report.CheckResult {
	r := report.CheckResult{Kind: c.Kind.String(), Text: c.Text, Where: c.Where(), Strict: c.Strict}
	env := make(map[string]any, len(c.names))
	for _, name := range c.names {
		x, ok := g.catalog.lookup(v, name)
		if note := errorCodeNote(v, name); note != "" {
			r.Note = strings.TrimPrefix(r.Note+"; "+note, "; ")
		}
		if !ok {
			r.Problem = fmt.Sprintf("%s has no value: nothing was recorded", name)
			return r
		}
		r.Values = append(r.Values, report.NamedValue{Name: name, Value: x})
		env[name] = x
	}
	switch c.Kind {
	case scenario.EnsureThreshold:
		r.Value = r.Values[0].Value
		r.Passed = r.Value < c.Limit
	case scenario.EnsureMaxErrorRate:
		failed, created := r.Values[0].Value, r.Values[1].Value
		if created > 0 {
			r.Value = failed / created * 100
		}
		r.Passed = r.Value <= c.Limit
	case scenario.EnsureCondition:
		out, err := expr.Run(c.program, env)
		if err != nil {
			r.Problem = "evaluating: " + err.Error()
			return r
		}
		r.Passed, _ = out.(bool)
	}
	return r
}

// spacedErrorName is an error counter's name with the underscores of its
// code read as spaces, as a check may write them.
func spacedErrorName(name string) string {
	code, ok := strings.CutPrefix(name, metrics.ErrorPrefix)
	if !ok {
		return name
	}
	return metrics.ErrorPrefix + strings.ReplaceAll(code, "_", " ")
}

// errorCodeNote says, for an error counter a check names that never
// occurred, that it did not and which codes did: a misspelt code would
// otherwise read 0 and pass silently.
func errorCodeNote(v Values, name string) string {
	if !strings.HasPrefix(name, metrics.ErrorPrefix) {
		return ""
	}
	if _, ok := v[name]; ok {
		return ""
	}
	if _, ok := v[spacedErrorName(name)]; ok {
		return ""
	}
	var seen []string
	for n, x := range v {
		if strings.HasPrefix(n, metrics.ErrorPrefix) && x > 0 {
			seen = append(seen, fmt.Sprintf("%s (%g)", n, x))
		}
	}
	if len(seen) == 0 {
		return fmt.Sprintf("%s never occurred; no error did", name)
	}
	slices.Sort(seen)
	return fmt.Sprintf("%s never occurred; the errors that did: %s", name, strings.Join(seen, ", "))
}
