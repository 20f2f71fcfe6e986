package scenario

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize caps a scenario file (bytes). Scenario files are small; a
// larger file is a mistake (or an attack) and is refused before reading.
const MaxFileSize = 10 << 20

// MaxAliasValues caps the values a file may gain through YAML aliases
// (*name), each alias counting the values it copies, so that a "billion
// laughs" file is refused instead of exhausting memory. Values written out
// in the file are bounded by MaxFileSize instead.
const MaxAliasValues = 100_000

// Options change how a file is loaded. The zero value loads the file as
// written.
type Options struct {
	// Environment selects config.environments.<name>, deep-merged over
	// config (maps merge, lists and scalars replace). It is $environment.
	Environment string
	// Overrides is a JSON object deep-merged over the whole file after the
	// environment (maps merge, lists replace), as Artillery's --overrides:
	// {"config": {"phases": [{"duration": 10, "arrivalRate": 1}]}}. An
	// object of config keys alone ({"phases": [...]}) is merged over config.
	Overrides []byte
	// Variables is a JSON object whose keys set config.variables (each
	// replacing the variable of that name), as Artillery's --variables.
	Variables []byte
	// Getenv reads environment variables for $env templates resolved at
	// load (target, phases, weights...). Nil reads none.
	Getenv func(string) string
}

// Load reads, parses and validates the scenario file at path. On invalid
// input it returns a *Error holding every error found (errors.As), each
// with file:line:col, the offending line and a fix where there is one.
// Other errors (the file cannot be read) are returned wrapped.
func Load(path string, opts Options) (*Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open the scenario file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read the scenario file: %w", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("%s is a directory: give the scenario file (a .yml)", path)
	}
	if info.Size() > MaxFileSize {
		return nil, tooLarge(path, info.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read the scenario file: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge(path, int64(len(data)))
	}
	return Parse(path, data, opts)
}

func tooLarge(path string, size int64) error {
	return &Error{Diagnostics: []Diagnostic{{
		File: path, Severity: SeverityError,
		Message: fmt.Sprintf("the file is %d bytes, more than the %d MiB a scenario file may be", size, MaxFileSize>>20),
		Hint:    "a scenario is a short YAML file; keep data in CSV payload files",
	}}}
}

// Parse is Load for a file already in memory; name is used in messages and
// its directory to resolve payload paths.
func Parse(name string, data []byte, opts Options) (s *Script, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, &Error{Diagnostics: []Diagnostic{{File: name, Severity: SeverityError,
				Message: fmt.Sprintf("internal error while reading the file (%v); please report it with the file", r),
				Hint:    "check the YAML syntax near the end of the file"}}}
		}
	}()
	if len(data) > MaxFileSize {
		return nil, tooLarge(name, int64(len(data)))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark, as some editors write
	ds := &diagnostics{}
	ds.addSource(name, data)
	script := &Script{Path: name, Dir: filepath.Dir(name), Environment: opts.Environment}
	root := parseYAML(ds, name, data)
	if root != nil {
		d := &decoder{ds: ds, file: name, origin: map[*yaml.Node]string{}, dir: script.Dir, defined: map[string]bool{}}
		checkDuplicates(ds, name, root, 0)
		d.misplaced = checkPlacement(ds, name, treeFromNode(root))
		root = d.applyEnvironment(root, opts.Environment)
		root = d.applyOverrides(root, opts)
		script.Environments = environmentNames(root)
		d.loadCtx = d.loadContext(root, opts)
		_, d.configN = lookup(root, "config")
		d.script(root, script)
		d.finish(script)
		script.PathNotes = d.pathNotes
	}
	errs, warns := ds.sorted()
	script.Warnings = warns
	if len(errs) > 0 {
		return nil, &Error{Diagnostics: errs, Warnings: warns}
	}
	return script, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the root mapping with aliases and merge keys expanded,
// or nil after reporting why there is none.
func parseYAML(ds *diagnostics, name string, data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		before := len(ds.list)
		checkPlacement(ds, name, treeFromLines(ds, name, data))
		line, msg := 0, err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		col := 1
		if lines := ds.files[name]; line >= 1 && line <= len(lines) {
			col = len(lines[line-1]) - len(strings.TrimLeft(lines[line-1], " ")) + 1
		}
		if len(ds.list) > before {
			// The lines scanned explain the failure more precisely than the
			// parser can; once they are fixed, a rerun shows what remains.
			return nil
		}
		hint := "check the indentation (keys of one mapping line up, a key's children are indented further than it) and the quotes"
		ds.add(SeverityError, name, Pos{line, col}, hint, "YAML syntax error: %s", msg)
		return nil
	}
	if len(doc.Content) == 0 {
		ds.add(SeverityError, name, Pos{}, "a scenario file has config: (target, phases) and scenarios:", "the file is empty")
		return nil
	}
	ex := &expander{budget: MaxAliasValues, seen: map[*yaml.Node]bool{}}
	root, err := ex.expand(doc.Content[0])
	if err != nil {
		ds.add(SeverityError, name, ex.at, "a scenario file needs no more than a few thousand values; remove the aliases that multiply each other", "%v", err)
		return nil
	}
	if root.Kind != yaml.MappingNode {
		ds.add(SeverityError, name, pos(root), "a scenario file is a mapping with config: and scenarios: at its top level", "the file is %s, not a mapping", kindName(root))
		return nil
	}
	return root
}

