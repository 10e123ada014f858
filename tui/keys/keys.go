// Package keys holds the KeyMaps of the TUI: every key the TUI reacts to is a
// key.Binding here, with its help text, so help is generated (never drawn by
// hand) and every binding can be changed from the config file.
package keys

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/sesbox/sesbox/mailstore/sanitize"
)

// Global are the keys the root handles on every screen.
type Global struct {
	Quit key.Binding // always quits
	// QuitNow quits from any screen, without going back screen by
	// screen (mutt's and aerc's Q); a text input takes it as text.
	QuitNow key.Binding
	Back    key.Binding // leaves a sub-screen; quits from the list, but for the clear-filter key (esc)
	Help    key.Binding
	NextBox key.Binding
	PrevBox key.Binding
	Errors  key.Binding
	Refresh key.Binding
	// Audit opens the audit view of the mailbox (from the list or the
	// viewer).
	Audit key.Binding
	// Redraw clears the terminal and draws everything again.
	Redraw key.Binding
	// Command opens the `:` command line.
	Command key.Binding
	// Suspend stops sesbox for the shell that started it (fg resumes), as
	// ctrl+z does in mutt, vim and less.
	Suspend key.Binding
}

// Mail are the keys that act on a message, handled by the root in the list
// (on the message under the cursor; Forward on the marked ones when there
// are any) and in the viewer (on the message shown).
type Mail struct {
	Reply, ReplyAll key.Binding
	// ReplyTo replies to another address than the original's sender
	// (reply --to ADDR): it opens the `:` line on "reply --to ".
	ReplyTo key.Binding
	Forward key.Binding
	// ToggleRead marks the message unread, or read again, by hand.
	ToggleRead key.Binding
}

// List are the message list's keys.
type List struct {
	Up, Down         key.Binding
	Top, Bottom      key.Binding
	HalfUp, HalfDown key.Binding
	PageUp, PageDown key.Binding
	Open             key.Binding
	Mark, MarkAll    key.Binding
	Unmark           key.Binding
	Sort, Reverse    key.Binding
	Filter           key.Binding
	// Search moves to the messages matching a query without hiding the
	// others (Filter limits the list to them).
	Search        key.Binding
	NextMatch     key.Binding
	PrevMatch     key.Binding
	ClearFilter   key.Binding
	Threads       key.Binding
	Fold, FoldAll key.Binding
	SaveMarked    key.Binding
	ExportMarked  key.Binding
	// Pipe pipes the marked messages, else the one under the cursor, to
	// a shell command (as the viewer's Pipe); PipeMode switches its
	// prompt between their decoded text and the stored bytes.
	Pipe     key.Binding
	PipeMode key.Binding
}

// Viewer are the message viewer's keys.
type Viewer struct {
	Up, Down         key.Binding
	Top, Bottom      key.Binding
	HalfUp, HalfDown key.Binding
	PageUp, PageDown key.Binding
	Next, Prev       key.Binding
	Headers          key.Binding
	Raw              key.Binding
	Parts            key.Binding
	Save             key.Binding
	Open             key.Binding
	CopyKey          key.Binding
	CopyID           key.Binding
	// The pager: search the text shown, list and open its links, open
	// the HTML in a browser, pipe to a command.
	Search    key.Binding
	NextMatch key.Binding
	PrevMatch key.Binding
	Links     key.Binding
	OpenHTML  key.Binding
	Pipe      key.Binding
	// Select shows the part under the cursor (parts view) or opens the
	// link under it (links view).
	Select key.Binding
	// CopyLink copies the link under the cursor in the links view, where
	// it takes the place of CopyKey.
	CopyLink key.Binding
	// PipeMode switches the pipe prompt between the raw message and its
	// decoded text.
	PipeMode key.Binding

	// ClearSearch drops the search's highlight (esc, as the list's
	// clear-filter key clears its search); with none, esc is back.
	ClearSearch key.Binding
}

