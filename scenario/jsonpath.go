package scenario

import (
	"fmt"
	"strings"
)

// JSONPath is the subset of JSONPath that scenario files use to reach into
// an event's arguments: $ is the list of arguments, then .name, .0, [0],
// ['name'] or ["name"] step into maps and lists. $.0 of the arguments
// ["pong"] is "pong"; $.0.user.id reads {user: {id: ...}} in the first.
type JSONPath struct {
	text string
	segs []pathSeg
}

func (p *JSONPath) String() string { return p.text }

// ParseJSONPath compiles a path. A path not starting with "$" is taken as
// relative to $ (so "0.id" is "$.0.id").
func ParseJSONPath(s string) (*JSONPath, error) {
	text := strings.TrimSpace(s)
	rest := text
	if rest == "" {
		return nil, fmt.Errorf("empty JSON path")
	}
	if strings.HasPrefix(rest, "$") {
		rest = rest[1:]
	} else {
		rest = "." + rest
	}
	segs, problem, at, name := parseSteps(rest, jsonPathSyntax)
	switch problem {
	case pathBadName:
		return nil, fmt.Errorf("JSON path %q: %q is not a name or an index (filters and wildcards are not supported)", s, name)
	case pathUnclosed:
		return nil, fmt.Errorf("JSON path %q: [ without ]", s)
	case pathBadBracket:
		return nil, fmt.Errorf("JSON path %q: inside [ ] put an index (0, 1...) or a quoted name", s)
	case pathUnexpected:
		return nil, fmt.Errorf("JSON path %q: expected . or [ after %q", s, text[:len(text)-len(rest)+at])
	}
	return &JSONPath{text: text, segs: segs}, nil
}

// jsonPathSyntax: a .name runs to the next . or [, and holds no filter or
// wildcard.
var jsonPathSyntax = pathSyntax{
	nameEnd: func(s string) int {
		if i := strings.IndexAny(s, ".["); i >= 0 {
			return i
		}
		return len(s)
	},
	nameOK: func(name string) bool { return name != "" && name != "*" && !strings.ContainsAny(name, "()?@ ") },
}

// Eval returns the value at p in root (the list of an event's arguments,
// as decoded from JSON: []any, map[string]any, string, float64, bool, nil),
// and whether it exists.
func (p *JSONPath) Eval(root any) (any, bool) { return walk(root, p.segs) }
