package scenario

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder turns the merged YAML tree into a Script, collecting every error
// rather than stopping at the first. Unknown and misplaced keys have
// already been reported by the placement check; the decoder ignores them.
type decoder struct {
	ds        *diagnostics
	file      string
	origin    map[*yaml.Node]string // nodes that came from --overrides / --variables
	misplaced map[string]bool
	dir       string
	loadCtx   *Context    // renders templates that must be known at load (target, phases, weights)
	templates []*Template // every compiled template, for the undefined-variable check
	defined   map[string]bool
	timeout   time.Duration // config.timeout, the default of waitFor steps
	pathNotes []PathNote    // the JSON paths of acks, responses and waitFor written in the file
	// httpTimeout is config.http.timeout, the default of HTTP steps.
	httpTimeout time.Duration
	configN     *yaml.Node   // the config: mapping, after merges
	layers      []*yaml.Node // the Socket.IO option layers of the scenario being decoded
}

func pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{n.Line, n.Column}
}

func (d *decoder) fileOf(n *yaml.Node) string {
	if f, ok := d.origin[n]; ok {
		return f
	}
	return d.file
}

func (d *decoder) errf(n *yaml.Node, hint, format string, args ...any) {
	d.ds.add(SeverityError, d.fileOf(n), pos(n), hint, format, args...)
}

func (d *decoder) warnf(n *yaml.Node, hint, format string, args ...any) {
	d.ds.add(SeverityWarning, d.fileOf(n), pos(n), hint, format, args...)
}

// pairs returns a mapping's keys and values; it reports a non-mapping.
func (d *decoder) pairs(n *yaml.Node, what, example string) (keys, vals []*yaml.Node, ok bool) {
	if n == nil || isNull(n) {
		return nil, nil, n != nil
	}
	if n.Kind != yaml.MappingNode {
		d.errf(n, example, "%s must be a mapping of keys to values, not %s", what, kindName(n))
		return nil, nil, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i])
		vals = append(vals, n.Content[i+1])
	}
	return keys, vals, true
}

func lookup(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty"
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("the text %q", truncate(n.Value, 40))
	}
	return "something else"
}

// truncate keeps the first n characters of s (runes, so the text stays
// valid UTF-8), marking a cut with "...".
func truncate(s string, n int) string {
	runes := []rune(s)
	if len(runes) <= n {
		return s
	}
	return string(runes[:n]) + "..."
}

// str reads a string scalar. Numbers and booleans are accepted as their text.
func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errf(n, "", "%s must be text, not %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// resolved returns the value of a scalar, rendering a template with the
// load-time context ($env, $environment, single-valued variables), since
// values such as arrivalRate: "{{ $env.RATE }}" must be known before the run.
func (d *decoder) resolved(n *yaml.Node, what string) (any, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errf(n, "", "%s must be a single value, not %s", what, kindName(n))
		return nil, false
	}
	t := d.template(n)
	if t == nil {
		return nil, false
	}
	for _, name := range t.envVars() {
		if d.loadCtx.Getenv == nil || d.loadCtx.Getenv(name) == "" {
			d.errf(n, fmt.Sprintf("set it in the environment (export %s=...) before running, or write the value here", name),
				"%s uses the environment variable %s, which is not set", what, name)
			return nil, false
		}
	}
	v := t.Render(d.loadCtx)
	if s, ok := v.(string); ok && !t.IsStatic() {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f, true
		}
	}
	return v, true
}

func (d *decoder) number(n *yaml.Node, what string) (float64, bool) {
	v, ok := d.resolved(n, what)
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return x, true
		}
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	}
	d.errf(n, "write a number, like 10", "%s must be a number, not %s", what, describeValue(v, n))
	return 0, false
}

func describeValue(v any, n *yaml.Node) string {
	if v == nil {
		return "empty"
	}
	if n.Kind == yaml.ScalarNode && n.Value != fmt.Sprint(v) {
		return fmt.Sprintf("%q (%q here)", n.Value, fmt.Sprint(v))
	}
	return kindName(n)
}

