package scenario

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// stepKinds are the keys that say what a step does; exactly one per step.
var stepKinds = []string{"emit", "think", "loop", "log", "connect", "waitFor", "function",
	"get", "post", "put", "patch", "delete", "head", "options"}

// stepCompanions are the other keys each kind of step may have.
var stepCompanions = map[string][]string{
	"emit":    {"namespace", "acknowledge", "response", "reconnect", "to", "includeSender", "joinGroup", "leaveGroup"},
	"think":   {"jitter"},
	"loop":    {"count", "over", "whileTrue", "loopValue", "loopElement"},
	"waitFor": {"namespace"},
	"connect": {"namespace"},
}

const stepExamples = `a step does one of:
  - emit: {channel: "hello", data: "world"}   (or emit: ["hello", "world"])
  - think: 1
  - loop: [...steps...]
    count: 10
  - log: "text"
  - connect: {namespace: "/chat", auth: {token: "{{ token }}"}}
  - waitFor: {event: "news", count: 1}
  - post: {url: "/login", json: {username: "alice"}}   (get, put, patch, delete, head, options)`

func (d *decoder) flow(n *yaml.Node, what string) []Step {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.errf(n, "a flow is a list of steps, each starting with \"- \":\n"+stepExamples, "%s must be a non-empty list of steps, not %s", what, kindName(n))
		return nil
	}
	var out []Step
	for _, sn := range n.Content {
		if st := d.step(sn); st != nil {
			out = append(out, st)
		}
	}
	return out
}

func (d *decoder) step(n *yaml.Node) Step {
	if n.Kind != yaml.MappingNode {
		d.errf(n, stepExamples, "a step must be a mapping, not %s", kindName(n))
		return nil
	}
	var kind string
	var kindKey *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if contains(stepKinds, k.Value) {
			if kind != "" {
				d.errf(k, "split it into two steps, each starting with \"- \"", "this step has both %q and %q; a step does one thing", kind, k.Value)
				return nil
			}
			kind, kindKey = k.Value, k
		}
	}
	if kind == "" {
		for _, a := range []string{"acknowledge", "response", "namespace"} {
			if k, _ := lookup(n, a); k != nil {
				d.errf(k, "put it on the same step as an emit, beside the emit: key", "%q without an emit on the same step", a)
				return nil
			}
		}
		if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
			if k := n.Content[0]; !isStepCompanion(k.Value) {
				return nil // an unknown key: reported by the placement check
			}
		}
		d.errf(n, stepExamples, "this step does nothing")
		return nil
	}
	allowed := stepCompanions[kind]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value != kind && isStepCompanion(k.Value) && !contains(allowed, k.Value) {
			d.errf(k, "", "%q does not go with %q on a step", k.Value, kind)
		}
	}
	_, v := lookup(n, kind)
	switch kind {
	case "emit":
		return d.emit(n, v)
	case "think":
		return d.think(n, v)
	case "loop":
		return d.loop(n, v)
	case "log":
		return &LogStep{Pos: pos(n), Message: d.template(v)}
	case "connect":
		return d.connect(n, v)
	case "waitFor":
		return d.waitFor(n, v)
	case "function":
		d.errf(kindKey, "compute values with templates ({{ $randomNumber(1, 10) }}, {{ $uuid }}), variables or a CSV payload, or remove the step",
			"function steps run JavaScript from a processor, which sockload does not run")
		return nil
	}
	return d.httpStep(n, kind, v)
}

func isStepCompanion(key string) bool {
	for _, list := range stepCompanions {
		if contains(list, key) {
			return true
		}
	}
	return false
}

func (d *decoder) namespace(step *yaml.Node) *Template {
	_, v := lookup(step, "namespace")
	if v == nil {
		return Literal("/")
	}
	t := d.stringTemplate(v, "namespace")
	if s, ok := t.Static(); ok && t != nil {
		ns, _ := s.(string)
		if ns == "" {
			return Literal("/")
		}
		if !strings.HasPrefix(ns, "/") {
			d.errf(v, fmt.Sprintf("write namespace: \"/%s\"", ns), "a namespace starts with \"/\"")
		}
	}
	if t == nil {
		return Literal("/")
	}
	return t
}

// stringTemplate compiles a scalar that must render to text.
func (d *decoder) stringTemplate(v *yaml.Node, what string) *Template {
	if v.Kind != yaml.ScalarNode || isNull(v) {
		d.errf(v, "", "%s must be text, not %s", what, kindName(v))
		return nil
	}
	t, err := compileString(v.Value, pos(v))
	if err != nil {
		d.errf(v, "", "bad template: %v", err)
		return nil
	}
	d.templates = append(d.templates, t)
	return t
}

