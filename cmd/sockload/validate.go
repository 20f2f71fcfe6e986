package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newValidateCommand(pio *processIO) *cobra.Command {
	return &cobra.Command{
		Use:    "validate FILE",
		Short:  "Check a scenario file and print its plan",
		Args:   cobra.ExactArgs(1),
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withExit(exitInvalid, errors.New("validate is not available yet"))
		},
	}
}
