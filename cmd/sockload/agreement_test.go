package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/scenario"
)

// TestValidateAndRunAgree runs `sockload validate` and `sockload run` over
// every file of both corpora: validate accepts a file exactly when run
// accepts it in every environment it names. The run is interrupted while
// it waits for --start-at, which it reaches only after every check of its
// input, so no load is generated.
func TestValidateAndRunAgree(t *testing.T) {
	var files []string
	for _, dir := range []string{"valid", "invalid"} {
		for _, ext := range []string{"*.yml", "*.json"} {
			found, _ := filepath.Glob(filepath.Join("../../testdata/scenarios", dir, ext))
			files = append(files, found...)
		}
	}
	if len(files) < 40 {
		t.Fatalf("only %d corpus files", len(files))
	}
	startAt := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	accepted, refused := 0, 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			validated, validateOut := runAgreeing(t, "validate", file)
			ran, runOut := true, ""
			for _, env := range environmentsOf(file) {
				args := []string{"run", "--start-at", startAt, file}
				if env != "" {
					args = append(args, "-e", env)
				}
				ok, out := runAgreeing(t, args...)
				ran, runOut = ran && ok, runOut+out
			}
			if validated != ran {
				t.Errorf("validate accepts it: %v, run accepts it: %v\nvalidate:\n%s\nrun:\n%s", validated, ran, validateOut, runOut)
			}
			if validated {
				accepted++
			} else {
				refused++
			}
		})
	}
	if accepted < 15 || refused < 20 {
		t.Errorf("%d files accepted and %d refused: the corpora are not both covered", accepted, refused)
	}
}

// environmentsOf returns "" (no -e) and every environment the file names.
func environmentsOf(file string) []string {
	envs := []string{""}
	if s, err := scenario.Load(file, scenario.Options{Getenv: corpusEnv}); err == nil {
		envs = append(envs, s.Environments...)
	}
	return envs
}

// corpusEnv is the process environment the corpus files expect.
func corpusEnv(name string) string {
	if name == "SERVER_PORT" {
		return "4000"
	}
	return ""
}

// runAgreeing runs the CLI and says whether it accepted the file: validate
// exits 0, run reaches its start (and is interrupted there).
func runAgreeing(t *testing.T, args ...string) (accepted bool, output string) {
	t.Helper()
	var out bytes.Buffer
	interrupt := make(chan os.Signal, 1)
	interrupt <- os.Interrupt
	pio := &processIO{
		stdout: &out,
		stderr: &out,
		getenv: corpusEnv,
		signals: func() (<-chan os.Signal, func()) {
			return interrupt, func() {}
		},
		exit: func(code int) { t.Fatalf("the CLI exited the process with %d", code) },
	}
	code := runCLI(pio, args)
	switch {
	case code == exitInvalid:
		return false, out.String()
	case args[0] == "validate" && code == exitOK:
		return true, out.String()
	case args[0] == "run" && code == exitInterrupted && strings.Contains(out.String(), "interrupted before the start"):
		return true, out.String()
	}
	t.Fatalf("%s: exit code %d\n%s", strings.Join(args, " "), code, out.String())
	return false, ""
}
