// Package viewer shows one message: a header block with SES's verdicts and
// envelope recipients, the body (text, or HTML as text with numbered links)
// in a pager (search, position, quotes dimmed by depth), parse warnings,
// full headers, the raw source, the links and the parts, which it can
// show inline (text, nested messages, mailcap copiousoutput), save, open
// or pipe to a command.
package viewer

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/external"
	"github.com/sesbox/sesbox/mailstore/mailbox"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
	"github.com/sesbox/sesbox/tui/keys"
)

// NeighbourRequestedMsg is sent when the user asks for the next (Delta 1)
// or previous (Delta -1) message of the list.
type NeighbourRequestedMsg struct {
	Key   string // the message shown when the user asked
	Delta int
}

type mode int

const (
	modeBody mode = iota
	modeHeaders
	modeRaw
	modeParts
	modeLinks
	modePart // one part shown inline, entered from modeParts
)

type promptKind int

const (
	promptSave promptKind = iota
	promptSearch
	promptPipe
)

// inlinePart is the part shown in modePart.
type inlinePart struct {
	index   int
	title   string
	loading bool       // renderPartCmd is still making its text
	text    string     // sanitized text, or
	nested  *mime.View // a message/rfc822 part
	note    string     // where the text came from (a mailcap viewer)
	raw     []byte     // the part's decoded content
}

// level is what a nested message's parts list covers: the parts list it
// was opened from, its cursor, and the nested message shown inline.
type level struct {
	parts  []mime.Part
	part   int
	inline inlinePart
}

// rawLimit caps how much of the raw source is shown: a message with a big
// attachment would otherwise be megabytes of base64 in the viewport.
const rawLimit = 1 << 20

// Model is the message viewer.
type Model struct {
	c             common.Common
	width, height int

	key     string
	summary mailstore.Summary
	msg     *mailbox.Message // nil while loading or after an error
	err     error

	mode  mode
	vp    viewport.Model
	lines []line   // what vp shows, as plain text with styles
	drawn []string // lines drawn without highlights (draw)
	parts []mime.Part
	part  int // cursor in the parts list
	links []mime.Link
	link  int // cursor in the links list
	// linksCut is set when the text held more links than are listed
	// (mime.MaxTextLinks).
	linksCut bool

	inline inlinePart
	// outer are the levels above a nested message's parts list: p on a
	// nested message shown inline lists its parts, Back returns.
	outer  []level
	search search
	// wrapping is the generation of the body being wrapped in
	// wrapBodyCmd (0: none); wrapGen counts them.
	wrapping, wrapGen int
	// wrapTop is the line the wrapped body is shown from: where the
	// reader was when a resize wrapped it again.
	wrapTop int

	prompting bool
	prompt    promptKind
	savePart  int  // the part a save prompt is for; 0 = all attachments
	pipeRaw   bool // the pipe prompt sends the raw message (else decoded)
	pipePart  int  // the part a pipe prompt is for; 0 = the message
	// hist is what was entered in each prompt, for Up/Down to recall.
	hist  map[promptKind]*common.History
	input textinput.Model
}

// New returns an empty viewer.
func New(c common.Common) Model {
	k := c.Keys.Viewer
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{
		PageDown: k.PageDown, PageUp: k.PageUp,
		HalfPageDown: k.HalfDown, HalfPageUp: k.HalfUp,
		Down: k.Down, Up: k.Up,
		Left: key.NewBinding(key.WithDisabled()), Right: key.NewBinding(key.WithDisabled()),
	}
	vp.MouseWheelEnabled = true
	hist := map[promptKind]*common.History{promptSave: {}, promptSearch: {}, promptPipe: {}}
	return Model{c: c, vp: vp, input: common.NewInput(c.Styles, ""), search: search{cur: -1}, hist: hist}
}

// SetSize sets the area the viewer draws in.
func (m *Model) SetSize(w, h int) {
	if m.Resize(w, h) != nil {
		m.layout() // no one to run the Cmd: wrapped here
	}
}

