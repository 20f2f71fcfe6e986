package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestExitCodesAreDocumented compares the exit codes with the reference's
// table of them (docs/exit-codes.md).
func TestExitCodesAreDocumented(t *testing.T) {
	page, err := os.ReadFile("../../docs/exit-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(\\d+)` \\|").FindAllStringSubmatch(string(page), -1) {
		documented = append(documented, m[1])
	}
	var codes []string
	for _, c := range []exitCode{exitOK, exitChecksFail, exitInvalid, exitRunError, exitInterrupted} {
		codes = append(codes, fmt.Sprint(int(c)))
	}
	if !slices.Equal(codes, documented) {
		t.Errorf("exit codes %v, docs/exit-codes.md documents %v", codes, documented)
	}
}
