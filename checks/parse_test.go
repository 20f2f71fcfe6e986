package checks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
)

// ensureScript is a valid scenario with config lines added after target.
func ensureScript(config string) []byte {
	return []byte("config:\n  target: \"http://127.0.0.1:3000\"\n  phases:\n    - duration: 1\n      arrivalRate: 1\n" +
		config + "\nscenarios:\n  - engine: socketio\n    flow:\n      - emit: [\"ping\"]\n")
}

// parseEnsure loads a scenario with config lines added and returns its
// checks, or the loader's error.
func parseEnsure(t testing.TB, config string) ([]scenario.EnsureCheck, error) {
	t.Helper()
	s, err := scenario.Parse("gate.yml", ensureScript(config), scenario.Options{})
	if err != nil {
		return nil, err
	}
	return s.Config.Checks, nil
}

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		in     string
		kind   scenario.EnsureKind
		metric string
		limit  float64
	}{
		{"socketio.response_time.p99<500", scenario.EnsureThreshold, "socketio.response_time.p99", 500},
		{" errors.ack timeout < 2.5 ", scenario.EnsureThreshold, "errors.ack timeout", 2.5},
		{"vusers.created<1e3", scenario.EnsureThreshold, "vusers.created", 1000},
		{"vusers.failed == 0", scenario.EnsureCondition, "", 0},
		{"socketio.response_time.p99 <= 500", scenario.EnsureCondition, "", 0},
		{"a < b", scenario.EnsureCondition, "", 0},
	}
	for _, tc := range tests {
		c, err := ParseThreshold(tc.in)
		if err != nil || c.Kind != tc.kind || c.Metric != tc.metric || c.Limit != tc.limit || !c.Strict {
			t.Errorf("%q: %+v, %v", tc.in, c, err)
		}
	}
	if _, err := ParseThreshold("  "); err == nil {
		t.Error("an empty threshold was taken")
	}
	if _, err := MaxErrorRateCheck(-1); err == nil {
		t.Error("a negative error rate was taken")
	}
}

// FuzzEnsureParse feeds ensure blocks through the scenario loader, the
// checks' compiler and evaluation: none may panic. Oracles: every check
// the loader returns points at its line of the file (its Source is that
// line), and evaluates to one result with its text.
func FuzzEnsureParse(f *testing.F) {
	for _, seed := range []string{
		"  ensure:\n    thresholds:\n      - \"socketio.response_time.p99\": 500\n    maxErrorRate: 1",
		"  ensure:\n    conditions:\n      - expression: \"vusers.failed == 0\"\n        strict: false",
		"  plugins:\n    ensure:\n      p95: 10\n      after: 5s\n      abortOnFail: true",
		"  ensure:\n    thresholds:\n      - {a: 1, b: 2, after: 1}",
	} {
		f.Add(seed)
	}
	start := time.Date(2026, 11, 27, 15, 40, 0, 0, time.UTC)
	reg := metrics.New(start, metrics.Options{})
	reg.Counter("vusers.created").Add(3)
	reg.Recorder(1).Record(reg.Histogram("socketio.response_time"), 5*time.Millisecond)
	in := Input{Aggregate: reg.Rotate(start.Add(time.Second)), Cores: 2}
	f.Fuzz(func(t *testing.T, config string) {
		checks, err := parseEnsure(t, config)
		if err != nil {
			return
		}
		lines := strings.Split(string(ensureScript(config)), "\n")
		for _, c := range checks {
			if !c.Pos.IsValid() || c.Pos.Line > len(lines) || c.Source != strings.TrimRight(lines[c.Pos.Line-1], "\r") {
				t.Fatalf("check %q at %s has source %q", c.Text, c.Where(), c.Source)
			}
		}
		g, err := NewGate(checks, testCatalog())
		if err != nil {
			return
		}
		got := g.Evaluate(in)
		if len(got) != len(checks) {
			t.Fatalf("%d results for %d checks", len(got), len(checks))
		}
		for i, r := range got {
			if r.Text != checks[i].Text || r.Where != checks[i].Where() {
				t.Fatalf("result %d is %q at %s, the check %q at %s", i, r.Text, r.Where, checks[i].Text, checks[i].Where())
			}
		}
	})
}

func TestSourceColumn(t *testing.T) {
	tests := []struct {
		line          string
		col, valueCol int
		want          int
	}{
		{`      - expression: vusers.failed == (`, 21, 18, 39},
		{`      - expression: "vusers.failed == ("`, 21, 18, 40},
		{`      - expression: "errors[\"x\"] ==="`, 21, 14, 38},
		{`      - expression: 'errors[''x''] ==='`, 21, 14, 38},
		{`short`, 40, 3, 40},
	}
	for _, tc := range tests {
		if got := sourceColumn(tc.line, tc.col, tc.valueCol); got != tc.want {
			t.Errorf("%q col %d + %d: %d, want %d", tc.line, tc.col, tc.valueCol, got, tc.want)
		}
	}
}

func TestExpressionErrorPointsIntoTheLine(t *testing.T) {
	checks, err := parseEnsure(t, "  ensure:\n    conditions:\n      - expression: \"vusers.failed === 0\"")
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewGate(checks, testCatalog())
	var se *scenario.Error
	if !errors.As(err, &se) || len(se.Diagnostics) != 1 {
		t.Fatalf("%v", err)
	}
	d := se.Diagnostics[0]
	// The caret is under the third "=".
	if d.Pos.Line != 8 || d.Source[d.Pos.Col-1] != '=' || d.Source[d.Pos.Col-3:d.Pos.Col] != "===" {
		t.Errorf("at %s in %q:\n%s", d.Pos, d.Source, d)
	}
}
