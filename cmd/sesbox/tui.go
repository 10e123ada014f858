package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/sesbox/sesbox/mailstore/demo"
	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/forward"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/notify"
	"github.com/sesbox/sesbox/mailstore/reforward"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
	"github.com/sesbox/sesbox/mailstore/xdg"
	"github.com/sesbox/sesbox/tui"
	tuiaudit "github.com/sesbox/sesbox/tui/audit"
	tuicompose "github.com/sesbox/sesbox/tui/compose"
)

// runTUI opens the terminal UI on every mailbox the flags and config name.
func (a *app) runTUI(ctx context.Context) error {
	if !isTerminal(a.stdout) {
		// Else it would draw escape sequences into a pipe or file (or fail
		// on /dev/tty in cron, saying only that).
		return errors.New("the terminal UI needs a terminal on stdout; scripts use the commands: sesbox ls [--json], sesbox show KEY, ... (sesbox --help lists them)")
	}
	if os.Getenv("TERM") == "dumb" {
		// Emacs' M-x shell, an editor's output pane: a terminal that
		// cannot move the cursor prints the full-screen drawing as text.
		// As mature TUIs do (less, vim, htop), refuse rather than draw.
		return errors.New("use the commands on this terminal (TERM=dumb cannot move the cursor): sesbox ls, sesbox show KEY, ... (sesbox --help lists them); " +
			"for the terminal UI use a terminal emulator (in Emacs: M-x term or vterm), or set TERM if this one can (TERM=xterm-256color sesbox)")
	}
	if a.debug != nil {
		// The TUI owns the terminal: the AWS request log goes to its log
		// file, opened before any client is built.
		w, closeLog, err := tui.OpenLog()
		if err != nil {
			return fmt.Errorf("debug log: %w", err)
		}
		defer closeLog()
		a.debug.setOutput(w)
	}
	boxes, closeBoxes, err := a.tuiBoxes(ctx)
	if err != nil {
		return err
	}
	defer closeBoxes()
	if err := indexDemo(ctx, a.flags.demo, boxes); err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	every, err := cfg.refreshEvery()
	if err != nil {
		return err
	}
	// What an index says from now on (healed; written again after its
	// file was deleted) goes to the status line: on stderr it was drawn
	// over the screen.
	notices := make(chan string, 16)
	for _, idx := range a.indexes {
		idx.SetNotify(func(n string) {
			select {
			case notices <- n:
			default: // the TUI has ended, or is far behind: the log has enough
			}
		})
	}
	// In the TUI ctrl+c is a key (the terminal is raw): a SIGINT comes only
	// while a program sesbox handed the terminal to runs (| pipe, $EDITOR,
	// a mailcap viewer), and that ctrl+c is the program's. bubbletea
	// ignores it then; the context that ends a command on it must not end
	// the TUI either.
	err = tui.Run(context.WithoutCancel(ctx), boxes, tui.Options{
		Keys:    cfg.Keys,
		Mouse:   cfg.Mouse,
		NoColor: os.Getenv("NO_COLOR") != "",
		// LANG=C: the terminal gets ASCII only.
		ASCII:   !tui.UTF8Locale(os.Getenv),
		Refresh: every,
		// The periodic refresh too: the index is shown as it is.
		NoRefresh: a.flags.cached,
		Notices:   notices,
	})
	// Ended by kill or a hangup: the status a shell gives a command the
	// signal ended (143, 129), so a script tells it from a quit.
	var sig tui.SignalledError
	if errors.As(err, &sig) {
		return exitError{sig.ExitCode()}
	}
	return err
}

