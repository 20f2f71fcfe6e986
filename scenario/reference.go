package scenario

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The loader's vocabulary, for the reference documentation (docs/), whose
// test compares it with these lists: a key, step or template function added
// here and not there, or there and not here, fails it.

// Keys returns the keys the loader knows in each kind of mapping of a
// scenario file, by the mapping's name ("root", "config", "phase",
// "socketio", "step", "emit", "acknowledge", ...), each list sorted. The
// names of environments are the user's, so they are not listed.
func Keys() map[string][]string {
	out := map[string][]string{}
	for ctx := range schema {
		if ctx == ctxEnvs || ctx == ctxEngineOpts {
			continue // any name; the same keys as socketio
		}
		out[string(ctx)] = keysOf(ctx)
	}
	return out
}

// StepKinds returns the keys that say what a step does, exactly one per
// step (emit, think, loop, ...), including those the loader refuses with an
// explanation (function steps), sorted.
func StepKinds() []string {
	kinds := slices.Clone(stepKinds)
	slices.Sort(kinds)
	return kinds
}

// TemplateFunctions lists the $ names a {{ }} expression may use, as they
// are written (a function with arguments ends with "()"). Any other $ name
// is reported by Load as a warning.
var TemplateFunctions = []string{
	"$uuid", "$randomNumber()", "$randomString()", "$env", "$processEnvironment",
	"$environment", "$loopCount", "$loopElement", "$now", "$timestamp", "$trace",
}

// warnUnknownFunctions warns about {{ $name }} expressions that name no
// template function: they would render as null at every VU.
func (d *decoder) warnUnknownFunctions(n *yaml.Node, t *Template) {
	for _, pt := range t.parts {
		d.warnUnknownFunction(n, pt.expr)
	}
	d.warnUnknownFunction(n, t.expr)
}

func (d *decoder) warnUnknownFunction(n *yaml.Node, e *expr) {
	if e == nil || e.kind != exprVar || len(e.path) == 0 {
		return
	}
	name := e.path[0].key
	if !strings.HasPrefix(name, "$") || isTemplateFunction(name) {
		return
	}
	hint := "use one of " + strings.Join(TemplateFunctions, ", ") + ", or a variable without $"
	names := make([]string, len(TemplateFunctions))
	for i, f := range TemplateFunctions {
		names[i] = strings.TrimSuffix(f, "()")
	}
	if near := closest(name, names); near != "" {
		hint = "did you mean " + near + "? Or " + hint
	}
	d.warnf(n, hint, "{{ %s }} names no template function, so it renders as null (as \"\" inside text)", name)
}

func isTemplateFunction(name string) bool {
	for _, f := range TemplateFunctions {
		if strings.TrimSuffix(f, "()") == name {
			return true
		}
	}
	return false
}
