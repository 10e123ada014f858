package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/posture"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// View draws the scrolled lines, and the manifest prompt at the bottom when
// it is open.
func (m Model) View() string {
	ls := m.lines()
	h := m.bodyHeight()
	end := min(m.offset+h, len(ls))
	shown := ls[min(m.offset, end):end]
	out := make([]string, 0, m.height)
	for _, l := range shown {
		out = append(out, common.Truncate(l, m.width))
	}
	for len(out) < h {
		out = append(out, "")
	}
	if m.prompting {
		out = append(out, common.Truncate(m.input.View(), m.width))
	}
	return strings.Join(out, "\n")
}

// severityLabel is a fixed-width label: words, so Ascii output reads too.
func (m Model) severityLabel(s posture.Severity) string {
	st := m.c.Styles
	label := fmt.Sprintf("%-8s", strings.ToUpper(string(s)))
	switch s {
	case posture.Critical:
		return st.Fail.Render(label)
	case posture.Warning:
		return st.Warning.Render(label)
	case posture.OK:
		return st.Pass.Render(label)
	case posture.Unknown:
		return st.Faint.Render(label)
	}
	return st.Dim.Render(label)
}

func (m Model) statusLabel(s audit.Status) string {
	st := m.c.Styles
	// The status in audit verify's words, upper-cased, in a column of 10
	// as in audit verify's rows, after the view's margin. An unchanged
	// object written again was "SAME" here, "unchanged" there.
	label := fmt.Sprintf("%-9s ", strings.ToUpper(string(s)))
	switch s {
	case audit.MetadataChanged:
		label = "METADATA  " // the note under it says what changed
	case audit.DeletedSinceManifest:
		label = "DELETED   " // the note under it says it was put since
	}
	switch s {
	case audit.Changed, audit.Deleted, audit.Failed, audit.MetadataChanged, audit.DeletedSinceManifest:
		return st.Fail.Render(label)
	case audit.New:
		return st.Dim.Render(label)
	}
	return st.Pass.Render(label)
}

// fixLines adds a finding's fix under it. Fixes hold commands to copy
// (aws s3api put-bucket-versioning --bucket …), so they are wrapped at
// spaces only, never inside a word: a word too wide for the indent under
// "fix:" is moved left as far as it needs, and one wider than the screen
// is cut (reported true; the view then says where to read it whole).
func (m Model) fixLines(add func(...string), fix string) (cut bool) {
	st := m.c.Styles
	return m.wordLines(add, strings.Repeat(" ", 25)+st.Dim.Render("fix: "), fix, st.Dim)
}

// wordLines adds text after prefix wrapped at spaces only, the lines
// after the first lined up under it: a word too wide for the indent is
// moved left as far as it needs, and one wider than the screen is cut
// (reported true).
func (m Model) wordLines(add func(...string), prefix, text string, style lipgloss.Style) (cut bool) {
	pw := ansi.StringWidth(prefix)
	for _, l := range common.WrapWords(text, max(m.width-pw, 20)) {
		lw := ansi.StringWidth(l)
		switch {
		case lw <= m.width-pw:
			add(prefix + style.Render(l))
		case lw <= m.width:
			add(strings.Repeat(" ", m.width-lw) + style.Render(l))
		default:
			add(style.Render(common.Truncate(l, m.width)))
			cut = true
		}
		prefix = strings.Repeat(" ", pw)
	}
	return cut
}

// restoreLine is where a restore command is among the view's lines
// (render: from line to end, exclusive), for the copy key.
type restoreLine struct {
	line, end int
	key, cmd  string
}

// lines renders everything the view can show, one string per line; View
// scrolls over them. Every string from the bucket passes through sanitize.
func (m Model) lines() []string {
	ls, _ := m.render()
	return ls
}

