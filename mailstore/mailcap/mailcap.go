// Package mailcap reads mailcap files (RFC 1524): which program shows a
// MIME type, and whether its output is text to show inline (copiousoutput)
// or it needs the terminal. It only parses and expands commands; running
// them is mailstore/external's job.
//
// Expanding a command is where mailcap is dangerous: %s, %t and %{name}
// put a file name and the sender's content-type parameters into a shell
// command line. Every value is quoted for the shell context it lands in
// (bare, inside '...' or inside "..."), so no value can end the quoting the
// entry's author wrote around it. A script given to a shell's -c (sh -c
// 'iconv -f %{charset} %s') is parsed twice, by the shell that runs the
// command and by the one it starts: it is expanded as a command of its
// own, then quoted whole. A program that runs its argument some other way
// (eval, su -c, ssh) is the entry author's to quote for.
package mailcap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Entry is one mailcap line.
type Entry struct {
	// Type is the lower-cased "type/subtype" it applies to; the subtype
	// may be "*" (and a bare "type" is read as "type/*", per RFC 1524).
	Type string
	// Command is the view command, unexpanded.
	Command string
	// CopiousOutput says the command writes text to stdout that the
	// reader shows (inline, in sesbox).
	CopiousOutput bool
	// NeedsTerminal says the command is interactive.
	NeedsTerminal bool
	// Test is a command that must exit 0 for the entry to apply.
	Test string
	// NameTemplate is the nametemplate= flag ("%s.html"), used only for
	// the extension of the temporary file.
	NameTemplate string
	// Source is file:line, for messages.
	Source string
}

// Mailcap is the entries of several files, in lookup order.
type Mailcap struct {
	Entries []Entry
}

// DefaultPaths is the search path of RFC 1524: $MAILCAPS when set (a
// colon-separated list), else ~/.mailcap, /etc/mailcap,
// /usr/etc/mailcap and /usr/local/etc/mailcap.
func DefaultPaths() []string {
	if v := os.Getenv("MAILCAPS"); v != "" {
		return filepath.SplitList(v)
	}
	var out []string
	if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".mailcap"))
	}
	return append(out, "/etc/mailcap", "/usr/etc/mailcap", "/usr/local/etc/mailcap")
}

// Load reads the files in paths in order; a missing file is skipped (most
// of the default path never exists). Lines that cannot be parsed are
// skipped and reported in the returned error, which is not fatal: the
// Mailcap holds every good entry.
func Load(paths []string) (*Mailcap, error) {
	mc := &Mailcap{}
	var errs []error
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("mailcap: %w", err))
			continue
		}
		es, err := Parse(f, p)
		f.Close()
		mc.Entries = append(mc.Entries, es...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return mc, errors.Join(errs...)
}

// Parse reads one mailcap file. Comments (#) and blank lines are skipped, a
// backslash at the end of a line continues it, fields are separated by ";"
// (a "\;" is a literal semicolon). Bad lines are skipped and reported.
func Parse(r io.Reader, source string) ([]Entry, error) {
	var out []Entry
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	lineNo, start := 0, 0
	var logical strings.Builder
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if logical.Len() == 0 {
			start = lineNo
			if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
				continue
			}
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok && !strings.HasSuffix(cont, "\\") {
			logical.WriteString(cont)
			continue
		}
		logical.WriteString(line)
		e, err := parseEntry(logical.String())
		logical.Reset()
		where := fmt.Sprintf("%s:%d", source, start)
		if err != nil {
			errs = append(errs, fmt.Errorf("mailcap %s: %w", where, err))
			continue
		}
		e.Source = where
		out = append(out, e)
	}
	if logical.Len() > 0 {
		if e, err := parseEntry(logical.String()); err == nil {
			e.Source = fmt.Sprintf("%s:%d", source, start)
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("mailcap %s: %w", source, err))
	}
	return out, errors.Join(errs...)
}

func parseEntry(line string) (Entry, error) {
	fields := splitFields(line)
	if len(fields) < 2 {
		return Entry{}, errors.New("an entry needs a type and a command")
	}
	typ := strings.ToLower(strings.TrimSpace(fields[0]))
	if typ == "" || strings.ContainsAny(typ, " \t") {
		return Entry{}, fmt.Errorf("bad type %q", typ)
	}
	if !strings.Contains(typ, "/") {
		typ += "/*"
	}
	e := Entry{Type: typ, Command: strings.TrimSpace(fields[1])}
	for _, f := range fields[2:] {
		name, value, _ := strings.Cut(f, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		switch name {
		case "copiousoutput":
			e.CopiousOutput = true
		case "needsterminal":
			e.NeedsTerminal = true
		case "test":
			e.Test = value
		case "nametemplate":
			e.NameTemplate = value
		}
	}
	return e, nil
}

// splitFields splits at ";" not preceded by a backslash; "\;" becomes ";"
// and other backslashes are kept for the shell.
func splitFields(line string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line) && line[i+1] == ';':
			b.WriteByte(';')
			i++
		case c == ';':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, b.String())
}

