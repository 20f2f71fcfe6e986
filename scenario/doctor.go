package scenario

import (
	"fmt"
	"strings"
)

// treeFromLines builds a key tree from the lines of a file that the YAML
// parser rejected, tolerating the indentation mistakes that make it reject
// files pasted from web pages and chat: keys flush with their parent, keys
// indented deeper than their siblings, keys outside their list item. It
// reports those mistakes and places each key where its indentation most
// likely meant it to be, so that the schema check can then say where it
// really belongs.
func treeFromLines(ds *diagnostics, file string, data []byte) []*keyEntry {
	sc := &lineScanner{ds: ds, file: file}
	sc.scan(strings.Split(string(data), "\n"))
	return sc.root
}

// frame is an open mapping or list while scanning lines.
type frame struct {
	isSeq  bool
	col    int          // key column of a mapping, dash column of a list (0-based)
	fields *[]*keyEntry // a mapping's entries
	owner  *keyEntry    // a list's entry (nil for mappings)
	list   *keyEntry    // for a list item's mapping: the entry holding the list
}

type lineScanner struct {
	ds    *diagnostics
	file  string
	root  []*keyEntry
	stack []*frame
}

func (sc *lineScanner) top() *frame { return sc.stack[len(sc.stack)-1] }
func (sc *lineScanner) pop()        { sc.stack = sc.stack[:len(sc.stack)-1] }

func (sc *lineScanner) scan(lines []string) {
	blockIndent := -1 // inside a block scalar (| or >): lines indented more than this
	for i, raw := range lines {
		line := strings.TrimRight(raw, "\r")
		lineNo := i + 1
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		if blockIndent >= 0 {
			if trimmed == "" || indent > blockIndent {
				continue
			}
			blockIndent = -1
		}
		if trimmed == "" || trimmed[0] == '#' || trimmed == "---" || trimmed == "..." {
			continue
		}
		if trimmed[0] == '\t' {
			sc.ds.add(SeverityError, sc.file, Pos{lineNo, indent + 1}, "replace the tab with spaces", "tabs cannot indent YAML")
			continue
		}
		col := indent
		dash := -1
		if len(trimmed) > 1 && trimmed[0] == '-' && isIdentByte(trimmed[1]) && strings.Contains(trimmed, ":") {
			sc.ds.add(SeverityError, sc.file, Pos{lineNo, col + 1},
				fmt.Sprintf("write \"- %s\": a list item is \"-\" followed by a space", strings.TrimSpace(stripComment(trimmed[1:]))),
				"%q is a key, not a list item", strings.SplitN(trimmed, ":", 2)[0])
			dash = col
			col++
			trimmed = trimmed[1:]
		} else if trimmed == "-" || strings.HasPrefix(trimmed, "- ") {
			dash = col
			rest := strings.TrimLeft(trimmed[1:], " ")
			col += len(trimmed) - len(rest)
			trimmed = rest
		}
		key, value, isKey := splitKey(trimmed)
		var e *keyEntry
		if dash >= 0 {
			e = sc.listItem(lineNo, dash, col, key, isKey)
		} else if isKey {
			e = sc.key(lineNo, col, key)
		}
		if !isKey {
			continue // a scalar item, a continuation or a flow collection: no keys to check
		}
		v := strings.TrimSpace(value)
		if q := unclosedQuote(v); q != 0 {
			at := col + len(trimmed) - len(strings.TrimLeft(value, " ")) + 1
			sc.ds.add(SeverityError, sc.file, Pos{lineNo, at}, fmt.Sprintf("add the closing %c at the end of the value", q),
				"the quoted value of %q is not closed on its line", key)
		}
		v = strings.TrimSpace(stripComment(value))
		if strings.HasPrefix(v, "|") || strings.HasPrefix(v, ">") {
			blockIndent = col
		}
		if v != "" && e != nil {
			e.kind = valScalar
		}
	}
}

// key places a "key:" line at column col (0-based).
func (sc *lineScanner) key(line, col int, key string) *keyEntry {
	e := &keyEntry{key: key, pos: Pos{line, col + 1}}
	if len(sc.stack) == 0 {
		sc.stack = []*frame{{col: col, fields: &sc.root}}
	}
	for {
		f := sc.top()
		if f.isSeq {
			if len(sc.stack) == 1 {
				return nil
			}
			sc.pop()
			continue
		}
		switch {
		case col == f.col:
			*f.fields = append(*f.fields, e)
			return e
		case col > f.col:
			last := lastOf(*f.fields)
			if last != nil && last.kind == valEmpty {
				last.kind = valMap
				sc.stack = append(sc.stack, &frame{col: col, fields: &last.fields, owner: last})
				last.fields = append(last.fields, e)
				return e
			}
			if last != nil {
				sc.ds.add(SeverityError, sc.file, e.pos,
					fmt.Sprintf("keys of one mapping must line up: move it to column %d, under %q", f.col+1, last.key),
					"%q is indented more than %q (line %d) above it", key, last.key, last.pos.Line)
			}
			*f.fields = append(*f.fields, e)
			return e
		default: // col < f.col
			if f.list != nil && len(sc.stack) >= 2 {
				seq := sc.stack[len(sc.stack)-2]
				ownerCol := seq.owner.pos.Col - 1
				if col >= seq.col && !(col == seq.col && ownerCol == seq.col) {
					first := (*f.fields)[0]
					sc.ds.add(SeverityError, sc.file, e.pos,
						fmt.Sprintf("indent it to column %d, to line up with %q", f.col+1, first.key),
						"%q is indented out of the list item it belongs to (the item at line %d)", key, first.pos.Line)
					*f.fields = append(*f.fields, e)
					return e
				}
			}
			if len(sc.stack) == 1 {
				sc.ds.add(SeverityError, sc.file, e.pos,
					fmt.Sprintf("the top-level keys of this file start at column %d: move it there", f.col+1),
					"%q is indented less than the first key of the file", key)
				*f.fields = append(*f.fields, e)
				return e
			}
			sc.pop()
		}
	}
}

