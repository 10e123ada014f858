package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/team"
	"github.com/sesbox/sesbox/mailstore/xdg"
)

// forwardFlags are `sesbox forward`'s own flags.
type forwardFlags struct {
	config         string
	recipients, to []string
	dryRun         string
	yes            bool
	again          bool
	retryUncertain bool
	retryRefused   bool
	includeSpam    bool
	includeSupp    bool
	query          string
	queryGiven     bool // --query '' forwards every message
	keysFrom       string
}

func newForwardCmd(a *app) *cobra.Command {
	var ff forwardFlags
	cmd := &cobra.Command{
		Use:   "forward [flags] (KEY... | --query Q | --keys-from FILE)",
		Short: "Re-forward stored messages exactly as the SES forwarding Lambda would",
		Long: `Re-forward stored messages the way aws-lambda-ses-forwarder does: map each
message's SES envelope recipients (the "for <addr>" of SES's own Received
line at the top, never one further down; or --recipient) through the
Lambda's forwardMapping, rewrite the header (From, Reply-To, Subject, To;
Return-Path, Sender, Message-ID and DKIM-Signature removed), copy the body
byte for byte, and send with SES SendEmail (raw).
--to sends to the given destinations instead of the mapping.

The forwarder config is the Lambda's own JSON (--forward-config, or the
mailbox's forward_config). Messages are named by object key or SES message
id, as arguments, one a line in --keys-from (- for stdin), or by --query
(oldest first; --query '' is every message; as for export --query, a
message the index marks missing is left out).

Safety: every send is recorded in a journal ($XDG_STATE_HOME/sesbox/
forward-journal.jsonl) before and after SES is called. A message already sent
is skipped (unless --again); a send cut off by a crash is reported uncertain
and not repeated (unless --retry-uncertain). With the forwarding Lambda's log
read into the index (forwarder_logs, sesbox index --forwarder-logs), a
destination the Lambda delivered the message to is never sent to again
(unless --again): --query forward:failed re-forwards exactly its failures. Spam
or virus FAIL verdicts are skipped (unless --include-spam), messages over 40 MB
are skipped, more than 50 destinations are split into several sends. Sends are
paced under the account's send rate; a run that would exceed the remaining
24-hour quota is refused. Throttling is retried; other failures are reported
and the run goes on, except when SES refuses every send (sending paused, the
account suspended, the address forwards are sent as not verified): the run
stops there, hint first, and the same command run after the fix sends the rest.
A message SES refused for itself (MessageRejected, a malformed message) is
recorded so: a rerun reports it failed with SES's reason without sending it
(unless --retry-refused). The stored objects are only read, never written.

Sending asks for confirmation on a terminal and refuses without one, unless
--yes is given. --dry-run DIR sends nothing and writes DIR/<SES id>.eml
(DIR/<SES id>-<8 hex of the key's SHA-256>.eml for a key whose name another
key already has); a message a run would skip (the journal says it was sent,
or its send was cut off) is reported skipped or uncertain with the reason,
as the run would, and not written (--again writes it).

Output: one JSON line per message on stdout with key, recipients (the
destinations), status (sent, dry-run, skipped, failed, uncertain),
sesMessageId or file, and reason; "refused": true when SES refused the
message itself (--retry-refused sends it), and reencoded when a part was
re-encoded to fit a line over 998 octets. Exit status 2 when a message failed
or is uncertain, 1 when the run could not start or stopped at a refusal of
every send, 64 for a mistake in the command line, 141 when what reads stdout
went away.`,
		Example: `  sesbox forward --dry-run out/ 0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne
  sesbox forward --query forward:failed --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			sources := 0
			for _, given := range []bool{len(args) > 0, cmd.Flags().Changed("query"), ff.keysFrom != ""} {
				if given {
					sources++
				}
			}
			if sources != 1 {
				return usagef(cmd, "forward: name the messages one way: KEY arguments, --query Q or --keys-from FILE")
			}
			if err := (reforward.Options{To: ff.to}).Check(); err != nil {
				return usagef(cmd, "forward: %v", err)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ff.queryGiven = cmd.Flags().Changed("query")
			var qq query.Query
			if ff.queryGiven {
				var err error
				if qq, err = parseQuery(cmd, ff.query); err != nil {
					return err
				}
			}
			return a.forward(cmd.Context(), ff, qq, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&ff.config, "forward-config", "", "the forwarding Lambda's config `FILE` (JSON)")
	f.StringArrayVar(&ff.recipients, "recipient", nil, "envelope recipient `ADDR` to map, instead of the message's (repeatable)")
	f.StringArrayVar(&ff.to, "to", nil, "forward to `ADDR`, one plain address (name@domain), without mapping (repeatable; addresses differing only in the case of the domain are one)")
	f.StringVar(&ff.dryRun, "dry-run", "", "send nothing; write each rewritten message to `DIR`/<SES id>.eml")
	f.BoolVar(&ff.yes, "yes", false, "send without asking")
	f.BoolVar(&ff.again, "again", false, "send messages the journal says were sent already")
	f.BoolVar(&ff.retryUncertain, "retry-uncertain", false, "send messages whose last send was cut off")
	f.BoolVar(&ff.retryRefused, "retry-refused", false, "send again messages SES refused before for the message itself (once the cause is fixed)")
	f.BoolVar(&ff.includeSpam, "include-spam", false, "forward messages with a spam or virus FAIL verdict")
	f.BoolVar(&ff.includeSupp, "include-suppressed", false, "send to destinations on the account's suppression list too (with a warning)")
	f.StringVarP(&ff.query, "query", "q", "", "forward the messages matching `QUERY` (see `sesbox ls --help`)")
	f.StringVar(&ff.keysFrom, "keys-from", "", "read keys or SES message ids from `FILE`, one a line (- for stdin)")
	return cmd
}

// forward runs `sesbox forward`; its Args checked that the messages are
// named one way, and qq is its parsed --query (when ff.queryGiven).
func (a *app) forward(ctx context.Context, ff forwardFlags, qq query.Query, args []string) error {
	m, mc, err := a.mailbox(ctx)
	if err != nil {
		return err
	}
	opts := reforward.Options{
		Recipients: ff.recipients, To: ff.to, DryRunDir: ff.dryRun,
		Again: ff.again, RetryUncertain: ff.retryUncertain, RetryRefused: ff.retryRefused, IncludeSpam: ff.includeSpam,
		IncludeSuppressed: ff.includeSupp,
	}
	if opts.Config, err = a.forwardConfig(ff.config, mc, m.Location()); err != nil {
		return err
	}
	if err := opts.CheckDestinations(); err != nil {
		return &mailstore.HintError{
			Hint: "give --forward-config FILE (the Lambda's config as JSON), set forward_config for the mailbox, or use --to ADDR",
			Err:  fmt.Errorf("forward: %w", err)}
	}

	var inputs []string
	var partial *index.PartialError
	switch {
	case len(args) > 0:
		inputs = args
	case ff.keysFrom != "":
		if inputs, err = readKeysFrom("forward", ff.keysFrom, a.stdin); err != nil {
			return err
		}
	default:
		if err := a.noForwarderLog(ctx, m, qq, "forward", false); err != nil {
			return err
		}
		if partial, err = a.refreshPartial(ctx, m, true); err != nil {
			return err
		}
		// A forward chosen by forward: terms from statuses that could not
		// be brought up to date would send again what the Lambda has
		// delivered since (or, for a log never read, find nothing and say
		// "no messages to forward"): it is refused, as ls says its answer
		// may lack messages.
		if err := mailbox.RefuseForward([]query.Query{qq}, a.logUnread); err != nil {
			return &mailstore.HintError{
				Hint: "fix what the warning above names (the forwarder log's region, endpoint or access) and run the same command again, or choose the messages by key (sesbox forward --keys-from FILE)",
				Err:  err}
		}
		if inputs, err = m.QueryKeys(ctx, qq); err != nil {
			return err
		}
	}
	if len(inputs) == 0 {
		return errors.New("forward: no messages to forward")
	}

	r, closeRunner, err := a.forwardRunner(ctx, m, mc, opts.DryRun())
	if err != nil {
		return err
	}
	defer closeRunner()
	pr := newForwardProgress(a.stderr, redraws(a.stderr))
	r.PlanProgress = pr.planning
	if ts, ok := r.Claims.(*team.Store); ok {
		ts.OnWait = func(error) { pr.waitingForTable(ts.Table()) }
	}
	plan, err := r.Prepare(ctx, inputs, opts)
	pr.clear()
	if plan == nil {
		return err
	}
	// What the run will do, before anything is sent (with --yes too:
	// stderr is the operator's, stdout the script's); for a dry run, what
	// a sending run would do, when the account could be read.
	if pv := plan.Preview(); !opts.DryRun() || pv.Account != nil || pv.AccountErr != "" {
		for _, l := range pv.Lines() {
			fmt.Fprintln(textOut(a.stderr), "forward:", sanitize.Line(l))
		}
	}
	if err != nil {
		return err // the quota refuses the run
	}
	if _, sends, _ := plan.ToSend(); sends > 0 && !opts.DryRun() {
		if !ff.yes {
			if !isTerminal(a.stdin) {
				return &mailstore.HintError{
					Hint: "give --yes to send without being asked (check first with --dry-run DIR): stdin is not a terminal to ask on",
					Err:  errors.New("forward: refusing to send without confirmation: stdin is not a terminal")}
			}
			ok, err := confirmForward(a.stdin, textOut(a.stderr), plan)
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("forward: not confirmed; nothing was sent")
			}
		}
	}

	enc := jsonLines(a.stdout)
	var writeErr error
	tot, runErr := r.Run(ctx, plan, func(res reforward.Result) {
		pr.clear()
		// Every value exact (a key to pass back, SES's reason as it
		// came); jsonLines keeps them off the terminal.
		if err := enc.Encode(res); err != nil && writeErr == nil {
			writeErr = err
		}
		for _, r := range res.Reencoded {
			fmt.Fprintf(textOut(a.stderr), "forward: %s: part %s re-encoded from %s to %s to fit a line over 998 octets (it decodes the same; a signature over it no longer holds)\n",
				sanitize.Line(res.Key), r.Part, r.From, r.To)
		}
	}, pr.update)
	pr.clear()
	if stdoutClosed(ctx) {
		// `forward ... | head -1`: what read the results has gone, so
		// the results after it are seen by no one. The run stops as
		// Ctrl-C stops it (the send in progress finished and journalled)
		// rather than send on unwatched, and says so: it had ended
		// without a word.
		fmt.Fprintln(a.stderr, "forward: stopped after the send in progress: stdout was closed (what read the results has gone)")
	}
	// What stopped the run (the journal could not be written, SES or S3
	// refused the credentials) is said first, hint first, then what was
	// done before it: a run the journal stopped before its first message
	// said "nothing to do", then the error.
	failed := runErr != nil && !interrupted(ctx, runErr) && !stdoutClosed(ctx)
	if failed {
		printError(textOut(a.stderr), fmt.Errorf("forward: %w", runErr))
	}
	if done := tot.String(); done != "" || !failed {
		fmt.Fprintf(a.stderr, "forward: %s\n", cmp.Or(done, "nothing to do"))
	}
	if tot.NotAttempted > 0 && !opts.DryRun() {
		// Counted from the journal a rerun reads: it sends the messages
		// not reached and those whose send failed, not just the first.
		switch n, err := r.Resend(plan); {
		case err != nil || n <= tot.NotAttempted:
			fmt.Fprintf(a.stderr, "forward: run the same command again to send the %d not attempted: what was sent is skipped\n", tot.NotAttempted)
		default:
			fmt.Fprintf(a.stderr, "forward: run the same command again to send the %d not sent (%d not attempted, %d that failed): what was sent is skipped\n",
				n, tot.NotAttempted, n-tot.NotAttempted)
		}
	}
	// Messages the query may have chosen were not read: as for a
	// message that could not be sent, exit 2.
	left := a.leftOut(partial, "the messages chosen", 2)
	switch {
	case failed:
		return exitError{code: 1} // said above
	case runErr != nil:
		return fmt.Errorf("forward: %w", runErr)
	case writeErr != nil:
		return writeErr
	case tot.Failed > 0 || tot.Uncertain > 0:
		return exitError{code: 2}
	}
	return left
}

// forwardConfig loads the Lambda's config from path, else from the
// mailbox's forward_config, else, for the demo mailbox, is its built-in
// one (demoForwardConfig), for `sesbox --demo forward` and the TUI's `f`
// alike; the zero Config when there is none, which forwards only to
// destinations given by hand (reforward.Options.CheckDestinations). A
// config made for another bucket or prefix than the mailbox's gets a
// warning.
func (a *app) forwardConfig(path string, mc MailboxConfig, loc mailstore.Location) (cfg forward.Config, err error) {
	if path == "" {
		path = mc.ForwardConfig
	}
	if path == "" && a.flags.demo {
		return demoForwardConfig(), nil
	}
	if path == "" {
		return forward.Config{}, nil
	}
	if cfg, err = forward.LoadConfig(xdg.ExpandHome(path)); err != nil {
		return forward.Config{}, err
	}
	if (cfg.EmailBucket != "" && cfg.EmailBucket != loc.Bucket) || (cfg.EmailKeyPrefix != "" && cfg.EmailKeyPrefix != loc.Prefix) {
		fmt.Fprintf(a.stderr, "sesbox: warning: the forwarder config is for s3://%s/%s, the mailbox is %s\n",
			sanitize.Line(cfg.EmailBucket), sanitize.Line(cfg.EmailKeyPrefix), sanitize.Line(loc.String()))
	}
	return cfg, nil
}

// forwardRunner builds the reforward.Runner for a mailbox, as both
// `sesbox forward` and the TUI's forward screen use it: reads through the
// mailbox, and unless dryRun, the SES sender (without SDK retries), the
// forward journal and the action log. closeFn closes the action log.
func (a *app) forwardRunner(ctx context.Context, m *mailbox.Mailbox, mc MailboxConfig, dryRun bool) (r *reforward.Runner, closeFn func(), err error) {
	r = &reforward.Runner{Source: reforward.FromMailbox(m), SendRate: mc.SendRate}
	// A dry run reads the journal too, to say what a run would skip.
	if r.JournalPath, err = forward.DefaultJournalPath(); err != nil {
		return nil, nil, err
	}
	if dryRun {
		// The dry run checks the destinations against the account's
		// suppression list and the sandbox, as the sending run will.
		if !a.demoWithoutSES(mc) {
			if acct, err := a.sesAccount(ctx, mc); err == nil {
				r.Account = acct
			}
		}
		return r, func() {}, nil
	}
	if a.demoWithoutSES(mc) {
		return nil, nil, errors.New(demoNoSES + ", or --dry-run DIR")
	}
	if r.Sender, err = a.sender(ctx, mc); err != nil {
		return nil, nil, err
	}
	ts, err := a.teamStore(ctx, mc)
	if err != nil {
		return nil, nil, err
	}
	if ts != nil {
		// Team mode: claims in the table before each send, and every
		// action in the shared log as well as the local one.
		r.Claims = ts
	}
	if r.Log, closeFn, err = actionLog(ts); err != nil {
		return nil, nil, err
	}
	if r.Account, err = a.sesAccount(ctx, mc); err != nil {
		closeFn()
		return nil, nil, err
	}
	return r, closeFn, nil
}

// readKeysFrom reads the --keys-from of command cmd (forward, mark): a
// file, or stdin for "-".
func readKeysFrom(cmd, path string, stdin io.Reader) ([]string, error) {
	if path == "-" {
		return reforward.ReadKeyList(stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	defer f.Close()
	return reforward.ReadKeyList(f)
}

// maxListedDestinations bounds the confirmation's list of destinations.
const maxListedDestinations = 20

// confirmForward shows what is about to be sent (count, sends, recipients,
// destinations) on out and reads a yes from in.
func confirmForward(in io.Reader, out io.Writer, p *reforward.Plan) (bool, error) {
	msgs, sends, rcpts := p.ToSend()
	var b strings.Builder
	fmt.Fprintf(&b, "About to forward %s from %s (%s, %s) to:\n",
		mailstore.Count(msgs, "message"), sanitize.Line(p.Location.String()), mailstore.Count(sends, "send"), mailstore.Count(rcpts, "recipient"))
	dests := p.Destinations()
	for i, d := range dests {
		if i == maxListedDestinations {
			fmt.Fprintf(&b, "  ... and %d more\n", len(dests)-i)
			break
		}
		fmt.Fprintf(&b, "  %s\n", sanitize.Line(d))
	}
	if dec := p.Decided(); len(dec) > 0 {
		var parts []string
		for _, s := range []reforward.Status{reforward.StatusSkipped, reforward.StatusFailed, reforward.StatusUncertain} {
			if n := dec[s]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, s))
			}
		}
		fmt.Fprintf(&b, "Not sent: %s (reasons in the output).\n", strings.Join(parts, ", "))
	}
	b.WriteString("Send? [y/N] ")
	if _, err := io.WriteString(out, b.String()); err != nil {
		return false, err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// forwardProgress draws the run on stderr: on a terminal one line,
// redrawn, cleared before each JSON line so the two never mix; elsewhere
// (a pipe, a log) a plain line every 5 s, as index and audit progress do.
type forwardProgress struct {
	mu    sync.Mutex // the team table's wait draws from its own goroutine
	w     io.Writer
	tty   bool
	drawn bool
	// at is when the last plain line was printed (off a terminal).
	at time.Time
}

func newForwardProgress(w io.Writer, tty bool) *forwardProgress {
	return &forwardProgress{w: w, tty: tty, at: time.Now()}
}

// planning draws how many messages the plan has read (Runner.PlanProgress).
func (p *forwardProgress) planning(done, total int) {
	p.draw(fmt.Sprintf("forward: planning: %d of %d messages read", done, total))
}

func (p *forwardProgress) update(pr reforward.Progress) {
	const width = 20
	n := 0
	if pr.Total > 0 {
		n = pr.Done * width / pr.Total
	}
	line := fmt.Sprintf("[%s%s] %d/%d  %d sent  %d skipped  %d failed  %d uncertain",
		strings.Repeat("#", n), strings.Repeat("-", width-n), pr.Done, pr.Total, pr.Sent+pr.DryRun, pr.Skipped, pr.Failed, pr.Uncertain)
	if pr.Backoff > 0 {
		line += fmt.Sprintf("  (throttled: retrying in %s)", pr.Backoff)
	}
	if pr.WaitingFor != "" {
		line += fmt.Sprintf("  (waiting for %.80s, who is sending it)", sanitize.Line(pr.WaitingFor))
	}
	p.draw(line)
}

// draw redraws line on a terminal; elsewhere prints it when 5 s have
// passed since the last one.
// waitingForTable says the run waits for the team table to come back
// (team.Store.OnWait): a restarting table refuses connections a moment.
func (p *forwardProgress) waitingForTable(table string) {
	p.draw(fmt.Sprintf("forward: waiting for team table %s (connection refused; waiting up to %s for it to come back)", table, team.RestartWait))
}

func (p *forwardProgress) draw(line string) {
	// Its values come from config and AWS (the team table's name, a key
	// in the wait): none may act on the terminal. "waiting for team
	// table NAME" printed NAME as it was.
	line = sanitize.Line(line)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		if time.Since(p.at) >= 5*time.Second {
			p.at = time.Now()
			fmt.Fprintln(p.w, line)
		}
		return
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.drawn = true
}

func (p *forwardProgress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