// besideOrInside finds key beside emit on the step (Artillery 2) or inside
// the emit mapping (Artillery 1.x, accepted with a warning).
func (d *decoder) besideOrInside(step, emit *yaml.Node, key string) *yaml.Node {
	_, beside := lookup(step, key)
	ik, inside := lookup(emit, key)
	if inside == nil {
		return beside
	}
	if beside != nil {
		d.errf(ik, "keep the one beside emit:", "%s is both beside and inside emit", key)
		return beside
	}
	d.warnf(ik, fmt.Sprintf("move it out of emit, to line up with emit: (column %d), as Artillery 2 reads it; sockload reads both", step.Content[0].Column),
		"%s inside emit is Artillery 1.x style; Artillery 2 ignores it there", key)
	return inside
}

func (d *decoder) emit(step, v *yaml.Node) Step {
	e := &EmitStep{Pos: pos(step)}
	if ns := d.besideOrInside(step, v, "namespace"); ns != nil {
		e.Namespace = d.namespace(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "namespace"}, ns}})
	} else {
		e.Namespace = Literal("/")
	}
	switch v.Kind {
	case yaml.MappingNode:
		_, ch := lookup(v, "channel")
		if ch == nil && d.hasUnknownKeys(v, ctxEmit) {
			return nil // a misspelt channel: reported by the placement check
		}
		if ch == nil || isNull(ch) || ch.Value == "" && ch.Kind == yaml.ScalarNode {
			at := v
			if ch != nil {
				at = ch
			}
			d.errf(at, "name the event: emit:\n  channel: \"hello\"\n  data: \"world\"", "emit without an event name (channel)")
			return nil
		}
		e.Event = d.stringTemplate(ch, "emit channel")
		// Without data Artillery still sends the argument: ["hello", null],
		// which a server handler (data, ack) expects.
		data := Literal(nil)
		if _, dn := lookup(v, "data"); dn != nil {
			data = d.template(dn)
		}
		e.Args = []*Template{data}
	case yaml.SequenceNode:
		if len(v.Content) == 0 || v.Content[0].Kind != yaml.ScalarNode || isNull(v.Content[0]) || v.Content[0].Value == "" {
			at := v
			if len(v.Content) > 0 {
				at = v.Content[0]
			}
			d.errf(at, "the first item is the event name: emit: [\"hello\", \"world\"]", "emit without an event name")
			return nil
		}
		e.Event = d.stringTemplate(v.Content[0], "the event name")
		for _, a := range v.Content[1:] {
			e.Args = append(e.Args, d.template(a))
		}
	default:
		d.errf(v, "write emit: {channel: \"hello\", data: \"world\"} or emit: [\"hello\", \"world\"]",
			"emit must be a mapping with channel and data, or a list [event, args...], not %s", kindName(v))
		return nil
	}
	if _, rc := lookup(step, "reconnect"); rc != nil {
		e.Reconnect, _ = d.boolean(rc, "reconnect")
	}
	if ack := d.besideOrInside(step, v, "acknowledge"); ack != nil {
		if ack.Kind == yaml.ScalarNode && ack.Tag == "!!bool" {
			// acknowledge: true waits for the ack and checks nothing, as in
			// Artillery; false asks for none.
			if b, _ := d.boolean(ack, "acknowledge"); b {
				e.Acknowledge = &Check{Pos: pos(ack)}
			}
		} else {
			e.Acknowledge = d.check(ack, "acknowledge")
		}
	}
	if resp := d.besideOrInside(step, v, "response"); resp != nil {
		e.Response = d.response(resp)
	}
	d.groups(step, e)
	if e.Event == nil {
		return nil
	}
	return e
}

// check decodes args/data, match and capture of an acknowledge, a response
// or a waitFor.
func (d *decoder) check(n *yaml.Node, what string) *Check {
	c := &Check{Pos: pos(n)}
	if isNull(n) {
		return c // acknowledge: with nothing under it: wait for the ack, check nothing
	}
	if n.Kind != yaml.MappingNode {
		d.errf(n, "write "+what+":\n  match:\n    json: \"$.0\"\n    value: \"pong\"", "%s must be a mapping (args, match, capture), not %s", what, kindName(n))
		return c
	}
	_, args := lookup(n, "args")
	dk, data := lookup(n, "data")
	if args != nil && data != nil {
		d.errf(dk, "keep one of them: they mean the same", "%s has both args and data", what)
	}
	if args == nil {
		args = data
	}
	if args != nil && !isNull(args) {
		c.Args = d.template(args)
		switch {
		case args.Kind == yaml.SequenceNode:
			c.ArgsMode = ArgsAll
		case args.Kind == yaml.ScalarNode && args.Tag == "!!str":
			c.ArgsMode = ArgsSubstring
		default:
			c.ArgsMode = ArgsLast
		}
	}
	if _, m := lookup(n, "match"); m != nil {
		c.Match = d.matches(m)
	}
	if _, cp := lookup(n, "capture"); cp != nil {
		c.Capture = d.captures(cp)
	}
	return c
}

