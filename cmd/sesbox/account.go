package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/sessend"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

func newAccountCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "account [--json]",
		Example: `  sesbox account
  sesbox account --json`,
		Short: "Show the SES account's state, limits, suppression settings and sending identities",
		Long: `Reads the SES account sesbox sends through (SES v2 GetAccount) and the
verification of the mailbox's sending identities (GetEmailIdentity): its from
address and that address's domain, the forwarder config's fromEmail, and
identity_domains.

  mode         sandbox (sends only to verified identities and the mailbox
               simulator, 200 a day at 1 a second) or production
  sending      enabled, or paused by SES or the account owner
  enforcement  HEALTHY, PROBATION (bounce or complaint rate under review) or
               SHUTDOWN
  quota        recipients allowed in any 24 hours, sent in the last 24 hours,
               and what is left; every recipient of a message counts
  rate         recipients per second
  suppression  the reasons for which SES puts addresses on the account's
               suppression list (BOUNCE, COMPLAINT); sesbox skips those
               addresses before sending

--json prints one object; its fields are documented in docs/ses-operations.md.
The credentials need ses:GetAccount and ses:GetEmailIdentity (and
ses:GetConfigurationSet with configuration_set set: a set the region does
not have fails every send).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			_, mc, err := a.mailboxConfig()
			if err != nil {
				return err
			}
			if a.demoWithoutSES(mc) {
				return errors.New(demoNoSES)
			}
			r, err := a.sesAccount(ctx, mc)
			if err != nil {
				return err
			}
			acct, err := sesaccount.Describe(ctx, r, a.identityNames(mc))
			if err != nil {
				return err
			}
			if asJSON {
				enc := jsonLines(a.stdout)
				return enc.Encode(acct)
			}
			return printAccount(textOut(a.stdout), acct)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// sesAccount builds the reader of the account's state for a mailbox. Unlike
// the sender's client it keeps the SDK's retries: these calls only read.
func (a *app) sesAccount(ctx context.Context, mc MailboxConfig) (*sessend.AccountReader, error) {
	client, err := a.sesClient(ctx, mc)
	if err != nil {
		return nil, err
	}
	return sessend.NewAccountReader(client).WithProfile(awsProfile(mc)).WithConfigurationSet(mc.ConfigurationSet), nil
}

// identityNames are the identities a mailbox sends from: its from (and
// that address's domain), the forwarder config's fromEmail, and its
// identity_domains.
func (a *app) identityNames(mc MailboxConfig) []string {
	id := a.identity(mc)
	addrs := []string{id.From}
	if mc.ForwardConfig != "" {
		if cfg, err := forward.LoadConfig(xdg.ExpandHome(mc.ForwardConfig)); err == nil {
			addrs = append(addrs, cfg.FromEmail)
		}
	}
	return sesaccount.IdentityNames(addrs, id.Domains)
}

func printAccount(w io.Writer, acct sesaccount.Account) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range acct.Fields() {
		label := f.Label + ":"
		if f.Indent {
			label = "  " + f.Label
		}
		fmt.Fprintf(tw, "%s\t%s\n", sanitize.Line(label), sanitize.Line(f.Value))
	}
	return tw.Flush()
}
