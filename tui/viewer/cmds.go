package viewer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/external"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mailcap"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/mailstore/xdg"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/internal/handoff"
)

// AttachmentsSavedMsg is sent when saving attachments (or one part) of the
// message Key into Dir has finished; Paths are the files written, even when
// Err says a later one failed.
type AttachmentsSavedMsg struct {
	Key   string
	Dir   string
	Paths []string
	Err   error
}

// AttachmentOpenedMsg is sent when a program (the opener, a mailcap
// viewer, the browser for the HTML body) has been started on a private
// copy (Path, inside the temporary directory Dir, which the TUI removes
// when it exits).
type AttachmentOpenedMsg struct {
	Key  string
	Path string
	Dir  string
	Err  error
}

// ClipboardCopiedMsg is sent when an OSC 52 sequence asking the terminal to
// copy What (the S3 key or the Message-ID) has been written.
type ClipboardCopiedMsg struct {
	What string
	Err  error
}

func notice(text string) tea.Cmd {
	return func() tea.Msg { return common.NoticePostedMsg{Text: text} }
}

// saveCmd writes the attachments of v (or only part, when part > 0) into
// dir under safe names, the same way `sesbox save` does.
func saveCmd(v *mime.View, key, dir string, part int) tea.Cmd {
	return func() tea.Msg {
		dir = xdg.ExpandHome(dir)
		paths, err := mailbox.SaveParts(v, dir, part)
		return AttachmentsSavedMsg{Key: key, Dir: dir, Paths: paths, Err: err}
	}
}

// openCmd copies part p into a fresh private directory (0700, the file
// 0600, under a generated name with an extension from its content type:
// never the sender's file name) and starts opener on it, detached.
func openCmd(opener, key string, p mime.Part) tea.Cmd {
	return func() tea.Msg {
		argv := strings.Fields(opener)
		if len(argv) == 0 {
			return AttachmentOpenedMsg{Key: key, Err: errors.New("open attachment: no opener (set $OPENER)")}
		}
		dir, err := external.PrivateDir()
		if err != nil {
			return AttachmentOpenedMsg{Key: key, Err: fmt.Errorf("open attachment: %w", err)}
		}
		path, err := external.WriteFile(dir, bytes.NewReader(p.Bytes()), p.ContentType, "")
		if err != nil {
			_ = os.Remove(dir) // empty: WriteFile removed its copy
			return AttachmentOpenedMsg{Key: key, Err: fmt.Errorf("open attachment: %w", err)}
		}
		if err := external.Start(append(argv, path)); err != nil {
			return AttachmentOpenedMsg{Key: key, Path: path, Dir: dir, Err: fmt.Errorf("open attachment: %w", err)}
		}
		return AttachmentOpenedMsg{Key: key, Path: path, Dir: dir}
	}
}

// copyCmd asks the terminal to put text on the clipboard with OSC 52, which
// also works over SSH. This is our own output, not message content: the text
// is base64 inside the sequence, and sanitized first so a crafted
// Message-ID cannot smuggle a newline into what the user pastes.
func copyCmd(w io.Writer, what, text string) tea.Cmd {
	return func() tea.Msg {
		return ClipboardCopiedMsg{What: what, Err: common.CopyText(w, what, text)}
	}
}

// PartRenderedMsg is sent when part Part of message Key has been made
// ready to show inline, or could not be: its text (sanitized), decoded by
// sesbox or printed by a mailcap copiousoutput viewer (Viewer), or
// Nested, a message/rfc822 part parsed.
type PartRenderedMsg struct {
	Key    string
	Part   int
	Text   string
	Nested *mime.View
	Viewer string // the mailcap entry's source and command, for the title; "" when sesbox rendered it
	Cut    bool   // the output was longer than external.OutputLimit
	Err    error
}

// renderPartCmd makes a text, HTML or message part ready to show inline
// (kind says which): text decoded to valid UTF-8, HTML as text, a message
// parsed, as `sesbox show` does.
func renderPartCmd(key string, p mime.Part, kind inlineKindT) tea.Cmd {
	return func() tea.Msg {
		if kind == inlineMessage {
			if p.Message != nil {
				return PartRenderedMsg{Key: key, Part: p.Index, Nested: p.Message} // parsed with its message
			}
			return PartRenderedMsg{Key: key, Part: p.Index, Nested: mime.Parse(p.Content)}
		}
		text := strings.ToValidUTF8(string(p.Content), "\uFFFD")
		if kind == inlineHTML {
			if t, _, err := mime.HTMLText(text); err == nil {
				text = t
			}
		}
		return PartRenderedMsg{Key: key, Part: p.Index, Text: sanitize.Text(toLF(text))}
	}
}