// Matches reports whether the entry applies to contentType ("type/subtype",
// any case, parameters ignored).
func (e Entry) Matches(contentType string) bool {
	ct := strings.ToLower(strings.TrimSpace(contentType))
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	typ, sub, ok := strings.Cut(ct, "/")
	if !ok {
		return false
	}
	etyp, esub, _ := strings.Cut(e.Type, "/")
	return (etyp == typ || etyp == "*") && (esub == sub || esub == "*")
}

// Lookup returns the first entry for contentType for which want returns
// true (sesbox asks for "copiousoutput" entries first when it shows a part
// inline) and pass accepts (a runner of test= commands; nil accepts all).
func (mc *Mailcap) Lookup(contentType string, want func(Entry) bool, pass func(Entry) bool) (Entry, bool) {
	if mc == nil {
		return Entry{}, false
	}
	for _, e := range mc.Entries {
		if !e.Matches(contentType) || (want != nil && !want(e)) {
			continue
		}
		if e.Test != "" && pass != nil && !pass(e) {
			continue
		}
		return e, true
	}
	return Entry{}, false
}

// Expanded is a command ready for `sh -c`.
type Expanded struct {
	Command string
	// Stdin is true when the command has no %s: RFC 1524 then feeds the
	// data on standard input.
	Stdin bool
}

