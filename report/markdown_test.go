package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMarkdownSummary(t *testing.T) {
	snap := fixedSnapshot(t)
	r := &Report{
		Scenario: "examples/ci-gate.yml", Target: "http://127.0.0.1:3000",
		Run:       RunInfo{Start: snap.Start, End: snap.End},
		Aggregate: snap, Generator: Assess(snap, 2),
	}
	g := gate(t,
		thresholdCheck("socketio.response_time.p95", 200),
		condition("vusers.failed == 0 || 1 > 2", false),
		condition("vusers.failed == 0", true),
	)
	results := g.Evaluate(Input{Aggregate: snap, Cores: 2})
	path := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(path, []byte("earlier step\n"), 0o644)
	if err := AppendMarkdown(path, r, results); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	got, ok := strings.CutPrefix(string(data), "earlier step\n")
	if !ok {
		t.Fatalf("the earlier content was not kept:\n%s", data)
	}
	golden(t, "summary.md.golden", got)
}
