package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/compose"
	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/s3store"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// demoIdentityDomain is the domain the demo mailbox's mail is addressed to,
// so `sesbox --demo reply` has an identity without a config file.
const demoIdentityDomain = "acme-demo.example"

func newReplyCmd(a *app) *cobra.Command {
	var (
		all, yes, includeSupp bool
		dryRun, retryUnc      bool
		from, bodyFile, draft string
		attach, to            []string
	)
	cmd := &cobra.Command{
		Use:   "reply (KEY | --draft ID)",
		Short: "Reply to a message through SES",
		Long: `Reply to the message KEY (the full object key or the SES message id) through
Amazon SES, threaded with In-Reply-To and References so it lands in the sender's
thread.

The reply goes to the original's Mail-Reply-To, else its Reply-To, else its
From; --all adds its To and Cc, without your own addresses (or goes to its
Mail-Followup-To, when it has one). It is sent From --from, else the mailbox's
configured from, else the address the message was delivered to when that is in
the mailbox's identity_domains.

The text comes from --body-file (- for stdin) and goes above the quoted
original; without --body-file, $VISUAL or $EDITOR opens the draft, whose To, Cc
and Subject lines can be edited too. Drafts are kept in
$XDG_STATE_HOME/sesbox/drafts until SES accepts the reply, so nothing typed is
lost; --draft ID sends a kept draft again. Without --body-file, a reply to KEY
kept with your words in it (its editor killed or hung up) is opened again. Sent replies are kept in the Maildir
$XDG_DATA_HOME/sesbox/sent and recorded in the action log.

Before sending, every recipient is checked against the SES account's
suppression list: a suppressed address is left out and reported
("suppressed: BOUNCE since 2026-11-02"); --include-suppressed sends to it
anyway, with a warning. In the SES sandbox, unverified recipients are left
out too. --to replaces the recipients (and drops the Cc), e.g. to rehearse
with the SES mailbox simulator (success@simulator.amazonses.com, bounce@,
ooto@, complaint@, suppressionlist@), which the sandbox accepts.

Without a terminal, nothing is sent unless --yes is given. --dry-run sends
nothing and asks nothing: it prints the message on stdout exactly as SES
would get it (a real send draws the Date, the Message-ID and the MIME
boundaries anew), says on stderr whom it would go to after the same
suppression-list check, and keeps the draft for --draft ID.`,
		Example: `  sesbox reply 0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne --body-file reply.txt
  sesbox reply --draft 20261204T1452 --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if draft != "" && len(args) > 0 {
				// What to do first: a dry run's "send it with sesbox
				// reply --draft ID" added to the reply's own command line
				// got "takes no KEY" and a usage of KEY alone.
				return usagef(cmd, "leave out %s: sesbox reply --draft %s sends the kept draft, which knows the message it answers", quoteArgs(args), sanitize.Line(draft))
			}
			if draft != "" {
				return nil
			}
			return keyArgs("KEY", "the object key or the SES message id; see sesbox ls", false)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			r := replyRun{a: a, all: all, yes: yes, dryRun: dryRun, from: from, bodyFile: bodyFile, attach: attach, to: to, includeSupp: includeSupp, retryUncertain: retryUnc}
			if draft != "" {
				return r.resume(cmd.Context(), draft)
			}
			return r.run(cmd.Context(), args[0])
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "reply to all: the original's To and Cc too")
	f.StringVar(&from, "from", "", "send from `ADDR` (\"Name <addr>\"), a verified SES identity")
	f.StringVar(&bodyFile, "body-file", "", "read the reply text from `FILE` (- for stdin) instead of an editor")
	f.StringArrayVar(&attach, "attach", nil, "attach `FILE` (repeatable)")
	f.BoolVarP(&yes, "yes", "y", false, "send without asking")
	f.StringVar(&draft, "draft", "", "send the kept draft `ID` (or its first characters; the TUI's :drafts lists them) instead of starting a reply")
	f.StringArrayVar(&to, "to", nil, "send to `ADDR` instead of the original's sender, without Cc (repeatable)")
	f.BoolVar(&includeSupp, "include-suppressed", false, "send to recipients on the account's suppression list too (with a warning)")
	f.BoolVar(&dryRun, "dry-run", false, "send nothing: print the message that would be sent on stdout, whom it would go to on stderr, and keep the draft")
	f.BoolVar(&retryUnc, "retry-uncertain", false, "send a kept draft whose last send lost SES's answer (SES may have it: check the recipients' mail first)")
	return cmd
}

// replyRun is one `sesbox reply`.
type replyRun struct {
	a                     *app
	all, yes, includeSupp bool
	dryRun                bool
	retryUncertain        bool
	from, bodyFile        string
	attach, to            []string
}

// identity is who the user is in a mailbox, from its config (and, for the
// demo mailbox, its domain).
func (a *app) identity(mc MailboxConfig) compose.Identity {
	id := compose.Identity{From: mc.From, Domains: mc.IdentityDomains}
	if a.flags.demo && id.From == "" && len(id.Domains) == 0 {
		id.Domains = []string{demoIdentityDomain}
	}
	return id
}

// outbox wires the sender, the drafts, the sent Maildir, the action log
// and the optional bucket copy for a mailbox. close releases the log.
func (a *app) outbox(ctx context.Context, mc MailboxConfig) (o *drafts.Outbox, closeFn func(), err error) {
	o = &drafts.Outbox{}
	closeFn = func() {}
	if o.Drafts, err = openDrafts(); err != nil {
		return nil, closeFn, err
	}
	dir, err := drafts.DefaultSentDir()
	if err != nil {
		return nil, closeFn, err
	}
	if o.Sent, err = drafts.OpenMaildir(dir); err != nil {
		return nil, closeFn, err
	}
	if mc.SentPrefix != "" {
		if err := mailstore.CheckSentPrefix(mc.Prefix, mc.SentPrefix); err != nil {
			return nil, closeFn, err
		}
		client, _, err := a.s3Client(ctx, mc)
		if err != nil {
			return nil, closeFn, err
		}
		if o.Copier, err = s3store.NewSentCopier(client, mailstore.Location{Bucket: mc.Bucket, Prefix: mc.Prefix}, mc.SentPrefix); err != nil {
			return nil, closeFn, err
		}
	}
	if a.demoWithoutSES(mc) {
		// No Sender and no Account: the TUI keeps the reply as a draft,
		// `sesbox reply` says why it sent nothing.
		return o, closeFn, nil
	}
	if o.Sender, err = a.sender(ctx, mc); err != nil {
		return nil, closeFn, err
	}
	ts, err := a.teamStore(ctx, mc)
	if err != nil {
		return nil, closeFn, err
	}
	if o.Log, closeFn, err = actionLog(ts); err != nil {
		return nil, func() {}, err
	}
	if o.Account, err = a.sesAccount(ctx, mc); err != nil {
		closeFn()
		return nil, func() {}, err
	}
	return o, closeFn, nil
}

func openDrafts() (*drafts.Store, error) {
	dir, err := drafts.DefaultDir()
	if err != nil {
		return nil, err
	}
	return drafts.Open(dir)
}

func (r *replyRun) run(ctx context.Context, key string) error {
	a := r.a
	m, mc, err := a.mailbox(ctx)
	if err != nil {
		return err
	}
	// Check the configuration before reading or writing anything.
	if mc.SentPrefix != "" {
		if err := mailstore.CheckSentPrefix(mc.Prefix, mc.SentPrefix); err != nil {
			return err
		}
	}
	msg, err := m.Open(ctx, key)
	if err != nil {
		return a.elsewhere(ctx, m.Name, key, err)
	}
	plan, err := drafts.PlanReply(a.identity(mc), m.Name, m.Location().Bucket, msg, drafts.ReplyChoice{All: r.all, From: r.from, To: r.to})
	if err != nil {
		return err
	}
	for _, w := range plan.Warnings {
		fmt.Fprintln(a.stderr, "sesbox: warning:", sanitize.Line(w))
	}
	text := ""
	if r.bodyFile != "" {
		b, err := readBodyFile(r.bodyFile, a.stdin)
		if err != nil {
			return err
		}
		text = string(b)
	}
	atts, err := absPaths(r.attach)
	if err != nil {
		return err
	}
	store, err := openDrafts()
	if err != nil {
		return err
	}
	if r.bodyFile != "" {
		plan.Meta.Attachments = atts
		d, err := store.NewReply(plan.Reply, plan.Meta, text)
		if err != nil {
			return err
		}
		return r.send(ctx, mc, d)
	}
	// To be written in the editor: as the TUI's r, a reply kept from an
	// earlier session (its editor killed or hung up) goes on.
	d, kept, err := store.StartReply(plan)
	if err != nil {
		return err
	}
	if len(atts) > 0 {
		d.Meta.Attachments = append(d.Meta.Attachments, atts...)
		if err := store.Save(d); err != nil {
			return err
		}
	}
	if kept {
		if !r.interactive() {
			return &mailstore.HintError{
				Hint: fmt.Sprintf("send the reply you kept with: sesbox reply --draft %s --yes (edit %s first to change it; --body-file FILE starts a new reply instead)", d.ID, d.Path()),
				Err:  fmt.Errorf("a reply to this message begun %s is kept with your words in it, and there is no terminal to edit it in", d.Meta.Created.Local().Format("Jan 02 15:04")),
			}
		}
		fmt.Fprintf(a.stderr, "sesbox: resuming the reply kept %s (draft %s, not sent); --body-file FILE starts a new reply instead\n",
			d.Meta.Created.Local().Format("Jan 02 15:04"), d.ID)
	}
	if err := r.edit(store, d); err != nil {
		return err
	}
	return r.send(ctx, mc, d)
}

// resume sends a kept draft (after a failed send or a refusal).
func (r *replyRun) resume(ctx context.Context, id string) error {
	_, mc, err := r.a.mailboxConfig()
	if err != nil {
		return err
	}
	store, err := openDrafts()
	if err != nil {
		return err
	}
	d, err := store.Find(id) // the id, or its unique beginning (as :drafts ID)
	if errors.Is(err, mailstore.ErrNotFound) && len(drafts.Damaged(err)) == 0 {
		// Sent, or never kept: the local action log says which.
		return drafts.NotKeptHere(err, id)
	}
	if err != nil {
		return err
	}
	if len(r.attach) > 0 {
		atts, err := absPaths(r.attach)
		if err != nil {
			return err
		}
		d.Meta.Attachments = append(d.Meta.Attachments, atts...)
		if err := store.Save(d); err != nil {
			return err
		}
	}
	if r.bodyFile == "" && r.interactive() {
		if err := r.edit(store, d); err != nil && !errors.Is(err, errUnchanged) {
			return err
		}
	}
	return r.send(ctx, mc, d)
}

// mailboxConfig is the selected mailbox's configuration, without opening
// it (a kept draft needs no bucket read).
func (a *app) mailboxConfig() (string, MailboxConfig, error) {
	names, mcs, err := a.mailboxConfigs(false)
	if err != nil {
		return "", MailboxConfig{}, err
	}
	return names[0], mcs[0], nil
}

var errUnchanged = errors.New("the draft was not changed")

// edit opens the draft in the user's editor, which needs a terminal.
func (r *replyRun) edit(store *drafts.Store, d *drafts.Draft) error {
	if !r.interactive() {
		return &mailstore.HintError{
			Hint: fmt.Sprintf("give --body-file FILE, or edit the draft %s and send it with sesbox reply --draft %s --yes", d.Path(), d.ID),
			Err:  errors.New("no --body-file, and no terminal to run an editor in"),
		}
	}
	editor := drafts.Editor()
	if editor == "" {
		editor = "vi"
	}
	cmd := drafts.EditorCommand(editor, d.Path())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w; the draft is in %s", drafts.EditorError(editor, err), d.Path())
	}
	if err := store.Reload(d); err != nil {
		return err
	}
	if d.Unchanged() {
		return fmt.Errorf("%w: nothing sent; it is kept in %s (send it with sesbox reply --draft %s)", errUnchanged, d.Path(), d.ID)
	}
	return nil
}

// interactive reports whether both stdin and stdout are terminals.
func (r *replyRun) interactive() bool {
	return isTerminal(r.a.stdin) && isTerminal(r.a.stdout)
}

// send builds the draft, shows what will go out, asks (or takes --yes),
// sends, and reports the SES message id.
func (r *replyRun) send(ctx context.Context, mc MailboxConfig, d *drafts.Draft) error {
	a := r.a
	o, closeOutbox, err := a.outbox(ctx, mc)
	defer closeOutbox()
	if err != nil {
		return fmt.Errorf("%w; the draft is in %s", err, d.Path())
	}
	p, err := o.Prepare(d)
	if err != nil {
		// The fix first; a hint of the cause's own (which recipients
		// to remove, attach less) leads it, as it says what to fix.
		fix := fmt.Sprintf("fix the draft %s, then send it with sesbox reply --draft %s", d.Path(), d.ID)
		if h := mailstore.Hint(err); h != "" {
			fix = h + " in the draft " + d.Path() + ", then send it with sesbox reply --draft " + d.ID
		}
		return &mailstore.HintError{Hint: fix, Err: err}
	}
	o.IncludeSuppressed, o.DryRun, o.RetryUncertain = r.includeSupp, r.dryRun, r.retryUncertain
	printPrepared(a.stderr, p)
	if o.Sender == nil && !r.dryRun {
		return fmt.Errorf("%s; the draft is in %s (send it with sesbox --demo --ses-endpoint URL reply --draft %s)", demoNoSES, d.Path(), d.ID)
	}
	verdicts, unchecked := o.Screen(ctx, p)
	if unchecked != nil {
		fmt.Fprintln(a.stderr, "sesbox: warning:", sanitize.Line(drafts.NotChecked+mailstore.Explain(unchecked)))
	} else {
		printScreen(a.stderr, verdicts, r.includeSupp)
	}
	if !r.yes && !r.dryRun {
		if !r.interactive() {
			return &mailstore.HintError{
				Hint: fmt.Sprintf("send it with sesbox reply --draft %s --yes", d.ID),
				Err:  fmt.Errorf("not sent without --yes when not on a terminal; the draft is in %s", d.Path()),
			}
		}
		fmt.Fprint(a.stderr, "Send this reply? [y/N] ")
		line, _ := bufio.NewReader(a.stdin).ReadString('\n')
		if ans := strings.ToLower(strings.TrimSpace(line)); ans != "y" && ans != "yes" {
			return fmt.Errorf("not sent; the draft is in %s (send it with sesbox reply --draft %s)", d.Path(), d.ID)
		}
	}
	res, err := o.Send(ctx, d, p)
	if unchecked != nil {
		// Send screens again and, failing again, warns again: said above.
		res.Warnings = slices.DeleteFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, drafts.NotChecked) })
	}
	if err != nil {
		var h *mailstore.HintError
		if errors.Is(err, drafts.ErrAllBlocked) && errors.As(err, &h) && h.Hint != "" {
			h.Hint += "; then send the kept draft: sesbox reply --draft " + d.ID
		}
		if errors.Is(err, drafts.ErrUncertain) {
			if errors.As(err, &h) && h.Hint != "" {
				h.Hint += "; if it did not arrive: sesbox reply --draft " + d.ID + " --retry-uncertain"
			}
			return fmt.Errorf("reply in doubt: %w", err)
		}
		return fmt.Errorf("reply not sent: %w", err)
	}
	if r.dryRun {
		return printDryRun(a.stdout, a.stderr, p, d, res)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(a.stderr, "sesbox: warning:", sanitize.Line(w))
	}
	for _, s := range res.Skipped {
		fmt.Fprintln(a.stdout, "Not sent to", sanitize.Line(s))
	}
	// The id is SES's answer and the path under $XDG_DATA_HOME, whatever
	// it holds: neither reaches the terminal as it is.
	fmt.Fprintf(a.stdout, "Sent to %s\nSES message id: %s\nMessage-ID: <%s>\n", sanitize.Line(strings.Join(res.Destinations, ", ")), sanitize.Line(res.SESMessageID), sanitize.Line(p.MessageID))
	if res.SentPath != "" {
		fmt.Fprintf(a.stdout, "Kept in: %s\n", sanitize.Line(res.SentPath))
	}
	if res.CopyKey != "" {
		fmt.Fprintf(a.stdout, "Copied to: s3://%s/%s\n", sanitize.Line(mc.Bucket), sanitize.Line(res.CopyKey))
	}
	return nil
}

// printPrepared shows what is about to be sent. Everything comes from the
// draft (addresses and subject already cleaned) but goes through sanitize
// like all printed text.
func printPrepared(w io.Writer, p *drafts.Prepared) {
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-9s %s\n", k+":", sanitize.Line(v))
		}
	}
	line("From", compose.FormatAddressList([]mail.Address{p.From}))
	line("To", compose.FormatAddressList(p.Edited.To))
	line("Cc", compose.FormatAddressList(p.Edited.Cc))
	line("Subject", p.Edited.Subject)
	line("Attach", strings.Join(p.Attachments, ", "))
	line("Size", fmt.Sprintf("%d bytes", len(p.Raw)))
}

// printDryRun writes the message a send would give SES on stdout, as it
// is (the script's, to keep or compare), and on stderr what the send would
// do.
func printDryRun(stdout, stderr io.Writer, p *drafts.Prepared, d *drafts.Draft, res drafts.Result) error {
	if _, err := stdout.Write(p.Raw); err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "sesbox: warning:", sanitize.Line(w))
	}
	for _, s := range res.Skipped {
		fmt.Fprintln(stderr, "Would not send to", sanitize.Line(s))
	}
	_, err := fmt.Fprintf(stderr, "Dry run: nothing sent; it would go to %s. The draft is in %s (send it with sesbox reply --draft %s).\n",
		sanitize.Line(strings.Join(res.Destinations, ", ")), sanitize.Line(d.Path()), d.ID)
	return err
}

func readBodyFile(path string, stdin io.Reader) ([]byte, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("--body-file: %w", err)
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return nil, fmt.Errorf("--body-file %s: not text (it holds NUL bytes)", path)
	}
	return b, nil
}

func absPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("--attach %s: %w", p, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("--attach: %w", err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("--attach %s: not a regular file", p)
		}
		out = append(out, abs)
	}
	return out, nil
}

// printScreen says, before the confirmation, which recipients the send
// will leave out and why, and which it sends to against the list.
func printScreen(w io.Writer, verdicts []sesaccount.Verdict, includeSuppressed bool) {
	for _, v := range verdicts {
		switch {
		case v.Blocked(includeSuppressed):
			// What to do first, why after, as mailstore.Explain says errors.
			fmt.Fprintf(w, "%-9s %s: %s (%s)\n", "Skip:", sanitize.Line(v.Address), sanitize.Line(v.Action()), sanitize.Line(v.Reason()))
		case v.Suppressed != nil:
			fmt.Fprintf(w, "sesbox: warning: sending to %s although it is on the suppression list (%s)\n", sanitize.Line(v.Address), v.Suppressed)
		case v.Simulator:
			fmt.Fprintf(w, "%-9s %s is the SES mailbox simulator: a test send\n", "Note:", sanitize.Line(v.Address))
		}
	}
}