func (d *decoder) nonNegative(n *yaml.Node, what string) (float64, bool) {
	f, ok := d.number(n, what)
	if ok && f < 0 {
		d.errf(n, "", "%s cannot be negative", what)
		return 0, false
	}
	if ok && f > maxCount {
		d.errf(n, "", "%s %s is more than sockload can schedule (%d)", what, n.Value, int(maxCount))
		return 0, false
	}
	return f, ok
}

// maxCount bounds rates, counts and weights: a billion is far beyond any
// generator, and keeps conversions to int exact.
const maxCount = 1e9

func (d *decoder) integer(n *yaml.Node, what string) (int, bool) {
	f, ok := d.number(n, what)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		d.errf(n, "", "%s must be a whole number, not %s", what, n.Value)
		return 0, false
	}
	return int(f), true
}

func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	v, ok := d.resolved(n, what)
	if !ok {
		return false, false
	}
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
			return b, true
		}
	}
	d.errf(n, "write true or false", "%s must be true or false, not %s", what, kindName(n))
	return false, false
}

// duration reads seconds (a number) or a duration string.
func (d *decoder) duration(n *yaml.Node, what string) (time.Duration, bool) {
	v, ok := d.resolved(n, what)
	if !ok {
		return 0, false
	}
	var err error
	var dur time.Duration
	switch x := v.(type) {
	case int64:
		dur, err = checkDuration(n.Value, float64(x)*float64(time.Second))
	case float64:
		dur, err = checkDuration(n.Value, x*float64(time.Second))
	case string:
		dur, err = ParseDuration(x, time.Second)
	default:
		err = fmt.Errorf("write seconds (30) or a duration (\"500ms\", \"2m\", \"1h\")")
	}
	if err != nil {
		d.errf(n, "", "%s: %v", what, err)
		return 0, false
	}
	return dur, true
}

// template compiles any YAML value into a Template; it reports bad
// {{ }} expressions and returns nil for them.
func (d *decoder) template(n *yaml.Node) *Template {
	t, ok := d.compile(n, 0)
	if !ok {
		return nil
	}
	d.templates = append(d.templates, t)
	return t
}

func (d *decoder) compile(n *yaml.Node, depth int) (*Template, bool) {
	p := pos(n)
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return &Template{Pos: p, kind: tmplLiteral}, true
		case "!!bool":
			b, _ := strconv.ParseBool(strings.ToLower(n.Value))
			return &Template{Pos: p, kind: tmplLiteral, lit: b}, true
		case "!!int":
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				return &Template{Pos: p, kind: tmplLiteral, lit: i}, true
			}
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
				return &Template{Pos: p, kind: tmplLiteral, lit: f}, true
			}
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil {
				return &Template{Pos: p, kind: tmplLiteral, lit: f}, true
			}
		}
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			p = d.blockScalarPos(n)
		}
		t, err := compileString(n.Value, p)
		if err != nil {
			d.errf(n, "", "bad template: %v", err)
			return nil, false
		}
		d.warnUnknownFunctions(n, t)
		return t, true
	case yaml.SequenceNode:
		items := make([]*Template, 0, len(n.Content))
		ok := true
		for _, c := range n.Content {
			t, good := d.compile(c, depth+1)
			ok = ok && good
			items = append(items, t)
		}
		if !ok {
			return nil, false
		}
		return newList(p, items), true
	case yaml.MappingNode:
		var keys, vals []*Template
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := compileString(n.Content[i].Value, pos(n.Content[i]))
			if err != nil {
				d.errf(n.Content[i], "", "bad template in a key: %v", err)
				ok = false
				continue
			}
			v, good := d.compile(n.Content[i+1], depth+1)
			ok = ok && good
			keys = append(keys, k)
			vals = append(vals, v)
		}
		if !ok {
			return nil, false
		}
		return newMap(p, keys, vals), true
	}
	d.errf(n, "", "unexpected YAML value")
	return nil, false
}

