package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockload/sockload/metrics"
)

func TestMarkdownSummary(t *testing.T) {
	snap := fixedSnapshot(t)
	r := &Report{
		Scenario: "examples/ci-gate.yml", Target: "http://127.0.0.1:3000",
		Run:       RunInfo{Start: snap.Start, End: snap.End},
		Aggregate: snap, Generator: Assess(snap, 2),
		FirstErrors: []metrics.ErrorSample{{Code: "Failed match", Step: "test.yml:14", VU: 3, At: snap.Start,
			Message: `$.0 is "pong", expected "pang"`, Expected: `$.0 = "pang"`, Received: `$.0 = "pong"`}},
	}
	results := []CheckResult{
		passedP95,
		{Kind: "condition", Text: "vusers.failed == 0 || 1 > 2", Where: "test.yml", Values: []NamedValue{{"vusers.failed", 1}}},
		failedStrict,
	}
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
