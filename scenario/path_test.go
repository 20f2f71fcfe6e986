package scenario

import (
	"reflect"
	"testing"
)

// TestPathsReadAlikeInBothSpellings: a JSONPath and a template variable
// with the same steps find the same value, and a step that finds nothing
// (a negative index, a key of a list) finds nothing in both, never panics.
func TestPathsReadAlikeInBothSpellings(t *testing.T) {
	root := []any{"pong", map[string]any{"user": map[string]any{"id": 9.0, "tags": []any{"a", "b"}}, "0": "zero"}}
	ctx := &Context{Vars: map[string]any{"root": root}}
	for _, tc := range []struct {
		steps string
		want  any
	}{
		{".0", "pong"},
		{"[0]", "pong"},
		{".1.user.id", 9.0},
		{".1['user'].tags[1]", "b"},
		{`.1["user"].tags.1`, "b"},
		{".1.0", "zero"},
		{".-1", nil},
		{".1.user.tags.-1", nil},
		{".1.user.tags.x", nil},
		{".5", nil},
		{".0.x", nil},
	} {
		p, err := ParseJSONPath("$" + tc.steps)
		if err != nil {
			t.Fatalf("$%s: %v", tc.steps, err)
		}
		got, found := p.Eval(any(root))
		if !reflect.DeepEqual(got, tc.want) || found != (tc.want != nil) {
			t.Errorf("$%s = %#v (found %v), want %#v", tc.steps, got, found, tc.want)
		}
		tmpl, err := compileString("{{ root"+tc.steps+" }}", Pos{})
		if err != nil {
			t.Fatalf("{{ root%s }}: %v", tc.steps, err)
		}
		if got := tmpl.Render(ctx); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("{{ root%s }} = %#v, want %#v", tc.steps, got, tc.want)
		}
	}
}
