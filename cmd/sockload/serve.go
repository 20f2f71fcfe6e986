package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newServeCommand(pio *processIO) *cobra.Command {
	return &cobra.Command{
		Use:    "serve",
		Short:  "Run the built-in Socket.IO target",
		Args:   cobra.NoArgs,
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withExit(exitInvalid, errors.New("serve is not available yet"))
		},
	}
}
