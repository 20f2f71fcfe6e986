package scenario

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// ensureScript is a valid scenario with config lines added after target.
func ensureScript(config string) []byte {
	return []byte("config:\n  target: \"http://127.0.0.1:3000\"\n  phases:\n    - duration: 1\n      arrivalRate: 1\n" +
		config + "\nscenarios:\n  - engine: socketio\n    flow:\n      - emit: [\"ping\"]\n")
}

func parseEnsure(t testing.TB, config string) ([]EnsureCheck, error) {
	t.Helper()
	s, err := Parse("gate.yml", ensureScript(config), Options{})
	if err != nil {
		return nil, err
	}
	return s.Config.Checks, nil
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
		kind   EnsureKind
		text   string
		strict bool
		abort  bool
		after  time.Duration
		where  string
	}{
		{EnsureThreshold, "socketio.response_time.p95 < 200", true, true, 10 * time.Second, "gate.yml:13:10"},
		{EnsureThreshold, "socketio.response_time.p99 < 500", true, true, 2 * time.Second, "gate.yml:15:9"},
		{EnsureCondition, "vusers.failed == 0", true, true, 10 * time.Second, "gate.yml:18:21"},
		{EnsureCondition, "socketio.emit > 1", false, false, 10 * time.Second, "gate.yml:19:21"},
		{EnsureMaxErrorRate, "vusers error rate <= 1.5%", true, true, 10 * time.Second, "gate.yml:22:19"},
		{EnsureThreshold, "vusers.session_length.p99 < 100", true, false, 0, "gate.yml:9:11"},
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
		var se *Error
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
