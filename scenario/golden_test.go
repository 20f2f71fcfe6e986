package scenario

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of the invalid scenarios")

// TestInvalidGolden loads every file under testdata/scenarios/invalid and
// compares all of its errors (and warnings) with the .golden file beside
// it. Run go test ./scenario -update to regenerate them after a deliberate
// change of wording.
func TestInvalidGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/scenarios/invalid/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid scenarios found: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			opts := Options{Getenv: func(string) string { return "" }}
			if env := environmentFor(file); env != "" {
				opts.Environment = env
			}
			_, err := Load(file, opts)
			var invalid *Error
			if !errors.As(err, &invalid) {
				t.Fatalf("Load(%s) = %v, want a *scenario.Error", file, err)
			}
			got := render(invalid)
			golden := strings.TrimSuffix(file, ".yml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./scenario -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors of %s differ from %s (go test ./scenario -update rewrites it)\n--- got:\n%s\n--- want:\n%s", file, golden, got, want)
			}
		})
	}
}

// environmentFor reads "# environment: NAME" from the first line of a test
// file, for files that test an environment.
func environmentFor(file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(string(data), "\n")
	if env, ok := strings.CutPrefix(first, "# environment: "); ok {
		return strings.TrimSpace(env)
	}
	return ""
}

func render(e *Error) string {
	var b strings.Builder
	for _, d := range e.Diagnostics {
		b.WriteString(d.String())
	}
	for _, d := range e.Warnings {
		b.WriteString(d.String())
	}
	return b.String()
}