// Compose are the reply composer's keys (tui/compose).
type Compose struct {
	// The review screen.
	Send, Edit, Attach, Discard, Postpone key.Binding
	Up, Down, PageUp, PageDown            key.Binding
	// SendAgain sends a draft whose last send lost SES's answer (it may
	// have gone: Send refuses it), as reply --retry-uncertain does.
	SendAgain key.Binding
	// Done leaves the built-in editor for the review screen.
	Done key.Binding
	// Confirm answers "discard?"; Accept and Cancel end the path prompt.
	Confirm, Accept, Cancel key.Binding
	// The question ctrl+c asks in the built-in editor when the text has
	// changed: postpone (save, then quit), discard, or keep editing.
	QuitPostpone, QuitDiscard, QuitStay key.Binding
}

// Drafts are the keys of the kept drafts page (`:drafts`).
type Drafts struct {
	Up, Down, Top, Bottom key.Binding
	// Resume opens the draft under the cursor in the composer; Delete
	// asks, and Confirm answers, before a draft is deleted.
	Resume, Delete, Confirm key.Binding
}

// Forward are the re-forward screen's keys (tui/forward). Sending takes an
// explicit "y": Enter, pressed out of habit, must not send mail.
type Forward struct {
	Send       key.Binding // confirm: send
	Cancel     key.Binding // confirm: leave without sending
	Stop       key.Binding // running: stop after the send in progress
	Up, Down   key.Binding // confirmation (when longer than the screen), results
	Top        key.Binding
	Bottom     key.Binding
	PageUp     key.Binding
	PageDown   key.Binding
	MarkFailed key.Binding // results: mark the failed and not tried in the list
	Close      key.Binding // results: leave
	// Confirmation and results: plan again with sesbox forward's
	// --retry-uncertain, --include-spam, --again or --include-suppressed
	// turned on or off (Again asks first: it can send a message twice).
	RetryUncertain    key.Binding
	IncludeSpam       key.Binding
	Again             key.Binding
	IncludeSuppressed key.Binding
	// RetryRefused is --retry-refused: the messages SES refused before
	// for the message itself.
	RetryRefused key.Binding
	// To opens a line with the destinations, to send to others than the
	// mapping's (sesbox forward --to); Prompt's Accept and Cancel end it.
	To key.Binding
	// Retry plans the same forward again, as the CLI's hints say to run
	// the same command again (what was sent is skipped): on the results,
	// and on a plan that could not be made.
	Retry key.Binding
}

// Audit are the audit view's keys (tui/audit).
type Audit struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	// Verify starts a verify against the manifest (asking for its path
	// when none was given); Stop cancels a running one.
	Verify, Stop key.Binding
	// Posture reads the bucket's settings again.
	Posture key.Binding
	// Copy puts the first restore command on the screen (any of its
	// lines) on the clipboard (OSC 52), whole: on the screen it is
	// wrapped.
	Copy key.Binding
	// Accept and Cancel end the manifest path prompt.
	Accept, Cancel key.Binding
}

// Prompt are the keys of a one-line input (filter, directory prompt).
type Prompt struct {
	Accept key.Binding
	Cancel key.Binding
	// Older and Newer recall what was entered in the same prompt before
	// (filter, search, save, export, pipe, the `:` line).
	Older, Newer key.Binding
}

// KeyMap is all of them.
type KeyMap struct {
	Global  Global
	Mail    Mail
	List    List
	Viewer  Viewer
	Prompt  Prompt
	Compose Compose
	Drafts  Drafts
	Forward Forward
	Audit   Audit
}

func b(help string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label(keys), help))
}

// bl is b with a help label of its own (for keys listed only in part, such
// as pgup beside b).
func bl(help, label string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, help))
}

// Without is b less the keys of o, its help naming those left: over a
// filter, Esc clears it (the list's Back) and only q quits, so "q/esc
// quit" would promise what Esc does not do. With no key left it is
// disabled.
func Without(b, o key.Binding) key.Binding {
	var left []string
	for _, k := range b.Keys() {
		if !slices.Contains(o.Keys(), k) {
			left = append(left, k)
		}
	}
	w := key.NewBinding(key.WithKeys(left...), key.WithHelp(label(left), b.Help().Desc))
	w.SetEnabled(len(left) > 0)
	return w
}