// data converts a YAML value into Data, kept whole with positions.
func toData(n *yaml.Node) *Data {
	out := &Data{Pos: pos(n)}
	switch n.Kind {
	case yaml.MappingNode:
		out.Kind = DataMap
		for i := 0; i+1 < len(n.Content); i += 2 {
			out.Keys = append(out.Keys, n.Content[i].Value)
			out.Values = append(out.Values, toData(n.Content[i+1]))
		}
	case yaml.SequenceNode:
		out.Kind = DataList
		for _, c := range n.Content {
			out.List = append(out.List, toData(c))
		}
	case yaml.ScalarNode:
		if isNull(n) {
			return out
		}
		out.Kind = DataScalar
		out.Scalar = n.Value
		switch n.Tag {
		case "!!int":
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				out.Scalar = i
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil {
				out.Scalar = f
			}
		case "!!bool":
			b, _ := strconv.ParseBool(strings.ToLower(n.Value))
			out.Scalar = b
		}
	}
	return out
}

// script decodes the root mapping.
func (d *decoder) script(root *yaml.Node, s *Script) {
	_, config := lookup(root, "config")
	for _, key := range []string{"before", "after"} {
		if k, _ := lookup(root, key); k != nil {
			d.errf(k, "put its steps at the start or end of each scenario's flow, or run them separately before the test",
				"a %q flow runs once around the test in Artillery; sockload does not run it", key)
		}
	}
	ck, _ := lookup(root, "config")
	if config == nil {
		if !d.misplaced["target"] {
			d.errf(root, "add a config: section with target: and phases:, like:\nconfig:\n  target: \"http://localhost:3000\"\n  phases:\n    - duration: 60\n      arrivalRate: 10",
				"the file has no config: section")
		}
	} else {
		d.config(ck, config, &s.Config)
	}
	sk, scenarios := lookup(root, "scenarios")
	switch {
	case scenarios == nil && sk == nil:
		if !d.misplaced["scenarios"] {
			d.errf(root, "add a scenarios: list, like:\nscenarios:\n  - engine: socketio\n    flow:\n      - emit: [\"hello\", \"world\"]",
				"the file has no scenarios: section")
		}
	case scenarios.Kind != yaml.SequenceNode || len(scenarios.Content) == 0:
		d.errf(scenarios, "scenarios: is a list; each item starts with \"- \" and has a flow:", "scenarios must be a non-empty list, not %s", kindName(scenarios))
	default:
		total := 0
		for _, sn := range scenarios.Content {
			sc := d.scenario(sn, &s.Config)
			total += sc.Weight
			s.Scenarios = append(s.Scenarios, sc)
		}
		if total == 0 {
			d.errf(sk, "give at least one scenario a weight above 0 (the default weight is 1)", "every scenario has weight 0: no VU could pick one")
		}
	}
}

