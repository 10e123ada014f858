package external

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sesbox/sesbox/mailstore/mailcap"
)

// How is how Show had a part shown.
type How int

const (
	// Rendered: a copiousoutput entry printed it as text (Shown.Text).
	Rendered How = iota
	// Terminal: a needsterminal entry must run in the terminal
	// (Shown.Command, with sh); the caller removes Shown.Dir after it.
	Terminal
	// Started: a viewer (an entry, or the opener when no entry applies)
	// was started detached on Shown.Path; Shown.Dir is kept until exit.
	Started
)

// Shown says what Show did.
type Shown struct {
	How     How
	Text    []byte // Rendered: stdout, at most OutputLimit bytes
	Cut     bool   // Rendered: the output was cut
	Command string // the command line run (or to run)
	Source  string // the mailcap entry's file:line; "" for the opener
	Dir     string // the private directory of the copy ("" once removed)
	Path    string // the private copy
}

// Show shows content (of contentType, with content-type params such as
// charset) the way the user's mailcap says, as mutt does: a copiousoutput
// entry first (its output is returned, to show inline), else another
// entry (needsterminal ones are returned to run in the terminal, others
// are started detached), else opener. Entries with a test= run only when
// the test passes. The content is a private copy under a generated name.
func Show(ctx context.Context, mc *mailcap.Mailcap, content []byte, contentType string, params map[string]string, opener string) (Shown, error) {
	contentType, params = sanitizeValues(contentType, params)
	dir, err := PrivateDir()
	if err != nil {
		return Shown{}, err
	}
	path, err := WriteFile(dir, bytes.NewReader(content), contentType, "")
	if err != nil {
		_ = os.RemoveAll(dir)
		return Shown{}, err
	}
	pass := func(e mailcap.Entry) bool { return TestPasses(ctx, e, path, contentType, params) }
	copious := func(e mailcap.Entry) bool { return e.CopiousOutput }
	other := func(e mailcap.Entry) bool { return !e.CopiousOutput }
	if e, ok := mc.Lookup(contentType, copious, pass); ok {
		defer os.RemoveAll(dir)
		x, err := mailcap.Expand(e.Command, path, contentType, params)
		if err != nil {
			return Shown{}, err
		}
		var stdin []byte
		if x.Stdin {
			stdin = content
		}
		out, cut, err := Output(ctx, x.Command, stdin)
		s := Shown{How: Rendered, Text: out, Cut: cut, Command: e.Command, Source: e.Source, Path: path}
		if err != nil {
			err = fmt.Errorf("mailcap viewer %q (%s): %w", e.Command, e.Source, err)
		}
		return s, err
	}
	if e, ok := mc.Lookup(contentType, other, pass); ok {
		x, err := mailcap.Expand(e.Command, path, contentType, params)
		if err != nil {
			_ = os.RemoveAll(dir)
			return Shown{}, err
		}
		cmdline := x.Command
		if x.Stdin {
			cmdline += " < " + mailcap.Quote(path)
		}
		s := Shown{How: Terminal, Command: cmdline, Source: e.Source, Dir: dir, Path: path}
		if !e.NeedsTerminal {
			s.How = Started
			if err := Start(Shell(cmdline)); err != nil {
				return s, err
			}
		}
		return s, nil
	}
	argv := strings.Fields(opener)
	if len(argv) == 0 {
		return Shown{How: Started, Dir: dir, Path: path}, errors.New("no mailcap entry for " + contentType + " and no opener (set $OPENER)")
	}
	s := Shown{How: Started, Command: strings.Join(append(argv, path), " "), Dir: dir, Path: path}
	return s, Start(append(argv, path))
}

// sanitizeValues keeps in the sender's content type and parameters only
// the characters real ones are made of, each other byte made "_", as
// mutt's $mailcap_sanitize (on by default) does. mailcap.Expand quotes a
// value for where it stands, but an entry that hands it to a shell again
// (eval, su -c, ssh HOST, xargs sh -c) parses the quoted value anew:
// "text/plain; eval echo %{charset}" ran a charset "x;id".
func sanitizeValues(contentType string, params map[string]string) (string, map[string]string) {
	clean := make(map[string]string, len(params))
	for k, v := range params {
		clean[k] = sanitizeValue(v)
	}
	return sanitizeValue(contentType), clean
}

func sanitizeValue(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'),
			strings.ContainsRune("+,-./:=@_", r):
			return r
		}
		return '_'
	}, s)
}
