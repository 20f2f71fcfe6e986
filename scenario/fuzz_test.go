package scenario

import (
	"errors"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must return a script or
// a *Error, never panic (Parse recovers, and says "internal error" when it
// had to), and never use memory out of proportion to the input.
func FuzzLoad(f *testing.F) {
	for _, file := range []string{
		"../examples/my-scenario.yml",
		"../testdata/scenarios/invalid/seed-broken.yml",
		"../testdata/scenarios/valid/05-nested-loops.yml",
		"../testdata/scenarios/valid/18-anchors.yml",
		"../testdata/scenarios/valid/19-http-login.yml",
		"../testdata/scenarios/invalid/http-steps.yml",
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("config:\ntarget: x\n- a: 1\n  b: 2\n    c: 3\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(dir+"/fuzz.yml", data, Options{})
		var invalid *Error
		switch {
		case err == nil:
			if s == nil || s.Config.Target == "" || len(s.Config.Phases) == 0 || len(s.Scenarios) == 0 {
				t.Fatalf("a valid script without target, phases or scenarios: %+v", s)
			}
			_ = s.Plan().String()
		case errors.As(err, &invalid):
			if len(invalid.Diagnostics) == 0 {
				t.Fatal("an *Error without diagnostics")
			}
			if msg := invalid.Error(); strings.Contains(msg, "internal error") {
				t.Fatalf("the loader panicked: %s", msg)
			}
		default:
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}

// FuzzTemplate compiles and renders arbitrary template text. Oracles: text
// without "{{" renders to itself; rendering is a function of the context,
// so two contexts with the same seed render the same value (a run's seed
// reproduces its data).
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"{{ a }}", "x{{ $randomNumber(1, 3) }}y", "{{{ b.c[0] }}}", "{{ $env.HOME }}", "{{", "}}{{", "{{ $randomString(5) }}{{ a['k'] }}", "{{ a.-1 }}", "{{ $uuid() }}"} {
		f.Add(s)
	}
	ctxWithSeed := func() *Context {
		return &Context{
			Vars:   map[string]any{"a": []any{1.0, map[string]any{"k": "v"}}, "b": map[string]any{"c": []any{"x"}}},
			Getenv: func(name string) string { return "env:" + name },
			Now:    func() time.Time { return time.UnixMilli(1_700_000_000_000) },
			Rand:   rand.New(rand.NewPCG(7, 7)),
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := compileString(s, Pos{})
		if err != nil {
			return
		}
		first, second := RenderString(tmpl, ctxWithSeed()), RenderString(tmpl, ctxWithSeed())
		if first != second {
			t.Fatalf("%q rendered %q, then %q with the same seed", s, first, second)
		}
		if !strings.Contains(s, "{{") && first != s {
			t.Fatalf("%q has no {{ }} but renders as %q", s, first)
		}
	})
}

// FuzzJSONPath parses arbitrary paths and evaluates them. Oracle: the same
// steps written as a template variable ({{ root.0.a }} for $.0.a), where
// its narrower syntax takes them, find the same value.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"$.0", "$[1]['a'].b", "0.x", "$", "$..a", "$.1.a.b[0]", "1.a", "$.-1", "$[\"1\"]"} {
		f.Add(s)
	}
	root := []any{"pong", map[string]any{"a": map[string]any{"b": []any{1.0}}, "0": "zero"}}
	ctx := &Context{Vars: map[string]any{"root": root}}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseJSONPath(s)
		if err != nil {
			return
		}
		got, found := p.Eval(any(root))
		steps := strings.TrimSpace(s)
		if rest, ok := strings.CutPrefix(steps, "$"); ok {
			steps = rest
		} else {
			steps = "." + steps
		}
		if strings.Contains(steps, "}") || strings.Contains(steps, "(") {
			return
		}
		tmpl, err := compileString("{{ root"+steps+" }}", Pos{})
		if err != nil || tmpl.kind != tmplExpr {
			return // a name the template syntax does not take
		}
		want := tmpl.Render(ctx)
		if !found {
			got = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q finds %#v (found %v); the template {{ root%s }} finds %#v", s, got, found, steps, want)
		}
	})
}
