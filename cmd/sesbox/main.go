// Command sesbox is a terminal mail client for the mail Amazon SES stores
// in S3. This file wires flags and the config file to mailstore and tui.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// version is set by the linker (-X main.version=...), else taken from the
// module's build info.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	bi, _ := debug.ReadBuildInfo()
	return buildVersion(bi)
}

// buildVersion is the version a binary built without the linker flag
// says: a tagged module version as it is (go install ...@v1.4.0), else the
// VCS stamp Go embeds when it builds in a checkout, "devel-0943c9d
// (2026-12-06, modified)"; "devel" without either.
func buildVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return "devel"
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	v := bi.Main.Version
	if v != "" && v != "(devel)" && !pseudoVersion.MatchString(v) {
		return v
	}
	if rev == "" {
		return "devel"
	}
	var about []string
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		about = append(about, t.UTC().Format(time.DateOnly))
	}
	if modified {
		about = append(about, "modified")
	}
	out := "devel-" + rev[:min(7, len(rev))]
	if len(about) > 0 {
		out += " (" + strings.Join(about, ", ") + ")"
	}
	return out
}

// pseudoVersion matches the version Go derives from a VCS stamp
// (v0.0.0-20261206204258-0943c9dd55d0+dirty): the stamp says it better.
var pseudoVersion = regexp.MustCompile(`[-.]\d{14}-[0-9a-f]{12}(\+dirty)?$`)

func main() {
	ctx, stop := stopContext(context.Background())
	defer stop()
	writesToAClosedPipeFail()
	stopProfile := startCPUProfile(os.Getenv("SESBOX_CPUPROFILE"), os.Stderr)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	stopProfile()
	os.Exit(code)
}

// startCPUProfile writes a CPU profile of the whole run to path (the
// SESBOX_CPUPROFILE variable, for `go tool pprof`; see docs/scale.md),
// when set. It returns what ends the profile.
func startCPUProfile(path string, stderr io.Writer) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sesbox: warning: CPU profile:", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// writesToAClosedPipeFail makes a write to a pipe whose reader has gone
// return EPIPE, on stdout and stderr too, rather than end the process
// with SIGPIPE, Go's default there: `sesbox export --mbox F 2>&1 | head
// -1` ended the export at its next progress line, its .partial files
// left, and `forward ... | head -1` after the send in progress without a
// word. A stderr that is gone is not a reason to stop (its writes are
// lost, the work goes on); a stdout that is gone ends the run as Ctrl-C
// does, quietly (answerPipe). Notify, not Ignore: an ignored SIGPIPE
// would be inherited by the programs sesbox starts ($EDITOR, a | command).
func writesToAClosedPipeFail() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// exitStdoutClosed is the exit status of a run whose stdout pipe closed
// (`sesbox ls | head -1`): 128 + SIGPIPE, as a shell reports a command
// that signal ended.
const exitStdoutClosed = 128 + int(syscall.SIGPIPE)

// errStdoutClosed is the cause a run's context is cancelled with when
// the reader of its stdout has gone.
var errStdoutClosed = errors.New("stdout closed: its reader has gone")

// answerPipe is the program's stdout, when it is not a terminal: the
// first write that finds the reader gone (EPIPE) calls gone, which stops
// the run as Ctrl-C does. The writes after it fail as that one did.
type answerPipe struct {
	w    io.Writer
	gone func()
}

func (p answerPipe) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if errors.Is(err, syscall.EPIPE) {
		p.gone()
	}
	return n, err
}

// stdoutClosed says whether ctx, a run's, was stopped because its
// stdout's reader went away.
func stdoutClosed(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errStdoutClosed)
}

// stopSignals end a command as Ctrl-C does: kill's SIGTERM (a service
// manager, a CI job's timeout, timeout(1)) and SIGHUP (a closed terminal
// or SSH connection) too, whose default action ended sesbox at once and
// left what an interrupt cleans up: an mbox export's partial files, a
// snapshot without its "--resume" hint. The terminal UI catches them
// itself (tui.Run) and runs on a context this one does not cancel.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// stoppedBy is the cause of the context stopContext cancels: the signal,
// whose number the exit status gives.
type stoppedBy struct{ sig syscall.Signal }

func (s stoppedBy) Error() string { return s.sig.String() + " signal received" }