// PartExecRequestedMsg is sent when a part's mailcap entry needs the
// terminal: the viewer runs Command (a shell command line) with tea.Exec
// and removes Dir, the private copy's directory, after it.
type PartExecRequestedMsg struct {
	Key     string
	Part    int
	Command string
	Dir     string
}

// ExternalExitedMsg is sent when a program that had the terminal (a pipe,
// a needsterminal viewer) has exited.
type ExternalExitedMsg struct {
	Key     string
	Command string
	Err     error
}

// LinkOpenedMsg is sent when a link was handed to the browser, or copied
// with OSC 52 (Copied; Why says why it was not opened).
type LinkOpenedMsg struct {
	URL    string
	Copied bool
	Why    string
	Err    error
}

// The pager's own results are addressed to the viewer page.
func (PartRenderedMsg) PageKind() common.Kind      { return Kind }
func (PartExecRequestedMsg) PageKind() common.Kind { return Kind }
func (ExternalExitedMsg) PageKind() common.Kind    { return Kind }
func (LinkOpenedMsg) PageKind() common.Kind        { return Kind }
func (BodyWrappedMsg) PageKind() common.Kind       { return Kind }

func reportErr(err error) tea.Cmd { return common.Error(err) }

// BodyWrappedMsg is a big body wrapped to Width (wrapBodyCmd): its lines,
// and each drawn without highlights.
type BodyWrappedMsg struct {
	Key        string
	Gen, Width int
	Lines      []line
	Drawn      []string
}

// wrapBodyCmd wraps and draws the body of the message m shows, off the
// UI loop: m is a copy, its message read only.
func wrapBodyCmd(m Model, gen int) tea.Cmd {
	return func() tea.Msg {
		m.lines = m.content()
		return BodyWrappedMsg{Key: m.key, Gen: gen, Width: m.width, Lines: m.lines, Drawn: m.draw()}
	}
}

// updateResult handles the viewer's own results.
func (m Model) updateResult(msg common.Addressed) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case BodyWrappedMsg:
		if msg.Key != m.key || msg.Gen != m.wrapping {
			return m, nil // laid out since, or another message
		}
		if msg.Width != m.width || m.mode != modeBody {
			m.layout()
			return m, nil
		}
		m.wrapping = 0
		m.lines, m.drawn = msg.Lines, msg.Drawn
		m.setHits()
		m.refresh()
		m.vp.SetYOffset(m.wrapTop)
		return m, nil
	case PartRenderedMsg:
		// Only while the user still waits for it: a mailcap viewer's
		// output on the parts list of that message, sesbox's own on
		// that part, still loading.
		waiting := m.mode == modeParts
		if msg.Viewer == "" {
			waiting = m.mode == modePart && m.inline.loading && m.inline.index == msg.Part
		}
		stale := msg.Key != m.key || !waiting || msg.Part < 1 || msg.Part > len(m.parts)
		if stale || (msg.Err != nil && msg.Text == "") {
			if msg.Err != nil {
				return m, reportErr(msg.Err) // a failure is news even after the user moved on
			}
			return m, nil
		}
		p := m.parts[msg.Part-1]
		m.inline = inlinePart{index: p.Index, raw: p.Content, text: msg.Text, nested: msg.Nested, title: m.partTitle(p)}
		if msg.Viewer != "" {
			m.inline.note = "shown by " + sanitize.Line(msg.Viewer)
		}
		if msg.Cut {
			m.inline.note += " (output cut at " + mailstore.FormatSize(external.OutputLimit) + ")"
		}
		m.mode = modePart
		m.search.cur = -1
		m.layout()
		m.vp.GotoTop()
		if msg.Err != nil {
			return m, reportErr(msg.Err)
		}
		return m, nil
	case PartExecRequestedMsg:
		if msg.Key != m.key {
			_ = os.RemoveAll(msg.Dir)
			return m, nil
		}
		argv := external.Shell(msg.Command)
		key, dir, command := msg.Key, msg.Dir, msg.Command
		return m, handoff.ExecProcess(exec.Command(argv[0], argv[1:]...), func(err error) tea.Msg {
			_ = os.RemoveAll(dir)
			return ExternalExitedMsg{Key: key, Command: command, Err: err}
		})
	case ExternalExitedMsg:
		if msg.Err != nil {
			return m, reportErr(fmt.Errorf("%s: %w", msg.Command, msg.Err))
		}
		return m, notice(sanitize.Line(msg.Command) + " finished")
	case LinkOpenedMsg:
		switch {
		case msg.Err != nil:
			return m, reportErr(msg.Err)
		case msg.Copied && msg.Why != "":
			return m, notice("copied the link (OSC 52): " + msg.Why)
		case msg.Copied:
			return m, notice("copied the link (OSC 52)")
		}
		return m, notice("opened " + sanitize.Line(msg.URL))
	}
	return m, nil
}