// label renders keys for help the way a user types them.
func label(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		switch k {
		case " ":
			k = "space"
		case "up":
			k = "↑"
		case "down":
			k = "↓"
		}
		out[i] = k
	}
	return strings.Join(out, "/")
}

// DefaultKeyMap returns the aerc/neomutt-flavoured defaults.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Global: Global{
			Quit:    b("quit", "ctrl+c"),
			QuitNow: b("quit from any screen", "Q"),
			Back:    b("back/quit", "q", "esc"),
			Help:    b("help", "?"),
			NextBox: b("next mailbox", "tab"),
			PrevBox: b("prev mailbox", "shift+tab"),
			Errors:  b("error history", "E"),
			Refresh: b("re-index", "ctrl+r"),
			Audit:   b("audit view", "A"),
			Redraw:  b("redraw", "ctrl+l"),
			Command: b("command line", ":"),
			Suspend: b("suspend (fg resumes)", "ctrl+z"),
		},
		Mail: Mail{
			Reply:      b("reply", "r"),
			ReplyAll:   b("reply all", "R"),
			ReplyTo:    b("reply to another address (--to)", "L"),
			Forward:    b("re-forward", "f"),
			ToggleRead: b("toggle read/unread", "U"),
		},
		List: List{
			Up:           b("up", "k", "up"),
			Down:         b("down", "j", "down"),
			Top:          b("first", "g", "home"),
			Bottom:       b("last", "G", "end"),
			HalfUp:       b("half page up", "ctrl+u"),
			HalfDown:     b("half page down", "ctrl+d"),
			PageUp:       b("page up", "pgup", "ctrl+b"),
			PageDown:     b("page down", "pgdown", "ctrl+f"),
			Open:         b("open", "enter"),
			Mark:         b("mark", " "),
			MarkAll:      b("mark all shown", "V", "*"),
			Unmark:       b("unmark all", "u"),
			Sort:         b("sort by", "o"),
			Reverse:      b("reverse sort", "O"),
			Filter:       b("filter", "/"),
			Search:       b("search", "S"),
			NextMatch:    b("next match", "n"),
			PrevMatch:    b("prev match", "N"),
			ClearFilter:  b("clear filter", "esc"),
			Threads:      b("threads", "T"),
			Fold:         b("fold thread", "z"),
			FoldAll:      b("fold all", "Z"),
			SaveMarked:   b("save marked", "s"),
			ExportMarked: b("export marked (mbox)", "e"),
			Pipe:         b("pipe marked, else current, to command", "|"),
			PipeMode:     b("raw/decoded", "tab"),
		},
		Viewer: Viewer{
			Up:        b("up", "k", "up"),
			Down:      b("down", "j", "down"),
			Top:       b("top", "g", "home"),
			Bottom:    b("bottom", "G", "end"),
			HalfUp:    b("half page up", "ctrl+u"),
			HalfDown:  b("half page down", "ctrl+d"),
			PageUp:    bl("page up", "b/pgup/ctrl+b", "pgup", "b", "ctrl+b"),
			PageDown:  bl("page down", "space/pgdn/ctrl+f", "pgdown", " ", "ctrl+f"),
			Next:      b("next message", "J"),
			Prev:      b("prev message", "K"),
			Headers:   b("full headers", "h"),
			Raw:       b("raw source", "H"),
			Parts:     b("parts", "p"),
			Save:      b("save attachments", "s"),
			Open:      b("open attachment", "o"),
			CopyKey:   b("copy S3 key", "y"),
			CopyID:    b("copy Message-ID", "Y"),
			Search:    b("search", "/"),
			NextMatch: b("next match", "n"),
			PrevMatch: b("prev match", "N"),
			Links:     b("links", "l"),
			OpenHTML:  b("HTML in browser", "v"),
			Pipe:      b("pipe to command", "|"),
			Select:    b("show part / open link", "enter"),
			CopyLink:  b("copy link", "y"),
			PipeMode:  b("raw/decoded", "tab"),

			ClearSearch: b("clear search", "esc"),
		},
		Prompt: Prompt{
			Accept: b("accept", "enter"),
			Cancel: b("cancel", "esc"),
			Older:  b("earlier entry", "up", "ctrl+p"),
			Newer:  b("later entry", "down", "ctrl+n"),
		},
		Compose: Compose{
			Send:      b("send", "s"),
			SendAgain: b("send again, though the last send may have gone (--retry-uncertain)", "S"),
			Edit:      b("edit", "e"),
			Attach:    b("attach", "a"),
			Discard:   b("discard", "d"),
			Postpone:  b("postpone", "p", "q", "esc"),
			Up:        b("up", "k", "up"),
			Down:      b("down", "j", "down"),
			PageUp:    bl("page up", "b", "pgup", "b"),
			PageDown:  bl("page down", "space", "pgdown", " ", "f"),
			Done:      b("done editing", "ctrl+s", "esc"),
			Confirm:   b("yes, discard", "y"),
			Accept:    b("attach", "enter"),
			Cancel:    b("cancel", "esc"),

			QuitPostpone: b("postpone and quit", "p", "y"),
			QuitDiscard:  b("discard and quit", "d"),
			QuitStay:     b("keep editing", "esc", "n"),
		},
		Drafts: Drafts{
			Up:      b("up", "k", "up"),
			Down:    b("down", "j", "down"),
			Top:     b("first", "g", "home"),
			Bottom:  b("last", "G", "end"),
			Resume:  b("resume", "enter"),
			Delete:  b("delete", "d"),
			Confirm: b("yes, delete", "y"),
		},
		Forward: Forward{
			Send:              b("send", "y"),
			Cancel:            bl("cancel", "n/esc", "n", "esc", "q"),
			Stop:              b("stop after this send", "x"),
			Up:                b("up", "k", "up"),
			Down:              b("down", "j", "down"),
			Top:               b("first", "g", "home"),
			Bottom:            b("last", "G", "end"),
			PageUp:            bl("page up", "pgup", "pgup", "ctrl+b"),
			PageDown:          bl("page down", "pgdn", "pgdown", "ctrl+f"),
			MarkFailed:        b("mark to retry", "m"),
			Close:             b("close", "q", "esc"),
			RetryUncertain:    b("also send the uncertain (--retry-uncertain)", "u"),
			IncludeSpam:       b("also send spam/virus FAIL (--include-spam)", "i"),
			Again:             b("also send what was sent (--again, asks)", "a"),
			IncludeSuppressed: b("also send to suppressed destinations (--include-suppressed)", "s"),
			RetryRefused:      b("also send what SES refused before (--retry-refused)", "r"),
			To:                b("send to other addresses than the mapping's (--to)", "t"),
			Retry:             b("forward again (what was sent is skipped)", "f"),
		},
		Audit: Audit{
			Up:       b("up", "k", "up"),
			Down:     b("down", "j", "down"),
			PageUp:   bl("page up", "b", "pgup", "ctrl+b", "b"),
			PageDown: bl("page down", "space", "pgdown", "ctrl+f", " "),
			Top:      bl("top", "g", "g", "home"),
			Bottom:   bl("bottom", "G", "G", "end"),
			Verify:   b("verify against manifest", "v"),
			Stop:     b("stop verify", "x"),
			Posture:  b("re-read posture", "p"),
			Copy:     b("copy restore command", "y"),
			Accept:   b("verify", "enter"),
			Cancel:   b("cancel", "esc"),
		},
	}
}

