package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sesbox/sesbox/mailstore/demo"
)

// TestNoConfigSaysWhereItLooked: without a config file, an unknown
// mailbox or no mailbox at all leads with the path searched and how to
// create it or name the bucket by flags; with one, an unknown mailbox
// names the mailboxes that exist.
func TestNoConfigSaysWhereItLooked(t *testing.T) {
	dir := isolate(t)
	want := filepath.Join(dir, "config", "sesbox", "config.toml")
	for _, args := range [][]string{{"--mailbox", "nope", "ls"}, {"ls"}, {"--mailbox", "nope", "show", "k"}} {
		_, errOut, code := sesbox(t, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
		if !strings.HasPrefix(errOut, "sesbox: no config file at "+want) {
			t.Errorf("%v: does not lead with the path searched:\n%s", args, errOut)
		}
		for _, s := range []string{"[mailbox.", "--bucket B", "--config FILE"} {
			if !strings.Contains(errOut, s) {
				t.Errorf("%v: the hint lacks %q:\n%s", args, s, errOut)
			}
		}
	}
	// XDG_CONFIG_HOME unset: the home directory's ~/.config.
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", dir)
	_, errOut, _ := sesbox(t, "ls")
	if p := filepath.Join(dir, ".config", "sesbox", "config.toml"); !strings.Contains(errOut, "no config file at "+p) {
		t.Errorf("without XDG_CONFIG_HOME: %q lacks %s", errOut, p)
	}
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))

	os.MkdirAll(filepath.Dir(want), 0o700)
	os.WriteFile(want, []byte("[mailbox.support]\nbucket = \"a\"\n[mailbox.sales]\nbucket = \"b\"\n"), 0o600)
	_, errOut, code := sesbox(t, "--mailbox", "nope", "ls")
	if code != 1 || !strings.HasPrefix(errOut, `sesbox: no mailbox "nope" in `+want+`: it defines sales, support`) {
		t.Errorf("unknown mailbox: exit %d, %q", code, errOut)
	}
	// Two mailboxes and no default: which to choose, not "no mailbox".
	_, errOut, code = sesbox(t, "ls")
	if code != 1 || !strings.Contains(errOut, "--mailbox sales") || !strings.Contains(errOut, `default = "sales"`) {
		t.Errorf("no default: exit %d, %q", code, errOut)
	}
	os.WriteFile(want, []byte("refresh = \"2m\"\n"), 0o600)
	_, errOut, code = sesbox(t, "ls")
	if code != 1 || !strings.Contains(errOut, want+" defines no mailbox") {
		t.Errorf("config without mailboxes: exit %d, %q", code, errOut)
	}
}

// TestPositionalArgsSayWhatIsMissing: every command that takes positional
// arguments says which one is missing and shows an example, not cobra's
// "accepts 1 arg(s), received 0"; extra arguments and unknown commands of
// a group are usage errors too, with the usage line, and exit 64.
func TestPositionalArgsSayWhatIsMissing(t *testing.T) {
	isolate(t)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Args == nil {
			t.Errorf("%s: no Args check", c.CommandPath())
			return
		}
		err := c.Args(c, nil)
		var ue *usageError
		if err != nil && (!errors.As(err, &ue) || c.Example == "") {
			t.Errorf("%s with no arguments: %v (example %q)", c.CommandPath(), err, c.Example)
		}
		if err := c.Args(c, []string{"a", "b"}); err != nil && !errors.As(err, &ue) {
			t.Errorf("%s with two arguments: %v is not a usage error", c.CommandPath(), err)
		}
	}
	walk(newRootCmd(&app{}))

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"show"}, []string{"sesbox: show: missing KEY (the object key or the SES message id; see sesbox ls)\n", "usage: sesbox show KEY", "e.g. sesbox show "}},
		{[]string{"audit", "verify"}, []string{"audit verify: missing MANIFEST", "e.g. sesbox audit verify "}},
		{[]string{"mark"}, []string{"mark: missing KEY", "usage: sesbox mark"}},
		{[]string{"show", "a", "b"}, []string{`show takes one KEY, got 2: "a" "b"`}},
		{[]string{"ls", "extra"}, []string{`ls takes no arguments, got "extra"`, "usage: sesbox ls"}},
		{[]string{"audit", "verfy"}, []string{`unknown command "verfy" for "sesbox audit"; did you mean verify?`}},
		{[]string{"team", "bogus"}, []string{`unknown command "bogus" for "sesbox team"`}},
		// cobra's "required flag(s) \"dir\" not set" named no value.
		{[]string{"save", "k"}, []string{"sesbox: save: missing --dir DIR\n", "usage: sesbox save KEY --dir DIR"}},
		{[]string{"audit", "snapshot"}, []string{"sesbox: audit snapshot: missing --out FILE\n", "e.g. sesbox audit snapshot --out "}},
		{[]string{"ls", "--bogus"}, []string{"unknown flag: --bogus", "Run 'sesbox ls --help'"}},
		{[]string{"show", "--raw", "--html", "k"}, []string{"[html raw] were all set", "usage: sesbox show"}},
		{[]string{"forward"}, []string{"forward: name the messages one way", "usage: sesbox forward", "e.g. sesbox forward "}},
		{[]string{"export"}, []string{"export: give exactly one of --mbox FILE or --maildir DIR", "e.g. sesbox export "}},
		// cobra's own commands: they printed help and exited 0.
		{[]string{"help", "bogus"}, []string{`no help topic "bogus"`, "commands: account, audit", "usage: sesbox help"}},
		{[]string{"help", "audit", "verfy"}, []string{`no help topic "audit verfy"`, "did you mean verify?"}},
		{[]string{"help", "ls", "extra"}, []string{`no help topic "ls extra"`}},
		{[]string{"help", "--bogus"}, []string{"unknown flag: --bogus", "usage: sesbox help"}},
		{[]string{"completion", "foo"}, []string{`unknown command "foo" for "sesbox completion"`, "bash, fish, powershell, zsh", "usage: sesbox completion"}},
		{[]string{"completion", "bash", "extra"}, []string{`completion bash takes no arguments, got "extra"`, "usage: sesbox completion bash"}},
		{[]string{"completion", "zsh", "--bogus"}, []string{"unknown flag: --bogus", "usage: sesbox completion zsh"}},
	} {
		out, errOut, code := sesbox(t, tc.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, stdout %q", tc.args, code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, errOut)
			}
		}
	}
	// A group alone still prints its help, and exits 0; so do help and
	// completion used rightly.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit"}, "snapshot"},
		{[]string{"help"}, "Available Commands"},
		{[]string{"help", "audit", "verify"}, "MANIFEST"},
		{[]string{"completion"}, "bash"},
		{[]string{"completion", "bash"}, "bash completion"},
	} {
		if out, _, code := sesbox(t, tc.args...); code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, out)
		}
	}
}

