package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
scenarios:
  - engine: socketio
    flow:
      - emit: ["hello"]
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
			args:   []string{"validate", envFile, "--overrides", `{"config": {"phases": [{"duration": 2, "arrivalRate": 4}]}}`},
			code:   exitOK,
			stdout: []string{"4/s for 2s, about 8 VUs"},
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
