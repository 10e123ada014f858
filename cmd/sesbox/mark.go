package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore"
)

func newMarkCmd(a *app) *cobra.Command {
	var unread bool
	cmd := &cobra.Command{
		Use:   "mark [--unread] KEY...",
		Short: "Mark messages read (or unread), as the TUI does when a message is opened",
		Long: `Marks messages read, or unread with --unread, in the local index (never in the
bucket). With a team table (team_table) the state is shared: every operator's
sesbox shows it at its next refresh, and the latest change wins. KEY is the
object key or the SES message id. Every KEY is tried: each that cannot be
marked is named on stderr, and the exit status is then 1, or 3 when each of
them names no message.`,
		Example: `  sesbox mark --unread 0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne`,
		Args:    keyArgs("KEY", "the object key or the SES message id; see sesbox ls", true),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			m, _, err := a.mailbox(ctx)
			if err != nil {
				return err
			}
			if err := a.refresh(ctx, m, true); err != nil {
				return err
			}
			// Every key is tried: one bad key among many must not leave
			// the ones after it unmarked and unmentioned.
			failed, notFound := 0, 0
			for _, k := range args {
				key, err := m.Resolve(ctx, k)
				if err == nil {
					err = m.SetRead(ctx, key, !unread)
				}
				if err != nil {
					if ctx.Err() != nil {
						return err
					}
					printError(textOut(a.stderr), err)
					failed++
					if errors.Is(err, mailstore.ErrNotFound) {
						notFound++
					}
				}
			}
			if len(args) > 1 && failed > 0 {
				fmt.Fprintf(a.stderr, "sesbox: %d of %d keys could not be marked\n", failed, len(args))
			}
			if failed > 0 && notFound == failed {
				return exitError{exitNotFound}
			}
			if failed > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&unread, "unread", false, "mark unread instead")
	return cmd
}
