package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sockload/sockload/checks"
	"github.com/sockload/sockload/report"
	"github.com/sockload/sockload/scenario"
)

// mergeFlags are the options of `sockload merge`.
type mergeFlags struct {
	output   string
	scenario string
	analysis analysisFlags
}

func newMergeCommand(pio *processIO) *cobra.Command {
	var f mergeFlags
	cmd := &cobra.Command{
		Use:   "merge REPORT.json... -o MERGED.json",
		Short: "Merge the JSON reports of a run's shards into the report of the whole run",
		Long: `Merge the JSON reports of the shards of one run (sockload run --shard i/n)
into the report of the whole run: counters are summed, percentiles come from
the merged histograms (never averaged), intervals and one-second windows are
aligned on the wall clock. Every shard 1/n .. n/n must be given once.
Patterns such as shard-*.json are expanded by sockload itself, for images
without a shell.

The breaking point and the scenario's checks (config.ensure) are evaluated on
the merged run, and the exit code is the merged run's: 1 when a strict check
fails. The scenario is read from the path the shards recorded, or --scenario.`,
		Example: `  sockload merge shard-1.json shard-2.json shard-3.json -o run.json`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMerge(pio, args, f)
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "write the merged JSON report to this file")
	cmd.Flags().StringVar(&f.scenario, "scenario", "", "the scenario file whose checks to evaluate (default: the one the shards ran)")
	addAnalysisFlags(cmd, &f.analysis)
	return cmd
}

func runMerge(pio *processIO, args []string, f mergeFlags) error {
	pio, err := reportsToStdout(pio, f.output, f.analysis.html)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	for _, out := range []string{f.output, f.analysis.html} {
		if out == "" {
			continue
		}
		if err := report.CheckWritable(out); err != nil {
			return withExit(exitInvalid, err)
		}
	}
	paths, err := expandPatterns(args)
	if err != nil {
		return withExit(exitInvalid, err)
	}
	reports := make([]*report.Report, len(paths))
	for i, path := range paths {
		r, err := report.ReadJSON(path)
		if err != nil {
			return withExit(exitInvalid, err)
		}
		reports[i] = r
	}
	merged, err := report.Merge(reports)
	if err != nil {
		return withExit(exitInvalid, fmt.Errorf("merging: %w", err))
	}
	script := mergedScenario(pio, merged, f.scenario)
	var gate *checks.Gate
	if script != nil {
		if gate, err = loadGate(script, runFlags{maxErrorRate: -1}); err != nil {
			return withExit(exitInvalid, err)
		}
	}
	report.WriteSummary(pio.stdout, merged)
	report.WriteDeliveryClocks(pio.stdout, merged.Aggregate, len(reports))
	var results []report.CheckResult
	if gate != nil {
		results = gate.Evaluate(checks.Input{Aggregate: merged.Aggregate, Windows: merged.Windows, Cores: merged.Generator.Cores})
		merged.Checks = results
		fmt.Fprintln(pio.stdout)
		report.WriteChecks(pio.stdout, results)
	}
	if err := analyzeRun(pio, merged, script, f.analysis); err != nil {
		return withExit(exitRunError, err)
	}
	if f.output != "" {
		if err := writeOutput(pio, "Merged report", f.output, merged.EncodeJSON); err != nil {
			return withExit(exitRunError, err)
		}
	}
	if err := checksError(results, nil); err != nil {
		return withExit(exitChecksFail, err)
	}
	return nil
}

// mergedScenario loads the scenario the shards ran, for its checks and
// breaking-point thresholds: --scenario, else the path in the reports. A
// file that is gone is a warning: the merge itself does not need it.
func mergedScenario(pio *processIO, merged *report.Report, path string) *scenario.Script {
	explicit := path != ""
	if !explicit {
		path = merged.Scenario
	}
	if path == "" {
		return nil
	}
	script, err := scenario.Load(path, scenario.Options{Getenv: pio.getenv})
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(pio.stderr, "Warning: the shards' scenario %s is not here, so its checks are not evaluated (give it with --scenario).\n", path)
			return nil
		}
		fmt.Fprintf(pio.stderr, "Warning: the scenario %s does not load, so its checks are not evaluated: %v\n", path, err)
		return nil
	}
	return script
}

// expandPatterns expands glob patterns among paths; a pattern that matches
// nothing is an error, a plain path is kept as it is.
func expandPatterns(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if !strings.ContainsAny(p, "*?[") {
			out = append(out, p)
			continue
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("no report matches %q", p)
		}
		out = append(out, matches...)
	}
	return out, nil
}