func listOrOne(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

func (d *decoder) matches(n *yaml.Node) []Match {
	var out []Match
	for _, m := range listOrOne(n) {
		if m.Kind != yaml.MappingNode {
			d.errf(m, "write match:\n  json: \"$.0\"\n  value: \"pong\"", "match must be a mapping with json and value (or a list of them), not %s", kindName(m))
			continue
		}
		mt := Match{Pos: pos(m)}
		jk, j := lookup(m, "json")
		mt.JSON = d.jsonPath(j, jk)
		_, val := lookup(m, "value")
		if val == nil {
			d.errf(m, "add value: with what the JSON at json should be", "match without a value")
			continue
		}
		mt.Value = d.template(val)
		if mt.JSON != nil {
			out = append(out, mt)
		}
	}
	return out
}

func (d *decoder) captures(n *yaml.Node) []Capture {
	var out []Capture
	for _, m := range listOrOne(n) {
		if m.Kind != yaml.MappingNode {
			d.errf(m, "write capture:\n  json: \"$.0.id\"\n  as: \"id\"", "capture must be a mapping with json and as (or a list of them), not %s", kindName(m))
			continue
		}
		cp := Capture{Pos: pos(m), Strict: true}
		jk, j := lookup(m, "json")
		if j == nil {
			d.captureWithoutJSON(m)
			continue
		}
		cp.JSON = d.jsonPath(j, jk)
		if _, as := lookup(m, "as"); as == nil {
			d.errf(m, "add as: with the variable name to store it in", "capture without as")
			continue
		} else if name, ok := d.str(as, "as"); ok {
			cp.As = name
			d.defined[name] = true
		}
		if _, st := lookup(m, "strict"); st != nil {
			cp.Strict, _ = d.boolean(st, "strict")
		}
		if cp.JSON != nil && cp.As != "" {
			out = append(out, cp)
		}
	}
	return out
}

func (d *decoder) captureWithoutJSON(m *yaml.Node) {
	for _, other := range []string{"regexp", "xpath", "header", "selector"} {
		if k, _ := lookup(m, other); k != nil {
			d.errf(k, "capture with json: over the event's arguments, like json: \"$.0.id\"", "capture by %s is not supported for Socket.IO", other)
			return
		}
	}
	d.errf(m, "add json: with the path to capture, like json: \"$.0.id\"", "capture without json")
}

// jsonPath compiles json: (default $.0 when absent).
func (d *decoder) jsonPath(v, key *yaml.Node) *JSONPath {
	if v == nil {
		p, _ := ParseJSONPath("$.0")
		return p
	}
	s, ok := d.str(v, "json")
	if !ok {
		return nil
	}
	p, err := ParseJSONPath(s)
	if err != nil {
		d.errf(v, "write a path over the list of the event's arguments, like \"$.0\" (the first) or \"$.0.user.id\"", "%v", err)
		return nil
	}
	note := portability(p)
	note.Pos = pos(v)
	d.pathNotes = append(d.pathNotes, note)
	return p
}

func (d *decoder) response(n *yaml.Node) *Response {
	r := &Response{}
	if n.Kind != yaml.MappingNode {
		d.errf(n, "write response:\n  channel: \"reply\"\n  data: \"ok\"", "response must be a mapping with channel, not %s", kindName(n))
		return nil
	}
	_, ch := lookup(n, "channel")
	if ch == nil {
		_, ch = lookup(n, "on")
	}
	if ch == nil {
		d.errf(n, "add channel: with the name of the event to wait for", "response without a channel")
		return nil
	}
	r.Event = d.stringTemplate(ch, "response channel")
	if _, cc := lookup(n, "concat"); cc != nil {
		r.Concat, _ = d.boolean(cc, "concat")
	}
	r.Check = *d.check(n, "response")
	return r
}

// groups reads to, includeSender, joinGroup and leaveGroup of an emit.
func (d *decoder) groups(step *yaml.Node, e *EmitStep) {
	if _, v := lookup(step, "to"); v != nil {
		e.To = d.stringTemplate(v, "to")
		traced := false
		for _, a := range e.Args {
			traced = traced || a.UsesTrace()
		}
		if !traced {
			d.errf(v, "put \"{{ $trace }}\" into the payload, like data: {text: \"hi\", trace: \"{{ $trace }}\"}",
				"to: names the group a traced emit is meant for, but this emit's payload has no {{ $trace }}")
		}
	}
	if k, v := lookup(step, "includeSender"); v != nil {
		e.IncludeSender, _ = d.boolean(v, "includeSender")
		if e.To == nil {
			d.errf(k, "add to: with the group the emit is meant for", "includeSender without to:")
		}
	}
	if _, v := lookup(step, "joinGroup"); v != nil {
		e.JoinGroup = d.stringTemplate(v, "joinGroup")
	}
	if _, v := lookup(step, "leaveGroup"); v != nil {
		e.LeaveGroup = d.stringTemplate(v, "leaveGroup")
	}
}

// listeners reads a scenario's listen: one listener or a list of them.
func (d *decoder) listeners(n *yaml.Node) []Listener {
	var out []Listener
	for _, m := range listOrOne(n) {
		if m.Kind == yaml.ScalarNode && !isNull(m) {
			if ev := d.stringTemplate(m, "listen"); ev != nil {
				out = append(out, Listener{Pos: pos(m), Namespace: Literal("/"), Event: ev, Trace: true, Check: Check{Pos: pos(m)}})
			}
			continue
		}
		if m.Kind != yaml.MappingNode {
			d.errf(m, "write listen:\n  - event: \"chat\"\n    capture: {json: \"$.0.text\", as: \"last\"}", "listen must be an event name, a mapping or a list of them, not %s", kindName(m))
			continue
		}
		l := Listener{Pos: pos(m), Namespace: d.namespace(m), Trace: true}
		var ev *yaml.Node
		for _, k := range []string{"event", "channel", "on"} {
			if _, e := lookup(m, k); e != nil {
				ev = e
				break
			}
		}
		if ev == nil {
			d.errf(m, "add event: with the name of the event to listen for", "listen without an event name")
			continue
		}
		l.Event = d.stringTemplate(ev, "event")
		if _, t := lookup(m, "trace"); t != nil {
			l.Trace, _ = d.boolean(t, "trace")
		}
		l.Check = *d.check(m, "listen")
		if l.Event != nil {
			out = append(out, l)
		}
	}
	return out
}

func (d *decoder) think(step, v *yaml.Node) Step {
	t := &ThinkStep{Pos: pos(step)}
	if v.Kind != yaml.ScalarNode || isNull(v) {
		d.errf(v, "write think: 1 (seconds) or think: \"500ms\"", "think must be seconds or a duration, not %s", kindName(v))
		return nil
	}
	t.Duration = d.template(v)
	if t.Duration == nil {
		return nil
	}
	if t.Duration.IsStatic() {
		if _, err := ThinkDuration(t.Duration, nil); err != nil {
			d.errf(v, "", "%v", err)
			return nil
		}
	}
	if _, j := lookup(step, "jitter"); j != nil {
		t.Jitter = d.jitter(j)
	}
	return t
}

// ThinkDuration renders a think step's duration: a number is seconds, a
// string a duration ("500ms", "2s").
func ThinkDuration(t *Template, ctx *Context) (time.Duration, error) {
	switch x := t.Render(ctx).(type) {
	case int64:
		return checkDuration(fmt.Sprint(x), float64(x)*float64(time.Second))
	case float64:
		return checkDuration(fmt.Sprint(x), x*float64(time.Second))
	case string:
		return ParseDuration(x, time.Second)
	default:
		return 0, fmt.Errorf("think time %v is not a duration: write seconds (1) or \"500ms\"", x)
	}
}

// jitter reads "20%" or an amount (a number is milliseconds, as Artillery's
// jitter is, or a duration string).
func (d *decoder) jitter(v *yaml.Node) *Jitter {
	if v.Kind != yaml.ScalarNode || isNull(v) {
		d.errf(v, "write jitter: \"20%\" or jitter: 500 (milliseconds)", "jitter must be a percentage or an amount")
		return nil
	}
	s := strings.TrimSpace(v.Value)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		var f float64
		if _, err := fmt.Sscanf(p, "%g", &f); err != nil || f < 0 || f > 100 {
			d.errf(v, "write a percentage between 0% and 100%", "jitter %q is not a percentage", s)
			return nil
		}
		return &Jitter{Percent: f}
	}
	amount, err := ParseDuration(s, time.Millisecond)
	if err != nil {
		d.errf(v, "write jitter: \"20%\" or jitter: 500 (milliseconds)", "jitter: %v", err)
		return nil
	}
	return &Jitter{Amount: amount}
}

