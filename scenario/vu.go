package scenario

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Namespace returns the namespace a VU connects to for a step's rendered
// namespace ns ("/" or "" for the main one): the target's path, if any,
// then ns, as Artillery's target + namespace.
func (c *Config) Namespace(ns string) string {
	if ns == "/" {
		ns = ""
	}
	full := c.NamespacePrefix + ns
	if full == "" {
		return "/"
	}
	if !strings.HasPrefix(full, "/") {
		full = "/" + full
	}
	return full
}

// NewContext returns the template context of a new VU: every variable of
// config.variables with one of its values chosen at random (and rendered),
// and the row of each payload (a random row, or row vu in file order for
// order: sequence; all rows for loadAll). vu is the VU's sequence number
// in the run. r becomes the VU's random source; getenv reads $env. The
// Context belongs to the VU.
func (s *Script) NewContext(vu int, r *rand.Rand, getenv func(string) string) *Context {
	ctx := &Context{Vars: make(map[string]any, len(s.Config.Variables)), Environment: s.Environment, Getenv: getenv, Rand: r}
	for _, p := range s.Config.Payloads {
		row := vu
		if p.Order == OrderRandom && len(p.Rows) > 0 {
			row = int(rng(ctx).Uint64N(uint64(len(p.Rows))))
		}
		p.Bind(ctx.Vars, row)
	}
	for _, name := range sortedKeys(s.Config.Variables) {
		values := s.Config.Variables[name]
		v := values[0]
		if len(values) > 1 {
			v = values[rng(ctx).Uint64N(uint64(len(values)))]
		}
		ctx.Vars[name] = v.Render(ctx)
	}
	return ctx
}

// PickScenario returns the index of a scenario chosen at random with
// probability Weight / sum of weights.
func (s *Script) PickScenario(r *rand.Rand) int {
	total := 0
	for _, sc := range s.Scenarios {
		total += sc.Weight
	}
	if total <= 0 {
		return 0
	}
	n := int(r.IntN(total))
	for i, sc := range s.Scenarios {
		if n < sc.Weight {
			return i
		}
		n -= sc.Weight
	}
	return len(s.Scenarios) - 1
}

// Pause returns how long a think step pauses this time: its duration,
// moved at random by its jitter (or def, config.defaults.think.jitter,
// when it has none) by up to ± the jitter, never below zero.
func (th *ThinkStep) Pause(ctx *Context, def *Jitter) (time.Duration, error) {
	d, err := ThinkDuration(th.Duration, ctx)
	if err != nil {
		return 0, err
	}
	j := th.Jitter
	if j == nil {
		j = def
	}
	if j == nil {
		return d, nil
	}
	spread := j.Amount
	if j.Percent > 0 {
		spread = time.Duration(float64(d) * j.Percent / 100)
	}
	if spread <= 0 {
		return d, nil
	}
	offset := time.Duration(rng(ctx).Uint64N(uint64(2*spread)+1)) - spread
	return max(d+offset, 0), nil
}

// Iterations renders the loop's count: LoopCount{To: -1} (forever) when
// the loop has neither count nor over.
func (l *LoopStep) Iterations(ctx *Context) (LoopCount, error) {
	if l.Count == nil {
		return LoopCount{To: -1}, nil
	}
	return ParseLoopCount(l.Count.Render(ctx))
}

// Elements returns the list a loop goes over (rendered), and whether it
// has one. A variable that does not hold a list gives an error: the loop
// would not run, which Artillery does silently.
func (l *LoopStep) Elements(ctx *Context) ([]any, bool, error) {
	if l.OverVar != "" {
		path, err := parsePath(l.OverVar)
		if err != nil {
			return nil, true, err
		}
		v := (&expr{kind: exprVar, path: path}).eval(ctx)
		list, ok := v.([]any)
		if !ok {
			return nil, true, fmt.Errorf("loop over %q: the variable holds %T, not a list", l.OverVar, v)
		}
		return list, true, nil
	}
	if l.Over == nil {
		return nil, false, nil
	}
	out := make([]any, len(l.Over))
	for i, t := range l.Over {
		out[i] = t.Render(ctx)
	}
	return out, true, nil
}
