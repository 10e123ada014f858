package main

import (
	"regexp"
	"strings"
)

// definition is an indented line of a two-column list in a command's
// help text ("  --maildir DIR   one file per message ...", "  account
// Show the SES account's state"): its description column starts after
// the first run of two or more spaces past the term.
var definition = regexp.MustCompile(`^(  +\S+(?: \S+)*?  +)\S`)

// wrapHelp folds the lines of a help text longer than width at spaces,
// continued under where the line's text starts (under the description of
// a two-column line); what a folded line leaves over goes to the start
// of the next line when that continues the same paragraph (text under
// the same column), so a paragraph folded by hand stays one paragraph. A
// command line (its text starts with "sesbox ") is kept whole, to be
// copied as it is, and so is a word longer than a line.
func wrapHelp(text string, width int) string {
	var out []string
	var carry []string // words a folded line left over
	hang := 0          // the column carry continues at
	flush := func() {
		for len(carry) > 0 {
			out = append(out, fill(strings.Repeat(" ", hang), &carry, width))
		}
	}
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		continues := len(carry) > 0 && trimmed != "" && indent == hang &&
			!strings.HasPrefix(trimmed, "sesbox ") && definition.FindStringIndex(line) == nil
		if !continues {
			flush()
		}
		if (len(line) <= width && !continues) || strings.HasPrefix(trimmed, "sesbox ") {
			out = append(out, line)
			continue
		}
		prefix := line[:indent]
		if m := definition.FindStringSubmatch(line); m != nil && len(m[1]) < width/2 {
			prefix = m[1]
		}
		words := append(carry, strings.Fields(line[len(prefix):])...)
		carry, hang = words, len(prefix)
		out = append(out, fill(prefix, &carry, width))
	}
	flush()
	return strings.Join(out, "\n")
}

// fill is prefix and as many of words as fit in width after it (at least
// one), taking them from words.
func fill(prefix string, words *[]string, width int) string {
	b := strings.Builder{}
	b.WriteString(prefix)
	col, n := len(prefix), 0
	for _, w := range *words {
		if n > 0 && col+1+len(w) > width {
			break
		}
		if n > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
		n++
	}
	*words = (*words)[n:]
	return b.String()
}