// Resize is SetSize for a resize of the terminal: a big body (bigBody)
// is wrapped to the new width in the Cmd returned (BodyWrappedMsg), as
// when it was opened; wrapped here it held the screen a second at every
// resize. Each resize makes the results of the ones before it stale.
func (m *Model) Resize(w, h int) tea.Cmd {
	rewrap := w != m.width
	m.width, m.height = w, h
	m.input.Width = max(1, w/2)
	switch {
	case !rewrap:
		m.fit()
	case m.mode == modeBody && m.msg != nil && len(m.msg.Raw) > bigBody:
		top := m.vp.YOffset
		if m.wrapping != 0 {
			top = m.wrapTop // the placeholder is at the top: keep the reader's line
		}
		return m.wrapLater(top)
	default:
		m.layout()
	}
	return nil
}

// wrapLater shows "formatting" in place of the body and returns the Cmd
// that wraps it (wrapBodyCmd); the result is shown from line top. Until
// it comes the viewer is Loading, so the root holds the keys typed.
func (m *Model) wrapLater(top int) tea.Cmd {
	m.size()
	m.wrapGen++
	m.wrapping, m.wrapTop = m.wrapGen, top
	m.lines = []line{styled(m.c.Styles.Dim, "formatting "+mailstore.FormatSize(int64(len(m.msg.Raw)))+"…")}
	m.search.lit = nil // drawn from the lines replaced; setHits draws the wrapped ones
	m.drawn = m.draw()
	m.refresh()
	m.vp.GotoTop()
	return wrapBodyCmd(*m, m.wrapping)
}

// Key returns the key of the message shown (or being loaded).
func (m Model) Key() string { return m.key }

// Message returns the message shown, nil while it is read or when it could
// not be.
func (m Model) Message() *mailbox.Message { return m.msg }

// Loading reports whether the message shown is being read, or the part
// shown inline rendered (renderPartCmd): keys that act on its body,
// parts, links or text have nothing to act on yet (a G typed right after
// Enter on a part went to "loading…" and was lost).
func (m Model) Loading() bool {
	return m.key != "" && m.msg == nil && m.err == nil || m.mode == modePart && m.inline.loading || m.wrapping != 0
}

// SetLoading shows s's header while its message is read.
func (m *Model) SetLoading(s mailstore.Summary) {
	m.key, m.summary, m.msg, m.err = s.Key, s, nil, nil
	m.mode, m.part, m.parts = modeBody, 0, nil
	m.links, m.linksCut, m.link, m.inline, m.outer = nil, false, 0, inlinePart{}, nil
	m.search = search{cur: -1}
	m.prompting = false
	m.layout()
	m.vp.GotoTop()
}

// SetMessage shows a message read in full; for a big one, the Cmd
// returned wraps its body (BodyWrappedMsg).
func (m *Model) SetMessage(msg *mailbox.Message) tea.Cmd {
	m.key, m.summary, m.msg, m.err = msg.Summary.Key, msg.Summary, msg, nil
	m.parts, m.links, m.linksCut = nil, nil, false
	if msg.View != nil {
		m.parts = msg.View.Parts
		m.links, m.linksCut = msg.View.AllLinks()
	}
	m.part, m.link = 0, 0
	if m.mode == modeLinks || m.mode == modePart {
		m.mode = modeBody
	}
	m.inline, m.outer = inlinePart{}, nil
	m.search.cur = -1
	if m.mode == modeBody && len(msg.Raw) > bigBody {
		// Wrapped in a Cmd: a 5 MB body of one line took a second here,
		// the screen frozen.
		return m.wrapLater(0)
	}
	m.layout()
	m.vp.GotoTop()
	return nil
}

// bigBody is the size of message over which SetMessage wraps the body in
// a Cmd (wrapBodyCmd).
const bigBody = 1 << 20

// SetError shows why the message could not be read.
func (m *Model) SetError(err error) {
	m.err, m.msg = err, nil
	m.layout()
}

// SetRead updates the read flag of the summary shown.
func (m *Model) SetRead(read bool) { m.summary.Read = read }

