package report

import (
	"encoding/json"
	"io"
	"testing"
	"time"
)

// FuzzFindBreakingPoint feeds the analysis and the HTML report windows
// decoded from arbitrary JSON, as `sockload report` reads them from a file
// anyone may have edited: neither may panic or hang, and the verdict is
// always one of the three.
func FuzzFindBreakingPoint(f *testing.F) {
	for _, name := range []string{"stress", "load", "generator"} {
		rep, err := ReadJSON("testdata/breaking-" + name + ".json")
		if err != nil {
			f.Fatal(err)
		}
		enc, err := json.Marshal(rep.Windows)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ws []Window
		if json.Unmarshal(data, &ws) != nil || len(ws) > 1000 {
			return
		}
		bp := FindBreakingPoint(ws, DefaultThresholds())
		switch bp.Verdict {
		case VerdictBroken, VerdictNone, VerdictInconclusive:
		default:
			t.Fatalf("verdict %q", bp.Verdict)
		}
		rep := &Report{SchemaVersion: SchemaVersion, Windows: ws, BreakingPoint: &bp,
			Run: RunInfo{Start: time.Unix(0, 0), End: time.Unix(60, 0)}}
		if err := WriteHTML(io.Discard, rep); err != nil {
			t.Fatal(err)
		}
	})
}
