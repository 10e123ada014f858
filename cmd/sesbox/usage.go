package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/query"
	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// usageError is a mistake in the command line (a missing argument, an
// unknown flag or command, a bad flag value), as opposed to a failure of
// the run: run prints it with the command's usage line, an example and
// where its help is, and exits with exitUsage (64), nothing having been
// done.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }

func (e *usageError) Unwrap() error { return e.err }

// usagef makes a usageError of cmd.
func usagef(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// notStdout refuses "-" as the value of the flags that name a file to
// write (flag name → value): the outputs of export and audit snapshot are
// files, not streams (a manifest beside an export, a snapshot --resume
// continues), and "-" made a file of that name. nil when none is "-".
func notStdout(cmd *cobra.Command, flags map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		if flags[name] == "-" {
			return usagef(cmd, "%s: --%s takes a file name, not \"-\": it writes files to keep (a manifest with them), not a stream to stdout", strings.TrimPrefix(cmd.CommandPath(), "sesbox "), name)
		}
	}
	return nil
}

// printUsageError writes err, then how cmd is used.
func printUsageError(w io.Writer, ue *usageError) {
	c := ue.cmd
	// The arguments quoted in it are the user's, perhaps pasted from a
	// message: sanitized as every error is.
	fmt.Fprintf(w, "sesbox: %s\nusage: %s\n", sanitize.Text(ue.err.Error()), c.UseLine())
	if ex, _, _ := strings.Cut(strings.TrimSpace(c.Example), "\n"); ex != "" {
		fmt.Fprintf(w, "  e.g. %s\n", strings.TrimSpace(ex))
	}
	fmt.Fprintf(w, "Run '%s --help' for more.\n", c.CommandPath())
}

// keyArgs checks a command's positional arguments: one (many: one or
// more) named name in the usage line ("KEY"), each about what it is. A
// missing one says both, so a script author sees what to pass without
// reading the help.
func keyArgs(name, about string, many bool) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 0:
			return usagef(cmd, "%s: missing %s (%s)", cmdName(cmd), name, about)
		case !many && len(args) > 1:
			return usagef(cmd, "%s takes one %s, got %d: %s", cmdName(cmd), name, len(args), quoteArgs(args))
		}
		return nil
	}
}

// noArgs is cobra.NoArgs with a usageError; on a command with
// subcommands, an argument is an unknown command, with cobra's
// suggestions.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2 // cobra's default for its own suggestions
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usagef(cmd, "%s (commands: %s)", msg, commandNames(cmd))
	}
	return usagef(cmd, "%s takes no arguments, got %s", cmdName(cmd), quoteArgs(args))
}

// groupCmd makes cmd (a command that only holds subcommands) say an
// unknown subcommand is one, instead of printing its help and exiting 0.
func groupCmd(cmd *cobra.Command) *cobra.Command {
	cmd.Args = noArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	return cmd
}

// flagUsage is every command's FlagErrorFunc: a bad flag is a usage error;
// an unknown one says which flag it may have meant (flagSuggestion).
func flagUsage(cmd *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		if s := flagSuggestion(cmd, ne.GetSpecifiedName(), ne.GetSpecifiedShortnames()); s != "" {
			err = fmt.Errorf("%w — %s", err, s)
		}
	}
	return &usageError{cmd: cmd, err: err}
}

// flagSuggestion says what an unknown flag of cmd may have meant: a long
// flag typed with one dash (shorts is then the whole word, -json), a
// flag one or two edits from one of cmd's (--josn), or a flag of other
// commands (--json before the command's name, where the root reads it;
// --mbox to ls); "" when none fits.
func flagSuggestion(cmd *cobra.Command, name, shorts string) string {
	var own []string
	for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.InheritedFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				own = append(own, f.Name)
			}
		})
	}
	if shorts != "" {
		if len(shorts) > 1 && slices.Contains(own, shorts) {
			return "did you mean --" + shorts + "? (a long flag takes two dashes)"
		}
		return ""
	}
	if c := mailstore.Closest(name, own); c != "" {
		return "did you mean --" + c + "?"
	}
	var owners []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if f := c.LocalNonPersistentFlags().Lookup(name); f != nil && !f.Hidden && c != cmd {
			owners = append(owners, cmdName(c))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd.Root())
	switch {
	case len(owners) == 0:
		return ""
	case cmd == cmd.Root():
		return fmt.Sprintf("a flag of %s: give it after the command's name, as in %s %s --%s",
			strings.Join(owners, ", "), cmd.Root().Name(), owners[0], name)
	}
	return fmt.Sprintf("a flag of %s, not of %s", strings.Join(owners, ", "), cmdName(cmd))
}