// TestFlagHelpNamesValues: cobra takes the first `quoted` word of a flag's
// usage as its value's name, so a quoted example in the text ("(as
// `ls --cached`)") made --cached look like it takes the value
// "ls --cached". Every value name is one word, and says what the value
// is rather than its Go type: --parallel read "--parallel int" where
// --limit reads "--limit N".
func TestFlagHelpNamesValues(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(f)
			if strings.ContainsAny(name, " -") || (f.Value.Type() == "bool" && name != "") ||
				(name != "" && name == f.Value.Type()) {
				t.Errorf("%s --%s: value named %q", c.CommandPath(), f.Name, name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&app{}))
}

// TestNoCredentialsHint: without credentials (nothing in the environment,
// no profile, no instance role) or with a profile that does not exist, the
// error leads with what to set, and the SDK's own log lines (IMDS
// fallbacks) never reach stderr.
func TestNoCredentialsHint(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	_, errOut, code := sesbox(t, "--bucket", "b", "--endpoint", "http://127.0.0.1:9", "ls")
	if code != 1 || !strings.HasPrefix(errOut, "sesbox: no AWS credentials found — ") || !strings.Contains(errOut, "--profile") {
		t.Errorf("no credentials: exit %d, %q", code, errOut)
	}
	// An instance metadata service that refuses tokens, as outside EC2
	// some networks do: the SDK would log its fallback to IMDSv1.
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer imds.Close()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	// The SDK's default logger writes to the process's stderr.
	procErr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = procErr
	_, errOut, code = sesbox(t, "--bucket", "b", "--endpoint", "http://127.0.0.1:9", "ls")
	os.Stderr = saved
	if code != 1 || !strings.HasPrefix(errOut, "sesbox: no AWS credentials found — ") {
		t.Errorf("no credentials, IMDS refusing: exit %d, %q", code, errOut)
	}
	if logged, _ := os.ReadFile(procErr.Name()); len(logged) > 0 {
		t.Errorf("the SDK logged to stderr: %q", logged)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	_, errOut, code = sesbox(t, "--bucket", "b", "--profile", "nosuch", "ls")
	if code != 1 || !strings.HasPrefix(errOut, `sesbox: no AWS profile "nosuch" in `) || !strings.Contains(errOut, "none") {
		t.Errorf("unknown profile: exit %d, %q", code, errOut)
	}
}

// TestConfigUnknownKeyLine: a mistyped key says on which line it is and
// which keys its table takes; a TOML syntax error keeps its line.
func TestConfigUnknownKeyLine(t *testing.T) {
	dir := isolate(t)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	for _, tc := range []struct{ toml, want string }{
		{"default = \"a\"\n\n[mailbox.a]\nbucket = \"x\"\nbukcet = \"y\"\n", "fix mailbox.a.bukcet at line 5 of " + cfg + " — sesbox takes no such key: did you mean bucket? (a mailbox takes bucket, prefix, region, "},
		{"mose = true\n[mailbox.a]\nbucket = \"x\"\n", "fix mose at line 1 of " + cfg + " — sesbox takes no such key: did you mean mouse? (the top level takes default, mailbox, keys, mouse, refresh)"},
		{"[mailbox.a]\nbucket = \"x\nprefix = \"p\"\n", "line 2"},
		// A TUI action that does not exist: every command said nothing of
		// it, and the TUI refused to start without saying where it was.
		{"[keys]\n\"list.down\" = [\"j\"]\n\"list.dwn\" = [\"n\"]\n[mailbox.a]\nbucket = \"x\"\n", `fix keys."list.dwn" at line 3 of ` + cfg + ` — sesbox takes no such key: did you mean list.down? (an action of the help screen: `},
		// A table inside a mailbox: no line was given.
		{"[mailbox.a]\nbucket = \"x\"\n\n[mailbox.a.extra]\ny = 1\n", "fix mailbox.a.extra at line 4 of " + cfg + " — sesbox takes no such key (a mailbox takes "},
	} {
		os.WriteFile(cfg, []byte(tc.toml), 0o600)
		_, errOut, code := sesbox(t, "ls")
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %q, want %q", tc.toml, code, errOut, tc.want)
		}
	}
}

