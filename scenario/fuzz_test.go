package scenario

import (
	"errors"
	"os"
	"strings"
	"testing"
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

// FuzzTemplate compiles and renders arbitrary template text.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"{{ a }}", "x{{ $randomNumber(1, 3) }}y", "{{{ b.c[0] }}}", "{{ $env.HOME }}", "{{", "}}{{", "{{ $randomString(5) }}{{ a['k'] }}"} {
		f.Add(s)
	}
	ctx := &Context{Vars: map[string]any{"a": []any{1.0, map[string]any{"k": "v"}}, "b": map[string]any{"c": []any{"x"}}}}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := compileString(s, Pos{})
		if err != nil {
			return
		}
		_ = RenderString(tmpl, ctx)
	})
}

// FuzzJSONPath parses arbitrary paths and evaluates them.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"$.0", "$[1]['a'].b", "0.x", "$", "$..a"} {
		f.Add(s)
	}
	root := []any{"pong", map[string]any{"a": map[string]any{"b": []any{1.0}}}}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseJSONPath(s)
		if err != nil {
			return
		}
		p.Eval(any(root))
	})
}