// listItem places a "- ..." line whose dash is at column dash (0-based);
// when the item starts with "key:", the key is at column col.
func (sc *lineScanner) listItem(line, dash, col int, key string, isKey bool) *keyEntry {
	if len(sc.stack) == 0 {
		sc.ds.add(SeverityError, sc.file, Pos{line, dash + 1}, "a scenario file is a mapping with config: and scenarios:", "the file starts with a list item")
		sc.stack = []*frame{{col: dash, fields: &sc.root}}
		return nil
	}
	for {
		f := sc.top()
		if f.isSeq {
			if dash == f.col {
				return sc.newItem(f, line, dash, col, key, isKey)
			}
			if dash < f.col && len(sc.stack) > 1 {
				sc.pop()
				continue
			}
			return sc.newItem(f, line, dash, col, key, isKey)
		}
		last := lastOf(*f.fields)
		if dash >= f.col {
			if last != nil && (last.kind == valEmpty || last.kind == valSeq && dash >= f.col) {
				if last.kind == valEmpty {
					last.kind = valSeq
				}
				seq := &frame{isSeq: true, col: dash, owner: last}
				sc.stack = append(sc.stack, seq)
				return sc.newItem(seq, line, dash, col, key, isKey)
			}
			sc.ds.add(SeverityError, sc.file, Pos{line, dash + 1},
				"a list needs a key of its own with nothing after its colon, like \"flow:\"",
				"a list item where a key was expected")
			return nil
		}
		if len(sc.stack) == 1 {
			sc.ds.add(SeverityError, sc.file, Pos{line, dash + 1}, "indent it under the key it belongs to", "a list item at the top level of the file")
			return nil
		}
		sc.pop()
	}
}

func (sc *lineScanner) newItem(seq *frame, line, dash, col int, key string, isKey bool) *keyEntry {
	item := &seqItem{dash: Pos{line, dash + 1}}
	seq.owner.items = append(seq.owner.items, item)
	if !isKey {
		return nil
	}
	item.isMap = true
	e := &keyEntry{key: key, pos: Pos{line, col + 1}}
	item.fields = append(item.fields, e)
	sc.stack = append(sc.stack, &frame{col: col, fields: &item.fields, list: seq.owner})
	return e
}

func lastOf(es []*keyEntry) *keyEntry {
	if len(es) == 0 {
		return nil
	}
	return es[len(es)-1]
}

// splitKey splits "key: value" (the key plain or quoted); isKey is false
// when the text is not a mapping entry.
func splitKey(s string) (key, value string, isKey bool) {
	if s == "" {
		return "", "", false
	}
	switch s[0] {
	case '"', '\'':
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", "", false
		}
		rest := s[end+2:]
		if rest == ":" || strings.HasPrefix(rest, ": ") || strings.HasPrefix(rest, ":\t") {
			return s[1 : end+1], rest[1:], true
		}
		return "", "", false
	case '{', '[', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		return "", "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i > 0 && s[i-1] == ' ' {
			return "", "", false
		}
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t') {
			return strings.TrimSpace(s[:i]), s[i+1:], true
		}
	}
	return "", "", false
}

// stripComment removes a trailing "# comment" from a plain value.
func stripComment(v string) string {
	if strings.HasPrefix(strings.TrimSpace(v), "#") {
		return ""
	}
	if i := strings.Index(v, " #"); i >= 0 && !strings.ContainsAny(v[:i], "\"'") {
		return v[:i]
	}
	return v
}

// unclosedQuote returns the quote character when v starts a quoted scalar
// that does not end on the same line (legal YAML, but in a scenario file
// almost always a missing quote), else 0.
func unclosedQuote(v string) byte {
	if v == "" || (v[0] != '"' && v[0] != '\'') {
		return 0
	}
	q := v[0]
	for i := 1; i < len(v); i++ {
		switch {
		case q == '"' && v[i] == '\\':
			i++
		case v[i] == q:
			if q == '\'' && i+1 < len(v) && v[i+1] == '\'' {
				i++
				continue
			}
			return 0
		}
	}
	return q
}
