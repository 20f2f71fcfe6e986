package report

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

func parseEnsure(t testing.TB, config string) ([]*Check, error) {
	t.Helper()
	s, err := scenario.Parse("gate.yml", ensureScript(config), scenario.Options{})
	if err != nil {
		t.Skipf("the scenario does not load: %v", err)
	}
	return ParseEnsure(s.Path, ensureScript(config), s.Config.Ensure, s.Config.Plugins)
}

func TestParseEnsure(t *testing.T) {
	checks, err := parseEnsure(t, `  plugins:
    ensure:
      thresholds:
        - "vusers.session_length.p99": 100
  ensure:
    abortOnFail: true
    after: 10
    p95: 200
    thresholds:
      - "socketio.response_time.p99": 500
        after: 2s
    conditions:
      - expression: "vusers.failed == 0"
      - expression: "socketio.emit > 1"
        strict: false
        abortOnFail: false
    maxErrorRate: 1.5`)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind   CheckKind
		text   string
		strict bool
		abort  bool
		after  time.Duration
		where  string
	}{
		{KindThreshold, "socketio.response_time.p95 < 200", true, true, 10 * time.Second, "gate.yml:13:10"},
		{KindThreshold, "socketio.response_time.p99 < 500", true, true, 2 * time.Second, "gate.yml:15:9"},
		{KindCondition, "vusers.failed == 0", true, true, 10 * time.Second, "gate.yml:18:21"},
		{KindCondition, "socketio.emit > 1", false, false, 10 * time.Second, "gate.yml:19:21"},
		{KindMaxErrorRate, "vusers error rate <= 1.5%", true, true, 10 * time.Second, "gate.yml:22:19"},
		{KindThreshold, "vusers.session_length.p99 < 100", true, false, 0, "gate.yml:9:11"},
	}
	if len(checks) != len(want) {
		t.Fatalf("%d checks, want %d", len(checks), len(want))
	}
	for i, w := range want {
		c := checks[i]
		if c.Kind != w.kind || c.Text != w.text || c.Strict != w.strict || c.AbortOnFail != w.abort || c.After != w.after || c.Where() != w.where {
			t.Errorf("check %d: %v %q strict %v abort %v after %s at %s; want %+v", i, c.Kind, c.Text, c.Strict, c.AbortOnFail, c.After, c.Where(), w)
		}
	}
}

func TestParseEnsureErrors(t *testing.T) {
	tests := []struct {
		config string
		want   []string
	}{
		{"  ensure: 5", []string{"gate.yml:6:11: error: config.ensure must be a mapping"}},
		{"  ensure:\n    thresholds: {a: 1}", []string{"gate.yml:7:17: error: config.ensure.thresholds must be a list"}},
		{"  ensure:\n    thresholds:\n      - \"socketio.emit\": lots", []string{`gate.yml:8:26: error: config.ensure.thresholds: the limit of "socketio.emit" must be a number`}},
		{"  ensure:\n    thresholds:\n      - \"socketio.emit\": 1\n        strict: false", []string{"thresholds are always strict"}},
		{"  ensure:\n    conditions:\n      - strict: true", []string{"each item needs an expression"}},
		{"  ensure:\n    conditions:\n      - expression: \"a\"\n        abortOnFail: 1", []string{"abortOnFail must be true or false"}},
		{"  ensure:\n    conditions:\n      - expression: \"a\"\n        after: soon", []string{`after: "soon" is not a duration`}},
		{"  ensure:\n    conditions:\n      - expression: \"a\"\n        strcit: false", []string{`unknown key "strcit"`}},
		{"  ensure:\n    maxErrorRate: -1", []string{"maxErrorRate must be a number of 0 or more"}},
		{"  ensure:\n    maxErorRate: 1\n    p42: 1", []string{`unknown key "maxErorRate"`, `unknown key "p42"`}},
	}
	for _, tc := range tests {
		_, err := parseEnsure(t, tc.config)
		var se *scenario.Error
		if !errors.As(err, &se) || len(se.Diagnostics) != len(tc.want) {
			t.Errorf("%q: %v", tc.config, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: %v\nwant %q", tc.config, err, w)
			}
		}
	}
}

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		in     string
		kind   CheckKind
		metric string
		limit  float64
	}{
		{"socketio.response_time.p99<500", KindThreshold, "socketio.response_time.p99", 500},
		{" errors.ack timeout < 2.5 ", KindThreshold, "errors.ack timeout", 2.5},
		{"vusers.created<1e3", KindThreshold, "vusers.created", 1000},
		{"vusers.failed == 0", KindCondition, "", 0},
		{"socketio.response_time.p99 <= 500", KindCondition, "", 0},
		{"a < b", KindCondition, "", 0},
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
// checks' parser, compiler and evaluation: none may panic.
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
		g, err := NewGate(checks, testCatalog())
		if err != nil {
			return
		}
		if got := g.Evaluate(in); len(got) != len(checks) {
			t.Errorf("%d results for %d checks", len(got), len(checks))
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
