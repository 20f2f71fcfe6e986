package scenario

import (
	"strings"
	"testing"
)

// Each JSON path form, and what validate says of it under Artillery.
func TestPathPortability(t *testing.T) {
	cases := []struct {
		path     string
		portable bool
		says     string
	}{
		{"$.ok", true, "here and in Artillery"},
		{"$.user.id", true, "here and in Artillery"},
		{"$.0.ok", false, "write $.ok, which both read"},
		{"$[0].user.id", false, "write $.user.id, which both read"},
		{"$.1.answer", true, "one of several arguments"},
		{"$.0", false, "no path reads a lone plain value in both"},
		{"$", false, "the list of arguments here"},
	}
	for _, c := range cases {
		p, err := ParseJSONPath(c.path)
		if err != nil {
			t.Fatal(err)
		}
		n := portability(p)
		if n.Portable != c.portable || !strings.Contains(n.Note, c.says) {
			t.Errorf("%s: portable %v, %q; want %v, saying %q", c.path, n.Portable, n.Note, c.portable, c.says)
		}
	}
	s, err := Parse("p.yml", []byte(`config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalCount: 1}]
scenarios:
  - engine: socketio
    flow:
      - emit: ["x"]
        acknowledge:
          match: {value: "pong"}
          capture: {json: "$.0.id", as: "id"}
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.PathNotes) != 1 || s.PathNotes[0].Pos.Line != 10 || s.PathNotes[0].Path != "$.0.id" {
		t.Errorf("notes %+v, want one for the written path only, at line 10", s.PathNotes)
	}
}
