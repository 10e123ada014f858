package cmdline

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/fixture"
)

// TestTabListsCandidates: an ambiguous Tab lists its candidates after the
// text on the one line, which stays exactly the terminal's width.
func TestTabListsCandidates(t *testing.T) {
	for _, w := range []int{80, 120, 24} {
		m := New(fixture.Common(w, 24), w, &common.History{})
		m.Focus()
		for _, k := range fixture.Keys("s") {
			m, _, _ = m.Update(k)
		}
		m, _, _ = m.Update(fixture.Key("tab"))
		v := ansi.Strip(m.View())
		if got := ansi.StringWidth(v); got != w || strings.Contains(v, "\n") {
			t.Fatalf("width %d: line is %d cells: %q", w, got, v)
		}
		// ":s", the cursor's cell, two spaces and the verbs.
		if !strings.HasPrefix(v, ":s   save search sort ") {
			t.Errorf("width %d: candidates not shown: %q", w, v)
		}
		// The next key edits the line and the list goes.
		for _, k := range fixture.Keys("o") {
			m, _, _ = m.Update(k)
		}
		if v := ansi.Strip(m.View()); strings.Contains(v, "save") || !strings.HasPrefix(v, ":so") || ansi.StringWidth(v) != w {
			t.Errorf("width %d: after typing: %q", w, v)
		}
	}
}

// TestTabOffersNoValueThatActsOnTheTerminal: the mailbox names Tab lists
// after ":mailbox" come from the config; one holding an escape sequence
// was listed as it was (in tmux the window title became the name's and
// the candidates were drawn on red and green), one with a bidi override
// turned the line around. They are not offered; the others are.
func TestTabOffersNoValueThatActsOnTheTerminal(t *testing.T) {
	m := New(fixture.Common(120, 24), 120, &common.History{})
	m.SetValues("mailbox", []string{"zz\x1b]0;PWN\x07\x1b[41mRED", "zz\u202eevil", "zz\u009b42mx", "zzwork", "zzsales"})
	m.Focus()
	for _, k := range fixture.Keys("mailbox zz") {
		m, _, _ = m.Update(k)
	}
	m, _, _ = m.Update(fixture.Key("tab"))
	v := m.View()
	if strings.ContainsAny(v, "\x1b\x07\u009b\u202e") {
		t.Errorf("a control character reached the line: %q", v)
	}
	if !strings.Contains(v, "zzwork zzsales") {
		t.Errorf("the plain names are not listed: %q", v)
	}
}

// TestSplitKeepsWordsAsTyped: the line was split by strings.Fields and
// its words joined again with one space, so `:reply --to "Name   With
// Spaces" <a@x>` replied to "Name With Spaces", and `:save my  dir`
// saved into "my dir". Each run of words between flags is kept as typed,
// and a quoted word is one word, never a flag.
func TestSplitKeepsWordsAsTyped(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{`reply --to "Name   With  Spaces" <ops@team.example>`, []string{"reply", "--to", `"Name   With  Spaces" <ops@team.example>`}},
		{`  reply   --all  `, []string{"reply", "--all"}},
		{`reply --to a@x.example --all`, []string{"reply", "--to", "a@x.example", "--all"}},
		{`reply --to "A --all \" B" <a@x.example>`, []string{"reply", "--to", `"A --all \" B" <a@x.example>`}},
		{"save my  dir\twith tab", []string{"save", "my  dir\twith tab"}},
		{"filter  from:a   b ", []string{"filter", "from:a   b"}},
		{"", nil},
	} {
		if got := Split(c.line); !slices.Equal(got, c.want) {
			t.Errorf("Split(%q) = %q, want %q", c.line, got, c.want)
		}
	}
	l, err := Parse(Split(`reply --to "Name   With  Spaces" <ops@team.example>`))
	flags, arg := l.Flags, l.Arg
	if err != nil || !flags["--to"] || arg != `"Name   With  Spaces" <ops@team.example>` {
		t.Fatalf("Parse: flags %v, arg %q (%v)", flags, arg, err)
	}
}