// render is lines, and where each restore command starts among them.
func (m Model) render() ([]string, []restoreLine) {
	st := m.c.Styles
	var restores []restoreLine
	var ls []string
	add := func(s ...string) { ls = append(ls, s...) }
	indent := strings.Repeat(" ", 11) // under a verify row's key
	// wrap adds s wrapped to the width, the first line after prefix and
	// the rest indented to line up under it.
	// Beside a prefix that leaves less than 20 cells (a finding's label
	// at 40 columns) the text goes under it instead: wrapped to 20 cells
	// there, the screen cut every line and words were lost.
	wrap := func(prefix string, s string, style lipgloss.Style) {
		pw := ansi.StringWidth(prefix)
		if m.width-pw < 20 && pw > 2 {
			add(prefix)
			prefix, pw = "  ", 2
		}
		w := max(m.width-pw, 1)
		for i, l := range strings.Split(common.Wrap(s, w), "\n") {
			if i > 0 {
				prefix = strings.Repeat(" ", pw)
			}
			add(prefix + style.Render(l))
		}
	}

	loc := ""
	if m.env.Config != nil {
		loc = m.env.Config.Location().String()
	} else if m.env.Bucket != nil {
		loc = m.env.Bucket.Location().String()
	}
	add(st.Subject.Render("Audit")+"  "+st.Dim.Render(sanitize.Line(loc)), "")

	add(st.Accent.Render("Posture"))
	switch {
	case m.env.Config == nil:
		add(st.Faint.Render("  not available for this mailbox"))
	case m.postureLoading:
		add(st.Dim.Render("  reading the bucket's settings…"))
	case m.postureErr != nil:
		wrap("  ", sanitize.Line(mailstore.Explain(m.postureErr)), st.Warning)
	default:
		cut := false
		for _, f := range m.findings {
			prefix := " " + m.severityLabel(f.Severity) + " " + st.Bold.Render(fmt.Sprintf("%-14s", f.Check)) + " "
			wrap(prefix, sanitize.Line(f.Summary), st.Normal)
			if f.Fix != "" {
				cut = m.fixLines(add, sanitize.Line(f.Fix)) || cut
			}
		}
		if cut {
			wrap("  ", "A fix too wide for the screen is cut (…): sesbox audit posture prints it whole.", st.Dim)
		}
	}
	add("")

	if m.env.Account != nil {
		add(st.Accent.Render("SES account"))
		switch {
		case m.postureLoading && m.account == nil:
			add(st.Dim.Render("  reading the SES account…"))
		case m.accountErr != nil:
			wrap("  ", sanitize.Line(mailstore.Explain(m.accountErr)), st.Warning)
		case m.account != nil:
			for _, f := range m.account.Fields() {
				label := fmt.Sprintf("  %-14s ", f.Label)
				if f.Indent {
					label = "    " + sanitize.Line(f.Label) + "  "
				}
				style := st.Normal
				if f.Alarm {
					style = st.Warning
				}
				wrap(st.Bold.Render(label), sanitize.Line(f.Value), style)
			}
		}
		add("")
	}

	head := st.Accent.Render("Verify")
	if m.manifest != "" {
		head += "  " + st.Dim.Render(sanitize.Line(m.manifest))
	}
	add(head)
	switch m.state {
	case verifyIdle:
		if m.env.Bucket == nil {
			add(st.Faint.Render("  not available for this mailbox"))
		} else {
			wrap("  ", "press "+m.keys.Verify.Help().Key+" to compare the bucket with a manifest", st.Dim)
		}
	case verifyRunning:
		add("  " + m.progressLine())
	case verifyStopped:
		add(st.Warning.Render("  stopped") + "  " + st.Dim.Render(m.counts(m.progress.Unchanged, m.progress.Changed, m.progress.MetadataChanged, m.progress.Deleted, m.progress.New, m.progress.Errors)))
	case verifyFailed:
		// Wrapped, hint first: on one line the screen cut off the end,
		// which says what is wrong ("no such file or directory").
		wrap(st.StatusError.Render("  verify failed: "), sanitize.Line(mailstore.Explain(m.err)), st.Warning)
	case verifyDone:
		s := m.summary
		verdict := st.Pass.Render("  OK: nothing changed or deleted")
		switch {
		case s.Incomplete():
			verdict = st.Warning.Render(fmt.Sprintf("  INCOMPLETE: %s could not be read; nothing read was changed or deleted", mailstore.Count(s.Errors, "object")))
		case !s.OK():
			verdict = st.Fail.Render("  FAILED: the bucket no longer matches the manifest")
			if !s.Manifest.OK() {
				verdict = st.Fail.Render("  FAILED: the manifest fails its own check")
			}
		}
		add(verdict)
		// Said at once, as audit verify says it: against an --as-of
		// manifest, what changed since its date is counted below.
		if n := s.Manifest.AsOfNote(); n != "" {
			wrap("  ", "manifest: "+n, st.Warning)
		}
		if n := s.AsOfNote(); n != "" {
			wrap("  ", "compared with: "+n, st.Warning)
		}
		add("  " + st.Dim.Render(m.counts(s.Unchanged, s.Changed, s.MetadataChanged, s.Deleted, s.New, s.Errors)))
		if s.Changed+s.Deleted > 0 {
			add("  " + st.Dim.Render(fmt.Sprintf("recoverable: %d of %d changed or deleted", s.Recoverable, s.Changed+s.Deleted)))
		}
		if s.DeletedSinceManifest > 0 {
			// Not in the manifest: found among the bucket's versions.
			wrap("  ", fmt.Sprintf("deleted since the manifest: %d put after it was made (or left out of it) and deleted, as the bucket's versions show", s.DeletedSinceManifest), st.Fail)
		}
		if s.Rewritten > 0 {
			add("  " + st.Warning.Render(fmt.Sprintf("rewritten: %d unchanged, but written again since the manifest", s.Rewritten)))
		}
		if s.Destroyed > 0 {
			wrap("  ", fmt.Sprintf("destroyed: %d of the manifest's versions deleted for good (s3:DeleteObjectVersion)", s.Destroyed), st.Warning)
		}
		if s.LockChanged > 0 {
			wrap("  ", fmt.Sprintf("object lock: %d changed (the retention or legal hold of the manifest's version)", s.LockChanged), st.Warning)
		}
		if s.ETagMismatches > 0 {
			add("  " + st.Warning.Render(etagsNotMD5(int(s.ETagMismatches))))
		}
		if s.Manifest.OK() {
			// Wrapped: the digest's end was cut at 80 columns.
			wrap("  ", fmt.Sprintf("manifest intact: %s, sha256 %s", mailstore.Count(int(s.Manifest.Entries), "entry"), s.Manifest.SHA256), st.Dim)
		}
		for _, p := range s.Manifest.Problems {
			wrap("  ", "manifest: "+sanitize.Line(p), st.Warning)
		}
		if n := s.Manifest.LacksNote(); n != "" {
			wrap("  ", "manifest: "+n, st.Warning)
		}
		if n := s.Manifest.MetadataNote(); n != "" {
			wrap("  ", "manifest: "+n, st.Warning)
		}
		if s.Anchor != "" {
			wrap("  ", "action log: "+sanitize.Line(s.Anchor), st.Dim)
		}
		add("  " + st.Dim.Render("bucket versioning: "+sanitize.Line(s.Versioning)))
		if n := s.VersioningNote(); n != "" {
			wrap("  ", n, st.Warning)
		}
		if p := s.Protection(); p != "" {
			wrap("  ", "bucket protection: "+sanitize.Line(p), st.Dim)
		}
		for _, w := range s.Warnings {
			wrap("  ", "warning: "+sanitize.Line(w), st.Warning)
		}
	}
	if len(m.results) > 0 {
		add("")
	}
	bucket := ""
	if m.env.Bucket != nil {
		bucket = m.env.Bucket.Location().Bucket
	}
	for _, r := range m.results {
		add(" " + m.statusLabel(r.Status) + st.Normal.Render(sanitize.Key(r.Key)))
		if r.Subject != "" {
			add(indent + st.Dim.Render(sanitize.Line(r.Subject)))
		}
		if r.Status == audit.Changed {
			// As audit verify prints them, each whole: two cells in, a
			// digest fits 80 columns (under the id it was cut).
			add("  "+st.Dim.Render("sha256 "+sanitize.Line(r.SHA256)), "  "+st.Dim.Render("was    "+sanitize.Line(r.ManifestSHA256)))
		}
		if r.Recoverable != "" {
			add(indent + st.Pass.Render("recoverable: version "+sanitize.Line(r.Recoverable)))
			if cmd := audit.RestoreCommand(bucket, r.Key, r.Recoverable); cmd != "" {
				// Wrapped at spaces only, never inside the quoted key or
				// copy source; the copy key takes it whole.
				first := len(ls)
				m.wordLines(add, "  restore: ", cmd, st.Normal)
				restores = append(restores, restoreLine{first, len(ls), r.Key, cmd})
			}
		}
		for _, v := range r.Versions {
			what := "version"
			if v.DeleteMarker {
				what = "delete marker"
			}
			line := fmt.Sprintf("%s %s  %s", what, v.VersionID, v.LastModified.In(m.loc()).Format(time.DateTime))
			if v.IsLatest {
				line += "  (latest)"
			}
			// Wrapped: "(latest)" was cut at 80 columns.
			wrap(indent, sanitize.Line(line), st.Faint)
		}
		if r.Note != "" {
			wrap(indent, sanitize.Line(r.Note), st.Warning)
		}
		if r.Error != "" {
			wrap(indent, sanitize.Line(r.Error), st.Fail)
		}
	}
	if len(restores) > 0 {
		add("")
		wrap("  ", m.keys.Copy.Help().Key+" copies the first restore command on the screen whole (OSC 52); sesbox audit verify prints each on one line", st.Dim)
	}
	return ls, restores
}

