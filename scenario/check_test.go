package scenario

import (
	"errors"
	"reflect"
	"testing"
)

// TestVerify checks the acknowledge/response semantics of
// ARTILLERY-COMPAT.md on arguments as they arrive decoded from JSON.
func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		step    string // the acknowledge: body
		args    []any
		concat  bool
		ok      bool
		kind    string
		capture map[string]any
	}{
		{"match $.0 of a plain string ack", `match: {json: "$.0", value: "pong"}`, []any{"pong"}, false, true, "", nil},
		{"match with json defaulting to $.0", `match: {value: "pong"}`, []any{"pong"}, false, true, "", nil},
		{"match fails", `match: {value: "pong"}`, []any{"ping"}, false, false, "Failed match", nil},
		{"match on nothing", `match: {json: "$.3", value: "pong"}`, []any{"pong"}, false, false, "Failed match", nil},
		{"match a number with a string", `match: {json: "$.0.n", value: "42"}`, []any{map[string]any{"n": 42.0}}, false, true, "", nil},
		{"match a number with a number", `match: {json: "$.0.n", value: 42}`, []any{map[string]any{"n": 42.0}}, false, true, "", nil},
		{"match list, all must hold", "match:\n  - {json: \"$.0\", value: a}\n  - {json: \"$.1\", value: c}", []any{"a", "b"}, false, false, "Failed match", nil},
		{"args list equals all args", `args: ["a", 1, {x: true}]`, []any{"a", 1.0, map[string]any{"x": true}}, false, true, "", nil},
		{"args list with one arg missing", `args: ["a", "b"]`, []any{"a"}, false, false, "data is not valid", nil},
		{"object equals the last arg", `data: {ok: true}`, []any{"first", map[string]any{"ok": true}}, false, true, "", nil},
		{"object differs from the last arg", `data: {ok: true}`, []any{map[string]any{"ok": true}, "last"}, false, false, "data is not valid", nil},
		{"string is a substring of the last arg", `data: "ell"`, []any{"x", "hello"}, false, true, "", nil},
		{"string not in the last arg", `data: "ell"`, []any{"hello", "x"}, false, false, "data is not valid", nil},
		{"string in all args with concat", `data: "lo wo"`, []any{"hello", " ", "world"}, true, true, "", nil},
		{"string against a non-string", `data: "1"`, []any{1.0}, false, false, "data is not valid", nil},
		{"number equals the last arg", `data: 3`, []any{3.0}, false, true, "", nil},
		{"capture", "capture:\n  - {json: \"$.0.id\", as: id}\n  - {json: \"$.1\", as: second}", []any{map[string]any{"id": "u1"}, 2.0}, false, true, "", map[string]any{"id": "u1", "second": 2.0}},
		{"strict capture of nothing", `capture: {json: "$.0.id", as: id}`, []any{"x"}, false, false, "Failed capture", nil},
		{"lenient capture of nothing", `capture: {json: "$.0.id", as: id, strict: false}`, []any{"x"}, false, true, "", nil},
		{"a named path reads the only argument", `capture: {json: "$.token", as: token}`, []any{map[string]any{"token": "t1"}}, false, true, "", map[string]any{"token": "t1"}},
		{"a named path over two arguments finds nothing", `capture: {json: "$.token", as: token}`, []any{map[string]any{"token": "t1"}, 2.0}, false, false, "Failed capture", nil},
		{"templated expectation", `match: {value: "{{ expected }}"}`, []any{"v1"}, false, true, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustLoad(t, head+`
  variables:
    expected: v1
scenarios:
  - engine: socketio
    flow:
      - emit: ["x"]
        acknowledge:
`+indent(tc.step, "          "))
			check := s.Scenarios[0].Flow[0].(*EmitStep).Acknowledge
			ctx := &Context{Vars: map[string]any{"expected": "v1"}}
			got, err := check.Verify(tc.args, ctx, tc.concat)
			if tc.ok != (err == nil) {
				t.Fatalf("Verify(%v) = %v, want ok=%v", tc.args, err, tc.ok)
			}
			var ce *CheckError
			if err != nil && (!errors.As(err, &ce) || ce.Kind != tc.kind) {
				t.Errorf("error %v, want kind %q", err, tc.kind)
			}
			if tc.capture != nil && !reflect.DeepEqual(got, tc.capture) {
				t.Errorf("captured %v, want %v", got, tc.capture)
			}
		})
	}
}

func indent(s, prefix string) string {
	out := ""
	for _, line := range splitLines(s) {
		out += prefix + line + "\n"
	}
	return out
}

func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			lines = append(lines, s[start:i])
			start = i + 1
		}
	}
	return append(lines, s[start:])
}

func TestJSONPath(t *testing.T) {
	root := []any{"pong", map[string]any{"user": map[string]any{"id": 7.0, "tags": []any{"a", "b"}}, "0": "zero"}}
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"$.0", "pong", true},
		{"$[0]", "pong", true},
		{"0", "pong", true},
		{"$.1.user.id", 7.0, true},
		{"$[1]['user'][\"tags\"][1]", "b", true},
		{"$.1.user.tags.0", "a", true},
		{"$.1.0", "zero", true},
		{"$.2", nil, false},
		{"$.0.x", nil, false},
		{"$", root, true},
	}
	for _, tc := range tests {
		p, err := ParseJSONPath(tc.path)
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		got, ok := p.Eval(any(root))
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %v, %v; want %v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
	for _, bad := range []string{"", "$..x", "$.*", "$[", "$[x]", "$x", "$.a[?(@.b)]"} {
		if _, err := ParseJSONPath(bad); err == nil {
			t.Errorf("ParseJSONPath(%q): no error", bad)
		}
	}
}