// Capturing reports whether a prompt has the keyboard.
func (m Model) Capturing() bool { return m.prompting }

// leaveNested goes back to the message's own parts from any depth.
func (m *Model) leaveNested() {
	if len(m.outer) > 0 {
		m.parts, m.part = m.outer[0].parts, m.outer[0].part
		m.outer = nil
	}
}

// Back leaves a sub-view (headers, raw, parts, links; a part shown inline
// goes back to the parts) and reports whether it did; when it did not, the
// root closes the viewer.
func (m *Model) Back() bool {
	switch m.mode {
	case modeBody:
		return false
	case modePart:
		m.mode = modeParts
	case modeParts:
		if n := len(m.outer); n > 0 {
			// Up one level: the nested message whose parts these are.
			l := m.outer[n-1]
			m.outer = m.outer[:n-1]
			m.parts, m.part, m.inline, m.mode = l.parts, l.part, l.inline, modePart
			break
		}
		m.mode = modeBody
	default:
		m.mode = modeBody
	}
	m.search.cur = -1
	m.layout()
	m.vp.GotoTop()
	return true
}

// HasSearch reports whether a search (/) is highlighted.
func (m Model) HasSearch() bool { return m.search.re != nil }

// ClearSearch drops the search and its highlight.
func (m *Model) ClearSearch() {
	m.search = search{cur: -1}
	m.refresh()
}

// Clearing is the clear-search key, disabled with no search set: esc is
// back then, one key, one action on the key line and the help page (the
// root puts it among the global keys, before the back key without esc).
func (m Model) Clearing() key.Binding {
	b := m.c.Keys.Viewer.ClearSearch
	b.SetEnabled(m.HasSearch())
	return b
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd { return nil }

// Update handles keys and the mouse wheel.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if m.prompting {
			return m.updatePrompt(msg)
		}
		return m.updateKey(msg)
	case tea.MouseMsg:
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	case PartRenderedMsg, PartExecRequestedMsg, ExternalExitedMsg, LinkOpenedMsg, BodyWrappedMsg:
		return m.updateResult(msg.(common.Addressed))
	}
	return m, nil
}

// moveIn moves the cursor *i of a menu of n entries (the parts, the links)
// by a key of k, reporting whether msg was one of those keys.
func moveIn(msg tea.KeyMsg, k keys.Viewer, i *int, n int) bool {
	switch {
	case key.Matches(msg, k.Down):
		*i = min(*i+1, max(n-1, 0))
	case key.Matches(msg, k.Up):
		*i = max(*i-1, 0)
	case key.Matches(msg, k.Top):
		*i = 0
	case key.Matches(msg, k.Bottom):
		*i = max(n-1, 0)
	default:
		return false
	}
	return true
}