func (m Model) loc() *time.Location {
	if m.c.Loc != nil {
		return m.c.Loc
	}
	return time.Local
}

// counts says a verify's counts; metadata-changed objects only when
// there are some, so the line fits 80 columns otherwise.
func (m Model) counts(unchanged, changed, metadata, deleted, added, errs int64) string {
	s := fmt.Sprintf("%d unchanged, %d changed, ", unchanged, changed)
	if metadata > 0 {
		s += fmt.Sprintf("%d metadata changed, ", metadata)
	}
	return s + fmt.Sprintf("%d deleted, %d new, %s", deleted, added, mailstore.Count(int(errs), "error"))
}

// progressLine draws "[#####-----] 123/456 objects  45/s  ETA 10s  1 changed".
func (m Model) progressLine() string {
	st := m.c.Styles
	p := m.progress
	const width = 24
	frac := 0.0
	if p.Listed > 0 {
		frac = float64(p.Done) / float64(p.Listed)
	}
	n := min(int(frac*width), width)
	bar := "[" + st.Accent.Render(strings.Repeat("#", n)) + st.Faint.Render(strings.Repeat("-", width-n)) + "]"
	total := fmt.Sprint(p.Listed)
	if p.Listing {
		total += "+"
	}
	now := time.Now()
	if m.c.Now != nil {
		now = m.c.Now()
	}
	s := fmt.Sprintf(" %d/%s objects", p.Done, total)
	if r := p.Rate(now); r > 0 {
		s += fmt.Sprintf("  %.0f/s", r)
		if !p.Listing && p.Listed > p.Done {
			s += "  ETA " + time.Duration(float64(p.Listed-p.Done)/r*float64(time.Second)).Round(time.Second).String()
		}
	}
	line := bar + st.Normal.Render(s)
	if bad := p.Changed + p.MetadataChanged + p.Deleted + p.Errors; bad > 0 {
		line += "  " + st.Fail.Render(fmt.Sprintf("%d changed, %d deleted, %s", p.Changed+p.MetadataChanged, p.Deleted, mailstore.Count(int(p.Errors), "error")))
	}
	return line
}

// etagsNotMD5 says how many ETags are not the MD5 of their objects, the
// verb agreeing with the count.
func etagsNotMD5(n int) string {
	if n == 1 {
		return "1 ETag is not the MD5 of its bytes (expected under SSE-KMS/SSE-C)"
	}
	return mailstore.Count(n, "ETag") + " are not the MD5 of their bytes (expected under SSE-KMS/SSE-C)"
}
