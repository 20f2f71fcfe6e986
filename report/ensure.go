package report

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sockload/sockload/scenario"
)

// CheckKind says what a Check compares.
type CheckKind int

const (
	// KindThreshold passes when a metric is below a limit.
	KindThreshold CheckKind = iota
	// KindCondition passes when a boolean expression over metrics holds.
	KindCondition
	// KindMaxErrorRate passes when vusers.failed / vusers.created * 100 is at
	// most a limit (percent).
	KindMaxErrorRate
)

func (k CheckKind) String() string {
	switch k {
	case KindCondition:
		return "condition"
	case KindMaxErrorRate:
		return "maxErrorRate"
	}
	return "threshold"
}

// Check is one pass/fail check of a run, as written in config.ensure (or
// config.plugins.ensure) or on the command line. A Check is compiled by
// NewGate and then read-only.
type Check struct {
	Kind CheckKind
	// Text is how the check is shown: "socketio.response_time.p95 < 200",
	// the expression of a condition, "vusers error rate <= 1%".
	Text string
	// Metric and Limit are a threshold's; Limit is also maxErrorRate's.
	Metric string
	Limit  float64
	// Expression is a condition's.
	Expression string
	// Strict checks fail the run when they fail; the others are reported
	// only. Thresholds and maxErrorRate are always strict.
	Strict bool
	// AbortOnFail stops the run as soon as the check fails, evaluated each
	// second on the run so far once After has passed since the start.
	AbortOnFail bool
	After       time.Duration
	// File and Pos say where the check was written; File is "--threshold"
	// or "--max-error-rate" for the command line's.
	File string
	Pos  scenario.Pos

	program evaluator
	names   []string // metrics the check reads, in order of first use
	// source is the file's line where a condition's expression starts, to
	// point at the exact column of an error in it; "" when unknown.
	source string
}

// Where returns "file:line:col" (or the flag) of the check, for messages.
func (c *Check) Where() string {
	if c.Pos.IsValid() {
		return c.File + ":" + c.Pos.String()
	}
	return c.File
}

// Names returns the metric names the check reads.
func (c *Check) Names() []string { return c.names }

// ensureOptions are the keys that set how a check runs rather than what it
// checks.
const (
	keyAbortOnFail = "abortOnFail"
	keyAfter       = "after"
	keyStrict      = "strict"
)

// legacyStats are Artillery 1's top-level ensure keys, thresholds on the
// response time.
var legacyStats = map[string]bool{"min": true, "max": true, "median": true, "p95": true, "p99": true}

// ParseEnsure reads the checks of config.ensure and of config.plugins.ensure
// (Artillery reads both; an empty plugins.ensure only enables the plugin).
// file names the scenario file for positions; source, its text (or nil),
// gives the diagnostics their source line. Every problem found is returned
// in one *scenario.Error, so a user fixes them in one go.
func ParseEnsure(file string, source []byte, ensure, plugins *scenario.Data) ([]*Check, error) {
	p := &ensureParser{file: file}
	if source != nil {
		p.lines = strings.Split(string(source), "\n")
	}
	p.block(ensure, "config.ensure")
	p.block(plugins.Get("ensure"), "config.plugins.ensure")
	if len(p.errs) > 0 {
		return nil, &scenario.Error{Diagnostics: p.errs}
	}
	return p.checks, nil
}

type ensureParser struct {
	file   string
	lines  []string
	checks []*Check
	errs   []scenario.Diagnostic
}

func (p *ensureParser) fail(pos scenario.Pos, hint, format string, args ...any) {
	p.errs = append(p.errs, scenario.Diagnostic{
		File: p.file, Pos: pos, Severity: scenario.SeverityError,
		Message: fmt.Sprintf(format, args...), Hint: hint, Source: p.line(pos),
	})
}

// line returns the source line at pos, or "".
func (p *ensureParser) line(pos scenario.Pos) string {
	if !pos.IsValid() || pos.Line > len(p.lines) {
		return ""
	}
	return strings.TrimRight(p.lines[pos.Line-1], "\r")
}

