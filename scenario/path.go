package scenario

import (
	"strconv"
	"strings"
)

// pathSeg is one step of a path into a value: a map's key, or a list's
// index when index >= 0 (a numeric key also indexes a list).
type pathSeg struct {
	key   string
	index int
}

// segment is the step .name: an index when name is a whole number.
func segment(name string) pathSeg {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return pathSeg{key: name, index: n}
	}
	return pathSeg{key: name, index: -1}
}

// pathSyntax is what differs between the two spellings of a path, a
// JSONPath ($.user.id) and a template variable ({{ user.id }}): which
// characters a .name may hold.
type pathSyntax struct {
	nameEnd func(s string) int     // the length of the .name that starts s
	nameOK  func(name string) bool // whether it is a name
}

// pathProblem says why a path does not parse.
type pathProblem int

const (
	pathOK         pathProblem = iota
	pathBadName                // a .name that is empty or not a name
	pathUnclosed               // [ without ]
	pathBadBracket             // [ ] holding neither an index nor a quoted name
	pathUnexpected             // neither . nor [ where a step starts
)

// parseSteps parses the steps of a path after its root: .name, [n],
// ['name'] or ["name"]. On a problem it returns where in s it is and the
// offending name (for pathBadName).
func parseSteps(s string, syn pathSyntax) (segs []pathSeg, problem pathProblem, at int, name string) {
	i := 0
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
			n := syn.nameEnd(s[i:])
			name := s[i : i+n]
			if !syn.nameOK(name) {
				return nil, pathBadName, i, name
			}
			segs = append(segs, segment(name))
			i += n
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, pathUnclosed, i, ""
			}
			in := strings.TrimSpace(s[i+1 : i+end])
			i += end + 1
			if len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0] {
				segs = append(segs, pathSeg{key: in[1 : len(in)-1], index: -1})
				continue
			}
			n, err := strconv.Atoi(in)
			if err != nil || n < 0 {
				return nil, pathBadBracket, i, ""
			}
			segs = append(segs, pathSeg{key: in, index: n})
		default:
			return nil, pathUnexpected, i, ""
		}
	}
	return segs, pathOK, len(s), ""
}

// walk follows segs from v, and says whether every step found something:
// a key of a map, an index of a list.
func walk(v any, segs []pathSeg) (any, bool) {
	for _, seg := range segs {
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
