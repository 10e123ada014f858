package mime

import (
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// fixFlowed reads each text/plain part sent format=flowed (RFC 3676) as
// its paragraphs: see unflow. enmime leaves the lines as sent, and with
// DelSp=yes (CJK text, or words cut anywhere) a word or a sentence was
// shown cut in two by a space and a line break. A part saved by name
// keeps its bytes (textOriginals).
func fixFlowed(root *enmime.Part) {
	walkParts(root, func(p *enmime.Part) {
		if p.ContentType != "text/plain" || p.FirstChild != nil {
			return
		}
		_, params, _, err := parseMediaType(p.Header.Get("Content-Type"))
		if err != nil || !strings.EqualFold(strings.TrimSpace(params["format"]), "flowed") {
			return
		}
		p.Content = []byte(unflow(string(p.Content), strings.EqualFold(strings.TrimSpace(params["delsp"]), "yes")))
	})
}

// unflow decodes format=flowed text (RFC 3676, section 4): a line ending
// in a space is joined with the next one of the same quote depth (that
// space dropped with DelSp=yes), the space that stuffs a line after its
// quote marks goes, and a quoted line is written back with its marks and
// one space ("> text"). The signature separator ("-- ") and a flowed line
// before another depth, a separator or the end (improperly flowed) end a
// paragraph. Linear in the text.
func unflow(s string, delSp bool) string {
	type flowedLine struct {
		depth int
		text  string // quote marks and stuffing removed
	}
	raw := strings.Split(s, "\n")
	if raw[len(raw)-1] == "" {
		raw = raw[:len(raw)-1] // the text ends with a line break
	}
	lines := make([]flowedLine, len(raw))
	for i, l := range raw {
		l = strings.TrimSuffix(l, "\r")
		d := 0
		for d < len(l) && l[d] == '>' {
			d++
		}
		lines[i] = flowedLine{d, strings.TrimPrefix(l[d:], " ")}
	}
	var b strings.Builder
	b.Grow(len(s))
	open := false // the line continues a paragraph
	for i, l := range lines {
		if !open && l.depth > 0 {
			b.WriteString(strings.Repeat(">", l.depth))
			if l.text != "" {
				b.WriteByte(' ')
			}
		}
		text := l.text
		sig := text == "-- "
		joins := !sig && strings.HasSuffix(text, " ") && i+1 < len(lines) &&
			lines[i+1].depth == l.depth && lines[i+1].text != "-- "
		switch {
		case joins && delSp:
			text = text[:len(text)-1]
		case !joins && !sig:
			text = strings.TrimRight(text, " ")
		}
		b.WriteString(text)
		if open = joins; !open {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