func (d *decoder) config(key, n *yaml.Node, c *Config) {
	keys, vals, ok := d.pairs(n, "config", "")
	if !ok {
		return
	}
	c.Timeout = 10 * time.Second
	c.TLS.RejectUnauthorized = true
	var targetSeen, phasesSeen bool
	var ensure, plugins *Data
	for i, k := range keys {
		v := vals[i]
		switch k.Value {
		case "target":
			targetSeen = true
			c.Target, c.TargetPos = d.target(v), pos(v)
			if u, err := url.Parse(c.Target); err == nil && u.Path != "" && u.Path != "/" {
				c.NamespacePrefix = strings.TrimSuffix(u.Path, "/")
			}
		case "phases":
			phasesSeen = true
			c.Phases = d.phases(v)
		case "timeout":
			if t, ok := d.duration(v, "config.timeout"); ok {
				if t <= 0 {
					d.errf(v, "", "config.timeout must be more than 0")
				}
				c.Timeout = t
			}
		case "engines":
			d.engines(v, c)
		case "tls":
			if _, rv := lookup(v, "rejectUnauthorized"); rv != nil {
				c.TLS.RejectUnauthorized, _ = d.boolean(rv, "tls.rejectUnauthorized")
			} else if !isNull(v) && v.Kind != yaml.MappingNode {
				d.errf(v, "write tls:\n  rejectUnauthorized: false", "tls must be a mapping")
			}
		case "payload":
			c.Payloads = d.payloads(v)
		case "variables":
			c.Variables = d.variables(v)
		case "defaults":
			if _, think := lookup(v, "think"); think != nil {
				if _, j := lookup(think, "jitter"); j != nil {
					c.DefaultJitter = d.jitter(j)
				}
			}
			if _, h := lookup(v, "headers"); h != nil {
				// Artillery 1's place for default headers; config.http.defaults
				// (read after) replaces those of the same name.
				c.HTTP.Headers = mergeHeaders(d.keyTemplates(h, "headers", false), c.HTTP.Headers)
			}
		case "plugins":
			plugins = toData(v)
		case "ensure":
			ensure = toData(v)
		case "processor":
			c.Processor, _ = d.str(v, "config.processor")
		case "http":
			d.httpConfig(v, c)
		case "ws", "includeFiles", "statsInterval":
			d.warnf(k, "remove it, or keep it for Artillery: it has no effect on Socket.IO scenarios here", "config.%s is ignored by sockload", k.Value)
		case "environments":
			if v.Kind != yaml.MappingNode && !isNull(v) {
				d.errf(v, "write environments:\n  staging:\n    target: \"https://staging.example.com\"", "environments must be a mapping of names to config settings")
			}
		}
	}
	c.Checks = d.ensure(ensure, plugins)
	c.BreakingPoint = d.breakingPoint(plugins)
	if !targetSeen && !d.misplaced["target"] {
		d.errf(key, "add the server's URL under config:, like:\n  target: \"http://localhost:3000\"", "config has no target")
	}
	if !phasesSeen && !d.misplaced["phases"] {
		d.errf(key, "add phases under config:, like:\n  phases:\n    - duration: 60\n      arrivalRate: 10", "config has no phases")
	}
	d.timeout = c.Timeout
	if c.HTTP.Timeout == 0 {
		c.HTTP.Timeout = c.Timeout
	}
	d.httpTimeout = c.HTTP.Timeout
	c.SocketIO = d.socketIO(d.configOptionLayers(n), Pos{})
}

func (d *decoder) target(v *yaml.Node) string {
	val, ok := d.resolved(v, "config.target")
	if !ok {
		return ""
	}
	s := toText(val)
	u, err := url.Parse(s)
	if s == "" || err != nil || u.Host == "" {
		d.errf(v, "write the server's URL with its scheme, like \"http://localhost:3000\"", "target %q is not a URL", s)
		return s
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		d.errf(v, "use http:// or https:// (ws:// and wss:// also work)", "target %q: scheme %q is not one a Socket.IO server speaks", s, u.Scheme)
	}
	return s
}

// configOptionLayers returns the mappings of Socket.IO options that apply
// to every scenario, lowest priority first: config.socketio, then
// config.engines.socketio (accepted, with a warning) and
// config.engines.socketio-v3 (as the socketio-v3 engine reads them).
func (d *decoder) configOptionLayers(config *yaml.Node) []*yaml.Node {
	var layers []*yaml.Node
	if _, v := lookup(config, "socketio"); v != nil {
		layers = append(layers, v)
	}
	_, engines := lookup(config, "engines")
	for _, name := range []string{"socketio", "socketio-v3"} {
		if _, v := lookup(engines, name); v != nil && v.Kind == yaml.MappingNode && len(v.Content) > 0 {
			layers = append(layers, v)
		}
	}
	return layers
}

func (d *decoder) engines(v *yaml.Node, c *Config) {
	keys, vals, ok := d.pairs(v, "config.engines", "write engines:\n  socketio-v3: {}")
	if !ok {
		return
	}
	for i, k := range keys {
		c.Engines = append(c.Engines, k.Value)
		if k.Value == "socketio" && vals[i].Kind == yaml.MappingNode && len(vals[i].Content) > 0 {
			d.warnf(k, "move these options to config.socketio, where Artillery reads them (sockload reads both)",
				"Socket.IO options under config.engines.socketio are ignored by Artillery")
		}
		if vals[i].Kind != yaml.MappingNode && !isNull(vals[i]) {
			d.errf(vals[i], "write "+k.Value+": {}", "config.engines.%s must be a mapping of options (or {})", k.Value)
		}
	}
}

