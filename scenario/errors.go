package scenario

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pos is a position in a source file: 1-based line and column (the column
// counts bytes, as the YAML parser does). The zero Pos means "no position".
type Pos struct {
	Line int
	Col  int
}

// IsValid reports whether p points somewhere.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Severity tells an error (the file cannot run) from a warning (it runs,
// but probably not as its author thinks).
type Severity int

const (
	SeverityError Severity = iota
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one finding about a scenario file, with where it is and how
// to fix it.
type Diagnostic struct {
	File     string // the file name as given to Load, or "--overrides" / "--variables"
	Pos      Pos
	Severity Severity
	Message  string // what is wrong, one line
	Hint     string // how to fix it; may span lines; empty when there is nothing to add
	Source   string // the offending source line, without its newline
}

// String renders the diagnostic as the CLI prints it:
//
//	file:line:col: error: message
//	   4 | target: "http://localhost:3000"
//	     | ^
//	  hint: ...
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Pos.IsValid() {
		fmt.Fprintf(&b, ":%d:%d", d.Pos.Line, d.Pos.Col)
	}
	fmt.Fprintf(&b, ": %s: %s\n", d.Severity, d.Message)
	if d.Pos.IsValid() && d.Source != "" {
		gutter := fmt.Sprintf("%5d | ", d.Pos.Line)
		src, col := sourceWindow(d.Source, d.Pos.Col)
		b.WriteString(gutter + src + "\n")
		b.WriteString(strings.Repeat(" ", len(gutter)-2) + "| " + strings.Repeat(" ", col-1) + "^\n")
	}
	if d.Hint != "" {
		lines := strings.Split(d.Hint, "\n")
		b.WriteString("  hint: " + lines[0] + "\n")
		for _, l := range lines[1:] {
			b.WriteString("        " + l + "\n")
		}
	}
	return b.String()
}

// Error is what Load returns when a file cannot run: every error found in
// it, in file order, not only the first. Use errors.As to get it.
type Error struct {
	Diagnostics []Diagnostic // only SeverityError entries
	Warnings    []Diagnostic // warnings found on the way, for context
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, d := range e.Diagnostics {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(strings.TrimRight(d.String(), "\n"))
	}
	n := len(e.Diagnostics)
	if n > 1 {
		fmt.Fprintf(&b, "\n%d errors", n)
	}
	return b.String()
}

// diagnostics collects findings for one load. Not safe for concurrent use.
type diagnostics struct {
	list  []Diagnostic
	files map[string][]string // file -> its lines, for the caret display
}

func (ds *diagnostics) addSource(file string, data []byte) {
	if ds.files == nil {
		ds.files = map[string][]string{}
	}
	ds.files[file] = strings.Split(string(data), "\n")
}

func (ds *diagnostics) add(sev Severity, file string, pos Pos, hint, format string, args ...any) {
	d := Diagnostic{File: file, Pos: pos, Severity: sev, Message: fmt.Sprintf(format, args...), Hint: hint}
	if lines, ok := ds.files[file]; ok && pos.Line >= 1 && pos.Line <= len(lines) {
		d.Source = strings.TrimRight(lines[pos.Line-1], "\r")
	}
	ds.list = append(ds.list, d)
}

func (ds *diagnostics) hasErrors() bool {
	for _, d := range ds.list {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// sorted returns errors and warnings, each in file order and without
// duplicates (one finding can be reached twice, e.g. through an environment).
func (ds *diagnostics) sorted() (errs, warns []Diagnostic) {
	list := append([]Diagnostic(nil), ds.list...)
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		return a.Pos.Col < b.Pos.Col
	})
	seen := map[string]bool{}
	for _, d := range list {
		key := d.File + d.Pos.String() + d.Message
		if seen[key] {
			continue
		}
		seen[key] = true
		if d.Severity == SeverityError {
			errs = append(errs, d)
		} else {
			warns = append(warns, d)
		}
	}
	return errs, warns
}

// closest returns the candidate nearest to word by edit distance, if it is
// near enough to be a likely typo, else "".
func closest(word string, candidates []string) string {
	best, bestDist := "", 1<<30
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := EditDistance(lw, strings.ToLower(c))
		if d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	limit := len(word) / 3
	if limit < 2 {
		limit = 2
	}
	if bestDist <= limit && bestDist < len(word) {
		return best
	}
	return ""
}

// EditDistance is the Levenshtein distance between a and b, in bytes: how
// far a misspelt name is from a known one, for "did you mean" hints.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// maxSourceShown is how much of a source line a diagnostic shows around its
// column: a 200 KB line (or a binary file's) is not echoed whole.
const maxSourceShown = 120

// sourceWindow returns the part of a source line a diagnostic shows, at
// most maxSourceShown bytes around col, with "…" where it was cut and
// anything unprintable (control bytes, invalid UTF-8) shown as "?"; and
// the caret's column in it.
func sourceWindow(src string, col int) (string, int) {
	col = min(max(col, 1), len(src)+1)
	start, end := 0, len(src)
	if len(src) > maxSourceShown {
		start = max(0, min(col-1-maxSourceShown/2, len(src)-maxSourceShown))
		end = start + maxSourceShown
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	shown := src[start:end]
	for _, r := range shown {
		if r == utf8.RuneError || r == '\t' || unicode.IsControl(r) {
			if r == '\t' {
				b.WriteByte(' ')
			} else {
				b.WriteByte('?')
			}
			continue
		}
		b.WriteRune(r)
	}
	if end < len(src) {
		b.WriteString("…")
	}
	caret := col - start
	if start > 0 {
		caret++ // the leading "…" takes one column
	}
	return b.String(), caret
}