// actions names every binding for the config file: "list.down",
// "viewer.save", "global.quit", ...
func (k *KeyMap) actions() map[string]*key.Binding {
	return map[string]*key.Binding{
		"global.quit":         &k.Global.Quit,
		"global.quit-now":     &k.Global.QuitNow,
		"global.back":         &k.Global.Back,
		"global.help":         &k.Global.Help,
		"global.next-mailbox": &k.Global.NextBox,
		"global.prev-mailbox": &k.Global.PrevBox,
		"global.errors":       &k.Global.Errors,
		"global.refresh":      &k.Global.Refresh,
		"global.audit":        &k.Global.Audit,
		"global.redraw":       &k.Global.Redraw,
		"global.command":      &k.Global.Command,
		"global.suspend":      &k.Global.Suspend,

		"mail.reply":       &k.Mail.Reply,
		"mail.reply-all":   &k.Mail.ReplyAll,
		"mail.reply-to":    &k.Mail.ReplyTo,
		"mail.forward":     &k.Mail.Forward,
		"mail.toggle-read": &k.Mail.ToggleRead,

		"list.up":            &k.List.Up,
		"list.down":          &k.List.Down,
		"list.top":           &k.List.Top,
		"list.bottom":        &k.List.Bottom,
		"list.half-up":       &k.List.HalfUp,
		"list.half-down":     &k.List.HalfDown,
		"list.page-up":       &k.List.PageUp,
		"list.page-down":     &k.List.PageDown,
		"list.open":          &k.List.Open,
		"list.mark":          &k.List.Mark,
		"list.mark-all":      &k.List.MarkAll,
		"list.unmark":        &k.List.Unmark,
		"list.sort":          &k.List.Sort,
		"list.reverse":       &k.List.Reverse,
		"list.filter":        &k.List.Filter,
		"list.search":        &k.List.Search,
		"list.next-match":    &k.List.NextMatch,
		"list.prev-match":    &k.List.PrevMatch,
		"list.clear-filter":  &k.List.ClearFilter,
		"list.threads":       &k.List.Threads,
		"list.fold":          &k.List.Fold,
		"list.fold-all":      &k.List.FoldAll,
		"list.save-marked":   &k.List.SaveMarked,
		"list.export-marked": &k.List.ExportMarked,
		"list.pipe":          &k.List.Pipe,
		"list.pipe-mode":     &k.List.PipeMode,

		"viewer.up":         &k.Viewer.Up,
		"viewer.down":       &k.Viewer.Down,
		"viewer.top":        &k.Viewer.Top,
		"viewer.bottom":     &k.Viewer.Bottom,
		"viewer.half-up":    &k.Viewer.HalfUp,
		"viewer.half-down":  &k.Viewer.HalfDown,
		"viewer.page-up":    &k.Viewer.PageUp,
		"viewer.page-down":  &k.Viewer.PageDown,
		"viewer.next":       &k.Viewer.Next,
		"viewer.prev":       &k.Viewer.Prev,
		"viewer.headers":    &k.Viewer.Headers,
		"viewer.raw":        &k.Viewer.Raw,
		"viewer.parts":      &k.Viewer.Parts,
		"viewer.save":       &k.Viewer.Save,
		"viewer.open":       &k.Viewer.Open,
		"viewer.copy-key":   &k.Viewer.CopyKey,
		"viewer.copy-id":    &k.Viewer.CopyID,
		"viewer.search":     &k.Viewer.Search,
		"viewer.next-match": &k.Viewer.NextMatch,
		"viewer.prev-match": &k.Viewer.PrevMatch,
		"viewer.links":      &k.Viewer.Links,
		"viewer.open-html":  &k.Viewer.OpenHTML,
		"viewer.pipe":       &k.Viewer.Pipe,
		"viewer.select":     &k.Viewer.Select,
		"viewer.copy-link":  &k.Viewer.CopyLink,
		"viewer.pipe-mode":  &k.Viewer.PipeMode,

		"viewer.clear-search": &k.Viewer.ClearSearch,

		"prompt.accept": &k.Prompt.Accept,
		"prompt.cancel": &k.Prompt.Cancel,
		"prompt.older":  &k.Prompt.Older,
		"prompt.newer":  &k.Prompt.Newer,

		"compose.send":       &k.Compose.Send,
		"compose.send-again": &k.Compose.SendAgain,
		"compose.edit":       &k.Compose.Edit,
		"compose.attach":     &k.Compose.Attach,
		"compose.discard":    &k.Compose.Discard,
		"compose.postpone":   &k.Compose.Postpone,
		"compose.up":         &k.Compose.Up,
		"compose.down":       &k.Compose.Down,
		"compose.page-up":    &k.Compose.PageUp,
		"compose.page-down":  &k.Compose.PageDown,
		"compose.done":       &k.Compose.Done,
		"compose.confirm":    &k.Compose.Confirm,
		"compose.accept":     &k.Compose.Accept,
		"compose.cancel":     &k.Compose.Cancel,

		"compose.quit-postpone": &k.Compose.QuitPostpone,
		"compose.quit-discard":  &k.Compose.QuitDiscard,
		"compose.quit-stay":     &k.Compose.QuitStay,

		"drafts.up":      &k.Drafts.Up,
		"drafts.down":    &k.Drafts.Down,
		"drafts.top":     &k.Drafts.Top,
		"drafts.bottom":  &k.Drafts.Bottom,
		"drafts.resume":  &k.Drafts.Resume,
		"drafts.delete":  &k.Drafts.Delete,
		"drafts.confirm": &k.Drafts.Confirm,

		"forward.send":               &k.Forward.Send,
		"forward.cancel":             &k.Forward.Cancel,
		"forward.stop":               &k.Forward.Stop,
		"forward.up":                 &k.Forward.Up,
		"forward.down":               &k.Forward.Down,
		"forward.top":                &k.Forward.Top,
		"forward.bottom":             &k.Forward.Bottom,
		"forward.page-up":            &k.Forward.PageUp,
		"forward.page-down":          &k.Forward.PageDown,
		"forward.mark-failed":        &k.Forward.MarkFailed,
		"forward.close":              &k.Forward.Close,
		"forward.retry-uncertain":    &k.Forward.RetryUncertain,
		"forward.include-spam":       &k.Forward.IncludeSpam,
		"forward.again":              &k.Forward.Again,
		"forward.include-suppressed": &k.Forward.IncludeSuppressed,
		"forward.retry-refused":      &k.Forward.RetryRefused,
		"forward.to":                 &k.Forward.To,
		"forward.retry":              &k.Forward.Retry,

		"audit.up":        &k.Audit.Up,
		"audit.down":      &k.Audit.Down,
		"audit.page-up":   &k.Audit.PageUp,
		"audit.page-down": &k.Audit.PageDown,
		"audit.top":       &k.Audit.Top,
		"audit.bottom":    &k.Audit.Bottom,
		"audit.verify":    &k.Audit.Verify,
		"audit.stop":      &k.Audit.Stop,
		"audit.posture":   &k.Audit.Posture,
		"audit.copy":      &k.Audit.Copy,
		"audit.accept":    &k.Audit.Accept,
		"audit.cancel":    &k.Audit.Cancel,
	}
}

