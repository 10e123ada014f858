package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alessio/shellescape"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"
	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/team"
)

// dynamoClient builds the DynamoDB client of a mailbox's team table:
// --dynamodb-endpoint or the mailbox's dynamodb_endpoint, else the SDK's
// own resolution from the loaded configuration (which honours
// AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL). Its retries stay on, and more patient than the
// default (8 attempts unless AWS_MAX_ATTEMPTS says otherwise): every write
// the store makes is safe to repeat (see mailstore/team), so throttling
// and dropped connections are retried before a run is stopped.
func (a *app) dynamoClient(ctx context.Context, mc MailboxConfig) (*dynamodb.Client, aws.Config, error) {
	cfg, err := a.awsConfig(ctx, mc)
	if err != nil {
		return nil, aws.Config{}, err
	}
	endpoint := mc.DynamoDBEndpoint
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.Logger = logging.Nop{}
		// AWS_MAX_ATTEMPTS (or max_attempts in the profile) is honoured.
		o.Retryer = failFast(team.NewRetryer(cfg.RetryMaxAttempts, 2*time.Second))
	}), cfg, nil
}

// teamStore returns the mailbox's team table, or nil when it has none.
// Building it makes no request: nothing is created or checked until used.
func (a *app) teamStore(ctx context.Context, mc MailboxConfig) (*team.Store, error) {
	if mc.TeamTable == "" {
		return nil, nil
	}
	client, _, err := a.dynamoClient(ctx, mc)
	if err != nil {
		return nil, err
	}
	return team.New(client, mc.TeamTable, team.CurrentOwner()).WithProfile(awsProfile(mc)), nil
}

// actionLog opens the local action log that replies, forwards and exports
// are recorded in and, with a team table ts, tees every action into the
// table's shared log as well. closeFn closes the local log.
func actionLog(ts *team.Store) (log audit.ActionLog, closeFn func(), err error) {
	path, err := actionlog.DefaultLogPath()
	if err != nil {
		return nil, nil, err
	}
	lg, err := actionlog.OpenLog(path)
	if err != nil {
		return nil, nil, err
	}
	if ts == nil {
		return lg, func() { lg.Close() }, nil
	}
	return actionlog.Tee{lg, ts}, func() { lg.Close() }, nil
}

// teamTarget is the table a team command works on (--table, else the
// mailbox's team_table) and the mailbox settings it is reached with.
func (a *app) teamTarget(table string) (MailboxConfig, error) {
	_, mcs, err := a.mailboxConfigs(false)
	var mc MailboxConfig
	switch {
	case err == nil:
		mc = mcs[0]
	case table != "":
		// No mailbox is needed to name a table: the flags still give the
		// region and profile.
		mc = a.overlay(MailboxConfig{})
	default:
		return MailboxConfig{}, err
	}
	if table != "" {
		mc.TeamTable = table
	}
	if mc.TeamTable == "" {
		// Hint first, naming the table and file to set it in (it said
		// "the mailbox's config" after the error).
		return MailboxConfig{}, &mailstore.HintError{Hint: `give --table NAME or set team_table = "NAME" in ` + a.mailboxTable(),
			Err: errors.New("no team table")}
	}
	return mc, nil
}

func newTeamCmd(a *app) *cobra.Command {
	cmd := groupCmd(&cobra.Command{
		Use: "team",
		Example: `  sesbox team init --table sesbox-team
  sesbox team status
  sesbox team resolve`,
		Short: "Share forward claims, read state and the action log with other operators (DynamoDB)",
		Long: `Team mode keeps what several operators on different machines must agree on in
one DynamoDB table: a claim for every forward send (so two runs never send the
same message), read state, and the action log. Set team_table = "NAME" in the
mailbox's config; the table is in the mailbox's region and profile
(dynamodb_endpoint = "URL", --dynamodb-endpoint or AWS_ENDPOINT_URL_DYNAMODB
for another endpoint).
See docs/team.md.`,
	})
	cmd.AddCommand(newTeamInitCmd(a), newTeamStatusCmd(a), newTeamResolveCmd(a))
	return cmd
}