// Expand fills in cmd's placeholders: %s the file, %t the content type,
// %{name} a content-type parameter (missing ones expand empty), %% a
// percent sign. Each value is quoted for where it stands in the command.
// A value with a NUL byte cannot be passed to a program and is refused.
func Expand(cmd, file, contentType string, params map[string]string) (Expanded, error) {
	var b strings.Builder
	sawFile := false
	q := bare // the quoting context of the command text so far
	// outer holds the contexts a command substitution ($(...), `...`) or
	// a subshell was opened in: inside one the shell parses anew, bare,
	// so a value there is quoted as a bare word, not for the double
	// quotes around the substitution ("$(echo %{charset})" took a
	// charset "x; touch f" as a command).
	var outer []frame
	inBackquote := func() bool {
		for _, f := range outer {
			if f.kind == backquoted {
				return true
			}
		}
		return false
	}
	// top is the innermost frame open, or a zero frame at the top level.
	top := func() frame {
		if len(outer) == 0 {
			return frame{kind: none}
		}
		return outer[len(outer)-1]
	}
	// cases holds the case commands open, innermost last, each with the
	// substitution depth it was opened at: a ")" ending one of its
	// patterns closes no substitution ("$(case %t in text/*) echo
	// %{charset};; esac)" took that ")" for the end of the $( and quoted
	// the charset for the double quotes, where the shell read it bare).
	var cases []caseClause
	// ansiC is set by a $'...' holding a backslash: bash reads \' there
	// as a quote inside the string, sh (dash) as its end, so after one no
	// context is known for both, and a value is refused.
	ansiC := false
	closeFrame := func() {
		q, outer = outer[len(outer)-1].q, outer[:len(outer)-1]
		for len(cases) > 0 && cases[len(cases)-1].depth > len(outer) {
			cases = cases[:len(cases)-1]
		}
	}
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		if c == '%' && i+1 < len(cmd) {
			var val string
			switch n := cmd[i+1]; {
			case n == 's':
				val, sawFile = file, true
				i++
			case n == 't':
				val = contentType
				i++
			case n == '%':
				b.WriteByte('%')
				i++
				continue
			case n == '{':
				end := strings.IndexByte(cmd[i+2:], '}')
				if end < 0 {
					b.WriteByte(c)
					continue
				}
				val = lookupParam(params, cmd[i+2:i+2+end])
				i += 2 + end
			default:
				b.WriteByte(c)
				continue
			}
			if strings.IndexByte(val, 0) >= 0 {
				return Expanded{}, errors.New("mailcap: a value holds a NUL byte")
			}
			// Text between backquotes is read for its end, and a
			// backslash before $, ` or \ dropped, before it is parsed: a
			// backquote in a value would end it, and the \$ that keeps a
			// $ literal in double quotes would lose its backslash.
			if ansiC {
				return Expanded{}, errors.New("mailcap: a value after a $'...' holding a backslash cannot be quoted: sh and bash read where it ends differently")
			}
			if inBackquote() && strings.ContainsAny(val, "`\\$") {
				return Expanded{}, errors.New("mailcap: a value with a backquote, backslash or $ cannot be put between backquotes")
			}
			if f := top(); q == double && f.kind == param && f.q == double {
				// Between the braces of a ${...} in double quotes a }
				// ends it, and bash reads a ' as the start of a
				// quoted string to match: the value goes in quotes of
				// its own, which nest there.
				b.WriteString(`"` + quote(val, double) + `"`)
				continue
			}
			b.WriteString(quote(val, q))
			continue
		}
		if c == '\\' && i+1 < len(cmd) && q != single {
			b.WriteByte(c)
			b.WriteByte(cmd[i+1])
			i++
			continue
		}
		if (c == '\'' || c == '"') && q == bare && !inBackquote() && shellScriptArg(cmd, i) {
			// sh -c '...': the string is a script the started shell
			// parses anew, where a value quoted for the outer one
			// was bare ("sh -c 'echo %{charset}'" ran a charset
			// "x; touch f"). Its text is expanded as a command, and
			// the result given to the outer shell as one word.
			if script, n, ok := quotedText(cmd[i:]); ok {
				inner, err := Expand(script, file, contentType, params)
				if err != nil {
					return Expanded{}, err
				}
				sawFile = sawFile || !inner.Stdin
				b.WriteString(Quote(inner.Command))
				i += n - 1
				continue
			}
		}
		if q == bare && wordStart(cmd, i) {
			top, w := len(cases)-1, reservedWord(cmd[i:])
			switch {
			case w == "case" && commandStart(cmd, i):
				cases = append(cases, caseClause{depth: len(outer), at: caseSubject})
			case w == "in" && top >= 0 && cases[top].depth == len(outer) && cases[top].at == caseSubject:
				cases[top].at = casePattern
			case w == "esac" && top >= 0 && cases[top].depth == len(outer) &&
				(cases[top].at == casePattern || cases[top].at == caseBody && commandStart(cmd, i)):
				// Not an argument ("echo esac" ends nothing).
				cases = cases[:top]
			default:
				w = ""
			}
			if w != "" {
				b.WriteString(w)
				i += len(w) - 1
				continue
			}
		}
		if q == bare && len(cases) > 0 && cases[len(cases)-1].depth == len(outer) {
			top := &cases[len(cases)-1]
			switch {
			case c == ')' && top.at == casePattern:
				// A pattern's end is no substitution's end.
				top.at = caseBody
				b.WriteByte(c)
				continue
			case c == '(' && top.at == casePattern:
				// The optional ( before a pattern opens nothing.
				b.WriteByte(c)
				continue
			case c == ';' && top.at == caseBody && i+1 < len(cmd) && (cmd[i+1] == ';' || cmd[i+1] == '&'):
				// ;; (or ;&, ;;&) ends an item: a pattern comes next.
				top.at = casePattern
				b.WriteByte(c)
				b.WriteByte(cmd[i+1])
				i++
				continue
			}
		}
		switch {
		case c == '\'' && q == bare:
			q = single
		case c == '\'' && q == single:
			q = bare
		case c == '"' && q == bare:
			q = double
		case c == '"' && q == double && top().kind == paramQuote:
			closeFrame()
		case c == '"' && q == double && top().kind == param && top().q == double:
			// In "${x:-"..."}" the inner quotes nest: they open a
			// new double-quoted string, and end nothing.
			outer = append(outer, frame{q: double, kind: paramQuote})
		case c == '"' && q == double:
			q = bare
		case c == '$' && i+1 < len(cmd) && cmd[i+1] == '\'' && q == bare:
			// Without a backslash inside, $'...' ends where '...' does
			// for every shell: the ' that follows is read as one.
			if end := strings.IndexByte(cmd[i+2:], '\''); end < 0 || strings.IndexByte(cmd[i+2:i+2+end], '\\') >= 0 {
				ansiC = true
			}
		case c == '$' && i+1 < len(cmd) && cmd[i+1] == '(' && q != single:
			outer = append(outer, frame{q: q, kind: paren})
			q = bare
			b.WriteByte(c)
			c = '('
			i++
		case c == '$' && i+1 < len(cmd) && cmd[i+1] == '{' && q != single:
			// ${...} keeps the context it is in; quotes inside it
			// nest (see above).
			outer = append(outer, frame{q: q, kind: param})
			b.WriteByte(c)
			c = '{'
			i++
		case c == '}' && top().kind == param && (q == bare || q == double && top().q == double):
			closeFrame()
		case c == '(' && q == bare:
			outer = append(outer, frame{q: bare, kind: paren})
		case c == ')' && q == bare && top().kind == paren:
			closeFrame()
		case c == '`' && q != single && top().kind == backquoted:
			closeFrame()
		case c == '`' && q != single:
			outer = append(outer, frame{q: q, kind: backquoted})
			q = bare
		}
		b.WriteByte(c)
	}
	return Expanded{Command: b.String(), Stdin: !sawFile}, nil
}

