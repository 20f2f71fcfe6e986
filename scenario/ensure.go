package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// EnsureKind says what a EnsureCheck compares.
type EnsureKind int

const (
	// EnsureThreshold passes when a metric is below a limit.
	EnsureThreshold EnsureKind = iota
	// EnsureCondition passes when a boolean expression over metrics holds.
	EnsureCondition
	// EnsureMaxErrorRate passes when vusers.failed / vusers.created * 100 is at
	// most a limit (percent).
	EnsureMaxErrorRate
)

func (k EnsureKind) String() string {
	switch k {
	case EnsureCondition:
		return "condition"
	case EnsureMaxErrorRate:
		return "maxErrorRate"
	}
	return "threshold"
}

// EnsureCheck is one pass/fail check of a run, as written in config.ensure (or
// config.plugins.ensure) or on the command line. Which metrics exist and
// whether an expression compiles is decided by package checks, which
// evaluates them.
type EnsureCheck struct {
	Kind EnsureKind
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
	Pos  Pos
	// Source is the file's line at Pos, to point at the exact column of an
	// error in an expression; "" when unknown.
	Source string
}

// Where returns "file:line:col" (or the flag) of the check, for messages.
func (c *EnsureCheck) Where() string {
	if c.Pos.IsValid() {
		return c.File + ":" + c.Pos.String()
	}
	return c.File
}

// ThresholdCheck is the check "metric < limit", always strict.
func ThresholdCheck(metric string, limit float64) EnsureCheck {
	return EnsureCheck{Kind: EnsureThreshold, Metric: metric, Limit: limit, Strict: true, Text: metric + " < " + FormatNumber(limit)}
}

// MaxErrorRateText is how a maxErrorRate check of percent is shown.
func MaxErrorRateText(percent float64) string {
	return "vusers error rate <= " + FormatNumber(percent) + "%"
}

// FormatNumber prints a limit as written: 200, 1.5, 0.001.
func FormatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

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

// legacyMetric is the response time metric of the legacy keys.
const legacyMetric = "socketio.response_time."

// ensure reads the checks of config.ensure and of config.plugins.ensure
// (Artillery reads both; an empty plugins.ensure only enables the plugin).
// Every problem is reported, so a user fixes them in one go.
func (d *decoder) ensure(ensure, plugins *Data) []EnsureCheck {
	p := &ensureParser{d: d}
	p.block(ensure, "config.ensure")
	p.block(plugins.Get("ensure"), "config.plugins.ensure")
	return p.checks
}

type ensureParser struct {
	d      *decoder
	checks []EnsureCheck
}

func (p *ensureParser) fail(pos Pos, hint, format string, args ...any) {
	p.d.ds.add(SeverityError, p.d.file, pos, hint, format, args...)
}

// line returns the source line at pos, or "".
func (p *ensureParser) line(pos Pos) string {
	lines := p.d.ds.files[p.d.file]
	if !pos.IsValid() || pos.Line > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[pos.Line-1], "\r")
}

// block reads one ensure mapping. Its own abortOnFail and after are the
// defaults of its checks.
func (p *ensureParser) block(d *Data, where string) {
	if d == nil || d.Kind == DataNull {
		return
	}
	if d.Kind != DataMap {
		p.fail(d.Pos, "write it as a mapping with thresholds:, conditions: and maxErrorRate:", "%s must be a mapping", where)
		return
	}
	defaults := EnsureCheck{Strict: true}
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
			c.Kind, c.Limit, c.Pos = EnsureMaxErrorRate, limit, v.Pos
			c.Text = MaxErrorRateText(limit)
			p.add(c)
		case legacyStats[key]:
			limit, ok := number(v)
			if !ok {
				p.fail(v.Pos, "", "%s.%s must be a number of milliseconds", where, key)
				continue
			}
			p.add(threshold(defaults, legacyMetric+key, limit, v.Pos))
		case key == keyAbortOnFail || key == keyAfter:
		default:
			p.fail(v.Pos, "the keys are thresholds, conditions, maxErrorRate, abortOnFail and after", "%s: unknown key %q", where, key)
		}
	}
}

// options reads abortOnFail, after and strict from a mapping into c.
func (p *ensureParser) options(d *Data, c *EnsureCheck, where string) {
	if v := d.Get(keyAbortOnFail); v != nil {
		b, ok := v.Scalar.(bool)
		if !ok {
			p.fail(v.Pos, "", "%s.abortOnFail must be true or false", where)
		}
		c.AbortOnFail = b
	}
	if v := d.Get(keyAfter); v != nil {
		after, err := dataDuration(v, time.Second)
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

// dataDuration reads a duration in the file's one grammar (ParseDuration):
// a number is in units of bare.
func dataDuration(v *Data, bare time.Duration) (time.Duration, error) {
	switch s := v.Scalar.(type) {
	case int64:
		return checkDuration(strconv.FormatInt(s, 10), float64(s)*float64(bare))
	case float64:
		return checkDuration(strconv.FormatFloat(s, 'g', -1, 64), s*float64(bare))
	case string:
		return ParseDuration(s, bare)
	}
	return 0, fmt.Errorf("not a duration: write a number or a duration (\"500ms\", \"30s\", \"2m\")")
}

func number(v *Data) (float64, bool) {
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
func (p *ensureParser) thresholds(d *Data, defaults EnsureCheck, where string) {
	where += ".thresholds"
	if d.Kind != DataList {
		p.fail(d.Pos, `write a list of "metric.name": value items`, "%s must be a list", where)
		return
	}
	for _, item := range d.List {
		if item.Kind != DataMap {
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

func threshold(defaults EnsureCheck, metric string, limit float64, pos Pos) EnsureCheck {
	c := ThresholdCheck(metric, limit)
	c.AbortOnFail, c.After, c.Pos = defaults.AbortOnFail, defaults.After, pos
	return c
}

// conditions reads `- expression: "..."` items with strict, abortOnFail and
// after.
func (p *ensureParser) conditions(d *Data, defaults EnsureCheck, where string) {
	where += ".conditions"
	if d.Kind != DataList {
		p.fail(d.Pos, "write a list of items with an expression: key", "%s must be a list", where)
		return
	}
	for _, item := range d.List {
		expr := item.Get("expression")
		if item.Kind != DataMap || expr == nil {
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
		c.Kind, c.Expression, c.Text, c.Pos = EnsureCondition, text, strings.TrimSpace(text), expr.Pos
		p.add(c)
	}
}

func (p *ensureParser) add(c EnsureCheck) {
	c.File = p.d.file
	c.Source = p.line(c.Pos)
	if c.AbortOnFail && !c.Strict {
		p.fail(c.Pos, "drop strict: false, or abortOnFail", "%s: a check that is not strict cannot stop the run", c.Text)
		return
	}
	p.checks = append(p.checks, c)
}
