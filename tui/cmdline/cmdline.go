// Package cmdline is the `:` command line: the CLI's own verbs and flags
// (`:save DIR`, `:export --mbox FILE`, `:sort size`), completed with Tab.
// It only collects the line; the root runs it with the same mailstore
// calls as the CLI.
package cmdline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// Spec is one command: its verb, flags, what its argument is (for the
// help and for completion) and what it does.
type Spec struct {
	Verb  string
	Flags []string
	Arg   string
	Help  string
	// Values are the words its argument completes to (sort fields).
	Values []string
	// Rest takes the rest of the line as one argument (a query).
	Rest bool
	// FlagArg names what follows a flag that takes the argument
	// ("--to": "ADDR"), for the help.
	FlagArg map[string]string
	// Path says the argument is a file or directory: a double-quoted
	// part of it is taken without its quotes, as a shell takes it
	// (unquote), where an address keeps them.
	Path bool
	// FlagValues makes each flag of FlagArg take the words after it as
	// its own value, once each time it is given (:forward --to a@x --to
	// b@y), as the CLI's repeatable flags do; without it (:reply --to)
	// they are the argument.
	FlagValues bool
}

// Commands are the verbs the line knows, named as the CLI names them.
var Commands = []Spec{
	{Verb: "save", Arg: "DIR", Path: true, Help: "save the attachments of the marked messages (else the current one) into DIR, as sesbox save"},
	{Verb: "export", Flags: []string{"--mbox", "--maildir", "--parents", "--force"}, Arg: "FILE|DIR", Path: true, Help: "export the marked messages (else the current one) with a manifest, as sesbox export: to an mbox FILE (--mbox, the default) or a Maildir DIR (--maildir); --parents makes the missing directories, --force replaces an mbox FILE"},
	{Verb: "forward", Flags: []string{"--to", "--recipient"}, FlagArg: map[string]string{"--to": "ADDR", "--recipient": "ADDR"}, FlagValues: true,
		Help: "re-forward the marked messages (else the current one), as sesbox forward: to ADDR instead of the mapping with --to ADDR, mapping ADDR instead of the message's envelope recipients with --recipient ADDR (each repeatable)"},
	{Verb: "reply", Flags: []string{"--all", "--to"}, FlagArg: map[string]string{"--to": "ADDR"}, Help: "reply to the current message (to all with --all; to ADDR instead of the sender, without Cc, with --to ADDR), as sesbox reply"},
	{Verb: "filter", Arg: "QUERY", Rest: true, Help: "limit the list to QUERY (sesbox ls --query syntax); none clears it"},
	{Verb: "search", Arg: "QUERY", Rest: true, Help: "move to messages matching QUERY, n/N for the next; none clears it"},
	{Verb: "sort", Flags: []string{"--reverse"}, Arg: "FIELD", Values: []string{"date", "from", "subject", "size"}, Help: "sort the list by FIELD, as sesbox ls --sort"},
	{Verb: "mailbox", Arg: "NAME", Help: "show mailbox NAME"},
	{Verb: "read", Help: "mark the current message read"},
	{Verb: "unread", Help: "mark the current message unread"},
	{Verb: "drafts", Arg: "[ID]", Help: "list the kept drafts of this mailbox; with ID (or its first characters), resume that one"},
	{Verb: "refresh", Help: "list the bucket again now"},
	{Verb: "audit", Help: "open the audit view, as sesbox audit"},
	{Verb: "notices", Help: "the recent notices of every level, errors too, with their time (E shows the errors)"},
	{Verb: "quit", Help: "quit"},
}

// Lookup finds the command verb (or the only one it abbreviates).
func Lookup(verb string) (Spec, bool) {
	var found []Spec
	for _, c := range Commands {
		if c.Verb == verb {
			return c, true
		}
		if strings.HasPrefix(c.Verb, verb) {
			found = append(found, c)
		}
	}
	if len(found) == 1 && verb != "" {
		return found[0], true
	}
	return Spec{}, false
}

