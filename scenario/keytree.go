package scenario

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A keyTree is the shape of a file's mappings: keys, where they are, and
// what their values are (empty, a scalar, a mapping or a list). It is built
// from the parsed YAML when the file parses, and from the lines themselves
// when it does not (broken indentation is the usual reason), so that both
// get the same explanation of misplaced and unknown keys.

type valueKind int

const (
	valEmpty valueKind = iota
	valScalar
	valMap
	valSeq
)

type keyEntry struct {
	key     string
	pos     Pos
	kind    valueKind
	fields  []*keyEntry // the mapping's entries, when kind == valMap
	items   []*seqItem  // the list's items, when kind == valSeq
	home    *child      // what the key's value is where it really belongs, once diagnosed as misplaced
	movedTo context     // the context of the mapping it belongs in, when misplaced
	group   string      // the report group of its misplacement
}

type seqItem struct {
	dash   Pos
	isMap  bool
	fields []*keyEntry
}

// treeFromNode builds the key tree of a parsed mapping node.
func treeFromNode(n *yaml.Node) []*keyEntry {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []*keyEntry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		e := &keyEntry{key: k.Value, pos: Pos{k.Line, k.Column}}
		switch v.Kind {
		case yaml.MappingNode:
			e.kind = valMap
			e.fields = treeFromNode(v)
		case yaml.SequenceNode:
			e.kind = valSeq
			for _, it := range v.Content {
				item := &seqItem{dash: Pos{it.Line, it.Column}}
				if it.Kind == yaml.MappingNode {
					item.isMap = true
					item.fields = treeFromNode(it)
				}
				e.items = append(e.items, item)
			}
		case yaml.ScalarNode:
			if v.Tag == "!!null" && (v.Value == "" || v.Value == "~" || v.Value == "null") && v.Style == 0 {
				e.kind = valEmpty
			} else {
				e.kind = valScalar
			}
		default:
			e.kind = valScalar
		}
		out = append(out, e)
	}
	return out
}

// placement checks every key of the tree against the schema and reports
// unknown keys (with the closest known one) and misplaced keys (with where
// they belong and how to indent them). It returns the names of keys found
// misplaced, so that "missing key" errors are not reported twice.
type placement struct {
	ds        *diagnostics
	file      string
	groups    map[string]*group // one fix for several lines: reported once
	misplaced map[string]bool
}

type group struct {
	index int   // of the diagnostic in ds.list
	lines []int // further lines with the same fix
}

func checkPlacement(ds *diagnostics, file string, root []*keyEntry) map[string]bool {
	p := &placement{ds: ds, file: file, groups: map[string]*group{}, misplaced: map[string]bool{}}
	p.mapping(root, ctxRoot, nil, ctxFree)
	for _, g := range p.groups {
		if len(g.lines) > 0 {
			ds.list[g.index].Message += "; the same for " + listLines(g.lines)
		}
	}
	return p.misplaced
}

func listLines(lines []int) string {
	if len(lines) == 1 {
		return fmt.Sprintf("line %d", lines[0])
	}
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = fmt.Sprint(l)
	}
	return "lines " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// mapping checks the entries of one mapping of context ctx; parent is the
// entry whose value it is (nil at the root), of context parentCtx.
func (p *placement) mapping(fields []*keyEntry, ctx context, parent *keyEntry, parentCtx context) {
	if !checked(ctx) && ctx != ctxEnvs {
		return
	}
	for i, e := range fields {
		if ctx == ctxRoot && strings.HasPrefix(e.key, "x-") {
			continue // a holder of anchors for reuse (&name), as in compose files
		}
		c, ok := childOf(ctx, e.key)
		if !ok {
			if h := p.findHome(fields[:i], ctx, e, parent, parentCtx); h != nil {
				c = *h
				e.home = h
			} else {
				p.unknown(e, ctx)
				continue
			}
		}
		p.descend(e, c, ctx)
	}
}

