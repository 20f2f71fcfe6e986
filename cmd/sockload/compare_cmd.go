package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sockload/sockload/report"
)

// compareFlags are the options of `sockload compare`.
type compareFlags struct {
	analysis  analysisFlags
	tolerance float64
}

func newCompareCommand(pio *processIO) *cobra.Command {
	var f compareFlags
	cmd := &cobra.Command{
		Use:   "compare A.json B.json",
		Short: "Compare two JSON reports: every metric side by side, and where each run broke",
		Long: `Compare two runs' JSON reports, A the reference and B the run judged against
it: where each broke (analysed again with the thresholds each run used and
the --bp-* flags given here), the latency of both at the arrival rates both
offered (a load run against a stress run of the same target), and every
metric with its difference and ratio. Regressions are marked WORSE: a
higher latency or share of errors, a lower throughput, past --tolerance
percent. With --html, also write the comparison as one self-contained page
with both runs' latency distributions overlaid.`,
		Example: `  sockload compare load.json stress.json
  sockload compare before.json after.json --html compare.html --tolerance 5`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return compareReports(pio, args[0], args[1], f)
		},
	}
	addAnalysisFlags(cmd, &f.analysis)
	cmd.Flags().Float64Var(&f.tolerance, "tolerance", 10, "percent by which B may be worse than A before it is marked WORSE")
	return cmd
}

func compareReports(pio *processIO, pathA, pathB string, f compareFlags) error {
	pio, err := reportsToStdout(pio, f.analysis.html)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	if f.tolerance < 0 {
		return withExit(exitInvalid, fmt.Errorf("--tolerance %v: give zero or more percent", f.tolerance))
	}
	if f.analysis.html != "" {
		if err := report.CheckWritable(f.analysis.html); err != nil {
			return withExit(exitInvalid, err)
		}
	}
	var reps [2]*report.Report
	for i, path := range []string{pathA, pathB} {
		rep, err := report.ReadJSON(path)
		if err != nil {
			return withExit(exitInvalid, err)
		}
		if _, err := rep.Analyze(f.analysis.apply(storedThresholds(rep))); err != nil {
			return withExit(exitInvalid, fmt.Errorf("%s: %w", path, err))
		}
		reps[i] = rep
	}
	cmp, err := report.Compare(reps[0], reps[1], f.tolerance)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	cmp.WriteText(pio.stdout, pathA, pathB)
	if f.analysis.html == "" {
		return nil
	}
	err = writeOutput(pio, "HTML comparison", f.analysis.html, func(w io.Writer) error { return cmp.WriteHTML(w, pathA, pathB) })
	if err != nil {
		return withExit(exitRunError, err)
	}
	return nil
}