func (d *decoder) loop(step, v *yaml.Node) Step {
	l := &LoopStep{Pos: pos(step), LoopValue: "$loopCount", LoopElement: "$loopElement"}
	l.Steps = d.flow(v, "loop")
	if _, c := lookup(step, "count"); c != nil {
		l.Count = d.template(c)
		if l.Count != nil && l.Count.IsStatic() {
			val, _ := l.Count.Static()
			if _, err := ParseLoopCount(val); err != nil {
				d.errf(c, "write count: 10, count: \"1-15\" or count: \"{{ n }}\"", "%v", err)
			}
		}
	}
	if _, o := lookup(step, "over"); o != nil {
		switch {
		case o.Kind == yaml.SequenceNode:
			for _, it := range o.Content {
				l.Over = append(l.Over, d.template(it))
			}
		case o.Kind == yaml.ScalarNode && !isNull(o):
			name := strings.TrimSpace(o.Value)
			if strings.HasPrefix(name, "{{") && strings.HasSuffix(name, "}}") {
				name = strings.TrimSpace(name[2 : len(name)-2])
			}
			l.OverVar = name
			d.templates = append(d.templates, &Template{Pos: pos(o), kind: tmplExpr, expr: &expr{path: []pathSeg{{key: strings.SplitN(name, ".", 2)[0]}}}})
		default:
			d.errf(o, "write over: [a, b, c] or over: variableName", "over must be a list or the name of a variable holding one")
		}
	}
	if k, _ := lookup(step, "whileTrue"); k != nil {
		d.errf(k, "loop a fixed number of times with count:, or over a list with over:", "whileTrue names a JavaScript function, which sockload does not run")
	}
	if _, lv := lookup(step, "loopValue"); lv != nil {
		l.LoopValue, _ = d.str(lv, "loopValue")
	}
	if _, le := lookup(step, "loopElement"); le != nil {
		l.LoopElement, _ = d.str(le, "loopElement")
	}
	d.defined[l.LoopValue] = true
	d.defined[l.LoopElement] = true
	return l
}