func (p *placement) descend(e *keyEntry, c child, ctx context) {
	switch e.kind {
	case valMap:
		if c.Map != ctxFree {
			p.mapping(e.fields, c.Map, e, ctx)
		}
	case valSeq:
		if c.Item == ctxFree {
			return
		}
		home := -1 // the last item that stands where it should
		for i, it := range e.items {
			if !it.isMap || len(it.fields) == 0 {
				continue
			}
			itemCtx := c.Item
			if _, ok := childOf(itemCtx, it.fields[0].key); !ok && home >= 0 {
				if alt, owner := p.itemHome(e.items[home], itemCtx, it.fields[0].key); owner != nil {
					p.report("item:"+owner.pos.String(), it.dash,
						fmt.Sprintf("this %s belongs in %q of the %s above (line %d), not beside it", alt, owner.key, itemCtx, owner.pos.Line),
						fmt.Sprintf("indent this list item (and the lines under it) so that its \"-\" is further right than %q (column %d)", owner.key, owner.pos.Col))
					p.mapping(it.fields, alt, nil, ctxFree)
					continue
				}
			}
			home = i
			p.mapping(it.fields, itemCtx, e, ctx)
		}
	}
}

// itemHome looks in a list item for a key whose list takes items starting
// with key, as a scenario's flow takes steps: a list item written at the
// wrong level belongs there.
func (p *placement) itemHome(item *seqItem, itemCtx context, key string) (context, *keyEntry) {
	for j := len(item.fields) - 1; j >= 0; j-- {
		f := item.fields[j]
		c, ok := childOf(itemCtx, f.key)
		if f.home != nil {
			c, ok = *f.home, true
		}
		if !ok || c.Item == ctxFree || (f.kind != valEmpty && f.kind != valSeq) {
			continue
		}
		if _, known := childOf(c.Item, key); known && checked(c.Item) {
			return c.Item, f
		}
	}
	return ctxFree, nil
}

// findHome looks for where a key unknown in ctx belongs: under a preceding
// sibling (indented too little), in the last item of a preceding sibling's
// list (indented out of its list item), or beside the parent (indented too
// much). It reports the finding and returns what the key's value is there.
func (p *placement) findHome(prev []*keyEntry, ctx context, e *keyEntry, parent *keyEntry, parentCtx context) *child {
	if n := len(prev); n > 0 && prev[n-1].movedTo != ctxFree {
		// The key above was misplaced; this one most likely goes with it.
		nearest := prev[n-1]
		if c, known := childOf(nearest.movedTo, e.key); known && checked(nearest.movedTo) {
			p.misplaced[e.key] = true
			e.movedTo, e.group = nearest.movedTo, nearest.group
			p.report(e.group, e.pos, fmt.Sprintf("%q belongs with %q (line %d), where it is misplaced too", e.key, nearest.key, nearest.pos.Line), "indent it as that line")
			return &c
		}
	}
	for j := len(prev) - 1; j >= 0; j-- {
		s := prev[j]
		sc, ok := childOf(ctx, s.key)
		if s.home != nil {
			sc, ok = *s.home, true
		}
		if !ok {
			continue
		}
		depth := 0 // only the nearest sibling is searched into: the key most likely lost its indentation there
		if j == len(prev)-1 {
			depth = 6
		}
		if c := p.homeIn(s, sc, e, depth); c != nil {
			return c
		}
	}
	if parent != nil && checked(parentCtx) {
		if c, known := childOf(parentCtx, e.key); known {
			p.misplaced[e.key] = true
			p.report("", e.pos,
				fmt.Sprintf("%q belongs beside %q, not inside it", e.key, parent.key),
				fmt.Sprintf("outdent it to column %d, to line up with %q", parent.pos.Col, parent.key))
			return &c
		}
	}
	return nil
}