// stopContext is signal.NotifyContext for stopSignals, with the signal
// kept as the context's cause.
func stopContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, stopSignals...)
	go func() {
		select {
		case s := <-ch:
			sig, _ := s.(syscall.Signal)
			cancel(stoppedBy{sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(context.Canceled) }
}

// stopStatus is the exit status and the word for a run ctx's cancellation
// stopped: as a shell reports a command the signal ended, 130 for Ctrl-C
// (and a context cancelled without a signal, as tests do), 143 for
// SIGTERM, 129 for SIGHUP.
func stopStatus(ctx context.Context) (int, string) {
	var s stoppedBy
	if errors.As(context.Cause(ctx), &s) && s.sig != syscall.SIGINT && s.sig != 0 {
		name := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP"}[s.sig]
		if name == "" {
			name = s.sig.String()
		}
		return 128 + int(s.sig), "interrupted by " + name
	}
	return 130, "interrupted"
}

// exitUsage is the exit status of a mistake in the command line (sysexits'
// EX_USAGE), so a script tells "called wrongly" from "failed" (1) and from
// the statuses commands give their own outcomes (forward's 2, audit's 1).
const exitUsage = 64

// exitNotFound is the exit status of a KEY (or another object named on the
// command line) that names no message: a script tells a typo or a message
// gone from a bucket it could read (3) from a run that failed (1).
const exitNotFound = 3

// exitError carries a specific exit status (e.g. audit findings) without
// printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run is main without the process: tests call it with their own streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		// The shells' completion code reads these lines; a backquote in
		// one (the `FILE` a flag's usage names its value with) is command
		// substitution to some of it.
		stdout = noBackquotes{stdout}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if !isTerminal(stdout) {
		stdout = answerPipe{w: stdout, gone: func() { cancel(errStdoutClosed) }}
	}
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	defer a.close()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if stdoutClosed(ctx) {
		// As `ls | head -1` ends: quietly, whatever the run was doing
		// (what a command has to say of its stop, it said).
		return exitStdoutClosed
	}
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Interrupted (Ctrl-C, kill): 130, 143, as a shell reports a command
	// the signal ended, so a script tells "stopped" from "failed".
	if interrupted(ctx, err) {
		code, word := stopStatus(ctx)
		fmt.Fprintln(stderr, "sesbox:", word)
		return code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		printUsageError(textOut(stderr), ue)
		return exitUsage
	}
	printError(textOut(stderr), err)
	if errors.Is(err, mailstore.ErrNotFound) {
		return exitNotFound
	}
	return 1
}

// interrupted says whether err ends a run Ctrl-C stopped (ctx cancelled):
// main exits 130 on it, and the progress printers close saying so.
func interrupted(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// printError writes err for a person: the hint (what to check) first, the
// detail after it; the TUI's list area says the same through the same
// function. Errors quote config values (mailbox names, buckets, endpoints)
// that a config file can fill with escape sequences: every error printed
// goes through here, which sanitizes it. Its lines after the first are
// indented under it: a value it quotes that holds a line break (an S3 key
// may) cannot print a line that reads as sesbox's own ("sesbox: ...").
func printError(w io.Writer, err error) {
	msg := strings.TrimRight(sanitize.Text(mailstore.Explain(err)), "\n")
	fmt.Fprintln(w, "sesbox:", strings.ReplaceAll(msg, "\n", "\n  "))
}

// helpWidth is the width --help wraps flag descriptions to: pflag prints
// each on one line otherwise (up to 192 columns: --headers), which a
// terminal folds under the flag names. 80, as man pages, whatever the
// terminal: the help is the same in a pipe and on a screen.
const helpWidth = 80

// wrapFlagHelp makes root's help and usage (and its commands', which
// inherit the templates) fit helpWidth: flags wrapped by pflag, the
// description and the list of commands by wrapHelp (one of 116 columns
// and commands' lines of up to 103 were printed whole). cobra takes
// template functions only package-wide (AddTemplateFunc); adding the same
// one again is harmless.
func wrapFlagHelp(root *cobra.Command) {
	cobra.AddTemplateFunc("wrappedFlagUsages", func(f *pflag.FlagSet) string { return f.FlagUsagesWrapped(helpWidth) })
	cobra.AddTemplateFunc("wrapHelp", func(s string) string { return wrapHelp(s, helpWidth) })
	root.SetUsageTemplate(strings.NewReplacer(
		".LocalFlags.FlagUsages", "wrappedFlagUsages .LocalFlags",
		".InheritedFlags.FlagUsages", "wrappedFlagUsages .InheritedFlags",
	).Replace(root.UsageTemplate()))
	root.SetHelpTemplate(strings.NewReplacer(
		"{{. | trimTrailingWhitespaces}}", "{{wrapHelp . | trimTrailingWhitespaces}}",
		"{{.UsageString}}", "{{wrapHelp .UsageString}}",
	).Replace(root.HelpTemplate()))
	// cobra runs a help template straight into stdout and prints what
	// the write returned ("write /dev/stdout: broken pipe" for `sesbox
	// --help | head`); its own help wrote with the error dropped. Rendered
	// first, the help is written as every other output is: a closed
	// stdout ends the run quietly (TestAClosedStdoutEndsTheRunQuietly).
	help := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		out := c.OutOrStdout()
		var buf bytes.Buffer
		c.SetOut(&buf)
		help(c, args)
		c.SetOut(out)
		out.Write(buf.Bytes())
	})
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use: "sesbox",
		Example: `  sesbox demo
  sesbox --mailbox support
  sesbox --bucket my-ses-inbound --prefix inbox/ --region eu-west-1 ls --query is:unread`,
		Short: "A terminal mail client for the mail Amazon SES stores in S3",
		Long: `sesbox lists, reads, replies to, re-forwards and audits the raw messages that an
Amazon SES receipt rule's S3 action stores in a bucket.

Without a command it opens the mailbox in the terminal UI. Credentials come from
the standard AWS chain (environment, profiles, SSO, instance roles); sesbox never
stores or prints them.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runTUI(cmd.Context())
		},
	}
	root.SetFlagErrorFunc(flagUsage)
	wrapFlagHelp(root)
	root.Flags().BoolVar(&a.flags.cached, "cached", false, "open the local index as it is, without listing the bucket (as ls --cached)")
	f := root.PersistentFlags()
	f.StringVar(&a.flags.mailbox, "mailbox", "", "configured mailbox `NAME`")
	root.RegisterFlagCompletionFunc("mailbox", func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		// The configured mailboxes, the default first; none without a
		// config. A name sanitize.Line would change (a control or bidi
		// character, a line break) is left out: the shell lists the
		// candidates on the terminal as they are.
		var names []string
		if cfg, err := a.config(); err == nil {
			for _, n := range cfg.names() {
				if strings.HasPrefix(n, prefix) && sanitize.Line(n) == n {
					names = append(names, n)
				}
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	f.StringVar(&a.flags.bucket, "bucket", "", "S3 `BUCKET` holding the mail")
	f.StringVar(&a.flags.prefix, "prefix", "", "key `PREFIX` of the receipt rule's S3 action")
	f.StringVar(&a.flags.region, "region", "", "AWS `REGION`")
	f.StringVar(&a.flags.profile, "profile", "", "AWS shared config `PROFILE`")
	f.StringVar(&a.flags.endpoint, "endpoint", "", "S3 endpoint `URL` (path-style addressing)")
	f.StringVar(&a.flags.sesEndpoint, "ses-endpoint", "", "SES endpoint `URL`")
	f.StringVar(&a.flags.dynamoEndpoint, "dynamodb-endpoint", "", "DynamoDB endpoint `URL` of the team table (team_table; over dynamodb_endpoint)")
	f.StringVar(&a.flags.logsEndpoint, "logs-endpoint", "", "CloudWatch Logs endpoint `URL` of the forwarder's log group (forwarder_logs; over logs_endpoint)")
	f.StringVar(&a.flags.config, "config", "", "config `FILE` (default $XDG_CONFIG_HOME/sesbox/config.toml)")
	f.BoolVar(&a.flags.demo, "demo", false, "use the embedded demo mailbox (no AWS account needed)")
	f.BoolVar(&a.flags.debug, "debug", false, "log every AWS request (credentials redacted) to stderr, or to the log file in the TUI")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if a.flags.debug {
			a.debug = &debugLog{w: a.stderr}
		}
		if err := checkFlags(cmd); err != nil {
			return err
		}
		if err := demoFlags(cmd, a.flags.demo || cmd.Name() == "demo"); err != nil {
			return err
		}
		for _, name := range []string{"endpoint", "ses-endpoint", "dynamodb-endpoint", "logs-endpoint"} {
			if v, _ := cmd.Flags().GetString(name); v != "" {
				if err := checkEndpoint(v); err != nil {
					return usagef(cmd, "--%s %q: %v", name, v, err)
				}
			}
		}
		return nil
	}

	show, reply, forward, mark := newShowCmd(a), newReplyCmd(a), newForwardCmd(a), newMarkCmd(a)
	show.ValidArgsFunction, reply.ValidArgsFunction = a.completeKeys(1), a.completeKeys(1)
	forward.ValidArgsFunction, mark.ValidArgsFunction = a.completeKeys(0), a.completeKeys(0)
	root.AddCommand(
		newLsCmd(a), show, newSaveCmd(a), newIndexCmd(a), newDemoCmd(a),
		newAuditCmd(a), newExportCmd(a),
		reply,
		forward,
		newTeamCmd(a), mark, newAccountCmd(a), newDraftsCmd(a),
	)
	// The completion scripts are written to the writer cobra holds when
	// the command is made: set it first.
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	strictBuiltins(root)
	// Every command's --help defined now, not as cobra runs the command:
	// cobra finds the command first, and took `sesbox --help index`'s
	// "index" for the value of a flag it did not know yet (the root's
	// help printed; `--help audit verify` printed audit's).
	var helpFlags func(c *cobra.Command)
	helpFlags = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		for _, sub := range c.Commands() {
			helpFlags(sub)
		}
	}
	helpFlags(root)
	return root
}