func (m Model) updateKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.c.Keys.Viewer
	switch m.mode {
	case modeParts:
		if moveIn(msg, k, &m.part, len(m.parts)) {
			m.layout()
			return m, nil
		}
		if key.Matches(msg, k.Select) {
			return m.showPart()
		}
	case modeLinks:
		if moveIn(msg, k, &m.link, len(m.links)) {
			m.layout()
			return m, nil
		}
		switch {
		case key.Matches(msg, k.Select):
			return m.openLink(false)
		case key.Matches(msg, k.CopyLink):
			return m.openLink(true)
		}
	}
	switch {
	case key.Matches(msg, k.Search):
		return m.startPrompt(promptSearch)
	case key.Matches(msg, k.NextMatch):
		return m.nextHit(1)
	case key.Matches(msg, k.PrevMatch):
		return m.nextHit(-1)
	case key.Matches(msg, k.Links):
		m.toggle(modeLinks)
		if m.mode == modeLinks && len(m.links) == 0 {
			return m, notice("this message has no links")
		}
	case key.Matches(msg, k.OpenHTML):
		return m.openHTML()
	case key.Matches(msg, k.Pipe):
		return m.startPrompt(promptPipe)
	case key.Matches(msg, k.Next):
		return m, neighbour(m.key, 1)
	case key.Matches(msg, k.Prev):
		return m, neighbour(m.key, -1)
	case key.Matches(msg, k.Top):
		m.vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		m.vp.GotoBottom()
	case key.Matches(msg, k.Headers):
		m.toggle(modeHeaders)
	case key.Matches(msg, k.Raw):
		m.toggle(modeRaw)
	case key.Matches(msg, k.Parts) && m.mode == modePart && m.inline.nested != nil && len(m.inline.nested.Parts) > 0:
		// The nested message's own parts, a level down.
		m.outer = append(m.outer, level{parts: m.parts, part: m.part, inline: m.inline})
		m.parts, m.part, m.inline = m.inline.nested.Parts, 0, inlinePart{}
		m.mode = modeParts
		m.search.cur = -1
		m.layout()
		m.vp.GotoTop()
	case key.Matches(msg, k.Parts):
		m.toggle(modeParts)
	case key.Matches(msg, k.Save):
		return m.startSave()
	case key.Matches(msg, k.Open):
		return m.open()
	case key.Matches(msg, k.CopyKey):
		return m, copyCmd(m.c.Terminal, "S3 key", m.key)
	case key.Matches(msg, k.CopyID):
		if m.summary.MessageID == "" {
			return m, nil
		}
		return m, copyCmd(m.c.Terminal, "Message-ID", m.summary.MessageID)
	default:
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) toggle(to mode) {
	if m.mode == to {
		to = modeBody
	}
	m.leaveNested()
	m.mode = to
	m.search.cur = -1
	m.layout()
	m.vp.GotoTop()
}

func neighbour(key string, delta int) tea.Cmd {
	return func() tea.Msg { return NeighbourRequestedMsg{Key: key, Delta: delta} }
}

// selectedPart is the part that s and o act on: the one under the cursor in
// the parts list, else the only attachment; 0 means "all attachments".
func (m Model) selectedPart() (mime.Part, bool) {
	if m.mode == modeParts && m.part < len(m.parts) {
		return m.parts[m.part], true
	}
	if m.mode == modePart && m.inline.index > 0 && m.inline.index <= len(m.parts) {
		return m.parts[m.inline.index-1], true
	}
	if m.msg != nil && m.msg.View != nil {
		if a := m.msg.View.Attachments(); len(a) == 1 {
			return a[0], true
		}
	}
	return mime.Part{}, false
}

func (m Model) startSave() (Model, tea.Cmd) {
	if m.msg == nil || m.msg.View == nil {
		return m, nil
	}
	n := len(m.msg.View.Attachments())
	p, one := m.selectedPart()
	switch {
	case one && (m.mode == modeParts || m.mode == modePart):
		m.savePart = p.Index
		m.input.Prompt = "save part " + strconv.Itoa(p.Index) + " (" + partName(p) + ") to: "
	case n == 0 && m.msg.View.Source:
		// Its parts were not read (too many, too deep): p lists none.
		return m, notice("nothing to save: the message's parts could not be read; " + m.c.Keys.Viewer.Raw.Help().Key + " shows its source")
	case n == 0:
		return m, notice("this message has no attachments; " + m.c.Keys.Viewer.Parts.Help().Key + " lists its parts")
	default:
		m.savePart = 0
		m.input.Prompt = "save " + mailstore.Count(n, "attachment") + " to: "
	}
	m.prompt = promptSave
	return m.openPrompt(m.c.SaveDir)
}

// openPrompt shows the one-line input (its Prompt set) holding value.
func (m Model) openPrompt(value string) (Model, tea.Cmd) {
	m.prompting = true
	m.hist[m.prompt].Reset()
	m.input.SetValue(value)
	m.input.CursorEnd()
	m.input.Width = max(1, m.width-ansi.StringWidth(m.input.Prompt)-2)
	m.fit()
	return m, m.input.Focus()
}