// homeIn checks whether e belongs under s (whose value is sc) or in the
// last item of its list, and otherwise searches the last entry of s's
// value, up to depth levels down.
func (p *placement) homeIn(s *keyEntry, sc child, e *keyEntry, depth int) *child {
	if sc.Map != ctxFree && checked(sc.Map) && (s.kind == valEmpty || s.kind == valMap) {
		if c, known := childOf(sc.Map, e.key); known {
			want := s.pos.Col + 2
			if s.kind == valMap && len(s.fields) > 0 {
				want = s.fields[0].pos.Col
			}
			p.misplaced[e.key] = true
			e.movedTo, e.group = sc.Map, "under:"+s.pos.String()
			p.report(e.group, e.pos,
				fmt.Sprintf("%q belongs under %q (line %d) but is not indented under it", e.key, s.key+":", s.pos.Line),
				indentHint(e, want, s))
			return &c
		}
	}
	var last *seqItem
	if sc.Item != ctxFree && checked(sc.Item) && s.kind == valSeq && len(s.items) > 0 {
		last = s.items[len(s.items)-1]
		if last.isMap && len(last.fields) > 0 {
			if c, known := childOf(sc.Item, e.key); known {
				first := last.fields[0]
				p.misplaced[e.key] = true
				e.movedTo, e.group = sc.Item, "item:"+last.dash.String()
				p.report(e.group, e.pos,
					fmt.Sprintf("%q is indented out of the list item it belongs to (the item at line %d)", e.key, last.dash.Line),
					fmt.Sprintf("indent it to column %d, to line up with %q", first.pos.Col, first.key))
				return &c
			}
		}
	}
	if depth <= 0 {
		return nil
	}
	var fields []*keyEntry
	var fieldsCtx context
	switch {
	case s.kind == valMap && checked(sc.Map):
		fields, fieldsCtx = s.fields, sc.Map
	case last != nil && last.isMap:
		fields, fieldsCtx = last.fields, sc.Item
	}
	if len(fields) == 0 {
		return nil
	}
	f := fields[len(fields)-1]
	fc, ok := childOf(fieldsCtx, f.key)
	if f.home != nil {
		fc, ok = *f.home, true
	}
	if !ok {
		return nil
	}
	return p.homeIn(f, fc, e, depth-1)
}

func indentHint(e *keyEntry, want int, under *keyEntry) string {
	if e.pos.Col < want {
		return fmt.Sprintf("indent it by %d spaces (to column %d), and the lines that belong with it, so that it is further right than %q:\n%s%s:\n%s%s: ...",
			want-e.pos.Col, want, under.key,
			strings.Repeat(" ", under.pos.Col-1), under.key,
			strings.Repeat(" ", want-1), e.key)
	}
	return fmt.Sprintf("indent it to column %d, further right than %q (column %d)", want, under.key, under.pos.Col)
}

// report adds an error; findings with the same non-empty group key (the same
// fix for several lines) are merged into the first one's message.
func (p *placement) report(key string, pos Pos, msg, hint string) {
	if key != "" {
		if g, ok := p.groups[key]; ok {
			g.lines = append(g.lines, pos.Line)
			return
		}
		p.groups[key] = &group{index: len(p.ds.list)}
	}
	p.ds.add(SeverityError, p.file, pos, hint, "%s", msg)
}

// unknown reports a key that is known nowhere near where it stands.
func (p *placement) unknown(e *keyEntry, ctx context) {
	known := keysOf(ctx)
	what := fmt.Sprintf("unknown key %q in %s", e.key, describe(ctx))
	if c := closest(e.key, known); c != "" {
		p.ds.add(SeverityError, p.file, e.pos, fmt.Sprintf("did you mean %q?", c), "%s", what)
		return
	}
	p.ds.add(SeverityError, p.file, e.pos, "known keys here: "+strings.Join(known, ", "), "%s", what)
}

func describe(ctx context) string {
	switch ctx {
	case ctxRoot:
		return "the top level of the file"
	case ctxStep:
		return "a flow step"
	case ctxEngines:
		return "config.engines"
	case ctxSocketIO, ctxEngineOpts:
		return "Socket.IO client options"
	}
	return string(ctx)
}

// checkDuplicates reports keys written twice in one mapping: YAML keeps
// only one of them, so the other would be silently lost.
func checkDuplicates(ds *diagnostics, file string, n *yaml.Node, depth int) {
	if n == nil || depth > 10000 {
		return
	}
	if n.Kind == yaml.MappingNode {
		first := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if len(k.Value) > 1 && k.Value[0] == '-' && k.Style == 0 {
				ds.add(SeverityError, file, Pos{k.Line, k.Column},
					fmt.Sprintf("write \"- %s\": a list item is \"-\" followed by a space", strings.TrimLeft(k.Value[1:], " ")),
					"%q is a key, not a list item", k.Value)
			}
			if prev, ok := first[k.Value]; ok && prev != k {
				ds.add(SeverityError, file, Pos{k.Line, k.Column},
					"remove one; if this starts a new step or list item, put \"- \" before it",
					"%q appears twice in this mapping (first at line %d); only one would be kept", k.Value, prev.Line)
				continue
			}
			first[k.Value] = k
		}
	}
	for _, c := range n.Content {
		checkDuplicates(ds, file, c, depth+1)
	}
}