// expander replaces aliases with (shared) copies of their anchors and
// applies merge keys (<<), counting every value it visits so that
// exponential alias nesting stops at the budget.
type expander struct {
	budget  int
	inAlias int // > 0 while expanding an alias: only those values count
	at      Pos
	seen    map[*yaml.Node]bool // anchors being expanded, to refuse cycles
}

var errTooManyNodes = fmt.Errorf("this alias makes the file expand to more than %d values through YAML aliases (&anchor / *alias): refused, as a YAML bomb would be", MaxAliasValues)

func (ex *expander) expand(n *yaml.Node) (*yaml.Node, error) {
	if ex.inAlias > 0 {
		ex.budget--
	}
	if ex.budget < 0 {
		return nil, errTooManyNodes
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil || ex.seen[n.Alias] {
			ex.at = pos(n)
			return nil, fmt.Errorf("alias *%s refers to itself", n.Value)
		}
		ex.seen[n.Alias] = true
		if ex.inAlias == 0 {
			ex.at = pos(n) // report the outermost alias: that is the one to remove
		}
		ex.inAlias++
		defer func() { delete(ex.seen, n.Alias); ex.inAlias-- }()
		return ex.expand(n.Alias)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}, nil
		}
		return ex.expand(n.Content[0])
	case yaml.SequenceNode:
		out := *n
		out.Content = make([]*yaml.Node, 0, len(n.Content))
		for _, c := range n.Content {
			e, err := ex.expand(c)
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, e)
		}
		return &out, nil
	case yaml.MappingNode:
		return ex.mapping(n)
	}
	return n, nil
}

func (ex *expander) mapping(n *yaml.Node) (*yaml.Node, error) {
	out := *n
	out.Content = nil
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ev, err := ex.expand(v)
		if err != nil {
			return nil, err
		}
		if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0) {
			for _, m := range listOrOne(ev) {
				if m.Kind == yaml.MappingNode {
					merged = append(merged, m)
				}
			}
			continue
		}
		out.Content = append(out.Content, k, ev)
	}
	for _, m := range merged {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k, _ := lookup(&out, m.Content[i].Value); k == nil {
				out.Content = append(out.Content, m.Content[i], m.Content[i+1])
			}
		}
	}
	return &out, nil
}