// Line is a `:` line checked against the command it names.
type Line struct {
	Spec Spec
	// Flags are the flags given.
	Flags map[string]bool
	// Values are the values of the flags that take one (Spec.FlagValues),
	// in the order given, each as typed.
	Values map[string][]string
	// Arg is the other words, joined by spaces.
	Arg string
}

// Parse checks a line split by Split against the command it names.
func Parse(args []string) (Line, error) {
	spec, ok := Lookup(args[0])
	if !ok {
		return Line{}, fmt.Errorf("unknown command %q (: then Tab lists them)", sanitize.Line(args[0]))
	}
	l := Line{Spec: spec, Flags: map[string]bool{}, Values: map[string][]string{}}
	var words []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "--") && !spec.Rest {
			if !slices.Contains(spec.Flags, a) {
				return Line{}, unknownFlag(spec, a)
			}
			l.Flags[a] = true
			if what := spec.FlagArg[a]; spec.FlagValues && what != "" {
				// Split keeps a run of words as one element: the next
				// one, unless it is a flag, is the value.
				if i+1 == len(args) || strings.HasPrefix(args[i+1], "--") {
					return Line{}, fmt.Errorf(":%s: %s needs an %s after it (%s %s)", spec.Verb, a, what, a, exampleOf[what])
				}
				i++
				l.Values[a] = append(l.Values[a], args[i])
			}
			continue
		}
		words = append(words, a)
	}
	l.Arg = strings.Join(words, " ")
	if spec.Path {
		var err error
		if l.Arg, err = unquote(l.Arg); err != nil {
			return Line{}, fmt.Errorf(":%s: %w", spec.Verb, err)
		}
	}
	return l, nil
}

// exampleOf is an example of what a flag's value names, for the error
// of a flag given without it.
var exampleOf = map[string]string{"ADDR": "a@x.example"}

// unquote takes a path as typed on the line as a shell takes a word:
// each double-quoted part without its quotes, a backslash in it escaping
// the next character (`"my \"dir\""` is my "dir"); outside quotes
// every character is kept, spaces too (the line keeps a run of words as
// typed). A leading ~ is expanded later, as for an unquoted path.
func unquote(s string) (string, error) {
	var b strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case quoted && r == '\\':
			escaped = true
			continue
		case r == '"':
			quoted = !quoted
			continue
		}
		b.WriteRune(r)
	}
	if quoted || escaped {
		return "", errors.New(`close the double quote (write \" for a quote inside it): the path ends inside it`)
	}
	return b.String(), nil
}

// statusRoom is what the status line at 80 columns shows of an error
// whole, between " error: " and "  (E: history)".
const statusRoom = 58

// cliVerbs are the verbs that are CLI commands of the same name, whose
// --help lists flags the line does not take (sesbox export --maildir).
var cliVerbs = []string{"save", "export", "forward", "reply", "drafts"}

// unknownFlag says which flags spec takes, first, then the one given; for
// a verb that is a CLI command, where its other flags are (":export:
// unknown flag --maildir" said neither).
func unknownFlag(spec Spec, flag string) error {
	takes := "no flags"
	if len(spec.Flags) > 0 {
		takes = strings.Join(spec.Flags, " ")
	}
	msg := fmt.Sprintf(":%s takes %s, not %s", spec.Verb, takes, sanitize.Line(flag))
	if !slices.Contains(cliVerbs, spec.Verb) {
		return errors.New(msg)
	}
	// Where the CLI's other flags are, in as few words as the status line
	// at 80 columns shows whole (":forward takes --to --recipient, not
	// --include-suppressed" did not name sesbox forward, the one place
	// it is), the flags the line takes left out last.
	for _, m := range []string{
		msg + ": see sesbox " + spec.Verb,
		fmt.Sprintf(":%s takes %s; %s: sesbox %s", spec.Verb, takes, sanitize.Line(flag), spec.Verb),
		fmt.Sprintf(":%s has no %s: see sesbox %s", spec.Verb, sanitize.Line(flag), spec.Verb),
	} {
		if len(m) <= statusRoom {
			return errors.New(m)
		}
	}
	return errors.New(msg)
}

