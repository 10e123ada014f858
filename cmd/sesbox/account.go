package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go/logging"
	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/sessend"
)

func newAccountCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "account [--json]",
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
The credentials need ses:GetAccount and ses:GetEmailIdentity.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			_, mc, err := a.mailboxConfig()
			if err != nil {
				return err
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
				enc := json.NewEncoder(a.stdout)
				enc.SetEscapeHTML(false)
				return enc.Encode(acct)
			}
			return printAccount(a.stdout, acct)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// sesAccount builds the reader of the account's state for a mailbox. Unlike
// the sender's client it keeps the SDK's retries: these calls only read.
func (a *app) sesAccount(ctx context.Context, mc MailboxConfig) (*sessend.AccountReader, error) {
	cfg, err := awsConfig(ctx, mc)
	if err != nil {
		return nil, err
	}
	client := sesv2.NewFromConfig(cfg, func(o *sesv2.Options) {
		if mc.SESEndpoint != "" {
			o.BaseEndpoint = aws.String(mc.SESEndpoint)
		}
		o.Logger = logging.Nop{}
	})
	return sessend.NewAccountReader(client), nil
}

// identityNames are the identities a mailbox sends from: its from (and
// that address's domain), the forwarder config's fromEmail, and its
// identity_domains.
func (a *app) identityNames(mc MailboxConfig) []string {
	id := a.identity(mc)
	addrs := []string{id.From}
	if mc.ForwardConfig != "" {
		if cfg, err := forward.LoadConfig(forwardExpandHome(mc.ForwardConfig)); err == nil {
			addrs = append(addrs, cfg.FromEmail)
		}
	}
	return sesaccount.IdentityNames(addrs, id.Domains)
}

func printAccount(w io.Writer, acct sesaccount.Account) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, sanitize.Line(v)) }
	if acct.Sandbox {
		line("Mode:", "sandbox: sends only to verified identities and the mailbox simulator"+reviewNote(acct.ReviewStatus))
	} else {
		line("Mode:", "production")
	}
	if acct.SendingEnabled {
		line("Sending:", "enabled")
	} else {
		line("Sending:", "PAUSED: SES sends nothing for this account")
	}
	line("Enforcement:", enforcementText(acct.EnforcementStatus))
	if acct.Unlimited() {
		line("24-hour quota:", fmt.Sprintf("unlimited (%s sent in the last 24 hours)", num(acct.SentLast24Hours)))
	} else {
		line("24-hour quota:", fmt.Sprintf("%s recipients: %s sent in the last 24 hours, %s left",
			num(acct.Max24HourSend), num(acct.SentLast24Hours), num(acct.Remaining24Hours)))
	}
	line("Max send rate:", num(acct.MaxSendRate)+" recipients per second")
	if len(acct.SuppressedReasons) == 0 {
		line("Suppression:", "account-level list off (only SES's global list applies)")
	} else {
		line("Suppression:", "addresses that "+strings.ToLower(strings.Join(acct.SuppressedReasons, " or "))+" are put on the account's list and skipped")
	}
	if len(acct.Identities) > 0 {
		fmt.Fprintln(tw, "Identities:\t")
		for _, id := range acct.Identities {
			fmt.Fprintf(tw, "  %s\t%s\n", sanitize.Line(id.Name), sanitize.Line(identityText(id)))
		}
	}
	return tw.Flush()
}

func reviewNote(status string) string {
	if status == "" {
		return ""
	}
	return " (production access request: " + status + ")"
}

func enforcementText(s string) string {
	switch s {
	case "HEALTHY":
		return "HEALTHY"
	case "PROBATION":
		return "PROBATION: bounce or complaint rate under review; keep sends low and clean"
	case "SHUTDOWN":
		return "SHUTDOWN: SES stopped the account's sending"
	case "":
		return "(not reported)"
	}
	return s
}

func identityText(id sesaccount.Identity) string {
	switch {
	case id.Error != "":
		return "could not read: " + id.Error
	case id.Status == sesaccount.StatusNotFound:
		return "not an SES identity"
	}
	out := strings.ToLower(strings.ReplaceAll(id.Type, "_", " ")) + ", " + id.Status
	if id.VerifiedForSending {
		out += ", verified for sending"
	} else {
		out += ", NOT verified for sending"
	}
	if id.DKIMStatus != "" {
		out += ", DKIM " + id.DKIMStatus
	}
	return out
}

// num prints a count without a needless ".0".
func num(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") }