// mergeNodes deep-merges over onto base: mappings merge key by key,
// anything else in over replaces. Neither input is modified.
func mergeNodes(base, over *yaml.Node) *yaml.Node {
	if base == nil || base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		return over
	}
	out := *base
	out.Content = append([]*yaml.Node(nil), base.Content...)
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		replaced := false
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == k.Value {
				out.Content[j+1] = mergeNodes(out.Content[j+1], v)
				replaced = true
				break
			}
		}
		if !replaced {
			out.Content = append(out.Content, k, v)
		}
	}
	return &out
}

// setKey returns a copy of mapping m with key set to v.
func setKey(m *yaml.Node, key string, v *yaml.Node) *yaml.Node {
	out := *m
	out.Content = append([]*yaml.Node(nil), m.Content...)
	for j := 0; j+1 < len(out.Content); j += 2 {
		if out.Content[j].Value == key {
			out.Content[j+1] = v
			return &out
		}
	}
	out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: v.Line, Column: v.Column}, v)
	return &out
}

func (d *decoder) applyEnvironment(root *yaml.Node, env string) *yaml.Node {
	if env == "" {
		return root
	}
	_, config := lookup(root, "config")
	ek, envs := lookup(config, "environments")
	var names []string
	if envs != nil && envs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(envs.Content); i += 2 {
			names = append(names, envs.Content[i].Value)
			if envs.Content[i].Value == env {
				body := envs.Content[i+1]
				if body.Kind != yaml.MappingNode {
					d.errf(body, "an environment holds config settings, like target: and phases:", "environment %q must be a mapping", env)
					return root
				}
				return setKey(root, "config", mergeNodes(config, body))
			}
		}
	}
	at := ek
	if at == nil {
		at = root
	}
	hint := "add config.environments." + env + " with the settings that differ"
	if len(names) > 0 {
		hint = "environments in this file: " + strings.Join(names, ", ")
		if c := closest(env, names); c != "" {
			hint = fmt.Sprintf("did you mean %q? (%s)", c, hint)
		}
	}
	d.errf(at, hint, "environment %q is not defined in the file", env)
	return root
}

func environmentNames(root *yaml.Node) []string {
	_, config := lookup(root, "config")
	_, envs := lookup(config, "environments")
	if envs == nil || envs.Kind != yaml.MappingNode {
		return nil
	}
	var names []string
	for i := 0; i+1 < len(envs.Content); i += 2 {
		names = append(names, envs.Content[i].Value)
	}
	return names
}

// parseJSONObject parses a command-line JSON object into nodes whose
// positions point into it (reported as file source).
func (d *decoder) parseJSONObject(source string, data []byte) *yaml.Node {
	d.ds.addSource(source, data)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		msg, at := "it is not a JSON object", Pos{}
		if err != nil {
			msg = strings.TrimPrefix(err.Error(), "yaml: ")
			if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
				line, _ := strconv.Atoi(m[1])
				msg, at = "it is not valid JSON: "+m[2], Pos{line, 1}
			}
		}
		example := `write a JSON object, like '{"config": {"target": "http://localhost:3000"}}'`
		if source == "--variables" {
			example = `write a JSON object of variables, like '{"token": "abc", "room": "lobby"}'`
		}
		d.ds.add(SeverityError, source, at, example, "%s", msg)
		return nil
	}
	ex := &expander{budget: MaxAliasValues, seen: map[*yaml.Node]bool{}}
	n, err := ex.expand(doc.Content[0])
	if err != nil {
		d.ds.add(SeverityError, source, ex.at, "", "%v", err)
		return nil
	}
	markOrigin(n, source, d.origin)
	return n
}

func markOrigin(n *yaml.Node, source string, origin map[*yaml.Node]string) {
	origin[n] = source
	for _, c := range n.Content {
		markOrigin(c, source, origin)
	}
}

