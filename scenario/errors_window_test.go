package scenario

import (
	"strings"
	"testing"
)

// A diagnostic shows at most maxSourceShown bytes of its line, around the
// column, and nothing unprintable: a 200 KB line or a binary file is not
// echoed to the terminal.
func TestDiagnosticSourceIsBounded(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  string
		col  int
	}{
		{"long line", strings.Repeat("a", 200_000), 100_000},
		{"binary", "\x00\x01\xff\xfe" + strings.Repeat("\x7f\x1b[2J", 20000), 3},
	} {
		out := Diagnostic{File: "f.yml", Pos: Pos{1, tt.col}, Severity: SeverityError, Message: "m", Source: tt.src}.String()
		if len(out) > 3*maxSourceShown+200 {
			t.Errorf("%s: the diagnostic is %d bytes long", tt.name, len(out))
		}
		if strings.ContainsAny(out, "\x00\x01\x1b\x7f") {
			t.Errorf("%s: the diagnostic shows control bytes: %q", tt.name, out)
		}
	}
}