// checkFlags runs cobra's required-flag and flag-group checks early (cobra
// runs them again after this, finding nothing), so that their errors are
// usage errors too. A missing required flag is named with its value, as a
// missing argument is ("save: missing --dir DIR"; cobra said
// `required flag(s) "dir" not set`).
func checkFlags(cmd *cobra.Command) error {
	var missing []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if req := f.Annotations[cobra.BashCompOneRequiredFlag]; len(req) > 0 && req[0] == "true" && !f.Changed {
			value, _ := pflag.UnquoteUsage(f)
			missing = append(missing, "--"+f.Name+" "+value)
		}
	})
	if len(missing) > 0 {
		return usagef(cmd, "%s: missing %s", cmdName(cmd), strings.Join(missing, " and "))
	}
	if err := errors.Join(cmd.ValidateRequiredFlags(), cmd.ValidateFlagGroups()); err != nil {
		return &usageError{cmd: cmd, err: err}
	}
	return nil
}

// parseQuery parses cmd's --query q: one that does not parse is a
// mistake in the command line, a usage error, found before anything is
// listed, exported or sent.
func parseQuery(cmd *cobra.Command, q string) (query.Query, error) {
	qq, err := query.Parse(q, time.Now())
	if err != nil {
		return query.Query{}, flagUsage(cmd, err)
	}
	return qq, nil
}

// parseAsOf parses cmd's --as-of v (zero when not given) as ls's after:
// and audit log's --before take dates: one that does not parse is a
// usage error.
func parseAsOf(cmd *cobra.Command, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := query.ParseDate(v, time.Now())
	if err != nil {
		return time.Time{}, usagef(cmd, "%s: --as-of: %v", cmdName(cmd), err)
	}
	return t, nil
}

// asOfFlagHelp describes the --as-of flag of audit snapshot, audit verify and export.
const asOfFlagHelp = "the bucket as it stood at `DATE` (2026-03-01 is its midnight, local time; 2026-03-01T18:00, RFC 3339, 7d), rebuilt from its versions"

// cmdName is the command's path without the program's name: "audit verify".
func cmdName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}

// atLeast is an int flag that refuses a value below min when it is parsed,
// so that `--limit -1` or `--parallel 0` is a usage error naming its flag
// (they were taken silently as "no limit" or as the default).
type atLeast struct {
	p   *int
	min int
}

// intFlag defines an int flag on f that must be min or more.
func intFlag(f *pflag.FlagSet, p *int, name string, value, min int, usage string) {
	*p = value
	f.Var(&atLeast{p, min}, name, usage)
}

func (a *atLeast) String() string { return strconv.Itoa(*a.p) }

func (a *atLeast) Type() string { return "int" }

func (a *atLeast) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < a.min {
		return fmt.Errorf("must be %d or more", a.min)
	}
	*a.p = n
	return nil
}

// strictBuiltins makes cobra's own commands, help and completion, answer a
// mistake as every other command does: `sesbox help bogus` printed the
// root's help and `sesbox completion foo` the completion help, both
// exiting 0, so a script or a typo went unnoticed. cobra adds them only
// when it executes; adding them here lets them be changed (and lets
// TestPositionalArgsSayWhatIsMissing walk them).
func strictBuiltins(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Args = helpArgs
		case "completion":
			groupCmd(c)
			for _, shell := range c.Commands() {
				shell.Args = noArgs
			}
		}
	}
}

// helpArgs checks that `help TOPIC...` names a command; cobra's help
// command printed the root's help for any topic it did not know.
func helpArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	target, rest, err := cmd.Root().Find(args)
	if err == nil && len(rest) == 0 {
		return nil
	}
	topic := strings.Join(args, " ")
	if err == nil && target.HasSubCommands() {
		// noArgs names target's commands and cobra's suggestions.
		var ue *usageError
		if errors.As(noArgs(target, rest), &ue) {
			return usagef(cmd, "no help topic %q: %v", topic, ue.err)
		}
	}
	return usagef(cmd, "no help topic %q (commands: %s)", topic, commandNames(cmd.Root()))
}

// commandNames lists c's commands a user can run, comma-separated.
func commandNames(c *cobra.Command) string {
	var names []string
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() {
			names = append(names, s.Name())
		}
	}
	return strings.Join(names, ", ")
}

// demoFlags refuses, for the demo mailbox, the flags it would otherwise
// drop without a word: the ones that name another mailbox (the demo is
// its own bucket, served in-process), --inventory (the in-process S3 holds
// no inventory report) and --forwarder-logs without --logs-endpoint. The
// demo reads a forwarder's log, as it sends, only from a local endpoint
// named on the command line, never from the CloudWatch the environment's
// credentials reach (see demoWithoutSES).
func demoFlags(cmd *cobra.Command, demo bool) error {
	if !demo {
		return nil
	}
	f := cmd.Flags()
	for _, name := range []string{"mailbox", "bucket", "prefix", "endpoint", "inventory"} {
		if f.Changed(name) {
			return usagef(cmd, "--%s does not apply to the demo mailbox, which is the embedded one (drop --demo to use a configured mailbox)", name)
		}
	}
	if f.Changed("forwarder-logs") && !f.Changed("logs-endpoint") {
		return usagef(cmd, "--forwarder-logs with the demo mailbox needs --logs-endpoint URL (a local CloudWatch Logs): the demo never reads the log group your AWS credentials reach")
	}
	return nil
}
