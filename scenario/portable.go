package scenario

import "strings"

// PathNote says whether an acknowledge, response or waitFor JSON path
// written in the file reads the same under Artillery, and the form that
// does when it does not.
type PathNote struct {
	Pos  Pos
	Path string
	// Portable is true when Artillery reads the path as sockload does.
	Portable bool
	Note     string
}

// portability explains how Artillery reads p. Its Socket.IO engines apply
// a path to the only argument of an ack or event when there is one, and
// to the list of arguments when there are several; sockload applies a
// path starting with an index to the list, and one starting with a name
// to the only argument.
func portability(p *JSONPath) PathNote {
	n := PathNote{Path: p.String()}
	switch {
	case len(p.segs) == 0:
		n.Note = "$ is the list of arguments here and the only argument in Artillery: match an index, like $.0"
	case p.segs[0].index < 0:
		n.Portable = true
		n.Note = "reads the first (only) argument here and in Artillery"
	case p.segs[0].index > 0:
		n.Portable = true
		n.Note = "reads one of several arguments, here and in Artillery"
	case len(p.segs) == 1:
		n.Note = p.String() + " reads one argument here; Artillery reads it only when there are several (no path reads a lone plain value in both)"
	default:
		rest := strings.TrimPrefix(p.String()[1:], "."+p.segs[0].key)
		rest = strings.TrimPrefix(rest, "["+p.segs[0].key+"]")
		n.Note = "Artillery reads " + p.String() + " only when there are several arguments; for one argument write $" + rest + ", which both read"
	}
	return n
}
