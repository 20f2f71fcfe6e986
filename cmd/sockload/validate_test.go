package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/scenario"
)

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env.yml")
	if err := os.WriteFile(envFile, []byte(`config:
  target: "http://localhost:3000"
  phases:
    - duration: 60
      arrivalRate: 10
  environments:
    ci:
      phases:
        - duration: 5
          arrivalCount: 3
    broken:
      phases: 60
scenarios:
  - engine: socketio
    flow:
      - emit: ["hello"]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	csvFile := filepath.Join(dir, "payload.yml")
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte("name\nada\nbob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csvFile, []byte(`config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalRate: 1}]
  payload: {path: users.csv, fields: [name], order: sequence}
scenarios: [{engine: socketio, flow: [{emit: ["hi", "{{ name }}"]}]}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       exitCode
		stdout     []string // substrings of stdout
		stderr     []string // substrings of stderr
		notStdout  string
		wantErrors bool
	}{
		{
			name:   "the guide's scenario is valid",
			args:   []string{"validate", "../../examples/my-scenario.yml"},
			code:   exitOK,
			stdout: []string{"OK ../../examples/my-scenario.yml", "Target: http://localhost:3000", "10/s for 1m, about 600 VUs", `"My sample scenario" weight 1 (100%), 6 steps`},
		},
		{
			name: "the guide's scenario pasted with broken indentation",
			args: []string{"validate", "../../testdata/scenarios/invalid/seed-broken.yml"},
			code: exitInvalid,
			stderr: []string{
				`seed-broken.yml:4:1: error: "target" belongs under "config:" (line 3)`,
				"    4 | target: \"http://localhost:3000\"\n      | ^\n",
				"indent it by 2 spaces",
				`seed-broken.yml:7:5: error: "arrivalRate" is indented out of the list item`,
				"is not valid: ",
			},
			notStdout: "OK",
		},
		{
			name:   "without -e every environment is checked",
			args:   []string{"validate", envFile},
			code:   exitInvalid,
			stderr: []string{"with -e broken:", "phases must be a non-empty list"},
		},
		{
			name:   "an environment replaces the phases",
			args:   []string{"validate", envFile, "-e", "ci"},
			code:   exitOK,
			stdout: []string{`(environment "ci")`, "3 VUs over 5s"},
		},
		{
			name:   "an unknown environment",
			args:   []string{"validate", envFile, "-e", "cj"},
			code:   exitInvalid,
			stderr: []string{`environment "cj" is not defined`, `did you mean "ci"?`},
		},
		{
			name:   "overrides replace the phases",
			args:   []string{"validate", envFile, "-e", "ci", "--overrides", `{"config": {"phases": [{"duration": 2, "arrivalRate": 4}]}}`},
			code:   exitOK,
			stdout: []string{"4/s for 2s, about 8 VUs"},
		},
		{
			name:   "payloads are summarised",
			args:   []string{"validate", csvFile},
			code:   exitOK,
			stdout: []string{"users.csv: 3 rows of name, rows in order"},
		},
		{
			name:   "a missing file",
			args:   []string{"validate", filepath.Join(dir, "nope.yml")},
			code:   exitInvalid,
			stderr: []string{"nope.yml"},
		},
		{
			name:   "no file",
			args:   []string{"validate"},
			code:   exitInvalid,
			stderr: []string{"accepts 1 arg"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runInProcess(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if tc.notStdout != "" && strings.Contains(out, tc.notStdout) {
				t.Errorf("stdout has %q:\n%s", tc.notStdout, out)
			}
		})
	}
}

// TestValidateCorpus runs validate on every valid scenario of the corpus
// that needs no environment variable: each must print OK and its plan.
func TestValidateCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/scenarios/valid/*")
	n := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(file, ".csv") || strings.Contains(string(data), "$processEnvironment") || strings.Contains(string(data), "$env") {
			continue
		}
		n++
		out, errOut, code := runInProcess(t, "validate", file)
		if code != exitOK || !strings.HasPrefix(out, "OK ") || !strings.Contains(out, "Phases (") || !strings.Contains(out, "Scenarios (") {
			t.Errorf("validate %s: code %d\n%s%s", file, code, out, errOut)
		}
	}
	if n < 10 {
		t.Errorf("only %d corpus files validated", n)
	}
}

func TestValidateWarningsAndVariables(t *testing.T) {
	out, errOut, code := runInProcess(t, "validate", "../../testdata/scenarios/valid/02-artillery1-inside-emit.yml")
	if code != exitOK || !strings.Contains(errOut, "warning: response inside emit") || !strings.Contains(out, "3 warnings") {
		t.Errorf("code %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = runInProcess(t, "validate", "../../examples/my-scenario.yml", "--variables", "[1, 2]")
	if code != exitInvalid || !strings.Contains(errOut, "--variables") || !strings.Contains(errOut, "JSON object of variables") || strings.Contains(errOut, `"config"`) {
		t.Errorf("bad --variables: code %d\n%s", code, errOut)
	}
}

// validate checks the ensure block too, as a run would before starting.
func TestValidateChecksEnsure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gate.yml")
	body := `
config:
  target: "http://127.0.0.1:3000"
  phases: [{duration: 1, arrivalRate: 1}]
  ensure:
    thresholds:
      - "socketio.respons_time.p95": 200
scenarios:
  - engine: socketio
    flow: [{emit: ["ping"]}]
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runInProcess(t, "validate", path)
	if code != exitInvalid || !strings.Contains(errOut, "socketio.response_time.p95") {
		t.Fatalf("code %d, stderr:\n%s\nwant exit 2 naming the closest metric", code, errOut)
	}
	fixed := strings.Replace(body, "respons_time", "response_time", 1)
	os.WriteFile(path, []byte(fixed), 0o644)
	out, errOut, code := runInProcess(t, "validate", path)
	if code != exitOK || !strings.Contains(out, "Checks: 1") {
		t.Fatalf("code %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestValidateCountsArrivalsAsTheSchedulerDoes: a ramp of 1/s to 2/s over
// 9 s starts 14 VUs and 1.45/s for 10 s starts 15, as phases schedules them
// (not the 13.5 and 14.5 of rate times duration).
func TestValidateCountsArrivalsAsTheSchedulerDoes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ramp.yml")
	yml := "config:\n  target: \"http://127.0.0.1:3000\"\n  phases:\n    - {duration: 9, arrivalRate: 1, rampTo: 2}\n    - {duration: 10, arrivalRate: 1.45}\n" +
		"scenarios:\n  - engine: socketio\n    flow:\n      - emit: [\"ping\"]\n"
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runInProcess(t, "validate", path)
	for _, want := range []string{"about 29 VUs", "over 9s, about 14 VUs", "for 10s, about 15 VUs"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("validate lacks %q (code %d):\n%s%s", want, code, out, errOut)
		}
	}
	plan, err := engine.PlanOf(mustLoad(t, path)).Schedule(1)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range plan.All() {
		n++
	}
	if n != 29 {
		t.Errorf("the scheduler starts %d VUs, validate says 29", n)
	}
}

func mustLoad(t *testing.T, path string) *scenario.Script {
	t.Helper()
	s, err := scenario.Load(path, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