func newTeamInitCmd(a *app) *cobra.Command {
	var table string
	cmd := &cobra.Command{
		Use:     "init [--table NAME]",
		Example: `  sesbox team init --table sesbox-team`,
		Short:   "Create the team table and print the IAM policy it needs",
		Long: `Creates the DynamoDB table (on-demand billing; string keys pk and sk hold every
kind of record) and prints the least-privilege IAM policy for working with it.
On a table that exists it changes nothing (but a missing meta record): it says
the table is fit (string keys pk and sk, no TTL on an attribute sesbox writes)
and prints the policy, or fails saying why sesbox cannot use it. Nothing else
ever creates a table.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			mc, err := a.teamTarget(table)
			if err != nil {
				return err
			}
			client, cfg, err := a.dynamoClient(ctx, mc)
			if err != nil {
				return err
			}
			res, err := team.Init(ctx, client, mc.TeamTable)
			if err != nil {
				return err
			}
			region, account := cfg.Region, arnAccount(res.ARN)
			if res.Created {
				fmt.Fprintf(a.stderr, "sesbox: created team table %s (%s)\n", sanitize.Line(mc.TeamTable), sanitize.Line(res.ARN))
			} else {
				// What was checked names who set it up: anyone's to write.
				fmt.Fprintf(a.stderr, "sesbox: team table %s exists and is fit (%s)\n", sanitize.Line(mc.TeamTable),
					ansi.Truncate(sanitize.Line(res.Fit), 400, "…"))
			}
			fmt.Fprintf(a.stderr, "sesbox: set team_table = %q in each operator's mailbox config; the IAM policy they need:\n", mc.TeamTable)
			_, err = fmt.Fprint(a.stdout, team.Policy(region, account, mc.TeamTable))
			return err
		},
	}
	cmd.Flags().StringVar(&table, "table", "", "table `NAME` (default: the mailbox's team_table)")
	return cmd
}

// arnAccount is the account of an ARN (arn:aws:dynamodb:REGION:ACCOUNT:...).
func arnAccount(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) > 4 {
		return parts[4]
	}
	return ""
}

func newTeamStatusCmd(a *app) *cobra.Command {
	var (
		table  string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "status [--table NAME] [--json]",
		Example: `  sesbox team status --json`,
		Short:   "Show the team table: items by kind and the claims without an outcome",
		Long: `Shows the team table's state, how many items of each kind it holds (claim, read,
log, head, meta) and the current claims: sends a run holds right now
("claimed") and sends that started and never recorded an outcome
("uncertain": the run died or lost the answer; never re-sent without
--retry-uncertain). Then, a line each, what to check first: claims no sesbox
wrote (a "sent" without its SES message id, a lease further ahead than any run
takes: uncertain whatever they say), and sends a claim calls sent that the
shared action log holds no send of. It reads the whole table.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			mc, err := a.teamTarget(table)
			if err != nil {
				return err
			}
			ts, err := a.teamStore(ctx, mc)
			if err != nil {
				return err
			}
			st, err := ts.Status(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				enc := jsonLines(a.stdout)
				return enc.Encode(st)
			}
			printTeamStatus(a, st)
			return nil
		},
	}
	cmd.Flags().StringVar(&table, "table", "", "table `NAME` (default: the mailbox's team_table)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as one JSON object")
	return cmd
}