// Split splits a line into the verb, its flags and its argument; a Rest
// command's words after the verb are one argument, as typed. Otherwise
// the words between flags are kept as typed, each run of them one
// element, its spaces and quotes untouched: `reply --to "Ann  Lee"
// <a@x>` gives the address as sesbox reply --to gets it from a shell
// (strings.Fields joined the words again with one space). A word in
// double quotes (a backslash escaping the next character, as in a
// display name) may hold spaces and -- and is never a flag.
func Split(line string) []string {
	line = strings.TrimSpace(line)
	verb, rest, _ := strings.Cut(line, " ")
	if s, ok := Lookup(verb); ok && s.Rest {
		if rest = strings.TrimSpace(rest); rest == "" {
			return []string{verb}
		}
		return []string{verb, rest}
	}
	spans := words(line)
	if len(spans) == 0 {
		return nil
	}
	out := []string{line[spans[0][0]:spans[0][1]]}
	run := -1 // the start of the run of words being read
	for i, sp := range spans[1:] {
		w := line[sp[0]:sp[1]]
		if strings.HasPrefix(w, "--") {
			if run >= 0 {
				out = append(out, line[run:spans[i][1]])
				run = -1
			}
			out = append(out, w)
			continue
		}
		if run < 0 {
			run = sp[0]
		}
	}
	if run >= 0 {
		out = append(out, line[run:spans[len(spans)-1][1]])
	}
	return out
}

// words returns the start and end of each word of line: split at
// whitespace outside double quotes.
func words(line string) [][2]int {
	var out [][2]int
	start, quoted, escaped := -1, false, false
	for i, r := range line {
		switch {
		case escaped:
			escaped = false
		case quoted && r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case !quoted && unicode.IsSpace(r):
			if start >= 0 {
				out = append(out, [2]int{start, i})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(line)})
	}
	return out
}

// Model is the command line while it is open.
type Model struct {
	c      common.Common
	input  textinput.Model
	values map[string][]string // verb -> extra completions (mailbox names)
	choice []string            // candidates of the last Tab
	hist   *common.History     // the lines entered before, for Up/Down
}

// New opens the line, width cells wide; hist (kept by the caller from one
// line to the next) holds the lines entered before.
func New(c common.Common, width int, hist *common.History) *Model {
	m := &Model{c: c, input: common.NewInput(c.Styles, ":"), values: map[string][]string{}, hist: hist}
	m.SetWidth(width)
	hist.Reset()
	return m
}

// SetValues sets what verb's argument completes to (the mailbox names).
// A value sanitize.Line would change (a control or bidi character: a
// mailbox named in the config with an escape sequence) is not offered:
// Tab lists the candidates on the screen as they are.
func (m *Model) SetValues(verb string, vs []string) {
	var ok []string
	for _, v := range vs {
		if sanitize.Line(v) == v {
			ok = append(ok, v)
		}
	}
	m.values[verb] = ok
}

// SetWidth sets the line's width.
func (m *Model) SetWidth(w int) { m.input.Width = max(1, w-2) }

// Type puts s on the line as if typed, the cursor after it.
func (m *Model) Type(s string) {
	m.input.SetValue(s)
	m.input.CursorEnd()
}

// Focus gives the line the cursor.
func (m *Model) Focus() tea.Cmd { return m.input.Focus() }