func (m Model) updatePrompt(msg tea.KeyMsg) (Model, tea.Cmd) {
	p := m.c.Keys.Prompt
	switch {
	case key.Matches(msg, p.Accept):
		value := m.input.Value()
		m.prompting = false
		m.input.Blur()
		m.fit()
		m.hist[m.prompt].Add(strings.TrimSpace(value))
		switch m.prompt {
		case promptSearch:
			return m.startSearch(value)
		case promptPipe:
			return m.pipe(strings.TrimSpace(value))
		}
		dir := strings.TrimSpace(value)
		if dir == "" || m.msg == nil {
			return m, nil
		}
		v := m.msg.View
		if n := len(m.outer); n > 0 && m.savePart > 0 {
			// A part of a nested message: numbered in that message.
			v = m.outer[n-1].inline.nested
		}
		return m, saveCmd(v, m.key, dir, m.savePart)
	case m.prompt == promptPipe && m.pipePart == 0 && key.Matches(msg, m.c.Keys.Viewer.PipeMode):
		m.pipeRaw = !m.pipeRaw
		m.input.Prompt = m.pipePrompt()
		m.input.Width = max(1, m.width-ansi.StringWidth(m.input.Prompt)-2)
		return m, nil
	case key.Matches(msg, p.Older, p.Newer):
		m.hist[m.prompt].Recall(msg, p, &m.input)
		return m, nil
	case key.Matches(msg, p.Cancel):
		m.prompting = false
		m.input.Blur()
		m.fit()
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

func (m Model) open() (Model, tea.Cmd) {
	if m.msg == nil {
		return m, nil
	}
	p, ok := m.selectedPart()
	if !ok {
		if len(m.parts) == 0 {
			return m, nil
		}
		m.mode = modeParts
		m.layout()
		k := m.c.Keys.Viewer
		return m, notice("choose a part with " + k.Down.Help().Key + "/" + k.Up.Help().Key + ", then press " + k.Open.Help().Key + " again")
	}
	return m, openCmd(m.c.Opener, m.key, p)
}

// showPart shows the part under the cursor inline: text decoded, a
// message/rfc822 as a nested message, anything else through mailcap (or
// the opener). Decoding, HTML as text and parsing run in renderPartCmd: on
// a part of megabytes they take up to a second, which inside Update froze
// every key; until the result comes the part says "loading…".
func (m Model) showPart() (Model, tea.Cmd) {
	if m.part >= len(m.parts) {
		return m, nil
	}
	p := m.parts[m.part]
	kind := inlineKind(p.ContentType)
	if kind == inlineOther {
		// The parts list stays until a copiousoutput viewer has
		// rendered the part; other viewers take their own window or
		// the terminal.
		return m, tea.Batch(notice("opening part "+strconv.Itoa(p.Index)+" with mailcap…"), mailcapCmd(m.key, p, m.c.Opener))
	}
	m.inline, m.mode = inlinePart{index: p.Index, raw: p.Content, title: m.partTitle(p), loading: true}, modePart
	m.search.cur = -1
	m.layout()
	m.vp.GotoTop()
	return m, renderPartCmd(m.key, p, kind)
}

// partTitle heads a part shown inline.
func (m Model) partTitle(p mime.Part) string {
	return "part " + strconv.Itoa(p.Index) + ": " + sanitize.Line(p.ContentType) + " (" + m.c.Keys.Global.Back.Help().Key + ": back to parts)"
}

func toLF(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

type inlineKindT int

const (
	inlineOther inlineKindT = iota
	inlineText
	inlineHTML
	inlineMessage
)

// inlineKind says how a content type is shown inline. Text parts are
// already decoded to UTF-8 by mime; delivery reports are text too.
func inlineKind(ct string) inlineKindT {
	ct = strings.ToLower(ct)
	switch {
	case ct == "text/html":
		return inlineHTML
	case ct == "message/rfc822", ct == "message/global":
		return inlineMessage
	case strings.HasPrefix(ct, "text/"), ct == "message/delivery-status", ct == "message/disposition-notification",
		ct == "message/global-delivery-status", ct == "message/global-headers":
		return inlineText
	}
	return inlineOther
}

// openHTML opens the HTML body in a browser from a private copy that
// loads nothing remote.
func (m Model) openHTML() (Model, tea.Cmd) {
	if m.msg == nil || m.msg.View == nil {
		return m, nil
	}
	html := m.msg.View.HTML
	if m.mode == modePart && m.inline.index > 0 {
		if p := m.parts[m.inline.index-1]; inlineKind(p.ContentType) == inlineHTML {
			html = string(p.Content)
		}
	} else if m.mode == modeParts && m.part < len(m.parts) && inlineKind(m.parts[m.part].ContentType) == inlineHTML {
		html = string(m.parts[m.part].Content)
	}
	if html == "" {
		return m, notice("this message has no HTML part")
	}
	return m, openHTMLCmd(m.key, html, m.parts, external.Browser(m.c.Opener))
}

// openLink opens (or, with copy, copies) the link under the cursor.
func (m Model) openLink(copyOnly bool) (Model, tea.Cmd) {
	if m.link >= len(m.links) {
		return m, nil
	}
	return m, openLinkCmd(m.c.Terminal, m.links[m.link].URL, external.Browser(m.c.Opener), copyOnly)
}

// ShortHelp implements help.KeyMap.
func (m Model) ShortHelp() []key.Binding {
	k := m.c.Keys.Viewer
	if m.prompting {
		p := m.c.Keys.Prompt
		if m.prompt == promptPipe && m.pipePart == 0 {
			return []key.Binding{p.Accept, p.Cancel, k.PipeMode, p.Older}
		}
		return []key.Binding{p.Accept, p.Cancel, p.Older}
	}
	switch m.mode {
	case modeParts:
		sel := k.Select
		sel.SetHelp(sel.Help().Key, "show part")
		return []key.Binding{sel, k.Save, k.Open, k.Pipe, k.Search}
	case modeLinks:
		sel := k.Select
		sel.SetHelp(sel.Help().Key, "open link")
		return []key.Binding{sel, k.CopyLink, k.Search}
	}
	return []key.Binding{k.Search, k.Next, k.Prev, k.Parts, k.Links, k.Headers, k.Save, k.Open}
}

// FullHelp implements help.KeyMap.
// The keys are those of the mode shown: y copies the link in the links
// list and the S3 key elsewhere, and the help named both on one page.
func (m Model) FullHelp() [][]key.Binding {
	k := m.c.Keys.Viewer
	// Said where it acts: among the pager's keys "tab raw/decoded" read
	// as one, and tab does nothing there.
	pipeMode := k.PipeMode
	pipeMode.SetHelp(pipeMode.Help().Key, pipeMode.Help().Desc+" (in the "+k.Pipe.Help().Key+" prompt)")
	links := []key.Binding{k.Links, k.Select, k.OpenHTML, k.Pipe, pipeMode}
	copyKeys := []key.Binding{k.Save, k.Open, k.CopyKey, k.CopyID}
	if m.mode == modeLinks {
		links = []key.Binding{k.Links, k.Select, k.CopyLink, k.OpenHTML, k.Pipe, pipeMode}
		copyKeys = []key.Binding{k.Save, k.Open, k.CopyID}
	}
	return [][]key.Binding{
		{k.Down, k.Up, k.HalfDown, k.HalfUp, k.PageDown, k.PageUp, k.Top, k.Bottom},
		{k.Search, k.NextMatch, k.PrevMatch, k.Next, k.Prev, k.Headers, k.Raw, k.Parts},
		links, copyKeys,
	}
}

// partName is the name a part would be saved under: the sender's name made
// safe (no path, no bidi tricks, a run of blanks one space), so what the
// user sees is what they get; past maxPartName cells it is cut in the
// middle, its extension kept (common.ShortName): "invoice.pdf", a
// hundred underscores and ".exe" showed as "invoice.pdf___…" at the
// screen's edge, in the header's Attached line and the parts list.
func partName(p mime.Part) string {
	if p.Filename != "" {
		return common.ShortName(sanitize.Filename(p.Filename), maxPartName)
	}
	return "part " + strconv.Itoa(p.Index)
}

// maxPartName is the most cells a part's name takes on the screen.
const maxPartName = 40