// printTeamStatus prints st as a table. Every item of the table is
// anyone's with write access to it: each value is sanitized, and the
// cells a writer makes up (the owner, a kind sesbox does not write) are
// cut to a width, so that one 300 KB owner makes no 300 KB line; --json
// keeps them whole.
func printTeamStatus(a *app, st team.Status) {
	w := textOut(a.stdout)
	fmt.Fprintf(w, "table:   %s (%s, %s)\n", sanitize.Line(st.Table), sanitize.Line(st.State), sanitize.Line(st.Billing))
	var kinds, others []string
	for _, k := range team.Kinds {
		kinds = append(kinds, fmt.Sprintf("%d %s", st.Counts[k], k))
	}
	for k := range st.Counts {
		if !slices.Contains(team.Kinds, k) {
			others = append(others, k)
		}
	}
	slices.Sort(others) // in the same order every time
	for _, k := range others {
		kinds = append(kinds, fmt.Sprintf("%d %s", st.Counts[k], ansi.Truncate(sanitize.Cell(k), 40, "…")))
	}
	fmt.Fprintf(w, "items:   %s\n", strings.Join(kinds, ", "))
	if len(st.Claims) == 0 {
		fmt.Fprintln(w, "claims:  none without an outcome")
	} else {
		fmt.Fprintf(w, "claims:  %d without an outcome\n", len(st.Claims))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STATE\tOWNER\tCLAIMED\tLEASE UNTIL\tMESSAGE\tTO")
		for _, c := range st.Claims {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.State, ansi.Truncate(sanitize.Cell(c.Owner), 60, "…"), c.ClaimedAt.Local().Format(time.DateTime),
				c.LeaseUntil.Local().Format(time.DateTime), sanitize.Line(c.Key), ansi.Truncate(sanitize.Line(strings.Join(c.Destinations, ",")), 200, "…"))
		}
		tw.Flush()
	}
	if len(st.Unlogged) > 0 || slices.ContainsFunc(st.Claims, func(c team.ClaimInfo) bool { return c.State == reforward.SharedUncertain }) {
		fmt.Fprintln(w, "in doubt: sesbox team resolve KEY says what is known of a send and records what you find (--sent, --not-sent)")
	}
	// What to do first, then why: a record no sesbox wrote is in doubt.
	for _, c := range st.Claims {
		if c.Suspect != "" {
			fmt.Fprintf(w, "! %s: check whether it was forwarded, then forward --retry-uncertain sends it: not written by a sesbox (%s)\n",
				sanitize.Line(c.Key), sanitize.Line(c.Suspect))
		}
	}
	// A forward run reports these uncertain, as it does the ones above.
	for _, c := range st.Unlogged {
		fmt.Fprintf(w, "! %s: check whether it was forwarded, then forward --retry-uncertain sends it: the claim says sent by %s "+
			"(SES message id %s), and the shared action log holds no such send (sesbox audit log --verify checks the log)\n", sanitize.Line(c.Key), ansi.Truncate(sanitize.Cell(c.Owner), 60, "…"),
			ansi.Truncate(sanitize.Cell(c.SESMessageID), 80, "…"))
	}
}

