package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sockload/sockload/scenario"
)

// CheckResult is the outcome of one check.
type CheckResult struct {
	Kind   string `json:"kind"`
	Text   string `json:"check"`
	Where  string `json:"where,omitempty"`
	Strict bool   `json:"strict"`
	Passed bool   `json:"passed"`
	// Value is what a threshold or maxErrorRate measured.
	Value float64 `json:"value"`
	// Values are the metrics the check read, in order of first use.
	Values []NamedValue `json:"values,omitempty"`
	// Problem says why a check could not be evaluated (a metric with no
	// value); such a check fails.
	Problem string `json:"problem,omitempty"`
	// Note says what the reader should know of a value it read, e.g. that
	// the error code it names never occurred and which ones did.
	Note string `json:"note,omitempty"`
	// StoppedRun is set on the check that stopped the run early, At the
	// time into the run when it did.
	StoppedRun bool          `json:"stoppedRun,omitempty"`
	At         time.Duration `json:"atNs,omitempty"`
}

// NamedValue is one metric a check read.
type NamedValue struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// FailsRun reports whether the result fails the run (a strict check that
// did not pass).
func (r CheckResult) FailsRun() bool { return r.Strict && !r.Passed }

// ChecksFailed reports whether any result fails the run.
func ChecksFailed(results []CheckResult) bool {
	return slices.ContainsFunc(results, CheckResult.FailsRun)
}

// WriteChecks prints the Checks section that follows the summary, one
// "ok:" or "fail:" line per check with what it measured, as Artillery
// does. A check that is not strict says so, and the check that stopped the
// run says when.
func WriteChecks(w io.Writer, results []CheckResult) {
	if len(results) == 0 {
		return
	}
	fmt.Fprintln(w, "Checks:")
	for _, r := range results {
		fmt.Fprintf(w, "%s: %s (%s)", r.Status(), r.Text, r.Measured())
		switch {
		case r.StoppedRun:
			fmt.Fprintf(w, ", stopped the run at %s", r.At.Round(time.Second))
		case !r.Passed && !r.Strict:
			fmt.Fprint(w, ", not strict: the run does not fail")
		}
		fmt.Fprintln(w)
		if r.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", r.Note)
		}
	}
	failed := 0
	for _, r := range results {
		if r.FailsRun() {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(w, "%d of %d checks failed.\n", failed, len(results))
	}
}

// Status is "ok" or "fail".
func (r CheckResult) Status() string {
	if r.Passed {
		return "ok"
	}
	return "fail"
}

// Measured tells what the check read: "12.3" for a threshold, "0.5%" for
// maxErrorRate, "name = value, ..." for a condition, or the problem.
func (r CheckResult) Measured() string {
	if r.Problem != "" {
		return r.Problem
	}
	switch r.Kind {
	case scenario.EnsureThreshold.String():
		return formatNumber(round3(r.Value))
	case scenario.EnsureMaxErrorRate.String():
		vals := ""
		if len(r.Values) == 2 {
			vals = fmt.Sprintf(": %s failed of %s created", formatNumber(r.Values[0].Value), formatNumber(r.Values[1].Value))
		}
		return formatNumber(round3(r.Value)) + "%" + vals
	}
	parts := make([]string, len(r.Values))
	for i, v := range r.Values {
		parts[i] = v.Name + " = " + formatNumber(round3(v.Value))
	}
	if len(parts) == 0 {
		return "no metrics"
	}
	return strings.Join(parts, ", ")
}

func round3(f float64) float64 {
	if math.Abs(f) > 1e15 {
		return f
	}
	return math.Round(f*1000) / 1000
}
