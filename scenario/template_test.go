package scenario

import (
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	ctx := &Context{
		Vars: map[string]any{
			"name":         "ada",
			"count":        int64(42),
			"ratio":        0.5,
			"ok":           true,
			"user":         map[string]any{"id": float64(7), "tags": []any{"a", "b"}},
			"$loopCount":   3,
			"$loopElement": map[string]any{"room": "lobby"},
		},
		Environment: "staging",
		Getenv: func(k string) string {
			if k == "HOME" {
				return "/home/ada"
			}
			return ""
		},
	}
	tests := []struct {
		in   string
		want any
	}{
		{"plain", "plain"},
		{"{{ name }}", "ada"},
		{"{{name}}", "ada"},
		{"{{ count }}", int64(42)}, // exactly one template keeps the type
		{"{{ ratio }}", 0.5},
		{"{{ ok }}", true},
		{"{{ user }}", map[string]any{"id": float64(7), "tags": []any{"a", "b"}}},
		{" {{ count }}", " 42"}, // anything around it makes text
		{"n={{ count }}, r={{ ratio }}", "n=42, r=0.5"},
		{"{{ user.id }}", float64(7)},
		{"id-{{ user.id }}", "id-7"},
		{"{{ user.tags[1] }}", "b"},
		{"{{ user['id'] }}", float64(7)},
		{"{{ user.tags.0 }}", "a"},
		{"{{ missing }}", nil},
		{"[{{ missing }}]", "[]"},
		{"{{ user.nope.deeper }}", nil},
		{"{{ $env.HOME }}", "/home/ada"},
		{"{{ $processEnvironment.HOME }}/x", "/home/ada/x"},
		{"{{ $env.NOPE }}", ""},
		{"{{ $environment }}", "staging"},
		{"{{ $loopCount }}", 3},
		{"{{ $loopElement.room }}", "lobby"},
		{"{{{ name }}}", "ada"},
	}
	for _, tc := range tests {
		tmpl, err := compileString(tc.in, Pos{})
		if err != nil {
			t.Errorf("compile %q: %v", tc.in, err)
			continue
		}
		if got := tmpl.Render(ctx); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("render %q = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestRenderFunctions(t *testing.T) {
	ctx := &Context{Rand: rand.New(rand.NewPCG(1, 2))}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i := 0; i < 200; i++ {
		u := mustRender(t, "{{ $uuid }}", ctx).(string)
		if !uuid.MatchString(u) {
			t.Fatalf("$uuid = %q, not a version 4 UUID", u)
		}
		n := mustRender(t, "{{ $randomNumber(5, 7) }}", ctx).(int64)
		if n < 5 || n > 7 {
			t.Fatalf("$randomNumber(5, 7) = %d", n)
		}
		s := mustRender(t, "{{ $randomString(12) }}", ctx).(string)
		if len(s) != 12 || strings.Trim(s, alphanumeric) != "" {
			t.Fatalf("$randomString(12) = %q", s)
		}
	}
	if s := mustRender(t, "{{ $randomString() }}", ctx).(string); len(s) != 10 {
		t.Errorf("$randomString() has %d characters, want 10", len(s))
	}
	if got := mustRender(t, "{{ $randomNumber(3,3) }}", nil); got != int64(3) {
		t.Errorf("$randomNumber(3,3) = %v", got)
	}
}

func mustRender(t *testing.T, s string, ctx *Context) any {
	t.Helper()
	tmpl, err := compileString(s, Pos{})
	if err != nil {
		t.Fatal(err)
	}
	return tmpl.Render(ctx)
}

func TestCompileErrors(t *testing.T) {
	for _, in := range []string{
		"{{ }}", "{{ a b }}", "{{ open", "{{ $randomNumber(9, 1) }}", "{{ $randomNumber(1) }}",
		"{{ $randomString(-1) }}", "{{ $randomString(99999999) }}", "{{ $nope() }}", "{{ a. }}",
		"{{ a[ }}", "{{ a[x] }}", "{{ $env.A-B }}", "{{ $randomNumber(1, 2 }}",
	} {
		if _, err := compileString(in, Pos{}); err == nil {
			t.Errorf("compile %q: no error", in)
		}
	}
}

// TestStaticFolding checks that static data compiles to a literal, so it
// renders without allocating.
func TestStaticFolding(t *testing.T) {
	s := mustLoad(t, `
config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalRate: 1}]
scenarios:
  - engine: socketio
    flow:
      - emit: ["static", {a: [1, 2, {b: "c"}]}]
      - emit: ["dynamic", {a: [1, "{{ $uuid }}"]}]
`)
	static := s.Scenarios[0].Flow[0].(*EmitStep).Args[0]
	dynamic := s.Scenarios[0].Flow[1].(*EmitStep).Args[0]
	if !static.IsStatic() || dynamic.IsStatic() {
		t.Fatalf("static %v, dynamic %v", static.IsStatic(), dynamic.IsStatic())
	}
	if n := testing.AllocsPerRun(100, func() { static.Render(nil) }); n != 0 {
		t.Errorf("rendering static data allocates %v times", n)
	}
}

// BenchmarkRenderEmitArgs renders a typical emit payload per VU: a map
// with a variable, a payload field, a number kept as a number and a
// random id.
func BenchmarkRenderEmitArgs(b *testing.B) {
	s, err := Parse("bench.yml", []byte(`
config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalRate: 1}]
  variables:
    room: ["lobby", "games"]
scenarios:
  - engine: socketio
    flow:
      - emit:
          channel: "chat message"
          data:
            room: "{{ room }}"
            user: "user-{{ userId }}"
            count: "{{ $loopCount }}"
            text: "hello from {{ userId }} in {{ room }}"
            static: {kind: "text", tags: ["a", "b"]}
`), Options{})
	if err != nil {
		b.Fatal(err)
	}
	args := s.Scenarios[0].Flow[0].(*EmitStep).Args[0]
	ctx := &Context{Vars: map[string]any{"room": "lobby", "userId": int64(1234), "$loopCount": 3}, Rand: rand.New(rand.NewPCG(1, 1))}
	b.ReportAllocs()
	for b.Loop() {
		args.Render(ctx)
	}
}

// BenchmarkRenderStatic renders static emit data: the compiled literal is
// returned as it is.
func BenchmarkRenderStatic(b *testing.B) {
	tmpl := newMap(Pos{}, []*Template{Literal("a")}, []*Template{newList(Pos{}, []*Template{Literal(int64(1)), Literal("x")})})
	b.ReportAllocs()
	for b.Loop() {
		tmpl.Render(nil)
	}
}

// BenchmarkRenderText renders one interpolated string.
func BenchmarkRenderText(b *testing.B) {
	tmpl, _ := compileString("user-{{ userId }}-{{ room }}", Pos{})
	ctx := &Context{Vars: map[string]any{"room": "lobby", "userId": int64(1234)}}
	b.ReportAllocs()
	for b.Loop() {
		tmpl.Render(ctx)
	}
}

// BenchmarkParseExample loads the guide's scenario from memory: the cost
// of validating a typical file (done once per run).
func BenchmarkParseExample(b *testing.B) {
	data, err := os.ReadFile("../examples/my-scenario.yml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("my-scenario.yml", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