// indexDemo indexes the demo's mailbox before the TUI starts. Its mail is
// in this process (54 messages, ~90 ms): the first page then holds it, and
// keys typed as the TUI starts (tmux: j j Enter 50 ms in) act on it, not
// on the empty list of a first run, which the start's refresh filled just
// after them. (The screenshots, which drive tuiBoxes' mailboxes without
// this, still show the demo's first refresh.)
func indexDemo(ctx context.Context, demo bool, boxes []tui.Box) error {
	if !demo {
		return nil
	}
	for _, b := range boxes {
		if err := b.Mailbox.Refresh(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// tuiBoxes opens every mailbox the TUI shows, with what each can do besides
// being read — replies (r, R), re-forwarding (f), the audit view (A) —
// wired from the mailbox's config the way `sesbox reply`, `sesbox forward`
// and `sesbox audit` wire it. What cannot be set up is left out with the
// reason, which the TUI shows when its key is pressed. closeFn closes the
// action logs.
func (a *app) tuiBoxes(ctx context.Context) (boxes []tui.Box, closeFn func(), err error) {
	var closers []func()
	closeFn = func() {
		for _, c := range closers {
			c()
		}
	}
	names, mcs, err := a.mailboxConfigs(true)
	if err != nil {
		return nil, closeFn, err
	}
	for i, name := range names {
		mc := mcs[i]
		m, err := a.open(ctx, name, mc)
		if err != nil {
			closeFn()
			return nil, func() {}, err
		}
		b := tui.Box{Name: m.Name, Mailbox: m}
		if !a.flags.demo {
			// Rows without headers come from an inventory, from a queue
			// notification that carried none usable, or from an earlier
			// config of this mailbox: whichever, they are read on screen.
			b.FillHeaders = m.FillHeaders
		}
		if mc.QueueURL != "" && !a.flags.demo {
			w, err := a.queueWatcher(ctx, mc, m.Location())
			if err != nil {
				closeFn()
				return nil, func() {}, err
			}
			b.Queue = func(ctx context.Context) (notify.Batch, error) { return m.Poll(ctx, w) }
		}
		var closeReply, closeForward, closeAudit func()
		b.Reply, closeReply, b.ReplyErr = a.tuiReply(ctx, m, mc)
		b.Forward, closeForward, b.ForwardErr = a.tuiForward(m, mc)
		b.Audit, closeAudit, b.AuditErr = a.tuiAudit(ctx, mc)
		closers = append(closers, closeReply, closeForward, closeAudit)
		boxes = append(boxes, b)
	}
	return boxes, closeFn, nil
}

// tuiReply is the composer's environment for a mailbox: the same outbox
// and identity as `sesbox reply`. The demo mailbox's mail is addressed to
// made-up people, so the demo writes and keeps drafts but sends nothing
// unless it is pointed at a local SES with --ses-endpoint.
func (a *app) tuiReply(ctx context.Context, m *mailbox.Mailbox, mc MailboxConfig) (*tuicompose.Env, func(), error) {
	o, closeOutbox, err := a.outbox(ctx, mc)
	if err != nil {
		closeOutbox()
		return nil, func() {}, err
	}
	env := &tuicompose.Env{
		Outbox: o, Identity: a.identity(mc), Mailbox: m.Name, Bucket: mc.Bucket, Editor: drafts.Editor(),
	}
	return env, closeOutbox, nil
}

// tuiForward is the forward screen's setup for a mailbox: its
// forward_config, if any (without one it forwards to the addresses
// :forward --to gives, as `sesbox forward --to` does), and the runner
// `sesbox forward` uses, built by forwardRunner when the screen first
// plans (lazyRunner): the SES client, the team table and the action log
// cost nothing at start, and the mailboxes never forwarded from never
// build them. The demo mailbox has a built-in config (demoForwardConfig)
// and, like its replies, only sends to a local SES given with
// --ses-endpoint: otherwise it is a dry run that writes each rewritten
// message under $XDG_STATE_HOME/sesbox/demo-forward.
func (a *app) tuiForward(m *mailbox.Mailbox, mc MailboxConfig) (*tui.ForwardEnv, func(), error) {
	cfg, err := a.forwardConfig("", mc, m.Location())
	if err != nil {
		return nil, func() {}, err
	}
	opts := reforward.Options{Config: cfg}
	if a.demoWithoutSES(mc) {
		dir, err := xdg.State("demo-forward")
		if err != nil {
			return nil, func() {}, err
		}
		// sesbox's own directory: 0700, never through a symlink (the
		// run's own MkdirAll then finds it made). A --dry-run DIR the
		// user names is theirs, and keeps its mode.
		if err := xdg.MkdirPrivate(dir); err != nil {
			return nil, func() {}, fmt.Errorf("demo forward outbox: %w", err)
		}
		opts.DryRunDir = dir
	}
	r := &lazyRunner{build: func(ctx context.Context) (*reforward.Runner, func(), error) {
		return a.forwardRunner(ctx, m, mc, opts.DryRun())
	}}
	return &tui.ForwardEnv{Forwarder: r, Options: opts}, r.close, nil
}

// lazyRunner is the forward screen's reforward.Runner, built on the
// first plan (in the plan's tea.Cmd, off the screen's loop) and kept for
// the forwards after it. A build that fails is tried again by the next
// plan: credentials or a team table mended meanwhile are then used.
type lazyRunner struct {
	build func(ctx context.Context) (*reforward.Runner, func(), error)

	mu      sync.Mutex
	r       *reforward.Runner
	closeFn func()
}

func (l *lazyRunner) runner(ctx context.Context) (*reforward.Runner, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r == nil {
		r, closeFn, err := l.build(ctx)
		if err != nil {
			return nil, err
		}
		l.r, l.closeFn = r, closeFn
	}
	return l.r, nil
}

func (l *lazyRunner) Prepare(ctx context.Context, inputs []string, opts reforward.Options) (*reforward.Plan, error) {
	r, err := l.runner(ctx)
	if err != nil {
		return nil, err
	}
	return r.Prepare(ctx, inputs, opts)
}

func (l *lazyRunner) Preview(ctx context.Context, p *reforward.Plan) (reforward.MessagePreview, error) {
	r, err := l.runner(ctx)
	if err != nil {
		return reforward.MessagePreview{}, err
	}
	return r.Preview(ctx, p)
}

func (l *lazyRunner) Run(ctx context.Context, p *reforward.Plan, onResult func(reforward.Result), onProgress func(reforward.Progress)) (reforward.Totals, error) {
	r, err := l.runner(ctx)
	if err != nil {
		return reforward.Totals{}, err
	}
	return r.Run(ctx, p, onResult, onProgress)
}

// close closes what the build opened (the action log), if it was built.
func (l *lazyRunner) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closeFn != nil {
		l.closeFn()
	}
}

// demoForwardConfig is the forwarding Lambda config the demo mailbox
// re-forwards with: its mail is addressed to @acme-demo.example.
func demoForwardConfig() forward.Config {
	return forward.Config{
		FromEmail:      "forwarder@acme-demo.example",
		EmailBucket:    demo.Bucket,
		EmailKeyPrefix: demo.Prefix,
		ForwardMapping: map[string][]string{
			"info@acme-demo.example": {"ops@team.example", "lead@team.example"},
			"@acme-demo.example":     {"desk@team.example"},
		},
	}
}

// tuiAudit is the audit view's environment for a mailbox: its bucket, read
// directly (no index) as `sesbox audit` reads it, and the options `sesbox
// export` exports it with. closeFn closes the action log.
func (a *app) tuiAudit(ctx context.Context, mc MailboxConfig) (*tuiaudit.Env, func(), error) {
	st, opt, closeFn, err := a.exportOptions(ctx, mc)
	if err != nil {
		return nil, func() {}, err
	}
	env := &tuiaudit.Env{Bucket: st, Config: st, Parallel: 8, Identities: a.identityNames(mc), Export: opt, Actions: a.loggedActions}
	// The demo mailbox has no SES account unless pointed at a local SES.
	switch {
	case a.demoWithoutSES(mc):
	case localWithoutSES(mc):
		env.Account = sesaccount.Unchecked{Why: "SES account not checked: no --ses-endpoint for this local S3 endpoint"}
	default:
		if r, err := a.sesAccount(ctx, mc); err == nil {
			env.Account = r
		}
	}
	return env, closeFn, nil
}

// localWithoutSES reports an S3 endpoint on this machine or a private
// network (a local S3 server) with no SES endpoint given: asking real SES
// then says nothing about the mailbox, only a dial error.
func localWithoutSES(mc MailboxConfig) bool {
	if mc.SESEndpoint != "" || os.Getenv("AWS_ENDPOINT_URL_SESV2") != "" || mc.Endpoint == "" {
		return false
	}
	u, err := url.Parse(mc.Endpoint)
	if err != nil {
		return false
	}
	if h := u.Hostname(); strings.EqualFold(h, "localhost") {
		return true
	} else if ip, err := netip.ParseAddr(h); err == nil {
		return ip.IsLoopback() || ip.IsPrivate()
	}
	return false
}