func newTeamResolveCmd(a *app) *cobra.Command {
	var (
		table   string
		asJSON  bool
		d       team.Decision
		dests   []string
		sesIDOf string
	)
	cmd := &cobra.Command{
		Use: "resolve [KEY [--sent [--ses-message-id ID] | --not-sent [--force]] [--to ADDR]...] [--table NAME] [--json]",
		Example: `  sesbox team resolve inbox/0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne
  sesbox team resolve 0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne --not-sent
  sesbox team resolve`,
		Short: "Say what is known of a forward send in doubt, and settle it",
		Long: `A forward send whose outcome the team table lost (the run died after SES took
it, or its shared log entry was lost) is "uncertain" for every operator, and no
run sends it without --retry-uncertain. This command says what is known of each
send of KEY (the object key or the SES message id) in doubt: the claim, this
machine's forward journal and the shared action log.

Without --sent or --not-sent it only writes back what this machine's journal
knows: on the machine that made the send, a journal that says "sent" (with its
SES message id) is republished to the claim and the shared log, as the next
forward run over the message does by itself. Anything else is left in doubt
(exit 1). Without KEY, it does so for every send in doubt, of any message.

--sent records that it was forwarded (check the recipients' mail, or SES's
sending events): no run sends it again without --again. --not-sent records that
it was not, and makes it pending: the next forward run sends it, once. It is
refused where anything says it was sent, and where the send was started by
another machine (or OS user), whose forward journal this one cannot read: run
resolve there, or check the recipients' mail; --force records it all the same.
Either decision goes to the local and
the shared action log first (who decided, when, and what was known), then to
the claim. See docs/team.md.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef(cmd, "team resolve takes one KEY, got %d: %s", len(args), quoteArgs(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if d.Sent && d.NotSent {
				return usagef(cmd, "team resolve: give one of --sent or --not-sent")
			}
			if sesIDOf != "" && !d.Sent {
				return usagef(cmd, "team resolve: --ses-message-id goes with --sent")
			}
			if d.Force && !d.NotSent {
				return usagef(cmd, "team resolve: --force goes with --not-sent")
			}
			if len(args) == 0 && (d.Sent || d.NotSent || len(dests) > 0) {
				return usagef(cmd, "team resolve: missing KEY (a decision is made of one message: its object key or SES message id)")
			}
			d.SESMessageID, d.Destinations = sesIDOf, dests
			key, uri := "", false
			if len(args) == 1 {
				key, uri = strings.CutPrefix(args[0], "s3://")
			}
			mc, err := a.teamTarget(table)
			if err != nil {
				return err
			}
			if uri {
				// s3://BUCKET/KEY, as sesbox's messages write it.
				_, key, _ = strings.Cut(key, "/")
			}
			ts, err := a.teamStore(ctx, mc)
			if err != nil {
				return err
			}
			path, err := forward.DefaultJournalPath()
			if err != nil {
				return err
			}
			j, err := forward.ReadJournal(path)
			if err != nil {
				return err
			}
			var log audit.ActionLog
			if d.Sent || d.NotSent {
				lg, closeFn, err := actionLog(ts)
				if err != nil {
					return err
				}
				defer closeFn()
				log = lg
			}
			doubts, rerr := ts.Resolve(ctx, key, j, d, log)
			if errors.Is(rerr, team.ErrNoDoubt) {
				fmt.Fprintf(a.stderr, "sesbox: %s\n", sanitize.Line(rerr.Error()))
				return nil
			}
			if asJSON {
				enc := jsonLines(a.stdout)
				for _, x := range doubts {
					if err := enc.Encode(x); err != nil {
						return err
					}
				}
			} else {
				printDoubts(a, doubts)
			}
			if rerr != nil {
				return rerr
			}
			for _, x := range doubts {
				if x.Done == "" {
					return exitError{1}
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&table, "table", "", "table `NAME` (default: the mailbox's team_table)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each send in doubt as a JSON line")
	cmd.Flags().BoolVar(&d.Sent, "sent", false, "record that it was forwarded: no run sends it again")
	cmd.Flags().BoolVar(&d.NotSent, "not-sent", false, "record that it was not forwarded: the next run sends it")
	cmd.Flags().BoolVar(&d.Force, "force", false, "with --not-sent: record it even when another machine started the send")
	cmd.Flags().StringVar(&sesIDOf, "ses-message-id", "", "with --sent: the `ID` SES gave the send, when known")
	cmd.Flags().StringArrayVar(&dests, "to", nil, "the destinations of the send to decide on (`ADDR`, repeated), when several are in doubt")
	return cmd
}

// printDoubts prints what team resolve found and did: one paragraph a
// send. The values are the table's, anyone's to write: sanitized.
func printDoubts(a *app, doubts []team.Doubt) {
	w := textOut(a.stdout)
	for _, x := range doubts {
		fmt.Fprintf(w, "%s to %s\n", sanitize.Line(x.Key), ansi.Truncate(sanitize.Line(strings.Join(x.Destinations, ",")), 200, "…"))
		fmt.Fprintf(w, "  in doubt: %s\n", ansi.Truncate(sanitize.Line(x.Why), 400, "…"))
		fmt.Fprintf(w, "  known:    %s\n", ansi.Truncate(sanitize.Line(x.Known()), 2000, "…"))
		switch {
		case x.Done == "republished":
			fmt.Fprintln(w, "  done:     republished from this machine's forward journal: every operator's run now skips it as sent")
		case x.Done != "":
			fmt.Fprintf(w, "  done:     %s, recorded in the action logs and the claim\n", x.Done)
		case x.Refused != "" && x.Hint != "":
			fmt.Fprintf(w, "  refused:  not recorded as not sent: %s: %s\n", sanitize.Line(x.Refused), sanitize.Line(x.Hint))
		case x.Refused != "":
			fmt.Fprintf(w, "  refused:  not recorded as not sent: %s (sesbox team resolve %s --sent records that it was)\n",
				sanitize.Line(x.Refused), sanitize.Line(shellescape.Quote(x.Key)))
		default:
			fmt.Fprintf(w, "  left in doubt: check whether it was forwarded, then run sesbox team resolve %s --sent or --not-sent "+
				"(or run it without either on the machine of the claim's owner, whose journal may know)\n", sanitize.Line(shellescape.Quote(x.Key)))
		}
	}
}