func (d *decoder) applyOverrides(root *yaml.Node, opts Options) *yaml.Node {
	if len(opts.Overrides) > 0 {
		if over := d.parseJSONObject("--overrides", opts.Overrides); over != nil {
			over = wrapConfigOverrides(over)
			for k, v := range checkPlacement(d.ds, "--overrides", treeFromNode(over)) {
				d.misplaced[k] = v
			}
			root = mergeNodes(root, over)
		}
	}
	if len(opts.Variables) > 0 {
		if vars := d.parseJSONObject("--variables", opts.Variables); vars != nil {
			_, config := lookup(root, "config")
			if config == nil || config.Kind != yaml.MappingNode {
				return root
			}
			_, existing := lookup(config, "variables")
			if existing == nil || existing.Kind != yaml.MappingNode {
				existing = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: vars.Line, Column: vars.Column}
			}
			root = setKey(root, "config", setKey(config, "variables", mergeShallow(existing, vars)))
		}
	}
	return root
}

// wrapConfigOverrides accepts overrides written for config alone
// ({"phases": [...]}) as well as Artillery's form for the whole file
// ({"config": {"phases": [...]}}): an object none of whose keys is a
// top-level key but some of which are config keys is put under config.
func wrapConfigOverrides(over *yaml.Node) *yaml.Node {
	configKeys := false
	for i := 0; i+1 < len(over.Content); i += 2 {
		k := over.Content[i].Value
		if _, top := schema[ctxRoot][k]; top {
			return over
		}
		if _, ok := schema[ctxConfig][k]; ok {
			configKeys = true
		}
	}
	if !configKeys {
		return over
	}
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "config", Line: over.Line, Column: over.Column}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: over.Line, Column: over.Column, Content: []*yaml.Node{key, over}}
}

// mergeShallow sets each key of over in base, replacing whole values.
func mergeShallow(base, over *yaml.Node) *yaml.Node {
	out := base
	for i := 0; i+1 < len(over.Content); i += 2 {
		out = setKey(out, over.Content[i].Value, over.Content[i+1])
	}
	return out
}

// loadContext is what templates resolved at load see: $env, $environment
// and the first value of each variable that is not itself a template.
func (d *decoder) loadContext(root *yaml.Node, opts Options) *Context {
	ctx := &Context{Vars: map[string]any{}, Environment: opts.Environment, Getenv: opts.Getenv}
	_, config := lookup(root, "config")
	_, vars := lookup(config, "variables")
	if vars == nil || vars.Kind != yaml.MappingNode {
		return ctx
	}
	for i := 0; i+1 < len(vars.Content); i += 2 {
		v := vars.Content[i+1]
		if v.Kind == yaml.SequenceNode && len(v.Content) > 0 {
			v = v.Content[0]
		}
		if v.Kind == yaml.ScalarNode && !strings.Contains(v.Value, "{{") {
			var val any
			if v.Decode(&val) == nil {
				if n, ok := val.(int); ok {
					val = int64(n)
				}
				ctx.Vars[vars.Content[i].Value] = val
			}
		}
	}
	return ctx
}

// finish runs the checks that need the whole file: variables used but
// never defined, and JavaScript declared but never used.
func (d *decoder) finish(s *Script) {
	if s.Config.Processor != "" {
		_, config := lookup(d.configN, "processor")
		d.warnf(config, "remove config.processor, or keep it for Artillery: its functions never run here",
			"config.processor names JavaScript (%s), which sockload does not run", s.Config.Processor)
	}
	var names []string
	for k := range d.defined {
		names = append(names, k)
	}
	for _, t := range d.templates {
		for _, v := range t.Vars() {
			if d.defined[v] || strings.HasPrefix(v, "$") {
				continue
			}
			hint := "define it under config.variables, as a payload field, or capture it in an earlier step"
			if c := closest(v, names); c != "" {
				hint = fmt.Sprintf("did you mean %q?", c)
			}
			d.ds.add(SeverityWarning, d.file, t.Pos, hint, "{{ %s }} is not defined anywhere in the file; it renders empty", v)
		}
	}
}
