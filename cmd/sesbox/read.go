package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/internal/gcpace"
	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/index"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/notify"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/report"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui"
	"github.com/sesbox/sesbox/tui/common"
)

// isTerminal reports whether v, the program's stdin, stdout or stderr, is a
// terminal (and not a pipe or file).
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// textOut is w, the program's stdout or stderr, for human text (ls's
// table, show's text, audit log, account, forward's plan and preview,
// error lines): on a terminal whose locale is not UTF-8 (LC_ALL=C; the
// TUI's test, tui.UTF8Locale) each line as the TUI draws it there
// (common.ASCII: accents dropped, '?' in each cell of what has no ASCII
// form), since such a terminal shows UTF-8 as several wrong characters;
// elsewhere, and for --json and --raw, which never come here, exactly the
// UTF-8.
func textOut(w io.Writer) io.Writer {
	if isTerminal(w) && !tui.UTF8Locale(os.Getenv) {
		return asciiLines{w}
	}
	return w
}

// asciiLines writes what it is given through common.ASCII, keeping the
// line breaks, tabs and carriage returns (a progress line drawn over
// itself) that common.ASCII, which draws cells, drops. Its writers give it
// whole lines (or whole texts), never a character cut between two writes.
type asciiLines struct{ w io.Writer }

func (l asciiLines) Write(p []byte) (int, error) {
	var b strings.Builder
	s := string(p)
	for s != "" {
		i := strings.IndexAny(s, "\n\t\r")
		if i < 0 {
			i = len(s)
		}
		b.WriteString(common.ASCII(s[:i]))
		if i < len(s) {
			b.WriteByte(s[i])
			i++
		}
		s = s[i:]
	}
	if _, err := io.WriteString(l.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// redraws says whether progress can be drawn over itself on v ("\r\x1b[K"
// and the line again): a terminal, but not one that says it is dumb
// (TERM=dumb: Emacs' M-x shell, an editor's output pane), which prints the
// escape as text. Elsewhere progress is plain lines, as in a log.
func redraws(v any) bool { return isTerminal(v) && os.Getenv("TERM") != "dumb" }

// refresh brings the index up to date, drawing progress on stderr when it
// is a terminal. Objects whose header could not be read are a warning when
// lenient is set (ls shows what it could read); `sesbox index` fails on them.
func (a *app) refresh(ctx context.Context, m *mailbox.Mailbox, lenient bool) error {
	_, err := a.refreshPartial(ctx, m, lenient)
	return err
}

// refreshPartial is refresh that also returns, when lenient, the headers
// it could not read (nil when none): a command whose answer is chosen from
// the index (ls, export --query, forward --query) answers with what it
// has, then says the answer may lack those messages and exits non-zero
// (see leftOut), so a script never takes a partial answer for the whole.
func (a *app) refreshPartial(ctx context.Context, m *mailbox.Mailbox, lenient bool) (*index.PartialError, error) {
	return a.refreshSaying(ctx, m, lenient, "")
}

// refreshSaying is refreshPartial for a command whose own work is not
// indexing: why is said first when the refresh shows anything (a cold or
// changed mailbox), so its progress is not a surprise.
func (a *app) refreshSaying(ctx context.Context, m *mailbox.Mailbox, lenient bool, why string) (*index.PartialError, error) {
	pr := newProgressPrinter(a.stderr, redraws(a.stderr))
	if why != "" {
		pr.refreshingAside(why)
	}
	var err error
	// A cold index allocates much and keeps little: the collector is
	// paced for it (internal/gcpace).
	gcpace.During(func() { err = m.Refresh(ctx, pr.update) })
	pr.finish(interrupted(ctx, err))
	if err == nil {
		err = a.notePending(ctx, m)
	}
	var partial *index.PartialError
	var logErr *mailbox.LogError
	if lenient && (errors.As(err, &partial) || errors.As(err, &logErr)) {
		// What to check first (an endpoint down, bodies broken on every
		// GET), as index says it.
		fmt.Fprintln(a.stderr, "sesbox: warning:", sanitize.Line(mailstore.Explain(err)))
		// partial stays nil for a forwarder log that could not be read:
		// every message is in the answer, with its last known status
		// (which forwardTermsStale says of an answer chosen by it).
		if logErr != nil {
			a.logUnread = logErr
		}
		return partial, nil
	}
	return nil, err
}

// leftOut ends a command whose answer was chosen from an index that lacks
// the messages of p (see refreshPartial): it says so and exits with code.
// nil when p is.
func (a *app) leftOut(p *index.PartialError, what string, code int) error {
	if p == nil {
		return nil
	}
	fmt.Fprintf(a.stderr, "sesbox: %s may lack %s whose headers could not be read (the next refresh reads them again)\n", what, mailstore.Count(p.Failed, "message"))
	return exitError{code}
}

// forwardTermsStale ends a command whose answer q chose by forward:
// terms when the refresh could not read the forwarder log: those
// statuses are the ones last read, none for a log never read, so an
// empty answer was no "nothing failed" (ls --query forward:failed printed
// nothing and exited 0). It says so and exits with code; nil otherwise.
func (a *app) forwardTermsStale(q query.Query, what string, code int) error {
	if !mailbox.ChosenFromAnUnreadLog(q, a.logUnread) {
		return nil
	}
	fmt.Fprintf(a.stderr, "sesbox: %s may lack messages: the forwarder log could not be read, so forward: terms matched the statuses last read from it (none, for a log never read)\n", what)
	return exitError{code}
}

// noForwarderLog refuses, before anything is listed, a query by forward:
// terms on a mailbox whose refresh reads no forwarder log and whose index
// holds no status an earlier read gave: they match what the Lambda's log
// says, which nothing read, so `sesbox forward --query forward:failed
// --yes` (forward's own example) said "no messages to forward" and `ls
// --query forward:failed` printed nothing and exited 0 on a mailbox
// without forwarder_logs, as if nothing had failed. withFlag says whether
// the command takes --forwarder-logs.
func (a *app) noForwarderLog(ctx context.Context, m *mailbox.Mailbox, q query.Query, cmd string, withFlag bool) error {
	if m.ForwarderGroup() != "" || !mailbox.ChoosesByForwardTerms(q) {
		return nil
	}
	if read, err := m.ForwardStatusesRead(ctx); err != nil || read {
		return err
	}
	hint := `set forwarder_logs = "/aws/lambda/NAME" (the forwarding Lambda's CloudWatch log group) in ` + a.mailboxTable()
	switch {
	case a.flags.demo:
		hint = "leave out the forward: terms: the demo mailbox reads no forwarding Lambda's log"
	case withFlag:
		hint = "give --forwarder-logs /aws/lambda/NAME (the forwarding Lambda's CloudWatch log group), or set forwarder_logs in " + a.mailboxTable()
	}
	return &mailstore.HintError{Hint: hint,
		Err: fmt.Errorf("%s: forward: terms go by the forwarding Lambda's log, which this mailbox does not read", cmd)}
}

// notePending says on stderr how many rows have no headers yet (after an
// inventory, --headers=lazy), so an answer that leaves them out is not
// taken for the whole truth.
func (a *app) notePending(ctx context.Context, m *mailbox.Mailbox) error {
	n, err := m.Pending(ctx)
	if err != nil || n == 0 {
		return err
	}
	fmt.Fprintf(a.stderr, "sesbox: %d messages have no headers read yet (shown with the S3 date and size; from:, to:, subject: and free text cannot match them); `sesbox index` reads them\n", n)
	return nil
}

// noteEmpty says on stderr that ls found nothing at all (n rows without a
// query q): a mistyped --prefix or bucket otherwise looked like an empty
// mailbox. A query that matches nothing says nothing, as grep does. With
// --cached (cached) nothing was listed: the index may just not hold that
// location yet (never indexed, or a damaged index just moved aside), so
// the first hint is the command that reads the bucket. When the refresh
// could not read some headers (partial), the bucket is not empty there:
// leftOut says how many messages the list lacks, and the hint of why
// they could not be read came first (credentials that may list but not
// read were told to check --prefix).
func (a *app) noteEmpty(m *mailbox.Mailbox, n int, q string, cached bool, partial *index.PartialError) {
	if n > 0 || strings.TrimSpace(q) != "" || (partial != nil && partial.Failed > 0) {
		return
	}
	loc := sanitize.Line(m.Location().String())
	var o mailstore.Origins // where the prefix and bucket were set
	if _, mcs, err := a.mailboxConfigs(false); err == nil {
		o = mcs[0].origins
	}
	prefix, bucket := sanitize.Line(o.PrefixFrom()), sanitize.Line(o.BucketFrom())
	if cached {
		fmt.Fprintf(a.stderr, "sesbox: no messages under %s in the local index — `sesbox index` reads the bucket (ls --cached does not); if it finds none, check %s and %s\n", loc, prefix, bucket)
		return
	}
	fmt.Fprintf(a.stderr, "sesbox: no messages under %s — check %s (the receipt rule's object key prefix, e.g. inbox/) and %s\n", loc, prefix, bucket)
}

func newLsCmd(a *app) *cobra.Command {
	var (
		asJSON  bool
		q, sort string
		limit   int
		reverse bool
		cached  bool
	)
	cmd := &cobra.Command{
		Use: "ls",
		Example: `  sesbox ls --query 'from:acme.example after:7d' --limit 20
  sesbox ls --json --query has:attachment`,
		Short: "List messages, newest first",
		Long:  "List the messages of the mailbox, newest first.\n\nQuery syntax (--query):\n" + query.Help,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			by, err := query.ParseSort(sort)
			if err != nil {
				return flagUsage(cmd, err)
			}
			qq, err := parseQuery(cmd, q)
			if err != nil {
				return err
			}
			var m *mailbox.Mailbox
			if cached {
				m, err = a.cachedMailbox()
			} else {
				m, _, err = a.mailbox(ctx)
			}
			if err != nil {
				return err
			}
			var partial *index.PartialError
			if !cached {
				if err := a.noForwarderLog(ctx, m, qq, "ls", true); err != nil {
					return err
				}
				if partial, err = a.refreshPartial(ctx, m, true); err != nil {
					return err
				}
			} else if err := a.notePending(ctx, m); err != nil {
				return err
			}
			if asJSON {
				// Each row is printed as it is read (one write per 64 KiB).
				w := bufio.NewWriterSize(a.stdout, 64<<10)
				enc := jsonLines(w)
				n := 0
				if err := m.Each(ctx, qq, by, reverse, limit, func(s *mailstore.Summary) error {
					n++
					return enc.Encode(lsRowOf(s))
				}); err != nil {
					w.Flush()
					return err
				}
				if err := w.Flush(); err != nil {
					return err
				}
				a.noteEmpty(m, n, q, cached, partial)
				return cmp.Or(a.leftOut(partial, "the list", 1), a.forwardTermsStale(qq, "the list", 1))
			}
			sums, err := m.First(ctx, qq, by, reverse, limit)
			if err != nil {
				return err
			}
			if err := printTable(textOut(a.stdout), sums); err != nil {
				return err
			}
			a.noteEmpty(m, len(sums), q, cached, partial)
			return cmp.Or(a.leftOut(partial, "the list", 1), a.forwardTermsStale(qq, "the list", 1))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print JSON Lines")
	f.StringVarP(&q, "query", "q", "", "search `QUERY` (see above)")
	f.StringVar(&sort, "sort", "date", "sort by `FIELD`: date, from, subject or size")
	cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions([]string{
		string(query.ByDate), string(query.ByFrom), string(query.BySubject), string(query.BySize)}, cobra.ShellCompDirectiveNoFileComp))
	f.BoolVar(&reverse, "reverse", false, "reverse the sort order")
	intFlag(f, &limit, "limit", 0, 0, "print at most `N` messages (0: all)")
	f.BoolVar(&cached, "cached", false, "use the local index as it is, without listing the bucket")
	forwarderLogsFlag(cmd, a)
	return cmd
}

// forwarderLogsFlag adds --forwarder-logs to a command that refreshes the
// index.
func forwarderLogsFlag(cmd *cobra.Command, a *app) {
	cmd.Flags().StringVar(&a.flags.forwarderLogs, "forwarder-logs", "",
		"read the forwarding Lambda's CloudWatch log `GROUP` (/aws/lambda/NAME) and mark each message forwarded, failed, skipped, none or unknown")
}

// lsRow is one line of `ls --json`. The field names are a public contract.
type lsRow struct {
	Key        string `json:"key"`
	MessageID  string `json:"messageId"`
	Date       string `json:"date"`
	DateSource string `json:"dateSource,omitempty"`
	// Stored is when SES stored the message (the object's LastModified,
	// UTC), what stored-after:/stored-before: compare.
	Stored      string   `json:"stored,omitempty"`
	From        string   `json:"from"`
	FromName    string   `json:"fromName"`
	FromAddress string   `json:"fromAddress"`
	To          []string `json:"to"`
	Recipient   string   `json:"recipient"`
	Recipients  []string `json:"recipients"`
	Subject     string   `json:"subject"`
	Size        int64    `json:"size"`
	Attachments int      `json:"attachments"`
	// AttachmentsExact is false when Attachments is a lower bound: only
	// the start of a large message has been read (attachments > 0 then).
	AttachmentsExact bool   `json:"attachmentsExact"`
	Spam             string `json:"spam"`
	Virus            string `json:"virus"`
	SPF              string `json:"spf"`
	DKIM             string `json:"dkim"`
	DMARC            string `json:"dmarc"`
	Kind             string `json:"kind,omitempty"`
	Report           string `json:"report,omitempty"` // bounce, delay, delivered, complaint
	Read             bool   `json:"read"`
	Missing          bool   `json:"missing,omitempty"`
	// HeadersPending: the row comes from an S3 Inventory report and its
	// header block is not read yet (from, subject, ... are empty).
	HeadersPending bool `json:"headersPending,omitempty"`
	// What the forwarding Lambda's log says (with a forwarder log group):
	// forwarded, failed, skipped, none, unknown; the reason of a failure;
	// where it was sent (or tried) and when.
	ForwardStatus       string   `json:"forwardStatus,omitempty"`
	ForwardError        string   `json:"forwardError,omitempty"`
	ForwardDestinations []string `json:"forwardDestinations,omitempty"`
	ForwardTime         string   `json:"forwardTime,omitempty"`
}

// jsonLines is the encoder of every --json output: one value per line,
// written through terminalSafe, "<", ">" and "&" as they are. Values stay
// exact (an S3 key a script passes back) and still never act on a terminal.
func jsonLines(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(terminalSafe{w})
	enc.SetEscapeHTML(false)
	return enc
}

// terminalSafe writes JSON text with sanitize.JSON's escapes. An
// Encoder writes each value in one Write, so no character is split.
type terminalSafe struct{ w io.Writer }

func (t terminalSafe) Write(p []byte) (int, error) {
	if _, err := t.w.Write(sanitize.JSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// lsRowOf is the --json record of s, every value exactly as the index
// holds it: a key to pass back, a subject or a name with whatever the
// sender put in it (a script that folded or marked controls would read
// another text); jsonLines's escapes keep them off the terminal.
func lsRowOf(s *mailstore.Summary) lsRow {
	r := lsRow{
		Key:              s.Key,
		MessageID:        s.MessageID,
		Date:             s.Date.Format(time.RFC3339),
		From:             s.From.String(),
		FromName:         s.From.Name,
		FromAddress:      s.From.Address,
		To:               []string{},
		Recipients:       []string{},
		Subject:          s.Subject,
		Size:             s.Size,
		Attachments:      s.Attachments,
		AttachmentsExact: s.AttachmentsExact,
		// Verdicts are SES's words, but parsed from stored bytes.
		Spam:    s.Verdicts.Spam,
		Virus:   s.Verdicts.Virus,
		SPF:     s.Verdicts.SPF,
		DKIM:    s.Verdicts.DKIM,
		DMARC:   s.Verdicts.DMARC,
		Read:    s.Read,
		Missing: s.Missing,
		// A stub from an inventory: only key, size and date are known.
		HeadersPending: s.HeadersPending,
		Report:         s.Report,
	}
	if s.DateFromStore {
		r.DateSource = "s3"
	}
	if !s.LastModified.IsZero() {
		r.Stored = s.LastModified.UTC().Format(time.RFC3339)
	}
	r.ForwardStatus = s.Forward.Status
	r.ForwardError = s.Forward.Error
	if len(s.Forward.Destinations) > 0 {
		r.ForwardDestinations = s.Forward.Destinations
	}
	if !s.Forward.Time.IsZero() {
		r.ForwardTime = s.Forward.Time.UTC().Format(time.RFC3339)
	}
	for _, t := range s.To {
		r.To = append(r.To, t.String())
	}
	r.Recipients = append(r.Recipients, s.Recipients...)
	if len(r.Recipients) > 0 {
		r.Recipient = r.Recipients[0]
	}
	switch s.Kind {
	case mailstore.KindSetupNotification:
		r.Kind = "setup-notification"
	case mailstore.KindForeign:
		r.Kind = "foreign"
	}
	return r
}

func printTable(w io.Writer, sums []mailstore.Summary) error {
	for i := range sums {
		s := &sums[i]
		flags := []byte("   ")
		if !s.Read {
			flags[0] = 'N'
		}
		if s.Attachments > 0 {
			flags[1] = '@'
		}
		if s.Verdicts.Failed() {
			flags[2] = '!'
		}
		if _, err := fmt.Fprintf(w, "%s  %s  %s  %s  %7s  %s\n", flags, s.Date.Local().Format("2006-01-02 15:04"),
			common.SenderCell(s.From.Name, s.From.Address, 24), common.Fit(report.Badge(s.Report)+mailstore.ForwardBadge(s.Forward.Status)+sanitize.Cell(s.Subject), 50), mailstore.FormatSize(s.Size),
			sanitize.Line(mailstore.SESMessageID(s.Key))); err != nil {
			return err
		}
		if s.Forward.Status == mailstore.ForwardFailed && s.Forward.Error != "" {
			// The reason under its row: what an operator reads before
			// re-forwarding.
			if _, err := fmt.Fprintf(w, "     forward failed: %s\n", ansi.Truncate(sanitize.Line(s.Forward.Error), 200, "…")); err != nil {
				return err
			}
		}
	}
	return nil
}

// openMessage reads one message of the selected mailbox by key or SES id.
func (a *app) openMessage(ctx context.Context, key string) (*mailbox.Message, error) {
	m, _, err := a.mailbox(ctx)
	if err != nil {
		return nil, err
	}
	msg, err := m.Open(ctx, key)
	return msg, a.elsewhere(ctx, m.Name, key, err)
}

// openHeader reads the header block of one message of the selected mailbox.
func (a *app) openHeader(ctx context.Context, key string) (*mailbox.Message, error) {
	m, _, err := a.mailbox(ctx)
	if err != nil {
		return nil, err
	}
	msg, err := m.OpenHeader(ctx, key)
	return msg, a.elsewhere(ctx, m.Name, key, err)
}

// elsewhere puts on err, key naming no message of the mailbox cur, the
// other configured mailbox whose local index holds it, when one does:
// with two mailboxes, the id ls --mailbox sales printed, given to show
// without the flag, was "no message" in the default one, as if mistyped.
// Only the local indexes are read (no network), and nothing is said of a
// mailbox whose index does not exist yet.
func (a *app) elsewhere(ctx context.Context, cur, key string, err error) error {
	if !errors.Is(err, mailstore.ErrNotFound) || a.flags.demo || a.flags.bucket != "" {
		return err
	}
	cfg, cerr := a.config()
	if cerr != nil {
		return err
	}
	for _, name := range cfg.names() {
		mc := a.overlay(cfg.Mailboxes[name])
		if name == cur || mc.Bucket == "" {
			continue
		}
		path, perr := index.DefaultPath(a.indexName(mc))
		if perr != nil || !exists(path) {
			continue
		}
		idx, ierr := a.index(a.indexName(mc))
		if ierr != nil {
			continue
		}
		m := mailbox.Cached(name, mailstore.Location{Bucket: mc.Bucket, Prefix: mc.Prefix}, idx)
		k, rerr := m.Resolve(ctx, key)
		if rerr != nil {
			continue
		}
		if rows, rerr := m.RowsByKey(ctx, []string{k}); rerr == nil && len(rows) == 1 {
			return &mailstore.HintError{Hint: fmt.Sprintf("add --mailbox %s: %q is a message of mailbox %s, not of %s", name, key, name, cur), Err: err}
		}
	}
	return err
}

func newShowCmd(a *app) *cobra.Command {
	var headers, html, raw bool
	cmd := &cobra.Command{
		Use:   "show KEY",
		Short: "Show one message (KEY is the object key or the SES message id)",
		Long: `Show one message: a header block, the best text body, then the attachments.

--headers prints every header field; --html renders the HTML body as text
(links as numbered footnotes) even when there is a text body; --raw prints the
stored source, sanitized on a terminal and byte for byte into a pipe.`,
		Example: `  sesbox show 0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne
  sesbox show --raw inbox/0vneinmetj3r4m9ltdtl5drpnghlppk2eqp3vjne > message.eml`,
		Args: keyArgs("KEY", "the object key or the SES message id; see sesbox ls", false),
		RunE: func(cmd *cobra.Command, args []string) error {
			if headers {
				// The header block only: a ranged read, whatever the size.
				msg, err := a.openHeader(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return printHeaders(textOut(a.stdout), msg.View)
			}
			msg, err := a.openMessage(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			switch {
			case raw:
				if isTerminal(a.stdout) {
					_, err = io.WriteString(a.stdout, sanitize.Text(string(msg.Raw)))
				} else {
					_, err = a.stdout.Write(msg.Raw)
				}
				return err
			}
			return printMessage(textOut(a.stdout), msg, html)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&headers, "headers", false, "print all header fields")
	f.BoolVar(&html, "html", false, "render the HTML body as text")
	f.BoolVar(&raw, "raw", false, "print the raw source")
	cmd.MarkFlagsMutuallyExclusive("headers", "html", "raw")
	return cmd
}

func printHeaders(w io.Writer, v *mime.View) error {
	var b strings.Builder
	for _, f := range v.Header {
		fmt.Fprintf(&b, "%s: %s\n", sanitize.Line(f.Name), sanitize.Line(f.Value))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func printMessage(w io.Writer, msg *mailbox.Message, preferHTML bool) error {
	v, s := msg.View, &msg.Summary
	var b strings.Builder
	line := func(name, val string) {
		if val != "" {
			fmt.Fprintf(&b, "%-9s %s\n", name+":", sanitize.Line(val))
		}
	}
	line("From", sanitize.Mailbox(s.From.Name, s.From.Address))
	line("To", joinAddrs(s.To))
	line("Cc", joinAddrs(s.Cc))
	line("Reply-To", joinAddrs(s.ReplyTo))
	date := s.Date.Format(time.RFC1123Z)
	if s.DateFromStore {
		date += " (stored time; no usable Date header)"
	}
	line("Date", date)
	line("Subject", s.Subject)
	line("Envelope", strings.Join(s.Recipients, ", ")) // the viewer's word; ls --json: recipients
	line("Key", s.Key)
	if f := s.Forward; f.Status != "" {
		line("Forward", forwardLine(f))
	}
	if vd := verdictLine(s.Verdicts); vd != "" {
		line("Verdicts", vd)
	}
	var notes []string
	for _, wn := range v.Warnings {
		// Notes on how the text was read (mime.IsNote) come after the
		// body and attachments, as the TUI keeps them off the body.
		if mime.IsNote(wn) {
			notes = append(notes, wn)
		} else {
			line("Warning", wn)
		}
	}
	b.WriteString("\n")
	if msg.Report != nil {
		for _, l := range msg.Report.Lines() {
			b.WriteString(report.CleanLine(l, sanitize.Line) + "\n")
		}
		b.WriteString("\n")
	}
	if len(v.Notices) > 0 {
		for _, n := range v.Notices {
			b.WriteString(sanitize.Line(n) + "\n")
		}
		b.WriteString("\n")
	}
	body := v.Body()
	if preferHTML && v.HTMLText != "" {
		body = v.HTMLText
	}
	nested := v.Forwarded()
	if body == "" && len(nested) == 0 {
		body = "(no text body)"
	}
	b.WriteString(sanitize.Text(body))
	if body != "" && !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	for _, n := range nested {
		printNested(&b, n, preferHTML)
	}
	if atts := v.Attachments(); len(atts) > 0 {
		b.WriteString("\nAttachments:\n")
		printParts(&b, "  ", atts)
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes on how the message was read:\n")
		for _, n := range notes {
			b.WriteString("  " + sanitize.Line(n) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printParts lists parts, one a line after indent: number, name, type
// and size, and the part a file was taken out of (a winmail.dat's).
func printParts(b *strings.Builder, indent string, parts []mime.Part) {
	for _, p := range parts {
		name := p.Filename
		if name == "" {
			name = "(no name)"
		}
		fmt.Fprintf(b, "%s[%d] %s  %s  %s", indent, p.Index, sanitize.Line(name), sanitize.Line(p.ContentType), mailstore.FormatSize(int64(p.Size)))
		if p.Within > 0 {
			fmt.Fprintf(b, "  (in part %d)", p.Within)
		}
		b.WriteString("\n")
	}
}

// printNested writes a message nested in the one shown (a forwarded
// message, a bounce's returned header), as mutt shows one in the body:
// a rule with where it is, its From, To, Cc, Date and Subject, its body
// and its attachments, numbered in it. The part of the message shown
// is what save --part saves as a .eml.
func printNested(b *strings.Builder, n mime.Nested, preferHTML bool) {
	fmt.Fprintf(b, "\n----- %s -----\n", n.Title())
	if n.View == nil {
		fmt.Fprintf(b, "(not shown: %s; sesbox save --part %d saves it)\n", n.NotShown, n.Part)
		return
	}
	v := n.View
	for _, f := range v.Fields() {
		fmt.Fprintf(b, "%-9s %s\n", sanitize.Line(f.Name)+":", sanitize.Line(f.Value))
	}
	for _, w := range v.Warnings {
		if !mime.IsNote(w) {
			fmt.Fprintf(b, "%-9s %s\n", "Warning:", sanitize.Line(w))
		}
	}
	for _, no := range v.Notices {
		b.WriteString(sanitize.Line(no) + "\n")
	}
	body := v.Body()
	if preferHTML && v.HTMLText != "" {
		body = v.HTMLText
	}
	if body != "" {
		b.WriteString("\n" + sanitize.Text(body))
		if !strings.HasSuffix(body, "\n") {
			b.WriteString("\n")
		}
	}
	if atts := v.Attachments(); len(atts) > 0 {
		fmt.Fprintf(b, "\nAttached to the message in part %s:\n", n.Path)
		printParts(b, "  ", atts)
	}
}

func joinAddrs(l []mailstore.Address) string {
	s := make([]string, len(l))
	for i, a := range l {
		s[i] = sanitize.Mailbox(a.Name, a.Address)
	}
	return strings.Join(s, ", ")
}

func verdictLine(v mailstore.Verdicts) string {
	var parts []string
	for _, p := range []struct{ n, v string }{{"spam", v.Spam}, {"virus", v.Virus}, {"spf", v.SPF}, {"dkim", v.DKIM}, {"dmarc", v.DMARC}} {
		if p.v != "" {
			parts = append(parts, p.n+"="+p.v)
		}
	}
	return strings.Join(parts, " ")
}

func newSaveCmd(a *app) *cobra.Command {
	var dir string
	var part int
	cmd := &cobra.Command{
		Use:   "save KEY --dir DIR",
		Short: "Save attachments into a directory",
		Long: `Save the attachments of one message (or only part N) into DIR. Names are the
sender's base names made safe (never a path; a name starting with '-' gets a
'_' in front, so no name reads as an option), and existing files are never
overwritten: a -1, -2, ... suffix is added. Prints the paths written.`,
		Example: `  sesbox save fj01tteur6ih0omhtnnq3l49c328ov13esdvhqmk --dir ~/Downloads`,
		Args:    keyArgs("KEY", "the object key or the SES message id; see sesbox ls", false),
		RunE: func(cmd *cobra.Command, args []string) error {
			msg, err := a.openMessage(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			paths, err := mailbox.SaveParts(msg.View, dir, part)
			for _, p := range paths {
				fmt.Fprintln(a.stdout, sanitize.Line(p))
			}
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "`DIR` to write into (created if needed)")
	intFlag(cmd.Flags(), &part, "part", 0, 0, "save only part `N` (see `sesbox show`)")
	cmd.MarkFlagRequired("dir")
	return cmd
}

func newIndexCmd(a *app) *cobra.Command {
	var (
		watch      bool
		headers    string
		headerRate float64
	)
	cmd := &cobra.Command{
		Use: "index",
		Example: `  sesbox index
  sesbox index --forwarder-logs /aws/lambda/SesForwarder`,
		Short: "Build or refresh the local index of message headers",
		Long: `Build or refresh the local index of message headers.

With --forwarder-logs GROUP (or the mailbox's forwarder_logs), it also reads
the forwarding Lambda's CloudWatch log group (FilterLogEvents, from the oldest
indexed message the first time, then from where the last read ended) and marks
every message: forwarded, failed (with the reason), skipped (no mapping for its
recipients), none (no invocation while the log covers its time) or unknown
(older than the log's retention, or too recent to tell). ls --query
forward:failed lists the failures; forward --query forward:failed re-sends them.

With --inventory URL (or the mailbox's inventory), the objects come from the
newest S3 Inventory report under URL (s3://dest-bucket/dest-prefix/
source-bucket/config-id/; manifest checksum and data file MD5s verified, CSV
or Parquet) instead of listing the bucket: no LIST call on the mailbox's
bucket. New or changed keys become rows at once, with the S3 date and size
and no headers; then their headers are read, the newest first (at most
--header-rate a second). With --headers=lazy it ends once the rows are in:
a later index (or the TUI, the rows on screen first) reads the headers, and
until then from:, to:, subject: and free text cannot match those rows (ls
says how many there are).

With --watch (needs the mailbox's queue_url: the SQS queue subscribed to the
receipt rule's SNS topic), it does not list: it long-polls the queue until
interrupted, reads the header block of each new message a notification
names (one ranged GET: a notification is only word that mail is stored,
and anyone who may send to the queue can write one), deletes the queue
messages only after the index has them, and prints one line per new
message. Duplicates are ignored, and so is a notification naming no
object. With the mailbox's topic_arn set, other topics' notifications and
bodies without SNS's envelope are left in the queue too. Queue messages that are not the mailbox's (notifications of
other buckets or prefixes, subscription confirmations, anything not SES's)
are left in the queue for their consumer, one stderr line each time one
comes back: give the queue a redrive policy (docs/scale.md). SES's setup
test and a notification of a key SES does not write under the mailbox's
prefix are deleted, one stderr line each.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m, mc, err := a.mailbox(ctx)
			if err != nil {
				return err
			}
			if watch {
				return a.watch(ctx, m, mc)
			}
			switch headers {
			case "eager", "lazy":
			default:
				return fmt.Errorf("--headers %q: want eager or lazy", headers)
			}
			if cmd.Flags().Changed("header-rate") {
				mc.HeaderRate = headerRate
			}
			m.FetchHeaders(mailbox.HeaderFetch{Lazy: headers == "lazy", Rate: mc.HeaderRate})
			return a.refresh(ctx, m, false)
		},
	}
	forwarderLogsFlag(cmd, a)
	cmd.Flags().StringVar(&a.flags.inventory, "inventory", "", "read the objects from the newest S3 Inventory report under `URL` (s3://dest-bucket/dest-prefix/source-bucket/config-id/) instead of listing")
	cmd.Flags().BoolVar(&watch, "watch", false, "take new mail from the mailbox's queue_url until interrupted, without listing")
	cmd.Flags().StringVar(&headers, "headers", "eager", "`MODE` after --inventory: eager reads every new row's headers before ending, lazy ends once the rows are in (a later index or the TUI reads them)")
	cmd.Flags().Float64Var(&headerRate, "header-rate", 0, "after --inventory: read at most `N` headers per second (0: as fast as possible; config header_rate)")
	return cmd
}

// mailboxTable names where the selected mailbox's settings go: its
// table in the config file when it has one ("[mailbox.support] in
// ~/.config/sesbox/config.toml"; the hint said [mailbox.NAME] of a
// mailbox that has a name), else how to add one.
func (a *app) mailboxTable() string {
	names, _, err := a.mailboxConfigs(false)
	cfg, cerr := a.config()
	if err == nil && cerr == nil && !a.flags.demo && cfg.path != "" {
		if _, ok := cfg.Mailboxes[names[0]]; ok {
			return fmt.Sprintf("[mailbox.%s] in %s", sanitize.Line(names[0]), sanitize.Line(cfg.path))
		}
	}
	return "the mailbox's [mailbox.NAME] table of the config file"
}

// watch runs index --watch: new mail from the queue until ctx ends (main
// cancels it on ctrl-c, which ends the watch with no error).
func (a *app) watch(ctx context.Context, m *mailbox.Mailbox, mc MailboxConfig) error {
	if mc.QueueURL == "" {
		return &mailstore.HintError{
			Hint: "set queue_url in " + a.mailboxTable() + ": the SQS queue subscribed to the receipt rule's SNS topic (see docs/scale.md)",
			Err:  errors.New("index --watch: the mailbox has no queue_url")}
	}
	w, err := a.queueWatcher(ctx, mc, m.Location())
	if err != nil {
		return err
	}
	var werr error
	err = m.Watch(ctx, w, mailbox.DefaultBackoff, func(b notify.Batch) {
		for _, p := range b.Problems {
			fmt.Fprintln(a.stderr, "sesbox: ignored:", sanitize.Line(p))
		}
		if werr == nil {
			werr = printTable(textOut(a.stdout), b.New)
		}
	}, func(err error, wait time.Duration) {
		fmt.Fprintln(a.stderr, "sesbox:", sanitize.Line(mailstore.Explain(notify.Retried(err, wait))))
	})
	if err != nil {
		return err
	}
	return werr
}

// forwardLine describes what the forwarding Lambda did with a message.
func forwardLine(f mailstore.Forward) string {
	s := f.Status
	if !f.Time.IsZero() {
		s += " " + f.Time.UTC().Format(time.RFC3339)
	}
	if len(f.Destinations) > 0 {
		s += " to " + strings.Join(f.Destinations, ", ")
	}
	if f.Error != "" {
		s += ": " + f.Error
	}
	return s
}

func newDemoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "demo",
		Example: `  sesbox demo`,
		Short:   "Open the terminal UI on the embedded demo mailbox",
		Args: func(cmd *cobra.Command, args []string) error {
			// `sesbox demo ls`: a command to try on the demo mailbox.
			if c, _, err := cmd.Root().Find(args); len(args) > 0 && err == nil && c != cmd.Root() {
				return usagef(cmd, "%s takes no arguments, got %s — to run a command on the demo mailbox, give --demo: %s --demo %s",
					cmdName(cmd), quoteArgs(args), cmd.Root().Name(), strings.Join(args, " "))
			}
			return noArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.flags.demo = true
			return a.runTUI(cmd.Context())
		},
	}
}