func (d *decoder) connect(step, v *yaml.Node) Step {
	c := &ConnectStep{Pos: pos(step), Namespace: Literal("/")}
	if !isNull(v) && v.Kind != yaml.MappingNode {
		d.errf(v, "write connect:\n  namespace: \"/chat\"\n  auth:\n    token: \"{{ token }}\"", "connect must be a mapping of options, not %s", kindName(v))
		return nil
	}
	if _, ns := lookup(v, "namespace"); ns != nil {
		c.Namespace = d.namespace(v)
	} else {
		c.Namespace = d.namespace(step)
	}
	layers := append(append([]*yaml.Node(nil), d.layers...), v)
	c.Options = d.socketIO(layers, pos(v))
	return c
}

func (d *decoder) waitFor(step, v *yaml.Node) Step {
	w := &WaitForStep{Pos: pos(step), Namespace: d.namespace(step), Count: 1, Timeout: d.timeout}
	if v.Kind == yaml.ScalarNode && !isNull(v) {
		w.Event = d.stringTemplate(v, "waitFor")
		w.Check = Check{Pos: pos(v)}
		return w
	}
	if v.Kind != yaml.MappingNode {
		d.errf(v, "write waitFor:\n  event: \"news\"\n  count: 3", "waitFor must be an event name or a mapping, not %s", kindName(v))
		return nil
	}
	var ev *yaml.Node
	for _, k := range []string{"event", "channel", "on"} {
		if _, e := lookup(v, k); e != nil {
			ev = e
			break
		}
	}
	if ev == nil {
		d.errf(v, "add event: with the name of the event to wait for", "waitFor without an event name")
		return nil
	}
	w.Event = d.stringTemplate(ev, "event")
	if _, c := lookup(v, "count"); c != nil {
		if n, ok := d.integer(c, "count"); ok {
			if n < 1 {
				d.errf(c, "", "count must be at least 1")
			}
			w.Count = n
		}
	}
	if _, t := lookup(v, "timeout"); t != nil {
		if dur, ok := d.duration(t, "timeout"); ok {
			w.Timeout = dur
		}
	}
	w.Check = *d.check(v, "waitFor")
	if w.Event == nil {
		return nil
	}
	return w
}