// Update edits the line; Enter returns the line entered (split by Split)
// and Esc closes it: the returned Model is nil then. The line is returned,
// not sent in a Cmd, so that the command runs before the keys typed after
// Enter in the same burst (":sort subject" Enter Enter opens the first
// message of the new order).
func (m *Model) Update(msg tea.Msg) (_ *Model, entered []string, _ tea.Cmd) {
	p := m.c.Keys.Prompt
	if k, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(k, p.Accept):
			m.hist.Add(strings.TrimSpace(m.input.Value()))
			return nil, Split(m.input.Value()), nil
		case key.Matches(k, p.Cancel):
			return nil, nil, nil
		case key.Matches(k, p.Older, p.Newer):
			if _, ok := m.hist.Recall(k, p, &m.input); ok {
				m.choice = nil
			}
			return m, nil, nil
		case k.Type == tea.KeyTab:
			m.complete()
			return m, nil, nil
		case k.Type == tea.KeyBackspace && m.input.Value() == "":
			return nil, nil, nil
		}
	}
	m.choice = nil
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, nil, cmd
}

// complete completes the word before the cursor: a verb, one of its flags
// or one of its values. Several candidates complete their common prefix
// and are listed.
func (m *Model) complete() {
	line := m.input.Value()
	words := strings.Fields(line)
	if len(words) == 0 || !strings.HasSuffix(line, " ") && len(words) == 1 {
		word := ""
		if len(words) == 1 {
			word = words[0]
		}
		var verbs []string
		for _, c := range Commands {
			verbs = append(verbs, c.Verb)
		}
		m.apply(line, word, verbs)
		return
	}
	s, ok := Lookup(words[0])
	if !ok {
		return
	}
	word := ""
	if !strings.HasSuffix(line, " ") {
		word = words[len(words)-1]
	}
	cands := append(append(slices.Clone(s.Flags), s.Values...), m.values[s.Verb]...)
	m.apply(line, word, cands)
}

func (m *Model) apply(line, word string, cands []string) {
	var hits []string
	for _, c := range cands {
		if strings.HasPrefix(c, word) {
			hits = append(hits, c)
		}
	}
	m.choice = hits
	if len(hits) == 0 {
		return
	}
	done := hits[0]
	for _, h := range hits[1:] {
		for !strings.HasPrefix(h, done) {
			done = done[:len(done)-1]
		}
	}
	if len(hits) == 1 {
		done += " "
		m.choice = nil
	}
	m.input.SetValue(line[:len(line)-len(word)] + done)
	m.input.CursorEnd()
}

// View is the line, with the candidates of the last Tab after it.
func (m *Model) View() string {
	w := m.input.Width + 2
	if len(m.choice) == 0 || common.Width(m.input.Value()) >= m.input.Width {
		return common.Fit(m.input.View(), w)
	}
	// The input pads itself to its width; drawn unbounded it stops after
	// the cursor, so the candidates follow the text (it is not scrolled:
	// the value fits).
	in := m.input
	in.Width = 0
	return common.Fit(in.View()+"  "+m.c.Styles.Dim.Render(strings.Join(m.choice, " ")), w)
}

// ShortHelp is the line's keys.
func (m *Model) ShortHelp() []key.Binding {
	p := m.c.Keys.Prompt
	tab := key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete"))
	return []key.Binding{p.Accept, tab, p.Cancel, p.Older}
}

// Help lists the commands for the help page, one per line, what each
// does from column 28 (the help page wraps it under that column).
func Help() string {
	var b strings.Builder
	for _, c := range Commands {
		use := ":" + c.Verb
		for _, f := range c.Flags {
			if a := c.FlagArg[f]; a != "" {
				f += " " + a
			}
			use += " [" + f + "]"
		}
		if c.Arg != "" {
			use += " " + c.Arg
		}
		pad := HelpColumn - len(use)
		if pad < 1 {
			// On a line of its own, so that the help stays in its column
			// (:export [--mbox] [--parents] FILE pushed its help 6 cells
			// right of the others').
			use += "\n"
			pad = HelpColumn
		}
		b.WriteString(use + strings.Repeat(" ", pad) + c.Help + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// HelpColumn is the column Help's descriptions start at.
const HelpColumn = 28