func (d *decoder) phases(v *yaml.Node) []Phase {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		d.errf(v, "phases is a list; each phase starts with \"- \", like:\n  phases:\n    - duration: 60\n      arrivalRate: 10",
			"phases must be a non-empty list, not %s", kindName(v))
		return nil
	}
	var out []Phase
	for _, pn := range v.Content {
		if p, ok := d.phase(pn); ok {
			out = append(out, p)
		}
	}
	return out
}

func (d *decoder) phase(n *yaml.Node) (Phase, bool) {
	p := Phase{Pos: pos(n)}
	keys, vals, ok := d.pairs(n, "a phase", "a phase looks like:\n- duration: 60\n  arrivalRate: 10")
	if !ok {
		return p, false
	}
	good := true
	var hasRate, hasDuration, hasPause, hasCount bool
	for i, k := range keys {
		v := vals[i]
		var ok bool
		switch k.Value {
		case "duration":
			hasDuration = true
			p.Duration, ok = d.duration(v, "duration")
		case "pause":
			hasPause = true
			p.Pause, ok = d.duration(v, "pause")
		case "arrivalRate":
			hasRate = true
			p.ArrivalRate, ok = d.nonNegative(v, "arrivalRate")
		case "rampTo":
			p.HasRampTo = true
			p.RampTo, ok = d.nonNegative(v, "rampTo")
		case "arrivalCount":
			hasCount = true
			var f float64
			f, ok = d.nonNegative(v, "arrivalCount")
			p.ArrivalCount = int(f)
		case "maxVusers":
			var f float64
			f, ok = d.nonNegative(v, "maxVusers")
			p.MaxVusers = int(f)
		case "name":
			p.Name, ok = d.str(v, "name")
		case "mode":
			var m string
			if m, ok = d.str(v, "mode"); ok {
				switch m {
				case "uniform":
				case "poisson":
					p.Mode = ModePoisson
				default:
					d.errf(v, "write mode: uniform (even spacing) or mode: poisson (random spacing)", "unknown arrival mode %q", m)
					ok = false
				}
			}
		default:
			ok = true
		}
		good = good && ok
	}
	if !good || d.hasUnknownKeys(n, ctxPhase) {
		return p, false // the cause is reported already
	}
	switch {
	case hasPause:
		if hasRate || hasCount || p.HasRampTo {
			d.errf(n, "a pause phase has no arrivals: split it into a pause phase and an arrival phase", "a phase cannot both pause and have arrivals")
			return p, false
		}
		if p.Pause <= 0 {
			d.errf(n, "", "pause must be more than 0")
			return p, false
		}
		p.Duration = p.Pause
		return p, true
	case !hasDuration:
		d.errf(n, "add duration: (seconds, or \"2m\")", "this phase has no duration")
		return p, false
	case p.Duration <= 0:
		d.errf(n, "", "a phase's duration must be more than 0")
		return p, false
	case hasCount && (hasRate || p.HasRampTo):
		d.errf(n, "use arrivalCount alone (a total spread over the duration) or arrivalRate (per second), not both", "a phase cannot have both arrivalCount and arrivalRate")
		return p, false
	case !hasRate && !hasCount && !p.HasRampTo:
		d.errf(n, "add arrivalRate: (VUs per second) or arrivalCount: (a total); for an idle phase write pause: instead of duration:", "this phase starts no virtual users")
		return p, false
	}
	return p, true
}

