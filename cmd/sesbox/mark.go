package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore"
)

func newMarkCmd(a *app) *cobra.Command {
	var unread bool
	var keysFrom string
	cmd := &cobra.Command{
		Use:   "mark [--unread] (KEY... | --keys-from FILE)",
		Short: "Mark messages read (or unread), as the TUI does when a message is opened",
		Long: `Marks messages read, or unread with --unread, in the local index (never in the
bucket). With a team table (team_table) the state is shared: every operator's
sesbox shows it at its next refresh, and the latest change wins. KEY is the
object key or the SES message id, as arguments or one a line in --keys-from
(- for stdin: sesbox ls --json --query Q | jq -r .key | sesbox mark
--keys-from -, as forward takes them). Every KEY is tried: each that cannot be
marked is named on stderr, and the exit status is then 1, or 3 when each of
them names no message.`,
		Example: `  sesbox mark --unread 0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne
  sesbox mark --keys-from keys.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			if keysFrom == "" {
				return keyArgs("KEY", "the object key or the SES message id, or --keys-from FILE; see sesbox ls", true)(cmd, args)
			}
			if len(args) > 0 {
				return usagef(cmd, "mark: name the messages one way: KEY arguments or --keys-from FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if keysFrom != "" {
				var err error
				if args, err = readKeysFrom("mark", keysFrom, a.stdin); err != nil {
					return err
				}
				if len(args) == 0 {
					return errors.New("mark: no keys in " + keysFrom)
				}
			}
			m, _, err := a.mailbox(ctx)
			if err != nil {
				return err
			}
			if !m.KeepsReadState() {
				// The TUI goes on in memory (a message read is shown
				// read until it ends); marking is all mark does.
				return &mailstore.HintError{
					Hint: "nothing marked: the local index could not be opened (the warning above says why), and a mark kept only in memory is forgotten when sesbox ends",
					Err:  errors.New("mark: no saved index")}
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
	cmd.Flags().StringVar(&keysFrom, "keys-from", "", "read keys or SES message ids from `FILE`, one a line (- for stdin)")
	return cmd
}
