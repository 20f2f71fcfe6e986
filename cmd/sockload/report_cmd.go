package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sockload/sockload/report"
)

func newReportCommand(pio *processIO) *cobra.Command {
	var f analysisFlags
	cmd := &cobra.Command{
		Use:   "report FILE.json",
		Short: "Print a JSON report's summary and breaking point, or write it as HTML",
		Long: `Read a JSON report written by "sockload run -o" and print its summary and
breaking point, analysed again with the thresholds the run used (or the
defaults) and the --bp-* flags given here. With --html, also write one
self-contained HTML page (charts drawn as SVG, no script, works offline):
latencies, arrival rates, throughput, VUs, errors and the generator over
time with the breaking point marked, the latency distributions, and tables
of every metric.`,
		Example: `  sockload report run.json
  sockload report run.json --html run.html
  sockload report run.json --bp-p99 200ms --bp-sustain 5s`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return showReport(pio, args[0], f)
		},
	}
	addAnalysisFlags(cmd, &f)
	return cmd
}

func showReport(pio *processIO, path string, f analysisFlags) error {
	pio, err := reportsToStdout(pio, f.html)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	rep, err := report.ReadJSON(path)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	if f.html != "" {
		if err := report.CheckWritable(f.html); err != nil {
			return withExit(exitInvalid, err)
		}
	}
	bp, err := rep.Analyze(f.apply(storedThresholds(rep)))
	if err != nil {
		return withExit(exitInvalid, fmt.Errorf("%s: %w", path, err))
	}
	report.WriteSummary(pio.stdout, rep)
	if len(rep.Checks) > 0 {
		fmt.Fprintln(pio.stdout)
		report.WriteChecks(pio.stdout, rep.Checks)
	}
	fmt.Fprintln(pio.stdout, bp.Summary)
	if f.html == "" {
		return nil
	}
	if err := writeOutput(pio, "HTML report", f.html, func(w io.Writer) error { return report.WriteHTML(w, rep) }); err != nil {
		return withExit(exitRunError, err)
	}
	return nil
}

// storedThresholds returns the thresholds the run was analysed with, or
// the defaults for a report without an analysis.
func storedThresholds(rep *report.Report) report.Thresholds {
	if rep.BreakingPoint != nil {
		return rep.BreakingPoint.Thresholds
	}
	return report.DefaultThresholds()
}