// block reads one ensure mapping. Its own abortOnFail and after are the
// defaults of its checks.
func (p *ensureParser) block(d *scenario.Data, where string) {
	if d == nil || d.Kind == scenario.DataNull {
		return
	}
	if d.Kind != scenario.DataMap {
		p.fail(d.Pos, "write it as a mapping with thresholds:, conditions: and maxErrorRate:", "%s must be a mapping", where)
		return
	}
	defaults := Check{Strict: true}
	p.options(d, &defaults, where)
	for i, key := range d.Keys {
		v := d.Values[i]
		switch {
		case key == "thresholds":
			p.thresholds(v, defaults, where)
		case key == "conditions":
			p.conditions(v, defaults, where)
		case key == "maxErrorRate":
			limit, ok := number(v)
			if !ok || limit < 0 {
				p.fail(v.Pos, "a percentage, e.g. maxErrorRate: 1", "%s.maxErrorRate must be a number of 0 or more", where)
				continue
			}
			c := defaults
			c.Kind, c.Limit, c.Pos = KindMaxErrorRate, limit, v.Pos
			c.Text = "vusers error rate <= " + formatNumber(limit) + "%"
			p.add(&c)
		case legacyStats[key]:
			limit, ok := number(v)
			if !ok {
				p.fail(v.Pos, "", "%s.%s must be a number of milliseconds", where, key)
				continue
			}
			p.add(threshold(defaults, "socketio.response_time."+key, limit, v.Pos))
		case key == keyAbortOnFail || key == keyAfter:
		default:
			p.fail(v.Pos, "the keys are thresholds, conditions, maxErrorRate, abortOnFail and after", "%s: unknown key %q", where, key)
		}
	}
}

// options reads abortOnFail, after and strict from a mapping into c.
func (p *ensureParser) options(d *scenario.Data, c *Check, where string) {
	if v := d.Get(keyAbortOnFail); v != nil {
		b, ok := v.Scalar.(bool)
		if !ok {
			p.fail(v.Pos, "", "%s.abortOnFail must be true or false", where)
		}
		c.AbortOnFail = b
	}
	if v := d.Get(keyAfter); v != nil {
		after, err := parseAfter(v)
		if err != nil {
			p.fail(v.Pos, "e.g. after: 30s (or a number of seconds)", "%s.after: %v", where, err)
		}
		c.After = after
	}
	if v := d.Get(keyStrict); v != nil {
		b, ok := v.Scalar.(bool)
		if !ok {
			p.fail(v.Pos, "", "%s.strict must be true or false", where)
		}
		c.Strict = b
	}
}

func parseAfter(v *scenario.Data) (time.Duration, error) {
	switch s := v.Scalar.(type) {
	case int64:
		return secondsToDuration(float64(s))
	case float64:
		return secondsToDuration(s)
	case string:
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		if d < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return d, nil
	}
	return 0, fmt.Errorf("not a duration")
}

func secondsToDuration(s float64) (time.Duration, error) {
	if s < 0 || math.IsNaN(s) || s > 1e6 {
		return 0, fmt.Errorf("%v seconds is out of range", s)
	}
	return time.Duration(s * float64(time.Second)), nil
}