// TestTUINeedsATerminal: sesbox (or sesbox demo) with stdout in a pipe or
// file says to use the commands, instead of drawing into it.
func TestTUINeedsATerminal(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{{"--demo"}, {"demo"}} {
		out, errOut, code := sesbox(t, args...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "sesbox: the terminal UI needs a terminal on stdout; scripts use the commands: sesbox ls") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// TestEndpointMustBeAURL: an endpoint that is not an http(s) URL is
// refused before any request, naming the flag or the config key, instead
// of the SDK's "endpoint rule error" at the first call.
func TestEndpointMustBeAURL(t *testing.T) {
	dir := isolate(t)
	_, errOut, code := sesbox(t, "--bucket", "b", "--endpoint", "notaurl", "ls")
	if code != exitUsage || !strings.HasPrefix(errOut, `sesbox: --endpoint "notaurl": want an http:// or https:// URL`) || !strings.Contains(errOut, "usage: sesbox ls") {
		t.Errorf("--endpoint: exit %d, %q", code, errOut)
	}
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte("[mailbox.a]\nbucket = \"x\"\nses_endpoint = \"localhost:8005\"\n"), 0o600)
	_, errOut, code = sesbox(t, "ls")
	if code != 1 || !strings.HasPrefix(errOut, `sesbox: fix mailbox.a.ses_endpoint at line 3 of `+cfg+` — want an http:// or https:// URL with a host`) || !strings.Contains(errOut, `(ses_endpoint = "localhost:8005")`) {
		t.Errorf("ses_endpoint: exit %d, %q", code, errOut)
	}
}

// TestDemoSendsNowhereWithoutSESEndpoint: the demo mailbox's replies,
// forwards and account go to a local SES only when --ses-endpoint names
// one, as in the TUI; never to the SES the environment's credentials and
// endpoints reach. The reply's draft is kept.
func TestDemoSendsNowhereWithoutSESEndpoint(t *testing.T) {
	dir := isolate(t)
	calls := 0
	ses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		http.Error(w, "{}", http.StatusBadRequest)
	}))
	defer ses.Close()
	t.Setenv("AWS_ENDPOINT_URL_SESV2", ses.URL)
	key := demoKey(t, "WX-200 컨트롤러")
	fwd, _ := writeForwardConfig(t, dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--demo", "reply", key, "--body-file", writeFile(t, "body.txt", "Thanks"), "--yes"}, "the draft is in "},
		{[]string{"--demo", "forward", "--forward-config", fwd, "--yes", key}, "--dry-run DIR"},
		{[]string{"--demo", "account"}, ""},
	} {
		_, errOut, code := sesbox(t, tc.args...)
		if code != 1 || !strings.Contains(errOut, "the demo mailbox has no SES: give --ses-endpoint URL") || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args[1], code, errOut)
		}
	}
	if calls > 0 {
		t.Errorf("%d requests reached SES", calls)
	}
}

// TestNegativeCountsAreUsageErrors: --limit -1 and --parallel 0 are
// refused naming their flag (they were taken as "no limit" and as the
// default), and --limit 0 still means all.
func TestNegativeCountsAreUsageErrors(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{
		{"--demo", "ls", "--limit", "-1"},
		{"--demo", "export", "--parallel", "0", "--mbox", filepath.Join(t.TempDir(), "x.mbox")},
		{"--demo", "audit", "verify", "--parallel", "-3", "m.json"},
		{"--demo", "save", "--part", "-1", "--dir", t.TempDir(), "k"},
	} {
		_, errOut, code := sesbox(t, args...)
		flag := map[string]string{"ls": "--limit", "export": "--parallel", "audit": "--parallel", "save": "--part"}[args[1]]
		if code != exitUsage || !strings.Contains(errOut, `for "`+flag+`" flag`) || !strings.Contains(errOut, "usage: sesbox") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error naming %s", args, code, errOut, flag)
		}
	}
	out, errOut, code := sesbox(t, "--demo", "ls", "--limit", "0")
	if code != 0 || strings.Count(out, "\n") < 10 {
		t.Errorf("ls --limit 0: exit %d, %d lines, stderr %q; want every message", code, strings.Count(out, "\n"), errOut)
	}
}

// TestInterruptExits130: a run ended by Ctrl-C (its context cancelled)
// exits 130, as a shell reports SIGINT, and says it was interrupted.
func TestInterruptExits130(t *testing.T) {
	isolate(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"--demo", "ls", "--json"}, strings.NewReader(""), &out, &errb)
	if code != 130 || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q; want 130 and 'interrupted'", code, errb.String())
	}
}

// TestEveryCommandShowsAnExample: every command of sesbox's own, groups
// and the root included, has an example in its --help and in the usage
// error a mistake prints ("e.g. sesbox ..."), as the README promises: ls,
// index, audit snapshot, audit posture, audit log, account, team, demo and
// the root had none, so `sesbox ls --bogus` showed no way to use ls.
func TestEveryCommandShowsAnExample(t *testing.T) {
	isolate(t)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "help" || c.Name() == "completion" {
			return // cobra's own; completion's Long is its example
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.HasExample() {
			t.Errorf("%s: no example", c.CommandPath())
			return
		}
		for _, line := range strings.Split(strings.TrimSpace(c.Example), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), c.CommandPath()) {
				t.Errorf("%s: example %q does not run %s", c.CommandPath(), line, c.CommandPath())
			}
		}
	}
	walk(newRootCmd(&app{}))
	for _, args := range [][]string{{"ls", "--bogus"}, {"audit", "snapshot"}, {"lss"}, {"index", "--bogus"}} {
		_, errOut, code := sesbox(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "e.g. sesbox ") {
			t.Errorf("%v: exit %d, no example:\n%s", args, code, errOut)
		}
	}
}

// TestBadQueryOrSortIsAUsageError: a --query that does not parse or a
// --sort that names no field is a mistake in the command line, as the
// README says of a bad flag value: exit 64 with the usage line, before
// anything is listed, exported or sent. They exited 1, as a failed run
// does, so a script could not tell a typo from an unreachable bucket.
func TestBadQueryOrSortIsAUsageError(t *testing.T) {
	dir := isolate(t)
	mbox := filepath.Join(dir, "out.mbox")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--demo", "ls", "--sort", "sise"}, `sort by "sise": want date, from, subject or size`},
		{[]string{"--demo", "ls", "--query", "after:someday"}, `query "after:someday"`},
		{[]string{"--demo", "ls", "--cached", "--query", "frm:x"}, `query "frm:x": frm: is not a term`},
		{[]string{"--demo", "export", "--mbox", mbox, "--query", "foo:bar"}, `query "foo:bar"`},
		{[]string{"--demo", "forward", "--dry-run", dir, "--query", "before:nope"}, `query "before:nope"`},
	} {
		out, errOut, code := sesbox(t, tc.args...)
		cmd := tc.args[1]
		if code != exitUsage || out != "" || !strings.HasPrefix(errOut, "sesbox: "+tc.want) ||
			!strings.Contains(errOut, "usage: sesbox "+cmd) {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s", tc.args, code, out, errOut)
		}
	}
	if _, err := os.Lstat(mbox); !os.IsNotExist(err) {
		t.Errorf("export with a bad query left %s: %v", mbox, err)
	}
}

