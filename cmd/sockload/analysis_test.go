package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sockload/sockload/report"
	"github.com/sockload/sockload/scenario"
)

// loadScenario writes a scenario with the given config.plugins block and
// loads it.
func loadScenario(t *testing.T, plugins string) *scenario.Script {
	t.Helper()
	yml := "config:\n  target: \"http://127.0.0.1:3000\"\n  phases:\n    - {duration: 1, arrivalRate: 1}\n" + plugins +
		"scenarios:\n  - flow:\n      - emit: [\"ping\"]\n"
	path := filepath.Join(t.TempDir(), "scenario.yml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Load(path, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// scenarioThresholds loads a scenario with the given config.plugins block
// and returns the breaking point's thresholds it sets over the defaults.
func scenarioThresholds(t *testing.T, plugins string) (report.Thresholds, error) {
	yml := "config:\n  target: \"http://127.0.0.1:3000\"\n  phases:\n    - {duration: 1, arrivalRate: 1}\n" + plugins +
		"scenarios:\n  - flow:\n      - emit: [\"ping\"]\n"
	s, err := scenario.Parse("scenario.yml", []byte(yml), scenario.Options{})
	if err != nil {
		return report.Thresholds{}, err
	}
	return report.DefaultThresholds().With(s.Config.BreakingPoint), nil
}

func TestScenarioThresholds(t *testing.T) {
	defaults := report.DefaultThresholds()
	for _, tc := range []struct {
		name    string
		plugins string
		want    func(*report.Thresholds)
		err     string
	}{
		{name: "none", plugins: "", want: func(*report.Thresholds) {}},
		{name: "other plugins only", plugins: "  plugins:\n    ensure: {}\n", want: func(*report.Thresholds) {}},
		{
			name:    "numbers",
			plugins: "  plugins:\n    breakingPoint:\n      p99: 500\n      maxErrorRate: 1\n      sustain: 5\n      saturation: 0\n",
			want: func(th *report.Thresholds) {
				th.P99, th.MaxErrorRate, th.Sustain, th.Saturation = 500, 1, 5, 0
			},
		},
		{
			name:    "durations",
			plugins: "  plugins:\n    breakingPoint:\n      p99: 1.5s\n      p99Floor: 20ms\n      sustain: 10s\n      connectP99: 250ms\n      baseline: 1m\n",
			want: func(th *report.Thresholds) {
				th.P99, th.P99Floor, th.Sustain, th.ConnectP99, th.Baseline = 1500, 20, 10, 250, 60
			},
		},
		{
			name:    "durations with spaced units, as phases write them",
			plugins: "  plugins:\n    breakingPoint:\n      p99: \"500 msec\"\n      sustain: \"5 sec\"\n      connectFloor: \"80\"\n",
			want: func(th *report.Thresholds) {
				th.P99, th.Sustain, th.ConnectFloor = 500, 5, 80
			},
		},
		{name: "unknown key", plugins: "  plugins:\n    breakingPoint:\n      p98: 500\n", err: "scenario.yml:7:12: error: config.plugins.breakingPoint.p98 is not a threshold"},
		{name: "negative", plugins: "  plugins:\n    breakingPoint:\n      p99Factor: -2\n", err: "p99Factor: -2 is negative"},
		{name: "not a duration", plugins: "  plugins:\n    breakingPoint:\n      p99: fast\n", err: `"fast" is not a duration`},
		{name: "not a map", plugins: "  plugins:\n    breakingPoint: 5\n", err: "must be a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th, err := scenarioThresholds(t, tc.plugins)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			tc.want(&want)
			if th != want {
				t.Errorf("thresholds\n %+v\nwant\n %+v", th, want)
			}
		})
	}
}

// TestFlagsOverrideTheScenario checks the order: defaults, then the
// scenario, then the command line.
func TestFlagsOverrideTheScenario(t *testing.T) {
	script := loadScenario(t, "  plugins:\n    breakingPoint:\n      p99: 500\n      sustain: 5\n")
	cmd := &cobra.Command{Use: "x"}
	var f analysisFlags
	addAnalysisFlags(cmd, &f)
	if err := cmd.Flags().Parse([]string{"--bp-p99", "2s", "--bp-saturation", "0", "--html", "x.html"}); err != nil {
		t.Fatal(err)
	}
	th, err := checkAnalysis(script, f)
	if err != nil {
		t.Fatal(err)
	}
	if th.P99 != 2000 || th.Sustain != 5 || th.Saturation != 0 || th.P99Factor != report.DefaultThresholds().P99Factor {
		t.Errorf("thresholds %+v: want p99 2000 (flag), sustain 5 (scenario), saturation 0 (flag), the default factor", th)
	}
	if err := f.sustain.Set("-1s"); err == nil {
		t.Error("a negative --bp-sustain was accepted")
	}
}

// TestAnalyzeRun is what `sockload run` does at its end: the breaking point
// goes into the report and the summary, and --html writes the page.
func TestAnalyzeRun(t *testing.T) {
	rep, err := report.ReadJSON("../../report/testdata/breaking-stress.json")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	html := filepath.Join(t.TempDir(), "run.html")
	pio := &processIO{stdout: &out, stderr: &out}
	f := analysisFlags{html: html}
	if err := analyzeRun(pio, rep, loadScenario(t, "  plugins:\n    breakingPoint:\n      sustain: 2\n"), f); err != nil {
		t.Fatal(err)
	}
	if rep.BreakingPoint == nil || rep.BreakingPoint.Verdict != report.VerdictBroken || rep.BreakingPoint.Thresholds.Sustain != 2 {
		t.Fatalf("breaking point %+v", rep.BreakingPoint)
	}
	if !strings.HasPrefix(out.String(), "Breaking point: at 27 arrivals/s") || !strings.Contains(out.String(), "HTML report written to "+html) {
		t.Errorf("output:\n%s", out.String())
	}
	if info, err := os.Stat(html); err != nil || info.Size() < 10_000 {
		t.Errorf("HTML report: %v", err)
	}
}