// TestUnknownFlagSaysWhatTheVerbTakes: a flag the line does not take
// says first which flags the verb takes, and for a verb that is a CLI
// command where the rest are; ":export: unknown flag --maildir" said
// neither. Where both do not fit the status line at 80 columns (58
// cells), the CLI is named and the flags the line takes are left out
// (":forward takes --to --recipient, not --include-suppressed" named no
// place that has it).
func TestUnknownFlagSaysWhatTheVerbTakes(t *testing.T) {
	for line, want := range map[string]string{
		"export --as-of 2026-01-01 x":    ":export has no --as-of: see sesbox export",
		"forward --dry-run /tmp/out":     ":forward takes --to --recipient; --dry-run: sesbox forward",
		"forward --include-suppressed":   ":forward has no --include-suppressed: see sesbox forward",
		"forward --to a@x.example --yes": ":forward takes --to --recipient; --yes: sesbox forward",
		"reply --body-file x":            ":reply takes --all --to, not --body-file: see sesbox reply",
		"sort --revrese date":            ":sort takes --reverse, not --revrese",
		"refresh --now":                  ":refresh takes no flags, not --now",
		"export --\x1b[2Jx /tmp/a.mb":    ":export has no --x: see sesbox export",
		"save --all /tmp":                ":save takes no flags, not --all: see sesbox save",
	} {
		_, err := Parse(Split(line))
		if err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", line, err, want)
		}
	}
}

// TestPathLosesItsQuotes: `:save "my dir"` saved into a directory named
// with the quotes ("\"my dir\"") since a quoted word became one word: a
// path's double-quoted parts are taken without their quotes, as a shell
// takes them, where an address (:reply --to) keeps them.
func TestPathLosesItsQuotes(t *testing.T) {
	for line, want := range map[string]string{
		`save "path with spaces"`:                    `path with spaces`,
		`save /tmp/"a b"/c`:                          `/tmp/a b/c`,
		`export --mbox "/tmp/my \"best\" mail.mbox"`: `/tmp/my "best" mail.mbox`,
		`export "back\\slash" --maildir`:             `back\slash`,
		`save plain  two spaces`:                     `plain  two spaces`,
		`save ~/"saved mail"`:                        `~/saved mail`,
		`export --maildir ""`:                        ``,
	} {
		l, err := Parse(Split(line))
		arg := l.Arg
		if err != nil || arg != want {
			t.Errorf("%s: %q (%v), want %q", line, arg, err, want)
		}
	}
	l, err := Parse(Split(`save "unclosed dir`))
	arg := l.Arg
	if err == nil || !strings.HasPrefix(err.Error(), ":save: close the double quote") {
		t.Errorf("an unclosed quote: %q, %v; want what to do first", arg, err)
	}
	l, _ = Parse(Split(`reply --to "Ann Lee" <ann@x.example>`))
	arg = l.Arg
	if arg != `"Ann Lee" <ann@x.example>` {
		t.Errorf("an address lost its quotes: %q", arg)
	}
}

// TestForwardFlagsTakeAValueEach: :forward --to and --recipient take the
// words after them as their value, each time given, as sesbox forward's
// repeatable flags do (:forward took no flags: no address could be
// chosen from the TUI); a flag without its value says what to write.
func TestForwardFlagsTakeAValueEach(t *testing.T) {
	l, err := Parse(Split("forward --to a@x.example --recipient info@acme-demo.example --to b@y.example"))
	if err != nil || !slices.Equal(l.Values["--to"], []string{"a@x.example", "b@y.example"}) ||
		!slices.Equal(l.Values["--recipient"], []string{"info@acme-demo.example"}) || l.Arg != "" {
		t.Fatalf("values %q, arg %q (%v)", l.Values, l.Arg, err)
	}
	// Two words after one --to are one value, which the CLI's check
	// then refuses as not one address (not two destinations).
	if l, err := Parse(Split("forward --to a@x.example b@y.example")); err != nil || !slices.Equal(l.Values["--to"], []string{"a@x.example b@y.example"}) {
		t.Errorf("values %q (%v)", l.Values, err)
	}
	for _, line := range []string{"forward --to", "forward --to --recipient r@x.example"} {
		if _, err := Parse(Split(line)); err == nil || err.Error() != ":forward: --to needs an ADDR after it (--to a@x.example)" {
			t.Errorf("%q: %v", line, err)
		}
	}
	// :reply --to keeps its address as the argument (compose reads it).
	if l, err := Parse(Split("reply --to a@x.example")); err != nil || l.Arg != "a@x.example" || len(l.Values) != 0 {
		t.Errorf("reply: arg %q, values %q (%v)", l.Arg, l.Values, err)
	}
}