// TestLsOfAnEmptyPrefixSaysSo: a mistyped --prefix (inbx/ for inbox/)
// listed nothing and exited 0 without a word, as if the mailbox were
// empty; ls now says on stderr that nothing is under that location and
// what to check, leaving stdout empty (and valid for --json). A query
// that matches nothing says nothing, as grep does.
func TestLsOfAnEmptyPrefixSaysSo(t *testing.T) {
	isolate(t)
	flags, _, _ := demoBucket(t)
	flags[len(flags)-1] = "inbx/" // --prefix
	for _, extra := range [][]string{nil, {"--json"}, {"--cached"}} {
		out, errOut, code := sesbox(t, append(append(flags, "ls"), extra...)...)
		want := "sesbox: no messages under s3://mail/inbx/ — check --prefix"
		if len(extra) > 0 && extra[0] == "--cached" {
			want = "sesbox: no messages under s3://mail/inbx/ in the local index — `sesbox index` reads the bucket (ls --cached does not); if it finds none, check --prefix"
		}
		if code != 0 || out != "" || !strings.HasPrefix(errOut, want) {
			t.Errorf("ls %v: exit %d, stdout %q, stderr %q", extra, code, out, errOut)
		}
	}
	flags, _, _ = demoBucket(t)
	out, errOut, code := sesbox(t, append(flags, "ls", "--query", "subject:no-such-subject-anywhere")...)
	if code != 0 || out != "" || strings.Contains(errOut, "no messages under") {
		t.Errorf("a query matching nothing: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestCompletionOffersMailboxesAndSortFields: `sesbox completion` was
// offered, but Tab after --mailbox offered nothing (not the configured
// mailboxes), nor after ls --sort (not its four fields). A mailbox name
// holding a control or bidi character is not offered: the shell lists
// the candidates on the terminal as they are, and one named
// "sa<ESC>]0;x<BEL>les" retitled the window.
func TestCompletionOffersMailboxesAndSortFields(t *testing.T) {
	dir := isolate(t)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte("default = \"support\"\n[mailbox.support]\nbucket = \"a\"\n[mailbox.sales]\nbucket = \"b\"\n"+
		"[mailbox.\"sa\\u001b]0;x\\u0007les\"]\nbucket = \"c\"\n[mailbox.\"sa\\u202eles\"]\nbucket = \"d\"\n[mailbox.\"sa\\u009b2Jles\"]\nbucket = \"e\"\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "--mailbox", ""}, []string{"support", "sales"}},
		{[]string{"__complete", "--mailbox", "sa"}, []string{"sales"}},
		{[]string{"__complete", "ls", "--sort", ""}, []string{"date", "from", "subject", "size"}},
	} {
		out, errOut, code := sesbox(t, tc.args...)
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.HasPrefix(l, ":") {
				got = append(got, l)
			}
		}
		if code != 0 || strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%v: exit %d, got %q, want %q (stderr %q)", tc.args, code, got, tc.want, errOut)
		}
	}
}

// TestLsCachedAfterAHealedIndexSaysHowToRebuild: a damaged index is moved
// aside and an empty one made; `ls --cached` then said "moved it aside and
// rebuilding it from S3" (it does not read S3) and "no messages under
// s3://… — check --prefix", sending the user after a prefix that was
// right. It now says the index holds nothing there and that `sesbox
// index` reads the bucket; plain `ls` rebuilds it.
func TestLsCachedAfterAHealedIndexSaysHowToRebuild(t *testing.T) {
	dir := isolate(t)
	flags, _, msgs := demoBucket(t)
	if _, errOut, code := sesbox(t, append(flags, "ls")...); code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errOut)
	}
	dbs, _ := filepath.Glob(filepath.Join(dir, "cache", "sesbox", "index-*.db"))
	if len(dbs) != 1 {
		t.Fatalf("index files: %v", dbs)
	}
	if err := os.Truncate(dbs[0], 5000); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := sesbox(t, append(flags, "ls", "--cached")...)
	if code != 0 || out != "" || strings.Contains(errOut, "rebuilding it from S3") ||
		!strings.Contains(errOut, "is damaged") ||
		!strings.Contains(errOut, "sesbox: no messages under s3://mail/"+demo.Prefix+" in the local index — `sesbox index` reads the bucket") {
		t.Errorf("ls --cached after healing: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	out, errOut, code = sesbox(t, append(flags, "ls")...)
	if code != 0 || strings.Count(out, "\n") != len(msgs) {
		t.Errorf("ls after healing: exit %d, %d rows of %d, stderr:\n%s", code, strings.Count(out, "\n"), len(msgs), errOut)
	}
}

// TestNoCredentialsFailsFastWhereIMDSHangs: with no credentials at all
// and an instance metadata service that takes the connection and never
// answers (a laptop on a network that swallows 169.254.169.254, a proxy),
// a forward --dry-run against the demo and a local SES waited 5.4 s for
// the SDK's IMDS time-out before it wrote anything. The instance role is
// now asked for at most imdsCredentialsTimeout: the dry run writes its
// file and says, hint first, what it could not check.
func TestNoCredentialsFailsFastWhereIMDSHangs(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	hang := make(chan struct{})
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer imds.Close()
	defer close(hang)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	const key = "inbox/9654fpu9mcqevtjmtg6bhd7d9jlr34udr0ifb8ba" // a demo message a run sends
	if _, ok := demo.Messages()[key]; !ok {
		t.Fatalf("the demo has no %s", key)
	}
	dir := t.TempDir()
	start := time.Now()
	out, errOut, code := sesbox(t, "--demo", "--ses-endpoint", "http://127.0.0.1:9", "forward", "--to", "a@example.com", "--dry-run", dir, key)
	took := time.Since(start)
	if code != 0 || !strings.Contains(out, `"status":"dry-run"`) {
		t.Fatalf("exit %d, %q, %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "SES account not read, so quota, sandbox and suppression list not checked: no AWS credentials found — set --profile") {
		t.Errorf("stderr %q: want what was not checked, the hint first", errOut)
	}
	// Uncapped, the SDK's IMDS client gives up after 5 s (measured 5.06 s);
	// capped, the run takes 1.1 s alone and up to 2.2 s under -race at a
	// load of 18: 4 s tells the two apart with room for a busy machine.
	if took > 4*imdsCredentialsTimeout {
		t.Errorf("the dry run took %v without credentials, waiting on the instance metadata service", took)
	}
}

// TestUnknownFlagSaysWhichItMeant: a mistyped flag names the flag it is
// one or two edits from, a flag of another command says whose it is (a
// flag given before the command's name, `sesbox --json ls`, said only
// "unknown flag" under the root's usage), and a long flag with one dash
// names its two-dash form; each is still a usage error (64).
func TestUnknownFlagSaysWhichItMeant(t *testing.T) {
	isolate(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ls", "--josn"}, "sesbox: unknown flag: --josn — did you mean --json?\nusage: sesbox ls"},
		{[]string{"ls", "--bukcet", "b"}, "unknown flag: --bukcet — did you mean --bucket?"},
		{[]string{"--json", "ls"}, "unknown flag: --json — a flag of account, audit log, audit posture, audit verify, audit verify-export, drafts, ls, team resolve, team status: give it after the command's name, as in sesbox account --json\n"},
		{[]string{"ls", "--mbox", "x"}, "unknown flag: --mbox — a flag of export, not of ls\n"},
		{[]string{"ls", "-json"}, "unknown shorthand flag: 'j' in -json — did you mean --json? (a long flag takes two dashes)\n"},
		{[]string{"export", "-mbox", "x"}, "did you mean --mbox? (a long flag takes two dashes)"},
		// Nothing near: as before.
		{[]string{"ls", "--zzzzzz"}, "sesbox: unknown flag: --zzzzzz\nusage: sesbox ls"},
	} {
		_, errOut, code := sesbox(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d,\n%s\nwant %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestConfigUnknownKeySaysWhichItMeant: a config key one or two edits
// from one its table takes names it, before the list of them all (the
// list alone left the reader to spot bukcet among 18 keys).
func TestConfigUnknownKeySaysWhichItMeant(t *testing.T) {
	dir := isolate(t)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	for _, tc := range []struct{ toml, want string }{
		{"[mailbox.a]\nbukcet = \"y\"\n", "fix mailbox.a.bukcet at line 2 of " + cfg + " — sesbox takes no such key: did you mean bucket? (a mailbox takes bucket, "},
		{"[mailboxes.a]\nbucket = \"y\"\n", "fix mailboxes at line 1 of " + cfg + " — sesbox takes no such key: did you mean mailbox? (the top level takes "},
		{"[keys]\n\"list.dwn\" = [\"n\"]\n[mailbox.a]\nbucket = \"x\"\n", `fix keys."list.dwn" at line 2 of ` + cfg + ` — sesbox takes no such key: did you mean list.down? (an action of the help screen: `},
		{"[mailbox.a]\nbucket = \"x\"\nqueue = \"q\"\n", "fix mailbox.a.queue at line 3 of " + cfg + " — sesbox takes no such key (a mailbox takes "},
	} {
		os.WriteFile(cfg, []byte(tc.toml), 0o600)
		_, errOut, code := sesbox(t, "ls")
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %q, want %q", tc.toml, code, errOut, tc.want)
		}
	}
}

// TestHelpFlagBeforeTheCommand: `sesbox --help index` (as `git --help
// log`) printed the root's help: cobra took "index" for the value of a
// --help it did not know yet. It prints the command's help, as `sesbox
// index --help` and `sesbox help index` do.
func TestHelpFlagBeforeTheCommand(t *testing.T) {
	isolate(t)
	want, _, _ := sesbox(t, "index", "--help")
	for _, args := range [][]string{{"--help", "index"}, {"-h", "index"}, {"help", "index"}, {"--help", "audit", "verify"}} {
		out, errOut, code := sesbox(t, args...)
		if args[len(args)-1] == "verify" {
			want, _, _ = sesbox(t, "audit", "verify", "--help")
		}
		if code != 0 || out != want {
			t.Errorf("%q: exit %d, %q\n%.200s", args, code, errOut, out)
		}
	}
}

// TestDemoWithACommandSaysToUseTheFlag: `sesbox demo ls` (to try a
// command on the demo mailbox) said only "demo takes no arguments, got
// \"ls\""; it names the flag that does it, with the line to type.
func TestDemoWithACommandSaysToUseTheFlag(t *testing.T) {
	isolate(t)
	_, errOut, code := sesbox(t, "demo", "audit", "posture")
	if want := `sesbox: demo takes no arguments, got "audit" "posture" — to run a command on the demo mailbox, give --demo: sesbox --demo audit posture` + "\n"; code != exitUsage || !strings.HasPrefix(errOut, want) {
		t.Errorf("exit %d, %q\nwant %q", code, errOut, want)
	}
	_, errOut, code = sesbox(t, "demo", "nope")
	if want := `sesbox: demo takes no arguments, got "nope"` + "\n"; code != exitUsage || !strings.HasPrefix(errOut, want) {
		t.Errorf("exit %d, %q", code, errOut)
	}
}

// TestWatchWithoutAQueueSaysWhatToSet: `index --watch` on a mailbox
// without queue_url said only "the mailbox has no queue_url"; it says
// first what to set, and what the queue is.
func TestWatchWithoutAQueueSaysWhatToSet(t *testing.T) {
	isolate(t)
	_, errOut, code := sesbox(t, "--bucket", "b", "index", "--watch")
	if want := "sesbox: set queue_url in the mailbox's [mailbox.NAME] table of the config file: the SQS queue subscribed to the receipt rule's SNS topic (see docs/scale.md) (index --watch: the mailbox has no queue_url)\n"; code != 1 || errOut != want {
		t.Errorf("exit %d, %q\nwant %q", code, errOut, want)
	}
	// A mailbox of the config file is named, with the file.
	dir := isolate(t)
	cfg := filepath.Join(dir, "config", "sesbox", "config.toml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("[mailbox.support]\nbucket = \"b\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = sesbox(t, "index", "--watch")
	if want := "sesbox: set queue_url in [mailbox.support] in " + cfg + ": "; code != 1 || !strings.HasPrefix(errOut, want) {
		t.Errorf("exit %d, %q\nwant it to begin %q", code, errOut, want)
	}
}

// TestConfigFlagToAMissingFileSaysSoFirst: --config naming no file said
// "config PATH: open PATH: no such file or directory"; it leads with what
// to check and where sesbox looks without the flag.
func TestConfigFlagToAMissingFileSaysSoFirst(t *testing.T) {
	dir := isolate(t)
	missing := filepath.Join(dir, "nope.toml")
	_, errOut, code := sesbox(t, "--config", missing, "ls")
	want := "sesbox: no config file at " + missing + " — check --config (without it: " + filepath.Join(dir, "config", "sesbox", "config.toml") + ") ("
	if code != 1 || !strings.HasPrefix(errOut, want) {
		t.Errorf("exit %d, %q\nwant %q", code, errOut, want)
	}
}

// TestConfigSyntaxErrorSaysWhereToFixFirst: a config file that is not
// TOML said "config PATH: toml: line 1 (last key "default"): strings
// cannot contain newlines", the parser's words first; it leads with the
// file and the line (and column) to fix, then the parser's words.
func TestConfigSyntaxErrorSaysWhereToFixFirst(t *testing.T) {
	dir := isolate(t)
	path := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(path, []byte("default = \"big\n[mailbox.big]\nbucket = \"mail\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := sesbox(t, "--config", path, "ls")
	want := "sesbox: fix the TOML syntax at line 1, column 15 of " + path + " (" + `toml: line 1 (last key "default"): strings cannot contain newlines)` + "\n"
	if code != 1 || errOut != want {
		t.Errorf("exit %d, %q\nwant %q", code, errOut, want)
	}
}

// TestConfigTypeErrorSaysWhatTheKeyTakesFirst: a value of the wrong type
// (prefix = 5) said only the decoder's words, "config PATH: toml: line 3
// (last key "mailbox.a.prefix"): incompatible types: TOML value has type
// int64; destination has type string"; it leads with the key, the file and
// the line to fix and what the key takes, then the decoder's words.
func TestConfigTypeErrorSaysWhatTheKeyTakesFirst(t *testing.T) {
	dir := isolate(t)
	for _, tc := range []struct{ doc, hint string }{
		{"[mailbox.a]\nbucket = \"mail\"\nprefix = 5\n", `fix mailbox.a.prefix at line 3 of %s — it takes a string, in quotes ("..."), not an integer`},
		{"mouse = \"yes\"\n", `fix mouse at line 1 of %s — it takes true or false, not a string`},
		{"[mailbox.a]\nheader_rate = \"2\"\n", `fix mailbox.a.header_rate at line 2 of %s — it takes a number, not a string`},
		{"[mailbox.a]\nidentity_domains = \"acme.example\"\n", `fix mailbox.a.identity_domains at line 2 of %s — it takes a list ([...]), not a string`},
		{"[keys]\n\"list.down\" = \"j\"\n", `fix keys."list.down" at line 2 of %s — it takes a list ([...]), not a string`},
	} {
		path := filepath.Join(dir, "typed.toml")
		if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := sesbox(t, "--config", path, "ls")
		want := "sesbox: " + fmt.Sprintf(tc.hint, path) + " (toml: line "
		if code != 1 || !strings.HasPrefix(errOut, want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, %q\nwant it to start %q", tc.doc, code, errOut, want)
		}
	}
}

// TestDashIsNoFileToWriteTo: `export --mbox -` (stdout, as many tools
// read "-") wrote a 1.8 MB file named "-" and "-.manifest.jsonl" in the
// working directory, and nothing to the pipe; so did `audit snapshot
// --out -`. These outputs are files (a manifest beside an export, a
// snapshot --resume continues): "-" is refused as a usage mistake, before
// anything is read.
func TestDashIsNoFileToWriteTo(t *testing.T) {
	dir := isolate(t)
	t.Chdir(dir)
	for _, args := range [][]string{
		{"export", "--mbox", "-"}, {"export", "--maildir", "-"}, {"export", "--mbox", "x.mbox", "--manifest", "-"},
		{"audit", "snapshot", "--out", "-"},
	} {
		_, errOut, code := sesbox(t, append([]string{"--demo"}, args...)...)
		if code != exitUsage || !strings.Contains(errOut, `not "-": `) {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	if ents, _ := os.ReadDir(dir); slices.ContainsFunc(ents, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), "-") || e.Name() == "x.mbox" }) {
		t.Errorf("files written: %v", ents)
	}
}

// TestConfigBadRefreshSaysWhereFirst: refresh = "5x" said "config FILE:
// config: refresh = "5x": want a duration such as "2m", or "off"" (config
// twice, the fix last); it leads with the line to fix and what it takes,
// as a value of the wrong type does.
func TestConfigBadRefreshSaysWhereFirst(t *testing.T) {
	dir := isolate(t)
	path := filepath.Join(dir, "refresh.toml")
	if err := os.WriteFile(path, []byte("mouse = true\nrefresh = \"5x\"\n[mailbox.a]\nbucket = \"mail\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := sesbox(t, "--config", path, "ls")
	want := `sesbox: fix refresh at line 2 of ` + path + ` — it takes a duration such as "2m", or "off" (refresh = "5x": ` + "\n"
	if code != 1 || !strings.HasPrefix(errOut, strings.TrimSuffix(want, "\n")) || strings.Count(errOut, "config") != 0 {
		t.Errorf("exit %d, %q\nwant %q", code, errOut, want)
	}
}

// TestConfigUndefinedDefaultSaysWhatToFixFirst: default = "suport" (a
// typo) said "config FILE: default = "suport": that mailbox is not
// defined (...)", what to do last; it leads with the line to fix and the
// mailbox it may have meant.
func TestConfigUndefinedDefaultSaysWhatToFixFirst(t *testing.T) {
	dir := isolate(t)
	path := filepath.Join(dir, "default.toml")
	if err := os.WriteFile(path, []byte("# mine\ndefault = \"suport\"\n[mailbox.support]\nbucket = \"mail\"\n[mailbox.sales]\nbucket = \"mail\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := sesbox(t, "--config", path, "ls")
	want := `sesbox: fix default at line 2 of ` + path + ` — did you mean support? (it names a [mailbox.NAME] table: sales, support) (default = "suport": that mailbox is not defined`
	if code != 1 || !strings.HasPrefix(errOut, want) {
		t.Errorf("exit %d, %q\nwant %q", code, errOut, want)
	}
}

// TestDemoForwardDryRunUsesTheBuiltInConfig: the README has the demo try
// re-forwarding without an AWS account ("sesbox --demo forward needs
// --dry-run DIR"), and the TUI's `f` uses a built-in forwarder config; the
// command said "no forwarder config: give --forward-config FILE ...". It
// uses the same built-in config as the TUI.
func TestDemoForwardDryRunUsesTheBuiltInConfig(t *testing.T) {
	dir := isolate(t)
	key := demoKey(t, "WX-200 컨트롤러")
	out := filepath.Join(dir, "dry")
	stdout, errOut, code := sesbox(t, "--demo", "forward", "--dry-run", out, key)
	if code != 0 || !strings.Contains(stdout, `"status":"dry-run"`) {
		t.Fatalf("exit %d, %q\n%s", code, errOut, stdout)
	}
	ents, err := os.ReadDir(out)
	if err != nil || len(ents) != 1 {
		t.Fatalf("%v %v", ents, err)
	}
	b, _ := os.ReadFile(filepath.Join(out, ents[0].Name()))
	if !strings.Contains(string(b), "forwarder@acme-demo.example") {
		t.Errorf("not rewritten with the demo's config:\n%.600s", b)
	}
}

// TestForwardTermsWithoutALogAreRefused: forward: terms go by the
// forwarding Lambda's log. On a mailbox that reads none (no
// forwarder_logs, no --forwarder-logs) and never did (no status in its
// index; one read before answers from those, as
// TestForwarderLogsEndToEnd's ls does), forward's own --help example
// `sesbox forward --query forward:failed --yes` said "forward: no
// messages to forward", and `ls --query forward:failed` printed nothing
// and exited 0, as if nothing had failed. Each is refused before
// anything is listed, hint first (what to set), exit 1, nothing written;
// ls --cached answers from the index as it is, as it always does.
func TestForwardTermsWithoutALogAreRefused(t *testing.T) {
	dir := isolate(t)
	flags, rec, _ := demoBucket(t)
	cfgPath, _ := writeForwardConfig(t, dir)
	mbox := filepath.Join(dir, "failed.mbox")
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"ls", "--query", "forward:failed"}, "sesbox: give --forwarder-logs /aws/lambda/NAME (the forwarding Lambda's CloudWatch log group), or set forwarder_logs in the mailbox's [mailbox.NAME] table of the config file (ls: forward: terms go by"},
		{[]string{"ls", "--json", "--query", "from:x -forward:ok"}, "sesbox: give --forwarder-logs /aws/lambda/NAME"},
		{[]string{"forward", "--forward-config", cfgPath, "--query", "forward:failed", "--yes"}, `sesbox: set forwarder_logs = "/aws/lambda/NAME" (the forwarding Lambda's CloudWatch log group) in the mailbox's [mailbox.NAME] table of the config file (forward: forward: terms go by`},
		{[]string{"export", "--mbox", mbox, "--query", "forward:none"}, `sesbox: set forwarder_logs = "/aws/lambda/NAME"`},
	} {
		before := len(rec.Requests())
		out, errOut, code := sesbox(t, append(flags, tc.args...)...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, tc.hint) {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s\nwant exit 1 and a line starting %q", tc.args, code, out, errOut, tc.hint)
		}
		if n := len(rec.Requests()) - before; n != 0 {
			t.Errorf("%v: %d requests to S3 before refusing", tc.args, n)
		}
	}
	if _, err := os.Lstat(mbox); !os.IsNotExist(err) {
		t.Errorf("export left %s: %v", mbox, err)
	}
	// A mailbox of the config file is named, with the file (it said "in
	// the mailbox's config").
	conf := filepath.Join(dir, "named.toml")
	if err := os.WriteFile(conf, []byte("[mailbox.support]\nbucket = \"mail\"\nprefix = \"inbox/\"\nendpoint = \"http://127.0.0.1:1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := sesbox(t, "--config", conf, "forward", "--forward-config", cfgPath, "--query", "forward:failed", "--yes"); code != 1 ||
		!strings.HasPrefix(errOut, `sesbox: set forwarder_logs = "/aws/lambda/NAME" (the forwarding Lambda's CloudWatch log group) in [mailbox.support] in `+conf+" (forward: ") {
		t.Errorf("forward of a named mailbox: exit %d:\n%s", code, errOut)
	}
	if _, errOut, code := sesbox(t, "--demo", "ls", "--query", "forward:failed"); code != 1 || !strings.HasPrefix(errOut, "sesbox: leave out the forward: terms: the demo mailbox reads no forwarding Lambda's log") {
		t.Errorf("demo: exit %d:\n%s", code, errOut)
	}
	if _, errOut, code := sesbox(t, append(flags, "ls")...); code != 0 {
		t.Fatalf("ls: exit %d:\n%s", code, errOut)
	}
	if _, errOut, code := sesbox(t, append(flags, "ls", "--cached", "--query", "forward:failed")...); code != 0 {
		t.Errorf("ls --cached: exit %d:\n%s", code, errOut)
	}
}

// TestExportIntoAMissingDirectoryIsRefused: export --mbox DIR/FILE made
// every missing directory of DIR, so a mistyped path put the export where
// nobody looks (the TUI's e did the same). A directory that does not
// exist (FILE's, DIR's parent for --maildir, the manifest's) is refused
// before anything is read, hint first, nothing made; --parents makes it,
// as the TUI's :export --parents does (audit.ExportOptions.Parents).
func TestExportIntoAMissingDirectoryIsRefused(t *testing.T) {
	dir := isolate(t)
	missing := filepath.Join(dir, "no", "such")
	for _, args := range [][]string{
		{"export", "--mbox", filepath.Join(missing, "x.mbox")},
		{"export", "--maildir", filepath.Join(missing, "md")},
		{"export", "--mbox", filepath.Join(dir, "x.mbox"), "--manifest", filepath.Join(missing, "x.manifest.jsonl")},
	} {
		_, errOut, code := sesbox(t, append([]string{"--demo"}, args...)...)
		if code != 1 || !strings.HasPrefix(errOut, "sesbox: to make "+missing+", give --parents") || !strings.Contains(errOut, "no such directory") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
		if _, err := os.Lstat(filepath.Join(dir, "no")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%v: refused, yet made %s (%v)", args, filepath.Join(dir, "no"), err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "x.mbox")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%v: refused, yet wrote x.mbox", args)
		}
	}
	file := filepath.Join(missing, "x.mbox")
	if _, errOut, code := sesbox(t, "--demo", "export", "--parents", "--mbox", file); code != 0 {
		t.Fatalf("--parents: exit %d, %q", code, errOut)
	}
	if fi, err := os.Stat(file); err != nil || fi.Size() == 0 {
		t.Fatalf("--parents wrote no mbox: %v", err)
	}
}

// TestQueueEndpointLeavesAWSToTheSDK: the endpoint a queue URL names is
// taken only for a server that is not AWS's; AWS's own queue URLs (each
// partition's and dual-stack form, the legacy host) are left to the SDK,
// which resolves the region's endpoint (FIPS, VPC endpoints).
func TestQueueEndpointLeavesAWSToTheSDK(t *testing.T) {
	for url, want := range map[string]string{
		"https://sqs.us-east-1.amazonaws.com/123456789012/q":                   "",
		"https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q":               "",
		"https://sqs.eu-west-1.api.aws/123456789012/q":                         "",
		"https://queue.amazonaws.com/123456789012/q":                           "",
		"https://SQS.US-EAST-1.AMAZONAWS.COM./123456789012/q":                  "",
		"http://localhost:9324/000000000000/q":                                 "http://localhost:9324",
		"http://user:pw@10.0.0.5:9324/000000000000/q":                          "http://10.0.0.5:9324",
		"https://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q": "https://sqs.us-east-1.localhost.localstack.cloud:4566",
		"https://evilamazonaws.com/q":                                          "https://evilamazonaws.com",
		"q":                                                                    "",
		"ftp://host/q":                                                         "",
	} {
		if got := queueEndpoint(url); got != want {
			t.Errorf("queueEndpoint(%q) = %q, want %q", url, got, want)
		}
	}
}

// TestHelpFitsEightyColumns: pflag printed each flag's description on
// one line, up to 192 columns (index --headers; 118 lines over 80 in
// all), and descriptions and command lists were printed as written (up
// to 116): every line of every command's --help fits helpWidth now, but
// a command line to copy ("sesbox ...") and a word that cannot be broken
// (an s3:// URL template).
func TestHelpFitsEightyColumns(t *testing.T) {
	isolate(t)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		var out bytes.Buffer
		c.SetOut(&out)
		if err := c.Help(); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(out.String(), "\n") {
			trimmed := strings.TrimSpace(line)
			if len(line) <= helpWidth || strings.HasPrefix(trimmed, "sesbox ") || !strings.Contains(trimmed, " ") {
				continue
			}
			t.Errorf("%s --help: a line of %d columns: %q", c.CommandPath(), len(line), line)
		}
	}
	walk(newRootCmd(&app{}))
}

// TestWrapHelpKeepsEveryWord: folding changes only where lines break.
func TestWrapHelpKeepsEveryWord(t *testing.T) {
	in := "Writes the exact stored bytes of every message under the prefix (or those --query\nchooses) for mutt:\n\n  --mbox FILE     one mboxrd file (lines matching /^>*From / get one more \">\"), messages\n                  in key order.\n  sesbox export --mbox out.mbox --query 'from:a@example.com subject:invoice after:2026-01-01'\n"
	got := wrapHelp(in, 80)
	if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(in), " ") {
		t.Errorf("words changed:\n%s", got)
	}
	for _, line := range strings.Split(got, "\n") {
		if len(line) > 80 && !strings.HasPrefix(strings.TrimSpace(line), "sesbox ") {
			t.Errorf("a line of %d: %q", len(line), line)
		}
	}
	if !strings.Contains(got, "\n                  ") {
		t.Errorf("a definition's description not continued under its column:\n%s", got)
	}
}