// frame is the quoting context a command substitution, subshell,
// parameter expansion or quotes nested in one was opened in, and which.
type frame struct {
	q    quoting
	kind frameKind
}

type frameKind int

const (
	none       frameKind = iota // the top level
	paren                       // $( ... ) or ( ... )
	backquoted                  // ` ... `
	param                       // ${ ... }
	paramQuote                  // " ... " inside a ${ ... } in double quotes
)

// caseClause is an open case command: where in it the text so far is,
// and the number of substitutions open around it.
type caseClause struct {
	depth int
	at    casePart
}

type casePart int

const (
	caseSubject casePart = iota // between "case" and "in"
	casePattern                 // a pattern, up to its ")"
	caseBody                    // the commands of an item, up to ";;"
)

// wordStart reports whether a word may begin at cmd[i]: the shell
// recognises a reserved word only there.
func wordStart(cmd string, i int) bool {
	return i == 0 || strings.IndexByte(" \t\n;&|()`", cmd[i-1]) >= 0
}

// commandStart reports whether a command may begin at cmd[i], where the
// shell reads case as a reserved word: at the start, after an operator
// (; & | ( ) or a backquote), or after a reserved word that a command
// follows.
func commandStart(cmd string, i int) bool {
	j := i
	for j > 0 && (cmd[j-1] == ' ' || cmd[j-1] == '\t') {
		j--
	}
	if j == 0 || strings.IndexByte(";&|()`\n", cmd[j-1]) >= 0 {
		return true
	}
	k := j
	for k > 0 && strings.IndexByte(" \t\n;&|()`", cmd[k-1]) < 0 {
		k--
	}
	switch cmd[k:j] {
	case "then", "do", "else", "elif", "if", "while", "until", "{", "!":
		return true
	}
	return false
}

// shells are the programs whose -c argument is a script.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "ash": true, "yash": true}

// shellScriptArg reports whether the word at cmd[i] follows "SHELL -c"
// (or -ec, -xc: flags ending in c), where SHELL is one of shells, by
// path or not.
func shellScriptArg(cmd string, i int) bool {
	prev := func(j int) (string, int) {
		for j > 0 && (cmd[j-1] == ' ' || cmd[j-1] == '\t') {
			j--
		}
		k := j
		for k > 0 && strings.IndexByte(" \t\n;&|()`'\"", cmd[k-1]) < 0 {
			k--
		}
		return cmd[k:j], k
	}
	flag, j := prev(i)
	if len(flag) < 2 || flag[0] != '-' || flag[len(flag)-1] != 'c' || strings.Trim(flag[1:], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return false
	}
	sh, _ := prev(j)
	return shells[path.Base(sh)]
}

// quotedText reads the quoted string s starts with ('...' or "...") and
// returns its text as the shell reads it and its length in s; ok is false
// when it does not end. In "...", a backslash before $, `, " or \ is
// dropped, as the shell drops it.
func quotedText(s string) (text string, n int, ok bool) {
	if s[0] == '\'' {
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", 0, false
		}
		return s[1 : 1+end], end + 2, true
	}
	var b strings.Builder
	for j := 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return b.String(), j + 1, true
		case c == '\\' && j+1 < len(s) && strings.IndexByte("$`\"\\", s[j+1]) >= 0:
			b.WriteByte(s[j+1])
			j++
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// reservedWord returns the case-command word (case, in, esac) that s
// begins with, as a whole word, or "".
func reservedWord(s string) string {
	for _, w := range []string{"case", "in", "esac"} {
		if rest, ok := strings.CutPrefix(s, w); ok && (rest == "" || strings.IndexByte(" \t\n;&|()`", rest[0]) >= 0) {
			return w
		}
	}
	return ""
}

func lookupParam(params map[string]string, name string) string {
	for k, v := range params {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

type quoting int

const (
	bare quoting = iota
	single
	double
)

// quote makes s one literal piece of a word in context q.
func quote(s string, q quoting) string {
	switch q {
	case single:
		// Close the quote, add s as its own quoted piece, reopen.
		return `'` + Quote(s) + `'`
	case double:
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '"', '\\', '$', '`':
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		return b.String()
	}
	return Quote(s)
}

// Quote quotes s as one shell word: in single quotes, each ' written as
// '\”.
func Quote(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `'\''`) + `'`
}
