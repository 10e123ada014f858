package main

import (
	"github.com/spf13/cobra"
)

func newMarkCmd(a *app) *cobra.Command {
	var unread bool
	cmd := &cobra.Command{
		Use:   "mark [--unread] KEY...",
		Short: "Mark messages read (or unread), as the TUI does when a message is opened",
		Long: `Marks messages read, or unread with --unread, in the local index (never in the
bucket). With a team table (team_table) the state is shared: every operator's
sesbox shows it at its next refresh, and the latest change wins. KEY is the
object key or the SES message id.`,
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
			for _, k := range args {
				key, err := m.Resolve(ctx, k)
				if err != nil {
					return err
				}
				if err := m.SetRead(ctx, key, !unread); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&unread, "unread", false, "mark unread instead")
	return cmd
}
