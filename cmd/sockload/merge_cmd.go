package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sockload/sockload/report"
)

func newMergeCommand(pio *processIO) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "merge REPORT.json... -o MERGED.json",
		Short: "Merge the JSON reports of a run's shards into the report of the whole run",
		Long: `Merge the JSON reports of the shards of one run (sockload run --shard i/n)
into the report of the whole run: counters are summed, percentiles come from
the merged histograms (never averaged), intervals and one-second windows are
aligned on the wall clock. Every shard 1/n .. n/n must be given once.
Patterns such as shard-*.json are expanded by sockload itself, for images
without a shell.`,
		Example: `  sockload merge shard-1.json shard-2.json shard-3.json -o run.json`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "" {
				if err := report.CheckWritable(output); err != nil {
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
			report.WriteSummary(pio.stdout, merged)
			if output == "" {
				return nil
			}
			if err := merged.WriteJSON(output); err != nil {
				return withExit(exitRunError, err)
			}
			fmt.Fprintf(pio.stdout, "Merged report written to %s\n", output)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the merged JSON report to this file")
	return cmd
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
