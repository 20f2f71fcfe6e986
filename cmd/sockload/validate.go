package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/phases"
	"github.com/sockload/sockload/scenario"
	"github.com/spf13/cobra"
)

func newValidateCommand(pio *processIO) *cobra.Command {
	var environment, overrides, variables string
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a scenario file and print its plan",
		Long: `Validate loads a scenario file (Artillery's YAML format) as "run" would,
and prints either OK with the plan (phases, total duration, expected
arrivals, scenarios and their weights) or every error in the file, each
with file:line:col, the offending line and how to fix it.

Exit status: 0 when the file is valid, 2 when it is not.`,
		Example: `  sockload validate my-scenario.yml
  sockload validate my-scenario.yml -e staging
  sockload validate my-scenario.yml --overrides '{"config": {"phases": [{"duration": 10, "arrivalRate": 1}]}}'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := scenario.Options{
				Environment: environment,
				Overrides:   []byte(overrides),
				Variables:   []byte(variables),
				Getenv:      pio.getenv,
			}
			return validate(pio, args[0], opts)
		},
	}
	cmd.Flags().StringVarP(&environment, "environment", "e", "", "use the settings of config.environments.`NAME`")
	cmd.Flags().StringVar(&overrides, "overrides", "", "a `JSON` object deep-merged over the file (maps merge, lists replace)")
	cmd.Flags().StringVarP(&variables, "variables", "v", "", "a `JSON` object of variables, replacing those of config.variables")
	return cmd
}

// validate loads path and prints the plan or every error. Invalid input
// exits with exitInvalid; the diagnostics are printed here, not by runCLI.
// Without -e, every environment of the file is loaded too, so that a
// mistake in one is found before the run that selects it.
func validate(pio *processIO, path string, opts scenario.Options) error {
	s, err := scenario.Load(path, opts)
	if err == nil && opts.Environment == "" {
		for _, env := range s.Environments {
			envOpts := opts
			envOpts.Environment = env
			if _, envErr := scenario.Load(path, envOpts); envErr != nil {
				fmt.Fprintf(pio.stderr, "with -e %s:\n", env)
				err = envErr
				break
			}
		}
	}
	var invalid *scenario.Error
	if errors.As(err, &invalid) {
		for _, d := range invalid.Diagnostics {
			fmt.Fprint(pio.stderr, d.String(), "\n")
		}
		for _, d := range invalid.Warnings {
			fmt.Fprint(pio.stderr, d.String(), "\n")
		}
		n := len(invalid.Diagnostics)
		fmt.Fprintf(pio.stderr, "%s is not valid: %d %s\n", path, n, plural(n, "error", "errors"))
		return withExit(exitInvalid, errors.New(""))
	}
	if err != nil {
		return withExit(exitInvalid, err)
	}
	for _, w := range s.Warnings {
		fmt.Fprint(pio.stderr, w.String(), "\n")
	}
	// The ensure checks are part of the file: an unknown metric or a bad
	// expression is found here rather than at the start of a run.
	gate, err := loadGate(s, runFlags{maxErrorRate: -1})
	if err != nil {
		return withExit(exitInvalid, err)
	}
	fmt.Fprintf(pio.stdout, "OK %s\n", path)
	if gate != nil && gate.Len() > 0 {
		n := gate.Len()
		fmt.Fprintf(pio.stdout, "Checks: %d\n", n)
	}
	env := ""
	if s.Environment != "" {
		env = fmt.Sprintf(" (environment %q)", s.Environment)
	}
	fmt.Fprintf(pio.stdout, "Target: %s%s\n", redactTarget(s.Config.Target), env)
	fmt.Fprint(pio.stdout, s.Plan().WithArrivals(arrivalsPerPhase(engine.PlanOf(s))).String())
	for _, p := range s.Config.Payloads {
		how := "a random row per VU"
		switch {
		case p.LoadAll:
			how = fmt.Sprintf("all rows in {{ %s }}", p.Name)
		case p.Order == scenario.OrderSequence:
			how = "rows in order"
		}
		fmt.Fprintf(pio.stdout, "Payload %s: %d %s of %s, %s\n", p.Path, len(p.Rows), plural(len(p.Rows), "row", "rows"), strings.Join(p.Fields, ", "), how)
	}
	printPathNotes(pio, s)
	if len(s.Warnings) > 0 {
		fmt.Fprintf(pio.stdout, "%d %s (see above)\n", len(s.Warnings), plural(len(s.Warnings), "warning", "warnings"))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return strings.TrimSpace(many)
}

// printPathNotes says, for each JSON path of an ack, response or waitFor,
// whether Artillery reads it alike: the file's portability, path by path.
func printPathNotes(pio *processIO, s *scenario.Script) {
	if len(s.PathNotes) == 0 {
		return
	}
	fmt.Fprintln(pio.stdout, "JSON paths:")
	for _, n := range s.PathNotes {
		mark := "here only"
		if n.Portable {
			mark = "portable"
		}
		fmt.Fprintf(pio.stdout, "  line %d: %s (%s): %s\n", n.Pos.Line, n.Path, mark, n.Note)
	}
}

// arrivalsPerPhase is the number of VUs each phase starts, as the
// scheduler counts them.
func arrivalsPerPhase(plan phases.Plan) []float64 {
	out := make([]float64, len(plan))
	for i, p := range plan {
		out[i] = p.ExpectedCount()
	}
	return out
}