func (d *decoder) scenario(n *yaml.Node, c *Config) Scenario {
	sc := Scenario{Pos: pos(n), Weight: 1, ConnectAtStart: true}
	keys, vals, ok := d.pairs(n, "a scenario", "a scenario looks like:\n- name: chat\n  engine: socketio\n  flow:\n    - emit: [\"hello\"]")
	if !ok {
		return sc
	}
	var flowSeen, engineSeen bool
	layers := d.configOptionLayers(d.configN)
	if _, v := lookup(n, "socketio"); v != nil {
		layers = append(layers, v)
	}
	d.layers = layers
	for i, k := range keys {
		v := vals[i]
		switch k.Value {
		case "name":
			sc.Name, _ = d.str(v, "name")
		case "weight":
			if w, ok := d.nonNegative(v, "weight"); ok {
				if w != math.Trunc(w) {
					d.errf(v, "", "weight must be a whole number")
				}
				sc.Weight = int(w)
			}
		case "engine":
			engineSeen = true
			sc.Engine, _ = d.str(v, "engine")
			switch sc.Engine {
			case "socketio", "socketio-v3":
				if sc.Engine == "socketio-v3" && !contains(c.Engines, "socketio-v3") {
					d.warnf(v, "add config.engines.socketio-v3: {} if the file must also run in Artillery (sockload does not need it)",
						"engine socketio-v3 is used but not enabled under config.engines")
				}
			default:
				d.errf(v, "use engine: socketio (or socketio-v3): sockload runs Socket.IO scenarios only",
					"engine %q is not supported here", sc.Engine)
			}
		case "flow":
			flowSeen = true
			sc.Flow = d.flow(v, "flow")
		case "listen":
			sc.Listen = d.listeners(v)
		case "onReconnect":
			sc.OnReconnect = d.flow(v, "onReconnect")
		case "beforeScenario", "afterScenario", "beforeRequest", "afterResponse":
			d.errf(k, "put what the hook does into the flow with templates, variables and payload, or remove it",
				"%s runs JavaScript functions, which sockload does not run", k.Value)
		}
	}
	if !engineSeen {
		sc.Engine = "socketio"
		d.warnf(n, "add engine: socketio (or socketio-v3); Artillery runs a scenario without an engine as HTTP",
			"this scenario names no engine; it runs as socketio here")
	}
	if !flowSeen && !d.misplaced["flow"] && !d.hasUnknownKeys(n, ctxScenario) {
		d.errf(n, "add flow: with the steps of the scenario, like:\n  flow:\n    - emit: [\"hello\", \"world\"]", "this scenario has no flow")
	}
	sc.SocketIO = d.socketIO(layers, Pos{})
	if len(sc.Flow) > 0 {
		switch first := sc.Flow[0].(type) {
		case *ConnectStep:
			if ns, static := first.Namespace.Static(); static && (ns == "/" || ns == "") {
				sc.ConnectAtStart = false
			}
		case *HTTPStep:
			// Log in first: "/" connects at the first Socket.IO step, with
			// what the HTTP steps captured and the cookies they got.
			sc.ConnectAtStart = false
		}
	}
	return sc
}

// hasUnknownKeys reports whether mapping n has keys that ctx does not know
// (reported by the placement check), or keys of ctx were found misplaced:
// then a "missing key" error would only repeat the same mistake.
func (d *decoder) hasUnknownKeys(n *yaml.Node, ctx context) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if _, ok := childOf(ctx, n.Content[i].Value); !ok {
			return true
		}
	}
	for k := range schema[ctx] {
		if d.misplaced[k] {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// blockScalarPos is where a block scalar's (| or >) first expression is
// written: the parser places the node at its indicator, a line or more
// before it.
func (d *decoder) blockScalarPos(n *yaml.Node) Pos {
	p := Pos{Line: n.Line + 1, Col: n.Column}
	lines := d.ds.files[d.fileOf(n)]
	if !strings.Contains(n.Value, "{{") {
		return p
	}
	// Folded text (>) has lost its line breaks: find the line in the
	// source.
	for line := n.Line + 1; line <= len(lines); line++ {
		text := lines[line-1]
		if strings.Contains(text, "{{") {
			return Pos{Line: line, Col: len(text) - len(strings.TrimLeft(text, " \t")) + 1}
		}
	}
	return p
}
