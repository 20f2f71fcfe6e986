package scenario

import (
	"fmt"
	"strconv"
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
	p := &JSONPath{text: text}
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			i := 0
			for i < len(rest) && rest[i] != '.' && rest[i] != '[' {
				i++
			}
			name := rest[:i]
			if name == "" || name == "*" || strings.ContainsAny(name, "()?@ ") {
				return nil, fmt.Errorf("JSON path %q: %q is not a name or an index (filters and wildcards are not supported)", s, name)
			}
			p.segs = append(p.segs, segment(name))
			rest = rest[i:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("JSON path %q: [ without ]", s)
			}
			in := strings.TrimSpace(rest[1:end])
			rest = rest[end+1:]
			if len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0] {
				p.segs = append(p.segs, pathSeg{key: in[1 : len(in)-1], index: -1})
				continue
			}
			n, err := strconv.Atoi(in)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("JSON path %q: inside [ ] put an index (0, 1...) or a quoted name", s)
			}
			p.segs = append(p.segs, pathSeg{key: in, index: n})
		default:
			return nil, fmt.Errorf("JSON path %q: expected . or [ after %q", s, text[:len(text)-len(rest)])
		}
	}
	return p, nil
}

func segment(name string) pathSeg {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return pathSeg{key: name, index: n}
	}
	return pathSeg{key: name, index: -1}
}

// Eval returns the value at p in root (the list of an event's arguments,
// as decoded from JSON: []any, map[string]any, string, float64, bool, nil),
// and whether it exists.
func (p *JSONPath) Eval(root any) (any, bool) {
	v := root
	for _, seg := range p.segs {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[seg.key]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			if seg.index < 0 || seg.index >= len(x) {
				return nil, false
			}
			v = x[seg.index]
		default:
			return nil, false
		}
	}
	return v, true
}