// openHTMLCmd writes the HTML body, made safe (mime.SafeHTML: a strict
// CSP, nothing remote), to a private file and starts the browser on it.
func openHTMLCmd(key, html string, parts []mime.Part, browser string) tea.Cmd {
	return func() tea.Msg {
		safe, err := mime.SafeHTML(html, parts)
		if err != nil {
			return AttachmentOpenedMsg{Key: key, Err: fmt.Errorf("open HTML: %w", err)}
		}
		dir, err := external.PrivateDir()
		if err != nil {
			return AttachmentOpenedMsg{Key: key, Err: fmt.Errorf("open HTML: %w", err)}
		}
		path, err := external.WriteFile(dir, bytes.NewReader(safe), "text/html", "")
		if err != nil {
			_ = os.Remove(dir) // empty: WriteFile removed its copy
			return AttachmentOpenedMsg{Key: key, Err: fmt.Errorf("open HTML: %w", err)}
		}
		if err := external.Start(external.BrowserArgv(browser, path)); err != nil {
			return AttachmentOpenedMsg{Key: key, Path: path, Dir: dir, Err: fmt.Errorf("open HTML: %w", err)}
		}
		return AttachmentOpenedMsg{Key: key, Path: path, Dir: dir}
	}
}

// openLinkCmd starts the browser on url, or copies it to the clipboard
// with OSC 52: when asked to, over SSH (a browser would open on the
// remote machine), without a browser, and for links that are not web or
// mail links (external.NotOpenable says why).
func openLinkCmd(term io.Writer, url, browser string, copyOnly bool) tea.Cmd {
	return func() tea.Msg {
		why := ""
		switch {
		case copyOnly:
		case external.NotOpenable(url) != "":
			why = external.NotOpenable(url)
		case external.OverSSH():
			why = "not opened over SSH"
		case strings.TrimSpace(browser) == "":
			why = "no browser (set $BROWSER)"
		default:
			if err := external.Start(external.BrowserArgv(browser, url)); err != nil {
				return LinkOpenedMsg{URL: url, Err: fmt.Errorf("open link: %w", err)}
			}
			return LinkOpenedMsg{URL: url}
		}
		if err := common.CopyText(term, "link", url); err != nil {
			return LinkOpenedMsg{URL: url, Err: err}
		}
		return LinkOpenedMsg{URL: url, Copied: true, Why: why}
	}
}

// mailcapCmd shows a part through the user's mailcap (external.Show): a
// copiousoutput entry renders it as text (PartRenderedMsg), a
// needsterminal entry gets the terminal (PartExecRequestedMsg), any other
// entry, or the opener when no entry applies, is started detached
// (AttachmentOpenedMsg, so the root removes the copy at exit).
func mailcapCmd(key string, p mime.Part, opener string) tea.Cmd {
	return func() tea.Msg {
		mc, _ := mailcap.Load(mailcap.DefaultPaths()) // bad lines are skipped; good ones still count
		params := map[string]string{}
		if p.Charset != "" {
			params["charset"] = p.Charset
		}
		s, err := external.Show(context.Background(), mc, p.Content, p.ContentType, params, opener)
		switch s.How {
		case external.Rendered:
			return PartRenderedMsg{Key: key, Part: p.Index, Text: sanitize.Text(string(s.Text)), Cut: s.Cut,
				Viewer: s.Command + " (" + s.Source + ")", Err: err}
		case external.Terminal:
			if err != nil {
				return AttachmentOpenedMsg{Key: key, Dir: s.Dir, Err: err}
			}
			return PartExecRequestedMsg{Key: key, Part: p.Index, Command: s.Command, Dir: s.Dir}
		}
		if err != nil {
			err = fmt.Errorf("open part %d: %w", p.Index, err)
		}
		return AttachmentOpenedMsg{Key: key, Path: s.Path, Dir: s.Dir, Err: err}
	}
}

// MessageLoadedMsg is sent when message Key of mailbox Box has been read and
// parsed (or could not be).
type MessageLoadedMsg struct {
	Box     int
	Key     string
	Message *mailbox.Message
	Err     error
}

func loadCmd(ctx context.Context, box int, mb common.Reader, key string) tea.Cmd {
	return func() tea.Msg {
		msg, err := mb.Open(ctx, key)
		if err != nil {
			err = fmt.Errorf("open %s: %w", key, err)
		}
		if msg != nil && msg.View != nil {
			// Found here, off the screen's goroutine: SetMessage lists
			// them at once (a second for 5 MB of hostile words).
			msg.View.AllLinks()
		}
		return MessageLoadedMsg{Box: box, Key: key, Message: msg, Err: err}
	}
}