func number(v *scenario.Data) (float64, bool) {
	switch s := v.Scalar.(type) {
	case int64:
		return float64(s), true
	case float64:
		return s, !math.IsNaN(s)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

// thresholds reads `- "metric.name": value` items; an item may also set
// abortOnFail and after.
func (p *ensureParser) thresholds(d *scenario.Data, defaults Check, where string) {
	where += ".thresholds"
	if d.Kind != scenario.DataList {
		p.fail(d.Pos, `write a list of "metric.name": value items`, "%s must be a list", where)
		return
	}
	for _, item := range d.List {
		if item.Kind != scenario.DataMap {
			p.fail(item.Pos, `e.g. - "socketio.response_time.p95": 200`, "%s: each item is a metric name and its limit", where)
			continue
		}
		c := defaults
		p.options(item, &c, where)
		if item.Get(keyStrict) != nil {
			p.fail(item.Get(keyStrict).Pos, "use a condition for a check that is not strict", "%s: thresholds are always strict", where)
		}
		metrics := 0
		for i, key := range item.Keys {
			if key == keyAbortOnFail || key == keyAfter || key == keyStrict {
				continue
			}
			metrics++
			limit, ok := number(item.Values[i])
			if !ok {
				p.fail(item.Values[i].Pos, "the check passes when the metric is below this number", "%s: the limit of %q must be a number", where, key)
				continue
			}
			p.add(threshold(c, key, limit, item.Pos))
		}
		if metrics == 0 {
			p.fail(item.Pos, `e.g. - "socketio.response_time.p95": 200`, "%s: the item names no metric", where)
		}
	}
}

func threshold(c Check, metric string, limit float64, pos scenario.Pos) *Check {
	c.Kind, c.Metric, c.Limit, c.Pos, c.Strict = KindThreshold, metric, limit, pos, true
	c.Text = metric + " < " + formatNumber(limit)
	return &c
}

// conditions reads `- expression: "..."` items with strict, abortOnFail and
// after.
func (p *ensureParser) conditions(d *scenario.Data, defaults Check, where string) {
	where += ".conditions"
	if d.Kind != scenario.DataList {
		p.fail(d.Pos, "write a list of items with an expression: key", "%s must be a list", where)
		return
	}
	for _, item := range d.List {
		expr := item.Get("expression")
		if item.Kind != scenario.DataMap || expr == nil {
			p.fail(item.Pos, `e.g. - expression: "vusers.failed == 0"`, "%s: each item needs an expression", where)
			continue
		}
		text, ok := expr.Scalar.(string)
		if !ok || strings.TrimSpace(text) == "" {
			p.fail(expr.Pos, "", "%s: the expression must be text", where)
			continue
		}
		c := defaults
		p.options(item, &c, where)
		for _, key := range item.Keys {
			switch key {
			case "expression", keyStrict, keyAbortOnFail, keyAfter:
			default:
				p.fail(item.Get(key).Pos, "the keys are expression, strict, abortOnFail and after", "%s: unknown key %q", where, key)
			}
		}
		c.Kind, c.Expression, c.Text, c.Pos = KindCondition, text, strings.TrimSpace(text), expr.Pos
		c.source = p.line(expr.Pos)
		p.add(&c)
	}
}

func (p *ensureParser) add(c *Check) {
	c.File = p.file
	if c.source == "" {
		c.source = p.line(c.Pos)
	}
	if c.AbortOnFail && !c.Strict {
		p.fail(c.Pos, "drop strict: false, or abortOnFail", "%s: a check that is not strict cannot stop the run", c.Text)
		return
	}
	p.checks = append(p.checks, c)
}

// thresholdFlag is the short form of a command line threshold: a metric
// name, "<" and a number.
var thresholdFlag = regexp.MustCompile(`^\s*([^<>=!()"']+?)\s*<\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$`)

// ParseThreshold reads a check given on the command line (--threshold):
// "metric.name<limit" is a threshold; anything else is a strict condition
// expression, e.g. "vusers.failed == 0".
func ParseThreshold(s string) (*Check, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf(`--threshold is empty: give e.g. "socketio.response_time.p99<500"`)
	}
	if m := thresholdFlag.FindStringSubmatch(s); m != nil {
		limit, err := strconv.ParseFloat(m[2], 64)
		if err == nil && !math.IsInf(limit, 0) {
			c := threshold(Check{}, m[1], limit, scenario.Pos{})
			c.File = "--threshold"
			return c, nil
		}
	}
	return &Check{
		Kind: KindCondition, Expression: s, Text: strings.TrimSpace(s),
		Strict: true, File: "--threshold",
	}, nil
}

// MaxErrorRateCheck is the check of --max-error-rate.
func MaxErrorRateCheck(percent float64) (*Check, error) {
	if percent < 0 || math.IsNaN(percent) || math.IsInf(percent, 0) {
		return nil, fmt.Errorf("--max-error-rate %v: give a percentage of 0 or more", percent)
	}
	return &Check{
		Kind: KindMaxErrorRate, Limit: percent, Strict: true, File: "--max-error-rate",
		Text: "vusers error rate <= " + formatNumber(percent) + "%",
	}, nil
}