// Actions lists the action names the config file may rebind, sorted.
func Actions() []string {
	km := DefaultKeyMap()
	var out []string
	for name := range km.actions() {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// CheckName refuses a key name no key press has: one holding a control
// or bidi character (an escape sequence), which drawn on the help page
// and the key line as written would act on the terminal.
func CheckName(s string) error {
	if s != " " && sanitize.Line(s) != s {
		return fmt.Errorf("%q is not a key name (bubbletea's names: \"j\", \"ctrl+d\", \"space\")", s)
	}
	return nil
}

// Apply rebinds actions from the config file: each action name maps to the
// keys that trigger it (bubbletea key names: "j", "ctrl+d", "shift+tab",
// "space" or " "). An empty list unbinds the action. Unknown action names
// are an error, so a typo in the config does not pass silently; nothing is
// changed then.
func (k *KeyMap) Apply(overrides map[string][]string) error {
	acts := k.actions()
	var unknown []string
	for name := range overrides {
		if _, ok := acts[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown key action(s) %s (known: %s)",
			strings.Join(unknown, ", "), strings.Join(Actions(), ", "))
	}
	// A key is drawn on the help page and the key line as written: one
	// holding a control or bidi character (an escape sequence) would act
	// on the terminal, and no key press is named so.
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		for _, s := range overrides[name] {
			if err := CheckName(s); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	for name, keys := range overrides {
		bind := acts[name]
		if len(keys) == 0 {
			bind.Unbind()
			continue
		}
		ks := make([]string, len(keys))
		for i, s := range keys {
			if s == "space" {
				s = " "
			}
			ks[i] = s
		}
		bind.SetKeys(ks...)
		bind.SetHelp(label(ks), bind.Help().Desc)
	}
	return nil
}
